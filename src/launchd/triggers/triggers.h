/* The trigger kinds this launchd has (trigger.h), in the order the core runs them. */
#ifndef GANTRY_TRIGGERS_H
#define GANTRY_TRIGGERS_H

#include "trigger.h"

/* NULL-terminated; at most TRIGGER_KINDS_MAX. */
extern const struct trigger_kind *const trigger_kinds[];

#endif
