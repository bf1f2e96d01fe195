/*
 * libFuzzer target: every control routine behind the decoder. Bytes are
 * decoded as a libxpc message; a dictionary is sent over a real libxpc
 * connection (so it arrives with kernel-attested credentials, as from
 * launchctl) to an in-memory launchd — a user-mode launchd under a private
 * LAUNCHD_ROOT with its gui and user domains — and handed to the routine it
 * names, exactly as control.c does. A crash, a sanitizer report or a reply
 * without an error code where the routine failed is a bug.
 *
 * Nothing is ever started (launchd_stubs.c), so a fuzzed "submit" of
 * /bin/rm cannot run it. After each input every job is booted out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"
#include "domain.h"
#include "launchd_stubs.h"
#include "loop.h"
#include "hooks.h"

static xpc_connection_t client, server;

static void on_request(void *ctx, xpc_object_t msg)
{
	(void)ctx;
	if (xpc_get_type(msg) != XPC_TYPE_DICTIONARY)
		return;
	uid_t caller = (uid_t)-1;
	xpc_dictionary_get_sender(msg, NULL, &caller, NULL);
	xpc_object_t reply = xpc_dictionary_create_reply(msg);
	const char *routine = xpc_dictionary_get_string(msg, "routine");
	request_handler h = routine ? control_find_routine(launchd_routines, routine) : NULL;
	if (reply && h && !h(msg, reply, caller))
		control_send(reply);
	xpc_release(reply);
}

static void ignore(void *ctx, xpc_object_t ev)
{
	(void)ctx, (void)ev;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_launchd_init();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	client = xpc_connection_create_from_fd(sv[0]);
	xpc_connection_set_target_queue(client, XPC_QUEUE_CALLER);
	server = xpc_connection_create_from_fd(sv[1]);
	xpc_connection_set_target_queue(server, XPC_QUEUE_CALLER);
	xpc_connection_set_event_handler_f(client, ignore);
	xpc_connection_set_event_handler_f(server, on_request);
	xpc_connection_activate(client);
	xpc_connection_activate(server);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xpc_object_t msg;
	char why[160];
	if (size > 64 * 1024 || xpc_wire_decode(data, size, NULL, 0, &msg, why, sizeof(why)))
		return 0;
	if (xpc_get_type(msg) == XPC_TYPE_DICTIONARY) {
		xpc_connection_send_message_with_reply_f(client, msg, NULL, ignore);
		xpc_connection_dispatch(server); /* the request, handled */
		xpc_connection_dispatch(client); /* its reply, taken */
	}
	xpc_release(msg);
	domain_remove_all_jobs();
	loop_run_deferred();
	xpc_connection_dispatch(client); /* replies that waited for a job to go */
	return 0;
}
