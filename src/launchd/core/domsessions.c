/*
 * A user's domains and login sessions: which session types a domain hosts
 * now (sessions.c decides, from the sessions open), loading the plists that
 * fit a type that arrives and booting out the jobs that fit none left, and
 * the newest session's environment applied to the domain's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "oom.h"

void domain_set_sessions(struct domain *d, unsigned types, const char *why)
{
	unsigned added = types & ~d->session_types, removed = d->session_types & ~types;
	if (!added && !removed)
		return;
	d->session_types = types;
	char names[96];
	log_msg(LOG_INFO, "%s: hosts %s (%s)", d->name, spec_session_names(types, names, sizeof(names)), why);
	struct job *next;
	for (struct job *j = d->jobs; removed && j; j = next) {
		next = j->next;
		if (domain_session_fits(d, j->spec->sessions) || j->rt.removing || j->rt.state == JS_REMOVED)
			continue;
		if (j->spec->outlives_logout) {
			log_msg(LOG_INFO, "(%s/%s) stays: GantryOutlivesLogout", d->name, j->spec->label);
			continue;
		}
		log_msg(LOG_INFO, "(%s/%s) booted out: %s", d->name, j->spec->label, why);
		job_event(j, EV_REMOVE);
	}
	if (added)
		domain_load_directories(d);
}

static void free_env(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* Are the two NULL-terminated lists (either may be NULL) the same strings in the same order? */
static bool same_env(char *const *a, char *const *b)
{
	size_t i = 0;
	for (; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return !(a && a[i]) && !(b && b[i]);
}

void domain_apply_session_env(struct domain *d, char *const *env)
{
	if (same_env(d->session_env, env))
		return; /* the same session's again (another session of the user came or went): a setenv since stays */
	for (size_t i = 0; d->session_env && d->session_env[i]; i++) { /* what the last session set, unless changed since */
		char *eq = strchr(d->session_env[i], '=');
		*eq = '\0';
		const char *now = domain_getenv(d, d->session_env[i]);
		if (now && strcmp(now, eq + 1) == 0)
			domain_unsetenv(d, d->session_env[i]);
		*eq = '=';
	}
	free_env(d->session_env);
	d->session_env = NULL;
	size_t n = 0;
	while (env && env[n])
		n++;
	if (!n)
		return;
	d->session_env = calloc(n + 1, sizeof(char *));
	if (!d->session_env)
		gantry_oom();
	for (size_t i = 0; i < n; i++) {
		char *copy = strdup(env[i]), *eq = copy ? strchr(copy, '=') : NULL;
		if (!copy)
			gantry_oom();
		d->session_env[i] = copy;
		if (!eq)
			continue;
		*eq = '\0';
		struct gerror e = {0};
		if (domain_setenv(d, copy, eq + 1, &e))
			log_msg(LOG_WARNING, "%s: session variable not set: %s", d->name, e.detail);
		*eq = '=';
	}
}
