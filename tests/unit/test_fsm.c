/*
 * Unit tests of the pure job state machine: every (state, event) pair for
 * a KeepAlive job and an on-demand job, throttle arithmetic, and each
 * KeepAlive condition.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>

#include "fsm.h"

static struct job_spec base_spec(void)
{
	struct job_spec s;
	memset(&s, 0, sizeof(s));
	s.label = "t";
	s.umask = -1;
	s.ka_successful_exit = -1;
	s.ka_crashed = -1;
	s.throttle_interval = SPEC_DEFAULT_THROTTLE_INTERVAL;
	s.exit_timeout = SPEC_DEFAULT_EXIT_TIMEOUT;
	return s;
}

static struct job_spec keepalive_spec(void)
{
	struct job_spec s = base_spec();
	s.keepalive = s.ka_always = true;
	return s;
}

/* Puts rt in state with a start 100 s ago (so no throttling applies). */
static void in_state(struct job_rt *rt, enum job_state state)
{
	fsm_init(rt);
	rt->state = state;
	rt->last_start_ms = 0;
	rt->runs = 1;
	rt->due_ms = 100000;
}

struct expect {
	enum job_state from;
	enum fsm_event_type ev;
	enum job_state to;
	unsigned actions;
};

static struct fsm_result run(const struct job_spec *s, struct job_rt *rt, enum fsm_event_type type, int status)
{
	struct fsm_event ev = {.type = type, .now_ms = 100000, .status = status};
	return fsm_step(s, rt, &ev);
}

static void check_table(const struct job_spec *s, const struct expect *table, size_t n)
{
	/* The table must cover every pair exactly once. */
	assert_int_equal(n, (size_t)(JS_COUNT * EV_COUNT));
	for (size_t i = 0; i < n; i++) {
		struct job_rt rt;
		in_state(&rt, table[i].from);
		struct fsm_result r = run(s, &rt, table[i].ev, 0);
		if (rt.state != table[i].to || r.actions != table[i].actions)
			fail_msg("row %zu: state %d event %d: got state %d actions %#x, want state %d actions %#x", i,
				table[i].from, table[i].ev, rt.state, r.actions, table[i].to, table[i].actions);
	}
}

#define STOP_ACTS (ACT_SIGTERM | ACT_ARM_EXIT_TIMER)

