/*
 * A job's captured output: stdout and stderr of a job without
 * StandardOutPath/StandardErrorPath go to launchd through a pipe per stream
 * and run. launchd reads them as they come (never blocking: a full pipe
 * makes the job wait, nothing is thrown away), splits lines (a line longer
 * than CAPTURE_LINE_MAX is cut into pieces), and keeps each line with the
 * time it was read, its stream and the run it came from:
 *   - in memory, the latest lines up to capture_ring_bytes per job (for
 *     `launchctl log --follow` and the stderr tail of a failed run);
 *   - in a file per job, <state>/logs/<domain>/<label>.log, capped at
 *     capture_file_bytes, then renamed to .log.1 (one older generation).
 * A line the file could not take (a full disk) is counted as dropped and
 * shown by print; the first such failure is logged.
 */
#ifndef GANTRY_CAPTURE_H
#define GANTRY_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xpc/xpc.h>

struct job;

#define CAPTURE_LINE_MAX 4096           /* longer lines are kept as several */
#define CAPTURE_RING_BYTES_DEFAULT (16 * 1024)
#define CAPTURE_FILE_BYTES_DEFAULT (1024 * 1024)

extern size_t capture_ring_bytes, capture_file_bytes; /* launchd --capture-memory / --capture-file */

enum capture_stream { CAPTURE_STDOUT = 1, CAPTURE_STDERR = 2 };

/* How launchd reaches a passed-through output file, with the job's rights (job.c). */
struct capture_files {
	/* Opens path (key: its plist key); a descriptor, or -1 with cause. */
	int (*open)(struct job *j, const char *key, const char *path, char *cause, size_t len);
	/* GantryOutputRotation: renames path to path.1 (and older ones on); 0, or an errno with cause. */
	int (*rotate)(struct job *j, const char *path, char *cause, size_t len);
};

/* The next run of j begins: the pipes opened from now on are its. */
void capture_new_run(struct job *j);
/*
 * A pipe for stream s of the run: *child_end gets the write end the child takes; launchd reads the
 * other from now on. With sink < 0 launchd keeps the lines (above). With a sink — the file at path,
 * opened by files->open, which launchd now owns — launchd appends what comes to it unchanged and, when
 * path no longer names that file (logrotate renamed or deleted it: looked at before writing, at most
 * once a second) or on capture_reopen(), opens path again; with GantryOutputRotation, it renames the
 * file (files->rotate) before a write would take it past MaxBytes. 0, or an errno.
 */
int capture_pipe(struct job *j, enum capture_stream s, int sink, const char *key, const char *path,
	const struct capture_files *files, int *child_end);
/* Descriptors capture holds now (pipes, passed-through files, log files): launchd's budget (job.c). */
size_t capture_descriptors(void);
/* The most capture may hold: a third of RLIMIT_NOFILE beyond launchd's reserve (SIZE_MAX if not known). */
size_t capture_fd_share(void);
/* The run's output is not captured (launchd is short of descriptors): print says so. */
void capture_skip_run(struct job *j);
/* True if the latest run's output was not captured. */
bool capture_run_skipped(const struct job *j);
/* launchctl reopen: every passed-through path of j's runs is opened again now. */
void capture_reopen(struct job *j);
/* After the spawn, whether or not it succeeded: launchd's copies of the write ends. */
void capture_close_child_ends(int out, int err);
#define CAPTURE_DIAG_MAX 512
/*
 * The run ended with status (an exit code or -signal): what it left in its pipes is read, and for a
 * failure diag gets what says why — its last stderr lines ("error while loading shared libraries:
 * ...") and, if the kernel dumped core, where; "" otherwise.
 */
void capture_run_ended(struct job *j, int status, bool core, char *diag, size_t max);
/* j is being freed: its pipes are closed, its file too. */
void capture_free(struct job *j);
/* Lines dropped (the file could not take them). */
uint64_t capture_dropped(const struct job *j);
/* The job's log file path, or NULL if nothing was captured yet. */
const char *capture_file(const struct job *j);
/* launchctl log's reply: with follow, the lines after seq (from memory); else the last n (from the file). */
void capture_lines(const struct job *j, bool follow, uint64_t after, size_t n, xpc_object_t reply);

#endif
