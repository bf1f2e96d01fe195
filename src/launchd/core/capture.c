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

#include "capture.h"
#include "domain.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "oom.h"
#include "protocol.h"

#define READ_CHUNK (64 * 1024)  /* read per call; the file gets one write per chunk read */
#define FILE_READ_MAX (4 * 1024 * 1024) /* of a log file read back for launchctl log */

size_t capture_ring_bytes = CAPTURE_RING_BYTES_DEFAULT, capture_file_bytes = CAPTURE_FILE_BYTES_DEFAULT;

struct cline {
	struct cline *next;
	uint64_t seq;
	int64_t time_ms; /* wall clock, when launchd read it */
	uint32_t run;
	enum capture_stream stream;
	size_t len;
	char text[];
};

struct cpipe { /* one stream of one run */
	struct watch w;
	struct capture *cap;
	struct cpipe *next;
	uint32_t run;
	enum capture_stream stream;
	size_t partial_len;
	char *partial; /* a line not ended yet (CAPTURE_LINE_MAX bytes), allocated only while there is one */
};

struct capture {
	struct job *job;
	struct cpipe *pipes;
	struct cline *head, *tail; /* the ring, oldest first */
	size_t ring_bytes;
	uint64_t seq, dropped;
	uint32_t run;
	int fd;          /* the log file, or -1 */
	off_t size;
	bool failing;    /* the last write failed (logged once per streak) */
	char path[PATH_MAX];
};

/*
 * Formatted lines waiting for the file: one buffer for every job (launchd reads one pipe at a time and
 * flushes before it turns to another job's), so a thousand quiet jobs do not each hold 64 KiB.
 */
static struct {
	struct capture *owner;
	size_t len;
	char buf[READ_CHUNK + 256];
} out;

static const char *stream_name(enum capture_stream s)
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
	if (strchr(c->job->spec->label, '/') || snprintf(c->path, sizeof(c->path), "%s/%s.log", dir,
		c->job->spec->label) >= (int)sizeof(c->path))
		return false;
	c->fd = open(c->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	struct stat st;
	c->size = c->fd >= 0 && fstat(c->fd, &st) == 0 ? st.st_size : 0;
	return c->fd >= 0;
}

/* The file is over its cap: it becomes .log.1 (replacing the older one) and a new one starts. */
static void rotate(struct capture *c)
{
	char old[PATH_MAX + 2];
	snprintf(old, sizeof(old), "%s.1", c->path);
	close(c->fd);
	c->fd = -1;
	rename(c->path, old);
	open_file(c);
}

static size_t lines_in(const char *buf, size_t len)
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
	size_t done = w > 0 ? (size_t)w : 0, lost = lines_in(out + done, len - done);
	c->dropped += lost;
	if (!c->failing)
		log_msg(LOG_WARNING, "(%s/%s) output capture: cannot write %s: %s; %zu lines dropped (counted in print)",
			c->job->domain->name, c->job->spec->label, c->path[0] ? c->path : "the log file", strerror(e), lost);
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
			c->dropped += lines_in(out.buf + at + n, out.len - at - n); /* the rest: the same disk */
			break;
		}
		at += n;
	}
	out.len = 0;
	out.owner = NULL;
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

static void format_time(int64_t ms, char *buf, size_t len)
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
	format_time(now, when, sizeof(when));
	out.len += (size_t)snprintf(out.buf + out.len, sizeof(out.buf) - out.len, "%s %u %s %.*s\n", when, p->run,
		stream_name(p->stream), (int)len, text);
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
	if (p->partial_len) /* a last line without its newline */
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
	free(p->partial);
	free(p);
}

