/* Replies that wait for jobs (see pending.h). */
#include <stdlib.h>

#include "control.h"
#include "pending.h"
#include "protocol.h"
#include "oom.h"

/* One job waiter answering into a pending reply. */
struct reply_wait {
	struct job_waiter w;
	struct pending_reply *pr;
};

struct pending_reply *pending_reply_create(xpc_object_t reply, int count)
{
	struct pending_reply *pr = calloc(1, sizeof(*pr));
	if (!pr)
		gantry_oom();
	pr->reply = xpc_retain(reply);
	pr->count = count;
	control_hold(reply);
	return pr;
}

void pending_reply_free(struct pending_reply *pr)
{
	control_unhold(pr->reply);
	xpc_release(pr->reply);
	free(pr);
}

/* One wait is over; the first error sticks; the last one sends the reply. */
static void pending_reply_done(struct pending_reply *pr, int code, const char *detail, pid_t pid)
{
	if (code && !xpc_dictionary_get_int64(pr->reply, KEY_ERROR))
		control_set_error(pr->reply, code, "%s", detail);
	else if (!code && pid)
		xpc_dictionary_set_int64(pr->reply, KEY_PID, pid);
	if (--pr->count > 0)
		return;
	if (pr->then)
		pr->then(pr->reply, pr->then_ctx); /* it sends the reply */
	else
		control_send(pr->reply);
	pending_reply_free(pr);
}

static void reply_wait_done(struct job_waiter *w, const struct job *j, int code, const char *detail)
{
	struct reply_wait *rw = container_of(w, struct reply_wait, w);
	pending_reply_done(rw->pr, code, detail, j->pid);
	free(rw);
}

void pending_wait(struct job *j, enum job_milestone milestone, struct pending_reply *pr)
{
	struct reply_wait *rw = calloc(1, sizeof(*rw));
	if (!rw)
		gantry_oom();
	rw->w.milestone = milestone;
	rw->w.done = reply_wait_done;
	rw->pr = pr;
	job_add_waiter(j, &rw->w);
}

void pending_remove_job(struct job *j, xpc_object_t reply, void (*then)(xpc_object_t reply, void *ctx), void *ctx)
{
	xpc_object_t r = reply ? xpc_retain(reply) : xpc_dictionary_create_empty(); /* nobody may be waiting */
	struct pending_reply *pr = pending_reply_create(r, 1);
	xpc_release(r);
	pr->then = then;
	pr->then_ctx = ctx;
	pending_wait(j, JOB_REMOVED, pr);
	job_event(j, EV_REMOVE);
}
