/*
 * Helpers shared by the verb files of launchctl.
 */
#ifndef GANTRY_VERBS_H
#define GANTRY_VERBS_H

#include <stdbool.h>
#include <xpc/xpc.h>

#include "launchctl.h"

extern const struct verb modern_verbs[], legacy_verbs[], info_verbs[], background_verbs[];

int usage_error(const char *verb, const char *why);
/* Removes --json from argv; true if it was there. */
bool want_json(int *argc, char **argv);
xpc_object_t absolute_paths(int argc, char **argv);
/* Sends req (released), prints any error as "<what> failed: ..." and returns its code. */
int call(xpc_object_t req, const char *what, xpc_object_t *reply);
int parse_signal(const char *s);

#endif
