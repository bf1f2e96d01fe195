/*
 * The set of domains: creating one (with its overrides), resolving a name
 * for a caller — a user's domains are made at its login (session/) or on
 * first use by that user or root, hosting the session types the user's
 * sessions open now, and looking never creates one —, who may change which, and a domain's
 * environment (launchctl setenv), given to the jobs it starts afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "errors.h"
#include "sys.h"
#include "oom.h"

static void overrides_path(enum domain_kind kind, uid_t uid, char *out, size_t len)
{
	if (kind == DOMAIN_SYSTEM)
		snprintf(out, len, "%s/disabled.plist", g_launchd.paths.state_dir);
	else
		snprintf(out, len, "%s/disabled.%u.plist", g_launchd.paths.state_dir, (unsigned)uid);
}

struct domain *domain_create(enum domain_kind kind, uid_t uid)
{
	struct domain *d = calloc(1, sizeof(*d));
	if (!d)
		gantry_oom();
	d->kind = kind;
	d->uid = kind == DOMAIN_SYSTEM ? 0 : uid;
	if (kind == DOMAIN_SYSTEM)
		d->session_types = SESSION_SYSTEM;
	else if (!g_launchd.system) /* launchd --user: its user is logged in */
		d->session_types = kind == DOMAIN_GUI ? SESSION_AQUA : SESSION_BACKGROUND;
	else if (g_launchd.hooks.session_types)
		d->session_types = g_launchd.hooks.session_types(kind == DOMAIN_GUI, uid);
	if (kind == DOMAIN_SYSTEM)
		snprintf(d->name, sizeof(d->name), "system");
	else
		snprintf(d->name, sizeof(d->name), "%s/%u", kind == DOMAIN_GUI ? "gui" : "user", (unsigned)uid);
	char path[PATH_MAX];
	overrides_path(kind, uid, path, sizeof(path));
	overrides_load(&d->overrides, path);
	if (kind == DOMAIN_SYSTEM)
		snprintf(path, sizeof(path), "%s/config.plist", g_launchd.paths.state_dir);
	else
		snprintf(path, sizeof(path), "%s/config.%u.plist", g_launchd.paths.state_dir, (unsigned)uid);
	domconfig_load(&d->config, path);
	d->next = g_launchd.domains;
	g_launchd.domains = d;
	return d;
}

struct domain *domain_create_pid(pid_t pid, uid_t uid)
{
	struct domain *d = calloc(1, sizeof(*d));
	if (!d)
		gantry_oom();
	d->kind = DOMAIN_PID;
	d->uid = uid;
	d->session_types = SESSION_AQUA;
	d->pid = pid;
	snprintf(d->name, sizeof(d->name), "pid/%d", (int)pid);
	d->next = g_launchd.domains;
	g_launchd.domains = d;
	return d;
}

static struct domain *find_domain(enum domain_kind kind, uid_t uid)
{
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		if (d->kind == kind && (kind == DOMAIN_SYSTEM || d->uid == uid))
			return d;
	return NULL;
}

static int parse_uid(const char *s, uid_t *uid)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 0x7fffffffUL)
		return EINVAL;
	*uid = (uid_t)v;
	return 0;
}

