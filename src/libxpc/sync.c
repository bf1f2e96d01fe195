/*
 * Synchronous replies: xpc_connection_send_message_with_reply_sync(), which
 * waits on the connection's own socket — messages that arrive meanwhile
 * wait in its inbox for the next dispatch — with an optional deadline.
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

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sync_slot {
	xpc_object_t reply;
};

static void sync_reply(void *ctx, xpc_object_t reply)
{
	struct sync_slot *s = ctx;
	s->reply = xpc_retain(reply);
}

xpc_object_t xpc_connection_send_message_with_reply_sync_timeout(xpc_connection_t c,
	xpc_object_t msg, int timeout_ms)
{
	struct sync_slot slot = {NULL};
	xpc_connection_send_message_with_reply_f(c, msg, &slot, sync_reply);
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	bool can_block = deadline < 0; /* without a deadline the receive itself waits: no poll() per round trip */
	while (!slot.reply) {
		if (c->out.head && !conn_flush(c))
			break;
		bool block = can_block && !c->out.head && c->fd >= 0;
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
		while (!slot.reply && (r = conn_read(c, &in, block)) != -1) {
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
		if (c->fd < 0)
			break;
	}
	if (slot.reply)
		return slot.reply;
	for (struct pending_reply **pp = &c->pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->handler == sync_reply && (*pp)->context == &slot) {
			struct pending_reply *p = *pp;
			*pp = p->next;
			free(p);
			return xpc_error_create(ETIMEDOUT, "Reply timed out",
				"the peer did not answer within the timeout");
		}
	}
	return c->svc.interrupted && !c->invalid_delivered ? XPC_ERROR_CONNECTION_INTERRUPTED
							     : XPC_ERROR_CONNECTION_INVALID;
}

xpc_object_t xpc_connection_send_message_with_reply_sync(xpc_connection_t c, xpc_object_t msg)
{
	return xpc_connection_send_message_with_reply_sync_timeout(c, msg, -1);
}
