/*
 * Test helper: a socket-activated echo service. It gets its sockets from
 * LISTEN_FDS (systemd's protocol) or, with --activate NAME, from
 * launch_activate_socket(), then answers every stream connection and every
 * datagram with "pid <pid>: <what it got>" until --count answers were given
 * (default: forever). It checks LISTEN_PID like sd_listen_fds() does.
 */
#include <errno.h>
#include <launch.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 16

static void answer(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	char buf[1024], out[1100];
	if (type == SOCK_DGRAM) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		buf[n] = '\0';
		int m = snprintf(out, sizeof(out), "pid %d: %s", (int)getpid(), buf);
		sendto(fd, out, (size_t)m, 0, (struct sockaddr *)&from, flen);
		return;
	}
	int c = accept(fd, NULL, NULL);
	if (c < 0)
		return;
	ssize_t n = read(c, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	int m = snprintf(out, sizeof(out), "pid %d: %s", (int)getpid(), buf);
	if (write(c, out, (size_t)m) != m)
		perror("write");
	close(c);
}

int main(int argc, char **argv)
{
	int fds[MAX_FDS], nfds = 0, count = -1;
	const char *activate = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--activate") == 0)
			activate = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			count = atoi(argv[i + 1]);
	}
	if (activate) {
		int *got;
		size_t n;
		int err = launch_activate_socket(activate, &got, &n);
		if (err) {
			fprintf(stderr, "launch_activate_socket(%s): %s\n", activate, strerror(err));
			return 1;
		}
		int again = launch_activate_socket(activate, &(int *){NULL}, &(size_t){0});
		fprintf(stderr, "second activation: %s\n", strerror(again));
		for (size_t i = 0; i < n && nfds < MAX_FDS; i++)
			fds[nfds++] = got[i];
		free(got);
	} else {
		const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
		if (!pid || !n || atoi(pid) != getpid()) {
			fprintf(stderr, "LISTEN_PID %s is not our pid %d\n", pid ? pid : "(unset)", (int)getpid());
			return 1;
		}
		fprintf(stderr, "LISTEN_FDNAMES=%s\n", getenv("LISTEN_FDNAMES") ? getenv("LISTEN_FDNAMES") : "");
		for (int i = 0; i < atoi(n) && nfds < MAX_FDS; i++)
			fds[nfds++] = 3 + i;
	}
	for (; count != 0; count--) {
		struct pollfd p[MAX_FDS];
		for (int i = 0; i < nfds; i++)
			p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(p, (nfds_t)nfds, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < nfds; i++)
			if (p[i].revents & POLLIN)
				answer(fds[i]);
	}
	return 0;
}
