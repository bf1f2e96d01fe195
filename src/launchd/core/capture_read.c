/* launchctl log's replies from a job's capture: memory for --follow, the file otherwise (see capture.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_int.h"
#include "job.h"
#include "oom.h"
#include "protocol.h"

#define FILE_READ_MAX (4 * 1024 * 1024) /* of a log file read back for launchctl log */

uint64_t capture_dropped(const struct job *j)
{
	return j->capture ? j->capture->dropped : 0;
}

const char *capture_file(const struct job *j)
{
	return j->capture ? j->capture->path : NULL;
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
	return capture_count_lines(*buf, *len);
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
			capture_format_time(l->time_ms, when, sizeof(when));
			if (l->seq > after)
				append_line(lines, when, l->run, capture_stream_name(l->stream), l->text, l->len);
		}
		if (oldest > after + 1) /* lines between were pushed out of memory: the file has them */
			xpc_dictionary_set_uint64(reply, KEY_SKIPPED, oldest - after - 1);
	} else if (c && c->path) {
		file_lines(c, lines, n);
	}
	xpc_dictionary_set_value(reply, KEY_LINES, lines);
	xpc_release(lines);
	xpc_dictionary_set_uint64(reply, KEY_SEQ, c ? c->seq : 0);
	xpc_dictionary_set_uint64(reply, KEY_DROPPED, c ? c->dropped : 0);
	if (c && c->path)
		xpc_dictionary_set_string(reply, KEY_OUTPUT_FILE, c->path);
}
