/*
 * Domains (see domain.h): name resolution and permissions, directory scans,
 * and bootstrap with launchd's checks, each failure naming its cause.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "domain.h"
#include "identity.h"
#include "errors.h"
#include "log.h"
#include "sys.h"
#include "safefile.h"

/* Jobs one user's domain may hold in the system launchd: each costs launchd memory and descriptors. */
#define MAX_JOBS_PER_USER_DOMAIN 10000

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
		abort();
	d->kind = kind;
	d->uid = kind == DOMAIN_SYSTEM ? 0 : uid;
	if (kind == DOMAIN_SYSTEM)
		snprintf(d->name, sizeof(d->name), "system");
	else
		snprintf(d->name, sizeof(d->name), "%s/%u", kind == DOMAIN_GUI ? "gui" : "user", (unsigned)uid);
	char path[PATH_MAX];
	overrides_path(kind, uid, path, sizeof(path));
	overrides_load(&d->overrides, path);
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
	} else if (strncmp(name, "gui/", 4) == 0 || strncmp(name, "user/", 5) == 0) {
		kind = name[0] == 'g' ? DOMAIN_GUI : DOMAIN_USER;
		if (parse_uid(strchr(name, '/') + 1, &uid)) {
			gerror_set(e, LE_NO_DOMAIN, "\"%s\": the part after the slash must be a numeric uid", name);
			return NULL;
		}
	} else {
		gerror_set(e, LE_NO_DOMAIN, "\"%s\" is not a domain Gantry has (system, user/<uid>, gui/<uid>)", name);
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
		gerror_set(e, LE_NO_DOMAIN, "%s does not exist yet: it is created when uid %u (or root) first loads or "
			"starts something in it; looking never creates it", name, (unsigned)uid);
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

struct job *domain_job_by_pid(pid_t pid)
{
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		for (struct job *j = d->jobs; j; j = j->next)
			if (j->pid == pid && pid > 0)
				return j;
	return NULL;
}

struct job *domain_find_job(const struct domain *d, const char *label)
{
	return job_index_find(&d->by_label, label);
}

bool domain_job_disabled(const struct domain *d, const char *label, bool plist_default)
{
	bool disabled;
	if (overrides_get(&d->overrides, label, &disabled))
		return disabled;
	return plist_default;
}

/* During shutdown, the loop ends once the last job is gone. */
static void exit_if_done(void)
{
	if (g_launchd.shutting_down && domain_total_jobs() == 0)
		loop_quit();
}

void domain_remove_all_jobs(void)
{
	for (struct domain *d = g_launchd.domains; d; d = d->next) {
		struct job *next;
		for (struct job *j = d->jobs; j; j = next) {
			next = j->next;
			job_event(j, EV_REMOVE);
		}
	}
	exit_if_done();
}

size_t domain_total_jobs(void)
{
	size_t n = 0;
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		n += d->njobs;
	return n;
}

/* Descriptors launchd keeps for itself (control clients, watches, logs) beside one per running job. */
#define FD_RESERVE 256

/* The jobs with KeepAlive conditions, the only ones a change of the world concerns. */
static struct job **cond_jobs;
static size_t ncond, cap_cond;

static void watch_conditions(struct job *j)
{
	if (!j->spec->nka_jobs && !j->spec->nka_paths)
		return;
	if (ncond == cap_cond) {
		cap_cond = cap_cond ? cap_cond * 2 : 16;
		cond_jobs = realloc(cond_jobs, cap_cond * sizeof(*cond_jobs));
		if (!cond_jobs)
			abort();
	}
	cond_jobs[ncond++] = j;
	j->has_conditions = true;
}

static void unwatch_conditions(struct job *j)
{
	for (size_t i = 0; j->has_conditions && i < ncond; i++)
		if (cond_jobs[i] == j) {
			cond_jobs[i] = cond_jobs[--ncond];
			j->has_conditions = false;
		}
}

void domain_conditions_changed(void)
{
	if (g_launchd.shutting_down)
		return; /* nothing starts while launchd stops everything */
	for (size_t i = 0; i < ncond; i++) /* an event never loads or unloads a job: the array stays put */
		job_event(cond_jobs[i], EV_CONDITION);
}

static int check_ownership(const struct domain *d, const char *path, struct gerror *e)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return gerror_set(e, errno == ENOENT ? ENOENT : LE_INVALID_PATH, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return gerror_set(e, LE_INVALID_PATH, "%s is %s, not a regular file", path, gantry_file_kind(st.st_mode));
	uid_t owner_ok = d->kind == DOMAIN_SYSTEM ? 0 : d->uid;
	bool owner_bad = st.st_uid != 0 && st.st_uid != owner_ok;
	bool mode_bad = st.st_mode & (S_IWGRP | S_IWOTH);
	if (!owner_bad && !mode_bad)
		return 0;
	char owner[64];
	struct passwd *pw = sys->getpwuid(st.st_uid);
	snprintf(owner, sizeof(owner), "%s (uid %u)", pw ? pw->pw_name : "?", (unsigned)st.st_uid);
	if (d->kind == DOMAIN_SYSTEM)
		return gerror_set(e, LE_BAD_PERMISSIONS,
			"%s: owner %s, mode %04o; a system job file must be owned by root and not writable by group or others",
			path, owner, (unsigned)(st.st_mode & 07777));
	return gerror_set(e, LE_BAD_PERMISSIONS,
		"%s: owner %s, mode %04o; a job file of %s must be owned by root or uid %u and not writable by group "
		"or others", path, owner, (unsigned)(st.st_mode & 07777), d->name, (unsigned)d->uid);
}

static bool session_fits(const struct domain *d, enum session_type s)
{
	switch (d->kind) {
	case DOMAIN_SYSTEM: return s == SESSION_DEFAULT || s == SESSION_SYSTEM;
	case DOMAIN_GUI: return s == SESSION_DEFAULT || s == SESSION_AQUA;
	default: return s == SESSION_BACKGROUND;
	}
}

static int check_identity(const struct domain *d, struct job_spec *s, struct gerror *e)
{
	if (!g_launchd.system)
		return 0;
	if (d->kind != DOMAIN_SYSTEM)
		return identity_check_spec(s, d->uid, e);
	if (s->user && !sys->getpwnam(s->user))
		return gerror_set(e, LE_NO_USER, "UserName \"%s\": no such user", s->user);
	if (s->group && !sys->getgrnam(s->group))
		return gerror_set(e, LE_NO_GROUP, "GroupName \"%s\": no such group", s->group);
	return 0;
}

/* A path the job names that its user cannot even look at is refused (EACCES, not a missing path). */
static int check_visible(const char *key, char **paths, size_t n, uid_t uid, struct gerror *e)
{
	struct stat st;
	for (size_t i = 0; i < n; i++)
		if (stat(paths[i], &st) < 0 && errno == EACCES)
			return gerror_set(e, EACCES, "%s %s: permission denied for uid %u, whose job this is", key, paths[i],
				(unsigned)uid);
	return 0;
}

static int check_paths_visible(const struct job_spec *s, uid_t uid, struct gerror *e)
{
	for (size_t i = 0; i < s->nka_paths; i++)
		if (check_visible("KeepAlive.PathState", &s->ka_paths[i].name, 1, uid, e))
			return e->code;
	if (check_visible("WatchPaths", s->watch_paths, s->nwatch_paths, uid, e) ||
	    check_visible("QueueDirectories", s->queue_dirs, s->nqueue_dirs, uid, e))
		return e->code;
	return 0;
}

/* Gives back what the trigger kinds acquired for a load that failed. */
static void release_held(void *held[TRIGGER_KINDS_MAX])
{
	EACH_TRIGGER_KIND(k) {
		size_t i = (size_t)(k - g_launchd.hooks.triggers);
		if (held[i] && (*k)->release)
			(*k)->release(held[i]);
		held[i] = NULL;
	}
}

/* Checks the job's paths and lets each trigger kind acquire what it holds (sockets), with the domain user's rights. */
static int acquire_as_owner(const struct domain *d, struct job_spec *spec, void *held[TRIGGER_KINDS_MAX],
	struct gerror *e)
{
	int r = identity_enter_uid(d->uid, e);
	if (r)
		return r;
	r = check_paths_visible(spec, d->uid, e);
	EACH_TRIGGER_KIND(k)
		if (!r && (*k)->acquire)
			r = (*k)->acquire(spec, d->kind == DOMAIN_SYSTEM ? 0 : d->uid, &held[k - g_launchd.hooks.triggers], e);
	identity_leave();
	if (r)
		release_held(held);
	return r;
}

/*
 * Every running job holds a descriptor (its pidfd), launchd a few hundred of its own: past the limit a
 * spawn fails with EMFILE. Said once, when the jobs loaded reach it, with what to do.
 */
static void check_fd_room(void)
{
	static bool said;
	size_t jobs = domain_total_jobs();
	if (said || !g_launchd.fd_limit || jobs + FD_RESERVE <= g_launchd.fd_limit)
		return;
	said = true;
	log_msg(LOG_WARNING, "%zu jobs are loaded and each running one holds a descriptor, but launchd may open only %zu "
		"(RLIMIT_NOFILE, already raised to its hard limit): jobs beyond about %zu will fail to spawn with \"Too many "
		"open files\"; raise the hard limit (ulimit -Hn before starting launchd, LimitNOFILE= in launchd.service)",
		jobs, g_launchd.fd_limit, g_launchd.fd_limit - FD_RESERVE);
}

struct job *domain_add_spec(struct domain *d, struct job_spec *spec, enum job_origin origin, struct gerror *e)
{
	if (g_launchd.system && d->kind != DOMAIN_SYSTEM && d->njobs >= MAX_JOBS_PER_USER_DOMAIN) {
		gerror_set(e, darwin_errno(EDQUOT), "%s holds %zu jobs already, the most a user's domain may hold in the "
			"system launchd", d->name, d->njobs);
		spec_free(spec);
		return NULL;
	}
	struct job *old = domain_find_job(d, spec->label);
	if (old) {
		gerror_set(e, darwin_errno(EALREADY), "%s/%s is already loaded%s%s; bootout it first or kickstart -k to restart it",
			d->name, spec->label, old->spec->path ? " from " : "", old->spec->path ? old->spec->path : "");
		spec_free(spec);
		return NULL;
	}
	if (check_identity(d, spec, e)) {
		spec_free(spec);
		return NULL;
	}
	void *held[TRIGGER_KINDS_MAX] = {0};
	if (acquire_as_owner(d, spec, held, e)) {
		spec_free(spec);
		return NULL;
	}
	struct job *j = job_create(d, spec, origin, held);
	j->next = d->jobs;
	j->pprev = &d->jobs;
	if (d->jobs)
		d->jobs->pprev = &j->next;
	d->jobs = j;
	d->njobs++;
	job_index_add(&d->by_label, j);
	watch_conditions(j);
	check_fd_room();
	for (size_t i = 0; i < spec->nwarnings; i++)
		log_msg(LOG_WARNING, "%s", spec->warnings[i]);
	log_msg(LOG_INFO, "(%s/%s) loaded%s%s", d->name, spec->label, spec->path ? " from " : "",
		spec->path ? spec->path : "");
	job_event(j, EV_LOAD);
	if (job_work_pending(j))
		job_trigger(j, SR_QUEUE); /* filled before it was loaded: checked after the watch is armed */
	domain_conditions_changed();
	return j;
}

static int join_diag(struct gerror *e, struct spec_diag *diag)
{
	size_t off = 0;
	e->code = diag->code ? diag->code : LE_INVALID_PLIST;
	e->detail[0] = '\0';
	for (size_t i = 0; i < diag->nerrors && off < sizeof(e->detail) - 1; i++) {
		int n = snprintf(e->detail + off, sizeof(e->detail) - off, "%s%s", i ? "\n" : "", diag->errors[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	spec_diag_clear(diag);
	return e->code;
}

struct job *domain_submit_plist(struct domain *d, plist_t root, const char *source, struct gerror *e)
{
	struct spec_diag diag = {0};
	struct job_spec *s = spec_from_plist(root, source, &diag);
	if (!s) {
		join_diag(e, &diag);
		return NULL;
	}
	return domain_add_spec(d, s, ORIGIN_SUBMITTED, e);
}

/* Ownership checked and file parsed: the remaining checks, then load. */
static struct job *load_parsed(struct domain *d, const char *path, struct job_spec *s, enum job_origin origin,
	int flags, struct gerror *e)
{
	if ((flags & LOAD_ENABLE) && overrides_set(&d->overrides, s->label, false, e)) {
		spec_free(s);
		return NULL;
	}
	if (!(flags & LOAD_FORCE) && !domain_find_job(d, s->label) &&
	    domain_job_disabled(d, s->label, s->disabled)) {
		bool dummy, by_override = overrides_get(&d->overrides, s->label, &dummy);
		gerror_set(e, LE_DISABLED, "%s/%s is disabled %s%s; run `launchctl enable %s/%s` first "
			"(or legacy `launchctl load -w %s`)", d->name, s->label,
			by_override ? "by an override in " : "by the Disabled key of ",
			by_override ? d->overrides.path : path, d->name, s->label, path);
		spec_free(s);
		return NULL;
	}
	return domain_add_spec(d, s, origin, e);
}

/* Reads a job file with the rights of uid (the requester, or the owner of the directory scanned). */
static struct job_spec *read_checked(struct domain *d, const char *path, uid_t as, struct gerror *e)
{
	if (identity_enter_uid(as, e))
		return NULL;
	struct job_spec *s = NULL;
	if (!check_ownership(d, path, e)) {
		struct spec_diag diag = {0};
		if (!(s = spec_load_file(path, &diag)))
			join_diag(e, &diag);
	}
	identity_leave();
	return s;
}

struct job *domain_bootstrap(struct domain *d, const char *path, enum job_origin origin, int flags, uid_t as,
	struct gerror *e)
{
	struct job_spec *s = read_checked(d, path, as, e);
	if (!s)
		return NULL;
	if (s->session != SESSION_DEFAULT && !session_fits(d, s->session)) {
		gerror_set(e, LE_WRONG_SESSION, "%s: LimitLoadToSessionType does not allow loading into %s (Aqua loads into gui/<uid>, "
			"Background into user/<uid>, System into system)", path, d->name);
		spec_free(s);
		return NULL;
	}
	return load_parsed(d, path, s, origin, flags, e);
}

static bool has_plist_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 6 && strcmp(name + n - 6, ".plist") == 0 && name[0] != '.';
}

/* as: whose rights read the directory (root for launchd's own, the user for a home directory). */
static void scan_directory(struct domain *d, const char *dir, enum job_origin origin, uid_t as)
{
	struct dirent **names;
	struct gerror e0 = {0};
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
			struct gerror e = {0};
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			struct job_spec *s = read_checked(d, path, as, &e);
			if (s && !session_fits(d, s->session)) {
				spec_free(s); /* belongs to another kind of domain */
			} else if (s && g_launchd.hooks.owns_label && g_launchd.hooks.owns_label(d, s->label)) {
				log_msg(LOG_INFO, "%s: not loading %s: %s is registered through Service Management, which "
					"replaces this legacy definition", d->name, path, s->label);
				spec_free(s);
			} else if (!s || !load_parsed(d, path, s, origin, 0, &e)) {
				if (e.code == LE_DISABLED)
					log_msg(LOG_INFO, "%s: not loading: %s", d->name, e.detail);
				else
					log_msg(LOG_ERR, "%s: could not load %s: %d: %s: %s", d->name, path, e.code,
						gantry_strerror(e.code), e.detail);
			}
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
		scan_directory(d, p->vendor_daemons, ORIGIN_VENDOR, 0);
		scan_directory(d, p->admin_daemons, ORIGIN_ADMIN, 0);
		return;
	}
	scan_directory(d, p->vendor_agents, ORIGIN_VENDOR, 0);
	scan_directory(d, p->admin_agents, ORIGIN_ADMIN, 0);
	char dir[PATH_MAX];
	if (!g_launchd.system)
		scan_directory(d, p->user_agents, ORIGIN_USER, 0);
	else if (gantry_user_agents_dir(p, d->uid, dir, sizeof(dir)) == 0)
		scan_directory(d, dir, ORIGIN_USER, d->uid);
}

void domain_forget_job(struct job *j)
{
	struct domain *d = j->domain;
	*j->pprev = j->next;
	if (j->next)
		j->next->pprev = j->pprev;
	d->njobs--;
	job_index_remove(&d->by_label, j);
	unwatch_conditions(j);
	log_msg(LOG_INFO, "(%s/%s) unloaded", d->name, j->spec->label);
	loop_defer(job_free, j);
	domain_conditions_changed();
	exit_if_done();
}
