/*
 * Service Management inside launchd: the requests behind SMAppService
 * (register, unregister, status) and `launchctl background` (list, approve,
 * deny, reset), and keeping launchd's job table in line with the registry
 * — at start, when a user's domain appears, and on every request.
 */
#ifndef GANTRY_BACKGROUND_H
#define GANTRY_BACKGROUND_H

#include <stdbool.h>
#include <xpc/xpc.h>

struct domain;

/* Reads the registry and the pre-approval rules (once, at start). */
void background_start(void);
/* Loads the domain's registered items (its "login"); called when it is created. */
void background_load_domain(struct domain *d);
/* Is label in d a registered item (whose plist in a job directory must not load)? */
bool background_owns(const struct domain *d, const char *label);

/* A watched path changed: if it is a registered bundle that is gone, its items are booted out. */

bool req_sm_register(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_sm_unregister(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_sm_status(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_list(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_approve(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_deny(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_reset(xpc_object_t msg, xpc_object_t reply, uid_t caller);

#endif
