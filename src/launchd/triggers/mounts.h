/* StartOnMount: starting jobs when a filesystem is mounted (mounts.c). */
#ifndef GANTRY_MOUNTS_H
#define GANTRY_MOUNTS_H

#include "trigger.h"

/* The mount table is watched while any StartOnMount job is loaded (trigger.h). */
extern const struct trigger_kind mounts_trigger;

#endif
