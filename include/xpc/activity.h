/*
 * <xpc/activity.h> — XPC activities: work to run later or repeatedly, with
 * criteria, its handler (a block) called on libxpc's thread. As Apple's, the
 * API exists for code built with blocks (clang -fblocks). Activities live as
 * long as the process (launchd keeps them across runs on macOS) and run when
 * due: see xpc(3) for the rules, and which criteria are kept but not acted on.
 */
#ifndef GANTRY_XPC_ACTIVITY_H
#define GANTRY_XPC_ACTIVITY_H

#include <xpc/base.h>

/* As Apple's, for code built with blocks; libxpc's own sources (GANTRY_XPC_INTERNAL) see all but the block types. */
#if defined(__BLOCKS__) || defined(GANTRY_XPC_INTERNAL)

#ifdef __cplusplus
extern "C" {
#endif

/* Criteria keys (a dictionary's) and values. Intervals, delays and grace periods are in seconds. */
extern const char *const XPC_ACTIVITY_INTERVAL;
extern const char *const XPC_ACTIVITY_REPEATING;
extern const char *const XPC_ACTIVITY_DELAY;
extern const char *const XPC_ACTIVITY_GRACE_PERIOD;
extern const char *const XPC_ACTIVITY_PRIORITY;
extern const char *const XPC_ACTIVITY_PRIORITY_MAINTENANCE;
extern const char *const XPC_ACTIVITY_PRIORITY_UTILITY;
extern const char *const XPC_ACTIVITY_ALLOW_BATTERY;
extern const char *const XPC_ACTIVITY_REQUIRE_SCREEN_SLEEP;
extern const char *const XPC_ACTIVITY_REQUIRE_BATTERY_LEVEL;
extern const char *const XPC_ACTIVITY_REQUIRE_HDD_SPINNING;
extern const int64_t XPC_ACTIVITY_INTERVAL_1_MIN;
extern const int64_t XPC_ACTIVITY_INTERVAL_5_MIN;
extern const int64_t XPC_ACTIVITY_INTERVAL_15_MIN;
extern const int64_t XPC_ACTIVITY_INTERVAL_30_MIN;
extern const int64_t XPC_ACTIVITY_INTERVAL_1_HOUR;
extern const int64_t XPC_ACTIVITY_INTERVAL_4_HOURS;
extern const int64_t XPC_ACTIVITY_INTERVAL_8_HOURS;
extern const int64_t XPC_ACTIVITY_INTERVAL_1_DAY;
extern const int64_t XPC_ACTIVITY_INTERVAL_7_DAYS;

extern const struct _xpc_type_s _xpc_type_activity;
#define XPC_TYPE_ACTIVITY (&_xpc_type_activity)

/* The criteria of an activity that receives them at check-in (its handler sets them in state CHECK_IN). */
extern struct _xpc_object_s _xpc_activity_check_in;
#define XPC_ACTIVITY_CHECK_IN ((xpc_object_t)&_xpc_activity_check_in)

#ifdef GANTRY_XPC_INTERNAL
typedef xpc_object_t xpc_activity_t;
#else
typedef struct _xpc_activity_s *xpc_activity_t;
#endif

typedef long xpc_activity_state_t;
enum {
	XPC_ACTIVITY_STATE_CHECK_IN,
	XPC_ACTIVITY_STATE_WAIT,
	XPC_ACTIVITY_STATE_RUN,
	XPC_ACTIVITY_STATE_DEFER,
	XPC_ACTIVITY_STATE_CONTINUE,
	XPC_ACTIVITY_STATE_DONE,
};

#ifdef __BLOCKS__
typedef void (^xpc_activity_handler_t)(xpc_activity_t activity);
/* Registers (or replaces) the activity called identifier; the handler is copied. */
void xpc_activity_register(const char *identifier, xpc_object_t criteria, xpc_activity_handler_t handler);
#endif
xpc_object_t xpc_activity_copy_criteria(xpc_activity_t activity);
void xpc_activity_set_criteria(xpc_activity_t activity, xpc_object_t criteria);
xpc_activity_state_t xpc_activity_get_state(xpc_activity_t activity);
/* CONTINUE, DONE or DEFER, while the activity runs; false otherwise. */
bool xpc_activity_set_state(xpc_activity_t activity, xpc_activity_state_t state);
/* Always false here: there is no battery, thermal or user-activity signal to defer for. */
bool xpc_activity_should_defer(xpc_activity_t activity);
void xpc_activity_unregister(const char *identifier);

#ifdef __cplusplus
}
#endif

#endif /* __BLOCKS__ || GANTRY_XPC_INTERNAL */
#endif
