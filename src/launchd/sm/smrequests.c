/*
 * The Service Management requests (see background.h): register, unregister
 * and status for libServiceManagement, and list, approve, deny and reset for
 * `launchctl background`. The work is in background.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "background.h"
#include "background_internal.h"
#include "control.h"
#include "domain.h"
#include "errors.h"
#include "log.h"
#include "pending.h"
#include "protocol.h"
#include "registry.h"
#include "smderive.h"
#include "smbless.h"
#include "smjobs.h"
#include "smrequests.h"

static const char *const kind_args[] = {"daemon", "agent", "login-item", "main-app"};

/* What a libServiceManagement request names: a kind, a bundle and a plist name or identifier. */
struct sm_request {
	enum sm_kind kind;
	const char *bundle, *name;
};

static bool parse_request(xpc_object_t msg, xpc_object_t reply, struct sm_request *r)
{
	const char *k = xpc_dictionary_get_string(msg, KEY_KIND);
	r->bundle = xpc_dictionary_get_string(msg, KEY_BUNDLE);
	r->name = xpc_dictionary_get_string(msg, KEY_NAME);
	r->bundle = r->bundle ? r->bundle : "";
	r->name = r->name ? r->name : "";
	for (int i = 0; k && i < 4; i++)
		if (strcmp(k, kind_args[i]) == 0) {
			r->kind = (enum sm_kind)i;
			return true;
		}
	sm_fail(reply, SME_INTERNAL, "unknown kind \"%s\" (daemon, agent, login-item, main-app)", k ? k : "");
	return false;
}

/* The registered item a (kind, bundle, name) request means, or NULL. */
static struct sm_item *find_requested(enum sm_kind kind, const char *bundle, const char *name, uid_t caller)
{
	char real[PATH_MAX], domain[32];
	if (!realpath(bundle, real))
		snprintf(real, sizeof(real), "%s", bundle);
	if (kind == SM_DAEMON)
		snprintf(domain, sizeof(domain), "system");
	else
		snprintf(domain, sizeof(domain), "gui/%u", (unsigned)caller);
	for (struct sm_item *it = g_registry; it; it = it->next)
		if (it->kind == kind && strcmp(it->domain, domain) == 0 && strcmp(it->name, name) == 0 &&
		    strcmp(it->bundle, real) == 0)
			return it;
	return NULL;
}

/* Checks a registration against another one of the same label, or refuses it. */
static int may_take_label(const struct sm_item *old, const struct sm_item *fresh, xpc_object_t reply)
{
	struct stat st;
	if (old->kind != fresh->kind) {
		sm_fail(reply, SME_AUTHORIZATION, "%s/%s is already registered as a %s of %s", old->domain, old->label,
			sm_kind_name(old->kind), old->bundle);
		return -1;
	}
	bool same_app = old->bundle_id && fresh->bundle_id && strcmp(old->bundle_id, fresh->bundle_id) == 0;
	if (strcmp(old->bundle, fresh->bundle) != 0 && !same_app && stat(old->bundle, &st) == 0) {
		sm_fail(reply, SME_AUTHORIZATION, "%s/%s belongs to %s (%s); another app may not take its label",
			old->domain, old->label, old->bundle, old->bundle_id ? old->bundle_id : "no bundle identifier");
		return -1;
	}
	if (old->approval == SM_DENIED) {
		sm_fail(reply, SME_DENIED, "an administrator denied %s/%s; it runs again once approved (launchctl "
			"background approve %s/%s)", old->domain, old->label, old->domain, old->label);
		return -1;
	}
	return 0;
}

