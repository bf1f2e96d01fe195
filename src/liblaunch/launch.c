/* liblaunch (see <launch.h>): requests a job makes of its launchd, over libxpc. */
#include <errno.h>
#include <launch.h>
#include <stdlib.h>
#include <string.h>
#include <xpc/xpc.h>

#include "protocol.h"

/* How long a job waits for its launchd to answer. */
#define LAUNCH_TIMEOUT_MS 30000

int launch_activate_socket(const char *name, int **fds, size_t *cnt)
{
	*fds = NULL;
	*cnt = 0;
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, KEY_ROUTINE, ROUTINE_ACTIVATE_SOCKET);
	xpc_dictionary_set_string(req, KEY_NAME, name ? name : "");
	xpc_object_t reply = xpc_launchd_request(req, false, LAUNCH_TIMEOUT_MS);
	xpc_release(req);
	int err = 0;
	xpc_object_t list = xpc_dictionary_get_array(reply, KEY_FDS);
	if (xpc_get_type(reply) == XPC_TYPE_ERROR)
		err = ESRCH; /* no launchd to ask: not a launchd job */
	else if (xpc_dictionary_get_int64(reply, KEY_ERROR)) /* POSIX: the errno itself; launchd refusing the request: EIO */
		err = strcmp(xpc_dictionary_get_string(reply, KEY_ERROR_DOMAIN) ?: "", ERROR_DOMAIN_POSIX) == 0 ?
			(int)xpc_dictionary_get_int64(reply, KEY_ERROR) : EIO;
	else if (!list || !(*fds = calloc(xpc_array_get_count(list) + 1, sizeof(int))))
		err = list ? ENOMEM : EIO;
	for (size_t i = 0; !err && i < xpc_array_get_count(list); i++)
		(*fds)[(*cnt)++] = xpc_fd_dup(xpc_array_get_value(list, i));
	xpc_release(reply);
	return err;
}