struct domain *domain_resolve(const char *name, uid_t caller, bool create, struct gerror *e)
{
	enum domain_kind kind;
	uid_t uid = 0;
	if (strcmp(name, "default") == 0) {
		kind = g_launchd.system && caller == 0 ? DOMAIN_SYSTEM : DOMAIN_GUI;
		uid = g_launchd.system ? caller : g_launchd.uid;
	} else if (strcmp(name, "system") == 0) {
		kind = DOMAIN_SYSTEM;
	} else if (strncmp(name, "pid/", 4) == 0) {
		struct domain *d = domain_find_named(name);
		if (!d)
			gerror_set(e, LE_NO_DOMAIN, "%s does not exist: a pid domain holds the XPC services an app process "
				"started from its bundle, while that process runs", name);
		return d;
	} else if (strncmp(name, "gui/", 4) == 0 || strncmp(name, "user/", 5) == 0) {
		kind = name[0] == 'g' ? DOMAIN_GUI : DOMAIN_USER;
		if (parse_uid(strchr(name, '/') + 1, &uid)) {
			gerror_set(e, LE_NO_DOMAIN, "\"%s\": the part after the slash must be a numeric uid", name);
			return NULL;
		}
	} else {
		gerror_set(e, LE_NO_DOMAIN, "\"%s\" is not a domain Gantry has (system, user/<uid>, gui/<uid>, pid/<pid>)",
			name);
		return NULL;
	}
	struct domain *d = find_domain(kind, uid);
	if (d)
		return d;
	if (!g_launchd.system) {
		gerror_set(e, LE_NO_DOMAIN, "this launchd runs with --user for uid %u and hosts only gui/%u and user/%u; "
			"\"%s\" belongs to the system launchd", (unsigned)g_launchd.uid, (unsigned)g_launchd.uid,
			(unsigned)g_launchd.uid, name);
		return NULL;
	}
	if (!sys->getpwuid(uid)) {
		gerror_set(e, LE_NO_DOMAIN, "\"%s\": no user has uid %u", name, (unsigned)uid);
		return NULL;
	}
	if (!create) {
		gerror_set(e, LE_NO_DOMAIN, "%s does not exist yet: it is created when uid %u logs in (pam_launchd.so) or "
			"first loads or starts something in it; looking never creates it", name, (unsigned)uid);
		return NULL;
	}
	if (caller != 0 && caller != uid) {
		gerror_set(e, EPERM, "%s does not exist, and only root or uid %u may create it (you are uid %u)", name,
			(unsigned)uid, (unsigned)caller);
		return NULL;
	}
	d = domain_create(kind, uid);
	domain_load_directories(d);
	return d;
}

int domain_check_write(const struct domain *d, uid_t caller, struct gerror *e)
{
	if (caller == 0 || (d->kind != DOMAIN_SYSTEM && caller == d->uid))
		return 0;
	if (!g_launchd.system && caller == g_launchd.uid)
		return 0;
	if (d->kind == DOMAIN_SYSTEM)
		return gerror_set(e, EPERM, "only root may change the system domain (you are uid %u)", (unsigned)caller);
	return gerror_set(e, EPERM, "only root or uid %u may change %s (you are uid %u)", (unsigned)d->uid, d->name,
		(unsigned)caller);
}

struct domain *domain_find_named(const char *name)
{
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* A domain's environment stays small: it is copied into every job started in the domain. */
#define DOMAIN_ENV_MAX_VARS 256
#define DOMAIN_ENV_MAX_NAME 256
#define DOMAIN_ENV_MAX_VALUE 65536

static size_t env_index(const struct domain *d, const char *name)
{
	size_t klen = strlen(name), i;
	for (i = 0; i < d->nenv; i++)
		if (strncmp(d->env[i], name, klen) == 0 && d->env[i][klen] == '=')
			break;
	return i;
}

const char *domain_getenv(const struct domain *d, const char *name)
{
	size_t i = env_index(d, name);
	return i < d->nenv ? d->env[i] + strlen(name) + 1 : NULL;
}

int domain_setenv(struct domain *d, const char *name, const char *value, struct gerror *e)
{
	if (!*name || strchr(name, '=') || strlen(name) > DOMAIN_ENV_MAX_NAME)
		return gerror_set(e, EINVAL, "\"%.64s\": a variable name is 1 to %d characters without '='", name,
			DOMAIN_ENV_MAX_NAME);
	if (strlen(value) > DOMAIN_ENV_MAX_VALUE)
		return gerror_set(e, darwin_errno(E2BIG), "%s: the value is longer than %d bytes", name, DOMAIN_ENV_MAX_VALUE);
	size_t i = env_index(d, name);
	if (i == d->nenv && d->nenv >= DOMAIN_ENV_MAX_VARS)
		return gerror_set(e, darwin_errno(E2BIG), "%s already holds %d variables, the most a domain may", d->name,
			DOMAIN_ENV_MAX_VARS);
	char *var;
	if (asprintf(&var, "%s=%s", name, value) < 0)
		gantry_oom();
	if (i < d->nenv) {
		free(d->env[i]);
		d->env[i] = var;
		return 0;
	}
	char **grown = realloc(d->env, (d->nenv + 2) * sizeof(*grown));
	if (!grown)
		gantry_oom();
	grown[d->nenv++] = var;
	grown[d->nenv] = NULL;
	d->env = grown;
	return 0;
}

void domain_unsetenv(struct domain *d, const char *name)
{
	size_t i = env_index(d, name);
	if (i == d->nenv)
		return;
	free(d->env[i]);
	d->env[i] = d->env[--d->nenv];
	d->env[d->nenv] = NULL;
}
