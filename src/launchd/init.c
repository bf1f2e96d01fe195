/* launchd as init: subreaper, exit status, the shutdown's bound, reboot(2) (see init.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "errors.h"
#include "init.h"
#include "log.h"
#include "loop.h"
#include "orphans.h"
#include "pgroups.h"

/*
 * The whole shutdown, however long the jobs' ExitTimeOuts: after this every
 * job process left gets SIGKILL. Below systemd's TimeoutStopSec=90 in our
 * unit, so launchd, not systemd, ends its jobs, and bounded for a container
 * runtime that waits (Docker's own stop timeout is 10 s, then it kills).
 */
#define SHUTDOWN_BOUND_S 60
/* Adopted processes of no job, and as PID 1 every process left, get SIGTERM and this long before SIGKILL. */
#define ORPHAN_GRACE_S 5

static struct {
	const char *exit_with; /* --exit-with LABEL, or NULL */
	int status;            /* launchd's exit status */
	int reboot_how;        /* RB_* from launchctl reboot, or 0 */
	int64_t deadline_ms;   /* the shutdown's bound, once it began */
	struct timer bound;
} init = {.status = 0};

static void on_bound(struct timer *t);

void init_start(bool subreaper, const char *exit_with)
{
	init.exit_with = exit_with;
	timer_init(&init.bound, on_bound);
	if (!subreaper && getpid() != 1)
		return;
	int r = orphans_enable();
	if (r)
		log_msg(LOG_WARNING, "cannot become a subreaper (%s): orphans of jobs go to PID 1", strerror(r));
	else
		log_msg(LOG_INFO, "%s: adopting and reaping the orphans of jobs", getpid() == 1 ? "PID 1" : "subreaper");
}

bool init_job_exited(const struct job *j, int status)
{
	if (!init.exit_with || strcmp(j->spec->label, init.exit_with) != 0)
		return false;
	if (j->domain->kind != (g_launchd.system ? DOMAIN_SYSTEM : DOMAIN_GUI))
		return false;
	init.status = status >= 0 ? status : 128 - status;
	log_msg(LOG_INFO, "--exit-with %s: it exited (%s %d); launchd exits with %d", j->spec->label,
		status >= 0 ? "status" : "signal", status >= 0 ? status : -status, init.status);
	return true;
}

/* The bound passed: every job's process group (its main process included) and what was left get SIGKILL. */
static void on_bound(struct timer *t)
{
	(void)t;
	log_msg(LOG_WARNING, "shutdown took longer than %d seconds: killing the %zu jobs left", SHUTDOWN_BOUND_S,
		domain_total_jobs());
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		for (struct job *j = d->jobs; j; j = j->next)
			if (j->pid)
				kill(-j->pid, SIGKILL);
	pgroups_kill_all();
}

void init_shutdown_started(void)
{
	timer_arm_in(&init.bound, SHUTDOWN_BOUND_S * 1000);
	init.deadline_ms = loop_now_ms() + SHUTDOWN_BOUND_S * 1000;
}

bool init_request_reboot(int how)
{
	if (getpid() != 1)
		return false;
	init.reboot_how = how;
	return true;
}

/* Lets leftover groups and adopted processes end within their grace, inside the shutdown's bound. */
static void wait_for_leftovers(void)
{
	orphans_end_unattributed(ORPHAN_GRACE_S);
	while ((pgroups_pending() || orphans_alive()) && loop_now_ms() < init.deadline_ms) {
		orphans_scan();
		if (!pgroups_pending() && !orphans_alive())
			break;
		loop_run_once((int)(init.deadline_ms - loop_now_ms()));
	}
	pgroups_kill_all();
}

/*
 * As PID 1 nothing may outlive launchd. Every process left (not a job's: a
 * shell someone entered the container with, a client) gets SIGTERM and up
 * to ORPHAN_GRACE_S to exit, then SIGKILL; every child is reaped.
 */
static void end_everything(void)
{
	if (getpid() != 1)
		return;
	if (kill(-1, SIGTERM) == 0) {
		int64_t deadline = loop_now_ms() + ORPHAN_GRACE_S * 1000;
		const struct timespec tick = {0, 10 * 1000 * 1000};
		while (loop_now_ms() < deadline && !(kill(-1, 0) < 0 && errno == ESRCH)) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			nanosleep(&tick, NULL);
		}
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

static const char *reboot_name(int how)
{
	return how == RB_AUTOBOOT ? "reboot" : how == RB_POWER_OFF ? "poweroff" : "halt";
}

int init_exit(void)
{
	timer_cancel(&init.bound);
	if (orphans_enabled()) {
		if (!init.deadline_ms)
			init.deadline_ms = loop_now_ms() + SHUTDOWN_BOUND_S * 1000;
		wait_for_leftovers();
	}
	end_everything();
	if (!init.reboot_how)
		return init.status;
	sync();
	log_msg(LOG_INFO, "every job stopped: %s", reboot_name(init.reboot_how));
	reboot(init.reboot_how); /* in a PID namespace the kernel ends it here, as the runtime expects */
	int status = init.reboot_how == RB_AUTOBOOT ? 128 + SIGHUP : 0;
	log_msg(LOG_WARNING, "reboot(2) for %s: %s; exiting with %d (what the kernel reports for a PID namespace)",
		reboot_name(init.reboot_how), strerror(errno), status);
	return status;
}
