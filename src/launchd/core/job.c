/*
 * Jobs (see job.h): feeding events to the state machine and carrying out
 * its actions — spawning, signalling, timers, reaping through the pidfd,
 * telling a spawn failure from an ordinary exit, and telling its waiters
 * when it has started or is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "constraints.h"
#include "domain.h"
#include "endpoint.h"
#include "errors.h"
#include "identity.h"
#include "job.h"
#include "log.h"
#include "netstate.h"
#include "orphans.h"
#include "pathwatch.h"
#include "procrec.h"
#include "spawn.h"
#include "sys.h"
#include "trigger.h"
#include "oom.h"

static void on_throttle(struct timer *t);
static void on_exit_timeout(struct timer *t);
static void step(struct job *j, const struct fsm_event *ev);

/* A KeepAlive.PathState path may have changed: the state machine looks at the conditions again. */
static void on_path_state(const char *path, void *ctx)
{
	struct job *j = ctx;
	(void)path;
	if (!g_launchd.shutting_down && j->rt.state != JS_REMOVED)
		job_event(j, EV_CONDITION);
}

struct job *job_create(struct domain *d, struct job_spec *spec, enum job_origin origin,
	void *const held[TRIGGER_KINDS_MAX])
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		gantry_oom();
	j->domain = d;
	j->spec = spec;
	j->origin = origin;
	j->proc.fd = -1;
	j->rec_slot = -1;
	fsm_init(&j->rt);
	timer_init(&j->throttle_timer, on_throttle);
	timer_init(&j->exit_timer, on_exit_timeout);
	for (size_t i = 0; i < spec->nka_paths; i++)
		pathwatch_add(spec->ka_paths[i].name, on_path_state, j);
	endpoints_create(j);
	if (spec->ka_network >= 0)
		netstate_use(+1, domain_conditions_changed);
	EACH_TRIGGER_KIND(k)
		if ((*k)->arm)
			(*k)->arm(j, held[k - g_launchd.hooks.triggers]);
	return j;
}

const char *job_type_name(const struct job *j)
{
	if (j->origin == ORIGIN_SUBMITTED || j->origin == ORIGIN_SM)
		return "Submitted";
	return j->domain->kind == DOMAIN_SYSTEM ? "LaunchDaemon" : "LaunchAgent";
}

uid_t job_owner(const struct job *j)
{
	return j->domain->kind == DOMAIN_SYSTEM ? 0 : j->domain->uid;
}

bool job_external_condition(const struct job *j)
{
	const struct job_spec *s = j->spec;
	for (size_t i = 0; i < s->nka_paths; i++)
		if (identity_path_exists(job_owner(j), s->ka_paths[i].name) == s->ka_paths[i].want)
			return true;
	for (size_t i = 0; i < s->nka_jobs; i++)
		if ((domain_find_job(j->domain, s->ka_jobs[i].name) != NULL) == s->ka_jobs[i].want)
			return true;
	return s->ka_network >= 0 && netstate_up() == (s->ka_network == 1);
}

void job_add_waiter(struct job *j, struct job_waiter *w)
{
	w->next = j->waiters;
	j->waiters = w;
}

/* Answers the waiters of one kind (or all, kind < 0) with code and detail. */
static void finish_waiters(struct job *j, int kind, int code, const char *detail)
{
	for (struct job_waiter **pp = &j->waiters; *pp;) {
		struct job_waiter *w = *pp;
		if (kind >= 0 && (int)w->milestone != kind) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->done(w, j, code, detail);
	}
}

