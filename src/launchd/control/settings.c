/*
 * Routines that change what jobs started afterwards get: a domain's
 * environment (launchctl setenv, unsetenv, getenv), the resource limits
 * jobs start with (launchctl limit), a domain's persistent umask and PATH
 * (launchctl config), and one job's next instance (launchctl debug).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "control.h"
#include "domain.h"
#include "errors.h"
#include "protocol.h"
#include "requests.h"
#include "settings.h"
#include "joblimits.h"
#include "log.h"
#include "oom.h"

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

/* A string array from a request, NULL-terminated (NULL if absent; *bad names the entry that is no string). */
static char **strings_of(xpc_object_t array, bool *bad)
{
	size_t n = xpc_array_get_count(array);
	if (!array || !n)
		return NULL;
	char **out = calloc(n + 1, sizeof(*out));
	if (!out)
		gantry_oom();
	for (size_t i = 0; i < n; i++) {
		const char *v = xpc_array_get_string(array, i);
		if (!v)
			*bad = true;
		else if (!(out[i] = strdup(v)))
			gantry_oom();
	}
	return out;
}

static bool add_env_entry(void *ctx, const char *name, xpc_object_t v)
{
	char ***env = ctx;
	size_t n = 0;
	while (*env && (*env)[n])
		n++;
	char **grown = realloc(*env, (n + 2) * sizeof(*grown));
	if (!grown || asprintf(&grown[n], "%s=%s", name, xpc_string_get_string_ptr(v) ?: "") < 0)
		gantry_oom();
	grown[n + 1] = NULL;
	*env = grown;
	return true;
}

static char *dup_opt(xpc_object_t msg, const char *key)
{
	const char *v = xpc_dictionary_get_string(msg, key);
	char *d = v ? strdup(v) : NULL;
	if (v && !d)
		gantry_oom();
	return d;
}

/* launchctl debug SERVICE [--program P] [--stdout P] [--stderr P] [--environment K=V...] [-- ARGV...]. */
static bool req_debug(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = request_domain(msg, reply, caller, true);
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	struct job *j = d && label ? domain_find_job(d, label) : NULL;
	if (d && !j) {
		control_set_error(reply, LE_NO_SERVICE, "%s/%s is not loaded", d->name, label ? label : "");
		return false;
	}
	if (!j)
		return false;
	struct spawn_debug *dbg = calloc(1, sizeof(*dbg));
	bool bad = false;
	if (!dbg)
		gantry_oom();
	dbg->program = dup_opt(msg, KEY_PROGRAM);
	dbg->stdout_path = dup_opt(msg, KEY_STDOUT);
	dbg->stderr_path = dup_opt(msg, KEY_STDERR);
	dbg->argv = strings_of(xpc_dictionary_get_array(msg, KEY_ARGUMENTS), &bad);
	xpc_object_t env = xpc_dictionary_get_dictionary(msg, KEY_ENVIRONMENT);
	if (env)
		xpc_dictionary_apply_f(env, &dbg->env, add_env_entry);
	const char *relative = dbg->program && dbg->program[0] != '/' ? dbg->program :
		dbg->stdout_path && dbg->stdout_path[0] != '/' ? dbg->stdout_path :
		dbg->stderr_path && dbg->stderr_path[0] != '/' ? dbg->stderr_path : NULL;
	if (bad || relative)
		control_set_error(reply, LE_USAGE, "%s", bad ? "every argument must be a string" :
			"--program, --stdout and --stderr take absolute paths");
	job_set_debug(j, dbg);
	if (bad || relative)
		job_set_debug(j, NULL);
	else
		log_msg(LOG_INFO, "(%s/%s) debug: the next instance runs with overrides set by uid %u", d->name, label,
			(unsigned)caller);
	return false;
}

const struct routine settings_routines[] = {
	{ROUTINE_SETENV, req_setenv},
	{ROUTINE_UNSETENV, req_unsetenv},
	{ROUTINE_GETENV, req_getenv},
	{ROUTINE_LIMIT, req_limit},
	{ROUTINE_CONFIG, req_config},
	{ROUTINE_DEBUG, req_debug},
	{NULL, NULL},
};
