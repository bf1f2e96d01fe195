/*
 * XPC services inside app bundles (xpc_connection_create(name) from an app):
 * see xpcservices.c.
 */
#ifndef GANTRY_XPCSERVICES_H
#define GANTRY_XPCSERVICES_H

#include <sys/types.h>

#include "job.h"
#include "launchd.h"

/*
 * The job that runs the XPC service called name of the app process pid (uid
 * caller): found in the app's bundle, created on first use (a pid/<PID>
 * domain for ServiceType Application, the user's gui domain for User). NULL
 * with why in e: not an app, no such service in the bundle, an invalid
 * Info.plist, a missing executable.
 */
struct job *xpcsvc_lookup(pid_t pid, uid_t caller, const char *name, struct gerror *e);

#endif
