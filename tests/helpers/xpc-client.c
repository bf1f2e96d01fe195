/*
 * Test helper: connects to a named service (PRIVILEGED with -p), sends COUNT
 * one-way messages {"seq": i}, then asks {"report": true} and prints
 * "pid=<service pid> seqs=<n,n,...>". With -r it then tells the service to
 * exit, waits for XPC_ERROR_CONNECTION_INTERRUPTED, asks again on the same
 * connection (launchd relaunches the service) and prints a second line.
 * -t MS sets how long to wait for a reply (default 20 s); each -R KEY=VALUE
 * adds a key to a peer requirement the service must meet.
 * With -c N it opens N connections at once, asks each for a report
 * concurrently and prints "replies=<n> pids=<distinct service pids>".
 * Errors print "error: <code>: <description>: <cause>" and exit 1.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <xpc/xpc.h>

#include "requirement_arg.h"

static int interrupted;

static void on_event(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	if (ev == XPC_ERROR_CONNECTION_INTERRUPTED)
		interrupted++;
	if (xpc_get_type(ev) == XPC_TYPE_ERROR)
		fprintf(stderr, "event: %s\n", xpc_error_get_description(ev));
}

static int report(xpc_connection_t c);
static int print_error(xpc_connection_t c, xpc_object_t e);

static int timeout_ms = 20000;
static int replies;
static long first_pid, other_pids;

static void on_reply(void *ctx, xpc_object_t r)
{
	if (xpc_get_type(r) != XPC_TYPE_DICTIONARY) {
		print_error(ctx, r);
		exit(1);
	}
	long pid = (long)xpc_dictionary_get_int64(r, "pid");
	if (!first_pid)
		first_pid = pid;
	else if (pid != first_pid)
		other_pids++;
	replies++;
}

/* N connections at once, each with one request in flight. */
static int concurrent(const char *name, uint64_t flags, int n)
{
	if (n <= 0)
		return 64;
	xpc_connection_t *c = calloc((size_t)n, sizeof(*c));
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	for (int i = 0; i < n; i++) {
		c[i] = xpc_connection_create_mach_service(name, XPC_QUEUE_CALLER, flags);
		xpc_connection_set_event_handler_f(c[i], on_event);
		xpc_connection_activate(c[i]);
	}
	for (int i = 0; i < n; i++) {
		xpc_object_t m = xpc_dictionary_create_empty();
		xpc_dictionary_set_bool(m, "report", true);
		xpc_connection_send_message_with_reply_f(c[i], m, c[i], on_reply);
		xpc_release(m);
	}
	for (int rounds = 0; replies < n && rounds < 20000; rounds++) {
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = xpc_connection_get_fd(c[i]), .events = POLLIN};
		poll(p, (nfds_t)n, 10);
		for (int i = 0; i < n; i++)
			if (p[i].revents)
				xpc_connection_dispatch(c[i]);
	}
	printf("replies=%d other_pids=%ld\n", replies, other_pids);
	for (int i = 0; i < n; i++) {
		xpc_connection_cancel(c[i]);
		xpc_release((xpc_object_t)c[i]);
	}
	free(c);
	free(p);
	return replies == n ? 0 : 1;
}

/* Apple's error objects carry no reason: the connection has it (a timeout's error says its own). */
static int print_error(xpc_connection_t c, xpc_object_t e)
{
	char *why = xpc_error_get_cause(e) ? strdup(xpc_error_get_cause(e)) : xpc_connection_copy_invalidation_reason(c);
	printf("error: %s: %s\n", xpc_error_get_description(e), why ? why : "");
	fprintf(stderr, "identity: %s\n", e == XPC_ERROR_CONNECTION_INVALID ? "XPC_ERROR_CONNECTION_INVALID" :
		e == XPC_ERROR_CONNECTION_INTERRUPTED ? "XPC_ERROR_CONNECTION_INTERRUPTED" : "another error object");
	free(why);
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t flags = 0;
	bool restart = false;
	int i = 1, conns = 0;
	xpc_object_t req = NULL;
	struct rlimit rl; /* -c needs a descriptor per connection */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-p") == 0)
			flags |= XPC_CONNECTION_MACH_SERVICE_PRIVILEGED;
		else if (strcmp(argv[i], "-r") == 0)
			restart = true;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			timeout_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "-R") == 0 && i + 1 < argc && requirement_arg(&req, argv[i + 1]))
			i++;
	}
	if (conns && i < argc)
		return concurrent(argv[i], flags, conns);
	if (argc - i != 2) {
		fprintf(stderr, "usage: xpc-client [-p] [-r] [-t MS] [-R KEY=VALUE]... NAME COUNT | -c N NAME\n");
		return 64;
	}
	int count = atoi(argv[i + 1]);
	xpc_connection_t c = xpc_connection_create_mach_service(argv[i], XPC_QUEUE_CALLER, flags);
	if (req && xpc_connection_set_peer_requirement(c, req) != 0) {
		fprintf(stderr, "xpc-client: invalid requirement\n");
		return 64;
	}
	xpc_release(req);
	xpc_connection_set_event_handler_f(c, on_event);
	xpc_connection_activate(c);
	for (int k = 0; k < count; k++) {
		xpc_object_t m = xpc_dictionary_create_empty();
		xpc_dictionary_set_int64(m, "seq", k);
		xpc_connection_send_message(c, m);
		xpc_release(m);
	}
	int rc = report(c);
	if (!rc && restart) {
		xpc_object_t m = xpc_dictionary_create_empty();
		xpc_dictionary_set_int64(m, "exit", 0);
		xpc_connection_send_message(c, m);
		xpc_release(m);
		for (int k = 0; k < 2000 && !interrupted; k++) { /* up to 20 s */
			struct pollfd p = {.fd = xpc_connection_get_fd(c), .events = POLLIN};
			poll(&p, 1, 10);
			xpc_connection_dispatch(c);
		}
		printf("interrupted=%d\n", interrupted);
		rc = report(c);
	}
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	return rc;
}

static int report(xpc_connection_t c)
{
	xpc_object_t m = xpc_dictionary_create_empty();
	xpc_dictionary_set_bool(m, "report", true);
	xpc_object_t r = xpc_connection_send_message_with_reply_sync_timeout(c, m, timeout_ms);
	xpc_release(m);
	if (xpc_get_type(r) == XPC_TYPE_ERROR) {
		int rc = print_error(c, r);
		xpc_release(r);
		return rc;
	}
	printf("pid=%lld seqs=", (long long)xpc_dictionary_get_int64(r, "pid"));
	xpc_object_t seqs = xpc_dictionary_get_array(r, "seqs");
	for (size_t k = 0; k < xpc_array_get_count(seqs); k++)
		printf("%s%lld", k ? "," : "", (long long)xpc_array_get_int64(seqs, k));
	printf("\n");
	xpc_release(r);
	return 0;
}
