/*
 * libxpc connections: AF_UNIX SOCK_SEQPACKET transport, framing and
 * fragmentation, SCM_RIGHTS descriptor passing, kernel-attested sender
 * credentials (SCM_CREDENTIALS) on every message, request/reply matching,
 * listeners, and the poll-and-dispatch integration with foreign event loops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#include "conn_internal.h"
#include "internal.h"

/* Frame header, little-endian; see docs/wire-format.md. */
#define FRAME_MAGIC 0x31505847u /* "GXP1" */
#define FRAME_VERSION 1
#define FRAME_HDR 32
#define FRAME_MORE 0x01        /* more fragments of this message follow */
#define FRAME_WANTS_REPLY 0x02
/* One packet: well under the default socket buffer (212992 bytes). */
#define PACKET_MAX (64 * 1024)
#define FRAGMENT_MAX (PACKET_MAX - FRAME_HDR)
/* The largest message a peer may send us. */
#define MESSAGE_MAX (16u * 1024 * 1024)
/* Bytes queued for a peer that does not read before the connection is dropped. */
#define OUT_QUEUE_MAX (32u * 1024 * 1024)
/* Messages handled per dispatch call, so one busy peer cannot starve others. */
#define DISPATCH_BUDGET 64

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

xpc_connection_t conn_alloc(int fd)
{
	xpc_connection_t c = xpc_xalloc(sizeof(*c));
	c->base.type = XPC_TYPE_CONNECTION;
	c->base.refs = 1;
	c->fd = fd;
	c->next_id = 1;
	c->pid = -1;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	c->frag_pidfd = -1;
	c->job_pidfd = -1;
	c->door = -1;
	c->max_message = MESSAGE_MAX;
	c->max_queued = OUT_QUEUE_MAX;
	return c;
}

void xpc_connection_set_limits(xpc_connection_t c, size_t max_message, size_t max_queued)
{
	if (max_message)
		c->max_message = max_message < MESSAGE_MAX ? max_message : MESSAGE_MAX;
	if (max_queued)
		c->max_queued = max_queued;
}

int conn_passcred(int fd)
{
	int one = 1;
	return setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
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

static char *format_cause(const char *what, const char *path, int err)
{
	char *s = NULL;
	if (asprintf(&s, "%s %s: %s", what, path, strerror(err)) < 0)
		abort();
	return s;
}

static int listen_on(const char *path, char **cause)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*cause = format_cause("socket path too long:", path, ENAMETOOLONG);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*cause = format_cause("socket for", path, errno);
		return -1;
	}
	/* Replace a stale socket, but never one that somebody still listens on. */
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			*cause = format_cause("another process is listening on", path, EADDRINUSE);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	/*
	 * Credentials from the first byte: with SO_PASSCRED on the listener, the
	 * kernel attaches them to messages sent before accept() too.
	 */
	if (conn_passcred(fd) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0) {
		*cause = format_cause("bind/listen on", path, errno);
		close(fd);
		return -1;
	}
	return fd;
}

int connect_to(const char *path, char **cause)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*cause = format_cause("socket path too long:", path, ENAMETOOLONG);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*cause = format_cause("socket for", path, errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		*cause = format_cause("connect to", path, errno);
		close(fd);
		return -1;
	}
	return fd; /* left blocking: every call passes MSG_DONTWAIT, except a sync wait's receive */
}

xpc_connection_t xpc_connection_create_socket(const char *path, uint64_t flags)
{
	char *cause = NULL;
	bool listener = flags & XPC_CONNECTION_LISTENER;
	int fd = listener ? listen_on(path, &cause) : connect_to(path, &cause);
	xpc_connection_t c = conn_alloc(fd);
	c->listener = listener;
	c->connect_error = cause;
	if (fd >= 0 && !listener)
		read_peer_cred(c);
	return c;
}

xpc_connection_t xpc_connection_create_from_fd(int fd)
{
	xpc_connection_t c = conn_alloc(fd);
	read_peer_cred(c);
	return c;
}

