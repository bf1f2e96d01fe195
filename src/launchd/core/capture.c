/* Jobs' captured output: pipes, lines, the memory ring and the file (see capture.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture_int.h"
#include "domain.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "oom.h"
#include "protocol.h"

#define SINK_CHECK_MS 1000    /* a passed-through path is compared with its open file at most this often */
#define READ_CHUNK (64 * 1024)  /* read per call; the file gets one write per chunk read */
/*
 * Capture takes at most a third of the descriptors launchd has beyond its reserve: the rest are the pidfds
 * of jobs, including jobs not loaded yet when an earlier job's output was given its pipes.
 */
#define CAPTURE_FD_SHARE 3

/*
 * Log files kept open between writes: past this many — or half of capture's share, if fewer — a job's
 * file is closed after each write and opened again for the next, so ten thousand chatty jobs do not cost
 * ten thousand descriptors.
 * Opening per write costs CPU (bench/capture.py: 1000 jobs writing a line a second took 0.90 s of
 * launchd's CPU over 30 s with 256 kept open, 0.56 s with all of them), hence a bound this high.
 */
#define FILES_OPEN_MAX 2048

size_t capture_fd_share(void)
{
	size_t limit = g_launchd.fd_limit;
	if (!limit)
		return SIZE_MAX;
	return limit > DOMAIN_FD_RESERVE ? (limit - DOMAIN_FD_RESERVE) / CAPTURE_FD_SHARE : 0;
}

static size_t files_open_max(void)
{
	size_t half = capture_fd_share() / 2;
	return half < FILES_OPEN_MAX ? half : FILES_OPEN_MAX;
}

static size_t fds_held;   /* pipes' read ends, passed-through files and log files: capture_descriptors() */
static size_t files_open; /* log files among them */

size_t capture_ring_bytes = CAPTURE_RING_BYTES_DEFAULT, capture_file_bytes = CAPTURE_FILE_BYTES_DEFAULT;

/*
 * Formatted lines waiting for the file: one buffer for every job (launchd reads one pipe at a time and
 * flushes before it turns to another job's), so a thousand quiet jobs do not each hold 64 KiB.
 */
static struct {
	struct capture *owner;
	size_t len;
	char buf[READ_CHUNK + 256];
} out;

const char *capture_stream_name(enum capture_stream s)
{
	return s == CAPTURE_STDERR ? "stderr" : "stdout";
}

static struct capture *capture_of(struct job *j)
{
	if (!j->capture) {
		struct capture *c = calloc(1, sizeof(*c));
		if (!c)
			gantry_oom();
		c->job = j;
		c->fd = -1;
		j->capture = c;
	}
	return j->capture;
}

