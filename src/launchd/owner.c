/* Whether the system launchd owns a user's domains (see owner.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xpc/xpc.h>

#include "owner.h"
#include "protocol.h"

#define OWNER_ASK_MS 2000 /* how long a launchd that accepted the connection has to say what it is */

bool owner_system_launchd_runs(const char *root, unsigned uid, char *why, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/run/launchd/launchd.sock", root);
	if (access(path, F_OK) != 0)
		return false;
	xpc_connection_t c = xpc_connection_create_socket(path, 0);
	xpc_connection_set_target_queue(c, XPC_QUEUE_CALLER);
	bool system = false;
	if (xpc_connection_get_fd(c) >= 0 && xpc_connection_get_euid(c) == 0) { /* only root's socket counts */
		xpc_connection_activate(c);
		xpc_object_t req = xpc_dictionary_create_empty();
		xpc_dictionary_set_string(req, KEY_ROUTINE, ROUTINE_VERSION);
		xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(c, req, OWNER_ASK_MS);
		const char *mode = xpc_get_type(reply) == XPC_TYPE_DICTIONARY ? xpc_dictionary_get_string(reply, KEY_MODE) : NULL;
		system = mode && strcmp(mode, "system") == 0;
		if (system)
			snprintf(why, len, "the system launchd (pid %lld, %s) hosts gui/%u and user/%u: load your agents "
				"there (launchctl bootstrap gui/%u PATH), or stop it before running launchd --user",
				(long long)xpc_dictionary_get_int64(reply, KEY_PID), path, uid, uid, uid);
		xpc_release(reply);
		xpc_release(req);
	}
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	return system;
}
