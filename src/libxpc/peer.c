/*
 * Peer requirements (see <xpc/xpc.h>): checking the kernel-attested identity
 * of each message's sender against a requirement dictionary. The executable
 * is read from /proc by pid and then confirmed with the message's pidfd: if
 * the sender had exited (and its pid could have been recycled by another
 * program) the pidfd says so and the check fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conn_internal.h"

static const char *const known_keys[] = {"uid", "gid", "executable"};

static bool key_known(void *ctx, const char *key, xpc_object_t v)
{
	bool *ok = ctx;
	bool found = false;
	for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		found |= strcmp(key, known_keys[i]) == 0;
	xpc_type_t want = strcmp(key, "executable") == 0 ? XPC_TYPE_STRING : XPC_TYPE_INT64;
	if (!found || xpc_get_type(v) != want)
		*ok = false;
	return *ok;
}

int xpc_connection_set_peer_requirement(xpc_connection_t c, xpc_object_t requirement)
{
	bool ok = xpc_get_type(requirement) == XPC_TYPE_DICTIONARY;
	if (ok)
		xpc_dictionary_apply_f(requirement, &ok, key_known);
	if (!ok)
		return EINVAL;
	if (c->requirement)
		return EALREADY; /* Apple terminates the process; Gantry refuses */
	c->requirement = xpc_copy(requirement);
	conn_enable_pidfd(c);
	return 0;
}

char *xpc_connection_copy_peer_requirement_failure(xpc_connection_t c)
{
	return c->requirement_failure ? xpc_xstrdup(c->requirement_failure) : NULL;
}

void conn_enable_pidfd(xpc_connection_t c)
{
	int one = 1;
	if (c->fd >= 0 && c->requirement)
		setsockopt(c->fd, SOL_SOCKET, GANTRY_SO_PASSPIDFD, &one, sizeof(one)); /* Linux 6.5+; else pid only */
}

/* The pid a pidfd refers to, from /proc/self/fdinfo; -1 if it has exited. */
static pid_t pidfd_pid(int pidfd)
{
	char path[64], line[128];
	pid_t pid = -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

static bool executable_matches(const struct xpc_msg_meta *m, const char *want, char *why, size_t len)
{
	char link[64], exe[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)m->pid);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0) {
		snprintf(why, len, "cannot read the executable of pid %d: %s", (int)m->pid, strerror(errno));
		return false;
	}
	exe[n] = '\0';
	/* The sender still runs under that pid, so the path read was its own. */
	if (m->pidfd >= 0 && (syscall(SYS_pidfd_send_signal, m->pidfd, 0, NULL, 0) < 0 || pidfd_pid(m->pidfd) != m->pid)) {
		snprintf(why, len, "pid %d exited before its identity could be checked", (int)m->pid);
		return false;
	}
	if (strcmp(exe, want) != 0) {
		snprintf(why, len, "pid %d runs %s, not %s", (int)m->pid, exe, want);
		return false;
	}
	return true;
}

bool peer_satisfies(xpc_object_t req, const struct xpc_msg_meta *m, char *why, size_t len)
{
	xpc_object_t v;
	if ((v = xpc_dictionary_get_value(req, "uid")) && xpc_int64_get_value(v) != (int64_t)m->uid) {
		snprintf(why, len, "pid %d has uid %u, not %lld", (int)m->pid, (unsigned)m->uid,
			(long long)xpc_int64_get_value(v));
		return false;
	}
	if ((v = xpc_dictionary_get_value(req, "gid")) && xpc_int64_get_value(v) != (int64_t)m->gid) {
		snprintf(why, len, "pid %d has gid %u, not %lld", (int)m->pid, (unsigned)m->gid,
			(long long)xpc_int64_get_value(v));
		return false;
	}
	if ((v = xpc_dictionary_get_value(req, "executable")))
		return executable_matches(m, xpc_string_get_string_ptr(v), why, len);
	return true;
}
