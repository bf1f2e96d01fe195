/*
 * Path watching for KeepAlive.PathState and for the app bundles of Service
 * Management items: one inotify instance for the whole daemon, watching the
 * nearest existing ancestor directory of every path, so that paths that do
 * not exist yet work. A changed path is reported to WatchPaths/
 * QueueDirectories, to Service Management (a bundle that went away) and to
 * the timers (the time zone); any change re-evaluates the KeepAlive
 * conditions of every job.
 */
#ifndef GANTRY_PATHWATCH_H
#define GANTRY_PATHWATCH_H

void pathwatch_add(const char *path);
void pathwatch_remove(const char *path);

#endif