void xpc_connection_set_event_handler_f(xpc_connection_t c, xpc_handler_f h) { c->handler = h; }
void xpc_connection_set_context(xpc_connection_t c, void *ctx) { c->context = ctx; }
void *xpc_connection_get_context(xpc_connection_t c) { return c->context; }
void xpc_connection_activate(xpc_connection_t c)
{
	if (c->activated)
		return;
	c->activated = true;
	if (!c->invalid_delivered)
		runloop_add(c);
	if (c->service_name)
		service_attach(c);
}

void xpc_connection_resume(xpc_connection_t c)
{
	if (!c->activated)
		xpc_connection_activate(c);
	else if (c->suspend_count > 0)
		c->suspend_count--;
}
void xpc_connection_suspend(xpc_connection_t c) { c->suspend_count++; }
pid_t xpc_connection_get_pid(xpc_connection_t c) { return c->pid; }

char *xpc_connection_copy_invalidation_reason(xpc_connection_t c)
{
	const char *why = c->error_cause ? c->error_cause : c->connect_error;
	return why ? xpc_xstrdup(why) : NULL;
}
uid_t xpc_connection_get_euid(xpc_connection_t c) { return c->uid; }
gid_t xpc_connection_get_egid(xpc_connection_t c) { return c->gid; }
int xpc_connection_get_fd(xpc_connection_t c) { return c->fd; }
bool xpc_connection_wants_write(xpc_connection_t c) { return c->out_head != NULL; }

void deliver(xpc_connection_t c, xpc_object_t event)
{
	if (c->handler)
		c->handler(c->context, event);
}

static xpc_object_t invalid_error(xpc_connection_t c)
{
	const char *cause = c->error_cause ? c->error_cause : c->connect_error;
	return xpc_error_create(c->error_code ? c->error_code : EPIPE, "Connection invalid", cause);
}

void fail_pending(xpc_connection_t c, xpc_object_t err)
{
	while (c->pending) {
		struct pending_reply *p = c->pending;
		c->pending = p->next;
		p->handler(p->context, err);
		free(p);
	}
}

static void drop_pending(xpc_connection_t c)
{
	xpc_object_t e = invalid_error(c);
	fail_pending(c, e);
	xpc_release(e);
}

static void free_out(xpc_connection_t c)
{
	while (c->out_head) {
		struct out_packet *p = c->out_head;
		c->out_head = p->next;
		close_fds(p->fds, p->nfds);
		free(p->buf);
		free(p);
	}
	c->out_tail = NULL;
}

/* The connection ends with output still queued: its barriers run all the same. */
static void run_barriers(xpc_connection_t c)
{
	for (struct out_packet *p = c->out_head; p; p = p->next) {
		void (*barrier)(void *) = p->barrier;
		p->barrier = NULL;
		if (barrier)
			barrier(p->barrier_context);
	}
}

/*
 * The connection is finished: tell the handler exactly once, then close.
 * The handler runs while the descriptor is still open, so an owner that
 * polls it can unregister it first (epoll keeps a registration alive while
 * a forked child still shares the descriptor).
 */
void invalidate(xpc_connection_t c, const char *cause)
{
	if (cause && !c->error_cause)
		c->error_cause = xpc_xstrdup(cause);
	xpc_retain(&c->base);
	drop_pending(c);
	if (!c->invalid_delivered) {
		c->invalid_delivered = true;
		xpc_object_t e = invalid_error(c);
		deliver(c, e);
		xpc_release(e);
	}
	run_barriers(c);
	conn_close_fd(c);
	runloop_remove(c);
	xpc_release(&c->base);
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
	close_fds(c->frag_fds, c->frag_nfds);
	c->frag_nfds = 0;
	if (c->frag_pidfd >= 0) {
		close(c->frag_pidfd);
		c->frag_pidfd = -1;
	}
	free(c->frag_buf);
	c->frag_buf = NULL;
}

void xpc_connection_cancel(xpc_connection_t c)
{
	if (c->cancelled)
		return;
	c->cancelled = true;
	invalidate(c, "the connection was cancelled");
}

