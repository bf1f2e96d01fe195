/*
 * Login sessions' requests (sessions.h). Opening and closing a session is
 * root's: pam_launchd.so runs in login, sshd, su and the display manager,
 * as root; the session's leader is the process that asked (its pid as the
 * kernel attests it on the connection). Lingering is root's to change and
 * anyone's to read; a session's environment is root's and its user's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include "domain.h"
#include "errors.h"
#include "protocol.h"
#include "sessions.h"
#include "sessreq.h"
#include "sys.h"

static bool need_root(xpc_object_t reply, uid_t caller, const char *what)
{
	if (!g_launchd.system) {
		control_set_error(reply, darwin_errno(ENOTSUP), "%s: this launchd runs with --user; login sessions are the "
			"system launchd's", what);
		return false;
	}
	if (caller != 0) {
		control_set_error(reply, EPERM, "%s is root's (pam_launchd.so runs as root in login, sshd and the display "
			"manager); you are uid %u", what, (unsigned)caller);
		return false;
	}
	return true;
}

/* The uid of the request, which must name a user. */
static bool user_of(xpc_object_t msg, xpc_object_t reply, uid_t *uid)
{
	int64_t v = xpc_dictionary_get_int64(msg, KEY_UID);
	if (xpc_get_type(xpc_dictionary_get_value(msg, KEY_UID)) != XPC_TYPE_INT64 || v < 0 || v > 0x7fffffff) {
		control_set_error(reply, EINVAL, "the request needs the session's uid (an integer)");
		return false;
	}
	*uid = (uid_t)v;
	if (!sys->getpwuid(*uid)) {
		control_set_error(reply, LE_NO_USER, "no user has uid %u", (unsigned)*uid);
		return false;
	}
	return true;
}

/* A login session's type: Aqua, StandardIO or LoginWindow (Background and System are domains'); 0 if not. */
static unsigned type_named(const char *s)
{
	unsigned t = s ? spec_session_named(s) : 0;
	return t & (SESSION_AQUA | SESSION_STANDARDIO | SESSION_LOGINWINDOW);
}

static bool req_session_open(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	uid_t uid;
	if (!need_root(reply, caller, "opening a login session") || !user_of(msg, reply, &uid))
		return false;
	const char *tname = xpc_dictionary_get_string(msg, KEY_SESSION_TYPE);
	unsigned type = type_named(tname);
	if (!type) {
		control_set_error(reply, EINVAL, "session type \"%s\": a login session is Aqua, StandardIO or LoginWindow "
			"(Background is the user's domain itself)", tname ? tname : "(none)");
		return false;
	}
	const char *desc = xpc_dictionary_get_string(msg, KEY_SESSION_DESC);
	pid_t leader = xpc_connection_get_pid(xpc_dictionary_get_remote_connection(msg));
	struct gerror e = {0};
	uint32_t id;
	if (sessions_open(uid, type, leader, desc ? desc : "", xpc_dictionary_get_value(msg, KEY_ENVIRONMENT), &id, &e)) {
		control_set_error(reply, e.code, "%s", e.detail);
		return false;
	}
	xpc_dictionary_set_int64(reply, KEY_SESSION_ID, id);
	return false;
}

static bool req_session_close(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	if (!need_root(reply, caller, "closing a login session"))
		return false;
	int64_t id = xpc_dictionary_get_int64(msg, KEY_SESSION_ID);
	struct gerror e = {0};
	if (id <= 0 || id > UINT32_MAX)
		control_set_error(reply, EINVAL, "the request needs the session's id (a positive integer), not %lld",
			(long long)id);
	else if (sessions_close((uint32_t)id, &e))
		control_set_error(reply, e.code, "%s", e.detail);
	return false;
}

/* linger: with KEY_LINGER sets it (root), without reads it. */
static bool req_linger(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	uid_t uid;
	if (!user_of(msg, reply, &uid))
		return false;
	xpc_object_t want = xpc_dictionary_get_value(msg, KEY_LINGER);
	if (want && xpc_get_type(want) != XPC_TYPE_BOOL) {
		control_set_error(reply, EINVAL, "linger must be true or false");
		return false;
	}
	if (want && !need_root(reply, caller, "changing whether a user lingers"))
		return false;
	struct gerror e = {0};
	if (want && sessions_set_linger(uid, xpc_bool_get_value(want), &e)) {
		control_set_error(reply, e.code, "%s", e.detail);
		return false;
	}
	xpc_dictionary_set_bool(reply, KEY_LINGER, sessions_lingers(uid));
	return false;
}

static bool req_session_env(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	uid_t uid;
	if (!user_of(msg, reply, &uid))
		return false;
	if (caller != 0 && caller != uid) {
		control_set_error(reply, EPERM, "a session's environment is root's and uid %u's to read (you are uid %u)",
			(unsigned)uid, (unsigned)caller);
		return false;
	}
	xpc_object_t env = g_launchd.system ? sessions_environment(uid) : NULL;
	if (env) {
		xpc_dictionary_set_value(reply, KEY_ENVIRONMENT, env);
		xpc_release(env);
	}
	if (g_launchd.system) {
		xpc_object_t list = sessions_describe(false, uid);
		xpc_dictionary_set_value(reply, KEY_SESSIONS, list);
		xpc_release(list);
	}
	return false;
}

const struct routine session_routines[] = {
	{ROUTINE_SESSION_OPEN, req_session_open},
	{ROUTINE_SESSION_CLOSE, req_session_close},
	{ROUTINE_LINGER, req_linger},
	{ROUTINE_SESSION_ENV, req_session_env},
	{NULL, NULL},
};