static void test_every_pair_keepalive(void **state)
{
	(void)state;
	struct job_spec s = keepalive_spec();
	const struct expect t[] = {
		{JS_WAITING, EV_LOAD, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_DEMAND, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_RESTART, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_STOP, JS_WAITING, 0},
		{JS_WAITING, EV_REMOVE, JS_REMOVED, ACT_REMOVED},
		{JS_WAITING, EV_EXITED, JS_WAITING, 0},
		{JS_WAITING, EV_THROTTLE_DONE, JS_WAITING, 0},
		{JS_WAITING, EV_EXIT_TIMEOUT, JS_WAITING, 0},
		{JS_WAITING, EV_CONDITION, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_IPC, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_TRIGGER, JS_RUNNING, ACT_SPAWN},
		{JS_SCHEDULED, EV_LOAD, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_DEMAND, JS_RUNNING, ACT_CANCEL_THROTTLE | ACT_SPAWN},
		{JS_SCHEDULED, EV_RESTART, JS_RUNNING, ACT_CANCEL_THROTTLE | ACT_SPAWN},
		{JS_SCHEDULED, EV_STOP, JS_WAITING, ACT_CANCEL_THROTTLE},
		{JS_SCHEDULED, EV_REMOVE, JS_REMOVED, ACT_CANCEL_THROTTLE | ACT_REMOVED},
		{JS_SCHEDULED, EV_EXITED, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_THROTTLE_DONE, JS_RUNNING, ACT_SPAWN},
		{JS_SCHEDULED, EV_EXIT_TIMEOUT, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_CONDITION, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_IPC, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_TRIGGER, JS_SCHEDULED, 0},
		{JS_RUNNING, EV_LOAD, JS_RUNNING, 0},
		{JS_RUNNING, EV_DEMAND, JS_RUNNING, 0},
		{JS_RUNNING, EV_RESTART, JS_STOPPING, STOP_ACTS},
		{JS_RUNNING, EV_STOP, JS_STOPPING, STOP_ACTS},
		{JS_RUNNING, EV_REMOVE, JS_STOPPING, STOP_ACTS},
		{JS_RUNNING, EV_EXITED, JS_RUNNING, ACT_KILL_PGROUP | ACT_SPAWN},
		{JS_RUNNING, EV_THROTTLE_DONE, JS_RUNNING, 0},
		{JS_RUNNING, EV_EXIT_TIMEOUT, JS_RUNNING, 0},
		{JS_RUNNING, EV_CONDITION, JS_RUNNING, 0},
		{JS_RUNNING, EV_IPC, JS_RUNNING, 0},
		{JS_RUNNING, EV_TRIGGER, JS_RUNNING, 0},
		{JS_STOPPING, EV_LOAD, JS_STOPPING, 0},
		{JS_STOPPING, EV_DEMAND, JS_STOPPING, 0},
		{JS_STOPPING, EV_RESTART, JS_STOPPING, 0},
		{JS_STOPPING, EV_STOP, JS_STOPPING, 0},
		{JS_STOPPING, EV_REMOVE, JS_STOPPING, 0},
		{JS_STOPPING, EV_EXITED, JS_RUNNING, ACT_CANCEL_EXIT_TIMER | ACT_KILL_PGROUP | ACT_SPAWN},
		{JS_STOPPING, EV_THROTTLE_DONE, JS_STOPPING, 0},
		{JS_STOPPING, EV_EXIT_TIMEOUT, JS_STOPPING, ACT_SIGKILL},
		{JS_STOPPING, EV_CONDITION, JS_STOPPING, 0},
		{JS_STOPPING, EV_IPC, JS_STOPPING, 0},
		{JS_STOPPING, EV_TRIGGER, JS_STOPPING, 0},
		{JS_REMOVED, EV_LOAD, JS_REMOVED, 0},
		{JS_REMOVED, EV_DEMAND, JS_REMOVED, 0},
		{JS_REMOVED, EV_RESTART, JS_REMOVED, 0},
		{JS_REMOVED, EV_STOP, JS_REMOVED, 0},
		{JS_REMOVED, EV_REMOVE, JS_REMOVED, 0},
		{JS_REMOVED, EV_EXITED, JS_REMOVED, 0},
		{JS_REMOVED, EV_THROTTLE_DONE, JS_REMOVED, 0},
		{JS_REMOVED, EV_EXIT_TIMEOUT, JS_REMOVED, 0},
		{JS_REMOVED, EV_CONDITION, JS_REMOVED, 0},
		{JS_REMOVED, EV_IPC, JS_REMOVED, 0},
		{JS_REMOVED, EV_TRIGGER, JS_REMOVED, 0},
	};
	check_table(&s, t, sizeof(t) / sizeof(t[0]));
}

