/*
 * Service Management in launchd: the approval gate, putting an item into
 * effect, and reconciliation (see background.h; the requests are in
 * smrequests.c). Every
 * item is re-derived from its bundle whenever it is looked at, so the
 * registry, launchd's jobs and the files on disk cannot drift apart: a
 * changed bundle is re-registered by register(), a deleted one is booted
 * out, and no state needs a reboot or a global reset to clear.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <errno.h>
#include <stdarg.h>

#include "background.h"
#include "background_internal.h"
#include "control.h"
#include "describe.h"
#include "domain.h"
#include "errors.h"
#include "log.h"
#include "protocol.h"
#include "pending.h"
#include "pathwatch.h"
#include "plistio.h"
#include "registry.h"
#include "smderive.h"
#include "oom.h"

/* Pre-approval rules for managed fleets, next to the admin job directories (root-owned). */
#define RULES_FILE "ServiceManagementRules.plist"

int64_t sm_now(void)
{
	return (int64_t)time(NULL);
}

void sm_fail(xpc_object_t reply, int code, const char *fmt, ...)
{
	char detail[GERROR_DETAIL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	control_set_error_in(reply, ERROR_DOMAIN_SM, code, sm_error_text(code), detail);
}

/* Apple's four statuses from Gantry's reasons. */
int sm_status_of(enum sm_reason r)
{
	switch (r) {
	case SMR_NONE:
	case SMR_LAUNCH_FAILED: /* registered and eligible to run; it is the process that fails */
	case SMR_RECORD_STALE:  /* registered and running the recorded version until register() again */
		return 1;
	case SMR_AWAITING_APPROVAL:
	case SMR_APPROVAL_REVOKED:
	case SMR_DISABLED_BY_OVERRIDE:
		return 2;
	case SMR_NOT_REGISTERED:
		return 0;
	default:
		return 3;
	}
}

void sm_put_status(xpc_object_t reply, enum sm_reason r, const char *detail)
{
	xpc_dictionary_set_int64(reply, KEY_STATUS, sm_status_of(r));
	xpc_dictionary_set_int64(reply, KEY_REASON, r);
	xpc_dictionary_set_string(reply, KEY_REASON_NAME, sm_reason_name(r));
	xpc_dictionary_set_string(reply, KEY_DETAIL, detail ? detail : "");
}

/* Does a root-owned rules file pre-approve this item? */
bool sm_preapproved(const struct sm_item *it, const char *label)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], why[PATH_MAX + 200];
	snprintf(dir, sizeof(dir), "%s", g_launchd.paths.admin_daemons);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, RULES_FILE);
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_msg(LOG_WARNING, "%s ignored: it must be owned by root and writable by nobody else", path);
		return false;
	}
	plist_t root = gantry_plist_load(path, why, sizeof(why));
	plist_t rules = root && plist_get_node_type(root) == PLIST_DICT ? plist_dict_get_item(root, "Rules") : NULL;
	bool hit = false;
	for (uint32_t i = 0; rules && plist_get_node_type(rules) == PLIST_ARRAY && i < plist_array_get_size(rules) && !hit;
	     i++) {
		plist_t r = plist_array_get_item(rules, i);
		char *type = gantry_plist_string(plist_dict_get_item(r, "RuleType"));
		char *value = gantry_plist_string(plist_dict_get_item(r, "RuleValue"));
		const char *id = it->bundle_id ? it->bundle_id : "";
		if (type && value)
			hit = (strcmp(type, "BundleIdentifier") == 0 && strcmp(id, value) == 0) ||
			      (strcmp(type, "BundleIdentifierPrefix") == 0 && strncmp(id, value, strlen(value)) == 0) ||
			      (strcmp(type, "Label") == 0 && strcmp(label, value) == 0) ||
			      (strcmp(type, "LabelPrefix") == 0 && strncmp(label, value, strlen(value)) == 0);
		free(type);
		free(value);
	}
	if (!root)
		log_msg(LOG_WARNING, "pre-approval rules unreadable: %s", why);
	plist_free(root);
	return hit;
}

/* Approval, then the domain's overrides (d NULL: the user's domain does not exist yet). */
static enum sm_reason gate(const struct sm_item *it, const struct domain *d)
{
	bool disabled;
	if (it->approval == SM_PENDING)
		return SMR_AWAITING_APPROVAL;
	if (it->approval == SM_DENIED)
		return SMR_APPROVAL_REVOKED;
	if (d && overrides_get(&d->overrides, it->label, &disabled) && disabled)
		return SMR_DISABLED_BY_OVERRIDE;
	return SMR_NONE;
}

