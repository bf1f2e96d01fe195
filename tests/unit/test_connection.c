/*
 * Unit tests of libxpc connections over a real SOCK_SEQPACKET socketpair:
 * request/reply (asynchronous through the dispatch interface, and
 * synchronous against a server in a child process), kernel-attested sender
 * credentials, descriptor passing, fragmentation of large messages, hostile
 * bytes on the wire, timeouts and cancel, peer requirements, endpoints of
 * anonymous listeners, barriers and the run loop.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xpc/xpc.h>

struct server {
	xpc_connection_t conn;
	int messages;
	int invalid;
	pid_t pid;
	uid_t uid;
	char cause[256];
};

/* These tests drive their connections themselves (XPC_QUEUE_CALLER); test_threads.c covers libxpc's thread. */
static xpc_connection_t caller_from_fd(int fd)
{
	xpc_connection_t c = xpc_connection_create_from_fd(fd);
	xpc_connection_set_target_queue(c, XPC_QUEUE_CALLER);
	return c;
}

static xpc_connection_t caller_from_endpoint(xpc_endpoint_t endpoint)
{
	xpc_connection_t c = xpc_connection_create_from_endpoint(endpoint);
	xpc_connection_set_target_queue(c, XPC_QUEUE_CALLER);
	return c;
}

/* Echoes "value", reports the sender's credentials, and writes into a passed descriptor. */
static void server_event(void *ctx, xpc_object_t ev)
{
	struct server *s = ctx;
	if (xpc_get_type(ev) == XPC_TYPE_ERROR) {
		assert_ptr_equal(ev, XPC_ERROR_CONNECTION_INVALID); /* Apple's object itself: ported code compares with == */
		s->invalid++;
		char *cause = xpc_connection_copy_invalidation_reason(s->conn);
		snprintf(s->cause, sizeof(s->cause), "%s", cause ? cause : "");
		free(cause);
		return;
	}
	s->messages++;
	xpc_dictionary_get_sender(ev, &s->pid, &s->uid, NULL);
	int fd = xpc_dictionary_dup_fd(ev, "pipe");
	if (fd >= 0) {
		if (write(fd, "via fd", 6) != 6)
			fail_msg("write to passed descriptor failed");
		close(fd);
	}
	xpc_object_t reply = xpc_dictionary_create_reply(ev);
	if (!reply)
		return;
	xpc_dictionary_set_value(reply, "value", xpc_dictionary_get_value(ev, "value"));
	xpc_dictionary_set_int64(reply, "sender_pid", s->pid);
	xpc_connection_send_message(xpc_dictionary_get_remote_connection(ev), reply);
	xpc_release(reply);
}

struct reply_slot {
	xpc_object_t reply;
};

static void on_reply(void *ctx, xpc_object_t reply)
{
	struct reply_slot *slot = ctx;
	slot->reply = xpc_retain(reply);
}

static void pair(xpc_connection_t *client, struct server *srv)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	*client = caller_from_fd(sv[0]);
	memset(srv, 0, sizeof(*srv));
	srv->conn = caller_from_fd(sv[1]);
	xpc_connection_set_context(srv->conn, srv);
	xpc_connection_set_event_handler_f(srv->conn, server_event);
	xpc_connection_activate(srv->conn);
	xpc_connection_activate(*client);
}

static void unpair(xpc_connection_t client, struct server *srv)
{
	xpc_connection_cancel(client);
	xpc_connection_cancel(srv->conn);
	xpc_release((xpc_object_t)client);
	xpc_release((xpc_object_t)srv->conn);
}

/* Drives both ends through the foreign-loop interface until the reply arrived. */
static void pump(xpc_connection_t client, struct server *srv, struct reply_slot *slot)
{
	for (int i = 0; i < 10000 && !slot->reply; i++) {
		struct pollfd p[2] = {
			{.fd = xpc_connection_get_fd(client), .events = POLLIN | (xpc_connection_wants_write(client) ? POLLOUT : 0)},
			{.fd = xpc_connection_get_fd(srv->conn), .events = POLLIN | (xpc_connection_wants_write(srv->conn) ? POLLOUT : 0)},
		};
		assert_true(poll(p, 2, 5000) > 0);
		xpc_connection_dispatch(client);
		xpc_connection_dispatch(srv->conn);
	}
	assert_non_null(slot->reply);
}

