/*
 * launchd's event loop: epoll for descriptors (sockets, pidfds, signalfd,
 * inotify) and one CLOCK_MONOTONIC timerfd driving a min-heap of timers.
 * Objects embed a struct watch or struct timer whose callback gets the
 * embedding object back through container_of — launchd's
 * event-callback-per-object pattern.
 */
#ifndef GANTRY_LOOP_H
#define GANTRY_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct watch;
typedef void (*watch_cb)(struct watch *w, uint32_t events);
struct watch {
	watch_cb cb;
	int fd;
};

struct timer;
typedef void (*timer_cb)(struct timer *t);
struct timer {
	timer_cb cb;
	int64_t due_ms;
	size_t heap_index; /* 0: not armed */
};

int loop_init(void);
/* events are EPOLLIN/EPOLLOUT; returns 0 or an errno. */
int loop_watch(struct watch *w, int fd, uint32_t events, watch_cb cb);
int loop_modify(struct watch *w, uint32_t events);
/* Stops watching (the caller closes the descriptor); sets w->fd to -1. */
void loop_unwatch(struct watch *w);

void timer_init(struct timer *t, timer_cb cb);
void timer_arm_at(struct timer *t, int64_t due_ms);
void timer_arm_in(struct timer *t, int64_t delay_ms);
void timer_cancel(struct timer *t);

int64_t loop_now_ms(void); /* CLOCK_MONOTONIC */
/*
 * Runs fn(arg) after the current batch of events, so an object can be
 * released from inside a callback while other events of the batch may
 * still point at it. Callers unwatch the object first.
 */
void loop_defer(void (*fn)(void *), void *arg);
/* Runs what loop_defer() queued; the loop does it after every batch, a test driving launchd without the loop calls it. */
void loop_run_deferred(void);
/* Runs until loop_quit(); returns 0, or an errno if epoll fails. */
int loop_run(void);
/* One round: waits up to timeout_ms (-1: forever) and handles what is ready; how many, or -errno. */
int loop_run_once(int timeout_ms);
void loop_quit(void);

#endif
