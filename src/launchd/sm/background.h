/*
 * Service Management inside launchd: keeping launchd's job table in line
 * with the registry — at start, when a user's domain appears, and on every
 * request (the requests themselves: smrequests.h).
 */
#ifndef GANTRY_BACKGROUND_H
#define GANTRY_BACKGROUND_H

#include <stdbool.h>
#include <xpc/xpc.h>

struct domain;

/* Reads the registry and the pre-approval rules (once, at start). */
void sm_start(void);
/* Loads the domain's registered items (its "login"); called when it is created. */
void sm_load_domain(struct domain *d);
/* Is label in d a registered item (whose plist in a job directory must not load)? */
bool sm_owns_label(const struct domain *d, const char *label);
/* A registered item of d that advertises name but does not run (awaiting approval, denied, ...): why, in why. */
bool sm_lookup_reason(const struct domain *d, const char *name, char *why, size_t len);

#endif
