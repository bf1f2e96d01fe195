/*
 * bench helper for libxpc (issue 3 targets), one measurement per invocation:
 *   rtt-raw N | rtt-xpc N | rtt-sdbus N   round trip of a 64-byte message and its reply
 *                                           between two processes; prints median and p99 (µs)
 *   tput-raw N | tput-xpc N                 one-way messages on one connection; prints msgs/s
 *   idle-mem N                              user-space bytes per idle, activated peer connection
 *   first NAME N                            first message to a not-running launchd service,
 *                                           spawn and check-in included; median and p99 (ms)
 * Peers use a SOCK_SEQPACKET socketpair; sd-bus runs peer to peer (no bus daemon).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>
#include <xpc/xpc.h>

#define PAYLOAD 64

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report_latency(const char *what, double *samples, int n, const char *unit, double scale)
{
	qsort(samples, (size_t)n, sizeof(double), cmp_double);
	printf("%s median=%.2f p99=%.2f %s\n", what, samples[n / 2] / scale, samples[(int)(n * 0.99)] / scale, unit);
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
}

/* --- raw socket ------------------------------------------------------------ */

static int rtt_raw(int n)
{
	int sv[2];
	char buf[PAYLOAD] = {0};
	pair(sv);
	if (fork() == 0) {
		close(sv[0]);
		ssize_t r;
		while ((r = recv(sv[1], buf, sizeof(buf), 0)) > 0)
			if (send(sv[1], buf, (size_t)r, 0) < 0)
				break;
		_exit(0);
	}
	close(sv[1]);
	double *s = malloc(sizeof(double) * (size_t)n);
	for (int i = 0; i < n; i++) {
		double t = now_us();
		if (send(sv[0], buf, sizeof(buf), 0) < 0 || recv(sv[0], buf, sizeof(buf), 0) <= 0)
			return 1;
		s[i] = now_us() - t;
	}
	close(sv[0]);
	wait(NULL);
	report_latency("rtt-raw", s, n, "us", 1);
	return 0;
}

static int tput_raw(int n)
{
	int sv[2];
	char buf[PAYLOAD] = {0};
	pair(sv);
	if (fork() == 0) {
		close(sv[0]);
		for (int i = 0; i < n; i++)
			if (recv(sv[1], buf, sizeof(buf), 0) <= 0)
				_exit(1);
		send(sv[1], buf, 1, 0);
		_exit(0);
	}
	close(sv[1]);
	double t = now_us();
	for (int i = 0; i < n; i++)
		if (send(sv[0], buf, sizeof(buf), 0) < 0)
			return 1;
	recv(sv[0], buf, sizeof(buf), 0);
	double secs = (now_us() - t) / 1e6;
	wait(NULL);
	printf("tput-raw %.0f msgs/s\n", n / secs);
	return 0;
}

/* --- libxpc ---------------------------------------------------------------- */

static long received;
static long expected;

static void echo_handler(void *ctx, xpc_object_t msg)
{
	(void)ctx;
	if (xpc_get_type(msg) != XPC_TYPE_DICTIONARY)
		exit(0); /* the client went away */
	received++;
	xpc_object_t reply = xpc_dictionary_create_reply(msg);
	if (!reply && received < expected)
		return;
	if (!reply) { /* the throughput run's last message: a one-way "done" */
		reply = xpc_dictionary_create_empty();
		xpc_dictionary_set_int64(reply, "received", received);
	}
	xpc_dictionary_set_value(reply, "data", xpc_dictionary_get_value(msg, "data"));
	xpc_connection_send_message(xpc_dictionary_get_remote_connection(msg), reply);
	xpc_release(reply);
}

static void serve_xpc(int fd)
{
	xpc_connection_t c = xpc_connection_create_from_fd(fd);
	xpc_connection_set_target_queue(c, XPC_QUEUE_CALLER);
	xpc_connection_set_event_handler_f(c, echo_handler);
	xpc_connection_activate(c);
	for (;;) {
		struct pollfd p = {.fd = xpc_connection_get_fd(c), .events = POLLIN | (xpc_connection_wants_write(c) ? POLLOUT : 0)};
		if (p.fd < 0 || poll(&p, 1, -1) < 0)
			_exit(0);
		xpc_connection_dispatch(c);
	}
}

static xpc_object_t message(void)
{
	char buf[PAYLOAD];
	memset(buf, 'x', sizeof(buf));
	xpc_object_t m = xpc_dictionary_create_empty();
	xpc_dictionary_set_data(m, "data", buf, sizeof(buf));
	return m;
}

static void ignore(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	(void)ev;
}

/* Forks an echo service that answers its expect-th one-way message; returns the client side (target: queue). */
static xpc_connection_t start_xpc_server(long expect, void *queue)
{
	int sv[2];
	pair(sv);
	expected = expect;
	if (fork() == 0) {
		close(sv[0]);
		serve_xpc(sv[1]);
	}
	close(sv[1]);
	xpc_connection_t c = xpc_connection_create_from_fd(sv[0]);
	xpc_connection_set_target_queue(c, queue);
	xpc_connection_set_event_handler_f(c, ignore);
	xpc_connection_activate(c);
	return c;
}