/* Reads what p holds now; true if p is still open. */
static bool drain(struct cpipe *p)
{
	static char buf[READ_CHUNK];
	struct capture *c = p->cap;
	for (;;) {
		ssize_t n = read(p->w.fd, buf, sizeof(buf));
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

int capture_open(struct job *j, bool want_out, bool want_err, int *out, int *err)
{
	int fds[2][2] = {{-1, -1}, {-1, -1}};
	bool want[2] = {want_out, want_err};
	*out = *err = -1;
	for (int i = 0; i < 2; i++) {
		if (want[i] && pipe2(fds[i], O_CLOEXEC) < 0) {
			int e = errno;
			for (int k = 0; k < 2; k++)
				for (int m = 0; m < 2; m++)
					if (fds[k][m] >= 0)
						close(fds[k][m]);
			return e;
		}
	}
	struct capture *c = capture_of(j);
	c->run++;
	for (int i = 0; i < 2; i++) {
		if (!want[i])
			continue;
		struct cpipe *p = calloc(1, sizeof(*p));
		if (!p)
			gantry_oom();
		*p = (struct cpipe){.cap = c, .run = c->run, .stream = i ? CAPTURE_STDERR : CAPTURE_STDOUT, .next = c->pipes};
		fcntl(fds[i][0], F_SETFL, O_NONBLOCK);
		if (loop_watch(&p->w, fds[i][0], EPOLLIN, on_readable)) {
			close(fds[i][0]);
			close(fds[i][1]);
			free(p);
			continue;
		}
		c->pipes = p;
		*(i ? err : out) = fds[i][1];
	}
	return 0;
}

void capture_close_child_ends(int out, int err)
{
	if (out >= 0)
		close(out);
	if (err >= 0)
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
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	j->capture = NULL;
}

uint64_t capture_dropped(const struct job *j)
{
	return j->capture ? j->capture->dropped : 0;
}

const char *capture_file(const struct job *j)
{
	return j->capture && j->capture->path[0] ? j->capture->path : NULL;
}

static void append_line(xpc_object_t lines, const char *when, int64_t run, const char *stream, const char *text,
	size_t len)
{
	xpc_object_t l = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(l, KEY_TIME, when);
	xpc_dictionary_set_int64(l, KEY_RUN, run);
	xpc_dictionary_set_string(l, KEY_STREAM, stream);
	char *copy = strndup(text, len);
	if (!copy)
		gantry_oom();
	xpc_dictionary_set_string(l, KEY_TEXT, copy);
	free(copy);
	xpc_array_append_value(lines, l);
	xpc_release(l);
}

/* Whole lines of path into buf (its last FILE_READ_MAX bytes); their count. */
static size_t read_file(const char *path, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !(*buf = malloc(FILE_READ_MAX))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	off_t from = st.st_size > FILE_READ_MAX ? st.st_size - FILE_READ_MAX : 0;
	ssize_t n = pread(fd, *buf, FILE_READ_MAX, from);
	close(fd);
	*len = n > 0 ? (size_t)n : 0;
	char *first = from && *len ? memchr(*buf, '\n', *len) : NULL; /* a partial first line is skipped */
	if (first) {
		*len -= (size_t)(first + 1 - *buf);
		memmove(*buf, first + 1, *len);
	}
	return lines_in(*buf, *len);
}

/* The last n lines of the file (and of .log.1 before it, if the current one has fewer) into lines. */
static void file_lines(const struct capture *c, xpc_object_t lines, size_t n)
{
	char older[PATH_MAX + 2];
	snprintf(older, sizeof(older), "%s.1", c->path);
	const char *paths[2] = {older, c->path};
	char *bufs[2];
	size_t lens[2], counts[2];
	for (int i = 0; i < 2; i++)
		counts[i] = read_file(paths[i], &bufs[i], &lens[i]);
	size_t skip = counts[0] + counts[1] > n ? counts[0] + counts[1] - n : 0;
	for (int i = 0; i < 2; i++) {
		for (char *line = bufs[i], *end = bufs[i] ? bufs[i] + lens[i] : NULL; line && line < end;) {
			char *nl = memchr(line, '\n', (size_t)(end - line));
			if (!nl)
				break;
			char when[40], stream[8];
			unsigned run;
			int text = 0;
			if (skip)
				skip--;
			else if (sscanf(line, "%39s %u %7s %n", when, &run, stream, &text) == 3 && text)
				append_line(lines, when, run, stream, line + text, (size_t)(nl - line - text));
			line = nl + 1;
		}
		free(bufs[i]);
	}
}

void capture_lines(const struct job *j, bool follow, uint64_t after, size_t n, xpc_object_t reply)
{
	const struct capture *c = j->capture;
	xpc_object_t lines = xpc_array_create(NULL, 0);
	uint64_t oldest = c && c->head ? c->head->seq : 0;
	if (c && follow) {
		for (const struct cline *l = c->head; l; l = l->next) {
			char when[40];
			format_time(l->time_ms, when, sizeof(when));
			if (l->seq > after)
				append_line(lines, when, l->run, stream_name(l->stream), l->text, l->len);
		}
		if (oldest > after + 1) /* lines between were pushed out of memory: the file has them */
			xpc_dictionary_set_uint64(reply, KEY_SKIPPED, oldest - after - 1);
	} else if (c && c->path[0]) {
		file_lines(c, lines, n);
	}
	xpc_dictionary_set_value(reply, KEY_LINES, lines);
	xpc_release(lines);
	xpc_dictionary_set_uint64(reply, KEY_SEQ, c ? c->seq : 0);
	xpc_dictionary_set_uint64(reply, KEY_DROPPED, c ? c->dropped : 0);
	if (c && c->path[0])
		xpc_dictionary_set_string(reply, KEY_OUTPUT_FILE, c->path);
}
