/*
 * Process groups a job's main process left behind when it exited (unless
 * AbandonProcessGroup): they get SIGTERM at once, as launchd does, and
 * SIGKILL once the job's ExitTimeOut has passed if any member ignored it;
 * when launchd itself exits, every group still alive gets SIGKILL, so a
 * stopped launchd leaves no job process behind.
 */
#ifndef GANTRY_PGROUPS_H
#define GANTRY_PGROUPS_H

#include <sys/types.h>

/* SIGTERM to the group pgid now, SIGKILL after timeout_s seconds if it still has members. */
void pgroups_terminate(pid_t pgid, int timeout_s);
/* SIGKILL to every group still remembered (launchd is exiting). */
void pgroups_kill_all(void);

#endif
