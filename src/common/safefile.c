/* Reading untrusted paths without blocking (see safefile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safefile.h"
#include "oom.h"

int gantry_open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return GANTRY_NOT_REGULAR;
	}
	return fd;
}

const char *gantry_file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

char *gantry_read_regular(const char *path, size_t max, size_t *len, int *err, char *why, size_t whylen)
{
	struct stat st;
	int fd = gantry_open_regular(path, &st);
	if (fd == GANTRY_NOT_REGULAR) {
		snprintf(why, whylen, "%s is %s, not a regular file", path, gantry_file_kind(st.st_mode));
		*err = EINVAL;
		return NULL;
	}
	if (fd < 0) {
		*err = errno;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((size_t)st.st_size > max) {
		snprintf(why, whylen, "%s: %lld bytes, larger than the limit of %zu", path, (long long)st.st_size, max);
		*err = EFBIG;
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		gantry_oom();
	size_t have = 0;
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? errno : EIO;
			snprintf(why, whylen, "%s: %s", path, n < 0 ? strerror(errno) : "shorter than its size (changed while read)");
			free(buf);
			close(fd);
			return NULL;
		}
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	*len = have;
	return buf;
}