void sm_gate_detail(struct sm_item *it, const struct domain *d)
{
	it->reason = gate(it, d);
	if (it->reason == SMR_AWAITING_APPROVAL)
		snprintf(it->detail, sizeof(it->detail), "an administrator must approve it: launchctl background approve %s/%s",
			it->domain, it->label);
	else if (it->reason == SMR_APPROVAL_REVOKED)
		snprintf(it->detail, sizeof(it->detail), "denied by an administrator; launchctl background approve %s/%s "
			"allows it again", it->domain, it->label);
	else if (it->reason == SMR_DISABLED_BY_OVERRIDE)
		snprintf(it->detail, sizeof(it->detail), "disabled by an override in %s; run launchctl enable %s/%s",
			d ? d->overrides.path : "", it->domain, it->label);
	else
		it->detail[0] = '\0';
}

/* launchd's job for a registered item, or NULL. */
struct job *sm_item_job(const char *domain, const char *label)
{
	struct domain *d = domain_find_named(domain);
	struct job *j = d ? domain_find_job(d, label) : NULL;
	return j && j->origin == ORIGIN_SM ? j : NULL;
}

/* Boots out the item's job if there is one; with pr, that reply also waits for it. True if there was one. */
bool sm_stop_job(const char *domain, const char *label, struct pending_reply *pr)
{
	struct job *j = sm_item_job(domain, label);
	if (!j)
		return false;
	if (pr) {
		pr->count++;
		pending_wait(j, JOB_REMOVED, pr);
	}
	job_event(j, EV_REMOVE);
	return true;
}

/* Boots out the item's job; true if the reply waits for it to be gone. */
bool sm_stop_job_replying(const char *domain, const char *label, xpc_object_t reply)
{
	if (!reply || !sm_item_job(domain, label)) {
		sm_stop_job(domain, label, NULL);
		return false;
	}
	return sm_stop_job(domain, label, pending_reply_create(reply, 0));
}

static void load_spec(struct domain *d, struct job_spec *spec, struct sm_item *it)
{
	struct gerror e = {0};
	if (!domain_add_spec(d, spec, ORIGIN_SM, &e) && (e.code == LE_DOMAIN_UNSUPPORTED || e.code == LE_WRONG_SESSION)) {
		it->reason = SMR_AWAITING_LOGIN; /* not "enabled": nothing runs until the session opens */
		snprintf(it->detail, sizeof(it->detail), "it loads when uid %u logs in: %s", (unsigned)d->uid, e.detail);
		log_msg(LOG_INFO, "(%s/%s) registered item waits for a login session: %s", it->domain, it->label, e.detail);
	} else if (e.code) {
		it->reason = SMR_INVALID_PLIST;
		snprintf(it->detail, sizeof(it->detail), "launchd could not load it: %s", e.detail);
		log_msg(LOG_ERR, "(%s/%s) registered item not loaded: %s", it->domain, it->label, e.detail);
	}
}

struct load_later {
	char domain[32];
	char *label;
	struct job_spec *spec;
};

/* The old instance is gone: load the new definition, then answer. */
static void load_after_removal(xpc_object_t reply, void *ctx)
{
	struct load_later *l = ctx;
	struct domain *d = domain_find_named(l->domain);
	struct sm_item *it = registry_find(l->domain, l->label);
	if (d && it && !domain_find_job(d, l->label)) {
		load_spec(d, l->spec, it);
		log_msg(LOG_INFO, "(%s/%s) now runs the registered version from %s", it->domain, it->label, it->bundle);
	} else {
		spec_free(l->spec);
	}
	if (it)
		sm_put_status(reply, it->reason, it->detail);
	control_send(reply);
	free(l->label);
	free(l);
}

/*
 * Puts the item into effect: launchd runs a job for it exactly when it is
 * approved and not disabled. replace: a job already loaded for the label (an
 * older version, or a legacy definition) is booted out and the new one
 * loaded after it is gone. Takes spec. Returns true if the reply waits.
 */
/* Keeps what the item's plist advertises: a lookup of one of those names can then say why it is not served. */
static void remember_services(struct sm_item *it, const struct job_spec *spec)
{
	for (size_t i = 0; it->services && it->services[i]; i++)
		free(it->services[i]);
	free(it->services);
	it->services = calloc(spec->nservices + 1, sizeof(char *));
	if (!it->services)
		gantry_oom();
	for (size_t i = 0; i < spec->nservices; i++)
		if (!(it->services[i] = strdup(spec->services[i].name)))
			gantry_oom();
}

