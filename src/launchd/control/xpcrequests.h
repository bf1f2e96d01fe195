/* The routines of a job's services: lookup, checkin, identify, activate-socket (xpcrequests.c). */
#ifndef GANTRY_XPCREQUESTS_H
#define GANTRY_XPCREQUESTS_H

#include "control.h"

/* The routines (control.h). */
extern const struct routine xpc_routines[];

#endif
