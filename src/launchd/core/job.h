/*
 * A loaded job: its spec, its state-machine record, and the OS side — the
 * process and its pidfd, the throttle and exit timers, the recorded spawn
 * failure, and its waiters (who waits for it to start or to be gone). job.c turns the
 * state machine's actions into system calls.
 */
#ifndef GANTRY_JOB_H
#define GANTRY_JOB_H

#include <stdint.h>
#include <sys/types.h>

#include "fsm.h"
#include "loop.h"
#include "spawn.h"
#include "spec.h"
#include "trigger.h"

struct domain;
struct job;

/* ORIGIN_SM: registered through Service Management (registry.h), not loaded from a directory. */
enum job_origin { ORIGIN_VENDOR, ORIGIN_ADMIN, ORIGIN_USER, ORIGIN_PATH, ORIGIN_SUBMITTED, ORIGIN_SM };

/* What a job waiter waits for. */
enum job_milestone { JOB_SPAWNED, JOB_REMOVED };

/*
 * Someone waiting for a job to reach a milestone (a request's reply:
 * pending.h). done() runs once, after w is unlinked: code 0 when the
 * milestone is reached, else an error and a detail saying why it never will
 * be. The job layer knows nothing of who waits or how they are answered.
 */
struct job_waiter {
	struct job_waiter *next;
	enum job_milestone milestone;
	void (*done)(struct job_waiter *w, const struct job *j, int code, const char *detail);
};

struct job {
	struct job *next, **pprev; /* the domain's list of jobs */
	struct job *label_next;    /* the domain's index by label (jobindex.h) */
	bool has_conditions;       /* KeepAlive PathState or OtherJobEnabled: told when the world changes */
	struct domain *domain;
	struct job_spec *spec;
	enum job_origin origin;
	struct job_rt rt;
	pid_t pid;            /* 0 when not running */
	pid_t pgid;           /* the process group and session of its last instance (orphans.h), or 0 */
	struct job *pgid_next; /* the adopted processes' index of jobs by pgid */
	struct watch proc;    /* the pidfd */
	struct timer throttle_timer, exit_timer;
	char *spawn_failure;  /* cause of the last failed spawn, or NULL */
	char *xpc_bundle;     /* an XPC service of this app bundle: only its processes may look it up; or NULL */
	struct job_waiter *waiters;
	struct endpoint *endpoints; /* one per MachServices entry */
	struct job_timers *timers;  /* StartInterval / StartCalendarInterval, or NULL */
	uint64_t path_skips;        /* WatchPaths/QueueDirectories fires while it ran */
	struct job_sockets *sockets; /* Sockets launchd holds for it, or NULL */
	int rec_slot;               /* its process's slot in the process record (procrec.h), or -1 */
	struct spawn_debug *debug;  /* launchctl debug: overrides for the next instance only, or NULL */
	struct capture *capture;    /* its captured output (capture.h), or NULL */
	char *exit_stderr;          /* the last failed run's stderr tail and core dump (print, blame), or NULL */
	char **shadowed;            /* plists of the same label that a directory of lower precedence holds */
	size_t nshadowed;
};

/* A job of d; held: what each trigger kind acquired for it (trigger.h), in the kinds' order. */
struct job *job_create(struct domain *d, struct job_spec *spec, enum job_origin origin,
	void *const held[TRIGGER_KINDS_MAX]);
/* Feeds one event to the state machine and carries out its actions. */
void job_event(struct job *j, enum fsm_event_type type);
void job_add_waiter(struct job *j, struct job_waiter *w);
/*
 * A trigger (timer, path, queue, socket, mount) fired: starts the job (throttled) if it is
 * waiting. Returns false, doing nothing, if it is not.
 */
bool job_trigger(struct job *j, enum start_reason why);
/* Who the job runs as; NULL with cause set if its user or group does not exist. */
struct spawn_identity *job_identity(struct job *j, char *cause, size_t len);
/* Sends sig to the running instance; returns 0 or an errno. */
int job_signal(struct job *j, int sig);
/* Whose rights launchd uses for what the job names (root for the system domain, else the domain's user). */
uid_t job_owner(const struct job *j);
/* launchctl debug: d (the job takes it) replaces what the next instance runs; only that one. */
void job_set_debug(struct job *j, struct spawn_debug *d);
/* path holds the same label in a job directory of lower precedence (jobdirs.c): print shows it. */
void job_add_shadowed(struct job *j, const char *path);
/* Does work wait for the job (a trigger kind says so: a queue directory holds an entry)? */
bool job_work_pending(const struct job *j);
/* Any PathState / OtherJobEnabled entry holds now. */
bool job_external_condition(const struct job *j);
const char *job_type_name(const struct job *j);
/* Frees a job that the state machine has removed (called deferred). */
void job_free(void *job);

#endif
