/*
 * Messages on a connection: encoding and sending them (queued while the
 * socket is full, barriers in order), receiving, routing — replies to their
 * waiting handlers, launchd's events to the connection's kind, messages
 * from a peer that fails the requirement refused — and dispatching the
 * rest to the event handler.
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

#include "accept.h"
#include "conn_internal.h"

/* Messages handled per dispatch call, so one busy peer cannot starve others. */
#define DISPATCH_BUDGET 64

/* Sending */

static void queue_packet(xpc_connection_t c, const uint8_t *buf, size_t len, const int *fds, size_t nfds)
{
	struct out_packet *p = xpc_xalloc(sizeof(*p));
	p->buf = xpc_xalloc(len);
	memcpy(p->buf, buf, len);
	p->len = len;
	for (size_t i = 0; i < nfds; i++) {
		int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (d >= 0)
			p->fds[p->nfds++] = d;
	}
	if (c->out.tail)
		c->out.tail->next = p;
	else
		c->out.head = p;
	c->out.tail = p;
	c->out.bytes += len;
	lib_changed(c); /* its poller now waits for POLLOUT too */
}


/* The peer closed: a kind that recovers (a service client) handles it; false if nothing did. */
static bool kind_lost(xpc_connection_t c)
{
	return c->kind && c->kind->lost && c->kind->lost(c);
}

/* The service end is gone: what it (or launchd) said last explains why. */
static void drain_service(xpc_connection_t c)
{
	xpc_object_t msg;
	while (conn_open(c)) {
		int r = conn_read(c, &msg, false);
		if (r < 0 || (r == 0 && !c->in.buf))
			break;
		if (r == 1) {
			if (!conn_consume(c, msg))
				deliver(c, msg);
			xpc_release(msg);
		}
	}
	if (conn_open(c))
		kind_lost(c);
}

static void send_failed(xpc_connection_t c, int err)
{
	if ((err == EPIPE || err == ECONNRESET) && c->kind && c->kind->reconnects && c->kind->reconnects(c)) {
		drain_service(c);
		return;
	}
	char cause[128];
	if (err == EPIPE || err == ECONNRESET)
		snprintf(cause, sizeof(cause), "the peer closed the connection");
	else
		snprintf(cause, sizeof(cause), "sending to the peer failed: %s", strerror(err));
	invalidate(c, cause);
}

/* Sends queued packets until the socket would block; false if the peer is gone. */
bool conn_flush(xpc_connection_t c)
{
	while (c->out.head) {
		struct out_packet *p = c->out.head;
		int err = p->barrier ? 0 : frame_send(c->fd, p->buf, p->len, p->fds, p->nfds);
		if (err == EAGAIN)
			return true;
		if (err) {
			send_failed(c, err);
			return false;
		}
		c->out.head = p->next;
		if (!c->out.head)
			c->out.tail = NULL;
		c->out.bytes -= p->len;
		frame_close_fds(p->fds, p->nfds);
		free(p->buf);
		if (p->barrier)
			conn_post(c, &(struct conn_call){.plain = p->barrier, .ctx = p->barrier_context,
				.release_ctx = p->barrier_release});
		free(p);
	}
	return true;
}

void conn_send_barrier(xpc_connection_t c, void (*barrier)(void *context), void *context, xpc_finalizer_t release)
{
	if (!c->out.head) { /* everything sent before has been handed to the kernel */
		conn_post(c, &(struct conn_call){.plain = barrier, .ctx = context, .release_ctx = release});
		return;
	}
	struct out_packet *p = xpc_xalloc(sizeof(*p));
	p->barrier = barrier;
	p->barrier_context = context;
	p->barrier_release = release;
	c->out.tail->next = p;
	c->out.tail = p;
}

void xpc_connection_send_barrier_f(xpc_connection_t c, void *context, void (*barrier)(void *context))
{
	lib_lock();
	conn_send_barrier(c, barrier, context, NULL);
	lib_unlock();
}

/* Why a message cannot be sent, from xpc_wire_encode()'s errno. */
static const char *unsendable(int err)
{
	switch (err) {
	case EMSGSIZE:
		return "the message is larger than a message may be (16 MiB)";
	case ELOOP:
		return "the message nests objects deeper than XPC_WIRE_MAX_DEPTH";
	case ETOOMANYREFS:
		return "the message holds more descriptors than XPC_WIRE_MAX_FDS";
	default:
		return "the message is not a dictionary, or holds a connection (send an endpoint instead)";
	}
}

