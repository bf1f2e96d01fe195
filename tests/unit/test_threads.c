/*
 * Unit tests of where libxpc runs handlers: connections with a NULL target
 * queue have their handlers run on libxpc's own thread, one connection's
 * calls one at a time and in order, while other threads send, wait
 * synchronously, cancel and suspend; handlers may call anything, including
 * a synchronous send on another connection; caller-driven connections
 * (XPC_QUEUE_CALLER) keep running on their driver beside them. Real
 * SOCK_SEQPACKET socket pairs; every wait has a deadline.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xpc/xpc.h>

/* How long any condition may take on a loaded machine. */
#define DEADLINE_S 20

static pthread_t main_thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

/* What the handlers saw, read by the test under lock. */
static struct {
	int replies, out_of_order, on_main, invalid, overlap, running, events_after_invalid;
	int order[16]; /* the kinds of the final calls, in order: 1 reply error, 2 event INVALID, 3 barrier */
	int norder;
} seen;

static void reset(void)
{
	pthread_mutex_lock(&lock);
	memset(&seen, 0, sizeof(seen));
	pthread_mutex_unlock(&lock);
}

/* Called at the start of every handler: counts calls made on the main thread and overlapping calls. */
static void enter(void)
{
	pthread_mutex_lock(&lock);
	if (pthread_equal(pthread_self(), main_thread))
		seen.on_main++;
	if (seen.running++)
		seen.overlap++;
	pthread_mutex_unlock(&lock);
}

static void leave(void)
{
	pthread_mutex_lock(&lock);
	seen.running--;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

/* Waits until *counter >= value or the deadline; the counter's final value. */
static int wait_count(const int *counter, int value)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DEADLINE_S;
	pthread_mutex_lock(&lock);
	while (*counter < value && pthread_cond_timedwait(&changed, &lock, &until) != ETIMEDOUT)
		;
	int got = *counter;
	pthread_mutex_unlock(&lock);
	return got;
}

/* An echo server on libxpc's thread: replies {"n": n} to each message. */
static void echo_event(void *ctx, xpc_object_t ev)
{
	xpc_connection_t conn = ctx;
	enter();
	if (xpc_get_type(ev) == XPC_TYPE_DICTIONARY) {
		xpc_object_t reply = xpc_dictionary_create_reply(ev);
		xpc_dictionary_set_int64(reply, "n", xpc_dictionary_get_int64(ev, "n"));
		xpc_connection_send_message(conn, reply);
		xpc_release(reply);
	}
	leave();
}

static void ignore(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	(void)ev;
}

/* A threaded client connected to a threaded echo server (whose connection is returned in *server). */
static xpc_connection_t echo_pair(xpc_connection_t *server, xpc_handler_f server_handler)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	*server = xpc_connection_create_from_fd(sv[1]);
	xpc_connection_set_context(*server, *server);
	xpc_connection_set_event_handler_f(*server, server_handler);
	xpc_connection_activate(*server);
	xpc_connection_t client = xpc_connection_create_from_fd(sv[0]);
	xpc_connection_set_event_handler_f(client, ignore);
	xpc_connection_activate(client);
	return client;
}

static xpc_object_t numbered(int64_t n)
{
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_int64(msg, "n", n);
	return msg;
}

/* A reply handler whose context is the number it expects. */
static void expect_reply(void *ctx, xpc_object_t reply)
{
	enter();
	pthread_mutex_lock(&lock);
	if (xpc_get_type(reply) != XPC_TYPE_DICTIONARY || xpc_dictionary_get_int64(reply, "n") != (int64_t)(intptr_t)ctx ||
	    (intptr_t)ctx != seen.replies)
		seen.out_of_order++;
	seen.replies++;
	pthread_mutex_unlock(&lock);
	leave();
}

