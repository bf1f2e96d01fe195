/*
 * Service Management: turning (kind, bundle, name) into a registry item and
 * the job spec launchd runs, with every check a registration must pass —
 * the plist, BundleProgram, the executable, who owns the bundle, and for
 * daemons that no user but root can change a file that runs as root.
 */
#ifndef GANTRY_SMDERIVE_H
#define GANTRY_SMDERIVE_H

#include "registry.h"
#include "spec.h"

/*
 * Reads the bundle. On success returns 0 with *item (not yet in the
 * registry) and *spec; otherwise a kSMError* code with e->detail naming the
 * cause and *reason the status it means.
 */
int sm_derive(enum sm_kind kind, const char *bundle, const char *name, uid_t caller, struct sm_item **item,
	struct job_spec **spec, enum sm_reason *reason, struct gerror *e);

/* Re-derives a registered item from disk: 0 if it is loadable as it is now. */
int sm_rederive(const struct sm_item *it, struct sm_item **fresh, struct job_spec **spec, enum sm_reason *reason,
	struct gerror *e);

/*
 * A file that runs as root must not be changeable by anyone else: it and
 * every directory above it root-owned and not writable by group or others.
 * Returns 0, or SME_INVALID_SIGNATURE with the offending path in e.
 */
int sm_check_root_only(const char *path, struct gerror *e, enum sm_reason *reason);

/* kSMError codes (ServiceManagement.h), which launchd does not include. */
enum {
	SME_INTERNAL = 2,
	SME_INVALID_SIGNATURE = 3,
	SME_AUTHORIZATION = 4,
	SME_TOOL_NOT_VALID = 5,
	SME_JOB_NOT_FOUND = 6,
	SME_SERVICE_UNAVAILABLE = 7,
	SME_PLIST_NOT_FOUND = 8,
	SME_MUST_BE_ENABLED = 9,
	SME_INVALID_PLIST = 10,
	SME_DENIED = 11,
};
/* Apple's name of a kSMError code ("Job not found"). */
const char *sm_error_text(int code);

#endif
