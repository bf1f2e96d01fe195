/*
 * A loaded job: its spec, its state-machine record, and the OS side — the
 * process and its pidfd, the throttle and exit timers, the recorded spawn
 * failure, and the clients waiting for it to go away. job.c turns the
 * state machine's actions into system calls.
 */
#ifndef GANTRY_JOB_H
#define GANTRY_JOB_H

#include <stdint.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "fsm.h"
#include "loop.h"
#include "spawn.h"
#include "spec.h"

struct domain;

/* ORIGIN_SM: registered through Service Management (registry.h), not loaded from a directory. */
enum job_origin { ORIGIN_VENDOR, ORIGIN_ADMIN, ORIGIN_USER, ORIGIN_PATH, ORIGIN_SUBMITTED, ORIGIN_SM };

enum waiter_kind { WAIT_REMOVED, WAIT_SPAWNED };

/* A reply sent once every job it waits for is done (bootout of several paths). */
struct pending_reply {
	xpc_object_t reply;
	int count;
	/* if set, called instead of sending the reply when the last wait is over; it sends it */
	void (*then)(xpc_object_t reply, void *ctx);
	void *then_ctx;
};

struct waiter {
	struct waiter *next;
	enum waiter_kind kind;
	struct pending_reply *pending;
};

struct job {
	struct job *next;
	struct domain *domain;
	struct job_spec *spec;
	enum job_origin origin;
	struct job_rt rt;
	pid_t pid;            /* 0 when not running */
	struct watch proc;    /* the pidfd */
	struct timer throttle_timer, exit_timer;
	char *spawn_failure;  /* cause of the last failed spawn, or NULL */
	struct waiter *waiters;
	struct endpoint *endpoints; /* one per MachServices entry */
	struct job_timers *timers;  /* StartInterval / StartCalendarInterval, or NULL */
	uint64_t path_skips;        /* WatchPaths/QueueDirectories fires while it ran */
	struct job_sockets *sockets; /* Sockets launchd holds for it, or NULL */
	int rec_slot;               /* its process's slot in the process record (procrec.h), or -1 */
};

struct job *job_create(struct domain *d, struct job_spec *spec, enum job_origin origin);
/* Feeds one event to the state machine and carries out its actions. */
void job_event(struct job *j, enum fsm_event_type type);
/* Creates a reply that is sent when count waits have finished. */
struct pending_reply *pending_reply_create(xpc_object_t reply, int count);
/* Frees a pending reply nobody waits on any more (its reply was sent or is dropped). */
void pending_reply_free(struct pending_reply *pr);
void job_add_waiter(struct job *j, enum waiter_kind kind, struct pending_reply *pr);
/*
 * Boots j out; once it is gone, then(reply, ctx) runs and must send reply
 * (reply may be NULL when nobody waits: then gets a dictionary nobody reads).
 */
void job_remove_then(struct job *j, xpc_object_t reply, void (*then)(xpc_object_t reply, void *ctx), void *ctx);
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
/* Any PathState / OtherJobEnabled entry holds now. */
bool job_external_condition(const struct job *j);
const char *job_type_name(const struct job *j);
/* Frees a job that the state machine has removed (called deferred). */
void job_free(void *job);

#endif
