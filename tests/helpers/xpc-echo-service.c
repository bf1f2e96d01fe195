/*
 * Test helper: a launchd job that checks in for a named service and answers
 * on it. Messages: {"seq": n} is recorded; {"report": true} is answered with
 * the recorded sequence numbers and this process's pid; {"echo": v} with v;
 * {"exit": code} exits. It runs libxpc's run loop (xpc_run_once). With
 * --ignore-term it ignores SIGTERM; each --require KEY=VALUE adds a key to
 * the peer requirement of its listener (uid and gid as numbers). It reports
 * XPC_ERROR_TERMINATION_IMMINENT on stderr. "xpc-echo-service --main", or
 * no arguments (an app's XPC service is started with none), instead serves
 * every name of its job through xpc_main().
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xpc/xpc.h>

#include "requirement_arg.h"

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
	xpc_connection_t listener = ctx;
	if (xpc_get_type(ev) == XPC_TYPE_CONNECTION) {
		xpc_connection_t peer = (xpc_connection_t)ev; /* the run loop keeps it while it is active */
		xpc_connection_set_event_handler_f(peer, on_message);
		xpc_connection_activate(peer);
	} else if (ev == XPC_ERROR_TERMINATION_IMMINENT) {
		fprintf(stderr, "termination imminent\n");
	} else if (xpc_get_type(ev) == XPC_TYPE_ERROR) {
		char *why = xpc_connection_copy_invalidation_reason(listener);
		fprintf(stderr, "listener: %s: %s\n", xpc_error_get_description(ev), why ? why : "");
		free(why);
		exit(3);
	}
}

static void on_main_peer(xpc_connection_t peer)
{
	xpc_connection_set_event_handler_f(peer, on_message);
	xpc_connection_activate(peer);
}

int main(int argc, char **argv)
{
	xpc_object_t req = NULL;
	seqs = xpc_array_create(NULL, 0);
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "--main") == 0))
		xpc_main(on_main_peer);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--ignore-term") == 0) {
			signal(SIGTERM, SIG_IGN);
		} else if (strcmp(argv[i], "--require") == 0 && i + 1 < argc && requirement_arg(&req, argv[i + 1])) {
			i++;
		} else {
			argc = 0;
		}
	}
	if (argc < 2) {
		fprintf(stderr, "usage: xpc-echo-service [NAME [--ignore-term] [--require KEY=VALUE]... | --main]\n");
		return 64;
	}
	xpc_connection_t listener = xpc_connection_create_mach_service(argv[1], XPC_QUEUE_CALLER, XPC_CONNECTION_MACH_SERVICE_LISTENER);
	if (req && xpc_connection_set_peer_requirement(listener, req) != 0) {
		fprintf(stderr, "xpc-echo-service: invalid requirement\n");
		return 64;
	}
	xpc_connection_set_context(listener, listener);
	xpc_connection_set_event_handler_f(listener, on_listener);
	xpc_connection_activate(listener);
	for (;;)
		if (xpc_run_once(-1) < 0)
			return 1;
}