/* <state>/logs/<domain, / as .>/<label>.log, its directories created 0700 (owner: launchd's user). */
static bool open_file(struct capture *c)
{
	char dir[PATH_MAX], domain[64];
	snprintf(domain, sizeof(domain), "%s", c->job->domain->name);
	for (char *p = domain; *p; p++)
		*p = *p == '/' ? '.' : *p;
	snprintf(dir, sizeof(dir), "%s/logs", g_launchd.paths.state_dir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/logs/%s", g_launchd.paths.state_dir, domain);
	mkdir(dir, 0700);
	if (!c->path && (strchr(c->job->spec->label, '/') || asprintf(&c->path, "%s/%s.log", dir,
		c->job->spec->label) < 0)) {
		c->path = NULL;
		return false;
	}
	c->fd = open(c->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->fd >= 0) {
		fds_held++;
		files_open++;
	}
	struct stat st;
	c->size = c->fd >= 0 && fstat(c->fd, &st) == 0 ? st.st_size : 0;
	return c->fd >= 0;
}

static void close_file(struct capture *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	fds_held--;
	files_open--;
}

/* The file is over its cap: it becomes .log.1 (replacing the older one) and a new one starts. */
static void rotate(struct capture *c)
{
	char old[PATH_MAX + 2];
	snprintf(old, sizeof(old), "%s.1", c->path);
	close_file(c);
	rename(c->path, old);
	open_file(c);
}

size_t capture_count_lines(const char *buf, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* Writes the first len bytes of out (whole lines); false, with the lines counted as dropped, if it cannot. */
static bool write_lines(struct capture *c, const char *out, size_t len)
{
	ssize_t w = c->fd >= 0 ? write(c->fd, out, len) : -1;
	if (w == (ssize_t)len) {
		c->size += w;
		c->failing = false;
		return true;
	}
	int e = c->fd < 0 ? errno : w < 0 ? errno : ENOSPC;
	size_t done = w > 0 ? (size_t)w : 0, lost = capture_count_lines(out + done, len - done);
	c->dropped += lost;
	if (!c->failing)
		log_msg(LOG_WARNING, "(%s/%s) output capture: cannot write %s: %s; %zu lines dropped (counted in print)",
			c->job->domain->name, c->job->spec->label, c->path ? c->path : "the log file", strerror(e), lost);
	c->failing = true;
	return false;
}

/* The formatted lines to the file, rotating it when the next lines would take it over its cap. */
static void flush(struct capture *c)
{
	if (out.owner != c)
		return;
	if (c->fd < 0 && out.len)
		open_file(c);
	size_t at = 0;
	while (at < out.len) {
		size_t room = c->size < (off_t)capture_file_bytes ? capture_file_bytes - (size_t)c->size : 0;
		size_t n = 0; /* whole lines that fit, or one line into an empty file whatever its length */
		for (const char *p = out.buf + at, *end = out.buf + out.len; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t line = (size_t)(nl - p) + 1;
			if (n + line > room && (n || c->size))
				break;
			n += line;
			p = nl + 1;
		}
		if (!n) {
			rotate(c);
			continue;
		}
		if (!write_lines(c, out.buf + at, n) && c->fd >= 0) {
			c->dropped += capture_count_lines(out.buf + at + n, out.len - at - n); /* the rest: the same disk */
			break;
		}
		at += n;
	}
	out.len = 0;
	out.owner = NULL;
	if (files_open > files_open_max())
		close_file(c);
}

static void ring_add(struct capture *c, const struct cpipe *p, const char *text, size_t len, int64_t now)
{
	struct cline *l = malloc(sizeof(*l) + len + 1);
	if (!l)
		gantry_oom();
	*l = (struct cline){.seq = ++c->seq, .time_ms = now, .run = p->run, .stream = p->stream, .len = len};
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	if (c->tail)
		c->tail->next = l;
	else
		c->head = l;
	c->tail = l;
	c->ring_bytes += sizeof(*l) + len;
	while (c->ring_bytes > capture_ring_bytes && c->head != c->tail) {
		struct cline *old = c->head;
		c->head = old->next;
		c->ring_bytes -= sizeof(*old) + old->len;
		free(old);
	}
}

void capture_format_time(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(ms % 1000));
}

/* One whole line of p: to the ring, and formatted for the file ("TIME RUN STREAM TEXT"). */
static void emit(struct cpipe *p, const char *text, size_t len, int64_t now)
{
	struct capture *c = p->cap;
	ring_add(c, p, text, len, now);
	if (out.owner && (out.owner != c || out.len + len + 64 > sizeof(out.buf)))
		flush(out.owner);
	out.owner = c;
	char when[40];
	capture_format_time(now, when, sizeof(when));
	out.len += (size_t)snprintf(out.buf + out.len, sizeof(out.buf) - out.len, "%s %u %s %.*s\n", when, p->run,
		capture_stream_name(p->stream), (int)len, text);
}

/* Whole lines of buf are emitted where they lie; only a line cut by the end of a read is copied. */
static void take(struct cpipe *p, const char *buf, size_t n, int64_t now)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
		if (!p->partial_len && nl && len <= CAPTURE_LINE_MAX) {
			emit(p, buf + i, len, now);
			i += len + 1;
			continue;
		}
		if (!p->partial && !(p->partial = malloc(CAPTURE_LINE_MAX)))
			gantry_oom();
		size_t room = CAPTURE_LINE_MAX - p->partial_len, take_n = len < room ? len : room;
		memcpy(p->partial + p->partial_len, buf + i, take_n);
		p->partial_len += take_n;
		i += take_n;
		bool ended = nl && i == (size_t)(nl - buf);
		if (ended || p->partial_len == CAPTURE_LINE_MAX) {
			emit(p, p->partial, p->partial_len, now);
			p->partial_len = 0;
			i += ended;
		}
	}
	if (!p->partial_len) {
		free(p->partial);
		p->partial = NULL;
	}
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_pipe(struct cpipe *p)
{
	if (p->partial_len && p->sink < 0) /* a last line without its newline */
		emit(p, p->partial, p->partial_len, wall_ms());
	for (struct cpipe **pp = &p->cap->pipes; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	int fd = p->w.fd;
	loop_unwatch(&p->w);
	close(fd);
	fds_held--;
	if (p->sink >= 0) {
		close(p->sink);
		fds_held--;
	}
	free(p->sink_path);
	free(p->partial);
	free(p);
}

static void pass_through(struct cpipe *p, const char *buf, size_t n);

/* Reads what p holds now; true if p is still open. */
static bool drain(struct cpipe *p)
{
	static char buf[READ_CHUNK];
	struct capture *c = p->cap;
	for (;;) {
		ssize_t n = read(p->w.fd, buf, sizeof(buf));
		if (n > 0 && p->sink >= 0) {
			pass_through(p, buf, (size_t)n);
			continue;
		}
		if (n > 0) {
			take(p, buf, (size_t)n, wall_ms());
			flush(c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		close_pipe(p); /* end of file: nobody holds the write end any more */
		flush(c);
		return false;
	}
}

static void on_readable(struct watch *w, uint32_t events)
{
	(void)events;
	drain(container_of(w, struct cpipe, w));
}

void capture_new_run(struct job *j)
{
	capture_of(j)->run++;
}

size_t capture_descriptors(void)
{
	return fds_held;
}

void capture_skip_run(struct job *j)
{
	struct capture *c = capture_of(j);
	c->skipped_run = c->run;
}

bool capture_run_skipped(const struct job *j)
{
	return j->capture && j->capture->run && j->capture->skipped_run == j->capture->run;
}

int capture_pipe(struct job *j, enum capture_stream s, int sink, const char *key, const char *path,
	const struct capture_files *files, int *child_end)
{
	int fds[2];
	*child_end = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return errno;
	struct capture *c = capture_of(j);
	struct cpipe *p = calloc(1, sizeof(*p));
	char *copy = path ? strdup(path) : NULL;
	if (!p || (path && !copy))
		gantry_oom();
	struct stat st;
	*p = (struct cpipe){.cap = c, .run = c->run, .stream = s, .next = c->pipes, .sink = sink, .sink_path = copy,
		.sink_key = key, .checked_ms = loop_now_ms(), .sink_size = sink >= 0 && fstat(sink, &st) == 0 ? st.st_size : 0};
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	int r = loop_watch(&p->w, fds[0], EPOLLIN, on_readable);
	if (r) {
		close(fds[0]);
		close(fds[1]);
		free(copy);
		free(p);
		return r;
	}
	if (files)
		c->files = files;
	c->pipes = p;
	fds_held += 1 + (sink >= 0);
	*child_end = fds[1];
	return 0;
}

/* Opens the sink's path again (the new file replaces the old, which is closed); logs why if it cannot. */
static void reopen_sink(struct cpipe *p)
{
	struct capture *c = p->cap;
	char cause[512];
	int fd = c->files ? c->files->open(c->job, p->sink_key, p->sink_path, cause, sizeof(cause)) : -1;
	if (fd < 0) {
		if (!p->reopen_failing) /* tried again at most once a second: said once until it works */
			log_msg(LOG_WARNING, "(%s/%s) cannot reopen %s: %s; writing on to the file it had", c->job->domain->name,
				c->job->spec->label, p->sink_path, c->files ? cause : "no opener");
		p->reopen_failing = true;
		return;
	}
	p->reopen_failing = false;
	close(p->sink);
	p->sink = fd;
	struct stat st;
	p->sink_size = fstat(fd, &st) == 0 ? st.st_size : 0;
	log_msg(LOG_INFO, "(%s/%s) %s reopened", c->job->domain->name, c->job->spec->label, p->sink_path);
}

/* Does the sink's path still name its open file? (Renamed or deleted by a log rotation: no.) */
static bool sink_current(const struct cpipe *p)
{
	struct stat named, open_file;
	return stat(p->sink_path, &named) == 0 && fstat(p->sink, &open_file) == 0 && named.st_dev == open_file.st_dev &&
	       named.st_ino == open_file.st_ino;
}

/* GantryOutputRotation: the file is renamed away (as the job) and a new one opened at its path. */
static void rotate_sink(struct cpipe *p)
{
	struct capture *c = p->cap;
	char cause[512];
	bool rotated = c->files->rotate(c->job, p->sink_path, cause, sizeof(cause)) == 0;
	if (rotated)
		reopen_sink(p);
	else if (!p->rotate_failing)
		log_msg(LOG_WARNING, "(%s/%s) GantryOutputRotation: %s; writing on past MaxBytes (said once until a "
			"rotation works)", c->job->domain->name, c->job->spec->label, cause);
	p->rotate_failing = !rotated;
	p->sink_size = 0; /* whatever happened, the next try comes after another MaxBytes of writes */
}

/* len bytes to the sink; false (the lines counted as dropped, said once) if the file refuses them. */
static bool write_sink(struct cpipe *p, const char *buf, size_t len)
{
	struct capture *c = p->cap;
	while (len) {
		ssize_t w = write(p->sink, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->dropped += capture_count_lines(buf, len) + (buf[len - 1] != '\n');
			if (!c->failing)
				log_msg(LOG_WARNING, "(%s/%s) cannot write %s: %s; lines dropped (counted in print)",
					c->job->domain->name, c->job->spec->label, p->sink_path, strerror(w < 0 ? errno : ENOSPC));
			c->failing = true;
			return false;
		}
		c->failing = false;
		p->sink_size += w;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/*
 * What came through the pipe, appended to the sink unchanged. With GantryOutputRotation, whole lines
 * that fit under MaxBytes go first, then the file is rotated (a single line longer than MaxBytes goes
 * into a new file whole).
 */
static void pass_through(struct cpipe *p, const char *buf, size_t n)
{
	int64_t now = loop_now_ms(), max = p->cap->job->spec->rotate_max_bytes;
	if (now - p->checked_ms >= SINK_CHECK_MS) {
		p->checked_ms = now;
		if (!sink_current(p))
			reopen_sink(p);
	}
	while (n) {
		size_t len = n, room = max && p->sink_size < max ? (size_t)(max - p->sink_size) : 0;
		if (max && p->cap->files && n > room) {
			const char *nl = room ? memrchr(buf, '\n', room) : NULL;
			if (nl) {
				len = (size_t)(nl - buf) + 1;
			} else if (p->sink_size > 0) {
				rotate_sink(p);
				continue;
			}
		}
		if (!write_sink(p, buf, len))
			return;
		buf += len;
		n -= len;
	}
}

void capture_reopen(struct job *j)
{
	for (struct cpipe *p = j->capture ? j->capture->pipes : NULL; p; p = p->next)
		if (p->sink >= 0)
			reopen_sink(p);
}

void capture_close_child_ends(int out, int err)
{
	if (out >= 0)
		close(out);
	if (err >= 0 && err != out)
		close(err);
}

/* The tail of stderr of the latest run: its last lines (newest last), joined by " | ", at most max bytes. */
static void stderr_tail(const struct capture *c, char *tail, size_t max)
{
	const struct cline *last[3] = {NULL, NULL, NULL};
	for (const struct cline *l = c->head; l; l = l->next) {
		if (l->run == c->run && l->stream == CAPTURE_STDERR && l->len) {
			last[0] = last[1];
			last[1] = last[2];
			last[2] = l;
		}
	}
	size_t n = 0;
	tail[0] = '\0';
	for (int i = 0; i < 3 && max; i++)
		if (last[i] && n < max)
			n += (size_t)snprintf(tail + n, max - n, "%s%s", n ? " | " : "", last[i]->text);
}

/* Where the kernel put a core dump: core_pattern, a program (|...) or a path (relative: the working directory). */
static void core_location(const struct job *j, char *buf, size_t len)
{
	char pattern[256] = "";
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, pattern, sizeof(pattern) - 1) : -1;
	if (fd >= 0)
		close(fd);
	pattern[n > 0 ? n : 0] = '\0';
	pattern[strcspn(pattern, "\n")] = '\0';
	if (pattern[0] == '|')
		snprintf(buf, len, "core dumped, handed to %s (kernel.core_pattern)", pattern + 1);
	else if (pattern[0] == '/')
		snprintf(buf, len, "core dumped: %s (kernel.core_pattern)", pattern);
	else
		snprintf(buf, len, "core dumped: %s/%s (kernel.core_pattern, in the working directory)",
			j->spec->working_dir ? j->spec->working_dir : "", pattern[0] ? pattern : "core");
}

void capture_run_ended(struct job *j, int status, bool core, char *diag, size_t max)
{
	struct capture *c = j->capture;
	diag[0] = '\0';
	for (struct cpipe *p = c ? c->pipes : NULL, *next; p; p = next) {
		next = p->next;
		if (p->run == c->run)
			drain(p); /* the process is gone: what it wrote is in the pipe */
	}
	if (status == 0)
		return;
	if (c)
		stderr_tail(c, diag, max);
	if (core) {
		size_t n = strlen(diag);
		if (n && n + 2 < max)
			n += (size_t)snprintf(diag + n, max - n, "; ");
		core_location(j, diag + n, max - n);
	}
}

void capture_free(struct job *j)
{
	struct capture *c = j->capture;
	if (!c)
		return;
	while (c->pipes)
		close_pipe(c->pipes);
	flush(c);
	while (c->head) {
		struct cline *l = c->head;
		c->head = l->next;
		free(l);
	}
	close_file(c);
	free(c->path);
	free(c);
	j->capture = NULL;
}

