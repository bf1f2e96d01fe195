/*
 * The job state machine: pure. fsm_step() takes a job's runtime record, its
 * spec and one event, updates the record and returns the actions for the
 * caller (job.c) to carry out. It makes no system calls, so every
 * (state, event) pair is unit-tested without processes (tests/unit).
 */
#ifndef GANTRY_FSM_H
#define GANTRY_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

enum job_state {
	JS_WAITING,   /* loaded, not running, waiting for demand or a condition */
	JS_SCHEDULED, /* a start is due when the throttle timer fires */
	JS_RUNNING,
	JS_STOPPING,  /* SIGTERM sent, waiting for the exit (ExitTimeOut armed) */
	JS_REMOVED,   /* unloaded; the caller frees the job */
	JS_COUNT
};

enum fsm_event_type {
	EV_LOAD,        /* the job was bootstrapped */
	EV_DEMAND,      /* kickstart / start: run now, regardless of throttle */
	EV_RESTART,     /* kickstart -k: stop the instance, then run again at once */
	EV_STOP,        /* launchctl stop / kill TERM: stop the instance */
	EV_REMOVE,      /* bootout / unload / shutdown: stop and unload */
	EV_EXITED,      /* the process is gone (or its spawn failed) */
	EV_THROTTLE_DONE,
	EV_EXIT_TIMEOUT,
	EV_CONDITION,   /* a KeepAlive condition (PathState, OtherJobEnabled) may have changed */
	EV_IPC,         /* a client connected to one of its MachServices: start, throttled */
	EV_TRIGGER,     /* a timer (StartInterval, StartCalendarInterval) fired: start, throttled */
	EV_COUNT
};

/* Why the job was last started, as `print` shows in "immediate reason". */
/* Why a job started; a new trigger kind adds its reason here and its name in fsm_reason_name(). */
enum start_reason { SR_NONE, SR_RUNATLOAD, SR_KEEPALIVE, SR_KICKSTART, SR_CONDITION, SR_IPC, SR_INTERVAL,
	SR_CALENDAR, SR_CATCHUP, SR_WATCH, SR_QUEUE, SR_SOCKET, SR_MOUNT, SR_COUNT };

struct fsm_event {
	enum fsm_event_type type;
	int64_t now_ms;        /* monotonic clock */
	/* EV_EXITED */
	int status;            /* exit code, or minus the signal number */
	bool spawn_failed;     /* setup or exec failed (status is then 78) */
	/* KeepAlive conditions evaluated by the caller: any PathState or
	 * OtherJobEnabled entry holds. */
	bool external_condition;
	/* EV_TRIGGER: which trigger (SR_INTERVAL, SR_CALENDAR, SR_CATCHUP, SR_WATCH, SR_QUEUE) */
	enum start_reason trigger;
	/* EV_EXITED: a QueueDirectories entry is still there (the job runs again) */
	bool queue_pending;
};

struct job_rt {
	enum job_state state;
	int64_t last_start_ms;   /* -1: never started */
	int64_t due_ms;          /* JS_SCHEDULED: when the start is due */
	unsigned runs;
	bool has_exited;
	int last_status;
	bool last_crashed;
	bool last_spawn_failed;
	bool demanded;           /* started on demand at least once (AfterInitialDemand) */
	bool removing;           /* EV_REMOVE arrived while an instance ran */
	bool restart_after_exit; /* EV_RESTART arrived while an instance ran */
	bool stop_requested;     /* launchd sent the signal: the exit is not a crash */
	enum start_reason reason;
};

enum fsm_action {
	ACT_SPAWN = 1 << 0,
	ACT_ARM_THROTTLE = 1 << 1,    /* timer for due_ms */
	ACT_CANCEL_THROTTLE = 1 << 2,
	ACT_SIGTERM = 1 << 3,
	ACT_ARM_EXIT_TIMER = 1 << 4,  /* exit_timeout_ms from now */
	ACT_CANCEL_EXIT_TIMER = 1 << 5,
	ACT_SIGKILL = 1 << 6,
	ACT_KILL_PGROUP = 1 << 7,     /* SIGTERM what is left of the process group */
	ACT_LOG_THROTTLE = 1 << 8,    /* "Service only ran for N seconds. Pushing respawn out by M seconds." */
	ACT_REMOVED = 1 << 9,         /* the job is unloaded: answer bootout waiters, free it */
	ACT_LOG_ONCE = 1 << 10,       /* "Exited. Was only configured to run once." */
};

struct fsm_result {
	unsigned actions;
	int64_t throttle_delay_ms;
	int64_t ran_ms;
	int64_t exit_timeout_ms;
};

void fsm_init(struct job_rt *rt);
struct fsm_result fsm_step(const struct job_spec *s, struct job_rt *rt, const struct fsm_event *ev);

/* Pure helpers, exported for tests and `print`. */
bool fsm_keepalive(const struct job_spec *s, const struct job_rt *rt, bool external_condition);
bool fsm_starts_at_load(const struct job_spec *s, bool external_condition);
/* Milliseconds a start at now_ms must wait for ThrottleInterval (0: none). */
int64_t fsm_throttle_delay(const struct job_spec *s, const struct job_rt *rt, int64_t now_ms);
bool fsm_is_crash_signal(int sig);
const char *fsm_state_name(const struct job_rt *rt);
const char *fsm_reason_name(enum start_reason r);

#endif
