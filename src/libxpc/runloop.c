/*
 * The run loop: xpc_run_once() polls every activated connection (active.c) and dispatches what is ready; xpc_main()
 * checks in for the calling job's MachServices and runs the loop forever.
 * Programs with their own event loop ignore this and use
 * xpc_connection_get_fd() and xpc_connection_dispatch().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn_internal.h"

/* launchd's exit status for a job that is misconfigured (sysexits EX_CONFIG). */
#define EXIT_NOT_A_SERVICE 78

int xpc_run_once(int timeout_ms)
{
	xpc_connection_t *all;
	size_t n = active_snapshot(&all);
	struct pollfd *p = xpc_xalloc((n ? n : 1) * sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		xpc_connection_t c = all[i];
		bool ready = c->inbox.head && !c->suspend_count; /* messages that arrived during a sync wait */
		p[i] = (struct pollfd){.fd = c->suspend_count ? -1 : c->fd,
			.events = (short)(POLLIN | (c->out.head ? POLLOUT : 0))};
		if (ready)
			timeout_ms = 0;
	}
	int r = poll(p, (nfds_t)n, timeout_ms);
	int dispatched = 0;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (p[i].revents || (all[i]->inbox.head && !all[i]->suspend_count)) {
			xpc_connection_dispatch(all[i]);
			dispatched++;
		}
	}
	for (size_t i = 0; i < n; i++)
		xpc_release(&all[i]->base);
	free(all);
	free(p);
	return r < 0 && errno != EINTR ? -1 : dispatched;
}

static xpc_connection_handler_t main_handler;

/* One of xpc_main()'s listeners: the name it checked in for. */
struct main_listener {
	char *name;
	xpc_connection_t conn;
};

static void main_listener_event(void *ctx, xpc_object_t ev)
{
	struct main_listener *l = ctx;
	if (xpc_get_type(ev) == XPC_TYPE_CONNECTION) {
		main_handler((xpc_connection_t)ev);
	} else if (ev != XPC_ERROR_TERMINATION_IMMINENT) {
		char *why = xpc_connection_copy_invalidation_reason(l->conn);
		fprintf(stderr, "xpc_main: %s: %s\n", l->name, why ? why : xpc_error_get_description(ev));
		exit(EXIT_NOT_A_SERVICE);
	}
}

void xpc_main(xpc_connection_handler_t handler)
{
	char label[256], domain[64], cause[512];
	xpc_object_t names = NULL;
	if (launchd_identify(getpid(), label, sizeof(label), domain, sizeof(domain), &names, cause, sizeof(cause))) {
		fprintf(stderr, "xpc_main: this process is not a launchd job: %s\n", cause);
		exit(EXIT_NOT_A_SERVICE);
	}
	if (xpc_array_get_count(names) == 0) {
		fprintf(stderr, "xpc_main: job %s in %s advertises no MachServices\n", label, domain);
		exit(EXIT_NOT_A_SERVICE);
	}
	main_handler = handler;
	for (size_t i = 0; i < xpc_array_get_count(names); i++) {
		const char *name = xpc_array_get_string(names, i);
		struct main_listener *l = xpc_xalloc(sizeof(*l)); /* lives as long as the process */
		l->name = xpc_xstrdup(name);
		l->conn = xpc_connection_create_mach_service(name, NULL, XPC_CONNECTION_MACH_SERVICE_LISTENER);
		xpc_connection_set_context(l->conn, l);
		xpc_connection_set_event_handler_f(l->conn, main_listener_event);
		xpc_connection_activate(l->conn);
		xpc_release(&l->conn->base); /* the run loop keeps it */
	}
	xpc_release(names);
	for (;;)
		if (xpc_run_once(-1) < 0) {
			fprintf(stderr, "xpc_main: poll: %s\n", strerror(errno));
			exit(1);
		}
}
