/*
 * The control routines (requests.c): one handler per routine, found by
 * name, and the helper every handler uses to resolve its target domain.
 */
#ifndef GANTRY_REQUESTS_H
#define GANTRY_REQUESTS_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

struct domain;

/* A routine's handler: fills reply; returns true when the reply is sent later. */
typedef bool (*request_handler)(xpc_object_t msg, xpc_object_t reply, uid_t caller);
/* The handler of a routine, or NULL for an unknown one. */
request_handler requests_find(const char *routine);
/* The request's "domain" (default: system for root, gui/<uid> otherwise), checked for write; NULL with the error in reply. */
struct domain *request_domain(xpc_object_t msg, xpc_object_t reply, uid_t caller, bool write);

#endif
