/*
 * A domain's job directories: which are scanned, in which precedence, and
 * what happens to a plist whose label a directory of higher precedence
 * already loaded (it is skipped, logged, and shown in that job's `print`
 * as shadowed). Precedence, first wins:
 *
 *   daemons (system):  /etc/launchd/LaunchDaemons  (Gantry's admin directory)
 *                      /Library/LaunchDaemons       (macOS's)
 *                      /usr/lib/launchd/LaunchDaemons (packages)
 *   agents (gui/<uid>): /etc/launchd/LaunchAgents, /Library/LaunchAgents,
 *                      the user's ~/.config/launchd/LaunchAgents, ~/Library/LaunchAgents,
 *                      /usr/lib/launchd/LaunchAgents
 *
 * Every directory relocates under $LAUNCHD_ROOT; a user's are read with
 * that user's rights, with the same ownership rules as the others.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "errors.h"
#include "identity.h"
#include "job.h"
#include "log.h"

static bool has_plist_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 6 && strcmp(name + n - 6, ".plist") == 0 && name[0] != '.';
}

/* A label a directory of higher precedence already loaded: this file is skipped, and said to be. */
static bool shadowed(struct domain *d, const char *path, const struct job_spec *s)
{
	struct job *winner = domain_find_job(d, s->label);
	if (!winner || !winner->spec->path || winner->origin == ORIGIN_SUBMITTED || winner->origin == ORIGIN_SM)
		return false;
	if (strcmp(winner->spec->path, path) == 0)
		return true; /* loaded already: the directories are read again when a session type arrives */
	log_msg(LOG_WARNING, "%s: not loading %s: %s is loaded from %s, whose directory takes precedence", d->name, path,
		s->label, winner->spec->path);
	job_add_shadowed(winner, path);
	return true;
}

/* Loads one plist of a job directory; every refusal is logged with its cause. */
static void load_one(struct domain *d, const char *path, enum job_origin origin, uid_t as)
{
	struct gerror e = {0};
	struct job_spec *s = domain_read_plist(d, path, as, &e);
	if (s && !domain_session_fits(d, s->sessions)) {
		spec_free(s); /* belongs to another kind of domain */
	} else if (s && g_launchd.hooks.owns_label && g_launchd.hooks.owns_label(d, s->label)) {
		log_msg(LOG_INFO, "%s: not loading %s: %s is registered through Service Management, which replaces this "
			"legacy definition", d->name, path, s->label);
		spec_free(s);
	} else if (s && shadowed(d, path, s)) {
		spec_free(s);
	} else if (!s || !domain_load_spec(d, path, s, origin, 0, &e)) {
		if (e.code == LE_DISABLED)
			log_msg(LOG_INFO, "%s: not loading: %s", d->name, e.detail);
		else
			log_msg(LOG_ERR, "%s: could not load %s: %d: %s: %s", d->name, path, e.code, gantry_strerror(e.code),
				e.detail);
	}
}

/* as: whose rights read the directory (root for launchd's own, the user for a home directory). */
static void scan_directory(struct domain *d, const char *dir, enum job_origin origin, uid_t as)
{
	struct dirent **names;
	struct gerror e0 = {0};
	if (!dir[0])
		return;
	if (identity_enter_uid(as, &e0)) {
		log_msg(LOG_ERR, "%s: cannot read job directory %s: %s", d->name, dir, e0.detail);
		return;
	}
	int n = scandir(dir, &names, NULL, alphasort), err = errno;
	identity_leave();
	errno = err;
	if (n < 0) {
		if (errno != ENOENT)
			log_msg(LOG_WARNING, "%s: cannot read job directory %s: %s", d->name, dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		if (has_plist_suffix(names[i]->d_name)) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			load_one(d, path, origin, as);
		}
		free(names[i]);
	}
	free(names);
}

void domain_load_directories(struct domain *d)
{
	const struct gantry_paths *p = &g_launchd.paths;
	if (g_launchd.hooks.domain_loading)
		g_launchd.hooks.domain_loading(d); /* registered items first: they win over legacy plists of the same label */
	if (d->kind == DOMAIN_SYSTEM) {
		scan_directory(d, p->admin_daemons, ORIGIN_ADMIN, 0);
		scan_directory(d, p->mac_daemons, ORIGIN_ADMIN, 0);
		scan_directory(d, p->vendor_daemons, ORIGIN_VENDOR, 0);
		return;
	}
	scan_directory(d, p->admin_agents, ORIGIN_ADMIN, 0);
	scan_directory(d, p->mac_agents, ORIGIN_ADMIN, 0);
	char own[PATH_MAX] = "", mac[PATH_MAX] = "";
	uid_t as = g_launchd.system ? d->uid : 0;
	if (!g_launchd.system) {
		snprintf(own, sizeof(own), "%s", p->user_agents);
		snprintf(mac, sizeof(mac), "%s", p->mac_user_agents);
	} else if (gantry_user_agents_dir(p, d->uid, own, sizeof(own)) ||
		   gantry_mac_user_agents_dir(p, d->uid, mac, sizeof(mac))) {
		log_msg(LOG_WARNING, "%s: uid %u has no home directory: its own agents are not loaded", d->name,
			(unsigned)d->uid);
	}
	scan_directory(d, own, ORIGIN_USER, as);
	scan_directory(d, mac, ORIGIN_USER, as);
	scan_directory(d, p->vendor_agents, ORIGIN_VENDOR, 0);
}