static bool req_sm_register(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct sm_request r;
	if (!parse_request(msg, reply, &r))
		return false;
	if (r.kind == SM_DAEMON && !g_launchd.system) {
		sm_fail(reply, SME_SERVICE_UNAVAILABLE, "this launchd runs with --user; daemons register with the system "
			"launchd (launchd --system)");
		return false;
	}
	for (struct sm_item *other = g_registry; other; other = other->next)
		sm_reconcile(other); /* every register checks the whole registry against the disk */
	struct sm_item *fresh;
	struct job_spec *spec;
	enum sm_reason reason;
	struct gerror e = {0};
	if (sm_derive(r.kind, r.bundle, r.name, caller, &fresh, &spec, &reason, &e)) {
		sm_fail(reply, e.code, "%s", e.detail);
		sm_put_status(reply, reason, e.detail);
		return false;
	}
	struct sm_item *it = registry_find(fresh->domain, fresh->label);
	if (it && may_take_label(it, fresh, reply)) {
		sm_item_free(fresh);
		spec_free(spec);
		return false;
	}
	struct domain *d = domain_find_named(fresh->domain);
	struct job *loaded = d ? domain_find_job(d, fresh->label) : NULL;
	bool legacy = loaded && loaded->origin != ORIGIN_SM;
	bool changed = !it || !sm_same_content(it, fresh), added = !it;
	if (it && changed) {
		fresh->updated = sm_now();
		sm_swap_content(it, fresh); /* fresh now holds the previous content, until the new one is saved */
	} else if (it) {
		sm_item_free(fresh); /* the same content again: nothing to do but answer */
		fresh = NULL;
	} else {
		it = fresh;
		fresh = NULL;
		it->registered = it->updated = it->approval_changed = sm_now();
		it->approval = r.kind != SM_DAEMON || sm_preapproved(it, it->label) ? SM_APPROVED : SM_PENDING;
		registry_add(it);
		sm_watch(it);
	}
	if (changed && registry_save(&e)) { /* memory goes back to what the disk holds */
		sm_fail(reply, SME_INTERNAL, "%s; nothing was registered", e.detail);
		if (added)
			sm_forget(it);
		else
			sm_swap_content(it, fresh);
		sm_item_free(fresh);
		spec_free(spec);
		return false;
	}
	if (fresh)
		log_msg(LOG_INFO, "(%s/%s) registration updated by uid %u from %s", it->domain, it->label,
			(unsigned)caller, it->bundle);
	else if (added)
		log_msg(LOG_INFO, "(%s/%s) registered by uid %u from %s (%s)", it->domain, it->label, (unsigned)caller,
			it->bundle, sm_approval_name(it->approval));
	sm_item_free(fresh);
	if (r.kind == SM_MAIN_APP)
		spec->run_at_load = false; /* the main app starts at later logins, not now */
	bool later = sm_apply(it, spec, changed || legacy, reply);
	if (!later)
		sm_put_status(reply, it->reason, it->detail);
	return later;
}

static bool req_sm_unregister(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct sm_request r;
	if (!parse_request(msg, reply, &r))
		return false;
	struct sm_item *it = find_requested(r.kind, r.bundle, r.name, caller);
	if (!it) {
		sm_fail(reply, SME_JOB_NOT_FOUND, "%s \"%s\" of %s is not registered", kind_args[r.kind], r.name, r.bundle);
		return false;
	}
	char domain[32], label[512];
	snprintf(domain, sizeof(domain), "%s", it->domain);
	snprintf(label, sizeof(label), "%s", it->label);
	struct gerror e = {0};
	it->leaving = true;
	if (registry_save(&e)) { /* still registered, on disk and here */
		it->leaving = false;
		sm_fail(reply, SME_INTERNAL, "%s; it is still registered", e.detail);
		return false;
	}
	log_msg(LOG_INFO, "(%s/%s) unregistered by uid %u", domain, label, (unsigned)caller);
	sm_forget(it);
	return sm_stop_job_replying(domain, label, reply);
}

static bool req_sm_status(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct sm_request r;
	if (!parse_request(msg, reply, &r))
		return false;
	struct sm_item *it = find_requested(r.kind, r.bundle, r.name, caller);
	if (it) {
		sm_reconcile(it);
		sm_put_status(reply, it->reason, it->detail);
		return false;
	}
	struct sm_item *fresh;
	struct job_spec *spec;
	enum sm_reason reason;
	struct gerror e = {0};
	if (sm_derive(r.kind, r.bundle, r.name, caller, &fresh, &spec, &reason, &e)) {
		sm_put_status(reply, reason, e.detail); /* what register() would run into */
		return false;
	}
	spec_free(spec);
	sm_item_free(fresh);
	sm_put_status(reply, SMR_NOT_REGISTERED, "");
	return false;
}