/* The connection type's destroy (internal.h): the last reference is gone. */
static void connection_destroy(xpc_object_t o)
{
	xpc_connection_t c = (xpc_connection_t)o;
	conn_close_fd(c);
	while (c->pending) {
		struct pending_reply *p = c->pending;
		c->pending = p->next;
		free(p);
	}
	while (c->inbox_head) {
		struct inbox_item *i = c->inbox_head;
		c->inbox_head = i->next;
		xpc_release(i->msg);
		free(i);
	}
	free(c->connect_error);
	free(c->error_cause);
	free(c->service_name);
	xpc_release(c->interrupt_error);
	xpc_release(c->requirement);
	free(c->requirement_failure);
	if (c->job_pidfd >= 0)
		close(c->job_pidfd);
	free(c);
}

/* Connections are shared, never copied. */
static xpc_object_t connection_copy(xpc_object_t o)
{
	return xpc_retain(o);
}

const struct xpc_type_s _xpc_type_connection = {"connection", 0, connection_destroy, connection_copy, NULL};

/* Sending */

static int send_packet(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * XPC_WIRE_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 ? errno : 0;
}

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
	if (c->out_tail)
		c->out_tail->next = p;
	else
		c->out_head = p;
	c->out_tail = p;
	c->out_bytes += len;
}

static int read_packet(xpc_connection_t c, xpc_object_t *out, bool wait);
static bool consume(xpc_connection_t c, xpc_object_t msg);

/* The service end is gone: what it (or launchd) said last explains why. */
static void drain_service(xpc_connection_t c)
{
	xpc_object_t msg;
	while (c->fd >= 0) {
		int r = read_packet(c, &msg, false);
		if (r < 0 || (r == 0 && !c->frag_buf))
			break;
		if (r == 1) {
			if (!consume(c, msg))
				deliver(c, msg);
			xpc_release(msg);
		}
	}
	if (c->fd >= 0)
		service_lost(c);
}

