/*
 * The path watcher (see pathwatch.h), also used for the bundles of
 * Service Management items. Watches are recomputed after every
 * batch of events, because a directory that appears or disappears moves the
 * nearest existing ancestor of a watched path; the set of paths is small
 * (PathState entries), so this costs a few system calls per change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "background.h"
#include "domain.h"
#include "log.h"
#include "loop.h"
#include "pathwatch.h"
#include "timers.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | \
		    IN_ONLYDIR)

struct watched {
	char *path;
	int refs;
	int wd;
};

static struct watch inotify_watch = {.fd = -1};
static struct watched *paths;
static size_t npaths;

/* The nearest existing ancestor directory of path (path itself excluded). */
static int watch_ancestor(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			return -1;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		int wd = inotify_add_watch(inotify_watch.fd, dir, WATCH_MASK);
		if (wd >= 0 || (errno != ENOENT && errno != ENOTDIR) || strcmp(dir, "/") == 0) {
			if (wd < 0)
				log_msg(LOG_WARNING, "cannot watch %s (for %s): %s", dir, path, strerror(errno));
			return wd;
		}
	}
}

static void rearm(void)
{
	for (size_t i = 0; i < npaths; i++)
		if (paths[i].wd >= 0)
			inotify_rm_watch(inotify_watch.fd, paths[i].wd);
	for (size_t i = 0; i < npaths; i++)
		paths[i].wd = watch_ancestor(paths[i].path);
}

static void on_inotify(struct watch *w, uint32_t events)
{
	char buf[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	(void)events;
	while (read(w->fd, buf, sizeof(buf)) > 0)
		; /* what changed does not matter: every condition is re-evaluated */
	rearm();
	background_paths_changed();
	timers_paths_changed();
	domain_conditions_changed();
}

static int ensure_inotify(void)
{
	if (inotify_watch.fd >= 0)
		return 0;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || loop_watch(&inotify_watch, fd, EPOLLIN, on_inotify)) {
		log_msg(LOG_ERR, "inotify: %s; KeepAlive.PathState is evaluated only when a job exits, and a deleted "
			"app bundle is noticed only when its item is looked at", strerror(errno));
		if (fd >= 0)
			close(fd);
		inotify_watch.fd = -1;
		return -1;
	}
	return 0;
}

void pathwatch_add(const char *path)
{
	if (ensure_inotify())
		return;
	for (size_t i = 0; i < npaths; i++)
		if (strcmp(paths[i].path, path) == 0) {
			paths[i].refs++;
			return;
		}
	paths = realloc(paths, (npaths + 1) * sizeof(*paths));
	if (!paths)
		abort();
	paths[npaths].path = strdup(path);
	paths[npaths].refs = 1;
	paths[npaths].wd = watch_ancestor(path);
	npaths++;
}

void pathwatch_remove(const char *path)
{
	for (size_t i = 0; i < npaths; i++) {
		if (strcmp(paths[i].path, path) != 0 || --paths[i].refs > 0)
			continue;
		free(paths[i].path);
		paths[i] = paths[--npaths];
		rearm(); /* the removed entry may have shared its directory's watch */
		return;
	}
}
