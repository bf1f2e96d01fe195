/*
 * Service Management's routines: the requests behind SMAppService
 * (register, unregister, status), `launchctl background` (list, approve,
 * deny, reset), SMJobSubmit and friends (smjobs.c) and SMJobBless
 * (smbless.c).
 */
#ifndef GANTRY_SMREQUESTS_H
#define GANTRY_SMREQUESTS_H

#include <stdbool.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "control.h"

/* The routines (control.h). */
extern const struct routine sm_routines[];

#endif
