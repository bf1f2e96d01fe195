/*
 * Process groups a job's main process left behind when it exited (unless
 * AbandonProcessGroup), and adopted processes being stopped (orphans.h):
 * they get SIGTERM at once, as launchd does, and SIGKILL once the job's
 * ExitTimeOut has passed if they ignored it; when launchd itself exits,
 * everything still remembered gets SIGKILL, so a stopped launchd leaves no
 * job process behind.
 */
#ifndef GANTRY_PGROUPS_H
#define GANTRY_PGROUPS_H

#include <stdbool.h>
#include <sys/types.h>

/* SIGTERM to the group pgid now, SIGKILL after timeout_s seconds if it still has members. */
void pgroups_terminate(pid_t pgid, int timeout_s);
/* The same for one process (a child of launchd: its pid cannot be reused before launchd reaps it). */
void pgroups_terminate_process(pid_t pid, int timeout_s);
/* pid was reaped: no SIGKILL for it (its number may be reused). */
void pgroups_forget_process(pid_t pid);
/* Does a group or process waiting for its SIGKILL deadline still exist? (Those gone are forgotten.) */
bool pgroups_pending(void);
/* SIGKILL to everything still remembered (launchd is exiting). */
void pgroups_kill_all(void);

#endif
