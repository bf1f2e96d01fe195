/*
 * Processes launchd adopts as a subreaper (`--subreaper`, or as PID 1): a
 * job's double-forked daemon, a shell's background child whose parent
 * exited. Each is reaped when it exits (one log line naming it and the job
 * it came from) and attributed, when adopted, to the job it came from: the
 * job whose process group or session it is in (a job starts in its own
 * session), else the job of an adopted process whose group or session it is
 * in, else the job its environment names (XPC_SERVICE_NAME, which every job
 * inherits and a double fork keeps) if that job runs as the process's user.
 * What no rule attributes is launchd's own and is stopped at shutdown.
 *
 * A job's adopted processes are shown by print, get SIGTERM (SIGKILL after
 * the job's ExitTimeOut) with its process group when its main process exits
 * (unless AbandonProcessGroup), and in any case when the job is booted out.
 * Without a subreaper every call here does nothing.
 */
#ifndef GANTRY_ORPHANS_H
#define GANTRY_ORPHANS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct job;

/* Makes launchd a subreaper (PR_SET_CHILD_SUBREAPER); 0 or an errno. */
int orphans_enable(void);
bool orphans_enabled(void);
/* Reaps every exited child but jobs' main processes (SIGCHLD, and after a job reaped its own). */
void orphans_reap(void);
/* Adopts the living children launchd did not start, attributing each, then reaps (reparenting is silent). */
void orphans_scan(void);
/* j->pid is a new main process, and its process group and session. */
void orphans_job_spawned(struct job *j);
/* The job whose process group pgid was ended (pgroups.h): its adopted processes get the same. */
void orphans_end_group(pid_t pgid, int timeout_s);
/* j is being freed: its adopted processes get SIGTERM, SIGKILL after its ExitTimeOut. */
void orphans_job_freed(struct job *j);
/* Adopted processes of j alive now (scan first for a current count). */
size_t orphans_of(const struct job *j);
/* Adopted processes of no job: SIGTERM now, SIGKILL after timeout_s (shutdown). */
void orphans_end_unattributed(int timeout_s);
/* Adopted processes alive. */
size_t orphans_alive(void);

#endif
