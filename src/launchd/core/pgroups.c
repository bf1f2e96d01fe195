/* Leftover process groups of exited jobs, and adopted processes being stopped (see pgroups.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "loop.h"
#include "oom.h"
#include "pgroups.h"

struct leftover {
	struct timer t;
	pid_t target; /* kill()'s: -pgid for a group, pid for one process */
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
	kill(l->target, SIGKILL); /* ESRCH: it ended in time */
	forget(l);
}

static void terminate(pid_t target, int timeout_s)
{
	if (kill(target, SIGTERM) < 0)
		return; /* nobody left */
	struct leftover *l = calloc(1, sizeof(*l));
	if (!l)
		gantry_oom();
	l->target = target;
	timer_init(&l->t, on_deadline);
	timer_arm_in(&l->t, (int64_t)(timeout_s > 0 ? timeout_s : 1) * 1000);
	l->next = leftovers;
	l->prev = &leftovers;
	if (leftovers)
		leftovers->prev = &l->next;
	leftovers = l;
}

void pgroups_terminate(pid_t pgid, int timeout_s)
{
	if (pgid > 1)
		terminate(-pgid, timeout_s);
}

void pgroups_terminate_process(pid_t pid, int timeout_s)
{
	if (pid > 1)
		terminate(pid, timeout_s);
}

void pgroups_forget_process(pid_t pid)
{
	for (struct leftover *l = leftovers; l; l = l->next) {
		if (l->target == pid) {
			forget(l);
			return;
		}
	}
}

bool pgroups_pending(void)
{
	for (struct leftover *l = leftovers, *next; l; l = next) {
		next = l->next;
		if (kill(l->target, 0) < 0 && errno == ESRCH)
			forget(l); /* it ended before its deadline */
	}
	return leftovers != NULL;
}

void pgroups_kill_all(void)
{
	while (leftovers) {
		kill(leftovers->target, SIGKILL);
		forget(leftovers);
	}
}
