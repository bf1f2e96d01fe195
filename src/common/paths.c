/*
 * Path resolution for both daemon modes; see paths.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

static int join(char *out, const char *root, const char *rest, char *err, size_t errlen)
{
	int n = snprintf(out, PATH_MAX, "%s%s", root, rest);
	if (n < 0 || n >= PATH_MAX) {
		snprintf(err, errlen, "path too long: %s%s", root, rest);
		return ENAMETOOLONG;
	}
	return 0;
}

static const char *home_of(uid_t uid)
{
	const char *h = getenv("HOME");
	if (h && *h && uid == getuid())
		return h;
	struct passwd *pw = getpwuid(uid);
	return pw ? pw->pw_dir : NULL;
}

/* $VAR if set and absolute, else $HOME/fallback. */
static int xdg_dir(char *out, const char *var, const char *fallback, uid_t uid, char *err, size_t errlen)
{
	const char *v = getenv(var);
	if (v && v[0] == '/')
		return join(out, v, "", err, errlen);
	const char *home = home_of(uid);
	if (!home) {
		snprintf(err, errlen, "cannot find a home directory for uid %u (set HOME or %s)", (unsigned)uid, var);
		return ENOENT;
	}
	return join(out, home, fallback, err, errlen);
}

static int user_dirs(struct gantry_paths *p, char *err, size_t errlen)
{
	char base[PATH_MAX];
	int r;
	if ((r = gantry_mac_user_agents_dir(p, p->uid, p->mac_user_agents, sizeof(p->mac_user_agents)))) {
		snprintf(err, errlen, "cannot find a home directory for uid %u", (unsigned)p->uid);
		return r;
	}
	if (p->root[0]) {
		snprintf(base, sizeof(base), "/home/%u/.local/state/launchd", (unsigned)p->uid);
		if ((r = gantry_user_agents_dir(p, p->uid, p->user_agents, sizeof(p->user_agents))) ||
		    (r = join(p->state_dir, p->root, base, err, errlen)))
			return r;
		return join(p->run_dir, p->root, "/run/launchd", err, errlen);
	}
	if ((r = xdg_dir(base, "XDG_CONFIG_HOME", "/.config", p->uid, err, errlen)) ||
	    (r = join(p->user_agents, base, "/launchd/LaunchAgents", err, errlen)) ||
	    (r = xdg_dir(base, "XDG_STATE_HOME", "/.local/state", p->uid, err, errlen)) ||
	    (r = join(p->state_dir, base, "/launchd", err, errlen)))
		return r;
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char fallback[64];
	if (!rt || rt[0] != '/') {
		snprintf(fallback, sizeof(fallback), "/tmp/launchd-%u", (unsigned)p->uid);
		rt = fallback;
		return join(p->run_dir, rt, "", err, errlen);
	}
	return join(p->run_dir, rt, "/launchd", err, errlen);
}

int gantry_paths_init(struct gantry_paths *p, bool system, uid_t uid, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->system = system;
	p->uid = uid;
	const char *root = getenv("LAUNCHD_ROOT");
	if (root && *root) {
		if (root[0] != '/') {
			snprintf(err, errlen, "LAUNCHD_ROOT must be an absolute path, got \"%s\"", root);
			return EINVAL;
		}
		if (join(p->root, root, "", err, errlen))
			return ENAMETOOLONG;
		size_t n = strlen(p->root);
		while (n > 1 && p->root[n - 1] == '/')
			p->root[--n] = '\0';
	}
	int r;
	if ((r = join(p->vendor_daemons, p->root, "/usr/lib/launchd/LaunchDaemons", err, errlen)) ||
	    (r = join(p->admin_daemons, p->root, "/etc/launchd/LaunchDaemons", err, errlen)) ||
	    (r = join(p->vendor_agents, p->root, "/usr/lib/launchd/LaunchAgents", err, errlen)) ||
	    (r = join(p->admin_agents, p->root, "/etc/launchd/LaunchAgents", err, errlen)) ||
	    (r = join(p->mac_daemons, p->root, "/Library/LaunchDaemons", err, errlen)) ||
	    (r = join(p->mac_agents, p->root, "/Library/LaunchAgents", err, errlen)))
		return r;
	if (system) {
		if ((r = join(p->state_dir, p->root, "/var/lib/launchd", err, errlen)) ||
		    (r = join(p->run_dir, p->root, "/run/launchd", err, errlen)))
			return r;
	} else if ((r = user_dirs(p, err, errlen))) {
		return r;
	}
	if ((r = join(p->socket, p->run_dir, "/launchd.sock", err, errlen)) ||
	    (r = join(p->log_file, p->state_dir, "/launchd.log", err, errlen)))
		return r;
	return 0;
}

/* rel under uid's home: its passwd home, or $LAUNCHD_ROOT/home/<uid> when relocated. */
static int home_relative(const struct gantry_paths *p, uid_t uid, const char *rel, char *out, size_t len)
{
	const char *home = p->root[0] ? NULL : home_of(uid);
	int n;
	if (p->root[0])
		n = snprintf(out, len, "%s/home/%u%s", p->root, (unsigned)uid, rel);
	else if (home)
		n = snprintf(out, len, "%s%s", home, rel);
	else
		return ENOENT;
	return n < 0 || (size_t)n >= len ? ENAMETOOLONG : 0;
}

int gantry_user_agents_dir(const struct gantry_paths *p, uid_t uid, char *out, size_t len)
{
	return home_relative(p, uid, "/.config/launchd/LaunchAgents", out, len);
}

int gantry_mac_user_agents_dir(const struct gantry_paths *p, uid_t uid, char *out, size_t len)
{
	return home_relative(p, uid, "/Library/LaunchAgents", out, len);
}

void gantry_launchd_socket(bool user_ok, bool honour_env, char *out, size_t len)
{
	const char *env = getenv("LAUNCHD_SOCKET");
	struct gantry_paths sys, usr;
	char err[256];
	if (honour_env && env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	bool have_sys = gantry_paths_init(&sys, true, 0, err, sizeof(err)) == 0;
	bool have_usr = gantry_paths_init(&usr, false, getuid(), err, sizeof(err)) == 0;
	if (user_ok && have_usr && access(usr.socket, F_OK) == 0 &&
	    gantry_dir_trusted(usr.run_dir, getuid(), err, sizeof(err)) == 0)
		snprintf(out, len, "%s", usr.socket);
	else if (have_sys)
		snprintf(out, len, "%s", sys.socket);
	else
		snprintf(out, len, "%s", have_usr ? usr.socket : "");
}

int gantry_dir_trusted(const char *dir, uid_t uid, char *why, size_t len)
{
	struct stat st;
	if (lstat(dir, &st) < 0) {
		snprintf(why, len, "%s: %s", dir, strerror(errno));
		return errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s is not a directory (a symbolic link?)", dir);
		return EPERM;
	}
	if ((st.st_uid != uid && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, len, "%s is owned by uid %u with mode %04o; a launchd socket directory must belong to uid %u "
			"(or root) and be writable by nobody else", dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
			(unsigned)uid);
		return EPERM;
	}
	return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return errno;
		*s = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return errno;
	return 0;
}
