/*
 * Background work scheduled the macOS way, with XPC activities: a one-shot activity, one that takes
 * its criteria at check-in, and a repeating one whose first run is held open (CONTINUE) and finished
 * from the main thread. Prints what ran; exits 1 if something did not run within 20 seconds.
 */
#include <pthread.h>
#include <time.h>
#include <xpc/xpc.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int once_runs, checkin_calls, checkin_runs, repeat_runs;
static xpc_activity_t held;

static void bump(int *counter)
{
	pthread_mutex_lock(&lock);
	(*counter)++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void wait_until(int *counter, int value, const char *what)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&lock);
	while (*counter < value)
		if (pthread_cond_timedwait(&changed, &lock, &until) != 0) {
			printf("timed out waiting for %s\n", what);
			exit(1);
		}
	pthread_mutex_unlock(&lock);
}

static xpc_object_t criteria(int64_t interval, bool repeating)
{
	xpc_object_t c = xpc_dictionary_create(NULL, NULL, 0);
	xpc_dictionary_set_int64(c, XPC_ACTIVITY_DELAY, 0);
	xpc_dictionary_set_bool(c, XPC_ACTIVITY_REPEATING, repeating);
	if (interval)
		xpc_dictionary_set_int64(c, XPC_ACTIVITY_INTERVAL, interval);
	xpc_dictionary_set_string(c, XPC_ACTIVITY_PRIORITY, XPC_ACTIVITY_PRIORITY_UTILITY);
	return c;
}

int main(void)
{
	xpc_object_t once = criteria(0, false);
	xpc_activity_register("com.example.once", once, ^(xpc_activity_t activity) {
		if (xpc_activity_get_state(activity) == XPC_ACTIVITY_STATE_RUN)
			bump(&once_runs);
	});
	xpc_release(once);
	xpc_activity_register("com.example.checkin", XPC_ACTIVITY_CHECK_IN, ^(xpc_activity_t activity) {
		xpc_activity_state_t state = xpc_activity_get_state(activity);
		if (state == XPC_ACTIVITY_STATE_CHECK_IN) {
			xpc_object_t have = xpc_activity_copy_criteria(activity);
			if (!have) {
				xpc_object_t c = criteria(0, false);
				xpc_activity_set_criteria(activity, c);
				xpc_release(c);
			}
			bump(&checkin_calls);
		} else if (state == XPC_ACTIVITY_STATE_RUN) {
			bump(&checkin_runs);
		}
	});
	xpc_object_t every_second = criteria(1, true);
	xpc_activity_register("com.example.repeat", every_second, ^(xpc_activity_t activity) {
		if (xpc_activity_get_state(activity) != XPC_ACTIVITY_STATE_RUN)
			return;
		if (repeat_runs == 0 && xpc_activity_set_state(activity, XPC_ACTIVITY_STATE_CONTINUE))
			held = xpc_retain(activity); /* finished later, from the main thread */
		bump(&repeat_runs);
	});
	xpc_release(every_second);
	wait_until(&once_runs, 1, "the one-shot activity");
	wait_until(&checkin_runs, 1, "the checked-in activity");
	wait_until(&repeat_runs, 1, "the repeating activity");
	bool open = xpc_activity_get_state(held) == XPC_ACTIVITY_STATE_CONTINUE;
	bool done = xpc_activity_set_state(held, XPC_ACTIVITY_STATE_DONE);
	bool again = xpc_activity_set_state(held, XPC_ACTIVITY_STATE_DONE); /* not running any more */
	wait_until(&repeat_runs, 3, "the repeating activity's next runs");
	xpc_activity_unregister("com.example.repeat");
	printf("once=%d checkin-calls=%d checkin-runs=%d held-open=%d set-done=%d set-done-again=%d defer=%d\n",
		once_runs, checkin_calls, checkin_runs, open, done, again, xpc_activity_should_defer(held));
	xpc_release(held);
	return 0;
}
