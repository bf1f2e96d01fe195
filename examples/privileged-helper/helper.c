/*
 * The privileged-helper pattern: a root launchd daemon that advertises a
 * named service, is started on demand by its first client's message, and
 * accepts messages only from one client program (a peer requirement on its
 * listener). It does one narrow privileged thing: write a note into a
 * root-only directory fixed on its command line — never a path a client
 * chooses.
 *
 *   usage: example-helper SERVICE-NAME ALLOWED-CLIENT-PATH NOTES-DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xpc/xpc.h>

#define MAX_PEERS 64

static const char *notes_dir;
static xpc_connection_t peers[MAX_PEERS];
static int npeers;

static void reply_error(xpc_object_t msg, xpc_object_t reply, const char *fmt, const char *arg)
{
	char text[512];
	snprintf(text, sizeof(text), fmt, arg);
	xpc_dictionary_set_string(reply, "error", text);
	(void)msg;
}

/* {"op": "whoami"} or {"op": "note", "name": N, "text": T}: writes NOTES-DIR/N as root. */
static void on_message(void *ctx, xpc_object_t msg)
{
	(void)ctx;
	if (xpc_get_type(msg) != XPC_TYPE_DICTIONARY)
		return;
	xpc_object_t reply = xpc_dictionary_create_reply(msg);
	if (!reply)
		return;
	pid_t pid;
	uid_t uid;
	xpc_dictionary_get_sender(msg, &pid, &uid, NULL);
	xpc_dictionary_set_int64(reply, "helper_uid", geteuid());
	xpc_dictionary_set_int64(reply, "client_uid", uid);
	const char *op = xpc_dictionary_get_string(msg, "op");
	const char *name = xpc_dictionary_get_string(msg, "name"), *text = xpc_dictionary_get_string(msg, "text");
	if (op && strcmp(op, "note") == 0) {
		char path[4096];
		if (!name || !text || !*name || strchr(name, '/') || name[0] == '.') {
			reply_error(msg, reply, "a note needs a plain name (no '/') and a text%s", "");
		} else {
			snprintf(path, sizeof(path), "%s/%s", notes_dir, name);
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 || write(fd, text, strlen(text)) < 0)
				reply_error(msg, reply, "cannot write the note: %s", strerror(errno));
			else
				xpc_dictionary_set_string(reply, "written", path);
			if (fd >= 0)
				close(fd);
		}
	} else if (!op || strcmp(op, "whoami") != 0) {
		reply_error(msg, reply, "unknown op \"%s\" (whoami, note)", op ? op : "");
	}
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
	} else if (xpc_get_type(ev) == XPC_TYPE_ERROR && ev != XPC_ERROR_TERMINATION_IMMINENT) {
		fprintf(stderr, "example-helper: %s\n", xpc_error_get_cause(ev) ? xpc_error_get_cause(ev) : "listener invalid");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: example-helper SERVICE-NAME ALLOWED-CLIENT-PATH NOTES-DIR\n");
		return 64;
	}
	notes_dir = argv[3];
	xpc_connection_t listener = xpc_connection_create_mach_service(argv[1], NULL, XPC_CONNECTION_MACH_SERVICE_LISTENER);
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, "executable", argv[2]); /* only this program may talk to us */
	if (xpc_connection_set_peer_requirement(listener, req) != 0)
		return 1;
	xpc_release(req);
	xpc_connection_set_event_handler_f(listener, on_listener);
	xpc_connection_activate(listener);
	for (;;) {
		struct pollfd p[MAX_PEERS + 1];
		xpc_connection_t who[MAX_PEERS + 1];
		int n = 0;
		p[n] = (struct pollfd){.fd = xpc_connection_get_fd(listener), .events = POLLIN};
		who[n++] = listener;
		for (int i = 0; i < npeers; i++)
			if (xpc_connection_get_fd(peers[i]) >= 0) {
				p[n] = (struct pollfd){.fd = xpc_connection_get_fd(peers[i]), .events = POLLIN};
				who[n++] = peers[i];
			}
		if (poll(p, (nfds_t)n, -1) < 0)
			return 1;
		for (int i = 0; i < n; i++)
			if (p[i].revents)
				xpc_connection_dispatch(who[i]);
	}
}
