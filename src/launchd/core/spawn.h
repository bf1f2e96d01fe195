/*
 * Starting a job's process: a posix_spawn-style clone that applies the
 * spec's execution context in launchd's order and execs. The only file that
 * creates processes.
 */
#ifndef GANTRY_SPAWN_H
#define GANTRY_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "launchd.h"

#include "joblimits.h"
#include "procrec.h"
#include "spec.h"

/* Exit status of a job whose setup or exec failed (sysexits EX_CONFIG). */
#define SPAWN_FAILED_STATUS 78
#define SPAWN_CAUSE_MAX 512
#define SPAWN_MAX_GROUPS 256

/* Who the job runs as, resolved by the caller before the spawn. */
struct spawn_identity {
	bool change;   /* set groups, gid and uid (launchd runs as root) */
	bool drop_first; /* a user's own job: credentials change before nice, limits and I/O priority, so the
			    kernel refuses what the user could not do */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups (InitGroups) */
	int ngroups;
	const char *user;  /* USER and LOGNAME */
	const char *home;
	const char *shell;
};

/*
 * Descriptors a job receives (socket activation): fds[i] becomes descriptor
 * 3 + i, announced by LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (names,
 * colon-separated); stdio_fd, if >= 0, becomes 0 and 1, and 2 unless
 * StandardErrorPath is set (inetdCompatibility).
 */
#define SPAWN_MAX_FDS 64
struct spawn_fds {
	const int *fds;
	size_t n;
	const char *names;
	int stdio_fd;
};

/* launchctl debug: what the next instance runs instead of what its plist says (NULL fields: the plist's). */
struct spawn_debug {
	char *program;
	char **argv;          /* NULL-terminated */
	char *stdout_path, *stderr_path;
	char **env;           /* NAME=value, NULL-terminated, over the plist's */
};

/* What a spawn needs besides the job's spec. */
struct spawn_request {
	const struct job_spec *spec;
	const struct spawn_identity *id;
	const char *launchd_socket;        /* LAUNCHD_SOCKET: the job's libxpc and launchctl reach this launchd */
	char *const *domain_env;           /* the domain's environment (launchctl setenv), or NULL */
	const struct spawn_fds *extra;     /* descriptors to pass, or NULL */
	const struct procrec_ticket *rec;  /* the record the child writes first (procrec.h) */
	const struct job_limit *limits;    /* launchctl limit's defaults (joblimits.h), or NULL */
	const char *default_path;          /* launchctl config path: PATH unless the plist sets one, or NULL */
	int default_umask;                 /* launchctl config umask: unless the plist sets Umask; -1: none */
	const struct spawn_debug *debug;   /* launchctl debug's overrides for this instance, or NULL */
	const int *capture;                /* {stdout, stderr}: pipe write ends (capture.h), -1 each for none; or NULL */
};

/*
 * Starts the job. Its environment is launchd's defaults, then the domain's, then the plist's
 * EnvironmentVariables, each overriding the one before. The child writes the process record before anything
 * else; on failure the caller frees its slot. Returns 0 with *pid and *pidfd set once the program was
 * exec'd; otherwise an errno, with the exact cause in cause ("Program
 * /usr/bin/nope: No such file or directory") and no process left behind.
 */
int spawn_job(const struct spawn_request *rq, pid_t *pid, int *pidfd, char cause[SPAWN_CAUSE_MAX]);
/*
 * Opens path for a job's output as the child would (appending, created with the job's umask — -1:
 * launchd's —, as the job's identity, following no symbolic link of another owner), in launchd, for
 * output that passes through it (capture.h). A descriptor, -1 with the cause the spawn reports, or
 * SPAWN_OUTPUT_NOT_A_FILE for anything but a regular file (a device, a terminal, a FIFO: launchd
 * never blocks on one nor turns a terminal into a pipe — the job opens those itself, as before).
 */
#define SPAWN_OUTPUT_NOT_A_FILE (-2)
/* GantryOutputRotation: path becomes path.1 (path.1 path.2, … up to path.keep), renamed as the job's
 * identity in the directory open_trusted() reaches; 0, or an errno with cause. */
int spawn_rotate_output(const struct spawn_identity *id, const char *path, int keep, char cause[SPAWN_CAUSE_MAX]);
int spawn_open_output(const struct spawn_identity *id, const char *key, const char *path, int job_umask,
	char cause[SPAWN_CAUSE_MAX]);

/*
 * The signals launchd ignores (main.c); a job gets their default back. launchd
 * installs no handlers (it reads signals from a signalfd), and exec resets
 * handled signals anyway, so these are the only dispositions to undo.
 */
#define LAUNCHD_IGNORED_SIGNALS {SIGPIPE}

/* launchd's default PATH for jobs (launchd.plist(5)). */
#define SPAWN_DEFAULT_PATH "/usr/bin:/bin:/usr/sbin:/sbin"

#endif
