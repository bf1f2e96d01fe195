/*
 * The event loop (see loop.h). Idle means idle: with nothing due, the loop
 * sleeps in epoll_wait with no timeout and the timerfd disarmed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "oom.h"

#define EVENTS_PER_WAIT 64

static int epfd = -1;
static bool quitting;
static struct watch timer_watch;
struct deferred {
	struct deferred *next;
	void (*fn)(void *);
	void *arg;
};
static struct deferred *deferred;
static struct timer **heap; /* heap[1..heap_len] */
static size_t heap_len, heap_cap;

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void heap_swap(size_t a, size_t b)
{
	struct timer *t = heap[a];
	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->heap_index = a;
	heap[b]->heap_index = b;
}

static void heap_up(size_t i)
{
	while (i > 1 && heap[i / 2]->due_ms > heap[i]->due_ms) {
		heap_swap(i, i / 2);
		i /= 2;
	}
}

static void heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i, m = i;
		if (l <= heap_len && heap[l]->due_ms < heap[m]->due_ms)
			m = l;
		if (l + 1 <= heap_len && heap[l + 1]->due_ms < heap[m]->due_ms)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

/* Points the timerfd at the earliest timer, or disarms it. */
static void rearm_timerfd(void)
{
	struct itimerspec its = {0};
	if (heap_len) {
		int64_t due = heap[1]->due_ms;
		if (due <= 0)
			due = 1;
		its.it_value.tv_sec = due / 1000;
		its.it_value.tv_nsec = (due % 1000) * 1000000;
	}
	timerfd_settime(timer_watch.fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void timer_init(struct timer *t, timer_cb cb)
{
	t->cb = cb;
	t->heap_index = 0;
	t->due_ms = 0;
}

void timer_cancel(struct timer *t)
{
	size_t i = t->heap_index;
	if (!i)
		return;
	t->heap_index = 0;
	if (i != heap_len) {
		heap[i] = heap[heap_len];
		heap[i]->heap_index = i;
		heap_len--;
		heap_up(i);
		heap_down(i);
	} else {
		heap_len--;
	}
	if (i == 1)
		rearm_timerfd();
}

void timer_arm_at(struct timer *t, int64_t due_ms)
{
	timer_cancel(t);
	if (heap_len + 1 >= heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 64;
		heap = realloc(heap, heap_cap * sizeof(*heap));
		if (!heap)
			gantry_oom();
	}
	t->due_ms = due_ms;
	heap[++heap_len] = t;
	t->heap_index = heap_len;
	heap_up(heap_len);
	if (t->heap_index == 1)
		rearm_timerfd();
}

void timer_arm_in(struct timer *t, int64_t delay_ms)
{
	timer_arm_at(t, loop_now_ms() + delay_ms);
}

static void on_timerfd(struct watch *w, uint32_t events)
{
	uint64_t expirations;
	(void)events;
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	int64_t now = loop_now_ms();
	while (heap_len && heap[1]->due_ms <= now) {
		struct timer *t = heap[1];
		timer_cancel(t);
		t->cb(t);
	}
	rearm_timerfd();
}

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return errno;
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tfd < 0)
		return errno;
	return loop_watch(&timer_watch, tfd, EPOLLIN, on_timerfd);
}

int loop_watch(struct watch *w, int fd, uint32_t events, watch_cb cb)
{
	w->cb = cb;
	w->fd = fd;
	struct epoll_event ev = {.events = events, .data.ptr = w};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? errno : 0;
}

int loop_modify(struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};
	return epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? errno : 0;
}

void loop_unwatch(struct watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1; /* events of this batch for it are skipped */
}

void loop_defer(void (*fn)(void *), void *arg)
{
	struct deferred *d = malloc(sizeof(*d));
	if (!d)
		gantry_oom();
	*d = (struct deferred){deferred, fn, arg};
	deferred = d;
}

void loop_run_deferred(void)
{
	while (deferred) {
		struct deferred *d = deferred;
		deferred = d->next;
		d->fn(d->arg);
		free(d);
	}
}

void loop_quit(void)
{
	quitting = true;
}

int loop_run_once(int timeout_ms)
{
	struct epoll_event evs[EVENTS_PER_WAIT];
	int n = epoll_wait(epfd, evs, EVENTS_PER_WAIT, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		if (w->fd >= 0)
			w->cb(w, evs[i].events);
	}
	loop_run_deferred();
	return n;
}

int loop_run(void)
{
	quitting = false;
	while (!quitting) {
		int n = loop_run_once(-1);
		if (n < 0)
			return -n;
	}
	return 0;
}
