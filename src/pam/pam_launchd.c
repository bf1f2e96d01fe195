/*
 * pam_launchd.so: tells the system launchd when a user's login session
 * opens and closes, with its type and environment (sessions.h in launchd).
 *
 *   session optional pam_launchd.so [type=aqua|standardio|loginwindow] [debug]
 *
 * The type, unless given: XDG_SESSION_CLASS=greeter is LoginWindow,
 * XDG_SESSION_TYPE x11, wayland or mir is Aqua, anything else (a tty, ssh)
 * StandardIO — read from the PAM environment, then the process's (as
 * pam_systemd reads them). The session's variables that agents need (the
 * display, the session bus, the runtime directory, the XDG_SESSION_ ones)
 * go with it. A launchd that is not running is no reason to refuse a login:
 * the module then says PAM_IGNORE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <xpc/xpc.h>

#include "protocol.h"

#define REPLY_TIMEOUT_MS 5000 /* a login waits at most this long for launchd */
#define DATA_KEY "pam_launchd.session"

/* The variables a session passes to its agents. */
static const char *const passed_vars[] = {"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS",
	"XDG_RUNTIME_DIR", "XDG_SESSION_ID", "XDG_SESSION_TYPE", "XDG_SESSION_CLASS", "XDG_SESSION_DESKTOP",
	"XDG_CURRENT_DESKTOP", "XDG_SEAT", "XDG_VTNR", "DESKTOP_SESSION", "LANG"};

struct options {
	const char *type; /* forced, or NULL */
	bool debug;
};

static void parse_options(pam_handle_t *pamh, int argc, const char **argv, struct options *o)
{
	*o = (struct options){0};
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "type=", 5) == 0 && (strcasecmp(argv[i] + 5, "aqua") == 0 ||
			strcasecmp(argv[i] + 5, "standardio") == 0 || strcasecmp(argv[i] + 5, "loginwindow") == 0))
			o->type = argv[i] + 5;
		else if (strcmp(argv[i], "debug") == 0)
			o->debug = true;
		else
			pam_syslog(pamh, LOG_WARNING, "unknown option %s, ignored (type=aqua|standardio|loginwindow, debug)",
				argv[i]);
	}
}

/* A session variable: the PAM environment's, else the process's. */
static const char *session_var(pam_handle_t *pamh, const char *name)
{
	const char *v = pam_getenv(pamh, name);
	return v && *v ? v : getenv(name);
}

static const char *session_type(pam_handle_t *pamh, const struct options *o)
{
	if (o->type) {
		if (strcasecmp(o->type, "aqua") == 0)
			return "Aqua";
		if (strcasecmp(o->type, "loginwindow") == 0)
			return "LoginWindow";
		return "StandardIO";
	}
	const char *cls = session_var(pamh, "XDG_SESSION_CLASS"), *type = session_var(pamh, "XDG_SESSION_TYPE");
	if (cls && strcmp(cls, "greeter") == 0)
		return "LoginWindow";
	if (type && (strcmp(type, "x11") == 0 || strcmp(type, "wayland") == 0 || strcmp(type, "mir") == 0))
		return "Aqua";
	return "StandardIO";
}

static const char *item(pam_handle_t *pamh, int which)
{
	const void *v = NULL;
	return pam_get_item(pamh, which, &v) == PAM_SUCCESS && v && *(const char *)v ? v : NULL;
}

/* "x11 seat0 tty :0 from host via gdm-password": where the session is, for print and the log. */
static void describe(pam_handle_t *pamh, char *buf, size_t len)
{
	const char *type = session_var(pamh, "XDG_SESSION_TYPE"), *seat = session_var(pamh, "XDG_SEAT");
	const char *tty = item(pamh, PAM_TTY), *rhost = item(pamh, PAM_RHOST), *service = item(pamh, PAM_SERVICE);
	snprintf(buf, len, "%s%s%s%s%s%s%s via %s", type ? type : "tty", seat ? " " : "", seat ? seat : "",
		tty ? " tty " : "", tty ? tty : "", rhost ? " from " : "", rhost ? rhost : "", service ? service : "?");
}

