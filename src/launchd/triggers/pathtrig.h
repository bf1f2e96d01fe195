/*
 * WatchPaths and QueueDirectories: starting jobs when a watched path is
 * created, written, deleted or replaced by a rename, and keeping a job
 * running while any of its queue directories is not empty. The paths are
 * watched by pathwatch.c; a path that cannot be read is a warning in
 * `print`, not a silent no-op.
 */
#ifndef GANTRY_PATHTRIG_H
#define GANTRY_PATHTRIG_H

#include "trigger.h"

/*
 * Arming watches the job's paths; pending: does any of its queue directories hold an entry (the job then
 * starts, also right after load: no lost wake-up); print shows the watched paths, their state, the counters.
 */
extern const struct trigger_kind paths_trigger;

#endif