static xpc_object_t describe_item(const struct sm_item *it)
{
	xpc_object_t d = xpc_dictionary_create_empty();
	char id[600];
	snprintf(id, sizeof(id), "%s/%s", it->domain, it->label);
	xpc_dictionary_set_string(d, KEY_ID, id);
	xpc_dictionary_set_string(d, KEY_DOMAIN, it->domain);
	xpc_dictionary_set_string(d, KEY_LABEL, it->label);
	xpc_dictionary_set_string(d, KEY_KIND, sm_kind_name(it->kind));
	xpc_dictionary_set_string(d, KEY_BUNDLE, it->bundle);
	xpc_dictionary_set_string(d, KEY_BUNDLE_IDENTIFIER, it->bundle_id ? it->bundle_id : "");
	xpc_dictionary_set_string(d, KEY_BUNDLE_VERSION, it->version ? it->version : "");
	xpc_dictionary_set_string(d, KEY_PLIST, it->plist ? it->plist : "");
	xpc_dictionary_set_string(d, KEY_PLIST_SHA256, it->plist_sha);
	xpc_dictionary_set_string(d, KEY_EXECUTABLE, it->exe);
	xpc_dictionary_set_string(d, KEY_EXECUTABLE_SHA256, it->exe_sha);
	xpc_dictionary_set_int64(d, KEY_OWNER, it->owner);
	xpc_dictionary_set_string(d, KEY_APPROVAL, sm_approval_name(it->approval));
	xpc_dictionary_set_int64(d, KEY_REGISTERED, it->registered);
	xpc_dictionary_set_int64(d, KEY_UPDATED, it->updated);
	xpc_dictionary_set_int64(d, KEY_APPROVAL_CHANGED, it->approval_changed);
	xpc_dictionary_set_int64(d, KEY_STATUS, sm_status_of(it->reason));
	xpc_dictionary_set_string(d, KEY_REASON, sm_reason_name(it->reason));
	xpc_dictionary_set_string(d, KEY_DETAIL, it->detail);
	struct job *j = sm_item_job(it->domain, it->label);
	xpc_dictionary_set_bool(d, KEY_LOADED, j != NULL);
	xpc_dictionary_set_int64(d, KEY_PID, j ? j->pid : 0);
	return d;
}

/* A job loaded from a job directory: a legacy background item (no approval, attributed to its apps). */
static xpc_object_t describe_legacy(const struct job *j)
{
	xpc_object_t d = xpc_dictionary_create_empty();
	char id[600];
	struct stat st;
	snprintf(id, sizeof(id), "%s/%s", j->domain->name, j->spec->label);
	xpc_dictionary_set_string(d, KEY_ID, id);
	xpc_dictionary_set_string(d, KEY_DOMAIN, j->domain->name);
	xpc_dictionary_set_string(d, KEY_LABEL, j->spec->label);
	xpc_dictionary_set_string(d, KEY_KIND, j->domain->kind == DOMAIN_SYSTEM ? "legacy-daemon" : "legacy-agent");
	xpc_dictionary_set_string(d, KEY_PLIST, j->spec->path ? j->spec->path : "");
	xpc_dictionary_set_string(d, KEY_EXECUTABLE, spec_program(j->spec) ? spec_program(j->spec) : "");
	xpc_object_t ids = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < j->spec->nassociated_ids; i++)
		xpc_array_set_string(ids, XPC_ARRAY_APPEND, j->spec->associated_ids[i]);
	xpc_dictionary_set_value(d, KEY_ASSOCIATED_BUNDLE_IDENTIFIERS, ids);
	xpc_release(ids);
	xpc_dictionary_set_int64(d, KEY_OWNER, j->spec->path && stat(j->spec->path, &st) == 0 ? st.st_uid : 0);
	xpc_dictionary_set_string(d, KEY_APPROVAL, "not needed (installed in a job directory)");
	xpc_dictionary_set_int64(d, KEY_PID, j->pid);
	return d;
}

static bool req_bg_list(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	(void)msg;
	(void)caller;
	xpc_object_t items = xpc_array_create(NULL, 0);
	for (struct sm_item *it = g_registry; it; it = it->next) {
		sm_reconcile(it);
		xpc_object_t d = describe_item(it);
		xpc_array_append_value(items, d);
		xpc_release(d);
	}
	xpc_object_t legacy = xpc_array_create(NULL, 0);
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		for (struct job *j = d->jobs; j; j = j->next)
			if (j->origin == ORIGIN_ADMIN || j->origin == ORIGIN_VENDOR || j->origin == ORIGIN_USER) {
				xpc_object_t o = describe_legacy(j);
				xpc_array_append_value(legacy, o);
				xpc_release(o);
			}
	xpc_dictionary_set_value(reply, KEY_LEGACY, legacy);
	xpc_release(legacy);
	xpc_dictionary_set_value(reply, KEY_ITEMS, items);
	xpc_release(items);
	return false;
}

/* The item an id ("system/LABEL", "gui/501/LABEL" or a label that is unique) names, checked for caller. */
static struct sm_item *find_id(const char *id, uid_t caller, xpc_object_t reply)
{
	struct sm_item *found = NULL;
	int matches = 0;
	for (struct sm_item *it = g_registry; id && it; it = it->next) {
		char full[600];
		snprintf(full, sizeof(full), "%s/%s", it->domain, it->label);
		if (strcmp(full, id) == 0 || strcmp(it->label, id) == 0) {
			found = it;
			matches += strcmp(full, id) == 0 ? 100 : 1;
		}
	}
	if (!found) {
		control_set_error(reply, LE_NO_SERVICE, "no background item \"%s\" (launchctl background list shows them)",
			id ? id : "");
		return NULL;
	}
	if (matches > 1 && matches < 100) {
		control_set_error(reply, LE_USAGE, "\"%s\" is registered in several domains; name one as DOMAIN/%s", id, id);
		return NULL;
	}
	if (caller != 0 && (caller != found->owner || found->kind == SM_DAEMON)) {
		control_set_error(reply, darwin_errno(EPERM), "%s/%s: only root may change daemons and other users' items",
			found->domain, found->label);
		return NULL;
	}
	return found;
}

