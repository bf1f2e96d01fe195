/* The real system calls behind the core's seam (see sys.h). */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "loop.h"
#include "orphans.h"
#include "pgroups.h"
#include "sys.h"

static int reap(int pidfd, int *status, bool *core)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return 0;
	*status = si.si_code == CLD_EXITED ? si.si_status : -si.si_status;
	*core = si.si_code == CLD_DUMPED;
	return 1;
}

/* A job's process group, and the processes it left that launchd adopted (orphans.h). */
static void end_group(pid_t pgid, int timeout_s)
{
	pgroups_terminate(pgid, timeout_s);
	orphans_end_group(pgid, timeout_s);
}

const struct sys_ops sys_real = {
	.spawn = spawn_job,
	.kill = kill,
	.reap = reap,
	.end_group = end_group,
	.getpwnam = getpwnam,
	.getpwuid = getpwuid,
	.getgrnam = getgrnam,
	.getgrouplist = getgrouplist,
	.now_ms = loop_now_ms,
};