static void test_async_reply_credentials_and_fd(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	int p[2];
	assert_int_equal(pipe(p), 0);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(msg, "value", "ping");
	xpc_dictionary_set_fd(msg, "pipe", p[1]);
	close(p[1]);
	struct reply_slot slot = {NULL};
	xpc_connection_send_message_with_reply_f(client, msg, &slot, on_reply);
	xpc_release(msg);
	pump(client, &srv, &slot);
	assert_string_equal(xpc_dictionary_get_string(slot.reply, "value"), "ping");
	assert_int_equal(srv.pid, getpid());
	assert_int_equal(srv.uid, getuid());
	assert_int_equal(xpc_connection_get_pid(srv.conn), getpid());
	char buf[16] = "";
	assert_int_equal(read(p[0], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "via fd", 6);
	close(p[0]);
	xpc_release(slot.reply);
	unpair(client, &srv);
}

/* A message that cannot be encoded is an error its sender sees; the connection stays usable. */
static void test_unencodable_message_is_an_error_not_a_drop(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_value(msg, "conn", (xpc_object_t)client); /* connections travel as endpoints only */
	struct reply_slot slot = {NULL};
	xpc_connection_send_message_with_reply_f(client, msg, &slot, on_reply);
	assert_non_null(slot.reply); /* answered at once, not after a timeout */
	assert_ptr_equal(xpc_get_type(slot.reply), XPC_TYPE_ERROR);
	assert_int_equal(xpc_error_get_code(slot.reply), EINVAL);
	assert_non_null(strstr(xpc_error_get_cause(slot.reply), "holds a connection"));
	xpc_release(slot.reply);
	slot.reply = NULL;
	xpc_object_t sync = xpc_connection_send_message_with_reply_sync(client, msg);
	assert_int_equal(xpc_error_get_code(sync), EINVAL);
	xpc_release(sync);
	xpc_dictionary_set_value(msg, "conn", NULL);
	xpc_dictionary_set_string(msg, "value", "still works");
	xpc_connection_send_message_with_reply_f(client, msg, &slot, on_reply);
	xpc_release(msg);
	pump(client, &srv, &slot);
	assert_string_equal(xpc_dictionary_get_string(slot.reply, "value"), "still works");
	assert_int_equal(srv.invalid, 0);
	xpc_release(slot.reply);
	unpair(client, &srv);
}

static void test_large_message_is_fragmented(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	size_t n = 3 * 1024 * 1024 + 17; /* far beyond one packet and the socket buffer */
	unsigned char *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 31);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_data(msg, "value", big, n);
	struct reply_slot slot = {NULL};
	xpc_connection_send_message_with_reply_f(client, msg, &slot, on_reply);
	xpc_release(msg);
	pump(client, &srv, &slot);
	size_t got;
	const void *data = xpc_dictionary_get_data(slot.reply, "value", &got);
	assert_int_equal(got, n);
	assert_memory_equal(data, big, n);
	free(big);
	xpc_release(slot.reply);
	unpair(client, &srv);
}

