/*
 * The path watcher (see pathwatch.h): one inotify instance for the whole
 * daemon. Each watched path has a watch on its nearest existing ancestor
 * directory (creation, deletion, renames over it, writes to it) and, when it
 * is a directory, one on itself (changes inside). A path is re-armed only
 * when its own watches saw something created, deleted or renamed (which
 * may move its nearest existing ancestor); directories that stay watched
 * keep their descriptors, so no queued event is lost; on a queue overflow
 * every path is re-armed and counts as changed.
 *
 * Every operation costs what it touches: paths are found through a hash
 * of their names, events reach only the paths that share the event's
 * watch descriptor (a table of wd -> owners), and a watch is removed when
 * its last owner goes. Adding or removing one of N paths is O(1), not a
 * recomputation of all N. A changed path calls its subscribers; the
 * watcher names none of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "pathwatch.h"
#include "oom.h"

#define STRUCTURE (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
#define WATCH_MASK (STRUCTURE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_ONLYDIR)
#define NBUCKETS 4096 /* both hash tables; chains grow beyond that, lookups stay cheap to ~100k paths */

struct sub {
	pathwatch_cb cb; /* NULL: removed while the subscribers were being called */
	void *ctx;
};

struct watched {
	char *path;
	struct sub *subs;
	size_t nsubs, cap, live;
	int wd;               /* on the nearest existing ancestor directory, or -1 */
	char *dir;            /* that directory (malloc'd) */
	int self_wd;          /* on the path itself when it is a directory, else -1 */
	size_t wd_pos, self_pos; /* where it stands in the owners of wd and self_wd */
	bool changed, rearm, dirty; /* dirty: a subscription was removed while they were being called */
	struct watched *hnext;   /* same hash bucket */
	struct watched *prev, *next; /* every path */
};

/* The paths one watch descriptor serves (as their ancestor or as themselves). */
struct wdent {
	int wd;
	bool dead;            /* the kernel removed it (IN_IGNORED): never inotify_rm_watch it */
	bool structure;       /* saw a creation, deletion or rename in this batch */
	struct watched **owners;
	size_t n, cap;
	struct wdent *hnext;
};

static struct watch inotify_watch = {.fd = -1};
static bool dispatching; /* subscribers are being called: removals only mark */
/* Paths changed in this batch, and paths with subscriptions removed while they were called. */
static struct watched **changed, **dirty;
static size_t nchanged, cap_changed, ndirty, cap_dirty;

static void push(struct watched ***v, size_t *n, size_t *cap, struct watched *w)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v)
			gantry_oom();
	}
	(*v)[(*n)++] = w;
}

static void note_changed(struct watched *w)
{
	if (!w->changed)
		push(&changed, &nchanged, &cap_changed, w);
	w->changed = true;
}
static struct watched *by_name[NBUCKETS], *all;
static struct wdent *by_wd[NBUCKETS];

static size_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)(h % NBUCKETS);
}

static struct wdent *wd_find(int wd)
{
	for (struct wdent *e = by_wd[(unsigned)wd % NBUCKETS]; e; e = e->hnext)
		if (e->wd == wd)
			return e;
	return NULL;
}

static void wd_attach(int wd, struct watched *w, size_t *pos)
{
	struct wdent *e = wd_find(wd);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			gantry_oom();
		e->wd = wd;
		e->hnext = by_wd[(unsigned)wd % NBUCKETS];
		by_wd[(unsigned)wd % NBUCKETS] = e;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 4;
		e->owners = realloc(e->owners, e->cap * sizeof(*e->owners));
		if (!e->owners)
			gantry_oom();
	}
	*pos = e->n;
	e->owners[e->n++] = w;
}

static void wd_free(struct wdent *e)
{
	struct wdent **pp = &by_wd[(unsigned)e->wd % NBUCKETS];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (!e->dead)
		inotify_rm_watch(inotify_watch.fd, e->wd);
	free(e->owners);
	free(e);
}

/* w no longer uses wd (at *pos); the watch goes when nobody does. */
static void wd_detach(int wd, size_t pos)
{
	struct wdent *e = wd_find(wd);
	if (!e)
		return;
	struct watched *moved = e->owners[--e->n];
	e->owners[pos] = moved;
	if (moved->wd == wd)
		moved->wd_pos = pos;
	else
		moved->self_pos = pos;
	if (!e->n)
		wd_free(e);
}

/* (Re)computes w's watches: new ones are taken before old ones are dropped, so shared ones survive. */
static void watch_one(struct watched *w)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", w->path);
	int wd = -1;
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		wd = inotify_add_watch(inotify_watch.fd, dir, WATCH_MASK);
		if (wd >= 0 || (errno != ENOENT && errno != ENOTDIR) || strcmp(dir, "/") == 0) {
			if (wd < 0)
				log_msg(LOG_WARNING, "cannot watch %s (for %s): %s", dir, w->path, strerror(errno));
			break;
		}
	}
	int self = inotify_add_watch(inotify_watch.fd, w->path, WATCH_MASK); /* fails unless a directory */
	if (self == wd)
		self = -1; /* "/" is its own nearest directory */
	int old_wd = w->wd, old_self = w->self_wd;
	size_t old_wd_pos = w->wd_pos, old_self_pos = w->self_pos;
	if (wd != old_wd && wd >= 0)
		wd_attach(wd, w, &w->wd_pos);
	if (self != old_self && self >= 0)
		wd_attach(self, w, &w->self_pos);
	w->wd = wd;
	w->self_wd = self;
	if (old_wd != wd && old_wd >= 0)
		wd_detach(old_wd, old_wd_pos);
	if (old_self != self && old_self >= 0)
		wd_detach(old_self, old_self_pos);
	if (!w->dir || strcmp(w->dir, dir) != 0) {
		free(w->dir);
		w->dir = strdup(dir);
		if (!w->dir)
			gantry_oom();
	}
}