static void send_failed(xpc_connection_t c, int err)
{
	if ((err == EPIPE || err == ECONNRESET) && c->service_name && !c->service_listener) {
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
static bool flush(xpc_connection_t c)
{
	while (c->out_head) {
		struct out_packet *p = c->out_head;
		int err = p->barrier ? 0 : send_packet(c->fd, p->buf, p->len, p->fds, p->nfds);
		if (err == EAGAIN)
			return true;
		if (err) {
			send_failed(c, err);
			return false;
		}
		c->out_head = p->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_bytes -= p->len;
		close_fds(p->fds, p->nfds);
		free(p->buf);
		if (p->barrier)
			p->barrier(p->barrier_context);
		free(p);
	}
	return true;
}

void xpc_connection_send_barrier_f(xpc_connection_t c, void *context, void (*barrier)(void *context))
{
	if (!c->out_head) {
		barrier(context); /* everything sent before has been handed to the kernel */
		return;
	}
	struct out_packet *p = xpc_xalloc(sizeof(*p));
	p->barrier = barrier;
	p->barrier_context = context;
	c->out_tail->next = p;
	c->out_tail = p;
}

/* Encodes and sends (or queues) one message; returns its id, 0 on failure. */
static uint64_t send_frames(xpc_connection_t c, xpc_object_t msg, uint64_t reply_to, bool wants_reply)
{
	if (c->fd < 0 && c->service_name && c->activated && !c->cancelled && !c->invalid_delivered)
		service_attach(c); /* the service went away: look it up again (launchd relaunches it) */
	if (c->fd < 0 || c->listener)
		return 0;
	uint8_t *body;
	size_t len, nfds;
	int fds[XPC_WIRE_MAX_FDS];
	if (xpc_wire_encode(msg, &body, &len, fds, &nfds) != 0 || len > MESSAGE_MAX) {
		if (len > MESSAGE_MAX)
			free(body);
		return 0;
	}
	uint64_t id = c->next_id++;
	uint8_t pkt[PACKET_MAX];
	size_t off = 0;
	do {
		size_t chunk = len - off > FRAGMENT_MAX ? FRAGMENT_MAX : len - off;
		bool first = off == 0, more = off + chunk < len;
		put32(pkt, FRAME_MAGIC);
		pkt[4] = FRAME_VERSION;
		pkt[5] = (uint8_t)((more ? FRAME_MORE : 0) | (wants_reply ? FRAME_WANTS_REPLY : 0));
		pkt[6] = FRAME_HDR, pkt[7] = 0;
		put64(pkt + 8, id);
		put64(pkt + 16, reply_to);
		put32(pkt + 24, (uint32_t)len);
		put32(pkt + 28, first ? (uint32_t)nfds : 0);
		memcpy(pkt + FRAME_HDR, body + off, chunk);
		size_t plen = FRAME_HDR + chunk;
		int err = c->out_head ? EAGAIN : send_packet(c->fd, pkt, plen, first ? fds : NULL, first ? nfds : 0);
		if (err == EAGAIN && c->out_bytes + plen > c->max_queued) {
			char why[96];
			snprintf(why, sizeof(why), "the peer does not read its messages (%zu bytes queued)", c->out_bytes);
			free(body);
			invalidate(c, why);
			return 0;
		}
		if (err == EAGAIN)
			queue_packet(c, pkt, plen, first ? fds : NULL, first ? nfds : 0);
		else if (err) {
			free(body);
			send_failed(c, err);
			return 0;
		}
		off += chunk;
	} while (off < len);
	free(body);
	return id;
}

void xpc_connection_send_message(xpc_connection_t c, xpc_object_t msg)
{
	uint64_t reply_to = msg && msg->type == XPC_TYPE_DICTIONARY ? msg->dict.reply_to : 0;
	send_frames(c, msg, reply_to, false);
}

void xpc_connection_send_message_with_reply_f(xpc_connection_t c, xpc_object_t msg,
	void *context, xpc_handler_f handler)
{
	uint64_t id = send_frames(c, msg, 0, true);
	if (!id) {
		/* an interrupted service connection answers with the interruption's reason */
		xpc_object_t e = c->interrupt_error && !c->invalid_delivered ? xpc_retain(c->interrupt_error)
									       : invalid_error(c);
		handler(context, e);
		xpc_release(e);
		return;
	}
	struct pending_reply *p = xpc_xalloc(sizeof(*p));
	p->id = id;
	p->handler = handler;
	p->context = context;
	p->next = c->pending;
	c->pending = p;
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

/* Reads one packet. Returns 1 with a complete message in *out, 0 if more is needed, -1 on EOF/error. */
/* Decodes a complete message body and attaches what the transport knows about it. */
static int finish_message(xpc_connection_t c, const uint8_t *body, size_t len, int *fds, size_t nfds, uint64_t id,
	bool wants_reply, uint64_t reply_to, const struct ucred *cred, int pidfd, xpc_object_t *out)
{
	xpc_object_t msg;
	char why[160];
	if (xpc_wire_decode(body, len, fds, nfds, &msg, why, sizeof(why))) {
		if (pidfd >= 0)
			close(pidfd);
		protocol_error(c, why);
		return -1;
	}
	if (msg->type != XPC_TYPE_DICTIONARY) {
		xpc_release(msg);
		if (pidfd >= 0)
			close(pidfd);
		protocol_error(c, "message root is not a dictionary");
		return -1;
	}
	struct xpc_msg_meta *m = xpc_xalloc(sizeof(*m));
	m->conn = (xpc_connection_t)xpc_retain(&c->base);
	m->id = id;
	m->pid = cred->pid;
	m->uid = cred->uid;
	m->gid = cred->gid;
	m->wants_reply = wants_reply;
	m->pidfd = pidfd;
	msg->dict.meta = m;
	msg->dict.reply_to = reply_to; /* remembered for matching in route_reply() */
	c->pid = m->pid; /* the peer as of its latest message */
	c->uid = m->uid;
	c->gid = m->gid;
	*out = msg;
	return 1;
}

/* wait: block in the receive (the descriptor is in blocking mode unless its owner changed that). */
static int read_packet(xpc_connection_t c, xpc_object_t *out, bool wait)
{
	uint8_t pkt[PACKET_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(int) * XPC_WIRE_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred)) +
			CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf)};
	ssize_t n;
	do
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		if (!service_lost(c))
			invalidate(c, n == 0 ? "the peer closed the connection" : strerror(errno));
		return -1;
	}
	int fds[XPC_WIRE_MAX_FDS];
	size_t nfds = 0;
	int pidfd = -1;
	struct ucred cred = {0}; /* never defaulted: a message without attested credentials is refused */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (nfds < XPC_WIRE_MAX_FDS)
					fds[nfds++] = fd;
				else
					close(fd);
			}
		} else if (cm->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
		} else if (cm->cmsg_type == GANTRY_SCM_PIDFD && pidfd < 0) {
			memcpy(&pidfd, CMSG_DATA(cm), sizeof(int));
		}
	}
	if (cred.pid <= 0) { /* no SCM_CREDENTIALS, or the kernel had none to attach */
		close_fds(fds, nfds);
		if (pidfd >= 0)
			close(pidfd);
		protocol_error(c, "message without kernel-attested credentials");
		return -1;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		close_fds(fds, nfds);
		if (pidfd >= 0)
			close(pidfd);
		protocol_error(c, "packet or descriptor list too large");
		return -1;
	}
	if (n < FRAME_HDR || get32(pkt) != FRAME_MAGIC || pkt[4] != FRAME_VERSION || pkt[6] != FRAME_HDR) {
		close_fds(fds, nfds);
		if (pidfd >= 0)
			close(pidfd);
		protocol_error(c, "bad frame header (not a Gantry XPC peer, or another version)");
		return -1;
	}
	uint8_t flags = pkt[5];
	uint64_t id = get64(pkt + 8), reply_to = get64(pkt + 16);
	uint32_t total = get32(pkt + 24), want_fds = get32(pkt + 28);
	size_t chunk = (size_t)n - FRAME_HDR;
	if (!c->frag_buf) {
		if (total > c->max_message || want_fds != nfds || chunk > total ||
		    (!(flags & FRAME_MORE) && chunk != total)) {
			close_fds(fds, nfds);
			if (pidfd >= 0)
				close(pidfd);
			protocol_error(c, "inconsistent frame lengths or descriptor count");
			return -1;
		}
		if (!(flags & FRAME_MORE)) /* the common case: the whole message in one packet */
			return finish_message(c, pkt + FRAME_HDR, chunk, fds, nfds, id, flags & FRAME_WANTS_REPLY, reply_to,
				&cred, pidfd, out);
		c->frag_cap = chunk ? chunk : 1;
		c->frag_buf = xpc_xalloc(c->frag_cap);
		c->frag_total = total;
		c->frag_have = 0;
		c->frag_id = id;
		c->frag_wants_reply = flags & FRAME_WANTS_REPLY;
		memcpy(c->frag_fds, fds, nfds * sizeof(int));
		c->frag_nfds = nfds;
		c->frag_cred = cred;
		c->frag_pidfd = pidfd;
		pidfd = -1;
	} else if (id != c->frag_id || nfds || c->frag_have + chunk > c->frag_total ||
		   cred.pid != c->frag_cred.pid || cred.uid != c->frag_cred.uid) {
		close_fds(fds, nfds);
		if (pidfd >= 0)
			close(pidfd);
		protocol_error(c, "interleaved or oversized fragment");
		return -1;
	}
	if (c->frag_have + chunk > c->frag_cap) {
		c->frag_cap = c->frag_cap * 2 > c->frag_have + chunk ? c->frag_cap * 2 : c->frag_have + chunk;
		if (c->frag_cap > c->frag_total)
			c->frag_cap = c->frag_total;
		c->frag_buf = xpc_xrealloc(c->frag_buf, c->frag_cap);
	}
	if (pidfd >= 0)
		close(pidfd); /* continuation: the first fragment's pidfd speaks for the message */
	memcpy(c->frag_buf + c->frag_have, pkt + FRAME_HDR, chunk);
	c->frag_have += chunk;
	if (flags & FRAME_MORE)
		return 0;
	if (c->frag_have != c->frag_total) {
		protocol_error(c, "message shorter than announced");
		return -1;
	}
	size_t nfds_all = c->frag_nfds;
	c->frag_nfds = 0; /* the decoder owns the descriptors now */
	int frag_pidfd = c->frag_pidfd;
	c->frag_pidfd = -1;
	int r = finish_message(c, c->frag_buf, c->frag_total, c->frag_fds, nfds_all, c->frag_id,
		c->frag_wants_reply, reply_to, &c->frag_cred, frag_pidfd, out);
	free(c->frag_buf); /* NULL if a protocol error already dropped it */
	c->frag_buf = NULL;
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
			p->handler(p->context, ev);
			free(p);
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
	if (!c->requirement || c->service_listener || c->attaching ||
	    peer_satisfies(c, msg->dict.meta, why, sizeof(why)))
		return false;
	free(c->requirement_failure);
	c->requirement_failure = xpc_xstrdup(why);
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
	free(c->requirement_failure);
	c->requirement_failure = xpc_xstrdup("the peer refused the message: this process does not satisfy the peer's "
		"requirement");
	uint64_t to = msg->dict.reply_to;
	msg->dict.reply_to = 0;
	answer_pending(c, to, XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT);
	return true;
}

