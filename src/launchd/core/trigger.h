/*
 * The interface between the daemon core and the trigger kinds (timers,
 * paths, sockets, mounts: triggers/). The core arms, syncs, asks and
 * disarms every kind through this table and names none of them; a kind
 * starts its job with job_trigger(). Adding a kind is one table entry in
 * triggers.c (plus its spec keys and its start reason).
 */
#ifndef GANTRY_TRIGGER_H
#define GANTRY_TRIGGER_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "launchd.h"
#include "spawn.h"

struct job;
struct job_spec;

/* Every hook may be NULL: the kind has nothing to do then. */
struct trigger_kind {
	const char *name;
	/*
	 * At load, before the job exists, with the rights of owner (the domain's user, taken by the caller): takes
	 * what the job will hold (binds its sockets) so a load that cannot have it fails. *held goes to arm().
	 */
	int (*acquire)(struct job_spec *spec, uid_t owner, void **held, struct gerror *e);
	/* Gives back what acquire() took, for a load that failed later. */
	void (*release)(void *held);
	/* The job was created (held: what acquire() took, or NULL). */
	void (*arm)(struct job *j, void *held);
	/* The job is being freed. */
	void (*disarm)(struct job *j);
	/* After every state change (sockets are watched only while the job waits). */
	void (*sync)(struct job *j);
	/* Does work wait for the job (a queue directory holds an entry)? */
	bool (*pending)(const struct job *j);
	/* Descriptors the next instance gets, or NULL. */
	const struct spawn_fds *(*spawn_fds)(struct job *j, struct spawn_fds *buf);
	/* print: what the kind shows of the job. */
	void (*describe)(const struct job *j, xpc_object_t d);
};

/* The most kinds a launchd has. */
#define TRIGGER_KINDS_MAX 8

/* for each kind k (a const struct trigger_kind *const *) in g_launchd.hooks.triggers */
#define EACH_TRIGGER_KIND(k) \
	for (const struct trigger_kind *const *k = g_launchd.hooks.triggers; k && *k; k++)

#endif
