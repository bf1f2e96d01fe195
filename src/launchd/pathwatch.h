/*
 * Path watching for KeepAlive.PathState and for the app bundles of Service
 * Management items: one inotify instance for the whole daemon, watching the
 * nearest existing ancestor directory of every path, so that paths that do
 * not exist yet work. Any change re-evaluates the KeepAlive conditions of
 * every job and looks for registered bundles that went away.
 */
#ifndef GANTRY_PATHWATCH_H
#define GANTRY_PATHWATCH_H

void pathwatch_add(const char *path);
void pathwatch_remove(const char *path);

#endif