static void test_sync_reply_from_another_process(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(sv[0]);
		struct server srv = {0};
		srv.conn = caller_from_fd(sv[1]);
		xpc_connection_set_context(srv.conn, &srv);
		xpc_connection_set_event_handler_f(srv.conn, server_event);
		xpc_connection_activate(srv.conn);
		while (!srv.invalid) {
			struct pollfd p = {.fd = xpc_connection_get_fd(srv.conn), .events = POLLIN};
			if (poll(&p, 1, 10000) <= 0)
				_exit(2);
			xpc_connection_dispatch(srv.conn);
		}
		_exit(0);
	}
	close(sv[1]);
	xpc_connection_t c = caller_from_fd(sv[0]);
	xpc_connection_activate(c);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_int64(msg, "value", 42);
	xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(c, msg, 10000);
	assert_ptr_equal(xpc_get_type(reply), XPC_TYPE_DICTIONARY);
	assert_int_equal(xpc_dictionary_get_int64(reply, "value"), 42);
	assert_int_equal(xpc_dictionary_get_int64(reply, "sender_pid"), getpid()); /* attested by the kernel */
	pid_t replier = 0;
	assert_true(xpc_dictionary_get_sender(reply, &replier, NULL, NULL));
	assert_int_equal(replier, child); /* per message, not the socket's creator */
	xpc_release(reply);
	xpc_release(msg);
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_garbage_closes_with_cause(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	struct server srv = {0};
	srv.conn = caller_from_fd(sv[1]);
	xpc_connection_set_context(srv.conn, &srv);
	xpc_connection_set_event_handler_f(srv.conn, server_event);
	xpc_connection_activate(srv.conn);
	assert_int_equal(write(sv[0], "GET / HTTP/1.0\r\n\r\n", 18), 18);
	xpc_connection_dispatch(srv.conn);
	assert_int_equal(srv.messages, 0);
	assert_int_equal(srv.invalid, 1);
	assert_non_null(strstr(srv.cause, "bad frame header"));
	xpc_connection_dispatch(srv.conn); /* nothing more is delivered */
	assert_int_equal(srv.invalid, 1);
	close(sv[0]);
	xpc_release((xpc_object_t)srv.conn);
}

static void test_timeout_and_cancel(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv); /* the server is never dispatched: no reply comes */
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_object_t r = xpc_connection_send_message_with_reply_sync_timeout(client, msg, 50);
	assert_ptr_equal(xpc_get_type(r), XPC_TYPE_ERROR);
	assert_int_equal(xpc_error_get_code(r), ETIMEDOUT);
	xpc_release(r);
	xpc_connection_cancel(srv.conn);
	assert_int_equal(srv.invalid, 1);
	xpc_connection_cancel(srv.conn);
	assert_int_equal(srv.invalid, 1); /* exactly one final INVALID */
	r = xpc_connection_send_message_with_reply_sync_timeout(client, msg, 5000);
	assert_ptr_equal(r, XPC_ERROR_CONNECTION_INVALID);
	char *why = xpc_connection_copy_invalidation_reason(client);
	assert_non_null(strstr(why, "closed"));
	free(why);
	xpc_release(msg);
	xpc_release((xpc_object_t)client);
	xpc_release((xpc_object_t)srv.conn);
}

static xpc_object_t requirement(int64_t uid, const char *exe)
{
	xpc_object_t r = xpc_dictionary_create_empty();
	xpc_dictionary_set_int64(r, "uid", uid);
	if (exe)
		xpc_dictionary_set_string(r, "executable", exe);
	return r;
}

static char *self_exe(void)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	return exe;
}

static void test_requirement_met_delivers(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	xpc_object_t req = requirement(getuid(), self_exe());
	assert_int_equal(xpc_connection_set_peer_requirement(srv.conn, req), 0);
	assert_int_equal(xpc_connection_set_peer_requirement(srv.conn, req), EALREADY);
	xpc_release(req);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(msg, "value", "ok");
	struct reply_slot slot = {NULL};
	xpc_connection_send_message_with_reply_f(client, msg, &slot, on_reply);
	xpc_release(msg);
	pump(client, &srv, &slot);
	assert_int_equal(srv.messages, 1);
	assert_string_equal(xpc_dictionary_get_string(slot.reply, "value"), "ok");
	xpc_release(slot.reply);
	unpair(client, &srv);
}

static bool delivered_with(xpc_object_t req, char *why, size_t len);

static void test_failing_client_is_dropped(void **state)
{
	(void)state;
	char why[512];
	xpc_object_t req = requirement(getuid(), "/usr/bin/not-this-program");
	assert_false(delivered_with(req, why, sizeof(why))); /* dropped before the handler */
	assert_non_null(strstr(why, "not /usr/bin/not-this-program"));
	xpc_release(req);
}