bool sm_lookup_reason(const struct domain *d, const char *name, char *why, size_t len)
{
	for (const struct sm_item *it = g_registry; it; it = it->next) {
		if (strcmp(it->domain, d->name) != 0 || it->reason == SMR_NONE || !it->services)
			continue;
		for (char **n = it->services; *n; n++)
			if (strcmp(*n, name) == 0) {
				snprintf(why, len, "\"%s\" is advertised by %s/%s, registered through Service Management by %s, "
					"which is not running: %s", name, it->domain, it->label, it->bundle, it->detail);
				return true;
			}
	}
	return false;
}

bool sm_apply(struct sm_item *it, struct job_spec *spec, bool replace, xpc_object_t reply)
{
	struct gerror e = {0};
	remember_services(it, spec);
	struct domain *d = domain_resolve(it->domain, 0, true, &e);
	if (!d) {
		spec_free(spec);
		snprintf(it->detail, sizeof(it->detail), "%s", e.detail);
		return false;
	}
	sm_gate_detail(it, d);
	struct job *j = domain_find_job(d, it->label);
	if (it->reason != SMR_NONE) {
		spec_free(spec);
		return sm_stop_job_replying(it->domain, it->label, reply);
	}
	if (j && !replace && j->origin == ORIGIN_SM) {
		spec_free(spec);
		return false;
	}
	if (!j) {
		load_spec(d, spec, it);
		return false;
	}
	log_msg(LOG_INFO, "(%s/%s) replacing the loaded %s definition with the registered one from %s", it->domain,
		it->label, j->origin == ORIGIN_SM ? "older registered" : "legacy", it->bundle);
	struct load_later *l = calloc(1, sizeof(*l));
	if (!l)
		gantry_oom();
	snprintf(l->domain, sizeof(l->domain), "%s", it->domain);
	l->label = strdup(it->label);
	l->spec = spec;
	pending_remove_job(j, reply, load_after_removal, l);
	return reply != NULL;
}

/* An enabled item whose process failed: say how (Apple would just say "enabled"). */
static void launch_outcome(struct sm_item *it)
{
	struct job *j = it->reason == SMR_NONE ? sm_item_job(it->domain, it->label) : NULL;
	char text[256];
	if (j && j->spawn_failure) {
		it->reason = SMR_LAUNCH_FAILED;
		snprintf(it->detail, sizeof(it->detail), "failed to spawn: %s", j->spawn_failure);
	} else if (j && !j->pid && j->rt.has_exited && j->rt.last_status != 0) {
		describe_exit_status(j->rt.last_status, text, sizeof(text));
		it->reason = SMR_LAUNCH_FAILED;
		snprintf(it->detail, sizeof(it->detail), "its last run ended: %s", text);
	}
}

bool sm_same_content(const struct sm_item *a, const struct sm_item *b)
{
	return strcmp(a->exe_sha, b->exe_sha) == 0 && strcmp(a->plist_sha, b->plist_sha) == 0 &&
	       strcmp(a->exe, b->exe) == 0 && strcmp(a->bundle, b->bundle) == 0;
}

/* A registered bundle changed: if it is gone (deleted, moved), the item's job goes at once. */
static void on_bundle_changed(const char *path, void *ctx)
{
	struct sm_item *it = ctx;
	struct stat st;
	if (stat(path, &st) < 0 && sm_item_job(it->domain, it->label))
		sm_reconcile(it);
}

/* Exchanges what came from the bundle (paths, digests, version, update time) between a and b. */
void sm_swap_content(struct sm_item *a, struct sm_item *b)
{
	struct sm_item t = *a;
	a->bundle = b->bundle, b->bundle = t.bundle;
	a->exe = b->exe, b->exe = t.exe;
	a->plist = b->plist, b->plist = t.plist;
	a->version = b->version, b->version = t.version;
	a->bundle_id = b->bundle_id, b->bundle_id = t.bundle_id;
	memcpy(a->exe_sha, b->exe_sha, sizeof(a->exe_sha)), memcpy(b->exe_sha, t.exe_sha, sizeof(b->exe_sha));
	memcpy(a->plist_sha, b->plist_sha, sizeof(a->plist_sha)), memcpy(b->plist_sha, t.plist_sha, sizeof(b->plist_sha));
	a->updated = b->updated, b->updated = t.updated;
	if (strcmp(a->bundle, b->bundle) != 0) { /* a's subscription follows its bundle */
		pathwatch_remove(b->bundle, on_bundle_changed, a);
		pathwatch_add(a->bundle, on_bundle_changed, a);
	}
}

