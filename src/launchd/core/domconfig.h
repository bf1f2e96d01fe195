/*
 * A domain's persistent configuration (launchctl config system|user umask|path VALUE): the umask and PATH
 * that its jobs start with unless their plist says otherwise. Kept in the state directory (config.plist
 * for system, config.<uid>.plist for a user's gui and user domains), saved atomically; unlike macOS, it
 * takes effect for jobs started afterwards, without a reboot.
 */
#ifndef GANTRY_DOMCONFIG_H
#define GANTRY_DOMCONFIG_H

#include <limits.h>

#include "launchd.h"

struct domain_config {
	char file[PATH_MAX];
	int umask;  /* -1: unset */
	char *path; /* NULL: launchd's default PATH */
};

/* Loads file (missing: nothing set; unreadable or invalid: logged, nothing set). */
void domconfig_load(struct domain_config *c, const char *file);
/* Sets key ("umask": octal, "path": a PATH) to value and saves; on failure nothing changes and e says why. */
int domconfig_set(struct domain_config *c, const char *key, const char *value, struct gerror *e);

#endif