static void test_failing_server_reply_becomes_error(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	xpc_object_t req = requirement((int64_t)getuid() + 4242, NULL); /* the server runs as us: fails */
	assert_int_equal(xpc_connection_set_peer_requirement(client, req), 0);
	xpc_release(req);
	xpc_object_t bad = xpc_dictionary_create_empty();
	xpc_dictionary_set_bool(bad, "uid", true);
	assert_int_equal(xpc_connection_set_peer_requirement(srv.conn, bad), EINVAL);
	xpc_release(bad);
	xpc_object_t msg = xpc_dictionary_create_empty();
	struct reply_slot slot = {NULL};
	xpc_connection_send_message_with_reply_f(client, msg, &slot, on_reply);
	xpc_release(msg);
	pump(client, &srv, &slot);
	assert_ptr_equal(slot.reply, XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT);
	assert_int_equal(srv.messages, 1);
	unpair(client, &srv);
}

/*
 * The PID-reuse attack: a sender sends, exits, and its pid could then be
 * taken by a program that meets the requirement before the message is
 * checked. The check must refuse a message whose sender is gone, even when
 * the executable requirement names the very program that sent it.
 */
static void test_message_from_exited_sender_is_refused(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	struct server srv = {0};
	srv.conn = caller_from_fd(sv[1]);
	xpc_connection_set_context(srv.conn, &srv);
	xpc_connection_set_event_handler_f(srv.conn, server_event);
	xpc_object_t req = requirement(getuid(), self_exe());
	assert_int_equal(xpc_connection_set_peer_requirement(srv.conn, req), 0);
	xpc_release(req);
	xpc_connection_activate(srv.conn);
	pid_t child = fork();
	if (child == 0) {
		xpc_connection_t c = caller_from_fd(sv[0]);
		xpc_connection_activate(c);
		xpc_object_t m = xpc_dictionary_create_empty();
		xpc_connection_send_message(c, m);
		_exit(0);
	}
	assert_int_equal(waitpid(child, NULL, 0), child); /* gone and reaped: its pid is free for reuse */
	close(sv[0]);
	xpc_connection_dispatch(srv.conn);
	assert_int_equal(srv.messages, 0);
	char *why = xpc_connection_copy_peer_requirement_failure(srv.conn);
	assert_non_null(why);
	/* The kernel reports a dead sender as pid 0 (or the pidfd shows it gone): refused either way. */
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %d", (int)child);
	if (!strstr(why, pid) && !strstr(why, "pid 0"))
		fail_msg("unexpected reason: %s", why);
	free(why);
	xpc_release((xpc_object_t)srv.conn);
}

/* A connection that could not be opened answers a request with an error naming the cause. */
static void assert_fails_with(xpc_connection_t c, const char *cause)
{
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_object_t r = xpc_connection_send_message_with_reply_sync(c, msg);
	assert_ptr_equal(r, XPC_ERROR_CONNECTION_INVALID);
	char *why = xpc_connection_copy_invalidation_reason(c);
	if (!why || !strstr(why, cause))
		fail_msg("cause \"%s\" lacks \"%s\"", why ? why : "(none)", cause);
	free(why);
	xpc_release(msg);
	xpc_release((xpc_object_t)c);
}

static void test_connect_failure_names_path(void **state)
{
	(void)state;
	assert_fails_with(xpc_connection_create_socket("/nonexistent/gantry.sock", 0),
		"connect to /nonexistent/gantry.sock: No such file or directory");
}

/* The SHA-256 of a file, from coreutils' sha256sum (an independent implementation). */
static void sha256sum(const char *path, char out[65])
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%64s", out), 1);
	pclose(f);
}

