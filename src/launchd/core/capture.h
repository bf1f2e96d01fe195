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

/*
 * Pipes for the next run of j, for the streams wanted: *out and *err get the write ends the child
 * takes (-1 for a stream not wanted); launchd reads the other ends from now on. 0, or an errno (the
 * run then writes to /dev/null).
 */
int capture_open(struct job *j, bool want_out, bool want_err, int *out, int *err);
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
