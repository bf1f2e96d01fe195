/*
 * Anonymous listeners and endpoints: xpc_connection_create(NULL, NULL),
 * xpc_endpoint_create() and xpc_connection_create_from_endpoint(). An
 * endpoint is a descriptor (the "door") of a socket pair whose other end the
 * listener polls; connecting sends the listener one end of a fresh socket
 * pair through the door (docs/wire-format.md, "Endpoints").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_internal.h"
#include "oom.h"

#define DOOR_KNOCK "GXPE"
#define DOOR_KNOCK_LEN 4

static const struct conn_kind door_kind;

xpc_connection_t xpc_connection_create(const char *name, void *queue)
{
	if (name) /* an XPC service of the calling app's bundle: launchd finds and starts it */
		return service_create_bundled(name, queue);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
		xpc_connection_t c = conn_alloc(-1);
		if (asprintf(&c->connect_error, "cannot create an anonymous listener: %s", strerror(errno)) < 0)
			gantry_oom();
		return c;
	}
	xpc_connection_t c = conn_alloc(sv[0]);
	c->threaded = queue != XPC_QUEUE_CALLER;
	c->listener = true;
	c->kind = &door_kind;
	c->door = sv[1];
	return c;
}

xpc_endpoint_t xpc_endpoint_create(xpc_connection_t c)
{
	if (!c || c->door < 0)
		return NULL; /* only anonymous listeners have endpoints */
	xpc_object_t e = xpc_fd_create(c->door);
	if (e)
		e->type = XPC_TYPE_ENDPOINT;
	return e;
}

xpc_connection_t xpc_connection_create_from_endpoint(xpc_endpoint_t endpoint)
{
	int sv[2] = {-1, -1};
	char *cause = NULL;
	if (xpc_get_type(endpoint) != XPC_TYPE_ENDPOINT) {
		cause = xpc_xstrdup("not an endpoint");
	} else if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		if (asprintf(&cause, "cannot create a socket pair: %s", strerror(errno)) < 0)
			gantry_oom();
	} else {
		conn_passcred(sv[1]); /* attested credentials from the first message the listener reads */
		struct iovec iov = {.iov_base = DOOR_KNOCK, .iov_len = DOOR_KNOCK_LEN};
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf)};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
		if (sendmsg(endpoint->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    asprintf(&cause, "the endpoint's listener %s", errno == EPIPE || errno == ECONNRESET ?
			"is gone (cancelled, or its process exited)" : errno == EAGAIN ?
			"is not accepting (its queue is full)" : strerror(errno)) < 0)
			gantry_oom();
		close(sv[1]);
	}
	if (cause) {
		if (sv[0] >= 0)
			close(sv[0]);
		xpc_connection_t c = conn_alloc(-1);
		c->connect_error = cause;
		return c;
	}
	xpc_connection_t c = conn_alloc(sv[0]);
	read_peer_cred(c); /* until the listener's first message, the credentials are our own */
	return c;
}

/* Reads knocks on an anonymous listener's door: each brings a new peer. */
static void door_accept(xpc_connection_t c, int budget)
{
	while (budget-- > 0 && conn_open(c)) {
		char buf[DOOR_KNOCK_LEN + 1];
		union {
			char buf[CMSG_SPACE(sizeof(int) * 4)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0)
			return;
		int fd = -1;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k = cm->cmsg_type == SCM_RIGHTS ? (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;
			for (size_t i = 0; i < k; i++) {
				int got;
				memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (fd < 0 && i == 0)
					fd = got;
				else
					close(got);
			}
		}
		int type = 0;
		socklen_t tlen = sizeof(type);
		bool knock = fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_SEQPACKET &&
			     n == DOOR_KNOCK_LEN && memcmp(buf, DOOR_KNOCK, DOOR_KNOCK_LEN) == 0 &&
			     !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
		if (!knock) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		conn_deliver_peer(c, fd);
	}
}

static const struct conn_kind door_kind = {.accept = door_accept};
