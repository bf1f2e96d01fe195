/* libServiceManagement internals: the launchd round trip shared by the modern and legacy calls. */
#ifndef GANTRY_LIBSM_INTERNAL_H
#define GANTRY_LIBSM_INTERNAL_H

#include <ServiceManagement/ServiceManagement.h>

/* Long enough for an update that waits out a job's ExitTimeOut (20 s by default) and its SIGKILL. */
#define SM_REPLY_TIMEOUT_MS 120000

/*
 * Sends request to launchd (the system one if system) and returns the reply,
 * or NULL with error filled: launchd unreachable (kSMErrorServiceUnavailable),
 * its own error (kSMErrorInternalFailure, or not_found_code for "no such
 * job"), or a Service Management error it reported.
 */
xpc_object_t sm_call(xpc_object_t request, bool system, int not_found_code, SMError *error);
void sm_set_error(SMError *error, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
