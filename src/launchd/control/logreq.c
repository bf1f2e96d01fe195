/*
 * launchctl log: a job's captured output (capture.h), or a domain's events
 * from launchd's own log — for root and the domain's user only, since
 * output can hold anything a program prints. A request with a seq asks for
 * what came after it (--follow).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "domain.h"
#include "errors.h"
#include "logreq.h"
#include "oom.h"
#include "protocol.h"
#include "requests.h"

#define EVENTS_READ_MAX (1024 * 1024) /* of launchd's log read back at once */
#define LINES_DEFAULT 100

/* Does line (of launchd's log) concern d? The system domain's events are all of them. */
static bool concerns(const struct domain *d, const char *line, size_t len)
{
	char tag[40];
	int n = snprintf(tag, sizeof(tag), "(%s/", d->name);
	return d->kind == DOMAIN_SYSTEM || (n > 0 && memmem(line, len, tag, (size_t)n));
}

static void add_event(xpc_object_t lines, const char *line, size_t len)
{
	char *text = strndup(line, len);
	if (!text)
		gantry_oom();
	xpc_object_t l = xpc_dictionary_create_empty();
	char when[32] = "";
	if (len > 23)
		snprintf(when, sizeof(when), "%.23s", line);
	xpc_dictionary_set_string(l, KEY_TIME, when);
	xpc_dictionary_set_int64(l, KEY_RUN, 0);
	xpc_dictionary_set_string(l, KEY_STREAM, "launchd");
	xpc_dictionary_set_string(l, KEY_TEXT, text);
	xpc_array_append_value(lines, l);
	xpc_release(l);
	free(text);
}

/* Adds the lines of buf that concern d, after the first skip of them, to lines (if not NULL); their count. */
static size_t each_event(const struct domain *d, const char *buf, size_t len, size_t skip, xpc_object_t lines)
{
	size_t seen = 0;
	for (const char *line = buf, *end = buf + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			break;
		if (concerns(d, line, (size_t)(nl - line)) && seen++ >= skip && lines)
			add_event(lines, line, (size_t)(nl - line));
		line = nl + 1;
	}
	return seen;
}

/* d's events from launchd's log: from byte offset `from` on (follow), else its last n. */
static void domain_events(const struct domain *d, bool follow, uint64_t from, size_t n, xpc_object_t reply)
{
	xpc_object_t lines = xpc_array_create(NULL, 0);
	int fd = open(g_launchd.paths.log_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	uint64_t size = fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	if (!follow || from > size)
		from = size > EVENTS_READ_MAX ? size - EVENTS_READ_MAX : 0; /* from > size: the log was rotated */
	char *buf = size > from ? malloc(size - from) : NULL;
	ssize_t got = buf ? pread(fd, buf, size - from, (off_t)from) : 0;
	size_t len = got > 0 ? (size_t)got : 0, total = buf ? each_event(d, buf, len, 0, NULL) : 0;
	if (buf)
		each_event(d, buf, len, !follow && total > n ? total - n : 0, lines); /* the last n */
	free(buf);
	if (fd >= 0)
		close(fd);
	xpc_dictionary_set_value(reply, KEY_LINES, lines);
	xpc_release(lines);
	xpc_dictionary_set_uint64(reply, KEY_SEQ, from + len);
}

/* The request's domain if caller is root or its user (what a domain's jobs print is theirs); else NULL. */
static struct domain *own_domain(xpc_object_t msg, xpc_object_t reply, uid_t caller, const char *what)
{
	struct domain *d = request_domain(msg, reply, caller, false);
	if (d && caller != 0 && caller != d->uid) {
		control_set_error(reply, EPERM, "only root%s may %s (you are uid %u)", d->kind == DOMAIN_SYSTEM ? "" :
			" and its user", what, (unsigned)caller);
		return NULL;
	}
	return d;
}

/* launchctl reopen (logrotate's postrotate): the service's passed-through output paths are opened again. */
static bool req_reopen(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = own_domain(msg, reply, caller, "reopen its jobs' output files");
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	struct job *j = d && label ? domain_find_job(d, label) : NULL;
	if (d && !j)
		control_set_error(reply, LE_NO_SERVICE, "Could not find service \"%s\" in domain %s", label ? label : "",
			d->name);
	else if (j)
		capture_reopen(j);
	return false;
}

static bool req_log(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	char what[96];
	const char *name = xpc_dictionary_get_string(msg, KEY_DOMAIN);
	snprintf(what, sizeof(what), "read what %s's jobs print and log", name ? name : "the domain");
	struct domain *d = own_domain(msg, reply, caller, what);
	if (!d)
		return false;
	bool follow = xpc_dictionary_get_value(msg, KEY_SEQ) != NULL;
	uint64_t after = xpc_dictionary_get_uint64(msg, KEY_SEQ);
	int64_t count = xpc_dictionary_get_int64(msg, KEY_COUNT);
	size_t n = count > 0 ? (size_t)count : LINES_DEFAULT;
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	if (!label) {
		domain_events(d, follow, after, n, reply);
		return false;
	}
	struct job *j = domain_find_job(d, label);
	if (!j)
		control_set_error(reply, LE_NO_SERVICE, "Could not find service \"%s\" in domain %s", label, d->name);
	else
		capture_lines(j, follow, after, n, reply);
	if (j && (j->spec->stdout_path || j->spec->stderr_path)) {
		char note[PATH_MAX * 2 + 96];
		snprintf(note, sizeof(note), "%s/%s sends%s%s%s%s: not captured", d->name, label,
			j->spec->stdout_path ? " stdout to " : "", j->spec->stdout_path ? j->spec->stdout_path : "",
			j->spec->stderr_path ? (j->spec->stdout_path ? " and stderr to " : " stderr to ") : "",
			j->spec->stderr_path ? j->spec->stderr_path : "");
		xpc_dictionary_set_string(reply, KEY_REASON, note);
	}
	return false;
}

const struct routine log_routines[] = {
	{ROUTINE_LOG, req_log},
	{ROUTINE_REOPEN, req_reopen},
	{NULL, NULL},
};
