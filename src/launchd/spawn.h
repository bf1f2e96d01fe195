/*
 * Starting a job's process: fork, apply the spec's execution context in
 * launchd's order, exec. The only file that forks.
 */
#ifndef GANTRY_SPAWN_H
#define GANTRY_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

/* Exit status of a job whose setup or exec failed (sysexits EX_CONFIG). */
#define SPAWN_FAILED_STATUS 78
#define SPAWN_CAUSE_MAX 512

/* Who the job runs as, resolved by the caller before the fork. */
struct spawn_identity {
	bool change;   /* setgid/initgroups/setuid (launchd runs as root) */
	uid_t uid;
	gid_t gid;
	bool init_groups;
	const char *user;  /* USER, LOGNAME, and initgroups(3) */
	const char *home;
	const char *shell;
};

struct spawn_result {
	pid_t pid;
	int pidfd;      /* readable when the process exits */
	int status_fd;  /* read end of the setup-failure pipe */
};

/*
 * Forks and execs the job. Returns 0, or an errno with cause filled when no
 * process could be created. Failures after the fork reach the caller as an
 * exit with status 78 and the cause readable from status_fd
 * (spawn_read_cause).
 */
int spawn_job(const struct job_spec *s, const struct spawn_identity *id,
	struct spawn_result *out, char cause[SPAWN_CAUSE_MAX]);
/* Reads the cause the child wrote before exiting; false if it exec'd. */
bool spawn_read_cause(int status_fd, char cause[SPAWN_CAUSE_MAX]);

/* launchd's default PATH for jobs (launchd.plist(5)). */
#define SPAWN_DEFAULT_PATH "/usr/bin:/bin:/usr/sbin:/sbin"

#endif
