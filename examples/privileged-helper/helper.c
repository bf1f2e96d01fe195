/*
 * The privileged-helper pattern: a root launchd daemon that advertises a
 * named service, is started on demand by its first client's message, and
 * accepts messages only from one client program inside one app bundle (a
 * peer requirement on each peer). It does one narrow privileged thing: write
 * a note into a root-only directory fixed on its command line — never a path
 * a client chooses. xpc_main() checks in for the job's MachServices.
 *
 *   usage: example-helper ALLOWED-CLIENT-PATH BUNDLE-ID NOTES-DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xpc/xpc.h>

static const char *notes_dir;
static xpc_object_t requirement;

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

/* Each client: the requirement first, so that no message of a wrong client reaches on_message. */
static void on_peer(xpc_connection_t peer)
{
	if (xpc_connection_set_peer_requirement(peer, requirement) != 0) {
		xpc_connection_cancel(peer);
		return;
	}
	xpc_connection_set_event_handler_f(peer, on_message);
	xpc_connection_activate(peer);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: example-helper ALLOWED-CLIENT-PATH BUNDLE-ID NOTES-DIR\n");
		return 64;
	}
	notes_dir = argv[3];
	requirement = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(requirement, "executable", argv[1]);        /* only this program ... */
	xpc_dictionary_set_string(requirement, "bundle-identifier", argv[2]); /* ... of this app bundle */
	xpc_main(on_peer);
}
