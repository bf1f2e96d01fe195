/*
 * Path watching: one inotify instance for the whole daemon, watching the
 * nearest existing ancestor directory of every path, so that paths that do
 * not exist yet work. Whoever watches a path subscribes a callback and is
 * called when the path may have changed (created, deleted, renamed over,
 * written, its attributes changed, an entry changed inside a directory).
 * Subscribers: KeepAlive.PathState (job.c), WatchPaths and
 * QueueDirectories (pathtrig.c), Service Management bundles
 * (background.c), the time zone (timers.c).
 */
#ifndef GANTRY_PATHWATCH_H
#define GANTRY_PATHWATCH_H

typedef void (*pathwatch_cb)(const char *path, void *ctx);

/* Calls cb(path, ctx) whenever path may have changed, until pathwatch_remove() with the same three. */
void pathwatch_add(const char *path, pathwatch_cb cb, void *ctx);
void pathwatch_remove(const char *path, pathwatch_cb cb, void *ctx);

#endif
