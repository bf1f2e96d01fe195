/*
 * Test helper: connects to a named service (PRIVILEGED with -p), sends COUNT
 * one-way messages {"seq": i}, then asks {"report": true} and prints
 * "pid=<service pid> seqs=<n,n,...>". With -r it then tells the service to
 * exit, waits for XPC_ERROR_CONNECTION_INTERRUPTED, asks again on the same
 * connection (launchd relaunches the service) and prints a second line.
 * Errors print "error: <code>: <description>: <cause>" and exit 1.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xpc/xpc.h>

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

static int print_error(xpc_object_t e)
{
	printf("error: %d: %s: %s\n", xpc_error_get_code(e), xpc_error_get_description(e),
		xpc_error_get_cause(e) ? xpc_error_get_cause(e) : "");
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t flags = 0;
	bool restart = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-p") == 0)
			flags |= XPC_CONNECTION_MACH_SERVICE_PRIVILEGED;
		else if (strcmp(argv[i], "-r") == 0)
			restart = true;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: xpc-client [-p] NAME COUNT\n");
		return 64;
	}
	int count = atoi(argv[i + 1]);
	xpc_connection_t c = xpc_connection_create_mach_service(argv[i], NULL, flags);
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
	xpc_object_t r = xpc_connection_send_message_with_reply_sync_timeout(c, m, 20000);
	xpc_release(m);
	if (xpc_get_type(r) == XPC_TYPE_ERROR) {
		int rc = print_error(r);
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
