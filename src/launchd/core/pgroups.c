/* Leftover process groups of exited jobs (see pgroups.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "loop.h"
#include "pgroups.h"

struct leftover {
	struct timer t;
	pid_t pgid;
	struct leftover *next, **prev;
};

static struct leftover *leftovers;

static void forget(struct leftover *l)
{
	timer_cancel(&l->t);
	*l->prev = l->next;
	if (l->next)
		l->next->prev = l->prev;
	free(l);
}

static void on_deadline(struct timer *t)
{
	struct leftover *l = container_of(t, struct leftover, t);
	kill(-l->pgid, SIGKILL); /* ESRCH: the group emptied in time */
	forget(l);
}

void pgroups_terminate(pid_t pgid, int timeout_s)
{
	if (pgid <= 1 || kill(-pgid, SIGTERM) < 0)
		return; /* nobody left in the group */
	struct leftover *l = calloc(1, sizeof(*l));
	if (!l)
		abort();
	l->pgid = pgid;
	timer_init(&l->t, on_deadline);
	timer_arm_in(&l->t, (int64_t)(timeout_s > 0 ? timeout_s : 1) * 1000);
	l->next = leftovers;
	l->prev = &leftovers;
	if (leftovers)
		leftovers->prev = &l->next;
	leftovers = l;
}

void pgroups_kill_all(void)
{
	while (leftovers) {
		kill(-leftovers->pgid, SIGKILL);
		forget(leftovers);
	}
}
