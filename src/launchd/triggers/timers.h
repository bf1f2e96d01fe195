/*
 * The timer triggers of a job: StartInterval on CLOCK_BOOTTIME (intervals
 * that elapse during suspend fire once on resume) and StartCalendarInterval
 * as absolute CLOCK_REALTIME timers that the kernel cancels when the clock
 * is set, so that what became due is started (once) before the next fire
 * is computed again. Both start the job only when it is not running; a
 * fire while it runs is skipped and counted. `print` shows next and last
 * fire and why.
 */
#ifndef GANTRY_TIMERS_H
#define GANTRY_TIMERS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <xpc/xpc.h>

#include "fsm.h"
#include "loop.h"
#include "trigger.h"

struct job;

struct job_timers {
	struct job *job;
	struct watch interval;   /* timerfd, CLOCK_BOOTTIME, periodic; fd -1 if none */
	struct watch calendar;   /* timerfd, CLOCK_REALTIME absolute + TFD_TIMER_CANCEL_ON_SET; fd -1 if none */
	struct timer catchup;    /* a catch-up start, spread by a per-job delay */
	time_t next_fire;        /* the next calendar fire (wall clock), -1 if none */
	time_t last_wall;        /* the latest calendar minute acted on: never fire it again */
	time_t last_fire;        /* when a trigger last fired (wall clock), 0 if never */
	enum start_reason last_reason;
	uint64_t skipped;        /* fires while the job was running */
	uint64_t coalesced;      /* interval periods that elapsed while suspended, folded into one fire */
};

/* The wall clock launchd schedules by: the real one, moved by --test-clock's offset. */
time_t timers_now(void);
/* --test-clock: moves launchd's wall clock by offset seconds, as if the clock had been set. */
void timers_set_clock_offset(int64_t offset);
/* StartInterval and StartCalendarInterval (trigger.h); print shows next/last fire, reason, skips. */
extern const struct trigger_kind timers_trigger;

#endif
