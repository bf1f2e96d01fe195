/*
 * Persistent enable/disable overrides of one domain (launchd's
 * disabled.plist): label -> disabled, saved atomically on every change,
 * and taken again from the file whenever another program changes it.
 */
#ifndef GANTRY_OVERRIDES_H
#define GANTRY_OVERRIDES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "launchd.h"

struct override {
	char *label;
	bool disabled;
};

struct overrides {
	char path[PATH_MAX];
	struct override *entries;
	size_t count;
};

/* Loads path and watches it; a missing file is an empty set. A corrupt file at start is moved aside and logged. */
void overrides_load(struct overrides *ov, const char *path);
/* Returns true and sets *disabled when label has an override. */
bool overrides_get(const struct overrides *ov, const char *label, bool *disabled);
/* Sets and saves, over what the file holds now; on a failed save the old state is kept and e says why. */
int overrides_set(struct overrides *ov, const char *label, bool disabled, struct gerror *e);
void overrides_free(struct overrides *ov);

#endif
