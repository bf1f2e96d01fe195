/*
 * Paths opened for a job: the rule that never follows a symbolic link of
 * another owner (trusted_open, also run in spawn's child), and the output
 * files launchd itself opens and rotates in the job's place (capture.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "spawn.h"
#include "trusted.h"

/* Symbolic links followed in one path at most, as the kernel's MAXSYMLINKS. */
#define MAX_LINKS 40

/*
 * openat() of one path component, following it only if it is a symbolic
 * link owned by root or trusted. Returns a descriptor, or -1 with errno
 * (EPERM with *owner set for a link of someone else); a link is rewritten
 * into rest as target + what followed the component.
 */
CHILD_CODE static int open_component(int dir, const char *comp, const char *after, int flags, char *rest,
	size_t restlen, uid_t trusted, uid_t *owner, int *links)
{
	struct stat st;
	int fd = openat(dir, comp, flags | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd >= 0 && !(flags & O_PATH))
		return fd; /* the last component, opened */
	if (fd < 0 && errno != ELOOP)
		return -1;
	if (fd >= 0) { /* a directory on the way, or a link to follow */
		bool link = fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode);
		if (!link && S_ISDIR(st.st_mode))
			return fd;
		close(fd);
		if (!link) {
			errno = ENOTDIR;
			return -1;
		}
	}
	char target[PATH_MAX];
	if (fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (st.st_uid != 0 && st.st_uid != trusted) {
		*owner = st.st_uid;
		errno = EPERM;
		return -1;
	}
	ssize_t n = readlinkat(dir, comp, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	if (++*links > MAX_LINKS || (size_t)n + strlen(after) + 2 > restlen) {
		errno = ELOOP;
		return -1;
	}
	size_t alen = strlen(after);
	memmove(rest + n + 1, after, alen + 1);
	memcpy(rest, target, (size_t)n);
	rest[n] = '/';
	if (!alen)
		rest[n] = '\0';
	errno = 0;
	return -2; /* resolve rest again */
}

/*
 * open(2) of a job's path that never follows a symbolic link owned by
 * somebody other than root or the job's own user (trusted): a link planted
 * in a shared directory cannot redirect a job's output into another owner's
 * file, whatever fs.protected_symlinks says. No allocation (runs in the
 * child). Returns a descriptor, or -1 with errno (EPERM: *owner owns the link).
 */
CHILD_CODE int trusted_open(const char *path, int flags, uid_t trusted, uid_t *owner)
{
	char rest[PATH_MAX];
	int links = 0;
	if (strlen(path) >= sizeof(rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(rest, path);
	int dir = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC); /* an absolute path starts again at "/" below */
	char *p = rest;
	while (dir >= 0) {
		if (*p == '/') { /* an absolute path or link target starts again at the root */
			close(dir);
			if ((dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
				return -1;
		}
		while (*p == '/')
			p++;
		if (!*p) { /* "/" itself, or a path ending in a slash */
			int fd = openat(dir, ".", flags | O_CLOEXEC, 0666);
			close(dir);
			return fd;
		}
		char *end = p + strcspn(p, "/");
		char *after = end;
		while (*after == '/')
			after++;
		bool last = !*after;
		char comp[NAME_MAX + 1];
		if ((size_t)(end - p) > NAME_MAX) {
			close(dir);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, (size_t)(end - p));
		comp[end - p] = '\0';
		char tail[PATH_MAX];
		strcpy(tail, after);
		int fd = open_component(dir, comp, tail, last ? flags : O_PATH, rest, sizeof(rest), trusted, owner, &links);
		if (fd == -2) { /* a trusted link: resolve its target from the same directory */
			p = rest;
			continue;
		}
		close(dir);
		if (fd < 0 || last)
			return fd;
		dir = fd;
		memmove(rest, tail, strlen(tail) + 1);
		p = rest;
	}
	return -1;
}

int spawn_open_output(const struct spawn_identity *id, const char *key, const char *path, int job_umask,
	char cause[SPAWN_CAUSE_MAX])
{
	int r = identity_enter(id);
	if (r) {
		snprintf(cause, SPAWN_CAUSE_MAX, "%s %s: cannot take the job's identity: %s", key, path, strerror(r));
		return -1;
	}
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* /dev/null, a terminal, a FIFO: the job's to open */
		identity_leave();
		return SPAWN_OUTPUT_NOT_A_FILE;
	}
	mode_t old = umask(job_umask >= 0 ? (mode_t)job_umask : 0);
	if (job_umask < 0)
		umask(old); /* the job inherits launchd's */
	uid_t owner = 0;
	/* O_NONBLOCK: a FIFO swapped in since the stat must not block launchd (it fails or is refused below) */
	int fd = trusted_open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_NONBLOCK, id->change ? id->uid : 0,
		&owner);
	int e = errno;
	umask(old);
	identity_leave();
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return SPAWN_OUTPUT_NOT_A_FILE;
	}
	if (fd < 0 && e == ENXIO) /* a FIFO without a reader */
		return SPAWN_OUTPUT_NOT_A_FILE;
	if (fd < 0 && e == EPERM && owner)
		snprintf(cause, SPAWN_CAUSE_MAX, "%s %s: a symbolic link on the way is owned by uid %u; a job follows only "
			"links of root or its own user", key, path, (unsigned)owner);
	else if (fd < 0)
		snprintf(cause, SPAWN_CAUSE_MAX, "%s %s: %s", key, path, strerror(e));
	return fd;
}

/* renameat() of name.from to name.to in dir ("" for no suffix); a missing source is no error. */
static int shift(int dir, const char *name, int from, int to)
{
	char a[NAME_MAX + 8], b[NAME_MAX + 8];
	snprintf(a, sizeof(a), from ? "%s.%d" : "%s", name, from);
	snprintf(b, sizeof(b), "%s.%d", name, to);
	return renameat(dir, a, dir, b) < 0 && errno != ENOENT ? errno : 0;
}

int spawn_rotate_output(const struct spawn_identity *id, const char *path, int keep, char cause[SPAWN_CAUSE_MAX])
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	if (!slash || strlen(slash + 1) > NAME_MAX || (size_t)(slash - path) >= sizeof(dir)) {
		snprintf(cause, SPAWN_CAUSE_MAX, "%s: not a path launchd rotates", path);
		return EINVAL;
	}
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	int r = identity_enter(id);
	uid_t owner = 0;
	int fd = r ? -1 : trusted_open(dir, O_PATH | O_DIRECTORY, id->change ? id->uid : 0, &owner);
	if (!r && fd < 0)
		r = errno;
	for (int k = keep - 1; fd >= 0 && !r && k >= 0; k--) /* .keep-1 -> .keep, …, the file -> .1 */
		r = shift(fd, slash + 1, k, k + 1);
	if (fd >= 0)
		close(fd);
	identity_leave();
	if (r)
		snprintf(cause, SPAWN_CAUSE_MAX, "rotating %s: %s", path, strerror(r));
	return r;
}
