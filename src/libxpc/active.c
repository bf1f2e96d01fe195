/*
 * The activated connections: each is listed from activation until its
 * final XPC_ERROR_CONNECTION_INVALID, and the list holds a reference (Apple's
 * rule: an active connection lives until it is cancelled or its peer goes
 * away, whether or not its creator keeps a reference). The run loop
 * (runloop.c) polls what is listed here.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "conn_internal.h"

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static xpc_connection_t run_head;
static size_t run_count;

void active_add(xpc_connection_t c)
{
	pthread_mutex_lock(&run_lock);
	if (!c->run.listed) {
		c->run.listed = true;
		xpc_retain(&c->base);
		c->run.prev = NULL;
		c->run.next = run_head;
		if (run_head)
			run_head->run.prev = c;
		run_head = c;
		run_count++;
	}
	pthread_mutex_unlock(&run_lock);
}

void active_remove(xpc_connection_t c)
{
	pthread_mutex_lock(&run_lock);
	bool listed = c->run.listed;
	if (listed) {
		c->run.listed = false;
		if (c->run.prev)
			c->run.prev->run.next = c->run.next;
		else
			run_head = c->run.next;
		if (c->run.next)
			c->run.next->run.prev = c->run.prev;
		run_count--;
	}
	pthread_mutex_unlock(&run_lock);
	if (listed)
		xpc_release(&c->base);
}

size_t active_snapshot(xpc_connection_t **out)
{
	pthread_mutex_lock(&run_lock);
	xpc_connection_t *all = xpc_xalloc((run_count ? run_count : 1) * sizeof(*all));
	size_t n = 0;
	for (xpc_connection_t c = run_head; c; c = c->run.next)
		all[n++] = (xpc_connection_t)xpc_retain(&c->base);
	pthread_mutex_unlock(&run_lock);
	*out = all;
	return n;
}