/* Sends (or queues) an encoded message as fragments; false if the connection failed (it was told why). */
static bool send_body(xpc_connection_t c, const uint8_t *body, size_t len, const int *fds, size_t nfds, uint64_t id,
	uint64_t reply_to, bool wants_reply)
{
	uint8_t pkt[PACKET_MAX];
	size_t off = 0;
	do {
		size_t chunk = len - off > FRAGMENT_MAX ? FRAGMENT_MAX : len - off;
		bool first = off == 0, more = off + chunk < len;
		frame_header(pkt, id, reply_to, more, wants_reply, (uint32_t)len, first ? (uint32_t)nfds : 0);
		memcpy(pkt + FRAME_HDR, body + off, chunk);
		size_t plen = FRAME_HDR + chunk;
		int err = c->out.head ? EAGAIN : frame_send(c->fd, pkt, plen, first ? fds : NULL, first ? nfds : 0);
		if (err == EAGAIN && c->out.bytes + plen > c->limits.max_queued) {
			char why[96];
			snprintf(why, sizeof(why), "the peer does not read its messages (%zu bytes queued)", c->out.bytes);
			invalidate(c, why);
			return false;
		}
		if (err == EAGAIN)
			queue_packet(c, pkt, plen, first ? fds : NULL, first ? nfds : 0);
		else if (err) {
			send_failed(c, err);
			return false;
		}
		off += chunk;
	} while (off < len);
	return true;
}

/*
 * Encodes msg and sends (or queues) it as message *id. Returns 0; ENOTCONN
 * if the connection cannot send (it is invalid, or a listener); or, with
 * the connection unharmed, the errno of why msg cannot be encoded.
 */
static int send_frames(xpc_connection_t c, xpc_object_t msg, uint64_t reply_to, bool wants_reply, uint64_t *id)
{
	if (c->fd < 0 && c->kind && c->kind->attach && c->activated && !c->cancelled && !c->invalid_delivered) {
		c->kind->attach(c); /* the service went away: look it up again (launchd relaunches it) */
		lib_changed(c);     /* a new descriptor for its poller */
	}
	if (c->fd < 0 || c->listener || c->invalid_delivered)
		return ENOTCONN;
	uint8_t *body;
	size_t len, nfds;
	int fds[XPC_WIRE_MAX_FDS];
	int err = xpc_wire_encode(msg, &body, &len, fds, &nfds);
	if (!err && len > MESSAGE_MAX) {
		free(body);
		err = EMSGSIZE;
	}
	if (err)
		return err == ENOTCONN ? EINVAL : err;
	*id = c->next_id++;
	bool sent = send_body(c, body, len, fds, nfds, *id, reply_to, wants_reply);
	free(body);
	return sent ? 0 : ENOTCONN;
}

void xpc_connection_send_message(xpc_connection_t c, xpc_object_t msg)
{
	uint64_t id, reply_to = msg && msg->type == XPC_TYPE_DICTIONARY ? msg->dict.reply_to : 0;
	lib_lock();
	int err = send_frames(c, msg, reply_to, false, &id);
	lib_unlock();
	if (err && err != ENOTCONN) /* one-way: nobody to answer, so it is said where a developer looks */
		fprintf(stderr, "libxpc: a message was not sent (pid %d): %s\n", (int)getpid(), unsendable(err));
}

void conn_await_reply(xpc_connection_t c, uint64_t id, xpc_handler_f handler, void *context,
	xpc_finalizer_t release, bool direct)
{
	struct pending_reply *p = xpc_xalloc(sizeof(*p));
	*p = (struct pending_reply){.next = c->pending, .id = id, .handler = handler, .context = context,
		.release_context = release, .direct = direct};
	c->pending = p;
}

void conn_send_with_reply(xpc_connection_t c, xpc_object_t msg, xpc_handler_f handler, void *context,
	xpc_finalizer_t release, bool direct)
{
	uint64_t id = 0;
	int err = send_frames(c, msg, 0, true, &id);
	xpc_object_t e = NULL;
	if (err && err != ENOTCONN) /* the message, not the connection: it stays usable */
		e = xpc_error_create(err, "Message cannot be sent", unsendable(err));
	else if (err) /* an interrupted service connection stays interrupted until it reconnects; else it is invalid */
		e = c->svc.interrupted && !c->invalid_delivered ? XPC_ERROR_CONNECTION_INTERRUPTED
							       : XPC_ERROR_CONNECTION_INVALID;
	conn_await_reply(c, id, handler, context, release, direct);
	if (e) { /* answered at once, through the same path as a reply */
		struct pending_reply *p = c->pending;
		c->pending = p->next;
		answer_reply(c, p, e);
		xpc_release(e);
	}
}

