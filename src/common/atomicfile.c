/*
 * atomic_write_file(): see atomicfile.h. A crash at any point leaves either
 * the old or the new content at path, never a mix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"

static int failed(const char *step, const char *path, char *err, size_t errlen)
{
	int e = errno;
	snprintf(err, errlen, "%s %s: %s", step, path, strerror(e));
	return e;
}

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode,
	char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "path too long: %s", path);
		return ENAMETOOLONG;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return failed("create", tmp, err, errlen);
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = failed("write", tmp, err, errlen);
			close(fd);
			unlink(tmp);
			return e;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		int e = failed("fsync", tmp, err, errlen);
		close(fd);
		unlink(tmp);
		return e;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int e = failed("rename onto", path, err, errlen);
		unlink(tmp);
		return e;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