/* A reply handler on libxpc's thread hands the reply to the waiting main thread, as ported code does. */
static pthread_mutex_t reply_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reply_ready = PTHREAD_COND_INITIALIZER;
static xpc_object_t reply_slot;

static void hand_over(void *ctx, xpc_object_t reply)
{
	(void)ctx;
	pthread_mutex_lock(&reply_lock);
	reply_slot = xpc_retain(reply);
	pthread_cond_signal(&reply_ready);
	pthread_mutex_unlock(&reply_lock);
}

static xpc_object_t send_and_wait(xpc_connection_t c, xpc_object_t m)
{
	xpc_connection_send_message_with_reply_f(c, m, NULL, hand_over);
	pthread_mutex_lock(&reply_lock);
	while (!reply_slot)
		pthread_cond_wait(&reply_ready, &reply_lock);
	xpc_object_t r = reply_slot;
	reply_slot = NULL;
	pthread_mutex_unlock(&reply_lock);
	return r;
}

/*
 * Round trips: caller-driven (the synchronous receive on the caller's thread), or on libxpc's thread:
 * a synchronous send that libxpc's thread answers, or a reply handler there that wakes the caller.
 */
static int rtt_xpc(int n, const char *mode)
{
	bool threaded = strcmp(mode, "rtt-xpc") != 0, async = strcmp(mode, "rtt-xpc-thread-async") == 0;
	xpc_connection_t c = start_xpc_server(1L << 62, threaded ? NULL : XPC_QUEUE_CALLER);
	xpc_object_t m = message();
	double *s = malloc(sizeof(double) * (size_t)n);
	for (int i = 0; i < n; i++) {
		double t = now_us();
		xpc_object_t r = async ? send_and_wait(c, m) : xpc_connection_send_message_with_reply_sync(c, m);
		s[i] = now_us() - t;
		if (xpc_get_type(r) != XPC_TYPE_DICTIONARY)
			return 1;
		xpc_release(r);
	}
	xpc_release(m);
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	wait(NULL);
	report_latency(mode, s, n, "us", 1);
	return 0;
}

static int tput_xpc(int n)
{
	xpc_connection_t c = start_xpc_server(n, XPC_QUEUE_CALLER);
	xpc_object_t m = message();
	double t = now_us();
	for (int i = 0; i < n; i++) {
		xpc_connection_send_message(c, m);
		while (xpc_connection_wants_write(c)) { /* socket full: wait for the reader */
			struct pollfd p = {.fd = xpc_connection_get_fd(c), .events = POLLOUT};
			poll(&p, 1, -1);
			xpc_connection_dispatch(c);
		}
	}
	/* the service answers its n-th message: all arrived */
	struct pollfd p = {.fd = xpc_connection_get_fd(c), .events = POLLIN};
	poll(&p, 1, 60000);
	double secs = (now_us() - t) / 1e6;
	printf("tput-xpc %.0f msgs/s\n", n / secs);
	xpc_release(m);
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	wait(NULL);
	return 0;
}

/* --- sd-bus, peer to peer ---------------------------------------------------- */

static int ping(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	(void)userdata;
	(void)err;
	const char *s;
	int r = sd_bus_message_read(m, "s", &s);
	return r < 0 ? r : sd_bus_reply_method_return(m, "s", s);
}

static const sd_bus_vtable vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Ping", "s", "s", ping, 0),
	SD_BUS_VTABLE_END,
};

static int rtt_sdbus(int n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	if (fork() == 0) {
		sd_bus *bus;
		sd_id128_t id;
		close(sv[0]);
		sd_id128_randomize(&id);
		if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, sv[1], sv[1]) < 0 || sd_bus_set_server(bus, 1, id) < 0 ||
		    sd_bus_add_object_vtable(bus, NULL, "/bench", "org.gantry.Bench", vtable, NULL) < 0 ||
		    sd_bus_start(bus) < 0)
			_exit(1);
		for (;;) {
			int r = sd_bus_process(bus, NULL);
			if (r < 0)
				_exit(0);
			if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
				_exit(0);
		}
	}
	close(sv[1]);
	sd_bus *bus;
	if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, sv[0], sv[0]) < 0 || sd_bus_start(bus) < 0)
		return 1;
	char payload[PAYLOAD + 1];
	memset(payload, 'x', PAYLOAD);
	payload[PAYLOAD] = '\0';
	double *s = malloc(sizeof(double) * (size_t)n);
	for (int i = 0; i < n; i++) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;
		double t = now_us();
		int r = sd_bus_call_method(bus, NULL, "/bench", "org.gantry.Bench", "Ping", &err, &reply, "s", payload);
		s[i] = now_us() - t;
		if (r < 0) {
			fprintf(stderr, "sd-bus: %s\n", err.message ? err.message : strerror(-r));
			return 1;
		}
		sd_bus_message_unref(reply);
	}
	sd_bus_flush_close_unref(bus);
	wait(NULL);
	report_latency("rtt-sdbus", s, n, "us", 1);
	return 0;
}

