/*
 * XPC activities (<xpc/activity.h>): work a process asks to run later or
 * repeatedly, its handler (a block) called on libxpc's thread. On macOS
 * launchd keeps activities across runs of the process and picks an opportune
 * moment within the grace period; here they live as long as the process and
 * run when due: Delay seconds after registration, and a repeating activity
 * (Repeating, Interval) again Interval seconds after each run completes
 * (Delay defaults to Interval for it). A handler that returns in state RUN
 * has completed; CONTINUE keeps the run open until someone sets DONE or
 * DEFER; DEFER runs it again after the grace period (default 60 s).
 * XPC_ACTIVITY_CHECK_IN calls the handler once in state CHECK_IN, where it
 * may set the criteria (there is no launchd plist to take them from).
 */
#define _GNU_SOURCE
#include <Block.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn_internal.h"

#define DEFER_DEFAULT_S 60

const char *const XPC_ACTIVITY_INTERVAL = "Interval";
const char *const XPC_ACTIVITY_REPEATING = "Repeating";
const char *const XPC_ACTIVITY_DELAY = "Delay";
const char *const XPC_ACTIVITY_GRACE_PERIOD = "GracePeriod";
const char *const XPC_ACTIVITY_PRIORITY = "Priority";
const char *const XPC_ACTIVITY_PRIORITY_MAINTENANCE = "Maintenance";
const char *const XPC_ACTIVITY_PRIORITY_UTILITY = "Utility";
const char *const XPC_ACTIVITY_ALLOW_BATTERY = "AllowBattery";
const char *const XPC_ACTIVITY_REQUIRE_SCREEN_SLEEP = "RequireScreenSleep";
const char *const XPC_ACTIVITY_REQUIRE_BATTERY_LEVEL = "RequireBatteryLevel";
const char *const XPC_ACTIVITY_REQUIRE_HDD_SPINNING = "RequireHDDSpinning";
const int64_t XPC_ACTIVITY_INTERVAL_1_MIN = 60;
const int64_t XPC_ACTIVITY_INTERVAL_5_MIN = 300;
const int64_t XPC_ACTIVITY_INTERVAL_15_MIN = 900;
const int64_t XPC_ACTIVITY_INTERVAL_30_MIN = 1800;
const int64_t XPC_ACTIVITY_INTERVAL_1_HOUR = 3600;
const int64_t XPC_ACTIVITY_INTERVAL_4_HOURS = 14400;
const int64_t XPC_ACTIVITY_INTERVAL_8_HOURS = 28800;
const int64_t XPC_ACTIVITY_INTERVAL_1_DAY = 86400;
const int64_t XPC_ACTIVITY_INTERVAL_7_DAYS = 604800;

/* The marker criteria of an activity that takes its criteria at check-in. */
struct _xpc_object_s _xpc_activity_check_in = {.type = &_xpc_type_null, .refs = XPC_REFS_IMMORTAL};

struct activity {
	struct _xpc_object_s base;
	struct activity *next;   /* in the registered list */
	char *identifier;
	xpc_object_t criteria;   /* a dictionary, or NULL until checked in */
	void *handler;           /* a copied block */
	xpc_activity_state_t state;
	int64_t due_ms;          /* CLOCK_MONOTONIC; -1: not scheduled */
	bool running;            /* its handler runs now, or it was left in CONTINUE */
	bool in_handler;         /* its handler runs now */
};

static struct activity *registered;

static void activity_destroy(xpc_object_t o)
{
	struct activity *a = (struct activity *)o;
	free(a->identifier);
	xpc_release(a->criteria);
	_Block_release(a->handler);
	free(a);
}

const struct _xpc_type_s _xpc_type_activity = {"activity", 0, false, activity_destroy, NULL, NULL};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t seconds(xpc_object_t criteria, const char *key, int64_t fallback)
{
	xpc_object_t v = xpc_dictionary_get_value(criteria, key);
	return xpc_get_type(v) == XPC_TYPE_INT64 && xpc_int64_get_value(v) >= 0 ? xpc_int64_get_value(v) : fallback;
}

/* When a (re)scheduled activity is next due: after Delay at first, after Interval once it ran. */
static void schedule(struct activity *a, bool first)
{
	bool repeating = xpc_dictionary_get_bool(a->criteria, XPC_ACTIVITY_REPEATING);
	int64_t interval = seconds(a->criteria, XPC_ACTIVITY_INTERVAL, 0);
	if (!first && !repeating) {
		a->due_ms = -1;
		return;
	}
	int64_t wait = first ? seconds(a->criteria, XPC_ACTIVITY_DELAY, repeating ? interval : 0) : interval;
	a->due_ms = now_ms() + wait * 1000;
	a->state = XPC_ACTIVITY_STATE_WAIT;
	lib_wake();
}

static int next_timeout(void)
{
	int64_t next = -1, now = now_ms();
	for (struct activity *a = registered; a; a = a->next)
		if (a->due_ms >= 0 && !a->running && (next < 0 || a->due_ms < next))
			next = a->due_ms;
	return next < 0 ? -1 : next <= now ? 0 : (int)(next - now > 1 << 30 ? 1 << 30 : next - now);
}

