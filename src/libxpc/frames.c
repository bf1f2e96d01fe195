/* Packets on the socket and reassembly (see frames.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frames.h"

/* Frame header, little-endian; see docs/wire-format.md. */
#define FRAME_MAGIC 0x31505847u /* "GXP1" */
#define FRAME_VERSION 1
#define FRAME_MORE 0x01 /* more fragments of this message follow */
#define FRAME_WANTS_REPLY 0x02

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

void frame_close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

void frame_header(uint8_t pkt[FRAME_HDR], uint64_t id, uint64_t reply_to, bool more, bool wants_reply, uint32_t total,
	uint32_t nfds)
{
	put32(pkt, FRAME_MAGIC);
	pkt[4] = FRAME_VERSION;
	pkt[5] = (uint8_t)((more ? FRAME_MORE : 0) | (wants_reply ? FRAME_WANTS_REPLY : 0));
	pkt[6] = FRAME_HDR, pkt[7] = 0;
	put64(pkt + 8, id);
	put64(pkt + 16, reply_to);
	put32(pkt + 24, total);
	put32(pkt + 28, nfds);
}

int frame_send(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds)
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

void frame_in_done(struct frame_in *in)
{
	free(in->buf);
	in->buf = NULL;
}

void frame_in_reset(struct frame_in *in)
{
	frame_close_fds(in->fds, in->nfds);
	in->nfds = 0;
	if (in->pidfd >= 0)
		close(in->pidfd);
	in->pidfd = -1;
	frame_in_done(in);
}

/* What one packet carried besides its bytes. */
struct packet_extras {
	int fds[XPC_WIRE_MAX_FDS];
	size_t nfds;
	int pidfd;
	struct ucred cred;
	bool has_cred; /* SCM_CREDENTIALS came with the packet */
};

static void take_extras(struct msghdr *mh, struct packet_extras *x)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (x->nfds < XPC_WIRE_MAX_FDS)
					x->fds[x->nfds++] = fd;
				else
					close(fd);
			}
		} else if (cm->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&x->cred, CMSG_DATA(cm), sizeof(x->cred));
			x->has_cred = true;
		} else if (cm->cmsg_type == GANTRY_SCM_PIDFD && x->pidfd < 0) {
			memcpy(&x->pidfd, CMSG_DATA(cm), sizeof(int));
		}
	}
}

/* The one way out for a bad packet: what it carried is closed, the partial message dropped, why set. */
static enum frame_status invalid(struct frame_in *in, struct packet_extras *x, char *why, size_t len, const char *what)
{
	frame_close_fds(x->fds, x->nfds);
	if (x->pidfd >= 0)
		close(x->pidfd);
	frame_in_reset(in);
	snprintf(why, len, "%s", what);
	return FRAME_INVALID;
}

/* The first fragment of a longer message: start reassembling it. */
static void begin_message(struct frame_in *in, const uint8_t *pkt, size_t chunk, struct packet_extras *x)
{
	in->cap = chunk ? chunk : 1;
	in->buf = xpc_xalloc(in->cap);
	in->total = get32(pkt + 24);
	in->have = 0;
	in->id = get64(pkt + 8);
	in->wants_reply = pkt[5] & FRAME_WANTS_REPLY;
	memcpy(in->fds, x->fds, x->nfds * sizeof(int));
	in->nfds = x->nfds;
	in->cred = x->cred;
	in->pidfd = x->pidfd;
	x->nfds = 0;
	x->pidfd = -1;
}

static void append_chunk(struct frame_in *in, const uint8_t *data, size_t chunk)
{
	if (in->have + chunk > in->cap) {
		in->cap = in->cap * 2 > in->have + chunk ? in->cap * 2 : in->have + chunk;
		if (in->cap > in->total)
			in->cap = in->total;
		in->buf = xpc_xrealloc(in->buf, in->cap);
	}
	memcpy(in->buf + in->have, data, chunk);
	in->have += chunk;
}

