/* SMJobBless mapped to Linux (smbless.c): the request that installs a privileged helper. */
#ifndef GANTRY_SMBLESS_H
#define GANTRY_SMBLESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

bool req_sm_bless(xpc_object_t msg, xpc_object_t reply, uid_t caller);

#endif
