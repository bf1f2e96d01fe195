/* The launchd requests behind the legacy Service Management calls (smjobs.c). */
#ifndef GANTRY_SMJOBS_H
#define GANTRY_SMJOBS_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

bool req_submit_job(xpc_object_t msg, xpc_object_t reply, uid_t caller);
bool req_job_dictionary(xpc_object_t msg, xpc_object_t reply, uid_t caller);

#endif
