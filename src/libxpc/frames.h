/*
 * Framing: Gantry's XPC packets on an AF_UNIX SOCK_SEQPACKET socket — the
 * 32-byte header (docs/wire-format.md), fragments of large messages,
 * descriptors (SCM_RIGHTS) and kernel-attested senders (SCM_CREDENTIALS,
 * SCM_PIDFD) — and the reassembly of a fragmented message. It reads and
 * writes packets and says what arrived; what a connection then does is
 * connection.c's.
 */
#ifndef GANTRY_XPC_FRAMES_H
#define GANTRY_XPC_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "internal.h"

#define FRAME_HDR 32
/* One packet: well under the default socket buffer (212992 bytes). */
#define PACKET_MAX (64 * 1024)
#define FRAGMENT_MAX (PACKET_MAX - FRAME_HDR)
/* Linux 6.5's SCM_PIDFD, missing from older headers. */
#define GANTRY_SCM_PIDFD 0x04

/* A message being reassembled from fragments (buf NULL: none). */
struct frame_in {
	uint8_t *buf; /* grows with what arrived, not with what was announced */
	size_t have, total, cap;
	uint64_t id;
	bool wants_reply;
	int fds[XPC_WIRE_MAX_FDS];
	size_t nfds;
	struct ucred cred;
	int pidfd; /* -1 if none */
};

/* A complete message as it arrived. */
struct frame_msg {
	const uint8_t *body;
	size_t len;
	int *fds; /* the receiver owns them, and pidfd */
	size_t nfds;
	uint64_t id, reply_to;
	bool wants_reply;
	struct ucred cred; /* never defaulted: pid > 0 */
	int pidfd;         /* the sender, if the socket passes pidfds; else -1 */
};

enum frame_status {
	FRAME_AGAIN,    /* nothing to read */
	FRAME_PARTIAL,  /* a fragment was kept; more are needed */
	FRAME_COMPLETE, /* *m is a whole message */
	FRAME_CLOSED,   /* end of file or a receive error (why) */
	FRAME_INVALID,  /* a protocol error (why); nothing received is left open */
};

/*
 * Reads one packet from fd (wait: blocking) into pkt. FRAME_COMPLETE: *m
 * points into pkt or into in's buffer; call frame_in_done(in) once the body
 * is decoded. A message longer than max_message is invalid.
 */
enum frame_status frame_read(int fd, bool wait, size_t max_message, struct frame_in *in, uint8_t pkt[PACKET_MAX],
	struct frame_msg *m, char *why, size_t why_len);
/* The reassembly buffer of a complete message is no longer needed. */
void frame_in_done(struct frame_in *in);
/* Drops a partial message and its descriptors. */
void frame_in_reset(struct frame_in *in);
/* The header of one fragment of message id (total bytes, nfds descriptors with the first fragment). */
void frame_header(uint8_t pkt[FRAME_HDR], uint64_t id, uint64_t reply_to, bool more, bool wants_reply, uint32_t total,
	uint32_t nfds);
/* Sends one packet and its descriptors without blocking: 0 or an errno (EAGAIN: the socket is full). */
int frame_send(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds);
void frame_close_fds(const int *fds, size_t n);

#endif
