/*
 * Asking launchd: one request on a fresh connection to the launchd that
 * serves this process (xpc_launchd_request, public as a Gantry extension),
 * and the identify routine the peer requirement and xpc_main() use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn_internal.h"
#include "paths.h"
#include "protocol.h"

xpc_object_t xpc_launchd_request(xpc_object_t request, bool system_launchd, int timeout_ms)
{
	char path[PATH_MAX];
	char *why = NULL;
	gantry_launchd_socket(!system_launchd, !system_launchd, path, sizeof(path));
	int fd = connect_to(path, &why);
	if (fd < 0) {
		xpc_object_t e = xpc_error_create(ESRCH, "Connection invalid", why);
		free(why);
		return e;
	}
	xpc_connection_t c = xpc_connection_create_from_fd(fd);
	xpc_connection_set_target_queue(c, XPC_QUEUE_CALLER); /* this caller reads it: no thread */
	lib_lock();
	conn_activate(c);
	lib_unlock();
	xpc_object_t reply;
	if (c->uid != 0 && c->uid != geteuid()) { /* only a launchd of root or of ourselves is believed */
		char cause[PATH_MAX + 64];
		snprintf(cause, sizeof(cause), "%s is served by uid %u, not by a launchd we trust", path, (unsigned)c->uid);
		reply = xpc_error_create(EPERM, "Connection invalid", cause);
	} else {
		reply = xpc_connection_send_message_with_reply_sync_timeout(c, request, timeout_ms);
		if (reply == XPC_ERROR_CONNECTION_INVALID || reply == XPC_ERROR_CONNECTION_INTERRUPTED) {
			char *why = xpc_connection_copy_invalidation_reason(c); /* this call's callers want the reason */
			reply = xpc_error_create(ESRCH, "Connection invalid", why ? why : "launchd closed the connection");
			free(why);
		}
	}
	xpc_connection_cancel(c);
	xpc_release(&c->base);
	return reply;
}

int launchd_identify(pid_t pid, char *label, size_t label_len, char *domain, size_t domain_len,
	xpc_object_t *services, char *cause, size_t cause_len)
{
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, KEY_ROUTINE, ROUTINE_IDENTIFY);
	xpc_dictionary_set_int64(req, KEY_PID, pid);
	xpc_object_t reply = xpc_launchd_request(req, false, LAUNCHD_REPLY_TIMEOUT_MS);
	xpc_release(req);
	const char *l = xpc_dictionary_get_string(reply, KEY_LABEL), *d = xpc_dictionary_get_string(reply, KEY_DOMAIN);
	int err = 0;
	if (xpc_get_type(reply) == XPC_TYPE_ERROR) {
		snprintf(cause, cause_len, "cannot ask launchd: %s", xpc_error_get_cause(reply));
		err = ESRCH;
	} else if (!l || !d) {
		const char *detail = xpc_dictionary_get_string(reply, KEY_ERROR_DETAIL);
		snprintf(cause, cause_len, "%s", detail ? detail : "launchd does not know it");
		err = ESRCH;
	} else {
		snprintf(label, label_len, "%s", l);
		snprintf(domain, domain_len, "%s", d);
		if (services) {
			xpc_object_t names = xpc_dictionary_get_array(reply, KEY_SERVICES);
			*services = names ? xpc_retain(names) : xpc_array_create(NULL, 0);
		}
	}
	xpc_release(reply);
	return err;
}
