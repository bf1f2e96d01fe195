/*
 * launchd as a system's or a container's init: the subreaper (as PID 1 or
 * with --subreaper), the exit status (0, or the status of the --exit-with
 * job, 128+signal when it was killed, as tini and dumb-init report), the
 * bound on a whole shutdown, and what happens once the last job is gone:
 * what is left is stopped and reaped, and as PID 1 `launchctl reboot
 * system|halt|poweroff` ends in reboot(2).
 */
#ifndef GANTRY_INIT_H
#define GANTRY_INIT_H

#include <stdbool.h>

struct job;

/* The subreaper when asked or when launchd is PID 1; exit_with: a label, or NULL. */
void init_start(bool subreaper, const char *exit_with);
/* A job's main process exited: true if it is the --exit-with job (launchd then shuts down). */
bool init_job_exited(const struct job *j, int status);
/* The shutdown began: jobs get their ExitTimeOut, the whole shutdown at most SHUTDOWN_BOUND_S. */
void init_shutdown_started(void);
/* launchctl reboot system|halt|poweroff: remembered for init_exit(); false (nothing done) unless PID 1. */
bool init_request_reboot(int how);
/* Stops and reaps what is left, then reboots (if asked, as PID 1) or returns launchd's exit status. */
int init_exit(void);

#endif
