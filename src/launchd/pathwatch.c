/*
 * The path watcher (see pathwatch.h): one inotify instance for the whole
 * daemon. Each watched path has a watch on its nearest existing ancestor
 * directory (creation, deletion, renames over it, writes to it) and, when it
 * is a directory, one on itself (changes inside). Watches are recomputed
 * after a batch that created, deleted or renamed something, because that
 * may move the nearest existing ancestor — keeping the descriptors of
 * directories that stay watched, so no queued event is lost; on a queue
 * overflow every path counts as changed.
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
#include "pathtrig.h"
#include "pathwatch.h"
#include "timers.h"

#define STRUCTURE (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
#define WATCH_MASK (STRUCTURE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_ONLYDIR)

struct watched {
	char *path;
	int refs;
	int wd;               /* on the nearest existing ancestor directory */
	char *dir;            /* that directory (malloc'd) */
	int self_wd;          /* on the path itself when it is a directory, else -1 */
	bool changed;
};

static struct watch inotify_watch = {.fd = -1};
static struct watched *paths;
static size_t npaths;

static void watch_one(struct watched *w)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", w->path);
	w->wd = w->self_wd = -1;
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			return;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		w->wd = inotify_add_watch(inotify_watch.fd, dir, WATCH_MASK);
		if (w->wd >= 0 || (errno != ENOENT && errno != ENOTDIR) || strcmp(dir, "/") == 0) {
			if (w->wd < 0)
				log_msg(LOG_WARNING, "cannot watch %s (for %s): %s", dir, w->path, strerror(errno));
			break;
		}
	}
	if (!w->dir || strcmp(w->dir, dir) != 0) {
		free(w->dir);
		w->dir = strdup(dir);
		if (!w->dir)
			abort();
	}
	w->self_wd = inotify_add_watch(inotify_watch.fd, w->path, WATCH_MASK); /* fails unless a directory */
}

static bool in_use(int wd)
{
	for (size_t i = 0; i < npaths; i++)
		if (paths[i].wd == wd || paths[i].self_wd == wd)
			return true;
	return false;
}

/*
 * Recomputes every path's watches. A directory that stays watched keeps its
 * descriptor (inotify returns the existing one), so events already queued
 * for it still match; only watches no path needs any more are removed.
 */
static void rearm(int *old, size_t nold)
{
	for (size_t i = 0; i < npaths; i++)
		watch_one(&paths[i]);
	for (size_t i = 0; i < nold; i++)
		if (old[i] >= 0 && !in_use(old[i]))
			inotify_rm_watch(inotify_watch.fd, old[i]);
}

/* The descriptors in use now (malloc'd, 2 per path), for rearm(). */
static int *current_wds(size_t *n, const struct watched *extra)
{
	int *wds = malloc((2 * npaths + 2) * sizeof(int));
	if (!wds)
		abort();
	*n = 0;
	for (size_t i = 0; i < npaths; i++) {
		wds[(*n)++] = paths[i].wd;
		wds[(*n)++] = paths[i].self_wd;
	}
	if (extra) {
		wds[(*n)++] = extra->wd;
		wds[(*n)++] = extra->self_wd;
	}
	return wds;
}

/* Is full the watched path, or a directory on the way to it? */
static bool on_the_way(const char *full, const char *path)
{
	size_t n = strlen(full);
	return strncmp(full, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void mark(const struct inotify_event *ev)
{
	for (size_t i = 0; i < npaths; i++) {
		struct watched *w = &paths[i];
		char full[PATH_MAX + NAME_MAX + 2];
		if (ev->mask & IN_Q_OVERFLOW) {
			w->changed = true;
		} else if (ev->wd == w->self_wd) {
			w->changed = true; /* something inside the watched directory */
		} else if (ev->wd == w->wd) {
			snprintf(full, sizeof(full), "%s%s%s", w->dir ? w->dir : "", w->dir && strcmp(w->dir, "/") ? "/" : "",
				ev->len ? ev->name : "");
			w->changed |= !ev->len || on_the_way(full, w->path);
		}
	}
}

static void on_inotify(struct watch *w, uint32_t events)
{
	char buf[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	(void)events;
	bool structure = false;
	ssize_t n;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			/* not IN_IGNORED: rearm() itself causes those, and must not feed on them */
			structure |= (ev->mask & (STRUCTURE | IN_Q_OVERFLOW)) != 0;
			if (!(ev->mask & IN_IGNORED))
				mark(ev);
			p += sizeof(*ev) + ev->len;
		}
	if (structure) {
		size_t nold;
		int *old = current_wds(&nold, NULL);
		rearm(old, nold);
		free(old);
	}
	for (size_t i = 0; i < npaths; i++)
		if (paths[i].changed) { /* each interested party checks whether the path is one of its own */
			paths[i].changed = false;
			pathtrig_changed(paths[i].path);
			background_path_changed(paths[i].path);
			timers_path_changed(paths[i].path);
		}
	domain_conditions_changed();
}

static int ensure_inotify(void)
{
	if (inotify_watch.fd >= 0)
		return 0;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || loop_watch(&inotify_watch, fd, EPOLLIN, on_inotify)) {
		log_msg(LOG_ERR, "inotify: %s; WatchPaths, QueueDirectories and KeepAlive.PathState are evaluated only "
			"when a job exits, and a deleted app bundle is noticed only when its item is looked at", strerror(errno));
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
	paths[npaths] = (struct watched){.path = strdup(path), .refs = 1};
	watch_one(&paths[npaths]);
	npaths++;
}

void pathwatch_remove(const char *path)
{
	for (size_t i = 0; i < npaths; i++) {
		if (strcmp(paths[i].path, path) != 0 || --paths[i].refs > 0)
			continue;
		struct watched gone = paths[i];
		paths[i] = paths[--npaths];
		size_t nold;
		int *old = current_wds(&nold, &gone);
		rearm(old, nold); /* the removed entry's watches go unless another path shares them */
		free(old);
		free(gone.path);
		free(gone.dir);
		return;
	}
}
