/* launchd's own lifecycle (see lifecycle.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "domain.h"
#include "errors.h"
#include "init.h"
#include "lifecycle.h"
#include "log.h"
#include "notify.h"
#include "loop.h"
#include "pgroups.h"
#include "protocol.h"

static char **start_argv;
static char exe[PATH_MAX]; /* the binary's path: after an upgrade, the new binary is there */
static bool run_again;

void lifecycle_init(char **argv)
{
	start_argv = argv;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
		exe[n - 10] = '\0';
}

void lifecycle_shutdown(const char *why)
{
	if (g_launchd.shutting_down)
		return;
	g_launchd.shutting_down = true;
	log_msg(LOG_INFO, "%s: stopping %zu jobs", why, domain_total_jobs());
	notify_state("STOPPING=1");
	init_shutdown_started();
	control_stop();
	domain_remove_all_jobs();
}

void lifecycle_finish(void)
{
	pgroups_kill_all();
	control_stop();
	if (!run_again) {
		log_msg(LOG_INFO, "all jobs stopped; exiting");
		return;
	}
	log_msg(LOG_INFO, "all jobs stopped; running %s again (reboot userspace)", exe);
	execv(exe, start_argv);
	log_msg(LOG_ERR, "reboot userspace: cannot run %s again: %s; exiting", exe, strerror(errno));
}

/* After the reply went out: the shutdown closes every client connection. */
static void shutdown_deferred(void *why)
{
	lifecycle_shutdown(why);
}

void lifecycle_job_exited(const struct job *j, int status)
{
	if (init_job_exited(j, status) && !g_launchd.shutting_down)
		loop_defer(shutdown_deferred, "--exit-with job exited"); /* not inside the job's own event */
}

/* logout in the system launchd: the caller's gui and user jobs are booted out; the launchd stays. */
static void logout_user(uid_t uid)
{
	char names[2][32];
	snprintf(names[0], sizeof(names[0]), "gui/%u", (unsigned)uid);
	snprintf(names[1], sizeof(names[1]), "user/%u", (unsigned)uid);
	for (int i = 0; i < 2; i++) {
		struct domain *d = domain_find_named(names[i]);
		for (struct job *j = d ? d->jobs : NULL, *next; j; j = next) {
			next = j->next;
			job_event(j, EV_REMOVE);
		}
	}
	log_msg(LOG_INFO, "reboot logout: uid %u's gui and user jobs booted out", (unsigned)uid);
}

/* RB_* for launchctl reboot's system, halt and poweroff; 0 for any other mode. */
static int machine_reboot(const char *mode)
{
	if (!mode || strcmp(mode, "system") == 0)
		return RB_AUTOBOOT;
	return strcmp(mode, "halt") == 0 ? RB_HALT_SYSTEM : strcmp(mode, "poweroff") == 0 ? RB_POWER_OFF : 0;
}

static bool req_reboot(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	const char *mode = xpc_dictionary_get_string(msg, KEY_NAME);
	bool may = caller == 0 || (!g_launchd.system && caller == g_launchd.uid);
	int how = machine_reboot(mode);
	if (how && caller != 0) {
		control_set_error(reply, EPERM, "only root may reboot, halt or power off (you are uid %u)", (unsigned)caller);
	} else if (how && init_request_reboot(how)) {
		loop_defer(shutdown_deferred, how == RB_AUTOBOOT ? "reboot system" : how == RB_POWER_OFF ? "reboot poweroff"
			: "reboot halt");
	} else if (how) {
		control_set_error(reply, darwin_errno(ENOTSUP), "launchd (pid %d) is not this machine's init: reboot or halt "
			"it with `systemctl reboot` / `systemctl halt` or reboot(8); `launchctl reboot userspace` restarts "
			"launchd and its jobs", (int)getpid());
	} else if (strcmp(mode, "logout") == 0 && g_launchd.system) {
		logout_user(caller);
	} else if (strcmp(mode, "userspace") != 0 && strcmp(mode, "logout") != 0) {
		control_set_error(reply, LE_USAGE, "\"%s\": reboot takes system, halt, poweroff, userspace or logout%s", mode,
			strcmp(mode, "apps") == 0 ? " (apps quits a macOS GUI session's applications: not launchd's on Linux)" : "");
	} else if (!may) {
		control_set_error(reply, EPERM, "only root%s may reboot this launchd (you are uid %u)",
			g_launchd.system ? "" : " or its own user", (unsigned)caller);
	} else {
		run_again = strcmp(mode, "userspace") == 0;
		loop_defer(shutdown_deferred, run_again ? "reboot userspace" : "reboot logout");
	}
	return false;
}

const struct routine lifecycle_routines[] = {
	{ROUTINE_REBOOT, req_reboot},
	{NULL, NULL},
};