/* The handler returned: RUN means done; CONTINUE keeps the run open; DONE and DEFER reschedule. */
static void after_run(struct activity *a)
{
	if (a->state == XPC_ACTIVITY_STATE_RUN)
		a->state = XPC_ACTIVITY_STATE_DONE;
	if (a->state == XPC_ACTIVITY_STATE_CONTINUE)
		return;
	a->running = false;
	if (a->state == XPC_ACTIVITY_STATE_DEFER) {
		a->due_ms = now_ms() + seconds(a->criteria, XPC_ACTIVITY_GRACE_PERIOD, DEFER_DEFAULT_S) * 1000;
		a->state = XPC_ACTIVITY_STATE_WAIT;
		lib_wake();
	} else {
		schedule(a, false);
	}
}

/* Calls a's handler in state with libxpc unlocked (held once by the caller). */
static void call(struct activity *a, xpc_activity_state_t state)
{
	a->state = state;
	a->running = true;
	a->in_handler = true;
	xpc_retain(&a->base);
	lib_unlock();
	block_call(a->handler, &a->base);
	lib_lock();
	a->in_handler = false;
	if (state == XPC_ACTIVITY_STATE_CHECK_IN) {
		a->running = false;
		if (a->criteria && a->due_ms < 0)
			schedule(a, true);
	} else {
		after_run(a);
	}
	xpc_release(&a->base);
}

static void run_due(void)
{
	int64_t now = now_ms();
	for (struct activity *a = registered; a; a = a->next) {
		if (a->due_ms >= 0 && a->due_ms <= now && !a->running) {
			a->due_ms = -1;
			call(a, XPC_ACTIVITY_STATE_RUN);
			return; /* the list may have changed while unlocked: the next round looks again */
		}
	}
}

static void unlist(struct activity *a)
{
	for (struct activity **p = &registered; *p; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			xpc_release(&a->base);
			return;
		}
}

void xpc_activity_unregister(const char *identifier)
{
	lib_lock();
	for (struct activity *a = registered; a; a = a->next)
		if (strcmp(a->identifier, identifier) == 0) {
			a->due_ms = -1;
			unlist(a);
			break;
		}
	lib_unlock();
}

void xpc_activity_register(const char *identifier, xpc_object_t criteria, void *handler)
{
	xpc_activity_unregister(identifier); /* a new registration replaces the old */
	struct activity *a = xpc_xalloc(sizeof(*a));
	a->base.type = &_xpc_type_activity;
	a->base.refs = 1;
	a->identifier = xpc_xstrdup(identifier);
	a->handler = _Block_copy(handler);
	a->due_ms = -1;
	bool check_in = criteria == XPC_ACTIVITY_CHECK_IN || xpc_get_type(criteria) != XPC_TYPE_DICTIONARY;
	a->criteria = check_in ? NULL : xpc_copy(criteria);
	lib_lock();
	lib_set_timers(next_timeout, run_due);
	lib_thread_ensure();
	a->next = registered;
	registered = a;
	if (check_in)
		call(a, XPC_ACTIVITY_STATE_CHECK_IN);
	else
		schedule(a, true);
	lib_unlock();
}

xpc_object_t xpc_activity_copy_criteria(xpc_activity_t activity)
{
	struct activity *a = (struct activity *)activity;
	lib_lock();
	xpc_object_t c = a->criteria ? xpc_copy(a->criteria) : NULL;
	lib_unlock();
	return c;
}

void xpc_activity_set_criteria(xpc_activity_t activity, xpc_object_t criteria)
{
	struct activity *a = (struct activity *)activity;
	if (xpc_get_type(criteria) != XPC_TYPE_DICTIONARY)
		return;
	lib_lock();
	xpc_release(a->criteria);
	a->criteria = xpc_copy(criteria);
	if (!a->running)
		schedule(a, true);
	lib_unlock();
}

xpc_activity_state_t xpc_activity_get_state(xpc_activity_t activity)
{
	lib_lock();
	xpc_activity_state_t state = ((struct activity *)activity)->state;
	lib_unlock();
	return state;
}

bool xpc_activity_set_state(xpc_activity_t activity, xpc_activity_state_t state)
{
	struct activity *a = (struct activity *)activity;
	bool ok = state == XPC_ACTIVITY_STATE_CONTINUE || state == XPC_ACTIVITY_STATE_DONE ||
		  state == XPC_ACTIVITY_STATE_DEFER;
	lib_lock();
	ok = ok && a->running;
	if (ok) {
		a->state = state;
		if (state != XPC_ACTIVITY_STATE_CONTINUE && !a->in_handler)
			after_run(a); /* a run its handler left open (CONTINUE) ends now */
	}
	lib_unlock();
	return ok;
}

bool xpc_activity_should_defer(xpc_activity_t activity)
{
	(void)activity;
	return false; /* no battery, thermal or user-activity signal to defer for */
}
