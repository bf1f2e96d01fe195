/*
 * Test helper: a launchd job that checks in for a named service and answers
 * on it. Messages: {"seq": n} is recorded; {"report": true} is answered with
 * the recorded sequence numbers and this process's pid; {"echo": v} with v;
 * {"exit": code} exits. It drives its connections with poll() and
 * xpc_connection_dispatch(). With --ignore-term it ignores SIGTERM, and it
 * reports XPC_ERROR_TERMINATION_IMMINENT on stderr.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xpc/xpc.h>

#define MAX_PEERS 4096

static xpc_connection_t peers[MAX_PEERS];
static int npeers;
static xpc_object_t seqs;

static void on_message(void *ctx, xpc_object_t msg)
{
	(void)ctx;
	if (xpc_get_type(msg) != XPC_TYPE_DICTIONARY)
		return; /* a peer went away */
	if (xpc_dictionary_get_value(msg, "exit"))
		exit((int)xpc_dictionary_get_int64(msg, "exit"));
	if (xpc_dictionary_get_value(msg, "seq"))
		xpc_array_set_int64(seqs, XPC_ARRAY_APPEND, xpc_dictionary_get_int64(msg, "seq"));
	xpc_object_t reply = xpc_dictionary_create_reply(msg);
	if (!reply)
		return;
	xpc_dictionary_set_int64(reply, "pid", getpid());
	if (xpc_dictionary_get_bool(msg, "report"))
		xpc_dictionary_set_value(reply, "seqs", seqs);
	if (xpc_dictionary_get_value(msg, "echo"))
		xpc_dictionary_set_value(reply, "echo", xpc_dictionary_get_value(msg, "echo"));
	xpc_connection_send_message(xpc_dictionary_get_remote_connection(msg), reply);
	xpc_release(reply);
}

static void on_listener(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	if (xpc_get_type(ev) == XPC_TYPE_CONNECTION && npeers < MAX_PEERS) {
		xpc_connection_t peer = (xpc_connection_t)xpc_retain(ev);
		xpc_connection_set_event_handler_f(peer, on_message);
		xpc_connection_activate(peer);
		peers[npeers++] = peer;
	} else if (ev == XPC_ERROR_TERMINATION_IMMINENT) {
		fprintf(stderr, "termination imminent\n");
	} else if (xpc_get_type(ev) == XPC_TYPE_ERROR) {
		fprintf(stderr, "listener: %d: %s: %s\n", xpc_error_get_code(ev), xpc_error_get_description(ev),
			xpc_error_get_cause(ev) ? xpc_error_get_cause(ev) : "");
		exit(3);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "--ignore-term") == 0)
		signal(SIGTERM, SIG_IGN);
	else if (argc != 2) {
		fprintf(stderr, "usage: xpc-echo-service NAME [--ignore-term]\n");
		return 64;
	}
	seqs = xpc_array_create(NULL, 0);
	xpc_connection_t listener = xpc_connection_create_mach_service(argv[1], NULL, XPC_CONNECTION_MACH_SERVICE_LISTENER);
	xpc_connection_set_event_handler_f(listener, on_listener);
	xpc_connection_activate(listener);
	static struct pollfd p[MAX_PEERS + 1];
	static xpc_connection_t who[MAX_PEERS + 1];
	for (;;) {
		int n = 0;
		p[n] = (struct pollfd){.fd = xpc_connection_get_fd(listener), .events = POLLIN};
		who[n++] = listener;
		for (int i = 0; i < npeers; i++) {
			if (xpc_connection_get_fd(peers[i]) < 0)
				continue;
			p[n] = (struct pollfd){.fd = xpc_connection_get_fd(peers[i]),
				.events = POLLIN | (xpc_connection_wants_write(peers[i]) ? POLLOUT : 0)};
			who[n++] = peers[i];
		}
		if (poll(p, (nfds_t)n, -1) < 0)
			return 1;
		for (int i = 0; i < n; i++)
			if (p[i].revents)
				xpc_connection_dispatch(who[i]);
	}
}
