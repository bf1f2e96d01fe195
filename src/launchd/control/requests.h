/*
 * The control routines of launchctl's verbs (requests.c), and the helper
 * every handler uses to resolve its target domain.
 */
#ifndef GANTRY_REQUESTS_H
#define GANTRY_REQUESTS_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "control.h"

struct domain;

/* The routines (control.h). */
extern const struct routine request_routines[];
/* The request's "domain" (default: system for root, gui/<uid> otherwise), checked for write; NULL with the error in reply. */
struct domain *request_domain(xpc_object_t msg, xpc_object_t reply, uid_t caller, bool write);

#endif