/* --- memory per idle connection ---------------------------------------------- */

static long heap_bytes(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long pss = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Private_Dirty:", 14) == 0)
			pss = atol(line + 14) * 1024;
	if (f)
		fclose(f);
	return pss;
}


static int idle_mem(int n)
{
	xpc_connection_t *conns = calloc((size_t)n, sizeof(*conns));
	int *others = calloc((size_t)n, sizeof(int));
	long before = heap_bytes();
	for (int i = 0; i < n; i++) {
		int sv[2];
		pair(sv);
		others[i] = sv[1];
		conns[i] = xpc_connection_create_from_fd(sv[0]);
		xpc_connection_set_target_queue(conns[i], XPC_QUEUE_CALLER);
		xpc_connection_set_event_handler_f(conns[i], ignore);
		xpc_connection_activate(conns[i]);
	}
	long after = heap_bytes();
	printf("idle-mem %.0f bytes per connection (%d connections)\n", (double)(after - before) / n, n);
	return 0;
}

/* --- first message to a launchd service that is not running ----------------- */

static int first_message(const char *name, int n)
{
	double *s = malloc(sizeof(double) * (size_t)n);
	for (int i = 0; i < n; i++) {
		usleep(1100 * 1000); /* past launchd's one-second respawn floor since the last start */
		xpc_connection_t c = xpc_connection_create_mach_service(name, XPC_QUEUE_CALLER, 0);
		xpc_connection_set_event_handler_f(c, ignore);
		double t = now_us();
		xpc_connection_activate(c);
		xpc_object_t m = message();
		xpc_object_t r = xpc_connection_send_message_with_reply_sync_timeout(c, m, 20000);
		s[i] = now_us() - t;
		if (xpc_get_type(r) != XPC_TYPE_DICTIONARY) {
			char *why = xpc_connection_copy_invalidation_reason(c);
			fprintf(stderr, "first: %s\n", why ? why : "error");
			free(why);
			return 1;
		}
		xpc_release(r);
		xpc_dictionary_set_int64(m, "exit", 0); /* stop it again for the next round */
		xpc_connection_send_message(c, m);
		xpc_release(m);
		for (int k = 0; k < 1000 && xpc_connection_get_fd(c) >= 0; k++) {
			struct pollfd p = {.fd = xpc_connection_get_fd(c), .events = POLLIN};
			poll(&p, 1, 10);
			xpc_connection_dispatch(c); /* until the service is gone (INTERRUPTED) */
		}
		xpc_connection_cancel(c);
		xpc_release((xpc_object_t)c);
	}
	report_latency("first-message", s, n, "ms", 1000);
	return 0;
}

/*
 * One first message to the XPC service name of this process's app bundle (this binary, copied into one):
 * the lookup, launchd reading the bundle, creating the pid domain, spawning the service, its check-in and
 * the reply. One sample per process, as an app's first message is.
 */
static int first_bundled(const char *name)
{
	xpc_connection_t c = xpc_connection_create(name, XPC_QUEUE_CALLER);
	xpc_connection_set_event_handler_f(c, ignore);
	xpc_object_t m = message();
	double t = now_us();
	xpc_connection_activate(c);
	xpc_object_t r = xpc_connection_send_message_with_reply_sync_timeout(c, m, 20000);
	double us = now_us() - t;
	if (xpc_get_type(r) != XPC_TYPE_DICTIONARY) {
		char *why = xpc_connection_copy_invalidation_reason(c);
		fprintf(stderr, "first-bundled: %s\n", why ? why : "error");
		return 1;
	}
	printf("%.1f\n", us);
	xpc_release(r);
	xpc_release(m);
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: xpc_bench rtt-raw|rtt-xpc|rtt-sdbus|tput-raw|tput-xpc|idle-mem N | first NAME N\n");
		return 64;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "first") == 0)
		return argc == 4 ? first_message(argv[2], atoi(argv[3])) : 64;
	if (strcmp(mode, "first-bundled") == 0)
		return argc == 3 ? first_bundled(argv[2]) : 64;
	int n = atoi(argv[2]);
	if (strcmp(mode, "rtt-raw") == 0)
		return rtt_raw(n);
	if (strncmp(mode, "rtt-xpc", 7) == 0)
		return rtt_xpc(n, mode);
	if (strcmp(mode, "rtt-sdbus") == 0)
		return rtt_sdbus(n);
	if (strcmp(mode, "tput-raw") == 0)
		return tput_raw(n);
	if (strcmp(mode, "tput-xpc") == 0)
		return tput_xpc(n);
	if (strcmp(mode, "idle-mem") == 0)
		return idle_mem(n);
	fprintf(stderr, "xpc_bench: unknown mode %s\n", mode);
	return 64;
}