/* Sends an empty message and lets the server handle what arrived. */
static void send_and_dispatch(xpc_connection_t client, struct server *srv)
{
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_connection_send_message(client, msg);
	xpc_release(msg);
	struct pollfd p = {.fd = xpc_connection_get_fd(srv->conn), .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	xpc_connection_dispatch(srv->conn);
}

/* Sends one message and reports whether the server's handler got it, and why not. */
static bool delivered_with(xpc_object_t req, char *why, size_t len)
{
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	assert_int_equal(xpc_connection_set_peer_requirement(srv.conn, req), 0);
	send_and_dispatch(client, &srv);
	char *failure = xpc_connection_copy_peer_requirement_failure(srv.conn);
	snprintf(why, len, "%s", failure ? failure : "");
	free(failure);
	bool ok = srv.messages == 1;
	unpair(client, &srv);
	return ok;
}

static void test_requirement_sha256(void **state)
{
	(void)state;
	char hex[65], why[512];
	sha256sum(self_exe(), hex);
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, "sha256", hex);
	assert_true(delivered_with(req, why, sizeof(why)));
	xpc_release(req);
	hex[0] = hex[0] == '0' ? '1' : '0'; /* any other digest */
	req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, "sha256", hex);
	assert_false(delivered_with(req, why, sizeof(why)));
	assert_non_null(strstr(why, "with SHA-256"));
	xpc_release(req);
	req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, "sha256", "ABCD"); /* not 64 lowercase hex digits */
	xpc_connection_t c = xpc_connection_create(NULL, XPC_QUEUE_CALLER);
	assert_int_equal(xpc_connection_set_peer_requirement(c, req), EINVAL);
	xpc_release(req);
	req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, "launchd-job", "com.example.x"); /* a job needs its domain */
	assert_int_equal(xpc_connection_set_peer_requirement(c, req), EINVAL);
	xpc_release(req);
	xpc_release((xpc_object_t)c);
}

static void test_requirement_bundle_identifier_outside_bundle(void **state)
{
	(void)state;
	char why[512];
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, "bundle-identifier", "com.example.app");
	assert_false(delivered_with(req, why, sizeof(why)));
	assert_non_null(strstr(why, "is not inside an app bundle"));
	xpc_release(req);
}

struct counter {
	int peers, messages, invalid;
	xpc_connection_t last_peer;
};

static void count_event(void *ctx, xpc_object_t ev)
{
	struct counter *n = ctx;
	if (xpc_get_type(ev) == XPC_TYPE_DICTIONARY)
		n->messages++;
	else if (ev == XPC_ERROR_CONNECTION_INVALID || xpc_get_type(ev) == XPC_TYPE_ERROR)
		n->invalid++;
}

/* An anonymous listener's peers: set up, activated and not retained (the run loop keeps them). */
static void on_anonymous_peer(void *ctx, xpc_object_t ev)
{
	struct counter *n = ctx;
	if (xpc_get_type(ev) != XPC_TYPE_CONNECTION)
		return;
	xpc_connection_t peer = (xpc_connection_t)ev;
	n->peers++;
	n->last_peer = peer;
	xpc_connection_set_context(peer, n);
	xpc_connection_set_event_handler_f(peer, count_event);
	xpc_connection_activate(peer);
}

static void run_until(int *value, int want)
{
	for (int i = 0; i < 1000 && *value < want; i++)
		assert_true(xpc_run_once(5000) >= 0);
	assert_int_equal(*value, want);
}

static void test_endpoint_travels_and_connects(void **state)
{
	(void)state;
	struct counter n = {0};
	xpc_connection_t listener = xpc_connection_create(NULL, XPC_QUEUE_CALLER);
	xpc_connection_set_context(listener, &n);
	xpc_connection_set_event_handler_f(listener, on_anonymous_peer);
	xpc_connection_activate(listener);
	xpc_endpoint_t ep = xpc_endpoint_create(listener);
	assert_ptr_equal(xpc_get_type(ep), XPC_TYPE_ENDPOINT);
	/* The endpoint crosses a connection like any value ... */
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_value(msg, "value", ep); /* the server echoes "value" */
	struct reply_slot slot = {NULL};
	xpc_connection_send_message_with_reply_f(client, msg, &slot, on_reply);
	xpc_release(msg);
	pump(client, &srv, &slot);
	xpc_endpoint_t received = xpc_dictionary_get_value(slot.reply, "value");
	assert_ptr_equal(xpc_get_type(received), XPC_TYPE_ENDPOINT);
	/* ... and whoever holds it can connect; the peer lives on without our reference. */
	struct counter mine = {0};
	xpc_connection_t c = caller_from_endpoint(received);
	xpc_connection_set_context(c, &mine);
	xpc_connection_set_event_handler_f(c, count_event);
	xpc_connection_activate(c);
	xpc_object_t hello = xpc_dictionary_create_empty();
	xpc_connection_send_message(c, hello);
	run_until(&n.peers, 1);
	run_until(&n.messages, 1);
	xpc_release(slot.reply);
	unpair(client, &srv);
	/* Cancelling the listener's peer ends it with INVALID; the run loop then lets it go. */
	xpc_connection_cancel(n.last_peer);
	assert_int_equal(n.invalid, 1);
	/* Once the listener is cancelled, the endpoint leads nowhere, and says so. */
	xpc_connection_cancel(listener);
	xpc_connection_t late = caller_from_endpoint(ep);
	xpc_object_t r = xpc_connection_send_message_with_reply_sync_timeout(late, hello, 5000);
	assert_ptr_equal(r, XPC_ERROR_CONNECTION_INVALID);
	char *why = xpc_connection_copy_invalidation_reason(late);
	assert_non_null(strstr(why, "listener is gone"));
	free(why);
	xpc_release(hello);
	xpc_release((xpc_object_t)late);
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	xpc_release(ep);
	xpc_release((xpc_object_t)listener);
}

