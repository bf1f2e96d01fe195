/*
 * The requests behind SMAppService (register, unregister, status) and
 * `launchctl background` (list, approve, deny, reset), in smrequests.c.
 */
#ifndef GANTRY_SMREQUESTS_H
#define GANTRY_SMREQUESTS_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

bool req_sm_register(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_sm_unregister(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_sm_status(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_list(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_approve(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_deny(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_bg_reset(xpc_object_t msg, xpc_object_t reply, uid_t caller);

#endif
