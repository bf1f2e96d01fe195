/*
 * Synchronous replies: xpc_connection_send_message_with_reply_sync(), with an
 * optional deadline. A connection libxpc's thread polls is read there, and the
 * caller sleeps on a semaphore until that thread hands it the reply (a handler on that thread
 * runs its rounds itself meanwhile); any other (a caller-driven connection) is
 * read by the caller itself, and messages that arrive meanwhile wait in its
 * inbox for the next dispatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conn_internal.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sync_slot {
	xpc_object_t reply;
	sem_t *answered; /* posted when reply is set, when another thread waits for it */
};

/* libxpc's own waiter: runs under the lock, on whichever thread read the reply. */
static void sync_reply(void *ctx, xpc_object_t reply)
{
	struct sync_slot *s = ctx;
	__atomic_store_n(&s->reply, xpc_retain(reply), __ATOMIC_RELEASE); /* read by its waiter without the lock */
	if (s->answered)
		lib_wake_after_unlock(s->answered);
}

/* The reply never came: forget the waiter; true if it was still waiting (a timeout). */
static bool forget(xpc_connection_t c, struct sync_slot *slot)
{
	for (struct pending_reply **pp = &c->pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->handler == sync_reply && (*pp)->context == slot) {
			struct pending_reply *p = *pp;
			*pp = p->next;
			free(p);
			return true;
		}
	}
	return false;
}

/* Reads c's socket until the reply (or the end, or the deadline); what else arrives waits in its inbox. */
static void wait_reading(xpc_connection_t c, struct sync_slot *slot, int64_t deadline)
{
	bool can_block = deadline < 0; /* without a deadline the receive itself waits: no poll() per round trip */
	while (!slot->reply) {
		if (c->out.head && !conn_flush(c))
			break;
		bool block = can_block && !c->out.head && conn_open(c);
		if (!block) {
			int wait = -1;
			if (deadline >= 0) {
				int64_t left = deadline - now_ms();
				if (left <= 0)
					break;
				wait = (int)left;
			}
			struct pollfd pfd = {.fd = c->fd, .events = POLLIN | (c->out.head ? POLLOUT : 0)};
			int pr = poll(&pfd, 1, wait);
			if (pr < 0 && errno != EINTR)
				break;
			if (pr <= 0)
				continue;
		}
		xpc_object_t in = NULL;
		int r;
		while (!slot->reply && (r = conn_read(c, &in, block)) != -1) {
			if (r == 0) {
				if (block && !c->in.buf)
					can_block = false; /* its owner made the descriptor non-blocking: poll instead */
				if (!c->in.buf)
					break;
				continue;
			}
			block = false; /* drain what else arrived without waiting */
			if (!conn_consume(c, in)) {
				struct inbox_item *i = xpc_xalloc(sizeof(*i));
				i->msg = in;
				if (c->inbox.tail)
					c->inbox.tail->next = i;
				else
					c->inbox.head = i;
				c->inbox.tail = i;
				continue;
			}
			xpc_release(in);
		}
		if (!conn_open(c))
			break;
	}
	if (c->inbox.head)
		lib_changed(c); /* its poller delivers them */
}

/*
 * libxpc's thread reads c: the caller lets go of libxpc entirely and sleeps on its own semaphore
 * until that thread hands the reply over (one wake-up, and no lock to fight for afterwards), or
 * the deadline passes. Returns with libxpc held again only if the deadline passed (true).
 */
static bool wait_handed_over(struct sync_slot *slot, int64_t deadline)
{
	lib_unlock();
	struct timespec until = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
	int r;
	while ((r = deadline < 0 ? sem_wait(slot->answered) : sem_clockwait(slot->answered, CLOCK_MONOTONIC, &until)) < 0 &&
	       errno == EINTR)
		;
	if (r == 0)
		return false;
	lib_lock(); /* decide under the lock: a reply that came meanwhile is still taken */
	if (slot->reply) /* its wake-up comes once its thread let go of the lock: take it before the semaphore goes */
		while (sem_wait(slot->answered) < 0 && errno == EINTR)
			;
	return true;
}

/*
 * A handler on libxpc's thread waits: it keeps running rounds of the thread's other connections (not
 * the one whose handler waits: its calls stay in order behind it), so a reply that depends on another
 * connection of this process — a service it hosts, an anonymous listener — still comes.
 */
static void wait_dispatching(struct sync_slot *slot, int64_t deadline)
{
	while (!slot->reply) {
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return;
			wait = (int)left;
		}
		if (lib_poll_round(true, lib_thread_wake_fd(), wait) < 0)
			return;
	}
}

xpc_object_t xpc_connection_send_message_with_reply_sync_timeout(xpc_connection_t c,
	xpc_object_t msg, int timeout_ms)
{
	sem_t answered;
	struct sync_slot slot = {NULL, NULL};
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	lib_lock();
	/* a connection libxpc's thread polls is read there (by a handler on it, in nested rounds); any other
	 * by this caller, which reads the socket itself */
	bool polled = c->threaded && c->activated && !c->svc.attaching && lib_outermost();
	bool handed_over = polled && !lib_on_thread();
	if (handed_over) {
		sem_init(&answered, 0, 0);
		slot.answered = &answered;
	}
	conn_send_with_reply(c, msg, sync_reply, &slot, NULL, true);
	if (!slot.reply && handed_over && !wait_handed_over(&slot, deadline)) {
		sem_destroy(&answered); /* sync_reply posted it, last: the reply is ours, libxpc is not held */
		return __atomic_load_n(&slot.reply, __ATOMIC_ACQUIRE);
	}
	if (!slot.reply && !handed_over && polled)
		wait_dispatching(&slot, deadline);
	else if (!slot.reply && !handed_over)
		wait_reading(c, &slot, deadline);
	xpc_object_t reply = slot.reply;
	if (!reply && forget(c, &slot))
		reply = xpc_error_create(ETIMEDOUT, "Reply timed out", "the peer did not answer within the timeout");
	else if (!reply)
		reply = c->svc.interrupted && !c->invalid_delivered ? XPC_ERROR_CONNECTION_INTERRUPTED
								   : XPC_ERROR_CONNECTION_INVALID;
	lib_unlock();
	if (handed_over)
		sem_destroy(&answered);
	return reply;
}

xpc_object_t xpc_connection_send_message_with_reply_sync(xpc_connection_t c, xpc_object_t msg)
{
	return xpc_connection_send_message_with_reply_sync_timeout(c, msg, -1);
}