/* Takes over what the bundle says now (paths, digests, version) from fresh. */
void sm_adopt(struct sm_item *it, struct sm_item *fresh)
{
	fresh->updated = sm_now();
	sm_swap_content(it, fresh);
	sm_item_free(fresh);
}

static void save_or_log(void)
{
	struct gerror e = {0};
	if (registry_save(&e))
		log_msg(LOG_ERR, "%s", e.detail);
}

/* Re-derives the item from its bundle; on failure records why in it and returns false. */
static bool rederive(struct sm_item *it, struct sm_item **fresh, struct job_spec **spec)
{
	enum sm_reason reason;
	struct gerror e = {0};
	if (!sm_rederive(it, fresh, spec, &reason, &e))
		return true;
	it->reason = reason;
	snprintf(it->detail, sizeof(it->detail), "%s", e.detail);
	return false;
}

/*
 * Checks one item against its bundle. A bundle, plist or executable that is
 * gone or unsafe boots the job out (nothing runs from a bundle that is not
 * there); changed content is reported as stale until register() again.
 */
void sm_reconcile(struct sm_item *it)
{
	struct sm_item *fresh;
	struct job_spec *spec;
	if (!rederive(it, &fresh, &spec)) {
		if (sm_stop_job(it->domain, it->label, NULL))
			log_msg(LOG_INFO, "(%s/%s) booted out: %s", it->domain, it->label, it->detail);
		return;
	}
	struct domain *d = domain_find_named(it->domain);
	bool waits = !d || !domain_session_fits(d, spec->sessions); /* a user's domain made at login, or no login */
	spec_free(spec);
	if (!sm_same_content(it, fresh)) {
		it->reason = SMR_RECORD_STALE;
		snprintf(it->detail, sizeof(it->detail), "%s changed since it was registered; register() again puts the "
			"new version in place", strcmp(it->exe_sha, fresh->exe_sha) ? it->exe : it->plist ? it->plist : it->bundle);
	} else {
		sm_gate_detail(it, d);
		launch_outcome(it);
		if (it->reason == SMR_NONE && waits) {
			it->reason = SMR_AWAITING_LOGIN; /* never "enabled" while nothing runs */
			snprintf(it->detail, sizeof(it->detail), "it loads when uid %s logs in: %s has no login session of "
				"its type now", strchr(it->domain, '/') + 1, it->domain);
		} else if (it->reason == SMR_NONE && !sm_item_job(it->domain, it->label)) {
			it->reason = SMR_NOT_LOADED; /* never "enabled" while nothing runs */
			snprintf(it->detail, sizeof(it->detail), "launchd has no job for it: it was booted out earlier (the "
				"log says why) and nothing runs; register() again loads it");
		}
	}
	sm_item_free(fresh);
}

void sm_start(void)
{
	registry_load();
	for (struct sm_item *it = g_registry; it; it = it->next)
		sm_watch(it);
}

void sm_watch(struct sm_item *it)
{
	pathwatch_add(it->bundle, on_bundle_changed, it);
}

/* Forgets an item: its bundle is no longer watched. */
void sm_forget(struct sm_item *it)
{
	pathwatch_remove(it->bundle, on_bundle_changed, it);
	registry_remove(it);
}

bool sm_owns_label(const struct domain *d, const char *label)
{
	return registry_find(d->name, label) != NULL;
}

void sm_load_domain(struct domain *d)
{
	bool changed = false;
	for (struct sm_item *it = g_registry; it; it = it->next) {
		if (strcmp(it->domain, d->name) != 0)
			continue;
		struct sm_item *fresh;
		struct job_spec *spec;
		if (!rederive(it, &fresh, &spec)) {
			log_msg(LOG_WARNING, "(%s/%s) registered item not loaded: %s: %s", it->domain, it->label,
				sm_reason_name(it->reason), it->detail);
			continue;
		}
		if (!sm_same_content(it, fresh)) { /* the bundle was updated while launchd was down: it passed every check */
			log_msg(LOG_INFO, "(%s/%s) the bundle changed; loading the new version", it->domain, it->label);
			sm_adopt(it, fresh);
			changed = true;
		} else {
			sm_item_free(fresh);
		}
		sm_apply(it, spec, false, NULL);
	}
	if (changed)
		save_or_log();
}