static void free_strings(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

void job_set_debug(struct job *j, struct spawn_debug *d)
{
	if (j->debug) {
		free(j->debug->program);
		free_strings(j->debug->argv);
		free(j->debug->stdout_path);
		free(j->debug->stderr_path);
		free_strings(j->debug->env);
		free(j->debug);
	}
	j->debug = d;
}

void job_add_shadowed(struct job *j, const char *path)
{
	for (size_t i = 0; i < j->nshadowed; i++)
		if (strcmp(j->shadowed[i], path) == 0)
			return;
	char **grown = realloc(j->shadowed, (j->nshadowed + 1) * sizeof(*grown));
	if (!grown || !(grown[j->nshadowed] = strdup(path)))
		gantry_oom();
	j->shadowed = grown;
	j->nshadowed++;
}

bool job_work_pending(const struct job *j)
{
	EACH_TRIGGER_KIND(k)
		if ((*k)->pending && (*k)->pending(j))
			return true;
	return false;
}

/* The descriptors of the first kind that gives the job any (its Sockets). */
static const struct spawn_fds *trigger_fds(struct job *j, struct spawn_fds *buf)
{
	EACH_TRIGGER_KIND(k) {
		const struct spawn_fds *fds = (*k)->spawn_fds ? (*k)->spawn_fds(j, buf) : NULL;
		if (fds)
			return fds;
	}
	return NULL;
}

struct spawn_identity *job_identity(struct job *j, char *cause, size_t len)
{
	const struct job_spec *s = j->spec;
	const struct domain *d = j->domain;
	bool system_job = d->kind == DOMAIN_SYSTEM;
	uid_t uid = g_launchd.system ? d->uid : g_launchd.uid;
	return identity_lookup(uid, system_job ? s->user : NULL, system_job ? s->group : NULL, s->init_groups,
		cause, len);
}

static void set_spawn_failure(struct job *j, const char *cause)
{
	free(j->spawn_failure);
	j->spawn_failure = cause ? strdup(cause) : NULL;
}

static void log_spawn_failure(const struct job *j, const char *cause)
{
	log_msg(LOG_ERR, "(%s/%s) Service could not spawn: %s (last exit status 78: EX_CONFIG)", j->domain->name,
		j->spec->label, cause);
}

static void on_proc(struct watch *w, uint32_t events);

/* capture_opener (capture.h): a passed-through output path, opened as the job would open it. */
static int open_output(struct job *j, const char *key, const char *path, char *cause, size_t len)
{
	char why[SPAWN_CAUSE_MAX];
	struct spawn_identity *id = job_identity(j, why, sizeof(why));
	int umask = j->spec->umask >= 0 ? j->spec->umask : j->domain->config.umask;
	int fd = id ? spawn_open_output(id, key, path, umask, why) : -1;
	if (fd == SPAWN_OUTPUT_NOT_A_FILE)
		snprintf(cause, len, "%s %s is not a regular file", key, path);
	else if (fd < 0)
		snprintf(cause, len, "%s", why);
	return fd;
}

/* capture_files.rotate: GantryOutputRotation's renames, as the job. */
static int rotate_output(struct job *j, const char *path, char *cause, size_t len)
{
	char why[SPAWN_CAUSE_MAX];
	struct spawn_identity *id = job_identity(j, why, sizeof(why));
	int r = id ? spawn_rotate_output(id, path, j->spec->rotate_keep, why) : EPERM;
	if (r)
		snprintf(cause, len, "%s", why);
	return r;
}

static const struct capture_files output_files = {.open = open_output, .rotate = rotate_output};

/*
 * Whether launchd can spare want more descriptors for capture: a pidfd for every job, loaded or to come,
 * and DOMAIN_FD_RESERVE for launchd come first — a job that runs without its output kept beats one that
 * cannot run. Said once, the first time it is short.
 */
static bool capture_room(const struct job *j, size_t want)
{
	static bool said;
	size_t limit = g_launchd.fd_limit, held = capture_descriptors();
	if (!limit || (held + want <= capture_fd_share() && DOMAIN_FD_RESERVE + domain_total_jobs() + held + want <= limit))
		return true;
	if (!said)
		log_msg(LOG_WARNING, "(%s/%s) output not captured, nor that of jobs started while launchd is this short "
			"of descriptors: %zu jobs loaded and %zu descriptors capturing output (at most a third of what the "
			"jobs leave), of %zu (RLIMIT_NOFILE at its hard limit; raise it: ulimit -Hn, LimitNOFILE= in "
			"launchd.service). print shows which runs were not captured",
			j->domain->name, j->spec->label, domain_total_jobs(), held, limit);
	said = true;
	return false;
}

/*
 * Where the run's stdout and stderr go (capture.h): a stream the plist sends nowhere is captured; one
 * sent to an absolute path passes through launchd, which opens the file (as the job) and reopens it
 * after a rotation — the same file for both streams shares one pipe, keeping their order. A RootDirectory
 * job, a relative path, launchctl debug's paths and an inetd connection keep the job's own descriptor.
 * -1 with cause if a path cannot be opened (the spawn fails as the child's open would have).
 */
static int open_capture(struct job *j, const struct spawn_request *rq, int capture[2], char *cause, size_t len)
{
	const struct spawn_debug *dbg = j->debug;
	const char *keys[2] = {"StandardOutPath", "StandardErrorPath"};
	const char *paths[2] = {j->spec->stdout_path, j->spec->stderr_path};
	if ((rq->extra && rq->extra->stdio_fd >= 0) || (dbg && (dbg->stdout_path || dbg->stderr_path)))
		return 0;
	capture_new_run(j);
	if (!capture_room(j, 4)) { /* two pipes, two files at most */
		capture_skip_run(j);
		return 0; /* paths the job opens itself; no path: /dev/null */
	}
	for (int i = 0; i < 2; i++) {
		bool through = paths[i] && paths[i][0] == '/' && !j->spec->root_dir;
		if (i == 1 && through && paths[0] && strcmp(paths[0], paths[1]) == 0 && capture[0] >= 0) {
			capture[1] = capture[0]; /* one file: one pipe */
			continue;
		}
		if (paths[i] && !through)
			continue;
		int sink = through ? open_output(j, keys[i], paths[i], cause, len) : -1;
		if (sink == SPAWN_OUTPUT_NOT_A_FILE)
			continue; /* the job opens it */
		if (through && sink < 0)
			return -1;
		int r = capture_pipe(j, i ? CAPTURE_STDERR : CAPTURE_STDOUT, sink, keys[i], paths[i], &output_files,
			&capture[i]);
		if (r && sink >= 0)
			close(sink);
		if (r)
			log_msg(LOG_WARNING, "(%s/%s) cannot pass its %s through launchd (%s): %s", j->domain->name,
				j->spec->label, i ? "stderr" : "stdout", strerror(r), through ? "the job opens it" : "/dev/null");
	}
	return 0;
}

static void do_spawn(struct job *j)
{
	char cause[SPAWN_CAUSE_MAX];
	pid_t pid;
	int pidfd;
	struct spawn_identity *id = job_identity(j, cause, sizeof(cause));
	struct spawn_fds extra;
	struct procrec_ticket rec;
	procrec_prepare(&rec, j->domain->name, j->spec->label);
	int capture[2] = {-1, -1};
	struct spawn_request rq = {.spec = j->spec, .id = id, .launchd_socket = g_launchd.paths.socket,
		.domain_env = j->domain->env, .extra = trigger_fds(j, &extra), .rec = &rec, .limits = job_limits(),
		.default_path = j->domain->config.path, .default_umask = j->domain->config.umask, .debug = j->debug,
		.capture = capture};
	int failed = !id || constraint_check_spawn(j->spec, job_owner(j), cause, sizeof(cause)) ||
		     open_capture(j, &rq, capture, cause, sizeof(cause)) || sys->spawn(&rq, &pid, &pidfd, cause);
	capture_close_child_ends(capture[0], capture[1]);
	job_set_debug(j, NULL); /* the next instance only */
	if (failed) {
		/* No process: the job's setup or exec failed, and cause says why. */
		procrec_remove(rec.slot);
		set_spawn_failure(j, cause);
		log_spawn_failure(j, cause);
		finish_waiters(j, JOB_SPAWNED, LE_CANNOT_EXECUTE, cause);
		char why[SPAWN_CAUSE_MAX + 32];
		snprintf(why, sizeof(why), "failed to spawn (%s)", cause);
		endpoints_failed(j, LE_CANNOT_EXECUTE, why);
		struct fsm_event ev = {.type = EV_EXITED, .now_ms = sys->now_ms(), .status = SPAWN_FAILED_STATUS,
			.spawn_failed = true, .external_condition = job_external_condition(j),
			.queue_pending = job_work_pending(j)};
		step(j, &ev);
		return;
	}
	j->pid = pid;
	orphans_job_spawned(j);
	j->rec_slot = rec.slot;
	set_spawn_failure(j, NULL); /* print must not show an old failure beside a process that runs */
	if (loop_watch(&j->proc, pidfd, EPOLLIN, on_proc))
		log_msg(LOG_ERR, "(%s/%s) cannot watch pidfd: %s", j->domain->name, j->spec->label, strerror(errno));
	log_msg(LOG_INFO, "(%s/%s) spawned with pid %d (%s)", j->domain->name, j->spec->label, (int)j->pid,
		fsm_reason_name(j->rt.reason));
	finish_waiters(j, JOB_SPAWNED, 0, NULL);
}

static void log_exit(const struct job *j, pid_t pid, int status)
{
	const char *who = j->domain->name, *label = j->spec->label;
	const char *diag = j->exit_stderr ? j->exit_stderr : "";
	const char *sep = diag[0] ? " — " : "";
	if (status > 0)
		log_msg(LOG_INFO, "(%s/%s [%d]) Service exited with abnormal code: %d%s%s", who, label, (int)pid, status,
			sep, diag);
	else if (status < 0)
		log_msg(LOG_INFO, "(%s/%s [%d]) Service exited due to signal: %s: %d%s%s", who, label, (int)pid,
			signal_description(-status), -status, sep, diag);
	else
		log_msg(LOG_INFO, "(%s/%s [%d]) Service exited with code 0", who, label, (int)pid);
}

static void on_proc(struct watch *w, uint32_t events)
{
	struct job *j = container_of(w, struct job, proc);
	int status;
	bool core;
	(void)events;
	if (sys->reap(w->fd, &status, &core) != 1)
		return;
	int pidfd = w->fd;
	loop_unwatch(w);
	close(pidfd);
	orphans_reap(); /* what exited behind the main process waited for it to be reaped */
	procrec_remove(j->rec_slot);
	j->rec_slot = -1;
	set_spawn_failure(j, NULL);
	char diag[CAPTURE_DIAG_MAX];
	capture_run_ended(j, status, core, diag, sizeof(diag));
	free(j->exit_stderr);
	j->exit_stderr = diag[0] ? strdup(diag) : NULL;
	log_exit(j, j->pid, status);
	if (g_launchd.hooks.job_exited)
		g_launchd.hooks.job_exited(j, status);
	endpoints_job_exited(j);
	char why[96];
	if (status >= 0)
		snprintf(why, sizeof(why), "exited with status %d", status);
	else
		snprintf(why, sizeof(why), "was killed by signal %d (%s)", -status, signal_description(-status));
	endpoints_failed(j, LE_CANNOT_EXECUTE, why);
	struct fsm_event ev = {.type = EV_EXITED, .now_ms = sys->now_ms(), .status = status,
		.external_condition = job_external_condition(j), .queue_pending = job_work_pending(j)};
	step(j, &ev);
	if (j->rt.state == JS_WAITING && endpoints_waiting(j))
		job_event(j, EV_IPC); /* clients connected while it was exiting: the next instance serves them */
}

static void apply(struct job *j, const struct fsm_result *r)
{
	const char *who = j->domain->name, *label = j->spec->label;
	if (r->actions & ACT_CANCEL_THROTTLE)
		timer_cancel(&j->throttle_timer);
	if (r->actions & ACT_CANCEL_EXIT_TIMER)
		timer_cancel(&j->exit_timer);
	if (r->actions & ACT_KILL_PGROUP && j->pid)
		sys->end_group(j->pid, j->spec->exit_timeout); /* what the job left behind in its process group */
	if (!(r->actions & ACT_SPAWN) && j->rt.state != JS_RUNNING && j->rt.state != JS_STOPPING)
		j->pid = 0;
	if (r->actions & ACT_SIGKILL && j->pid) {
		log_msg(LOG_WARNING, "(%s/%s [%d]) Exit timeout elapsed (%d seconds). Killing", who, label, (int)j->pid,
			j->spec->exit_timeout);
		sys->kill(j->pid, SIGKILL);
	}
	if (r->actions & ACT_SIGTERM && j->pid) {
		endpoints_termination_imminent(j);
		sys->kill(j->pid, SIGTERM);
	}
	if (r->actions & ACT_ARM_EXIT_TIMER)
		timer_arm_in(&j->exit_timer, r->exit_timeout_ms);
	if (r->actions & ACT_LOG_THROTTLE)
		log_msg(LOG_INFO, "(%s/%s) Service only ran for %lld seconds. Pushing respawn out by %lld seconds.",
			who, label, (long long)(r->ran_ms / 1000), (long long)((r->throttle_delay_ms + 999) / 1000));
	if (r->actions & ACT_ARM_THROTTLE)
		timer_arm_at(&j->throttle_timer, j->rt.due_ms);
	if (r->actions & ACT_LOG_ONCE)
		log_msg(LOG_INFO, "(%s/%s) Exited. Was only configured to run once.", who, label);
	if (r->actions & ACT_SPAWN) {
		j->pid = 0;
		do_spawn(j);
	}
	if (r->actions & ACT_REMOVED) {
		timer_cancel(&j->throttle_timer);
		timer_cancel(&j->exit_timer);
		domain_forget_job(j); /* first: a waiter may load a job of the same label (an update) */
		finish_waiters(j, JOB_SPAWNED, ESRCH, "the job was unloaded before it started");
		finish_waiters(j, -1, 0, NULL);
	}
}

static void step(struct job *j, const struct fsm_event *ev)
{
	struct fsm_result r = fsm_step(j->spec, &j->rt, ev);
	apply(j, &r);
	EACH_TRIGGER_KIND(k)
		if ((*k)->sync)
			(*k)->sync(j);
}

void job_event(struct job *j, enum fsm_event_type type)
{
	struct fsm_event ev = {.type = type, .now_ms = sys->now_ms(), .external_condition = job_external_condition(j)};
	step(j, &ev);
}

bool job_trigger(struct job *j, enum start_reason why)
{
	if (j->rt.state != JS_WAITING)
		return false; /* running, stopping, scheduled or removed: the state machine would ignore it */
	struct fsm_event ev = {.type = EV_TRIGGER, .now_ms = sys->now_ms(), .external_condition = job_external_condition(j),
		.trigger = why};
	step(j, &ev);
	return true;
}

static void on_throttle(struct timer *t)
{
	job_event(container_of(t, struct job, throttle_timer), EV_THROTTLE_DONE);
}

static void on_exit_timeout(struct timer *t)
{
	job_event(container_of(t, struct job, exit_timer), EV_EXIT_TIMEOUT);
}

int job_signal(struct job *j, int sig)
{
	if (!j->pid)
		return ESRCH;
	if (sig == SIGTERM || sig == SIGKILL || sig == SIGINT || sig == SIGQUIT)
		j->rt.stop_requested = true; /* launchd's own stop: not a crash */
	return sys->kill(j->pid, sig) < 0 ? errno : 0;
}

void job_free(void *p)
{
	struct job *j = p;
	orphans_job_freed(j); /* booted out: what it left behind is stopped too */
	capture_free(j);
	free(j->exit_stderr);
	if (j->proc.fd >= 0) {
		int fd = j->proc.fd;
		loop_unwatch(&j->proc);
		close(fd);
	}
	finish_waiters(j, -1, ESRCH, "the job was freed");
	for (size_t i = 0; i < j->spec->nka_paths; i++)
		pathwatch_remove(j->spec->ka_paths[i].name, on_path_state, j);
	endpoints_free(j);
	if (j->spec->ka_network >= 0)
		netstate_use(-1, domain_conditions_changed);
	EACH_TRIGGER_KIND(k)
		if ((*k)->disarm)
			(*k)->disarm(j);
	free(j->spawn_failure);
	free(j->xpc_bundle);
	job_set_debug(j, NULL);
	for (size_t i = 0; i < j->nshadowed; i++)
		free(j->shadowed[i]);
	free(j->shadowed);
	spec_free(j->spec);
	free(j);
}