static void test_every_pair_on_demand(void **state)
{
	(void)state;
	struct job_spec s = base_spec(); /* no RunAtLoad, no KeepAlive */
	const struct expect t[] = {
		{JS_WAITING, EV_LOAD, JS_WAITING, 0},
		{JS_WAITING, EV_DEMAND, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_RESTART, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_STOP, JS_WAITING, 0},
		{JS_WAITING, EV_REMOVE, JS_REMOVED, ACT_REMOVED},
		{JS_WAITING, EV_EXITED, JS_WAITING, 0},
		{JS_WAITING, EV_THROTTLE_DONE, JS_WAITING, 0},
		{JS_WAITING, EV_EXIT_TIMEOUT, JS_WAITING, 0},
		{JS_WAITING, EV_CONDITION, JS_WAITING, 0},
		{JS_WAITING, EV_IPC, JS_RUNNING, ACT_SPAWN},
		{JS_WAITING, EV_TRIGGER, JS_RUNNING, ACT_SPAWN},
		{JS_SCHEDULED, EV_LOAD, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_DEMAND, JS_RUNNING, ACT_CANCEL_THROTTLE | ACT_SPAWN},
		{JS_SCHEDULED, EV_RESTART, JS_RUNNING, ACT_CANCEL_THROTTLE | ACT_SPAWN},
		{JS_SCHEDULED, EV_STOP, JS_WAITING, ACT_CANCEL_THROTTLE},
		{JS_SCHEDULED, EV_REMOVE, JS_REMOVED, ACT_CANCEL_THROTTLE | ACT_REMOVED},
		{JS_SCHEDULED, EV_EXITED, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_THROTTLE_DONE, JS_RUNNING, ACT_SPAWN},
		{JS_SCHEDULED, EV_EXIT_TIMEOUT, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_CONDITION, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_IPC, JS_SCHEDULED, 0},
		{JS_SCHEDULED, EV_TRIGGER, JS_SCHEDULED, 0},
		{JS_RUNNING, EV_LOAD, JS_RUNNING, 0},
		{JS_RUNNING, EV_DEMAND, JS_RUNNING, 0},
		{JS_RUNNING, EV_RESTART, JS_STOPPING, STOP_ACTS},
		{JS_RUNNING, EV_STOP, JS_STOPPING, STOP_ACTS},
		{JS_RUNNING, EV_REMOVE, JS_STOPPING, STOP_ACTS},
		{JS_RUNNING, EV_EXITED, JS_WAITING, ACT_KILL_PGROUP},
		{JS_RUNNING, EV_THROTTLE_DONE, JS_RUNNING, 0},
		{JS_RUNNING, EV_EXIT_TIMEOUT, JS_RUNNING, 0},
		{JS_RUNNING, EV_CONDITION, JS_RUNNING, 0},
		{JS_RUNNING, EV_IPC, JS_RUNNING, 0},
		{JS_RUNNING, EV_TRIGGER, JS_RUNNING, 0},
		{JS_STOPPING, EV_LOAD, JS_STOPPING, 0},
		{JS_STOPPING, EV_DEMAND, JS_STOPPING, 0},
		{JS_STOPPING, EV_RESTART, JS_STOPPING, 0},
		{JS_STOPPING, EV_STOP, JS_STOPPING, 0},
		{JS_STOPPING, EV_REMOVE, JS_STOPPING, 0},
		{JS_STOPPING, EV_EXITED, JS_WAITING, ACT_CANCEL_EXIT_TIMER | ACT_KILL_PGROUP},
		{JS_STOPPING, EV_THROTTLE_DONE, JS_STOPPING, 0},
		{JS_STOPPING, EV_EXIT_TIMEOUT, JS_STOPPING, ACT_SIGKILL},
		{JS_STOPPING, EV_CONDITION, JS_STOPPING, 0},
		{JS_STOPPING, EV_IPC, JS_STOPPING, 0},
		{JS_STOPPING, EV_TRIGGER, JS_STOPPING, 0},
		{JS_REMOVED, EV_LOAD, JS_REMOVED, 0},
		{JS_REMOVED, EV_DEMAND, JS_REMOVED, 0},
		{JS_REMOVED, EV_RESTART, JS_REMOVED, 0},
		{JS_REMOVED, EV_STOP, JS_REMOVED, 0},
		{JS_REMOVED, EV_REMOVE, JS_REMOVED, 0},
		{JS_REMOVED, EV_EXITED, JS_REMOVED, 0},
		{JS_REMOVED, EV_THROTTLE_DONE, JS_REMOVED, 0},
		{JS_REMOVED, EV_EXIT_TIMEOUT, JS_REMOVED, 0},
		{JS_REMOVED, EV_CONDITION, JS_REMOVED, 0},
		{JS_REMOVED, EV_IPC, JS_REMOVED, 0},
		{JS_REMOVED, EV_TRIGGER, JS_REMOVED, 0},
	};
	check_table(&s, t, sizeof(t) / sizeof(t[0]));
}

static void test_throttle_arithmetic(void **state)
{
	(void)state;
	struct job_spec s = keepalive_spec();
	struct job_rt rt;
	fsm_init(&rt);
	assert_int_equal(fsm_throttle_delay(&s, &rt, 5000), 0); /* never started */
	rt.last_start_ms = 1000;
	assert_int_equal(fsm_throttle_delay(&s, &rt, 2000), 9000);   /* ran 1 s: wait 9 s */
	assert_int_equal(fsm_throttle_delay(&s, &rt, 11000), 0);     /* ran 10 s: none */
	assert_int_equal(fsm_throttle_delay(&s, &rt, 50000), 0);
	s.throttle_interval = 30;
	assert_int_equal(fsm_throttle_delay(&s, &rt, 6000), 25000);
	s.throttle_interval = 0; /* floored at one second: never a hot loop */
	assert_int_equal(fsm_throttle_delay(&s, &rt, 1200), 800);
	assert_int_equal(fsm_throttle_delay(&s, &rt, 2000), 0);
}