static void handlers_run_on_libxpc_thread_in_order(void **state)
{
	(void)state;
	reset();
	xpc_connection_t server, client = echo_pair(&server, echo_event);
	for (intptr_t i = 0; i < 500; i++) {
		xpc_object_t msg = numbered(i);
		xpc_connection_send_message_with_reply_f(client, msg, (void *)i, expect_reply);
		xpc_release(msg);
	}
	assert_int_equal(wait_count(&seen.replies, 500), 500); /* the main thread only waits */
	assert_int_equal(seen.out_of_order, 0);
	assert_int_equal(seen.on_main, 0);
	assert_int_equal(seen.overlap, 0);
	xpc_connection_cancel(client);
	xpc_connection_cancel(server);
	xpc_release(client);
	xpc_release(server);
}

static void sync_from_another_thread_is_answered_by_libxpc_thread(void **state)
{
	(void)state;
	reset();
	xpc_connection_t server, client = echo_pair(&server, echo_event);
	for (int64_t i = 0; i < 200; i++) {
		xpc_object_t msg = numbered(i);
		xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(client, msg, DEADLINE_S * 1000);
		assert_ptr_equal(xpc_get_type(reply), XPC_TYPE_DICTIONARY);
		assert_int_equal(xpc_dictionary_get_int64(reply, "n"), i);
		xpc_release(reply);
		xpc_release(msg);
	}
	assert_int_equal(seen.on_main, 0);
	xpc_connection_cancel(client);
	xpc_connection_cancel(server);
	xpc_release(client);
	xpc_release(server);
}

/* The final calls of a cancelled connection, in the order they ran. */
static void record_final(int kind)
{
	enter();
	pthread_mutex_lock(&lock);
	if (seen.norder < 16)
		seen.order[seen.norder++] = kind;
	if (kind == 2)
		seen.invalid++;
	pthread_mutex_unlock(&lock);
	leave();
}

static void final_reply(void *ctx, xpc_object_t reply)
{
	(void)ctx;
	record_final(reply == XPC_ERROR_CONNECTION_INVALID ? 1 : 9);
}

static void final_event(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	record_final(ev == XPC_ERROR_CONNECTION_INVALID ? 2 : 8);
}

static void final_barrier(void *ctx)
{
	(void)ctx;
	record_final(3);
}

static void cancel_from_main_runs_the_final_calls_on_libxpc_thread(void **state)
{
	(void)state;
	reset();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0); /* nobody answers sv[1] */
	xpc_connection_t c = xpc_connection_create_from_fd(sv[0]);
	xpc_connection_set_event_handler_f(c, final_event);
	xpc_connection_activate(c);
	xpc_object_t msg = numbered(1);
	xpc_connection_send_message_with_reply_f(c, msg, NULL, final_reply);
	xpc_connection_send_message_with_reply_f(c, msg, NULL, final_reply);
	xpc_release(msg);
	xpc_connection_cancel(c);
	xpc_connection_send_barrier_f(c, NULL, final_barrier); /* after the end: it still runs, last */
	assert_int_equal(wait_count(&seen.norder, 4), 4);
	assert_int_equal(seen.order[0], 1);
	assert_int_equal(seen.order[1], 1);
	assert_int_equal(seen.order[2], 2);
	assert_int_equal(seen.order[3], 3);
	assert_int_equal(seen.on_main, 0);
	xpc_release(c);
	close(sv[1]);
}

static int held;
static void count_held(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	enter();
	if (xpc_get_type(ev) == XPC_TYPE_DICTIONARY) {
		pthread_mutex_lock(&lock);
		if (xpc_dictionary_get_int64(ev, "n") != held)
			seen.out_of_order++;
		held++;
		pthread_mutex_unlock(&lock);
	}
	leave();
}

