/*
 * The unprivileged side of the privileged-helper pattern: asks the root
 * helper (a system-domain service, hence ..._PRIVILEGED) to do its one
 * privileged operation and prints the answer.
 *
 *   usage: example-client SERVICE-NAME whoami
 *          example-client SERVICE-NAME note NAME TEXT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xpc/xpc.h>

static void on_event(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	(void)ev;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[2], "note") == 0 && argc != 5)) {
		fprintf(stderr, "usage: example-client SERVICE-NAME whoami | note NAME TEXT\n");
		return 64;
	}
	xpc_connection_t c = xpc_connection_create_mach_service(argv[1], NULL, XPC_CONNECTION_MACH_SERVICE_PRIVILEGED);
	xpc_connection_set_event_handler_f(c, on_event);
	xpc_connection_activate(c);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(msg, "op", argv[2]);
	if (argc == 5) {
		xpc_dictionary_set_string(msg, "name", argv[3]);
		xpc_dictionary_set_string(msg, "text", argv[4]);
	}
	xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(c, msg, 10000);
	xpc_release(msg);
	int rc = 0;
	if (xpc_get_type(reply) == XPC_TYPE_ERROR) {
		char *why = xpc_connection_copy_invalidation_reason(c); /* Apple's error objects carry no reason */
		fprintf(stderr, "example-client: %s%s%s\n", xpc_error_get_description(reply), why ? ": " : "",
			why ? why : "");
		free(why);
		rc = 1;
	} else if (xpc_dictionary_get_string(reply, "error")) {
		fprintf(stderr, "example-client: the helper refused: %s\n", xpc_dictionary_get_string(reply, "error"));
		rc = 1;
	} else {
		printf("helper uid %lld served client uid %lld", (long long)xpc_dictionary_get_int64(reply, "helper_uid"),
			(long long)xpc_dictionary_get_int64(reply, "client_uid"));
		if (xpc_dictionary_get_string(reply, "written"))
			printf("; wrote %s", xpc_dictionary_get_string(reply, "written"));
		printf("\n");
	}
	xpc_release(reply);
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	return rc;
}
