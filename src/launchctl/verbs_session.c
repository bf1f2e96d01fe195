/*
 * Login sessions from launchctl: linger (a Gantry extension: user/<uid>
 * stays active without a session) and the session asuser joins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>

#include "launchctl.h"
#include "protocol.h"
#include "verbs.h"

/* A uid, or a user name; -1 if neither. */
static long uid_named(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v <= 0x7fffffff)
		return v;
	struct passwd *pw = getpwnam(s);
	return pw ? (long)pw->pw_uid : -1;
}

static xpc_object_t system_request(const char *routine, long uid)
{
	struct target t = {.domain = "system"};

	xpc_object_t req = request_new(routine, &t);
	xpc_dictionary_set_int64(req, KEY_UID, uid);
	return req;
}

/* linger USER [on|off]: with on or off sets it (root), without says whether the user lingers. */
static int cmd_linger(int argc, char **argv)
{
	long uid = argc >= 1 ? uid_named(argv[0]) : -1;
	if (argc < 1 || argc > 2 || uid < 0 || (argc == 2 && strcmp(argv[1], "on") && strcmp(argv[1], "off")))
		return usage_error("linger", uid < 0 && argc ? "no such user" : "expected a user (name or uid), then on or off");
	xpc_object_t req = system_request(ROUTINE_LINGER, uid), reply = NULL;
	if (argc == 2)
		xpc_dictionary_set_bool(req, KEY_LINGER, strcmp(argv[1], "on") == 0);
	int r = call(req, "Linger", &reply);
	if (r)
		return r;
	printf("uid %ld %s\n", uid, xpc_dictionary_get_bool(reply, KEY_LINGER) ? "lingers: user/<uid> stays active "
		"without a login session" : "does not linger: user/<uid> is active while it has a login session");
	xpc_release(reply);
	return 0;
}

static bool export_var(void *ctx, const char *key, xpc_object_t v)
{
	(void)ctx;
	setenv(key, xpc_string_get_string_ptr(v), 1);
	return true;
}

/* asuser: the environment of uid's newest session (graphical first) goes to the command; its sessions are named. */
void session_join(long uid)
{
	xpc_object_t reply = request_send(system_request(ROUTINE_SESSION_ENV, uid));
	xpc_object_t list = xpc_dictionary_get_array(reply, KEY_SESSIONS);
	if (xpc_dictionary_get_int64(reply, KEY_ERROR) || !list) { /* no system launchd: nothing to join */
		xpc_release(reply);
		return;
	}
	size_t n = xpc_array_get_count(list);
	if (!n)
		fprintf(stderr, "asuser: uid %ld has no login session: the command runs without a session's environment "
			"(DISPLAY, DBUS_SESSION_BUS_ADDRESS...)\n", uid);
	for (size_t i = 0; i < n; i++) {
		xpc_object_t s = xpc_array_get_value(list, i);
		fprintf(stderr, "asuser: uid %ld: %s session %" PRId64 " (%s)\n", uid,
			xpc_dictionary_get_string(s, KEY_SESSION_TYPE), xpc_dictionary_get_int64(s, KEY_SESSION_ID),
			xpc_dictionary_get_string(s, KEY_SESSION_DESC));
	}
	xpc_object_t env = xpc_dictionary_get_dictionary(reply, KEY_ENVIRONMENT);
	if (env)
		xpc_dictionary_apply_f(env, NULL, export_var);
	xpc_release(reply);
}

const struct verb session_verbs[] = {
	{"linger", cmd_linger, "user [on|off]",
		"keep user/<uid> (its Background agents) active without a login session (Gantry extension; root to change)"},
	{NULL, NULL, NULL, NULL},
};
