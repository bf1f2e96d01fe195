/* launchctl log's routine (logreq.c): jobs' captured output and domains' events. */
#ifndef GANTRY_LOGREQ_H
#define GANTRY_LOGREQ_H

#include "control.h"

extern const struct routine log_routines[];

#endif
