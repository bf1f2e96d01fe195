/* Routines for what jobs started afterwards get: setenv, unsetenv, getenv, limit (settings.c). */
#ifndef GANTRY_SETTINGS_H
#define GANTRY_SETTINGS_H

#include "control.h"

/* The routines (control.h). */
extern const struct routine settings_routines[];

#endif
