/*
 * Shared by background.c (applying and reconciling items) and
 * smrequests.c (the requests): nothing else includes this.
 */
#ifndef GANTRY_BACKGROUND_INTERNAL_H
#define GANTRY_BACKGROUND_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <xpc/xpc.h>

#include "job.h"
#include "pending.h"
#include "registry.h"

struct domain;

int64_t sm_now(void);
/* Puts a Service Management error (kSMError code and cause) into reply. */
void sm_fail(xpc_object_t reply, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Apple's four statuses from a reason. */
int sm_status_of(enum sm_reason r);
void sm_put_status(xpc_object_t reply, enum sm_reason r, const char *detail);
/* Does a root-owned rules file pre-approve the item? */
bool sm_preapproved(const struct sm_item *it, const char *label);
/* The item's reason from approval and overrides (d NULL: its domain does not exist yet). */
void sm_gate_detail(struct sm_item *it, const struct domain *d);
struct job *sm_item_job(const char *domain, const char *label);
/* Boots out the item's job; with pr that reply also waits. True if there was one. */
bool sm_stop_job(const char *domain, const char *label, struct pending_reply *pr);
/* Boots out the item's job; true if reply now waits for it to be gone. */
bool sm_stop_job_replying(const char *domain, const char *label, xpc_object_t reply);
/* Runs the job iff the item is approved and enabled (replacing a loaded one if asked). True if reply waits. */
bool sm_apply(struct sm_item *it, struct job_spec *spec, bool replace, xpc_object_t reply);
bool sm_same_content(const struct sm_item *a, const struct sm_item *b);
/* Takes over the bundle's current paths and digests from fresh (freed). */
void sm_adopt(struct sm_item *it, struct sm_item *fresh);
/* Watches the item's bundle (sm_forget stops it). */
void sm_watch(struct sm_item *it);
/* Exchanges what came from the bundle between two records (the watched bundle follows a). */
void sm_swap_content(struct sm_item *a, struct sm_item *b);
/* Checks an item against its bundle, booting out what is gone or unsafe. */
void sm_reconcile(struct sm_item *it);
/* Forgets an item (no longer watched). */
void sm_forget(struct sm_item *it);

#endif
