/*
 * Where handlers run. libxpc's state is guarded by one lock, taken by every
 * public call that touches a connection; handlers (event handlers, reply
 * handlers, barriers) never run under it: the transport posts each call to
 * its connection, and the calls run once the lock is about to be released,
 * one connection's calls one at a time and in order. A connection whose
 * target queue is NULL (Apple's default) has its calls run by libxpc's own
 * thread (runloop.c); one whose target queue is XPC_QUEUE_CALLER by the
 * thread that drives it (xpc_connection_dispatch, xpc_run_once, xpc_main)
 * or whose call caused them (a cancel). See docs/design.md, "Handler threads".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conn_internal.h"
#include "oom.h"

static pthread_mutex_t lib_mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread int lock_depth;        /* this thread's nesting of lib_lock() */
static __thread bool on_lib_thread;    /* this thread is libxpc's */

/*
 * Waiters to wake once this thread lets go of the lock: woken earlier, a
 * waiter would preempt this thread (on one CPU) only to block on the lock it
 * still holds — two context switches for nothing on every handed-over reply.
 */
#define WAKE_LATER_MAX 16
static __thread struct {
	sem_t *sems[WAKE_LATER_MAX];
	int n;
} wake_later;

void lib_wake_after_unlock(sem_t *sem)
{
	if (lock_depth > 0 && wake_later.n < WAKE_LATER_MAX)
		wake_later.sems[wake_later.n++] = sem;
	else
		sem_post(sem);
}

static void release_mutex(void)
{
	lock_depth = 0;
	pthread_mutex_unlock(&lib_mutex);
	while (wake_later.n > 0)
		sem_post(wake_later.sems[--wake_later.n]);
}

/* Connections with posted calls, each listed once and retained while listed. */
static xpc_connection_t ready_head, ready_tail;

static struct {
	bool started;
	int wake_fd;  /* an eventfd: the thread's poll set changed, or it has calls to run */
	bool dirty;   /* a threaded connection changed under another thread's lock */
} lib_thread = {.wake_fd = -1};

void lib_lock(void)
{
	if (lock_depth++ == 0)
		pthread_mutex_lock(&lib_mutex);
}

static void wake_thread(void)
{
	uint64_t one = 1;
	lib_thread.dirty = false;
	if (lib_thread.started && write(lib_thread.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		gantry_oom(); /* an eventfd write fails only when its counter is full (EAGAIN) */
}

void lib_unlock(void)
{
	if (lock_depth == 1) {
		lib_run_posted();
		if (lib_thread.dirty && !on_lib_thread)
			wake_thread();
	}
	if (lock_depth == 1)
		release_mutex();
	else
		lock_depth--;
}

void lib_changed(xpc_connection_t c)
{
	if (c->threaded && !on_lib_thread)
		lib_thread.dirty = true;
}

bool lib_outermost(void)
{
	return lock_depth == 1;
}

bool lib_on_thread(void)
{
	return on_lib_thread;
}

void conn_post(xpc_connection_t c, const struct conn_call *call)
{
	struct conn_call *p = xpc_xalloc(sizeof(*p));
	*p = *call;
	p->next = NULL;
	if (p->ev)
		xpc_retain(p->ev);
	if (c->calls.tail)
		c->calls.tail->next = p;
	else
		c->calls.head = p;
	c->calls.tail = p;
	if (!c->calls.listed) {
		c->calls.listed = true;
		xpc_retain(&c->base);
		c->calls.next = NULL;
		if (ready_tail)
			ready_tail->calls.next = c;
		else
			ready_head = c;
		ready_tail = c;
	}
	lib_changed(c);
}

/* Unlists connections whose calls have all run; returns the first whose next call this thread may run. */
static xpc_connection_t next_runnable(void)
{
	xpc_connection_t prev = NULL, c = ready_head;
	while (c) {
		xpc_connection_t next = c->calls.next;
		if (!c->calls.head) {
			if (prev)
				prev->calls.next = next;
			else
				ready_head = next;
			if (ready_tail == c)
				ready_tail = prev;
			c->calls.listed = false;
			xpc_release(&c->base);
		} else if (!c->calls.running && !c->suspend_count && (!c->threaded || on_lib_thread)) {
			return c;
		} else {
			if (c->threaded && !on_lib_thread && !c->calls.running && !c->suspend_count)
				lib_thread.dirty = true; /* libxpc's thread runs these */
			prev = c;
		}
		c = next;
	}
	return NULL;
}

static void run_call(xpc_connection_t c, const struct conn_call *p)
{
	if (p->plain)
		p->plain(p->ctx);
	else if (p->fn)
		p->fn(p->ctx, p->ev);
	else if (c->handler) /* an _f handler gets the context; a block handler (blocks.c) its block */
		c->handler(c->handler_block ? c->handler_block : c->context, p->ev);
}

/*
 * Runs the posted calls this thread may run, each with libxpc unlocked (a
 * handler may call anything, or wait for another thread that does). Only at
 * the outermost level: a nested caller's state must not change under it.
 */
void lib_run_posted(void)
{
	if (lock_depth != 1)
		return;
	xpc_connection_t c;
	while ((c = next_runnable())) {
		struct conn_call *p = c->calls.head;
		c->calls.head = p->next;
		if (!c->calls.head)
			c->calls.tail = NULL;
		c->calls.running = true;
		xpc_retain(&c->base);
		release_mutex();
		run_call(c, p);
		if (p->release_ctx)
			p->release_ctx(p->ctx);
		xpc_release(p->ev);
		pthread_mutex_lock(&lib_mutex);
		lock_depth = 1;
		c->calls.running = false;
		if (p->after)
			p->after(c);
		free(p);
		xpc_release(&c->base);
	}
}

/* A forked child has none of its parent's threads: it starts its own when it needs one. */
static void atfork_prepare(void) { pthread_mutex_lock(&lib_mutex); }
static void atfork_parent(void) { pthread_mutex_unlock(&lib_mutex); }
static void atfork_child(void)
{
	pthread_mutex_init(&lib_mutex, NULL);
	if (lib_thread.wake_fd >= 0)
		close(lib_thread.wake_fd);
	lib_thread.wake_fd = -1;
	lib_thread.started = false;
	on_lib_thread = false;
}

static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Timers libxpc's thread runs beside its connections (activity.c's), set once. */
static struct {
	int (*next_ms)(void);
	void (*run_due)(void);
} timers;

void lib_set_timers(int (*next_ms)(void), void (*run_due)(void))
{
	timers.next_ms = next_ms;
	timers.run_due = run_due;
}

int lib_timer_timeout(void)
{
	return timers.next_ms ? timers.next_ms() : -1;
}

void lib_run_timers(void)
{
	if (timers.run_due)
		timers.run_due();
}

void lib_wake(void)
{
	if (!on_lib_thread)
		lib_thread.dirty = true;
}

bool lib_thread_running(void)
{
	return lib_thread.started;
}

int lib_thread_wake_fd(void)
{
	return lib_thread.wake_fd;
}

void lib_become_thread(int wake_fd)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, register_atfork);
	lib_thread.wake_fd = wake_fd;
	lib_thread.started = true;
}

void lib_thread_enter(void)
{
	on_lib_thread = true;
}
