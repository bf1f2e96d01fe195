/*
 * Named services (launchd's MachServices) of a job: the listener that
 * checked in, and the connections clients opened before it did. A client's
 * lookup gets one end of a fresh socketpair; the other end goes to the
 * listener, now or at check-in, so messages sent early wait in the socket in
 * order and, once connected, client and service talk directly.
 */
#ifndef GANTRY_ENDPOINT_H
#define GANTRY_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "launchd.h"

struct job;
struct domain;

/* Connections held for a service before it checks in; more are refused. */
#define ENDPOINT_MAX_PENDING 1024

struct endpoint {
	const char *name;         /* the spec's MachServices key */
	xpc_connection_t listener; /* launchd's side of the checked-in listener */
	int *pending;             /* service ends waiting for the listener */
	size_t npending;
	unsigned long connections; /* clients served since load */
	bool for_next_instance;   /* pending ends queued after the listener closed: the next run takes them */
};

void endpoints_create(struct job *j);
void endpoints_free(struct job *j);
/* The job and endpoint advertising name in d, or NULL. */
struct job *endpoint_find(struct domain *d, const char *name, struct endpoint **ep);
/* Opens a connection to the service; *client_fd is the caller's end. */
int endpoint_connect(struct job *j, struct endpoint *ep, int *client_fd, struct gerror *e);
/* j's process checks in as the listener for name; conn is its connection to launchd. */
int endpoint_checkin(struct job *j, const char *name, xpc_connection_t conn, struct gerror *e);
/* Sends the connections that waited for name's check-in (after its reply). */
void endpoint_flush(struct job *j, const char *name);
/*
 * The job failed before its listener checked in (spawn failure, exit, crash):
 * every waiting client is told why ("… exited with status 3 before checking in").
 */
void endpoints_failed(struct job *j, int code, const char *why);
/* The job's process is gone: its listeners are too. */
void endpoints_job_exited(struct job *j);
/* launchd is about to stop the job: its listeners get XPC_ERROR_TERMINATION_IMMINENT. */
void endpoints_termination_imminent(struct job *j);
/* Do connections wait for an instance that is not running yet? */
bool endpoints_waiting(const struct job *j);

#endif
