/*
 * Wiring the daemon: which layer answers each hook the core calls up
 * through (launchd.h) — the control layer delivers to clients, Service
 * Management loads registered items, triggers.c lists the trigger kinds.
 */
#ifndef GANTRY_HOOKS_H
#define GANTRY_HOOKS_H

#include "control.h"

/* Fills g_launchd.hooks and puts the real system calls behind the core's seam (sys.h); called once, first. */
void hooks_install(void);
/* Every control routine: launchctl's verbs, services' (xpcrequests.c), Service Management's (control_start's tables). */
extern const struct routine *const launchd_routines[];

#endif
