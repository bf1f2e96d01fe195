/*
 * Telling a service manager that started launchd how it is doing: systemd's
 * notification protocol ($NOTIFY_SOCKET, one datagram per state, no
 * libsystemd) — READY=1 once launchd's socket answers and its jobs are
 * loaded, STOPPING=1 when it begins to stop them. The variable is taken out
 * of launchd's environment at once, so no job inherits it and mistakes
 * itself for the service systemd waits on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct {
	int fd;
	struct sockaddr_un addr;
	socklen_t len;
} manager = {.fd = -1};

void notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n = path ? strlen(path) : 0;
	if (n && (path[0] == '/' || path[0] == '@') && n < sizeof(manager.addr.sun_path)) {
		manager.addr.sun_family = AF_UNIX;
		memcpy(manager.addr.sun_path, path, n);
		if (path[0] == '@')
			manager.addr.sun_path[0] = '\0'; /* an abstract socket */
		manager.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
		manager.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	} else if (n) {
		log_msg(LOG_WARNING, "NOTIFY_SOCKET \"%s\" is neither a path nor an abstract name; not notifying", path);
	}
	unsetenv("NOTIFY_SOCKET");
}

void notify_state(const char *state)
{
	if (manager.fd < 0)
		return;
	if (sendto(manager.fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&manager.addr, manager.len) < 0)
		log_msg(LOG_WARNING, "cannot notify the service manager (%.*s): %s", (int)strcspn(state, "\n"), state,
			strerror(errno));
}
