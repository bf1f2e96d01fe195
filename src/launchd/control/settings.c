/*
 * Routines that change what jobs started afterwards get: a domain's
 * environment (launchctl setenv, unsetenv, getenv), the resource limits
 * jobs start with (launchctl limit), and a domain's persistent umask and
 * PATH (launchctl config).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "control.h"
#include "domain.h"
#include "errors.h"
#include "protocol.h"
#include "requests.h"
#include "settings.h"
#include "joblimits.h"

/* launchctl setenv NAME VALUE..., unsetenv NAME, getenv NAME: the domain's environment for jobs started afterwards. */
struct setenv_ctx {
	struct domain *d;
	struct gerror e;
};

static bool setenv_one(void *ctx, const char *name, xpc_object_t v)
{
	struct setenv_ctx *c = ctx;
	if (xpc_get_type(v) != XPC_TYPE_STRING)
		gerror_set(&c->e, LE_USAGE, "%s: the value must be a string", name);
	else
		domain_setenv(c->d, name, xpc_string_get_string_ptr(v), &c->e);
	return !c->e.code; /* the first error stops; what was set before it stays */
}

static bool req_setenv(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = request_domain(msg, reply, caller, true);
	xpc_object_t vars = xpc_dictionary_get_dictionary(msg, KEY_ENVIRONMENT);
	if (!d)
		return false;
	if (!vars) {
		control_set_error(reply, LE_USAGE, "setenv needs a dictionary of variables");
		return false;
	}
	struct setenv_ctx c = {.d = d};
	xpc_dictionary_apply_f(vars, &c, setenv_one);
	struct gerror e = c.e;
	if (e.code)
		control_set_error(reply, e.code, "%s", e.detail);
	return false;
}

static bool req_unsetenv(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = request_domain(msg, reply, caller, true);
	const char *name = xpc_dictionary_get_string(msg, KEY_NAME);
	if (d && !name)
		control_set_error(reply, LE_USAGE, "unsetenv needs a variable name");
	else if (d)
		domain_unsetenv(d, name);
	return false;
}

static bool req_getenv(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = request_domain(msg, reply, caller, false);
	const char *name = xpc_dictionary_get_string(msg, KEY_NAME);
	if (d && !name)
		control_set_error(reply, LE_USAGE, "getenv needs a variable name");
	else if (d && domain_getenv(d, name))
		xpc_dictionary_set_string(reply, KEY_VALUE, domain_getenv(d, name));
	return false;
}

/* launchctl limit [NAME [SOFT [HARD]]]: reports every limit jobs start with; with values, sets one of them. */
static bool req_limit(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	const char *name = xpc_dictionary_get_string(msg, KEY_NAME);
	int r = name ? job_limit_by_name(name) : -1;
	if (name && r < 0) {
		control_set_error(reply, LE_USAGE, "\"%s\" is not a limit (cpu, filesize, data, stack, core, rss, memlock, "
			"maxproc, maxfiles)", name);
		return false;
	}
	if (name && xpc_dictionary_get_value(msg, KEY_SOFT)) {
		struct gerror e = {0};
		if (caller != 0 && (g_launchd.system || caller != g_launchd.uid))
			gerror_set(&e, EPERM, "only root (or the user a --user launchd serves) may change the limits jobs "
				"start with (you are uid %u)", (unsigned)caller);
		else
			job_limit_set(r, (uint64_t)xpc_dictionary_get_int64(msg, KEY_SOFT),
				(uint64_t)xpc_dictionary_get_int64(msg, KEY_HARD), &e);
		if (e.code) {
			control_set_error(reply, e.code, "%s", e.detail);
			return false;
		}
	}
	xpc_object_t all = xpc_array_create(NULL, 0);
	for (int i = 0; i < JOB_LIMITS; i++) {
		if (name && i != r)
			continue;
		struct rlimit rl = job_limit_get(i);
		xpc_object_t e = xpc_dictionary_create_empty();
		xpc_dictionary_set_string(e, KEY_NAME, job_limit_name(i));
		xpc_dictionary_set_int64(e, KEY_SOFT, rl.rlim_cur == RLIM_INFINITY ? -1 : (int64_t)rl.rlim_cur);
		xpc_dictionary_set_int64(e, KEY_HARD, rl.rlim_max == RLIM_INFINITY ? -1 : (int64_t)rl.rlim_max);
		xpc_array_append_value(all, e);
		xpc_release(e);
	}
	xpc_dictionary_set_value(reply, KEY_LIMITS, all);
	xpc_release(all);
	return false;
}

/*
 * launchctl config system|user umask|path VALUE: persistent, for jobs started afterwards in the system
 * domain (root only) or in the caller's own gui and user domains.
 */
static bool req_config(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	const char *which = xpc_dictionary_get_string(msg, KEY_DOMAIN), *key = xpc_dictionary_get_string(msg, KEY_NAME);
	const char *value = xpc_dictionary_get_string(msg, KEY_VALUE);
	if (!which || !key || !value) {
		control_set_error(reply, LE_USAGE, "config takes system or user, a setting (umask, path) and a value");
		return false;
	}
	char names[2][32] = {"system", ""};
	if (strcmp(which, "system") != 0) { /* "user" (sent as the caller's gui/<uid>, to reach the launchd hosting it) */
		snprintf(names[0], sizeof(names[0]), "gui/%u", (unsigned)caller);
		snprintf(names[1], sizeof(names[1]), "user/%u", (unsigned)caller);
	}
	struct gerror e = {0};
	for (int i = 0; i < 2 && names[i][0] && !e.code; i++) {
		struct domain *d = domain_resolve(names[i], caller, true, &e);
		if (d && !domain_check_write(d, caller, &e))
			domconfig_set(&d->config, key, value, &e);
	}
	if (e.code)
		control_set_error(reply, e.code, "%s", e.detail);
	return false;
}

const struct routine settings_routines[] = {
	{ROUTINE_SETENV, req_setenv},
	{ROUTINE_UNSETENV, req_unsetenv},
	{ROUTINE_GETENV, req_getenv},
	{ROUTINE_LIMIT, req_limit},
	{ROUTINE_CONFIG, req_config},
	{NULL, NULL},
};