void xpc_connection_send_message_with_reply_f(xpc_connection_t c, xpc_object_t msg,
	void *context, xpc_handler_f handler)
{
	lib_lock();
	conn_send_with_reply(c, msg, handler, context, NULL, false);
	lib_unlock();
}

xpc_object_t xpc_dictionary_create_reply(xpc_object_t original)
{
	if (!original || original->type != XPC_TYPE_DICTIONARY || !original->dict.meta ||
	    !original->dict.meta->wants_reply)
		return NULL;
	xpc_object_t r = xpc_dictionary_create_empty();
	r->dict.reply_to = original->dict.meta->id;
	r->dict.reply_conn = (xpc_connection_t)xpc_retain((xpc_object_t)original->dict.meta->conn);
	return r;
}

xpc_connection_t xpc_dictionary_get_remote_connection(xpc_object_t d)
{
	if (!d || d->type != XPC_TYPE_DICTIONARY)
		return NULL;
	if (d->dict.meta)
		return d->dict.meta->conn;
	return d->dict.reply_conn;
}

/* Receiving */

static void protocol_error(xpc_connection_t c, const char *what)
{
	char cause[192];
	snprintf(cause, sizeof(cause), "protocol error from pid %d: %s", (int)c->pid, what);
	invalidate(c, cause);
}

/* Decodes a complete message and attaches what the transport knows about it; 1, or -1 (protocol error). */
static int finish_message(xpc_connection_t c, const struct frame_msg *f, xpc_object_t *out)
{
	xpc_object_t msg = NULL;
	char why[160];
	if (xpc_wire_decode(f->body, f->len, f->fds, f->nfds, &msg, why, sizeof(why)) == 0 &&
	    msg->type != XPC_TYPE_DICTIONARY)
		snprintf(why, sizeof(why), "message root is not a dictionary");
	else if (msg) {
		struct xpc_msg_meta *m = xpc_xalloc(sizeof(*m));
		*m = (struct xpc_msg_meta){.conn = (xpc_connection_t)xpc_retain(&c->base), .id = f->id, .pid = f->cred.pid,
			.uid = f->cred.uid, .gid = f->cred.gid, .wants_reply = f->wants_reply, .pidfd = f->pidfd};
		msg->dict.meta = m;
		msg->dict.reply_to = f->reply_to; /* remembered for matching in route_reply() */
		c->pid = m->pid; /* the peer as of its latest message */
		c->uid = m->uid;
		c->gid = m->gid;
		*out = msg;
		return 1;
	}
	xpc_release(msg);
	if (f->pidfd >= 0)
		close(f->pidfd);
	protocol_error(c, why);
	return -1;
}

/*
 * Reads one packet (wait: block in the receive, unless the descriptor's
 * owner made it non-blocking). Returns 1 with a complete message in *out, 0
 * if more is needed, -1 when the connection ended (it was told why).
 */
int conn_read(xpc_connection_t c, xpc_object_t *out, bool wait)
{
	uint8_t pkt[PACKET_MAX];
	struct frame_msg f;
	char why[192];
	switch (frame_read(c->fd, wait, c->limits.max_message, &c->in, pkt, &f, why, sizeof(why))) {
	case FRAME_AGAIN:
	case FRAME_PARTIAL:
		return 0;
	case FRAME_CLOSED:
		if (!kind_lost(c))
			invalidate(c, why);
		return -1;
	case FRAME_INVALID:
		protocol_error(c, why);
		return -1;
	case FRAME_COMPLETE:
		break;
	}
	int r = finish_message(c, &f, out);
	frame_in_done(&c->in);
	return r;
}

/* Routes a complete message to its pending reply handler, or returns false. */
/* Calls the pending reply handler waiting for message id (if any) with ev, and forgets it. */
static void answer_pending(xpc_connection_t c, uint64_t id, xpc_object_t ev)
{
	for (struct pending_reply **pp = &c->pending; *pp && id; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct pending_reply *p = *pp;
			*pp = p->next;
			answer_reply(c, p, ev);
			return;
		}
	}
}

static bool route_reply(xpc_connection_t c, xpc_object_t msg)
{
	uint64_t to = msg->dict.reply_to;
	msg->dict.reply_to = 0;
	if (!to)
		return false;
	answer_pending(c, to, msg); /* a reply nobody waits for any more is dropped */
	return true;
}

/*
 * A message from a peer that fails the requirement never reaches the
 * handler; if it is a reply, its caller gets XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT.
 */
