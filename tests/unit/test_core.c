/*
 * Unit tests of the daemon core through its system-call seam (sys.h): jobs
 * loaded into a domain are started, stopped, reaped, respawned and unloaded
 * by the real job.c and domain.c while a fake table stands in for the
 * world — no process is ever started. A "process" is an eventfd the fake
 * spawn hands out as its pidfd; writing it makes the event loop report the
 * exit, with the status the test chose. The request layer's pending
 * replies (control/pending.c) run on top, their sends recorded by a stand-in
 * for the control socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "domain.h"
#include "errors.h"
#include "identity.h"
#include "job.h"
#include "launchd.h"
#include "loop.h"
#include "pending.h"
#include "sys.h"

/* The world as the fake sees it. */
static struct {
	int spawns;            /* spawn calls */
	const char *fail_with; /* the next spawn fails with this cause */
	pid_t next_pid;
	int exit_status;       /* what reap reports */
	int kills, last_signal;
	pid_t last_killed;
	int group_ends;
	int pw_lookups;
	int64_t now;
} world;

static int fake_spawn(const struct spawn_request *rq, pid_t *pid, int *pidfd, char cause[SPAWN_CAUSE_MAX])
{
	(void)rq;
	world.spawns++;
	if (world.fail_with) {
		snprintf(cause, SPAWN_CAUSE_MAX, "%s", world.fail_with);
		world.fail_with = NULL;
		return ECANCELED;
	}
	*pid = ++world.next_pid;
	*pidfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return *pidfd < 0 ? errno : 0;
}

static int fake_kill(pid_t pid, int sig)
{
	world.kills++;
	world.last_killed = pid;
	world.last_signal = sig;
	return 0;
}

static int fake_reap(int pidfd, int *status, bool *core)
{
	uint64_t v;
	if (read(pidfd, &v, sizeof(v)) != sizeof(v))
		return 0;
	*status = world.exit_status;
	*core = false;
	return 1;
}

static void fake_end_group(pid_t pgid, int timeout_s)
{
	(void)pgid, (void)timeout_s;
	world.group_ends++;
}

static struct passwd tester = {.pw_name = "tester", .pw_uid = 4242, .pw_gid = 4242, .pw_dir = "/home/tester",
	.pw_shell = "/bin/sh"};

static struct passwd *fake_getpwnam(const char *name)
{
	world.pw_lookups++;
	return strcmp(name, "tester") == 0 ? &tester : NULL;
}

static struct passwd *fake_getpwuid(uid_t uid)
{
	world.pw_lookups++;
	return uid == tester.pw_uid || uid == getuid() ? &tester : NULL;
}

static struct group *fake_getgrnam(const char *name)
{
	(void)name;
	return NULL;
}

static int fake_getgrouplist(const char *user, gid_t group, gid_t *groups, int *n)
{
	(void)user;
	groups[0] = group;
	*n = 1;
	return 1;
}

static int64_t fake_now(void)
{
	return world.now;
}

static const struct sys_ops fake = {.spawn = fake_spawn, .kill = fake_kill, .reap = fake_reap,
	.end_group = fake_end_group, .getpwnam = fake_getpwnam, .getpwuid = fake_getpwuid, .getgrnam = fake_getgrnam,
	.getgrouplist = fake_getgrouplist, .now_ms = fake_now};

/* The control socket, as pending.c sees it: what was held, sent, and with which error. */
static struct {
	int held, sent;
	xpc_object_t last;
} control;

void control_hold(xpc_object_t reply)
{
	(void)reply;
	control.held++;
}

void control_unhold(xpc_object_t reply)
{
	(void)reply;
	control.held--;
}

void control_send(xpc_object_t reply)
{
	control.sent++;
	xpc_release(control.last);
	control.last = xpc_retain(reply);
}

void control_set_error(xpc_object_t reply, int code, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	xpc_dictionary_set_int64(reply, "error", code);
	xpc_dictionary_set_string(reply, "error_detail", detail);
}