static void barrier_ran(void *ctx)
{
	(*(int *)ctx)++;
}

static void test_barrier_waits_for_queued_messages(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	int ran = 0;
	xpc_connection_send_barrier_f(client, &ran, barrier_ran);
	assert_int_equal(ran, 1); /* nothing queued: at once */
	/* Fill the socket so that messages queue in the connection. */
	xpc_object_t msg = xpc_dictionary_create_empty();
	char blob[8192] = {0};
	xpc_dictionary_set_data(msg, "blob", blob, sizeof(blob));
	for (int i = 0; i < 200 && !xpc_connection_wants_write(client); i++)
		xpc_connection_send_message(client, msg);
	assert_true(xpc_connection_wants_write(client));
	xpc_connection_send_barrier_f(client, &ran, barrier_ran);
	assert_int_equal(ran, 1); /* still queued */
	int sent = srv.messages;
	for (int i = 0; i < 10000 && ran < 2; i++) {
		struct pollfd p[2] = {
			{.fd = xpc_connection_get_fd(client), .events = POLLOUT},
			{.fd = xpc_connection_get_fd(srv.conn), .events = POLLIN},
		};
		assert_true(poll(p, 2, 5000) > 0);
		xpc_connection_dispatch(srv.conn);
		xpc_connection_dispatch(client);
	}
	assert_int_equal(ran, 2);
	assert_false(xpc_connection_wants_write(client));
	assert_true(srv.messages > sent);
	xpc_release(msg);
	unpair(client, &srv);
}

static void test_suspend_holds_messages_until_resume(void **state)
{
	(void)state;
	xpc_connection_t client;
	struct server srv;
	pair(&client, &srv);
	xpc_connection_suspend(srv.conn);
	xpc_connection_suspend(srv.conn); /* suspensions count */
	send_and_dispatch(client, &srv);
	assert_int_equal(srv.messages, 0);
	xpc_connection_resume(srv.conn);
	xpc_connection_dispatch(srv.conn);
	assert_int_equal(srv.messages, 0); /* still suspended once */
	xpc_connection_resume(srv.conn);
	xpc_connection_dispatch(srv.conn);
	assert_int_equal(srv.messages, 1);
	unpair(client, &srv);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async_reply_credentials_and_fd),
		cmocka_unit_test(test_large_message_is_fragmented),
		cmocka_unit_test(test_unencodable_message_is_an_error_not_a_drop),
		cmocka_unit_test(test_sync_reply_from_another_process),
		cmocka_unit_test(test_garbage_closes_with_cause),
		cmocka_unit_test(test_timeout_and_cancel),
		cmocka_unit_test(test_connect_failure_names_path),
		cmocka_unit_test(test_requirement_met_delivers),
		cmocka_unit_test(test_failing_client_is_dropped),
		cmocka_unit_test(test_failing_server_reply_becomes_error),
		cmocka_unit_test(test_message_from_exited_sender_is_refused),
		cmocka_unit_test(test_requirement_sha256),
		cmocka_unit_test(test_requirement_bundle_identifier_outside_bundle),
		cmocka_unit_test(test_endpoint_travels_and_connects),
		cmocka_unit_test(test_barrier_waits_for_queued_messages),
		cmocka_unit_test(test_suspend_holds_messages_until_resume),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
