/*
 * Connection sockets: listening on and connecting to a path
 * (AF_UNIX SOCK_SEQPACKET), and wrapping a descriptor someone else made.
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
#include "oom.h"

static char *format_cause(const char *what, const char *path, int err)
{
	char *s = NULL;
	if (asprintf(&s, "%s %s: %s", what, path, strerror(err)) < 0)
		gantry_oom();
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

