/*
 * The job state machine (see fsm.h): launchd's lifecycle semantics —
 * RunAtLoad, KeepAlive and its ORed conditions, ThrottleInterval measured
 * from the previous start on the monotonic clock, ExitTimeOut, LaunchOnlyOnce
 * and process-group cleanup — as one transition function.
 */
#include <signal.h>

#include "fsm.h"

/*
 * Gantry never respawns a job less than this long after its previous start,
 * even with ThrottleInterval = 0: a job that cannot start must not become a
 * hot fork loop. launchd has no such floor; docs/launchd.plist.5 says so.
 */
#define FSM_MIN_RESPAWN_MS 1000

void fsm_init(struct job_rt *rt)
{
	*rt = (struct job_rt){.state = JS_WAITING, .last_start_ms = -1};
}

/* The crash signals launchd 842 uses to classify an exit as a crash. */
bool fsm_is_crash_signal(int sig)
{
	switch (sig) {
	case SIGILL: case SIGABRT: case SIGFPE: case SIGBUS: case SIGSEGV: case SIGSYS: case SIGTRAP:
		return true;
	default:
		return false;
	}
}

bool fsm_starts_at_load(const struct job_spec *s, bool external_condition)
{
	if (s->run_at_load)
		return true;
	if (!s->keepalive || s->ka_after_initial_demand)
		return false;
	/* KeepAlive implies RunAtLoad; a conditional one only while a condition holds. */
	return s->ka_always || s->ka_successful_exit >= 0 || s->ka_crashed >= 0 || external_condition;
}

bool fsm_keepalive(const struct job_spec *s, const struct job_rt *rt, bool external_condition)
{
	if (!s->keepalive)
		return false;
	if (s->ka_after_initial_demand && !rt->demanded)
		return false;
	if (s->ka_always)
		return true;
	if (rt->has_exited && s->ka_successful_exit >= 0 &&
	    (rt->last_status == 0) == (s->ka_successful_exit == 1))
		return true;
	if (rt->has_exited && s->ka_crashed >= 0 && rt->last_crashed == (s->ka_crashed == 1))
		return true;
	return external_condition;
}

int64_t fsm_throttle_delay(const struct job_spec *s, const struct job_rt *rt, int64_t now_ms)
{
	if (rt->last_start_ms < 0)
		return 0;
	int64_t interval = (int64_t)s->throttle_interval * 1000;
	if (interval < FSM_MIN_RESPAWN_MS)
		interval = FSM_MIN_RESPAWN_MS;
	int64_t delay = interval - (now_ms - rt->last_start_ms);
	return delay > 0 ? delay : 0;
}

static void start_now(struct job_rt *rt, struct fsm_result *r, int64_t now, enum start_reason why)
{
	rt->state = JS_RUNNING;
	rt->runs++;
	rt->last_start_ms = now;
	rt->reason = why;
	rt->stop_requested = false;
	r->actions |= ACT_SPAWN;
}

/* Starts at once, or schedules the start when ThrottleInterval has not passed. */
static void start_throttled(const struct job_spec *s, struct job_rt *rt, struct fsm_result *r,
	int64_t now, enum start_reason why)
{
	int64_t delay = fsm_throttle_delay(s, rt, now);
	if (delay == 0) {
		start_now(rt, r, now, why);
		return;
	}
	rt->state = JS_SCHEDULED;
	rt->due_ms = now + delay;
	rt->reason = why;
	r->throttle_delay_ms = delay;
	r->actions |= ACT_ARM_THROTTLE;
}

static void stop(const struct job_spec *s, struct job_rt *rt, struct fsm_result *r)
{
	rt->state = JS_STOPPING;
	rt->stop_requested = true;
	r->actions |= ACT_SIGTERM;
	if (s->exit_timeout > 0) {
		r->actions |= ACT_ARM_EXIT_TIMER;
		r->exit_timeout_ms = (int64_t)s->exit_timeout * 1000;
	}
}

static void removed(struct job_rt *rt, struct fsm_result *r)
{
	rt->state = JS_REMOVED;
	r->actions |= ACT_REMOVED;
}

static void exited(const struct job_spec *s, struct job_rt *rt, struct fsm_result *r, const struct fsm_event *ev)
{
	if (rt->state == JS_STOPPING)
		r->actions |= ACT_CANCEL_EXIT_TIMER;
	rt->has_exited = true;
	rt->last_status = ev->status;
	rt->last_spawn_failed = ev->spawn_failed;
	rt->last_crashed = ev->status < 0 && fsm_is_crash_signal(-ev->status) && !rt->stop_requested;
	r->ran_ms = ev->now_ms - rt->last_start_ms;
	if (!s->abandon_pgroup && !ev->spawn_failed)
		r->actions |= ACT_KILL_PGROUP;
	if (rt->removing) {
		removed(rt, r);
	} else if (s->launch_only_once) {
		removed(rt, r);
		r->actions |= ACT_LOG_ONCE;
	} else if (rt->restart_after_exit) {
		rt->restart_after_exit = false;
		start_now(rt, r, ev->now_ms, SR_KICKSTART);
	} else if (fsm_keepalive(s, rt, ev->external_condition)) {
		start_throttled(s, rt, r, ev->now_ms, SR_KEEPALIVE);
		if (r->actions & ACT_ARM_THROTTLE)
			r->actions |= ACT_LOG_THROTTLE;
	} else if (ev->queue_pending) { /* QueueDirectories: runs while a directory is not empty */
		start_throttled(s, rt, r, ev->now_ms, SR_QUEUE);
	} else {
		rt->state = JS_WAITING;
	}
}