static xpc_object_t environment(pam_handle_t *pamh)
{
	xpc_object_t env = xpc_dictionary_create_empty();
	for (size_t i = 0; i < sizeof(passed_vars) / sizeof(*passed_vars); i++) {
		const char *v = session_var(pamh, passed_vars[i]);
		if (v && *v)
			xpc_dictionary_set_string(env, passed_vars[i], v);
	}
	const char *tty = item(pamh, PAM_TTY); /* display managers name the X display as the tty */
	if (!xpc_dictionary_get_string(env, "DISPLAY") && tty && tty[0] == ':')
		xpc_dictionary_set_string(env, "DISPLAY", tty);
	return env;
}

/*
 * Sends req to the system launchd: PAM_SUCCESS, PAM_IGNORE when no launchd runs, else PAM_SESSION_ERR
 * with the cause logged. *reply gets the reply on success (the caller releases it).
 */
static int ask(pam_handle_t *pamh, const struct options *o, xpc_object_t req, const char *what, xpc_object_t *reply)
{
	xpc_object_t r = xpc_launchd_request(req, true, REPLY_TIMEOUT_MS);
	if (xpc_get_type(r) != XPC_TYPE_ERROR && !xpc_dictionary_get_int64(r, KEY_ERROR)) {
		*reply = r;
		return PAM_SUCCESS;
	}
	int rc = PAM_SESSION_ERR;
	if (xpc_get_type(r) == XPC_TYPE_ERROR) {
		const char *cause = xpc_error_get_cause(r);
		rc = xpc_error_get_code(r) == ESRCH ? PAM_IGNORE : PAM_SESSION_ERR; /* no launchd listens */
		if (rc == PAM_SESSION_ERR || o->debug)
			pam_syslog(pamh, rc == PAM_IGNORE ? LOG_DEBUG : LOG_ERR, "%s: launchd: %s", what,
				cause ? cause : "no reply");
	} else {
		pam_syslog(pamh, LOG_ERR, "%s: launchd refused: %s", what, xpc_dictionary_get_string(r, KEY_ERROR_DETAIL));
	}
	xpc_release(r);
	return rc;
}

static void free_id(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	struct options o;
	parse_options(pamh, argc, argv, &o);
	const char *user = NULL;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user)
		return PAM_SESSION_ERR;
	struct passwd pw, *found = NULL;
	char buf[4096];
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) || !found) {
		pam_syslog(pamh, LOG_ERR, "no such user: %s", user);
		return PAM_SESSION_ERR;
	}
	char desc[512];
	describe(pamh, desc, sizeof(desc));
	xpc_object_t req = xpc_dictionary_create_empty(), env = environment(pamh), reply = NULL;
	xpc_dictionary_set_string(req, KEY_ROUTINE, ROUTINE_SESSION_OPEN);
	xpc_dictionary_set_int64(req, KEY_UID, pw.pw_uid);
	xpc_dictionary_set_string(req, KEY_SESSION_TYPE, session_type(pamh, &o));
	xpc_dictionary_set_string(req, KEY_SESSION_DESC, desc);
	xpc_dictionary_set_value(req, KEY_ENVIRONMENT, env);
	xpc_release(env);
	int rc = ask(pamh, &o, req, "open_session", &reply);
	xpc_release(req);
	if (rc != PAM_SUCCESS)
		return rc;
	int64_t *id = malloc(sizeof(*id));
	if (id)
		*id = xpc_dictionary_get_int64(reply, KEY_SESSION_ID);
	xpc_release(reply);
	if (!id || pam_set_data(pamh, DATA_KEY, id, free_id) != PAM_SUCCESS) {
		free(id);
		return PAM_BUF_ERR; /* launchd ends the session when this process exits */
	}
	if (o.debug)
		pam_syslog(pamh, LOG_DEBUG, "session %lld opened for %s (%s)", (long long)*id, user, desc);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	struct options o;
	parse_options(pamh, argc, argv, &o);
	const void *data = NULL;
	if (pam_get_data(pamh, DATA_KEY, &data) != PAM_SUCCESS || !data)
		return PAM_IGNORE; /* open_session did not reach launchd */
	xpc_object_t req = xpc_dictionary_create_empty(), reply = NULL;
	xpc_dictionary_set_string(req, KEY_ROUTINE, ROUTINE_SESSION_CLOSE);
	xpc_dictionary_set_int64(req, KEY_SESSION_ID, *(const int64_t *)data);
	int rc = ask(pamh, &o, req, "close_session", &reply);
	xpc_release(req);
	if (reply)
		xpc_release(reply);
	return rc;
}
