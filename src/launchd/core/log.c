/*
 * Logging (see log.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* A full disk or a chatty job must not grow the log without bound. */
#define LOG_ROTATE_BYTES (4L * 1024 * 1024)

static int log_fd = -1;
static int journal_fd = -1; /* systemd's journal, native protocol (log_to_journal), or -1 */
static struct sockaddr_un journal;
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

void log_to_journal(const char *socket_path)
{
	if (strlen(socket_path) >= sizeof(journal.sun_path))
		return;
	journal.sun_family = AF_UNIX;
	strcpy(journal.sun_path, socket_path);
	journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* A job's message starts "(domain/label" or "(domain/label [pid])": the two, or false. */
static bool job_of(const char *msg, char *job, size_t joblen, const char **label)
{
	if (msg[0] != '(')
		return false;
	size_t n = strcspn(msg + 1, " )");
	if (n >= joblen)
		return false;
	memcpy(job, msg + 1, n);
	job[n] = '\0';
	char *slash = strchr(job, '/');
	if (slash && strncmp(job, "system/", 7) != 0)
		slash = strchr(slash + 1, '/'); /* gui/501/label, user/501/label, pid/42/label */
	*label = slash ? slash + 1 : NULL;
	return slash && slash[1];
}

/* msg to the journal with its priority and, for a job's, GANTRY_JOB and GANTRY_LABEL fields; false if not sent. */
static bool send_to_journal(int level, const char *msg)
{
	char buf[2600], job[320];
	const char *label = NULL;
	int n = snprintf(buf, sizeof(buf), "PRIORITY=%d\nSYSLOG_IDENTIFIER=launchd\nSYSLOG_PID=%d\n", level, (int)getpid());
	if (job_of(msg, job, sizeof(job), &label))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "GANTRY_JOB=%s\nGANTRY_LABEL=%s\n", job, label);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "MESSAGE=%s", msg); /* msg ends with its newline */
	if (n >= (int)sizeof(buf))
		return false;
	return sendto(journal_fd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&journal, sizeof(journal)) == n;
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
	line[len] = '\0';
	bool journaled = journal_fd >= 0 && send_to_journal(level, line + n);
	if (!journaled && write(STDERR_FILENO, line, len) < 0) {
		/* stderr gone: the log file still has it */
	}
	if (log_fd >= 0) {
		rotate_if_large();
		if (write(log_fd, line, len) < 0) {
			/* disk full: keep running, stderr has it */
		}
	}
}
