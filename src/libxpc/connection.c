/*
 * libxpc connections: their lifecycle — creation, activation, suspension,
 * cancellation and the final XPC_ERROR_CONNECTION_INVALID, pending replies
 * failed or dropped, barriers run — the peer's attested credentials, and
 * the connection type itself. Sending and receiving are in messages.c,
 * framing in frames.c, sockets in socket.c, synchronous replies in sync.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conn_internal.h"

/* Bytes queued for a peer that does not read before the connection is dropped. */
#define OUT_QUEUE_MAX (32u * 1024 * 1024)

xpc_connection_t conn_alloc(int fd)
{
	xpc_connection_t c = xpc_xalloc(sizeof(*c));
	c->base.type = XPC_TYPE_CONNECTION;
	c->base.refs = 1;
	c->threaded = true; /* Apple's default (a NULL target queue): handlers on libxpc's thread */
	c->fd = fd;
	c->next_id = 1;
	c->pid = -1;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	c->in.pidfd = -1;
	c->peer.job_pidfd = -1;
	c->door = -1;
	c->limits.max_message = MESSAGE_MAX;
	c->limits.max_queued = OUT_QUEUE_MAX;
	return c;
}

void xpc_connection_set_limits(xpc_connection_t c, size_t max_message, size_t max_queued)
{
	if (max_message)
		c->limits.max_message = max_message < MESSAGE_MAX ? max_message : MESSAGE_MAX;
	if (max_queued)
		c->limits.max_queued = max_queued;
}

int conn_passcred(int fd)
{
	int one = 1;
	return setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
}

void conn_enable_pidfd(xpc_connection_t c)
{
	int one = 1;
	if (c->fd >= 0 && c->peer.requirement)
		setsockopt(c->fd, SOL_SOCKET, GANTRY_SO_PASSPIDFD, &one, sizeof(one)); /* Linux 6.5+; else pid only */
}

void read_peer_cred(xpc_connection_t c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
		c->pid = cr.pid;
		c->uid = cr.uid;
		c->gid = cr.gid;
	}
	conn_passcred(c->fd);
	conn_enable_pidfd(c);
}

/* A block handler is replaced (or the connection freed): its copy is released. */
static void drop_block(xpc_connection_t c)
{
	if (c->handler_block)
		c->release_block(c->handler_block);
	c->handler_block = NULL;
}

void xpc_connection_set_event_handler_f(xpc_connection_t c, xpc_handler_f h)
{
	lib_lock();
	drop_block(c);
	c->handler = h;
	lib_unlock();
}

void xpc_connection_set_context(xpc_connection_t c, void *ctx) { c->context = ctx; }
void *xpc_connection_get_context(xpc_connection_t c) { return c->context; }
void xpc_connection_set_finalizer_f(xpc_connection_t c, xpc_finalizer_t finalizer) { c->finalizer = finalizer; }
const char *xpc_connection_get_name(xpc_connection_t c) { return c->svc.name; }

const char _xpc_queue_caller[] = "caller";

void xpc_connection_set_target_queue(xpc_connection_t c, void *queue)
{
	lib_lock();
	if (!c->activated) /* as Apple's: the queue is chosen before activation */
		c->threaded = queue != XPC_QUEUE_CALLER;
	lib_unlock();
}

void conn_activate(xpc_connection_t c)
{
	c->activated = true;
	if (!c->invalid_delivered)
		active_add(c);
	if (c->kind && c->kind->attach)
		c->kind->attach(c);
	lib_changed(c);
}

void xpc_connection_suspend(xpc_connection_t c)
{
	lib_lock();
	c->suspend_count++;
	lib_unlock();
}

pid_t xpc_connection_get_pid(xpc_connection_t c) { return c->pid; }

char *xpc_connection_copy_invalidation_reason(xpc_connection_t c)
{
	lib_lock();
	const char *why = c->error_cause ? c->error_cause : c->connect_error;
	char *copy = why ? xpc_xstrdup(why) : NULL;
	lib_unlock();
	return copy;
}
uid_t xpc_connection_get_euid(xpc_connection_t c) { return c->uid; }
gid_t xpc_connection_get_egid(xpc_connection_t c) { return c->gid; }
int xpc_connection_get_fd(xpc_connection_t c) { return c->fd; }
bool xpc_connection_wants_write(xpc_connection_t c) { return c->out.head != NULL; }

bool conn_open(xpc_connection_t c)
{
	return c->fd >= 0 && !c->invalid_delivered;
}

