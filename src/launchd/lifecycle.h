/*
 * launchd's own lifecycle: the orderly shutdown (SIGTERM, SIGINT, launchctl
 * reboot) that stops every job before launchd exits, and launchctl reboot:
 * userspace (launchd stops every job and runs itself again — a new binary
 * after an upgrade — loading every job again), logout (a user's launchd stops
 * and exits; the system launchd boots out the caller's gui and user jobs),
 * system, halt and poweroff (only as PID 1: init.h; otherwise they say what
 * to run).
 */
#ifndef GANTRY_LIFECYCLE_H
#define GANTRY_LIFECYCLE_H

#include "control.h"

struct job;

/* Remembers how launchd was started, for reboot userspace. */
void lifecycle_init(char **argv);
/* Stops every job; the event loop ends once the last is gone. why: what asked ("SIGTERM", "reboot userspace"). */
void lifecycle_shutdown(const char *why);
/* The job_exited hook (launchd.h): the --exit-with job's exit shuts launchd down. */
void lifecycle_job_exited(const struct job *j, int status);
/* After the loop ended: runs launchd again if reboot userspace asked; returns only if it did not (or failed). */
void lifecycle_finish(void);

/* The reboot routine (control.h). */
extern const struct routine lifecycle_routines[];

#endif