static void test_fast_exit_is_throttled_and_logged(void **state)
{
	(void)state;
	struct job_spec s = keepalive_spec();
	struct job_rt rt;
	in_state(&rt, JS_RUNNING);
	rt.last_start_ms = 99000; /* ran 1 s */
	struct fsm_result r = run(&s, &rt, EV_EXITED, 1);
	assert_int_equal(rt.state, JS_SCHEDULED);
	assert_int_equal(r.actions, ACT_KILL_PGROUP | ACT_ARM_THROTTLE | ACT_LOG_THROTTLE);
	assert_int_equal(r.throttle_delay_ms, 9000);
	assert_int_equal(r.ran_ms, 1000);
	assert_int_equal(rt.due_ms, 109000);
	assert_int_equal(rt.last_status, 1);
	r = run(&s, &rt, EV_THROTTLE_DONE, 0);
	assert_int_equal(rt.state, JS_RUNNING);
	assert_int_equal(rt.runs, 2);
	assert_int_equal(rt.reason, SR_KEEPALIVE);
}

static void test_successful_exit(void **state)
{
	(void)state;
	struct job_spec s = base_spec();
	s.keepalive = true;
	s.ka_successful_exit = 1; /* restart while it exits 0 */
	assert_true(fsm_starts_at_load(&s, false));
	struct job_rt rt;
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_EXITED, 0);
	assert_int_equal(rt.state, JS_RUNNING);
	run(&s, &rt, EV_EXITED, 3);
	assert_int_equal(rt.state, JS_WAITING);
	s.ka_successful_exit = 0; /* restart while it fails */
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_EXITED, 0);
	assert_int_equal(rt.state, JS_WAITING);
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_EXITED, -SIGKILL);
	assert_int_equal(rt.state, JS_RUNNING);
}

static void test_crashed(void **state)
{
	(void)state;
	struct job_spec s = base_spec();
	s.keepalive = true;
	s.ka_crashed = 1;
	struct job_rt rt;
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_EXITED, -SIGSEGV);
	assert_true(rt.last_crashed);
	assert_int_equal(rt.state, JS_RUNNING);
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_EXITED, -SIGTERM); /* not a crash signal */
	assert_int_equal(rt.state, JS_WAITING);
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_STOP, 0); /* launchd stopped it: a SIGABRT then is no crash */
	run(&s, &rt, EV_EXITED, -SIGABRT);
	assert_false(rt.last_crashed);
	assert_int_equal(rt.state, JS_WAITING);
	s.ka_crashed = 0; /* the trap: restarts after every clean exit */
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_EXITED, 0);
	assert_int_equal(rt.state, JS_RUNNING);
}

static void test_conditions_and_initial_demand(void **state)
{
	(void)state;
	struct job_spec s = base_spec();
	s.keepalive = true;
	assert_false(fsm_starts_at_load(&s, false));
	assert_true(fsm_starts_at_load(&s, true)); /* a PathState/OtherJobEnabled condition holds */
	struct job_rt rt;
	in_state(&rt, JS_WAITING);
	struct fsm_event ev = {.type = EV_CONDITION, .now_ms = 100000, .external_condition = true};
	fsm_step(&s, &rt, &ev);
	assert_int_equal(rt.state, JS_RUNNING);
	assert_int_equal(rt.reason, SR_CONDITION);

	s.ka_always = true;
	s.ka_after_initial_demand = true;
	assert_false(fsm_starts_at_load(&s, false));
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_EXITED, 0);
	assert_int_equal(rt.state, JS_WAITING); /* not demanded yet */
	run(&s, &rt, EV_DEMAND, 0);
	run(&s, &rt, EV_EXITED, 0);
	assert_int_equal(rt.state, JS_SCHEDULED); /* kept alive (throttled) after the first demand */
}

static void test_launch_only_once_and_remove(void **state)
{
	(void)state;
	struct job_spec s = keepalive_spec();
	s.launch_only_once = true;
	struct job_rt rt;
	in_state(&rt, JS_RUNNING);
	struct fsm_result r = run(&s, &rt, EV_EXITED, 0);
	assert_int_equal(rt.state, JS_REMOVED);
	assert_true(r.actions & ACT_REMOVED);
	assert_true(r.actions & ACT_LOG_ONCE);

	s = keepalive_spec();
	in_state(&rt, JS_RUNNING);
	run(&s, &rt, EV_REMOVE, 0);
	r = run(&s, &rt, EV_EXITED, -SIGTERM);
	assert_int_equal(rt.state, JS_REMOVED); /* removed, not restarted */
	assert_true(r.actions & ACT_REMOVED);
}

