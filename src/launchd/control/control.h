/*
 * The control socket: accepts libxpc connections from launchctl and other
 * clients, routes each request to its handler — found by name in the
 * routine tables main.c hands it (requests.c, smrequests.c) — and sends the
 * replies, now or later (bootout waits for the job to be gone).
 */
#ifndef GANTRY_CONTROL_H
#define GANTRY_CONTROL_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "launchd.h"

/* A routine's handler: fills reply; returns true when the reply is sent later. */
typedef bool (*request_handler)(xpc_object_t msg, xpc_object_t reply, uid_t caller);
/* A table of routines, ended by an entry with a NULL name. */
struct routine {
	const char *name;
	request_handler handler;
};

/* Listens on path; requests are routed to the routines of tables (NULL-terminated). */
int control_start(const char *path, const struct routine *const *tables, struct gerror *e);
/* The handler of the routine called name in tables, or NULL. */
request_handler control_find_routine(const struct routine *const *tables, const char *name);
void control_stop(void);
/* Sends a reply made with xpc_dictionary_create_reply(). */
void control_send(xpc_object_t reply);
/*
 * A reply to a client's request will be sent later (a wait for a job):
 * each connection may have MAX_WAITING_REQUESTS such requests at once;
 * control_unhold() when the wait is over.
 */
void control_hold(xpc_object_t reply);
void control_unhold(xpc_object_t reply);
/* Sends a message to a connected client (a checked-in listener). */
void control_deliver(xpc_connection_t conn, xpc_object_t msg);
/* Sets the one error shape on a reply (protocol.h): a code of domain, its text, and the detail. */
void control_set_error_in(xpc_object_t reply, const char *domain, int code, const char *message, const char *detail);
/* The same for launchd's codes, the detail formatted. */
void control_set_error(xpc_object_t reply, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
