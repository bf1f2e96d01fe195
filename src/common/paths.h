/*
 * Where Gantry keeps things: job directories, state, the control socket and
 * the log, for the system and the per-user daemon, all relocatable under
 * $LAUNCHD_ROOT (docs/design.md, "Paths"). Shared by launchd and launchctl.
 */
#ifndef GANTRY_PATHS_H
#define GANTRY_PATHS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct gantry_paths {
	bool system;              /* launchd --system */
	uid_t uid;                /* the user a --user daemon serves */
	char root[PATH_MAX];      /* $LAUNCHD_ROOT or "" */
	char vendor_daemons[PATH_MAX], admin_daemons[PATH_MAX];
	char vendor_agents[PATH_MAX], admin_agents[PATH_MAX];
	char mac_daemons[PATH_MAX], mac_agents[PATH_MAX]; /* macOS's /Library/LaunchDaemons, /Library/LaunchAgents */
	char user_agents[PATH_MAX];     /* --user only */
	char mac_user_agents[PATH_MAX]; /* --user only: ~/Library/LaunchAgents */
	char state_dir[PATH_MAX];
	char run_dir[PATH_MAX];
	char socket[PATH_MAX];
	char log_file[PATH_MAX];
};

/* Fills p for a daemon of the given mode. Returns 0 or an errno with err set. */
int gantry_paths_init(struct gantry_paths *p, bool system, uid_t uid, char *err, size_t errlen);
/* The user-agent directory of uid for the system daemon (from its passwd home). */
int gantry_user_agents_dir(const struct gantry_paths *p, uid_t uid, char *out, size_t len);
/* macOS's ~/Library/LaunchAgents of uid (under $LAUNCHD_ROOT/home/<uid> when relocated). */
int gantry_mac_user_agents_dir(const struct gantry_paths *p, uid_t uid, char *out, size_t len);
/*
 * The control socket of the launchd to ask: $LAUNCHD_SOCKET when honour_env
 * (launchd puts it in every job's environment), else the caller's own
 * launchd --user when user_ok and it runs in a directory the caller can
 * trust (gantry_dir_trusted), else the system launchd.
 */
void gantry_launchd_socket(bool user_ok, bool honour_env, char *out, size_t len);
/*
 * May a socket in dir be trusted by uid? Only a real directory (not a
 * symbolic link) owned by uid or root and writable by nobody else: another
 * user who created /tmp/launchd-<uid> first must not receive our requests.
 * Returns 0, or EPERM with why saying what is wrong.
 */
int gantry_dir_trusted(const char *dir, uid_t uid, char *why, size_t len);
/* mkdir -p with the given mode for created components. */
int mkdir_p(const char *path, mode_t mode);

#endif
