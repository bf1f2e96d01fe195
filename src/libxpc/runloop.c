/*
 * Where connections run. Activation starts them: a caller-driven connection
 * (XPC_QUEUE_CALLER) on its driver's loop, any other on libxpc's thread,
 * started with the first, which polls them, dispatches them and runs their
 * handlers (queue.c posts the calls). The run loop: xpc_run_once() polls every activated caller-driven connection (active.c) and dispatches what is
 * ready; xpc_main() checks in for the calling job's MachServices and runs the loop forever on the calling thread
 * (its listeners, and so their peers, are caller-driven: as a service's handlers run on Apple's main queue).
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
#include <sys/eventfd.h>
#include <unistd.h>

#include "conn_internal.h"
#include "oom.h"

/* launchd's exit status for a job that is misconfigured (sysexits EX_CONFIG). */
#define EXIT_NOT_A_SERVICE 78

/* libxpc's thread: rounds of polling the threaded connections and its wake-up eventfd, forever. */
static void *lib_thread_main(void *arg)
{
	int wake_fd = (int)(intptr_t)arg;
	lib_thread_enter();
	lib_lock();
	for (;;) {
		lib_poll_round(true, wake_fd, lib_timer_timeout());
		lib_run_timers();
	}
	return NULL;
}

static void start_lib_thread(void)
{
	int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0) {
		fprintf(stderr, "libxpc: cannot create the handler thread's eventfd: %s\n", strerror(errno));
		gantry_oom();
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int err = pthread_create(&t, &attr, lib_thread_main, (void *)(intptr_t)wake_fd);
	pthread_attr_destroy(&attr);
	if (err) {
		fprintf(stderr, "libxpc: cannot start the handler thread: %s\n", strerror(err));
		gantry_oom();
	}
	lib_become_thread(wake_fd);
}

void lib_thread_ensure(void)
{
	if (!lib_thread_running())
		start_lib_thread();
}

void xpc_connection_activate(xpc_connection_t c)
{
	lib_lock();
	if (!c->activated) {
		if (c->threaded)
			lib_thread_ensure();
		conn_activate(c);
	}
	lib_unlock();
}

void xpc_connection_resume(xpc_connection_t c)
{
	lib_lock();
	if (!c->activated)
		xpc_connection_activate(c);
	else if (c->suspend_count > 0)
		c->suspend_count--;
	lib_changed(c);
	lib_unlock();
}

int xpc_run_once(int timeout_ms)
{
	lib_lock();
	int dispatched = lib_poll_round(false, -1, timeout_ms);
	lib_unlock();
	return dispatched;
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
		l->conn = xpc_connection_create_mach_service(name, XPC_QUEUE_CALLER, XPC_CONNECTION_MACH_SERVICE_LISTENER);
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
