/* A MachService as macOS developers write it: NULL queue, blocks, peers as xpc_object_t. */
#include <xpc/xpc.h>

static void handle_message(xpc_connection_t peer, xpc_object_t msg)
{
	__block size_t keys = 0;
	xpc_dictionary_apply(msg, ^bool(const char *key, xpc_object_t value) {
		(void)key;
		(void)value;
		keys++;
		return true;
	});
	xpc_object_t reply = xpc_dictionary_create_reply(msg);
	if (!reply)
		return;
	const char *text = xpc_dictionary_get_string(msg, "text");
	xpc_dictionary_set_string(reply, "echo", text ? text : "");
	xpc_dictionary_set_int64(reply, "keys", (int64_t)keys);
	xpc_dictionary_set_int64(reply, "server-pid", getpid());
	xpc_dictionary_set_string(reply, "served-by", "listener");
	xpc_connection_send_message(peer, reply);
	xpc_release(reply);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "com.example.echo";
	xpc_connection_t listener = xpc_connection_create_mach_service(name, NULL,
		XPC_CONNECTION_MACH_SERVICE_LISTENER);
	xpc_connection_set_event_handler(listener, ^(xpc_object_t peer) {
		if (xpc_get_type(peer) != XPC_TYPE_CONNECTION) {
			fprintf(stderr, "listener: %s\n", peer == XPC_ERROR_CONNECTION_INVALID ? "invalid" : "error");
			exit(peer == XPC_ERROR_TERMINATION_IMMINENT ? 0 : 1);
		}
		xpc_connection_set_event_handler(peer, ^(xpc_object_t event) {
			if (xpc_get_type(event) == XPC_TYPE_DICTIONARY)
				handle_message(peer, event);
			else if (event == XPC_ERROR_CONNECTION_INVALID)
				fprintf(stderr, "listener: a peer went away\n");
		});
		xpc_connection_resume(peer);
	});
	xpc_connection_resume(listener);
	for (;;)
		pause(); /* dispatch_main() on macOS: the handlers run on libxpc's thread */
}
