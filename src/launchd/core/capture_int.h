/*
 * What capture.c (pipes, lines, the ring, the file) and capture_read.c
 * (launchctl log's replies) share: a job's capture and its pipes.
 */
#ifndef GANTRY_CAPTURE_INT_H
#define GANTRY_CAPTURE_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "loop.h"

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
	int sink;         /* a StandardOutPath/StandardErrorPath passed through (its file), or -1: lines kept */
	char *sink_path;
	const char *sink_key; /* StandardOutPath or StandardErrorPath, for the causes */
	int64_t checked_ms;   /* when the path was last compared with the open file (rotation) */
	off_t sink_size;      /* bytes written since the file was opened or rotated, for GantryOutputRotation */
	bool rotate_failing;  /* the last rotation failed (logged once per streak) */
	bool reopen_failing;  /* the last reopen failed (logged once per streak) */
	size_t partial_len;
	char *partial; /* a line not ended yet (CAPTURE_LINE_MAX bytes), allocated only while there is one */
};

struct capture {
	struct job *job;
	const struct capture_files *files; /* a passed-through path's open and rotate (job.c), or NULL */
	struct cpipe *pipes;
	struct cline *head, *tail; /* the ring, oldest first */
	size_t ring_bytes;
	uint64_t seq, dropped;
	uint32_t run;
	uint32_t skipped_run; /* the run whose output launchd could not capture (no descriptors), or 0 */
	int fd;          /* the log file, or -1 */
	off_t size;
	bool failing;    /* the last write failed (logged once per streak) */
	char *path;      /* the log file, once the first line was written (a job that never prints costs no path) */
};

/* "2026-11-30T18:30:00.123Z" for ms since the epoch. */
void capture_format_time(int64_t ms, char *buf, size_t len);
const char *capture_stream_name(enum capture_stream s);
size_t capture_count_lines(const char *buf, size_t len);

#endif
