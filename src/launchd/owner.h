/*
 * One owner per domain: a user's gui/<uid> and user/<uid> belong to the
 * system launchd when one runs (it hosts every user's domains), so a
 * `launchd --user` started beside it would be a second launchd for the same
 * domains — jobs loaded twice, clients reaching one or the other. It refuses
 * to start and says which launchd owns them.
 */
#ifndef GANTRY_OWNER_H
#define GANTRY_OWNER_H

#include <stdbool.h>
#include <stddef.h>

/* Does a system launchd answer at root/run/launchd/launchd.sock? Then why says so, and what to do. */
bool owner_system_launchd_runs(const char *root, unsigned uid, char *why, size_t len);

#endif
