/*
 * Paths opened for a job (trusted.c): the symbolic-link rule, and the output
 * files launchd opens and rotates in the job's place.
 */
#ifndef GANTRY_TRUSTED_H
#define GANTRY_TRUSTED_H

#include <sys/types.h>

#include "spawn.h"

/* Code that runs in spawn's vfork-style child is not instrumented: ASan cannot follow it. */
#define CHILD_CODE __attribute__((no_sanitize_address))

/*
 * open(2) of path that follows no symbolic link owned by anyone but root or trusted; no allocation
 * (runs in spawn's child). A descriptor, or -1 with errno (EPERM with *owner: the link's owner).
 */
int trusted_open(const char *path, int flags, uid_t trusted, uid_t *owner);

#endif
