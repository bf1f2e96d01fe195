/*
 * WatchPaths and QueueDirectories: starting jobs when a watched path is
 * created, written, deleted or replaced by a rename, and keeping a job
 * running while any of its queue directories is not empty. The paths are
 * watched by pathwatch.c; a path that cannot be read is a warning in
 * `print`, not a silent no-op.
 */
#ifndef GANTRY_PATHTRIG_H
#define GANTRY_PATHTRIG_H

#include <stdbool.h>
#include <xpc/xpc.h>

struct job;

/* Watches the job's paths, then starts it if a queue directory already holds something (no lost wake-up). */
void pathtrig_arm(struct job *j);
void pathtrig_disarm(struct job *j);
/* Does any of the job's queue directories hold an entry? */
bool pathtrig_queue_pending(const struct job *j);
/* print: the watched paths, their state, and the path counters. */
void pathtrig_describe(const struct job *j, xpc_object_t d);

#endif
