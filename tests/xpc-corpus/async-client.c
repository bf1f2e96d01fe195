/*
 * A client as macOS developers write it: a NULL queue, reply blocks, a barrier, a synchronous
 * message, a cancel awaited in the event handler; it waits on a condition variable while its
 * handlers run on libxpc's thread. Usage: async-client SERVICE COUNT
 */
#include <pthread.h>
#include <xpc/xpc.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int replies, barriers, invalid, wrong_thread;
static pthread_t main_thread;

static void note(int *counter)
{
	pthread_mutex_lock(&lock);
	(*counter)++;
	if (pthread_equal(pthread_self(), main_thread))
		wrong_thread++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void wait_until(int *counter, int value)
{
	pthread_mutex_lock(&lock);
	while (*counter < value)
		pthread_cond_wait(&changed, &lock);
	pthread_mutex_unlock(&lock);
}

static int missing_service(void)
{
	xpc_connection_t c = xpc_connection_create_mach_service("com.example.nobody-advertises-this", NULL, 0);
	xpc_connection_set_event_handler(c, ^(xpc_object_t event) {
		(void)event;
	});
	xpc_connection_resume(c);
	xpc_object_t msg = xpc_dictionary_create(NULL, NULL, 0);
	__block int ok = 0;
	xpc_connection_send_message_with_reply(c, msg, NULL, ^(xpc_object_t reply) {
		ok = reply == XPC_ERROR_CONNECTION_INVALID;
		note(&replies);
	});
	wait_until(&replies, 1);
	char *why = xpc_connection_copy_invalidation_reason(c);
	printf("missing: %s (%s)\n", ok ? "XPC_ERROR_CONNECTION_INVALID" : "something else", why ? why : "no reason");
	free(why);
	xpc_release(msg);
	xpc_release(c);
	replies = 0;
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: async-client SERVICE COUNT\n");
		return 64;
	}
	main_thread = pthread_self();
	int count = atoi(argv[2]);
	if (!missing_service())
		return 1;
	xpc_connection_t conn = xpc_connection_create_mach_service(argv[1], NULL, 0);
	xpc_connection_set_event_handler(conn, ^(xpc_object_t event) {
		if (event == XPC_ERROR_CONNECTION_INVALID)
			note(&invalid);
		else if (event == XPC_ERROR_CONNECTION_INTERRUPTED)
			fprintf(stderr, "async-client: interrupted\n");
	});
	xpc_connection_resume(conn);
	__block int64_t server = 0;
	__block int in_order = 1;
	for (int i = 0; i < count; i++) {
		xpc_object_t msg = xpc_dictionary_create(NULL, NULL, 0);
		char text[32];
		snprintf(text, sizeof(text), "hello %d", i);
		xpc_dictionary_set_string(msg, "text", text);
		int64_t numbers[] = {1, 2, 3, i};
		xpc_object_t array = xpc_array_create(NULL, 0);
		for (size_t k = 0; k < 4; k++)
			xpc_array_set_int64(array, XPC_ARRAY_APPEND, numbers[k]);
		xpc_dictionary_set_value(msg, "numbers", array);
		xpc_release(array);
		xpc_connection_send_message_with_reply(conn, msg, NULL, ^(xpc_object_t reply) {
			if (xpc_get_type(reply) != XPC_TYPE_DICTIONARY) {
				char *why = xpc_connection_copy_invalidation_reason(conn);
				fprintf(stderr, "async-client: reply %d: %s: %s\n", i,
					xpc_dictionary_get_string(reply, XPC_ERROR_KEY_DESCRIPTION), why ? why : "no reason");
				exit(1);
			}
			if (replies != i)
				in_order = 0;
			server = xpc_dictionary_get_int64(reply, "server-pid");
			note(&replies);
		});
		xpc_release(msg);
	}
	wait_until(&replies, count);
	xpc_connection_send_barrier(conn, ^{
		note(&barriers);
	});
	wait_until(&barriers, 1);
	xpc_object_t msg = xpc_dictionary_create(NULL, NULL, 0);
	xpc_dictionary_set_string(msg, "text", "sync");
	xpc_object_t reply = xpc_connection_send_message_with_reply_sync(conn, msg);
	xpc_release(msg);
	if (xpc_get_type(reply) != XPC_TYPE_DICTIONARY)
		return 1;
	printf("replies=%d in-order=%d server=%lld served-by=%s sync-echo=%s\n", replies, in_order,
		(long long)server, xpc_dictionary_get_string(reply, "served-by"),
		xpc_dictionary_get_string(reply, "echo") ? xpc_dictionary_get_string(reply, "echo") : "-");
	xpc_release(reply);
	xpc_connection_cancel(conn);
	wait_until(&invalid, 1);
	printf("cancelled: XPC_ERROR_CONNECTION_INVALID; handlers on main thread: %d\n", wrong_thread);
	xpc_release(conn);
	return 0;
}
