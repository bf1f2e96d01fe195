/* Login sessions' requests: pam_launchd.so's open and close, launchctl linger, asuser's environment. */
#ifndef GANTRY_SESSREQ_H
#define GANTRY_SESSREQ_H

#include "control.h"

extern const struct routine session_routines[];

#endif