bool conn_pollable(xpc_connection_t c)
{
	return c->fd >= 0 && c->activated && !c->suspend_count && !c->invalid_delivered && !c->svc.attaching;
}

void deliver(xpc_connection_t c, xpc_object_t event)
{
	conn_post(c, &(struct conn_call){.ev = event});
}

void answer_reply(xpc_connection_t c, struct pending_reply *p, xpc_object_t ev)
{
	if (p->direct)
		p->handler(p->context, ev);
	else
		conn_post(c, &(struct conn_call){.fn = p->handler, .ctx = p->context, .ev = ev,
			.release_ctx = p->release_context});
	free(p);
}

void fail_pending(xpc_connection_t c, xpc_object_t err)
{
	while (c->pending) {
		struct pending_reply *p = c->pending;
		c->pending = p->next;
		answer_reply(c, p, err);
	}
}

/* Apple's contract: reply handlers get XPC_ERROR_CONNECTION_INVALID itself; the reason is the connection's. */
static void drop_pending(xpc_connection_t c)
{
	fail_pending(c, XPC_ERROR_CONNECTION_INVALID);
}

static void free_out(xpc_connection_t c)
{
	while (c->out.head) {
		struct out_packet *p = c->out.head;
		c->out.head = p->next;
		frame_close_fds(p->fds, p->nfds);
		if (p->barrier && p->barrier_release) /* a barrier that will not run now (see run_barriers) */
			p->barrier_release(p->barrier_context);
		free(p->buf);
		free(p);
	}
	c->out.tail = NULL;
}

/* The connection ends with output still queued: its barriers run all the same. */
static void run_barriers(xpc_connection_t c)
{
	for (struct out_packet *p = c->out.head; p; p = p->next) {
		if (p->barrier)
			conn_post(c, &(struct conn_call){.plain = p->barrier, .ctx = p->barrier_context,
				.release_ctx = p->barrier_release});
		p->barrier = NULL;
	}
}

/* After the final event's handler returned: barriers, then the descriptor closes. */
static void finish_invalid(xpc_connection_t c)
{
	run_barriers(c);
	conn_close_fd(c);
	active_remove(c);
}

/*
 * The connection is finished: pending replies get INVALID, then the handler,
 * exactly once, as its last event; then the descriptor closes. The handler
 * runs while the descriptor is still open, so an owner that polls it can
 * unregister it first (epoll keeps a registration alive while a forked
 * child still shares the descriptor). Nothing is read or sent meanwhile.
 */
void invalidate(xpc_connection_t c, const char *cause)
{
	if (cause && !c->error_cause)
		c->error_cause = xpc_xstrdup(cause);
	drop_pending(c);
	if (c->invalid_delivered)
		return;
	c->invalid_delivered = true; /* comparable by ==; why: xpc_connection_copy_invalidation_reason */
	conn_post(c, &(struct conn_call){.ev = XPC_ERROR_CONNECTION_INVALID, .after = finish_invalid});
}

void conn_close_fd(xpc_connection_t c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->door >= 0) {
		close(c->door);
		c->door = -1;
	}
	free_out(c);
	frame_in_reset(&c->in);
}

void xpc_connection_cancel(xpc_connection_t c)
{
	lib_lock();
	if (!c->cancelled) {
		c->cancelled = true;
		invalidate(c, "the connection was cancelled");
	}
	lib_unlock();
}

/* The connection type's destroy (internal.h): the last reference is gone. */
static void connection_destroy(xpc_object_t o)
{
	xpc_connection_t c = (xpc_connection_t)o;
	if (c->finalizer)
		c->finalizer(c->context);
	conn_close_fd(c);
	while (c->pending) {
		struct pending_reply *p = c->pending;
		c->pending = p->next;
		if (p->release_context)
			p->release_context(p->context);
		free(p);
	}
	drop_block(c);
	while (c->inbox.head) {
		struct inbox_item *i = c->inbox.head;
		c->inbox.head = i->next;
		xpc_release(i->msg);
		free(i);
	}
	free(c->connect_error);
	free(c->error_cause);
	free(c->svc.name);
	xpc_release(c->peer.requirement);
	free(c->peer.failure);
	if (c->peer.job_pidfd >= 0)
		close(c->peer.job_pidfd);
	free(c);
}

/* Connections are shared, never copied. */
static xpc_object_t connection_copy(xpc_object_t o)
{
	return xpc_retain(o);
}

const struct _xpc_type_s _xpc_type_connection = {"connection", 0, false, connection_destroy, connection_copy, NULL};

