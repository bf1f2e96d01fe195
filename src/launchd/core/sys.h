/*
 * The daemon core's calls on the world, behind one table (dinit's bp_sys):
 * starting, signalling and reaping processes, user and group lookups, and
 * the clock the state machine reads. launchd runs with sys_real (sys.c);
 * the unit tests (tests/unit/test_core.c) install their own and drive jobs,
 * domains, waiters and the identity cache without a single process.
 * Descriptors and timers stay with the event loop (loop.h), which runs
 * in-process as it is.
 */
#ifndef GANTRY_SYS_H
#define GANTRY_SYS_H

#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <sys/types.h>

#include "spawn.h"

struct sys_ops {
	/* spawn_job() (spawn.h): 0 with *pid and *pidfd, or an errno with cause. */
	int (*spawn)(const struct spawn_request *rq, pid_t *pid, int *pidfd, char cause[SPAWN_CAUSE_MAX]);
	int (*kill)(pid_t pid, int sig);
	/* The process behind pidfd: 1 with *status (its exit code, or -signal) and *core (the kernel dumped
	 * one) once it ended, 0 before. */
	int (*reap)(int pidfd, int *status, bool *core);
	/* What a job left in its process group: SIGTERM now, SIGKILL after timeout_s (pgroups.h). */
	void (*end_group)(pid_t pgid, int timeout_s);
	struct passwd *(*getpwnam)(const char *name);
	struct passwd *(*getpwuid)(uid_t uid);
	struct group *(*getgrnam)(const char *name);
	int (*getgrouplist)(const char *user, gid_t group, gid_t *groups, int *ngroups);
	/* CLOCK_MONOTONIC in milliseconds: the time the state machine reads. */
	int64_t (*now_ms)(void);
};

extern const struct sys_ops sys_real;
/* The table in use (launchd.c): hooks_install() sets &sys_real, a unit test its own. */
extern const struct sys_ops *sys;

#endif