/* A header is valid for what it starts or continues; NULL, or what is wrong with it. */
static const char *check_header(const struct frame_in *in, const uint8_t *pkt, size_t n, const struct packet_extras *x,
	size_t max_message)
{
	if (n < FRAME_HDR || get32(pkt) != FRAME_MAGIC || pkt[4] != FRAME_VERSION || pkt[6] != FRAME_HDR)
		return "bad frame header (not a Gantry XPC peer, or another version)";
	uint32_t total = get32(pkt + 24);
	size_t chunk = n - FRAME_HDR;
	if (!in->buf) {
		if (total > max_message || get32(pkt + 28) != x->nfds || chunk > total ||
		    (!(pkt[5] & FRAME_MORE) && chunk != total))
			return "inconsistent frame lengths or descriptor count";
		return NULL;
	}
	if (get64(pkt + 8) != in->id || x->nfds || in->have + chunk > in->total || x->cred.pid != in->cred.pid ||
	    x->cred.uid != in->cred.uid)
		return "interleaved or oversized fragment";
	return NULL;
}

enum frame_status frame_read(int fd, bool wait, size_t max_message, struct frame_in *in, uint8_t pkt[PACKET_MAX],
	struct frame_msg *m, char *why, size_t why_len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * XPC_WIRE_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred)) +
			CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = pkt, .iov_len = PACKET_MAX};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return FRAME_AGAIN;
	if (n <= 0) {
		snprintf(why, why_len, "%s", n == 0 ? "the peer closed the connection" : strerror(errno));
		return FRAME_CLOSED;
	}
	struct packet_extras x = {.pidfd = -1}; /* credentials never defaulted */
	take_extras(&mh, &x);
	if (x.cred.pid == 0 && x.has_cred) /* the kernel attached them but the sender's pid has no number here */
		return invalid(in, &x, why, why_len, "a sender outside this process's PID namespace (its pid is not "
			"visible here; run the client inside the namespace, e.g. with nsenter or `podman exec`)");
	if (x.cred.pid <= 0) /* no SCM_CREDENTIALS, or the kernel had none to attach */
		return invalid(in, &x, why, why_len, "message without kernel-attested credentials");
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return invalid(in, &x, why, why_len, "packet or descriptor list too large");
	const char *bad = check_header(in, pkt, (size_t)n, &x, max_message);
	if (bad)
		return invalid(in, &x, why, why_len, bad);
	size_t chunk = (size_t)n - FRAME_HDR;
	bool more = pkt[5] & FRAME_MORE;
	*m = (struct frame_msg){.body = pkt + FRAME_HDR, .len = chunk, .fds = in->fds, .nfds = x.nfds,
		.id = get64(pkt + 8), .reply_to = get64(pkt + 16), .wants_reply = pkt[5] & FRAME_WANTS_REPLY,
		.cred = x.cred, .pidfd = x.pidfd};
	if (!in->buf && !more) { /* the common case: the whole message in one packet */
		memcpy(in->fds, x.fds, x.nfds * sizeof(int));
		return FRAME_COMPLETE;
	}
	if (!in->buf)
		begin_message(in, pkt, chunk, &x);
	else if (x.pidfd >= 0) {
		close(x.pidfd); /* continuation: the first fragment's pidfd speaks for the message */
		x.pidfd = -1;
	}
	append_chunk(in, pkt + FRAME_HDR, chunk);
	if (more)
		return FRAME_PARTIAL;
	if (in->have != in->total)
		return invalid(in, &x, why, why_len, "message shorter than announced");
	*m = (struct frame_msg){.body = in->buf, .len = in->total, .fds = in->fds, .nfds = in->nfds, .id = in->id,
		.reply_to = m->reply_to, .wants_reply = in->wants_reply, .cred = in->cred, .pidfd = in->pidfd};
	in->nfds = 0; /* the receiver owns the descriptors now */
	in->pidfd = -1;
	return FRAME_COMPLETE;
}
