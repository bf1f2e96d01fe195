/*
 * Logging (see log.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* A full disk or a chatty job must not grow the log without bound. */
#define LOG_ROTATE_BYTES (4L * 1024 * 1024)

static int log_fd = -1;
static char log_path[4096];
static bool debug_enabled;

static void open_log_path(void)
{
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (log_fd < 0)
		fprintf(stderr, "launchd: cannot open log file %s: %s (logging to stderr only)\n", log_path, strerror(errno));
}

void log_open(const char *file)
{
	snprintf(log_path, sizeof(log_path), "%s", file);
	open_log_path();
}

void log_set_debug(bool on)
{
	debug_enabled = on;
}

static void rotate_if_large(void)
{
	struct stat st;
	if (log_fd < 0 || fstat(log_fd, &st) < 0 || st.st_size < LOG_ROTATE_BYTES)
		return;
	char old[sizeof(log_path) + 2];
	snprintf(old, sizeof(old), "%s.1", log_path);
	rename(log_path, old);
	close(log_fd);
	open_log_path(); /* log_path itself: formatting it onto itself emptied it once */
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_DEBUG: return "debug";
	default: return "info";
	}
}

void log_msg(int level, const char *fmt, ...)
{
	if (level == LOG_DEBUG && !debug_enabled)
		return;
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	int n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ld launchd[%d] <%s>: ", ts.tv_nsec / 1000000,
		(int)getpid(), level_name(level));
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* stderr gone: the log file still has it */
	}
	if (log_fd >= 0) {
		rotate_if_large();
		if (write(log_fd, line, len) < 0) {
			/* disk full: keep running, stderr has it */
		}
	}
}
