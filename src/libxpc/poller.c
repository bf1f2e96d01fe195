/*
 * One round of polling: the activated connections of one kind (libxpc's
 * thread's, or the caller-driven ones) and an optional extra descriptor,
 * waited on with libxpc unlocked, then the ready ones dispatched (their
 * handler calls run as the lock is released). libxpc's thread runs rounds
 * forever, xpc_run_once() one, and a synchronous wait on libxpc's thread
 * runs rounds until its reply arrives, so that a handler waiting for another
 * connection of its own process does not wait for itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn_internal.h"
#include "oom.h"

int lib_poll_round(bool threaded, int extra_fd, int timeout_ms)
{
	xpc_connection_t *all;
	size_t n = active_snapshot(&all);
	struct pollfd *p = xpc_xalloc((n + 1) * sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		xpc_connection_t c = all[i];
		bool mine = c->threaded == threaded && conn_pollable(c);
		p[i] = (struct pollfd){.fd = mine ? c->fd : -1, .events = (short)(POLLIN | (c->out.head ? POLLOUT : 0))};
		if (mine && c->inbox.head)
			timeout_ms = 0; /* messages that arrived during a synchronous wait */
	}
	p[n] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
	lib_unlock(); /* held once (lib_outermost): runs the calls posted so far, and lets go */
	int r = poll(p, (nfds_t)n + 1, timeout_ms);
	lib_lock();
	uint64_t count;
	if (r > 0 && extra_fd >= 0 && p[n].revents && read(extra_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		gantry_oom(); /* an eventfd read fails only when it is zero (EAGAIN) */
	int dispatched = 0;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (p[i].fd >= 0 && (p[i].revents || all[i]->inbox.head)) {
			conn_dispatch_locked(all[i]);
			dispatched++;
		}
	}
	for (size_t i = 0; i < n; i++)
		xpc_release(&all[i]->base);
	free(all);
	free(p);
	return r < 0 && errno != EINTR ? -1 : dispatched;
}