static struct domain *gui;

static int setup_core(void **state)
{
	(void)state;
	char root[] = "/tmp/gantry-core-XXXXXX", err[256];
	if (!mkdtemp(root) || setenv("LAUNCHD_ROOT", root, 1))
		return -1;
	g_launchd.uid = getuid();
	if (gantry_paths_init(&g_launchd.paths, false, g_launchd.uid, err, sizeof(err)) ||
	    mkdir_p(g_launchd.paths.state_dir, 0755) || loop_init())
		return -1;
	sys = &fake;
	world.now = 1000000;
	gui = domain_create(DOMAIN_GUI, g_launchd.uid);
	return 0;
}

/* Loads a job from plist XML (the dictionary's inside) into the gui domain; NULL with e set if refused. */
static struct job *try_load(const char *label, const char *keys, struct gerror *e)
{
	char xml[2048];
	snprintf(xml, sizeof(xml), "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Label</key><string>%s"
		"</string><key>ProgramArguments</key><array><string>/bin/true</string></array>%s</dict></plist>", label,
		keys);
	struct spec_diag diag = {0};
	plist_t root = spec_parse_bytes(xml, strlen(xml), label, &diag);
	assert_non_null(root);
	struct job_spec *spec = spec_from_plist(root, label, &diag);
	plist_free(root);
	assert_non_null(spec);
	spec_diag_clear(&diag);
	return domain_add_spec(gui, spec, ORIGIN_SUBMITTED, e);
}

static struct job *load(const char *label, const char *keys)
{
	struct gerror e = {0};
	struct job *j = try_load(label, keys, &e);
	assert_non_null(j);
	return j;
}