static bool refused(xpc_connection_t c, xpc_object_t msg)
{
	char why[PATH_MAX + 128];
	if (!c->peer.requirement || c->svc.listener || c->svc.attaching ||
	    c->peer.check(c, msg->dict.meta, why, sizeof(why)))
		return false;
	free(c->peer.failure);
	c->peer.failure = xpc_xstrdup(why);
	xpc_object_t notice = xpc_dictionary_create_reply(msg); /* the sender learns it was refused, not why */
	if (notice) {
		xpc_dictionary_set_bool(notice, XPC_PEER_REFUSED_KEY, true);
		xpc_connection_send_message(c, notice);
		xpc_release(notice);
	}
	answer_pending(c, msg->dict.reply_to, XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT);
	return true;
}

/*
 * The peer refused our message (its requirement does not hold for us): the
 * waiting reply handler gets XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT at once
 * instead of a timeout, and the cause is kept for
 * xpc_connection_copy_peer_requirement_failure().
 */
static bool refused_by_peer(xpc_connection_t c, xpc_object_t msg)
{
	if (!xpc_dictionary_get_bool(msg, XPC_PEER_REFUSED_KEY) || xpc_dictionary_get_count(msg) != 1)
		return false;
	free(c->peer.failure);
	c->peer.failure = xpc_xstrdup("the peer refused the message: this process does not satisfy the peer's "
		"requirement");
	uint64_t to = msg->dict.reply_to;
	msg->dict.reply_to = 0;
	answer_pending(c, to, XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT);
	return true;
}

/* Replies and launchd's own messages are handled here; the rest goes to the handler. */
bool conn_consume(xpc_connection_t c, xpc_object_t msg)
{
	return refused(c, msg) || refused_by_peer(c, msg) || route_reply(c, msg) ||
	       (c->kind && c->kind->consume && c->kind->consume(c, msg));
}

void conn_deliver_peer(xpc_connection_t listener, int fd)
{
	xpc_connection_t peer = conn_alloc(fd);
	peer->threaded = listener->threaded; /* a peer's handlers run where its listener's do */
	if (listener->peer.requirement) {
		peer->peer.requirement = xpc_retain(listener->peer.requirement);
		peer->peer.check = listener->peer.check;
	}
	read_peer_cred(peer);
	deliver(listener, &peer->base);
	xpc_release(&peer->base);
}

static void accept_clients(xpc_connection_t c)
{
	for (int i = 0; i < DISPATCH_BUDGET; i++) {
		int fd = gantry_accept(c->fd);
		if (fd < 0)
			return;
		conn_deliver_peer(c, fd);
	}
}

/* One message read from c: routed, or posted to the handler, whose call runs now if this thread may. */
static void take(xpc_connection_t c, xpc_object_t msg)
{
	if (!conn_consume(c, msg))
		deliver(c, msg);
	xpc_release(msg);
	lib_run_posted();
}

void conn_dispatch_locked(xpc_connection_t c)
{
	if (!conn_pollable(c) && !(c->inbox.head && c->activated && !c->suspend_count && !c->invalid_delivered))
		return;
	xpc_retain(&c->base);
	if (c->listener) {
		if (c->kind && c->kind->accept)
			c->kind->accept(c, DISPATCH_BUDGET);
		else
			accept_clients(c);
		xpc_release(&c->base);
		return;
	}
	while (c->inbox.head && !c->invalid_delivered && !c->suspend_count) {
		struct inbox_item *i = c->inbox.head;
		c->inbox.head = i->next;
		if (!c->inbox.head)
			c->inbox.tail = NULL;
		xpc_object_t msg = i->msg;
		free(i);
		deliver(c, msg);
		xpc_release(msg);
		lib_run_posted();
	}
	if (conn_open(c) && c->out.head && !conn_flush(c)) {
		xpc_release(&c->base);
		return;
	}
	/* a peer that does not take what we send gets nothing more read: its replies cannot pile up */
	for (int budget = DISPATCH_BUDGET; budget > 0 && conn_pollable(c) && !c->out.head; budget--) {
		xpc_object_t msg = NULL;
		int r = conn_read(c, &msg, false);
		if (r < 0)
			break;
		if (r == 0) {
			if (c->in.buf)
				continue; /* a fragment arrived; try for the next */
			break;
		}
		take(c, msg);
	}
	xpc_release(&c->base);
}

void xpc_connection_dispatch(xpc_connection_t c)
{
	lib_lock();
	conn_dispatch_locked(c);
	lib_unlock();
}
