/* An XPC service's main as Apple's template writes it: xpc_main with a block handler per peer. */
#include <xpc/xpc.h>

static void peer_event(xpc_connection_t peer, xpc_object_t event)
{
	xpc_type_t type = xpc_get_type(event);
	if (type == XPC_TYPE_ERROR) {
		if (event == XPC_ERROR_CONNECTION_INVALID)
			fprintf(stderr, "main-service: a peer went away\n");
		return;
	}
	if (xpc_dictionary_get_bool(event, "exit"))
		exit(3); /* a crash, as far as its clients can tell */
	xpc_object_t reply = xpc_dictionary_create_reply(event);
	xpc_object_t numbers = xpc_dictionary_get_array(event, "numbers");
	__block int64_t sum = 0;
	if (numbers)
		xpc_array_apply(numbers, ^bool(size_t index, xpc_object_t value) {
			(void)index;
			sum += xpc_int64_get_value(value);
			return true;
		});
	xpc_dictionary_set_int64(reply, "sum", sum);
	xpc_dictionary_set_string(reply, "served-by", "xpc_main");
	xpc_dictionary_set_int64(reply, "server-pid", getpid());
	const char *greeting = getenv("GREETING"); /* an XPC service's Info.plist EnvironmentVariables */
	if (greeting)
		xpc_dictionary_set_string(reply, "greeting", greeting);
	xpc_connection_send_message(peer, reply);
	xpc_release(reply);
}

static void event_handler(xpc_connection_t peer)
{
	xpc_connection_set_event_handler(peer, ^(xpc_object_t event) {
		peer_event(peer, event);
	});
	xpc_connection_resume(peer);
}

int main(void)
{
	xpc_main(event_handler);
	return 0;
}