/* The "process" exits with status (exit code, or -signal); the loop reaps it. */
static void process_exits(struct job *j, int status)
{
	uint64_t one = 1;
	world.exit_status = status;
	assert_int_equal(write(j->proc.fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	assert_true(loop_run_once(1000) > 0);
}

/* A waiter that records how its milestone ended. */
struct probe {
	struct job_waiter w;
	int calls, code;
	char detail[256];
	pid_t pid;
};

static void probe_done(struct job_waiter *w, const struct job *j, int code, const char *detail)
{
	struct probe *p = container_of(w, struct probe, w);
	p->calls++;
	p->code = code;
	p->pid = j->pid;
	snprintf(p->detail, sizeof(p->detail), "%s", detail ? detail : "");
}

static void wait_on(struct job *j, struct probe *p, enum job_milestone m)
{
	memset(p, 0, sizeof(*p));
	p->w.milestone = m;
	p->w.done = probe_done;
	job_add_waiter(j, &p->w);
}

static void unload(struct job *j)
{
	job_event(j, EV_REMOVE);
	loop_run_deferred(); /* the job is freed after the batch that removed it */
}

static void test_keepalive_job_is_spawned_reaped_and_respawned(void **state)
{
	(void)state;
	int before = world.spawns;
	struct job *j = load("t.keepalive", "<key>KeepAlive</key><true/>");
	assert_int_equal(world.spawns, before + 1); /* KeepAlive implies RunAtLoad */
	assert_int_equal(j->rt.state, JS_RUNNING);
	pid_t first = j->pid;
	world.now += 60000; /* it ran a minute: no throttle */
	process_exits(j, 3);
	assert_int_equal(j->rt.last_status, 3);
	assert_int_equal(world.spawns, before + 2); /* respawned at once */
	assert_int_not_equal(j->pid, first);
	world.now += 100; /* exits again at once: the next start waits for the throttle */
	process_exits(j, -9);
	assert_int_equal(j->rt.last_status, -9);
	assert_int_equal(j->rt.state, JS_SCHEDULED);
	assert_int_equal(j->pid, 0);
	assert_true(j->rt.due_ms > world.now);
	job_event(j, EV_THROTTLE_DONE);
	assert_int_equal(world.spawns, before + 3);
	assert_int_equal(j->rt.state, JS_RUNNING);
	struct probe gone;
	wait_on(j, &gone, JOB_REMOVED);
	job_event(j, EV_REMOVE);
	assert_int_equal(world.last_signal, SIGTERM); /* stopped, not yet gone */
	assert_int_equal(world.last_killed, j->pid);
	assert_int_equal(gone.calls, 0);
	process_exits(j, -SIGTERM);
	assert_int_equal(gone.calls, 1); /* the bootout's reply goes out once the process is gone */
	assert_int_equal(gone.code, 0);
	assert_null(domain_find_job(gui, "t.keepalive"));
}

static void test_spawn_failure_answers_the_waiter_with_its_cause(void **state)
{
	(void)state;
	struct job *j = load("t.ondemand", "");
	assert_int_equal(j->rt.state, JS_WAITING);
	struct probe started;
	wait_on(j, &started, JOB_SPAWNED);
	world.fail_with = "Program /nope: No such file or directory";
	job_event(j, EV_DEMAND); /* kickstart */
	assert_int_equal(started.calls, 1);
	assert_int_equal(started.code, LE_CANNOT_EXECUTE);
	assert_string_equal(started.detail, "Program /nope: No such file or directory");
	assert_string_equal(j->spawn_failure, "Program /nope: No such file or directory");
	assert_int_equal(j->rt.last_status, 78); /* EX_CONFIG, as launchd reports it */
	wait_on(j, &started, JOB_SPAWNED);
	world.now += 20000;
	job_event(j, EV_DEMAND);
	assert_int_equal(started.calls, 1);
	assert_int_equal(started.code, 0); /* the second start worked */
	assert_int_equal(started.pid, j->pid);
	assert_null(j->spawn_failure);
	process_exits(j, 0);
	unload(j);
}

static void test_unload_before_start_tells_the_waiter(void **state)
{
	(void)state;
	struct job *j = load("t.throttled", "<key>KeepAlive</key><true/>");
	world.now += 10;
	process_exits(j, 1); /* ran 10 ms: throttled */
	assert_int_equal(j->rt.state, JS_SCHEDULED);
	struct probe started, gone;
	wait_on(j, &started, JOB_SPAWNED);
	wait_on(j, &gone, JOB_REMOVED);
	int spawns = world.spawns;
	unload(j);
	assert_int_equal(world.spawns, spawns); /* nothing starts on the way out */
	assert_int_equal(started.calls, 1);
	assert_int_equal(started.code, ESRCH);
	assert_string_equal(started.detail, "the job was unloaded before it started");
	assert_int_equal(gone.calls, 1);
	assert_int_equal(gone.code, 0);
}

static void test_exit_timeout_escalates_to_sigkill_and_the_group(void **state)
{
	(void)state;
	struct job *j = load("t.stubborn", "<key>KeepAlive</key><true/><key>ExitTimeOut</key><integer>5</integer>");
	pid_t pid = j->pid;
	int groups = world.group_ends;
	job_event(j, EV_REMOVE);
	assert_int_equal(world.last_signal, SIGTERM);
	job_event(j, EV_EXIT_TIMEOUT); /* the exit timer fired: it ignored SIGTERM */
	assert_int_equal(world.last_signal, SIGKILL);
	assert_int_equal(world.last_killed, pid);
	process_exits(j, -SIGKILL);
	loop_run_deferred();
	assert_true(world.group_ends > groups); /* what it left in its process group is ended too */
	assert_null(domain_find_job(gui, "t.stubborn"));
}

static void test_labels_are_found_among_many_and_after_unloads(void **state)
{
	(void)state;
	char label[64];
	for (int i = 0; i < 500; i++) {
		snprintf(label, sizeof(label), "t.many.%d", i);
		load(label, "");
	}
	for (int i = 0; i < 500; i += 2) {
		snprintf(label, sizeof(label), "t.many.%d", i);
		unload(domain_find_job(gui, label));
	}
	for (int i = 0; i < 500; i++) {
		snprintf(label, sizeof(label), "t.many.%d", i);
		struct job *j = domain_find_job(gui, label);
		if (i % 2)
			assert_string_equal(j->spec->label, label);
		else
			assert_null(j);
	}
	struct gerror e = {0};
	struct spec_diag diag = {0};
	char xml[] = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Label</key><string>t.many.1</string>"
		"<key>Program</key><string>/bin/true</string></dict></plist>";
	plist_t root = spec_parse_bytes(xml, strlen(xml), "dup", &diag);
	struct job_spec *dup = spec_from_plist(root, "dup", &diag);
	plist_free(root);
	spec_diag_clear(&diag);
	assert_null(domain_add_spec(gui, dup, ORIGIN_SUBMITTED, &e));
	assert_int_equal(e.code, darwin_errno(EALREADY)); /* 37, as macOS says it */
	for (int i = 1; i < 500; i += 2) {
		snprintf(label, sizeof(label), "t.many.%d", i);
		unload(domain_find_job(gui, label));
	}
}

static void test_identity_cache_looks_a_user_up_once(void **state)
{
	(void)state;
	char cause[128];
	int before = world.pw_lookups;
	struct spawn_identity *a = identity_lookup(getuid(), "tester", NULL, true, cause, sizeof(cause));
	assert_non_null(a);
	assert_int_equal(a->uid, 4242);
	assert_string_equal(a->home, "/home/tester");
	struct spawn_identity *b = identity_lookup(getuid(), "tester", NULL, true, cause, sizeof(cause));
	assert_ptr_equal(a, b);
	assert_int_equal(world.pw_lookups, before + 1);
	assert_null(identity_lookup(getuid(), "nobody-here", NULL, true, cause, sizeof(cause)));
	assert_string_equal(cause, "UserName nobody-here: no such user");
}

/* bootout of two jobs: one reply, sent when the second is gone; the client's hold is released. */
static void test_a_reply_waits_for_every_job_it_names(void **state)
{
	(void)state;
	struct job *a = load("t.pair.a", "<key>KeepAlive</key><true/>");
	struct job *b = load("t.pair.b", "<key>KeepAlive</key><true/>");
	xpc_object_t reply = xpc_dictionary_create_empty();
	int sent = control.sent;
	struct pending_reply *pr = pending_reply_create(reply, 2);
	assert_int_equal(control.held, 1);
	pending_wait(a, JOB_REMOVED, pr);
	pending_wait(b, JOB_REMOVED, pr);
	job_event(a, EV_REMOVE);
	job_event(b, EV_REMOVE);
	process_exits(a, -SIGTERM);
	assert_int_equal(control.sent, sent); /* one job is still there */
	process_exits(b, -SIGTERM);
	assert_int_equal(control.sent, sent + 1);
	assert_ptr_equal(control.last, reply);
	assert_int_equal(xpc_dictionary_get_int64(reply, "error"), 0);
	assert_int_equal(control.held, 0);
	xpc_release(reply);
}

/* A continuation (SMJobBless, an update) runs once the old job is gone, and sends the reply itself. */
static void load_again(xpc_object_t reply, void *ctx)
{
	(void)ctx;
	xpc_dictionary_set_bool(reply, "reloaded", domain_find_job(gui, "t.update") == NULL);
	load("t.update", "<key>KeepAlive</key><true/>");
	control_send(reply);
}

static void test_session_types_load_and_boot_out_agents(void **state)
{
	(void)state;
	struct gerror e = {0};
	const char *lw = "<key>LimitLoadToSessionType</key><array><string>LoginWindow</string></array>";
	assert_null(try_load("t.greeter", lw, &e)); /* launchd --user's gui/ hosts Aqua only */
	assert_int_equal(e.code, LE_WRONG_SESSION);
	assert_non_null(strstr(e.detail, "LimitLoadToSessionType LoginWindow does not fit"));
	struct job *aqua = load("t.aqua", "<key>KeepAlive</key><true/>");
	struct job *stays = load("t.stays", "<key>KeepAlive</key><true/><key>GantryOutlivesLogout</key><true/>");
	char *env[] = {"DISPLAY=:3", "XDG_SESSION_TYPE=x11", NULL};
	domain_apply_session_env(gui, env);
	assert_string_equal(domain_getenv(gui, "DISPLAY"), ":3");
	assert_int_equal(domain_setenv(gui, "XDG_SESSION_TYPE", "wayland", &e), 0); /* changed by launchctl setenv */
	char *again[] = {"DISPLAY=:3", "XDG_SESSION_TYPE=x11", NULL};
	domain_apply_session_env(gui, again); /* the same session's, applied again (another session came) */
	assert_string_equal(domain_getenv(gui, "XDG_SESSION_TYPE"), "wayland"); /* the setenv stays */
	domain_set_sessions(gui, 0, "the last session ended");
	domain_apply_session_env(gui, NULL);
	assert_null(domain_getenv(gui, "DISPLAY"));                              /* the session's: gone with it */
	assert_string_equal(domain_getenv(gui, "XDG_SESSION_TYPE"), "wayland"); /* changed since: kept */
	assert_int_equal(world.last_killed, aqua->pid);                          /* stopped, then gone */
	process_exits(aqua, -SIGTERM);
	loop_run_deferred();
	assert_null(domain_find_job(gui, "t.aqua"));
	assert_ptr_equal(domain_find_job(gui, "t.stays"), stays); /* GantryOutlivesLogout */
	assert_null(try_load("t.late", "", &e));
	domain_set_sessions(gui, SESSION_AQUA | SESSION_LOGINWINDOW, "a session opened");
	struct job *greeter = load("t.greeter", lw);
	unload(greeter);
	domain_unsetenv(gui, "XDG_SESSION_TYPE");
	job_event(stays, EV_REMOVE);
	process_exits(stays, -SIGTERM);
	loop_run_deferred();
}

static void test_bootout_continuation_runs_after_the_job_is_gone(void **state)
{
	(void)state;
	struct job *old = load("t.update", "<key>KeepAlive</key><true/>");
	pid_t old_pid = old->pid;
	xpc_object_t reply = xpc_dictionary_create_empty();
	int sent = control.sent;
	pending_remove_job(old, reply, load_again, NULL);
	assert_int_equal(control.sent, sent); /* SIGTERM sent; the old process still runs */
	assert_int_equal(world.last_signal, SIGTERM);
	process_exits(old, -SIGTERM);
	assert_int_equal(control.sent, sent + 1);
	assert_true(xpc_dictionary_get_bool(reply, "reloaded")); /* the label was free when it ran */
	struct job *fresh = domain_find_job(gui, "t.update");
	assert_non_null(fresh);
	assert_int_not_equal(fresh->pid, old_pid);
	xpc_release(reply);
	job_event(fresh, EV_REMOVE);
	process_exits(fresh, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_job_is_spawned_reaped_and_respawned),
		cmocka_unit_test(test_spawn_failure_answers_the_waiter_with_its_cause),
		cmocka_unit_test(test_unload_before_start_tells_the_waiter),
		cmocka_unit_test(test_exit_timeout_escalates_to_sigkill_and_the_group),
		cmocka_unit_test(test_labels_are_found_among_many_and_after_unloads),
		cmocka_unit_test(test_identity_cache_looks_a_user_up_once),
		cmocka_unit_test(test_a_reply_waits_for_every_job_it_names),
		cmocka_unit_test(test_bootout_continuation_runs_after_the_job_is_gone),
		cmocka_unit_test(test_session_types_load_and_boot_out_agents),
	};
	return cmocka_run_group_tests(tests, setup_core, NULL);
}