static void test_restart_bypasses_throttle(void **state)
{
	(void)state;
	struct job_spec s = keepalive_spec();
	struct job_rt rt;
	in_state(&rt, JS_RUNNING);
	rt.last_start_ms = 99900; /* started 0.1 s ago */
	run(&s, &rt, EV_RESTART, 0);
	struct fsm_result r = run(&s, &rt, EV_EXITED, -SIGTERM);
	assert_int_equal(rt.state, JS_RUNNING);
	assert_true(r.actions & ACT_SPAWN);
	assert_int_equal(rt.reason, SR_KICKSTART);
}

static void test_spawn_failure_and_timeouts(void **state)
{
	(void)state;
	struct job_spec s = keepalive_spec();
	struct job_rt rt;
	fsm_init(&rt);
	run(&s, &rt, EV_LOAD, 0);
	struct fsm_event ev = {.type = EV_EXITED, .now_ms = 100000, .status = 78, .spawn_failed = true};
	struct fsm_result r = fsm_step(&s, &rt, &ev);
	assert_int_equal(rt.state, JS_SCHEDULED); /* retried, throttled: never a hot loop */
	assert_false(r.actions & ACT_KILL_PGROUP);
	assert_true(rt.last_spawn_failed);
	assert_string_equal(fsm_state_name(&rt), "spawn failed");

	s.exit_timeout = 0; /* infinite: no SIGKILL timer */
	in_state(&rt, JS_RUNNING);
	r = run(&s, &rt, EV_STOP, 0);
	assert_int_equal(r.actions, ACT_SIGTERM);
	s.abandon_pgroup = true;
	r = run(&s, &rt, EV_EXITED, 0);
	assert_false(r.actions & ACT_KILL_PGROUP);
}

static void test_ipc_demand_is_throttled(void **state)
{
	(void)state;
	struct job_spec s = base_spec();
	struct job_rt rt;
	in_state(&rt, JS_WAITING);
	rt.last_start_ms = 99000; /* started 1 s ago */
	struct fsm_result r = run(&s, &rt, EV_IPC, 0);
	assert_int_equal(rt.state, JS_SCHEDULED);
	assert_int_equal(r.actions, ACT_ARM_THROTTLE);
	assert_int_equal(rt.reason, SR_IPC);
	assert_string_equal(fsm_reason_name(rt.reason), "ipc (mach)");
}

static void test_state_names(void **state)
{
	(void)state;
	struct job_rt rt;
	fsm_init(&rt);
	assert_string_equal(fsm_state_name(&rt), "not running");
	rt.state = JS_RUNNING;
	assert_string_equal(fsm_state_name(&rt), "running");
	rt.state = JS_SCHEDULED;
	assert_string_equal(fsm_state_name(&rt), "spawn scheduled");
	rt.state = JS_WAITING;
	rt.last_spawn_failed = true;
	assert_string_equal(fsm_state_name(&rt), "spawn failed");
}

/* A start reason added without a name shows in print as "(unknown)": every one has its own. */
static void test_every_start_reason_is_named(void **state)
{
	(void)state;
	for (int r = SR_NONE; r < SR_COUNT; r++) {
		assert_string_not_equal(fsm_reason_name((enum start_reason)r), "(unknown)");
		for (int q = SR_NONE; q < r; q++)
			assert_string_not_equal(fsm_reason_name((enum start_reason)r), fsm_reason_name((enum start_reason)q));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair_keepalive),
		cmocka_unit_test(test_every_pair_on_demand),
		cmocka_unit_test(test_throttle_arithmetic),
		cmocka_unit_test(test_fast_exit_is_throttled_and_logged),
		cmocka_unit_test(test_successful_exit),
		cmocka_unit_test(test_crashed),
		cmocka_unit_test(test_conditions_and_initial_demand),
		cmocka_unit_test(test_launch_only_once_and_remove),
		cmocka_unit_test(test_restart_bypasses_throttle),
		cmocka_unit_test(test_spawn_failure_and_timeouts),
		cmocka_unit_test(test_ipc_demand_is_throttled),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_every_start_reason_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
