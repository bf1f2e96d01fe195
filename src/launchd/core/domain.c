/*
 * A domain's jobs (see domain.h): adding one with launchd's checks, reading
 * and bootstrapping job files, KeepAlive conditions, forgetting a job —
 * each failure naming its cause. Naming and creating domains is
 * domains.c's, scanning their directories jobdirs.c's.
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
#include "oom.h"

/* Jobs one user's domain may hold in the system launchd: each costs launchd memory and descriptors. */
#define MAX_JOBS_PER_USER_DOMAIN 10000

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

/* The jobs with KeepAlive conditions, the only ones a change of the world concerns. */
static struct job **cond_jobs;
static size_t ncond, cap_cond;

static void watch_conditions(struct job *j)
{
	if (!j->spec->nka_jobs && !j->spec->nka_paths && j->spec->ka_network < 0)
		return;
	if (ncond == cap_cond) {
		cap_cond = cap_cond ? cap_cond * 2 : 16;
		cond_jobs = realloc(cond_jobs, cap_cond * sizeof(*cond_jobs));
		if (!cond_jobs)
			gantry_oom();
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

/* A job's session types, its domain's default (System for daemons, Aqua for agents) if it names none. */
static unsigned sessions_or_default(const struct domain *d, unsigned s)
{
	return s ? s : d->kind == DOMAIN_SYSTEM ? SESSION_SYSTEM : SESSION_AQUA;
}

bool domain_session_fits(const struct domain *d, unsigned s)
{
	return (sessions_or_default(d, s) & d->session_types) != 0;
}

/* A job that does not fit d's session types now: refused with what to do (the SSH case first). */
static int session_refusal(const struct domain *d, const struct job_spec *s, struct gerror *e)
{
	char wants[96], hosts[96];
	if (s->sessions == SESSION_UNKNOWN)
		return gerror_set(e, LE_WRONG_SESSION, "%s: LimitLoadToSessionType names no session type that exists "
			"(Aqua, Background, LoginWindow, StandardIO, System)", s->label);
	if (d->kind == DOMAIN_GUI && !d->session_types)
		return gerror_set(e, LE_DOMAIN_UNSUPPORTED, "%s has no graphical login session: uid %u is not logged in "
			"to a desktop (pam_launchd.so opens gui/%u at a graphical login). For an agent in an SSH or console "
			"login, bootstrap it into user/%u with LimitLoadToSessionType Background (or StandardIO)", d->name,
			(unsigned)d->uid, (unsigned)d->uid, (unsigned)d->uid);
	if (d->kind == DOMAIN_USER && !d->session_types)
		return gerror_set(e, LE_DOMAIN_UNSUPPORTED, "%s is not active: uid %u has no login session and does not "
			"linger (launchctl linger %u on keeps it)", d->name, (unsigned)d->uid, (unsigned)d->uid);
	return gerror_set(e, LE_WRONG_SESSION, "%s: LimitLoadToSessionType %s does not fit %s, which hosts %s now "
		"(Aqua and LoginWindow load into gui/<uid>, Background and StandardIO into user/<uid>, System into system)",
		s->label, spec_session_names(sessions_or_default(d, s->sessions), wants, sizeof(wants)), d->name,
		spec_session_names(d->session_types, hosts, sizeof(hosts)));
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
 * spawn fails with EMFILE. Said once, when the jobs loaded reach it, with what to do. (Capturing output
 * costs more, but only what is left: job.c captures no more once the pidfds would be short.)
 */
static void check_fd_room(void)
{
	static bool said;
	size_t jobs = domain_total_jobs();
	if (said || !g_launchd.fd_limit || jobs + DOMAIN_FD_RESERVE <= g_launchd.fd_limit)
		return;
	said = true;
	log_msg(LOG_WARNING, "%zu jobs are loaded and each running one holds a descriptor, but launchd may open only %zu "
		"(RLIMIT_NOFILE, already raised to its hard limit): jobs beyond about %zu will fail to spawn with \"Too many "
		"open files\"; raise the hard limit (ulimit -Hn before starting launchd, LimitNOFILE= in launchd.service)",
		jobs, g_launchd.fd_limit, g_launchd.fd_limit - DOMAIN_FD_RESERVE);
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
	if (!domain_session_fits(d, spec->sessions)) {
		session_refusal(d, spec, e);
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

/* A disabled plist's label and MachServices, so that a lookup of one of its names can say why it fails. */
static void remember_disabled(struct domain *d, const struct job_spec *s)
{
	if (!s->nservices)
		return;
	for (struct disabled_job *dj = d->disabled_jobs; dj; dj = dj->next)
		if (strcmp(dj->label, s->label) == 0)
			return;
	struct disabled_job *dj = calloc(1, sizeof(*dj));
	if (!dj || !(dj->label = strdup(s->label)) || !(dj->services = calloc(s->nservices + 1, sizeof(char *))))
		gantry_oom();
	for (size_t i = 0; i < s->nservices; i++)
		if (!(dj->services[i] = strdup(s->services[i].name)))
			gantry_oom();
	dj->plist_disabled = s->disabled;
	dj->next = d->disabled_jobs;
	d->disabled_jobs = dj;
}

const char *domain_disabled_provider(const struct domain *d, const char *name)
{
	for (const struct disabled_job *dj = d->disabled_jobs; dj; dj = dj->next)
		for (char **n = dj->services; *n; n++)
			if (strcmp(*n, name) == 0 && !domain_find_job(d, dj->label) &&
			    domain_job_disabled(d, dj->label, dj->plist_disabled))
				return dj->label;
	return NULL;
}

/* Ownership checked and file parsed: the remaining checks, then load. */
struct job *domain_load_spec(struct domain *d, const char *path, struct job_spec *s, enum job_origin origin,
	int flags, struct gerror *e)
{
	if ((flags & LOAD_ENABLE) && overrides_set(&d->overrides, s->label, false, e)) {
		spec_free(s);
		return NULL;
	}
	if (!(flags & LOAD_FORCE) && !domain_find_job(d, s->label) &&
	    domain_job_disabled(d, s->label, s->disabled)) {
		bool dummy, by_override = overrides_get(&d->overrides, s->label, &dummy);
		remember_disabled(d, s);
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
struct job_spec *domain_read_plist(struct domain *d, const char *path, uid_t as, struct gerror *e)
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
	struct job_spec *s = domain_read_plist(d, path, as, e);
	if (!s)
		return NULL;
	return domain_load_spec(d, path, s, origin, flags, e);
}

/* A pid domain whose process exited and whose last job is gone: unlisted and freed. */
void domain_release_if_done(void *arg)
{
	struct domain *d = arg;
	if (d->kind != DOMAIN_PID || !d->ending || d->njobs)
		return;
	for (struct domain **p = &g_launchd.domains; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	for (size_t i = 0; i < d->nenv; i++)
		free(d->env[i]);
	free(d->env);
	free(d->by_label.buckets);
	free(d);
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
	if (d->kind == DOMAIN_PID)
		loop_defer(domain_release_if_done, d); /* after job_free, which still looks at it */
	domain_conditions_changed();
	exit_if_done();
}