static bool set_approval(xpc_object_t msg, xpc_object_t reply, uid_t caller, enum sm_approval to)
{
	struct sm_item *it = find_id(xpc_dictionary_get_string(msg, KEY_ID), caller, reply);
	if (!it)
		return false;
	struct gerror e = {0};
	if (it->approval != to) {
		enum sm_approval was = it->approval;
		int64_t changed = it->approval_changed;
		it->approval = to;
		it->approval_changed = sm_now();
		if (registry_save(&e)) { /* memory stays as the disk has it */
			it->approval = was;
			it->approval_changed = changed;
			control_set_error(reply, e.code, "%s; the approval did not change", e.detail);
			return false;
		}
		log_msg(LOG_INFO, "(%s/%s) %s by uid %u", it->domain, it->label, to == SM_APPROVED ? "approved" : "denied",
			(unsigned)caller);
	}
	struct sm_item *fresh;
	struct job_spec *spec;
	enum sm_reason reason;
	if (to == SM_DENIED) {
		sm_gate_detail(it, domain_find_named(it->domain));
		sm_put_status(reply, it->reason, it->detail);
		return sm_stop_job_replying(it->domain, it->label, reply);
	}
	if (sm_rederive(it, &fresh, &spec, &reason, &e)) {
		it->reason = reason;
		snprintf(it->detail, sizeof(it->detail), "%s", e.detail);
		sm_put_status(reply, reason, e.detail);
		return false;
	}
	sm_item_free(fresh);
	bool later = sm_apply(it, spec, false, reply);
	if (!later)
		sm_put_status(reply, it->reason, it->detail);
	return later;
}

static bool req_bg_approve(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	return set_approval(msg, reply, caller, SM_APPROVED);
}

static bool req_bg_deny(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	return set_approval(msg, reply, caller, SM_DENIED);
}

/* Forgets one item (or, without an id, every item the caller may reset) and boots out its job. */
static bool req_bg_reset(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	const char *id = xpc_dictionary_get_string(msg, KEY_ID);
	struct sm_item *one = id ? find_id(id, caller, reply) : NULL;
	if (id && !one)
		return false;
	int removed = 0;
	for (struct sm_item *it = g_registry; it; it = it->next) {
		it->leaving = (!one || it == one) && (one || caller == 0 || (it->owner == caller && it->kind != SM_DAEMON));
		removed += it->leaving;
	}
	struct gerror e = {0};
	if (removed && registry_save(&e)) { /* nothing forgotten: memory stays as the disk has it */
		for (struct sm_item *it = g_registry; it; it = it->next)
			it->leaving = false;
		control_set_error(reply, e.code, "%s; nothing was reset", e.detail);
		return false;
	}
	struct pending_reply *pr = pending_reply_create(reply, 1);
	for (struct sm_item *it = g_registry, *next; it; it = next) {
		next = it->next;
		if (!it->leaving)
			continue;
		log_msg(LOG_INFO, "(%s/%s) reset by uid %u", it->domain, it->label, (unsigned)caller);
		sm_stop_job(it->domain, it->label, pr);
		sm_forget(it);
	}
	xpc_dictionary_set_int64(reply, KEY_REMOVED, removed);
	bool later = pr->count > 1;
	pr->count--; /* the reference taken at creation */
	if (!later)
		pending_reply_free(pr);
	return later;
}

const struct routine sm_routines[] = {
	{ROUTINE_SM_REGISTER, req_sm_register},
	{ROUTINE_SM_UNREGISTER, req_sm_unregister},
	{ROUTINE_SM_STATUS, req_sm_status},
	{ROUTINE_BACKGROUND_LIST, req_bg_list},
	{ROUTINE_BACKGROUND_APPROVE, req_bg_approve},
	{ROUTINE_BACKGROUND_DENY, req_bg_deny},
	{ROUTINE_BACKGROUND_RESET, req_bg_reset},
	{ROUTINE_SUBMIT_JOB, req_submit_job},
	{ROUTINE_JOB_DICTIONARY, req_job_dictionary},
	{ROUTINE_SM_BLESS, req_sm_bless},
	{NULL, NULL},
};