/* Replies and launchd's own messages are handled here; the rest goes to the handler. */
static bool consume(xpc_connection_t c, xpc_object_t msg)
{
	return refused(c, msg) || refused_by_peer(c, msg) || route_reply(c, msg) || (c->service_listener && service_listener_event(c, msg)) ||
	       (c->service_name && service_error_event(c, msg));
}

void conn_deliver_peer(xpc_connection_t listener, int fd)
{
	xpc_connection_t peer = conn_alloc(fd);
	if (listener->requirement)
		peer->requirement = xpc_retain(listener->requirement);
	read_peer_cred(peer);
	deliver(listener, &peer->base);
	xpc_release(&peer->base);
}

static void accept_clients(xpc_connection_t c)
{
	for (int i = 0; i < DISPATCH_BUDGET; i++) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		conn_deliver_peer(c, fd);
	}
}

void xpc_connection_dispatch(xpc_connection_t c)
{
	if (c->fd < 0 || !c->activated || c->suspend_count > 0)
		return;
	xpc_retain(&c->base);
	if (c->listener) {
		if (c->door >= 0)
			anonymous_accept(c, DISPATCH_BUDGET);
		else
			accept_clients(c);
		xpc_release(&c->base);
		return;
	}
	while (c->inbox_head && c->fd >= 0) {
		struct inbox_item *i = c->inbox_head;
		c->inbox_head = i->next;
		if (!c->inbox_head)
			c->inbox_tail = NULL;
		deliver(c, i->msg);
		xpc_release(i->msg);
		free(i);
	}
	if (c->out_head && !flush(c)) {
		xpc_release(&c->base);
		return;
	}
	/* a peer that does not take what we send gets nothing more read: its replies cannot pile up */
	for (int budget = DISPATCH_BUDGET; budget > 0 && c->fd >= 0 && !c->suspend_count && !c->out_head; budget--) {
		xpc_object_t msg = NULL;
		int r = read_packet(c, &msg, false);
		if (r < 0)
			break;
		if (r == 0) {
			if (c->frag_buf)
				continue; /* a fragment arrived; try for the next */
			break;
		}
		if (!consume(c, msg))
			deliver(c, msg);
		xpc_release(msg);
	}
	xpc_release(&c->base);
}

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
		if (c->out_head && !flush(c))
			break;
		bool block = can_block && !c->out_head && c->fd >= 0;
		if (!block) {
			int wait = -1;
			if (deadline >= 0) {
				int64_t left = deadline - now_ms();
				if (left <= 0)
					break;
				wait = (int)left;
			}
			struct pollfd pfd = {.fd = c->fd, .events = POLLIN | (c->out_head ? POLLOUT : 0)};
			int pr = poll(&pfd, 1, wait);
			if (pr < 0 && errno != EINTR)
				break;
			if (pr <= 0)
				continue;
		}
		xpc_object_t in = NULL;
		int r;
		while (!slot.reply && (r = read_packet(c, &in, block)) != -1) {
			if (r == 0) {
				if (block && !c->frag_buf)
					can_block = false; /* its owner made the descriptor non-blocking: poll instead */
				if (!c->frag_buf)
					break;
				continue;
			}
			block = false; /* drain what else arrived without waiting */
			if (!consume(c, in)) {
				struct inbox_item *i = xpc_xalloc(sizeof(*i));
				i->msg = in;
				if (c->inbox_tail)
					c->inbox_tail->next = i;
				else
					c->inbox_head = i;
				c->inbox_tail = i;
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
	return invalid_error(c);
}

xpc_object_t xpc_connection_send_message_with_reply_sync(xpc_connection_t c, xpc_object_t msg)
{
	return xpc_connection_send_message_with_reply_sync_timeout(c, msg, -1);
}