static void on_waiting(const struct job_spec *s, struct job_rt *rt, struct fsm_result *r, const struct fsm_event *ev)
{
	switch (ev->type) {
	case EV_LOAD:
		if (fsm_starts_at_load(s, ev->external_condition))
			start_now(rt, r, ev->now_ms, SR_RUNATLOAD);
		break;
	case EV_DEMAND:
	case EV_RESTART:
		rt->demanded = true;
		start_now(rt, r, ev->now_ms, SR_KICKSTART);
		break;
	case EV_REMOVE:
		removed(rt, r);
		break;
	case EV_CONDITION:
		if (fsm_keepalive(s, rt, ev->external_condition))
			start_throttled(s, rt, r, ev->now_ms, SR_CONDITION);
		break;
	case EV_IPC:
		rt->demanded = true;
		start_throttled(s, rt, r, ev->now_ms, SR_IPC);
		break;
	case EV_TRIGGER:
		rt->demanded = true;
		start_throttled(s, rt, r, ev->now_ms, ev->trigger);
		break;
	default:
		break;
	}
}

static void on_scheduled(const struct job_spec *s, struct job_rt *rt, struct fsm_result *r, const struct fsm_event *ev)
{
	(void)s;
	switch (ev->type) {
	case EV_THROTTLE_DONE:
		start_now(rt, r, ev->now_ms, rt->reason);
		break;
	case EV_DEMAND:
	case EV_RESTART:
		rt->demanded = true;
		r->actions |= ACT_CANCEL_THROTTLE;
		start_now(rt, r, ev->now_ms, SR_KICKSTART);
		break;
	case EV_STOP:
		r->actions |= ACT_CANCEL_THROTTLE;
		rt->state = JS_WAITING;
		break;
	case EV_REMOVE:
		r->actions |= ACT_CANCEL_THROTTLE;
		removed(rt, r);
		break;
	default:
		break;
	}
}

static void on_running(const struct job_spec *s, struct job_rt *rt, struct fsm_result *r, const struct fsm_event *ev)
{
	switch (ev->type) {
	case EV_RESTART:
		rt->restart_after_exit = true;
		stop(s, rt, r);
		break;
	case EV_STOP:
		stop(s, rt, r);
		break;
	case EV_REMOVE:
		rt->removing = true;
		stop(s, rt, r);
		break;
	case EV_EXITED:
		exited(s, rt, r, ev);
		break;
	default:
		break;
	}
}

static void on_stopping(const struct job_spec *s, struct job_rt *rt, struct fsm_result *r, const struct fsm_event *ev)
{
	switch (ev->type) {
	case EV_RESTART:
		rt->restart_after_exit = true;
		break;
	case EV_REMOVE:
		rt->removing = true;
		break;
	case EV_EXIT_TIMEOUT:
		r->actions |= ACT_SIGKILL;
		break;
	case EV_EXITED:
		exited(s, rt, r, ev);
		break;
	default:
		break;
	}
}

struct fsm_result fsm_step(const struct job_spec *s, struct job_rt *rt, const struct fsm_event *ev)
{
	struct fsm_result r = {0};
	switch (rt->state) {
	case JS_WAITING: on_waiting(s, rt, &r, ev); break;
	case JS_SCHEDULED: on_scheduled(s, rt, &r, ev); break;
	case JS_RUNNING: on_running(s, rt, &r, ev); break;
	case JS_STOPPING: on_stopping(s, rt, &r, ev); break;
	default: break;
	}
	return r;
}

const char *fsm_state_name(const struct job_rt *rt)
{
	switch (rt->state) {
	case JS_RUNNING:
	case JS_STOPPING:
		return "running";
	case JS_SCHEDULED: /* a retry of a failed spawn still reads "spawn failed" */
		return rt->last_spawn_failed ? "spawn failed" : "spawn scheduled";
	case JS_WAITING:
		return rt->last_spawn_failed ? "spawn failed" : "not running";
	default:
		return "removed";
	}
}

const char *fsm_reason_name(enum start_reason r)
{
	static const char *const names[SR_COUNT] = {
		[SR_NONE] = "(none)",
		[SR_RUNATLOAD] = "runatload",
		[SR_KEEPALIVE] = "keepalive",
		[SR_KICKSTART] = "kickstart",
		[SR_CONDITION] = "keepalive condition",
		[SR_IPC] = "ipc (mach)",
		[SR_INTERVAL] = "interval",
		[SR_CALENDAR] = "calendar",
		[SR_CATCHUP] = "calendar catch-up (missed while asleep or the clock moved)",
		[SR_WATCH] = "watch path changed",
		[SR_QUEUE] = "queue directory not empty",
		[SR_SOCKET] = "socket",
		[SR_MOUNT] = "filesystem mounted",
	};
	return (unsigned)r < SR_COUNT && names[r] ? names[r] : "(unknown)";
}