static void a_suspended_connection_gets_its_messages_after_resume_in_order(void **state)
{
	(void)state;
	reset();
	held = 0;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	xpc_connection_t server = xpc_connection_create_from_fd(sv[1]);
	xpc_connection_set_event_handler_f(server, count_held);
	xpc_connection_activate(server);
	xpc_connection_suspend(server);
	xpc_connection_t client = xpc_connection_create_from_fd(sv[0]);
	xpc_connection_set_event_handler_f(client, ignore);
	xpc_connection_activate(client);
	for (int i = 0; i < 20; i++) {
		xpc_object_t msg = numbered(i);
		xpc_connection_send_message(client, msg);
		xpc_release(msg);
	}
	/* a round trip on another connection: libxpc's thread has polled at least once since the sends */
	xpc_connection_t s2, c2 = echo_pair(&s2, echo_event);
	xpc_object_t ping = numbered(0), pong = xpc_connection_send_message_with_reply_sync(c2, ping);
	assert_ptr_equal(xpc_get_type(pong), XPC_TYPE_DICTIONARY);
	pthread_mutex_lock(&lock);
	int while_suspended = held;
	pthread_mutex_unlock(&lock);
	assert_int_equal(while_suspended, 0);
	xpc_connection_resume(server);
	assert_int_equal(wait_count(&held, 20), 20);
	assert_int_equal(seen.out_of_order, 0);
	xpc_release(ping);
	xpc_release(pong);
	xpc_connection_t all[] = {server, client, s2, c2};
	for (size_t i = 0; i < 4; i++) {
		xpc_connection_cancel(all[i]);
		xpc_release(all[i]);
	}
}

/* A handler (on libxpc's thread) that asks a second server synchronously before it answers. */
static xpc_connection_t backend;
static void forwarding_event(void *ctx, xpc_object_t ev)
{
	xpc_connection_t conn = ctx;
	if (xpc_get_type(ev) != XPC_TYPE_DICTIONARY)
		return;
	xpc_object_t ask = numbered(xpc_dictionary_get_int64(ev, "n") * 10);
	xpc_object_t answer = xpc_connection_send_message_with_reply_sync_timeout(backend, ask, DEADLINE_S * 1000);
	xpc_object_t reply = xpc_dictionary_create_reply(ev);
	xpc_dictionary_set_int64(reply, "n", xpc_dictionary_get_int64(answer, "n"));
	xpc_connection_send_message(conn, reply);
	xpc_release(reply);
	xpc_release(answer);
	xpc_release(ask);
}

static void a_handler_may_wait_synchronously_on_another_connection(void **state)
{
	(void)state;
	reset();
	xpc_connection_t backend_server;
	backend = echo_pair(&backend_server, echo_event);
	xpc_connection_t front_server, client = echo_pair(&front_server, forwarding_event);
	for (int64_t i = 1; i <= 20; i++) {
		xpc_object_t msg = numbered(i);
		xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(client, msg, DEADLINE_S * 1000);
		assert_int_equal(xpc_dictionary_get_int64(reply, "n"), i * 10);
		xpc_release(reply);
		xpc_release(msg);
	}
	xpc_connection_t all[] = {backend, backend_server, front_server, client};
	for (size_t i = 0; i < 4; i++) {
		xpc_connection_cancel(all[i]);
		xpc_release(all[i]);
	}
}

/* Several threads send on one connection at once; every reply reaches the handler of its own request. */
struct sender {
	xpc_connection_t conn;
	int base, matched;
};

