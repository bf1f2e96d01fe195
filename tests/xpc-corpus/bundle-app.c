/*
 * An app that talks to the XPC service inside its own bundle, as Apple's template does:
 * xpc_connection_create() with the service's bundle identifier and a NULL queue.
 * Usage: bundle-app SERVICE COUNT [hold | crash]
 *   hold: after the work, print "ready" and stay until stdin closes (the service lives as long);
 *   crash: ask the service to exit, wait for XPC_ERROR_CONNECTION_INTERRUPTED, then send again.
 */
#include <pthread.h>
#include <xpc/xpc.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int interrupted;
static char greeting[64] = "-"; /* what the service's environment says (its Info.plist's) */

static int64_t ask(xpc_connection_t conn, int64_t n, int64_t *server)
{
	xpc_object_t msg = xpc_dictionary_create(NULL, NULL, 0);
	xpc_object_t numbers = xpc_array_create(NULL, 0);
	for (int64_t i = 1; i <= n; i++)
		xpc_array_set_int64(numbers, XPC_ARRAY_APPEND, i);
	xpc_dictionary_set_value(msg, "numbers", numbers);
	xpc_object_t reply = xpc_connection_send_message_with_reply_sync(conn, msg);
	xpc_release(numbers);
	xpc_release(msg);
	if (xpc_get_type(reply) != XPC_TYPE_DICTIONARY) {
		char *why = xpc_connection_copy_invalidation_reason(conn);
		printf("error: %s: %s\n", reply == XPC_ERROR_CONNECTION_INVALID ? "XPC_ERROR_CONNECTION_INVALID" :
			"another error", why ? why : "no reason");
		exit(1);
	}
	int64_t sum = xpc_dictionary_get_int64(reply, "sum");
	if (xpc_dictionary_get_string(reply, "greeting"))
		snprintf(greeting, sizeof(greeting), "%s", xpc_dictionary_get_string(reply, "greeting"));
	*server = xpc_dictionary_get_int64(reply, "server-pid");
	xpc_release(reply);
	return sum;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bundle-app SERVICE COUNT [hold | crash]\n");
		return 64;
	}
	const char *mode = argc > 3 ? argv[3] : "";
	xpc_connection_t conn = xpc_connection_create(argv[1], NULL);
	xpc_connection_set_event_handler(conn, ^(xpc_object_t event) {
		if (event == XPC_ERROR_CONNECTION_INTERRUPTED) {
			pthread_mutex_lock(&lock);
			interrupted++;
			pthread_cond_broadcast(&changed);
			pthread_mutex_unlock(&lock);
		}
	});
	xpc_connection_resume(conn);
	int64_t server = 0, sum = 0;
	for (int i = 0; i < atoi(argv[2]); i++)
		sum = ask(conn, 10, &server);
	printf("server=%lld sum=%lld greeting=%s\n", (long long)server, (long long)sum, greeting);
	if (strcmp(mode, "crash") == 0) {
		xpc_object_t bye = xpc_dictionary_create(NULL, NULL, 0);
		xpc_dictionary_set_bool(bye, "exit", true);
		xpc_connection_send_message(conn, bye);
		xpc_release(bye);
		pthread_mutex_lock(&lock);
		while (!interrupted)
			pthread_cond_wait(&changed, &lock);
		pthread_mutex_unlock(&lock);
		sum = ask(conn, 4, &server); /* the next message starts the service again */
		printf("interrupted; relaunched server=%lld sum=%lld\n", (long long)server, (long long)sum);
	}
	if (strcmp(mode, "hold") == 0) {
		printf("ready\n");
		fflush(stdout);
		char buf[64];
		while (read(0, buf, sizeof(buf)) > 0)
			;
	}
	xpc_connection_cancel(conn);
	xpc_release(conn);
	return 0;
}
