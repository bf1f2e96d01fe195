/*
 * Replies that wait: a request answered when the jobs it waits for have
 * started or are gone (bootout of several paths, kickstart, Service
 * Management's unregister). The request layer's side of a job's waiters
 * (job.h): jobs report milestones, this file turns them into replies.
 */
#ifndef GANTRY_PENDING_H
#define GANTRY_PENDING_H

#include <xpc/xpc.h>

#include "job.h"

/* A reply sent once every job it waits for is done. */
struct pending_reply {
	xpc_object_t reply;
	int count;
	/* if set, called instead of sending the reply when the last wait is over; it sends it */
	void (*then)(xpc_object_t reply, void *ctx);
	void *then_ctx;
};

/* Creates a reply that is sent when count waits have finished (the client's connection holds one more). */
struct pending_reply *pending_reply_create(xpc_object_t reply, int count);
/* Frees a pending reply nobody waits on any more (its reply was sent or is dropped). */
void pending_reply_free(struct pending_reply *pr);
/* pr waits for j to reach milestone; the first error sticks, the last wait sends pr's reply. */
void pending_wait(struct job *j, enum job_milestone milestone, struct pending_reply *pr);
/*
 * Boots j out; once it is gone, then(reply, ctx) runs and must send reply
 * (reply may be NULL when nobody waits: then gets a dictionary nobody reads).
 */
void pending_remove_job(struct job *j, xpc_object_t reply, void (*then)(xpc_object_t reply, void *ctx), void *ctx);

#endif