static void count_match(void *ctx, xpc_object_t reply)
{
	struct sender *s = ctx;
	pthread_mutex_lock(&lock);
	if (xpc_get_type(reply) == XPC_TYPE_DICTIONARY && xpc_dictionary_get_int64(reply, "n") / 1000 == s->base)
		s->matched++;
	seen.replies++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void *send_many(void *arg)
{
	struct sender *s = arg;
	for (int i = 0; i < 200; i++) {
		xpc_object_t msg = numbered(s->base * 1000 + i);
		if (i % 4 == 3) { /* some synchronous, most not */
			xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(s->conn, msg, DEADLINE_S * 1000);
			count_match(s, reply);
			xpc_release(reply);
		} else {
			xpc_connection_send_message_with_reply_f(s->conn, msg, s, count_match);
		}
		xpc_release(msg);
	}
	return NULL;
}

static void many_threads_may_send_on_one_connection(void **state)
{
	(void)state;
	reset();
	xpc_connection_t server, client = echo_pair(&server, echo_event);
	struct sender senders[8];
	pthread_t threads[8];
	for (int i = 0; i < 8; i++) {
		senders[i] = (struct sender){.conn = client, .base = i + 1};
		assert_int_equal(pthread_create(&threads[i], NULL, send_many, &senders[i]), 0);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(wait_count(&seen.replies, 1600), 1600);
	for (int i = 0; i < 8; i++)
		assert_int_equal(senders[i].matched, 200);
	xpc_connection_cancel(client);
	xpc_connection_cancel(server);
	xpc_release(client);
	xpc_release(server);
}

/* A caller-driven connection runs on its driver's thread while libxpc's thread runs the others. */
static int caller_replies, caller_off_main;
static void caller_reply(void *ctx, xpc_object_t reply)
{
	(void)ctx;
	if (xpc_get_type(reply) == XPC_TYPE_DICTIONARY)
		caller_replies++;
	if (!pthread_equal(pthread_self(), main_thread))
		caller_off_main++;
}

static void caller_driven_connections_run_on_their_driver_beside_the_thread(void **state)
{
	(void)state;
	reset();
	caller_replies = caller_off_main = 0;
	xpc_connection_t server, threaded = echo_pair(&server, echo_event); /* libxpc's thread answers */
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	xpc_connection_t caller = xpc_connection_create_from_fd(sv[0]);
	xpc_connection_set_target_queue(caller, XPC_QUEUE_CALLER);
	xpc_connection_set_event_handler_f(caller, ignore);
	xpc_connection_activate(caller);
	xpc_connection_t caller_server = xpc_connection_create_from_fd(sv[1]); /* threaded: answers on the thread */
	xpc_connection_set_context(caller_server, caller_server);
	xpc_connection_set_event_handler_f(caller_server, echo_event);
	xpc_connection_activate(caller_server);
	for (int i = 0; i < 50; i++) {
		xpc_object_t msg = numbered(i);
		xpc_connection_send_message_with_reply_f(caller, msg, NULL, caller_reply);
		xpc_connection_send_message_with_reply_f(threaded, msg, (void *)(intptr_t)i, expect_reply);
		xpc_release(msg);
	}
	time_t end = time(NULL) + DEADLINE_S;
	while (caller_replies < 50 && time(NULL) < end)
		assert_true(xpc_run_once(1000) >= 0);
	assert_int_equal(caller_replies, 50);
	assert_int_equal(caller_off_main, 0);
	assert_int_equal(wait_count(&seen.replies, 50), 50);
	assert_int_equal(seen.on_main, 0);
	xpc_connection_t all[] = {server, threaded, caller, caller_server};
	for (size_t i = 0; i < 4; i++) {
		xpc_connection_cancel(all[i]);
		xpc_release(all[i]);
	}
	xpc_run_once(0); /* the caller-driven connection's final event */
}

int main(void)
{
	main_thread = pthread_self();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handlers_run_on_libxpc_thread_in_order),
		cmocka_unit_test(sync_from_another_thread_is_answered_by_libxpc_thread),
		cmocka_unit_test(cancel_from_main_runs_the_final_calls_on_libxpc_thread),
		cmocka_unit_test(a_suspended_connection_gets_its_messages_after_resume_in_order),
		cmocka_unit_test(a_handler_may_wait_synchronously_on_another_connection),
		cmocka_unit_test(many_threads_may_send_on_one_connection),
		cmocka_unit_test(caller_driven_connections_run_on_their_driver_beside_the_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
