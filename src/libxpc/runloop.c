/*
 * The run loop: every activated connection is listed here, and the list
 * holds a reference until the connection's final XPC_ERROR_CONNECTION_INVALID
 * (Apple's rule: an active connection lives until it is cancelled or its
 * peer goes away, whether or not its creator keeps a reference).
 * xpc_run_once() polls them all and dispatches what is ready; xpc_main()
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

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static xpc_connection_t run_head;
static size_t run_count;

void runloop_add(xpc_connection_t c)
{
	pthread_mutex_lock(&run_lock);
	if (!c->run_listed) {
		c->run_listed = true;
		xpc_retain(&c->base);
		c->run_prev = NULL;
		c->run_next = run_head;
		if (run_head)
			run_head->run_prev = c;
		run_head = c;
		run_count++;
	}
	pthread_mutex_unlock(&run_lock);
}

void runloop_remove(xpc_connection_t c)
{
	pthread_mutex_lock(&run_lock);
	bool listed = c->run_listed;
	if (listed) {
		c->run_listed = false;
		if (c->run_prev)
			c->run_prev->run_next = c->run_next;
		else
			run_head = c->run_next;
		if (c->run_next)
			c->run_next->run_prev = c->run_prev;
		run_count--;
	}
	pthread_mutex_unlock(&run_lock);
	if (listed)
		xpc_release(&c->base);
}

/* The listed connections, each retained, in *out (malloc'd); returns how many. */
static size_t snapshot(xpc_connection_t **out)
{
	pthread_mutex_lock(&run_lock);
	xpc_connection_t *all = xpc_xalloc((run_count ? run_count : 1) * sizeof(*all));
	size_t n = 0;
	for (xpc_connection_t c = run_head; c; c = c->run_next)
		all[n++] = (xpc_connection_t)xpc_retain(&c->base);
	pthread_mutex_unlock(&run_lock);
	*out = all;
	return n;
}

int xpc_run_once(int timeout_ms)
{
	xpc_connection_t *all;
	size_t n = snapshot(&all);
	struct pollfd *p = xpc_xalloc((n ? n : 1) * sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		xpc_connection_t c = all[i];
		bool ready = c->inbox_head && !c->suspend_count; /* messages that arrived during a sync wait */
		p[i] = (struct pollfd){.fd = c->suspend_count ? -1 : c->fd,
			.events = (short)(POLLIN | (c->out_head ? POLLOUT : 0))};
		if (ready)
			timeout_ms = 0;
	}
	int r = poll(p, (nfds_t)n, timeout_ms);
	int dispatched = 0;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (p[i].revents || (all[i]->inbox_head && !all[i]->suspend_count)) {
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

static void main_listener_event(void *ctx, xpc_object_t ev)
{
	const char *name = ctx;
	if (xpc_get_type(ev) == XPC_TYPE_CONNECTION) {
		main_handler((xpc_connection_t)ev);
	} else if (ev != XPC_ERROR_TERMINATION_IMMINENT) {
		fprintf(stderr, "xpc_main: %s: %s\n", name, xpc_error_get_cause(ev) ? xpc_error_get_cause(ev)
										     : xpc_error_get_description(ev));
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
		xpc_connection_t l = xpc_connection_create_mach_service(name, NULL, XPC_CONNECTION_MACH_SERVICE_LISTENER);
		xpc_connection_set_context(l, xpc_xstrdup(name));
		xpc_connection_set_event_handler_f(l, main_listener_event);
		xpc_connection_activate(l);
		xpc_release(&l->base); /* the run loop keeps it */
	}
	xpc_release(names);
	for (;;)
		if (xpc_run_once(-1) < 0) {
			fprintf(stderr, "xpc_main: poll: %s\n", strerror(errno));
			exit(1);
		}
}