/* Is full the watched path, or a directory on the way to it? */
static bool on_the_way(const char *full, const char *path)
{
	size_t n = strlen(full);
	return strncmp(full, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void mark(const struct inotify_event *ev)
{
	struct wdent *e = wd_find(ev->wd);
	if (!e)
		return; /* a watch removed since */
	if (ev->mask & (STRUCTURE | IN_IGNORED))
		e->structure = true;
	if (ev->mask & IN_IGNORED)
		e->dead = true;
	for (size_t i = 0; i < e->n; i++) {
		struct watched *w = e->owners[i];
		char full[PATH_MAX + NAME_MAX + 2];
		if (ev->wd == w->self_wd) {
			note_changed(w); /* something inside the watched directory */
		} else {
			snprintf(full, sizeof(full), "%s%s%s", w->dir, strcmp(w->dir, "/") ? "/" : "", ev->len ? ev->name : "");
			if (!ev->len || on_the_way(full, w->path))
				note_changed(w);
		}
	}
}

/* The paths of every watch that saw a structural change (or all of them) get their watches recomputed. */
static void rearm_marked(bool everything)
{
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct wdent *e = by_wd[b]; e; e = e->hnext)
			if (e->structure || e->dead)
				for (size_t i = 0; i < e->n; i++)
					e->owners[i]->rearm = true;
	for (struct watched *w = all; w; w = w->next) {
		if (everything)
			note_changed(w);
		if (w->rearm || everything) {
			w->rearm = false;
			watch_one(w);
		}
	}
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct wdent *e = by_wd[b], *next; e; e = next) {
			next = e->hnext;
			e->structure = false;
		}
}

static void collect_unused(void);

static void on_inotify(struct watch *w, uint32_t events)
{
	char buf[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	(void)events;
	bool structure = false, overflow = false;
	ssize_t n;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			overflow |= (ev->mask & IN_Q_OVERFLOW) != 0;
			structure |= (ev->mask & (STRUCTURE | IN_IGNORED)) != 0;
			if (!(ev->mask & IN_Q_OVERFLOW))
				mark(ev);
			p += sizeof(*ev) + ev->len;
		}
	if (structure || overflow)
		rearm_marked(overflow);
	dispatching = true;
	for (size_t k = 0; k < nchanged; k++) {
		struct watched *p = changed[k];
		p->changed = false;
		for (size_t i = 0; i < p->nsubs; i++) /* a subscriber may add or remove others meanwhile */
			if (p->subs[i].cb)
				p->subs[i].cb(p->path, p->subs[i].ctx);
	}
	nchanged = 0;
	dispatching = false;
	collect_unused();
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

static struct watched **slot_of(const char *path)
{
	struct watched **pp = &by_name[hash_name(path)];
	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void add_sub(struct watched *w, pathwatch_cb cb, void *ctx)
{
	if (w->nsubs == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 2;
		w->subs = realloc(w->subs, w->cap * sizeof(*w->subs));
		if (!w->subs)
			gantry_oom();
	}
	w->subs[w->nsubs++] = (struct sub){cb, ctx};
	w->live++;
}

void pathwatch_add(const char *path, pathwatch_cb cb, void *ctx)
{
	if (ensure_inotify())
		return;
	struct watched **slot = slot_of(path);
	if (*slot) {
		add_sub(*slot, cb, ctx);
		return;
	}
	struct watched *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path)))
		gantry_oom();
	w->wd = w->self_wd = -1;
	add_sub(w, cb, ctx);
	*slot = w;
	w->next = all;
	if (all)
		all->prev = w;
	all = w;
	watch_one(w);
}

static void forget(struct watched *w)
{
	*slot_of(w->path) = w->hnext;
	if (w->prev)
		w->prev->next = w->next;
	else
		all = w->next;
	if (w->next)
		w->next->prev = w->prev;
	if (w->wd >= 0)
		wd_detach(w->wd, w->wd_pos); /* its watches go unless another path shares them */
	if (w->self_wd >= 0)
		wd_detach(w->self_wd, w->self_pos);
	free(w->subs);
	free(w->path);
	free(w->dir);
	free(w);
}

/* After the subscribers were called: drop removed subscriptions, and paths nobody watches any more. */
static void collect_unused(void)
{
	for (size_t d = 0; d < ndirty; d++) {
		struct watched *w = dirty[d];
		size_t k = 0;
		for (size_t i = 0; i < w->nsubs; i++)
			if (w->subs[i].cb)
				w->subs[k++] = w->subs[i];
		w->nsubs = k;
		w->dirty = false;
		if (!w->live)
			forget(w);
	}
	ndirty = 0;
}

void pathwatch_remove(const char *path, pathwatch_cb cb, void *ctx)
{
	struct watched *w = *slot_of(path);
	size_t i = w ? w->nsubs : 0;
	while (i > 0 && (w->subs[i - 1].cb != cb || w->subs[i - 1].ctx != ctx))
		i--;
	if (!i)
		return;
	w->live--;
	if (dispatching) { /* being called: mark it, collect_unused() tidies up */
		w->subs[i - 1].cb = NULL;
		if (!w->dirty)
			push(&dirty, &ndirty, &cap_dirty, w);
		w->dirty = true;
		return;
	}
	w->subs[i - 1] = w->subs[--w->nsubs];
	if (!w->live)
		forget(w);
}
