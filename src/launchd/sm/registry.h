/*
 * The registry of background items (Service Management's analogue of
 * macOS's Background Task Management database): what each registration
 * points at in its bundle, its content digests and its approval. One file
 * in the state directory, written atomically; launchd is its only writer.
 */
#ifndef GANTRY_REGISTRY_H
#define GANTRY_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "launchd.h"

enum sm_kind { SM_DAEMON, SM_AGENT, SM_LOGIN_ITEM, SM_MAIN_APP };
enum sm_approval { SM_PENDING, SM_APPROVED, SM_DENIED };

/* Why an item does not run as registered (mirrors SMStatusReason in ServiceManagement.h). */
enum sm_reason {
	SMR_NONE,
	SMR_NOT_REGISTERED,
	SMR_AWAITING_APPROVAL,
	SMR_APPROVAL_REVOKED,
	SMR_DISABLED_BY_OVERRIDE,
	SMR_PLIST_MISSING,
	SMR_EXECUTABLE_MISSING,
	SMR_BUNDLE_MISSING,
	SMR_RECORD_STALE,
	SMR_UNSAFE_OWNERSHIP,
	SMR_INVALID_PLIST,
	SMR_LAUNCH_FAILED,        /* its job failed to spawn or exited with an error */
	SMR_LAUNCHD_UNAVAILABLE,  /* the library's own: launchd did not answer */
	SMR_NOT_LOADED,           /* eligible, but launchd has no job for it (booted out earlier) */
	SMR_AWAITING_LOGIN,       /* an agent of a user with no login session of its type: loads at login */
};

struct sm_item {
	struct sm_item *next;
	char domain[32];          /* "system" or "gui/<uid>" */
	char *label;
	enum sm_kind kind;
	char *name;               /* the plist name or login-item identifier given to register */
	char *bundle;             /* the app bundle, absolute and resolved */
	char *bundle_id, *version;
	char *plist;              /* NULL for login items and the main app */
	char *exe;
	char plist_sha[SHA256_HEX_LEN + 1], exe_sha[SHA256_HEX_LEN + 1];
	uid_t owner;              /* who registered it */
	enum sm_approval approval;
	int64_t registered, updated, approval_changed; /* seconds since the epoch */
	bool leaving;             /* being removed: registry_save() leaves it out */
	/* not stored: the last reconciliation's verdict */
	enum sm_reason reason;
	char detail[1024];
	char **services;          /* the MachServices its plist advertises (NULL-terminated), for lookups' reasons */
};

extern struct sm_item *g_registry;

/* Reads the registry file; a corrupt file is moved aside and logged. */
void registry_load(void);
/*
 * Writes it atomically, without the items marked leaving. Returns 0 or an
 * errno with e set; callers then put memory back as the disk has it.
 */
int registry_save(struct gerror *e);
struct sm_item *registry_find(const char *domain, const char *label);
/* Inserts item (the registry owns it). */
void registry_add(struct sm_item *item);
/* Unlinks and frees item. */
void registry_remove(struct sm_item *item);
void sm_item_free(struct sm_item *item);
const char *sm_kind_name(enum sm_kind k);
const char *sm_approval_name(enum sm_approval a);
const char *sm_reason_name(enum sm_reason r);

#endif
