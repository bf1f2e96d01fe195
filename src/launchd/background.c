/*
 * Service Management requests and reconciliation (see background.h). Every
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
#include "control.h"
#include "describe.h"
#include "domain.h"
#include "errors.h"
#include "log.h"
#include "pathwatch.h"
#include "plistio.h"
#include "registry.h"
#include "smderive.h"

/* Pre-approval rules for managed fleets, next to the admin job directories (root-owned). */
#define RULES_FILE "ServiceManagementRules.plist"

static const char *const kind_args[] = {"daemon", "agent", "login-item", "main-app"};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void sm_fail(xpc_object_t reply, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sm_fail(xpc_object_t reply, int code, const char *fmt, ...)
{
	char detail[GERROR_DETAIL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	xpc_dictionary_set_int64(reply, "sm_error", code);
	xpc_dictionary_set_string(reply, "sm_detail", detail);
}

/* Apple's four statuses from Gantry's reasons. */
static int status_of(enum sm_reason r)
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

static void put_status(xpc_object_t reply, enum sm_reason r, const char *detail)
{
	xpc_dictionary_set_int64(reply, "status", status_of(r));
	xpc_dictionary_set_int64(reply, "reason", r);
	xpc_dictionary_set_string(reply, "reason_name", sm_reason_name(r));
	xpc_dictionary_set_string(reply, "detail", detail ? detail : "");
}

/* Does a root-owned rules file pre-approve this item? */
static bool preapproved(const struct sm_item *it, const char *label)
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

static void gate_detail(struct sm_item *it, const struct domain *d)
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
static struct job *item_job(const char *domain, const char *label)
{
	struct domain *d = domain_find_named(domain);
	struct job *j = d ? domain_find_job(d, label) : NULL;
	return j && j->origin == ORIGIN_SM ? j : NULL;
}

/* Boots out the item's job if there is one; with pr, that reply also waits for it. True if there was one. */
static bool stop_job(const char *domain, const char *label, struct pending_reply *pr)
{
	struct job *j = item_job(domain, label);
	if (!j)
		return false;
	if (pr) {
		pr->count++;
		job_add_waiter(j, WAIT_REMOVED, pr);
	}
	job_event(j, EV_REMOVE);
	return true;
}

/* Boots out the item's job; true if the reply waits for it to be gone. */
static bool stop_job_replying(const char *domain, const char *label, xpc_object_t reply)
{
	if (!reply || !item_job(domain, label)) {
		stop_job(domain, label, NULL);
		return false;
	}
	return stop_job(domain, label, pending_reply_create(reply, 0));
}

static void load_spec(struct domain *d, struct job_spec *spec, struct sm_item *it)
{
	struct gerror e = {0};
	if (!domain_add_spec(d, spec, ORIGIN_SM, &e)) {
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
		put_status(reply, it->reason, it->detail);
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
static bool apply(struct sm_item *it, struct job_spec *spec, bool replace, xpc_object_t reply)
{
	struct gerror e = {0};
	struct domain *d = domain_resolve(it->domain, 0, &e);
	if (!d) {
		spec_free(spec);
		snprintf(it->detail, sizeof(it->detail), "%s", e.detail);
		return false;
	}
	gate_detail(it, d);
	struct job *j = domain_find_job(d, it->label);
	if (it->reason != SMR_NONE) {
		spec_free(spec);
		return stop_job_replying(it->domain, it->label, reply);
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
		abort();
	snprintf(l->domain, sizeof(l->domain), "%s", it->domain);
	l->label = strdup(it->label);
	l->spec = spec;
	job_remove_then(j, reply, load_after_removal, l);
	return reply != NULL;
}

/* An enabled item whose process failed: say how (Apple would just say "enabled"). */
static void launch_outcome(struct sm_item *it)
{
	struct job *j = it->reason == SMR_NONE ? item_job(it->domain, it->label) : NULL;
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

static bool same_content(const struct sm_item *a, const struct sm_item *b)
{
	return strcmp(a->exe_sha, b->exe_sha) == 0 && strcmp(a->plist_sha, b->plist_sha) == 0 &&
	       strcmp(a->exe, b->exe) == 0 && strcmp(a->bundle, b->bundle) == 0;
}

/* Takes over what the bundle says now (paths, digests, version) from fresh. */
static void adopt(struct sm_item *it, struct sm_item *fresh)
{
	if (strcmp(it->bundle, fresh->bundle) != 0) {
		pathwatch_remove(it->bundle);
		pathwatch_add(fresh->bundle);
	}
	free(it->bundle);
	free(it->exe);
	free(it->plist);
	free(it->version);
	free(it->bundle_id);
	it->bundle = fresh->bundle;
	it->exe = fresh->exe;
	it->plist = fresh->plist;
	it->version = fresh->version;
	it->bundle_id = fresh->bundle_id;
	fresh->bundle = fresh->exe = fresh->plist = fresh->version = fresh->bundle_id = NULL;
	memcpy(it->exe_sha, fresh->exe_sha, sizeof(it->exe_sha));
	memcpy(it->plist_sha, fresh->plist_sha, sizeof(it->plist_sha));
	it->updated = now_s();
	sm_item_free(fresh);
}

static void save_or_log(void)
{
	struct gerror e = {0};
	if (registry_save(&e))
		log_msg(LOG_ERR, "%s", e.detail);
}

/*
 * Checks one item against its bundle. A bundle, plist or executable that is
 * gone or unsafe boots the job out (nothing runs from a bundle that is not
 * there); changed content is reported as stale until register() again.
 */
static void reconcile(struct sm_item *it)
{
	struct sm_item *fresh;
	struct job_spec *spec;
	enum sm_reason reason;
	struct gerror e = {0};
	if (sm_rederive(it, &fresh, &spec, &reason, &e)) {
		it->reason = reason;
		snprintf(it->detail, sizeof(it->detail), "%s", e.detail);
		if (stop_job(it->domain, it->label, NULL))
			log_msg(LOG_INFO, "(%s/%s) booted out: %s", it->domain, it->label, e.detail);
		return;
	}
	spec_free(spec);
	struct domain *d = domain_find_named(it->domain);
	if (!same_content(it, fresh)) {
		it->reason = SMR_RECORD_STALE;
		snprintf(it->detail, sizeof(it->detail), "%s changed since it was registered; register() again puts the "
			"new version in place", strcmp(it->exe_sha, fresh->exe_sha) ? it->exe : it->plist ? it->plist : it->bundle);
	} else {
		gate_detail(it, d);
		launch_outcome(it);
	}
	sm_item_free(fresh);
}

void background_start(void)
{
	registry_load();
	for (struct sm_item *it = g_registry; it; it = it->next)
		pathwatch_add(it->bundle);
}

void background_paths_changed(void)
{
	struct stat st;
	for (struct sm_item *it = g_registry; it; it = it->next)
		if (stat(it->bundle, &st) < 0 && item_job(it->domain, it->label))
			reconcile(it);
}

/* Forgets an item: its bundle is no longer watched. */
static void forget(struct sm_item *it)
{
	pathwatch_remove(it->bundle);
	registry_remove(it);
}

bool background_owns(const struct domain *d, const char *label)
{
	return registry_find(d->name, label) != NULL;
}

void background_load_domain(struct domain *d)
{
	bool changed = false;
	for (struct sm_item *it = g_registry; it; it = it->next) {
		if (strcmp(it->domain, d->name) != 0)
			continue;
		struct sm_item *fresh;
		struct job_spec *spec;
		enum sm_reason reason;
		struct gerror e = {0};
		if (sm_rederive(it, &fresh, &spec, &reason, &e)) {
			it->reason = reason;
			snprintf(it->detail, sizeof(it->detail), "%s", e.detail);
			log_msg(LOG_WARNING, "(%s/%s) registered item not loaded: %s: %s", it->domain, it->label,
				sm_reason_name(reason), e.detail);
			continue;
		}
		if (!same_content(it, fresh)) { /* the bundle was updated while launchd was down: it passed every check */
			log_msg(LOG_INFO, "(%s/%s) the bundle changed; loading the new version", it->domain, it->label);
			adopt(it, fresh);
			changed = true;
		} else {
			sm_item_free(fresh);
		}
		apply(it, spec, false, NULL);
	}
	if (changed)
		save_or_log();
}

/* Requests */

static int kind_of(xpc_object_t msg, xpc_object_t reply)
{
	const char *k = xpc_dictionary_get_string(msg, "kind");
	for (int i = 0; k && i < 4; i++)
		if (strcmp(k, kind_args[i]) == 0)
			return i;
	sm_fail(reply, SME_INTERNAL, "unknown kind \"%s\" (daemon, agent, login-item, main-app)", k ? k : "");
	return -1;
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

bool req_sm_register(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	int kind = kind_of(msg, reply);
	const char *bundle = xpc_dictionary_get_string(msg, "bundle"), *name = xpc_dictionary_get_string(msg, "name");
	if (kind < 0)
		return false;
	if (kind == SM_DAEMON && !g_launchd.system) {
		sm_fail(reply, SME_SERVICE_UNAVAILABLE, "this launchd runs with --user; daemons register with the system "
			"launchd (launchd --system)");
		return false;
	}
	for (struct sm_item *other = g_registry; other; other = other->next)
		reconcile(other); /* every register checks the whole registry against the disk */
	struct sm_item *fresh;
	struct job_spec *spec;
	enum sm_reason reason;
	struct gerror e = {0};
	if (sm_derive((enum sm_kind)kind, bundle ? bundle : "", name ? name : "", caller, &fresh, &spec, &reason, &e)) {
		sm_fail(reply, e.code, "%s", e.detail);
		put_status(reply, reason, e.detail);
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
	bool changed = !it || !same_content(it, fresh);
	if (it && changed) {
		log_msg(LOG_INFO, "(%s/%s) registration updated by uid %u from %s", it->domain, it->label, (unsigned)caller,
			fresh->bundle);
		adopt(it, fresh);
	} else if (it) {
		sm_item_free(fresh); /* the same content again: nothing to do but answer */
	} else {
		it = fresh;
		it->registered = it->updated = it->approval_changed = now_s();
		it->approval = kind != SM_DAEMON || preapproved(it, it->label) ? SM_APPROVED : SM_PENDING;
		registry_add(it);
		pathwatch_add(it->bundle);
		log_msg(LOG_INFO, "(%s/%s) registered by uid %u from %s (%s)", it->domain, it->label, (unsigned)caller,
			it->bundle, sm_approval_name(it->approval));
	}
	if (changed && registry_save(&e)) {
		sm_fail(reply, SME_INTERNAL, "%s", e.detail);
		spec_free(spec);
		return false;
	}
	if (kind == SM_MAIN_APP)
		spec->run_at_load = false; /* the main app starts at later logins, not now */
	bool later = apply(it, spec, changed || legacy, reply);
	if (!later)
		put_status(reply, it->reason, it->detail);
	return later;
}

bool req_sm_unregister(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	int kind = kind_of(msg, reply);
	const char *bundle = xpc_dictionary_get_string(msg, "bundle"), *name = xpc_dictionary_get_string(msg, "name");
	if (kind < 0)
		return false;
	struct sm_item *it = find_requested((enum sm_kind)kind, bundle ? bundle : "", name ? name : "", caller);
	if (!it) {
		sm_fail(reply, SME_JOB_NOT_FOUND, "%s \"%s\" of %s is not registered", kind_args[kind], name ? name : "",
			bundle ? bundle : "");
		return false;
	}
	char domain[32], label[512];
	snprintf(domain, sizeof(domain), "%s", it->domain);
	snprintf(label, sizeof(label), "%s", it->label);
	log_msg(LOG_INFO, "(%s/%s) unregistered by uid %u", domain, label, (unsigned)caller);
	forget(it);
	struct gerror e = {0};
	if (registry_save(&e))
		sm_fail(reply, SME_INTERNAL, "%s", e.detail);
	return stop_job_replying(domain, label, reply);
}

bool req_sm_status(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	int kind = kind_of(msg, reply);
	const char *bundle = xpc_dictionary_get_string(msg, "bundle"), *name = xpc_dictionary_get_string(msg, "name");
	if (kind < 0)
		return false;
	struct sm_item *it = find_requested((enum sm_kind)kind, bundle ? bundle : "", name ? name : "", caller);
	if (it) {
		reconcile(it);
		put_status(reply, it->reason, it->detail);
		return false;
	}
	struct sm_item *fresh;
	struct job_spec *spec;
	enum sm_reason reason;
	struct gerror e = {0};
	if (sm_derive((enum sm_kind)kind, bundle ? bundle : "", name ? name : "", caller, &fresh, &spec, &reason, &e)) {
		put_status(reply, reason, e.detail); /* what register() would run into */
		return false;
	}
	spec_free(spec);
	sm_item_free(fresh);
	put_status(reply, SMR_NOT_REGISTERED, "");
	return false;
}

static xpc_object_t describe_item(const struct sm_item *it)
{
	xpc_object_t d = xpc_dictionary_create_empty();
	char id[600];
	snprintf(id, sizeof(id), "%s/%s", it->domain, it->label);
	xpc_dictionary_set_string(d, "id", id);
	xpc_dictionary_set_string(d, "domain", it->domain);
	xpc_dictionary_set_string(d, "label", it->label);
	xpc_dictionary_set_string(d, "kind", sm_kind_name(it->kind));
	xpc_dictionary_set_string(d, "bundle", it->bundle);
	xpc_dictionary_set_string(d, "bundle_identifier", it->bundle_id ? it->bundle_id : "");
	xpc_dictionary_set_string(d, "bundle_version", it->version ? it->version : "");
	xpc_dictionary_set_string(d, "plist", it->plist ? it->plist : "");
	xpc_dictionary_set_string(d, "plist_sha256", it->plist_sha);
	xpc_dictionary_set_string(d, "executable", it->exe);
	xpc_dictionary_set_string(d, "executable_sha256", it->exe_sha);
	xpc_dictionary_set_int64(d, "owner", it->owner);
	xpc_dictionary_set_string(d, "approval", sm_approval_name(it->approval));
	xpc_dictionary_set_int64(d, "registered", it->registered);
	xpc_dictionary_set_int64(d, "updated", it->updated);
	xpc_dictionary_set_int64(d, "approval_changed", it->approval_changed);
	xpc_dictionary_set_int64(d, "status", status_of(it->reason));
	xpc_dictionary_set_string(d, "reason", sm_reason_name(it->reason));
	xpc_dictionary_set_string(d, "detail", it->detail);
	struct job *j = item_job(it->domain, it->label);
	xpc_dictionary_set_bool(d, "loaded", j != NULL);
	xpc_dictionary_set_int64(d, "pid", j ? j->pid : 0);
	return d;
}

bool req_bg_list(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	(void)msg;
	(void)caller;
	xpc_object_t items = xpc_array_create(NULL, 0);
	for (struct sm_item *it = g_registry; it; it = it->next) {
		reconcile(it);
		xpc_object_t d = describe_item(it);
		xpc_array_append_value(items, d);
		xpc_release(d);
	}
	xpc_dictionary_set_value(reply, "items", items);
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
	struct sm_item *it = find_id(xpc_dictionary_get_string(msg, "id"), caller, reply);
	if (!it)
		return false;
	struct gerror e = {0};
	if (it->approval != to) {
		it->approval = to;
		it->approval_changed = now_s();
		log_msg(LOG_INFO, "(%s/%s) %s by uid %u", it->domain, it->label, to == SM_APPROVED ? "approved" : "denied",
			(unsigned)caller);
		if (registry_save(&e)) {
			control_set_error(reply, e.code, "%s", e.detail);
			return false;
		}
	}
	struct sm_item *fresh;
	struct job_spec *spec;
	enum sm_reason reason;
	if (to == SM_DENIED) {
		gate_detail(it, domain_find_named(it->domain));
		put_status(reply, it->reason, it->detail);
		return stop_job_replying(it->domain, it->label, reply);
	}
	if (sm_rederive(it, &fresh, &spec, &reason, &e)) {
		it->reason = reason;
		snprintf(it->detail, sizeof(it->detail), "%s", e.detail);
		put_status(reply, reason, e.detail);
		return false;
	}
	sm_item_free(fresh);
	bool later = apply(it, spec, false, reply);
	if (!later)
		put_status(reply, it->reason, it->detail);
	return later;
}

bool req_bg_approve(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	return set_approval(msg, reply, caller, SM_APPROVED);
}

bool req_bg_deny(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	return set_approval(msg, reply, caller, SM_DENIED);
}

/* Forgets one item (or, without an id, every item the caller may reset) and boots out its job. */
bool req_bg_reset(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	const char *id = xpc_dictionary_get_string(msg, "id");
	struct sm_item *one = id ? find_id(id, caller, reply) : NULL;
	if (id && !one)
		return false;
	struct pending_reply *pr = pending_reply_create(reply, 1);
	int removed = 0;
	for (struct sm_item *it = g_registry, *next; it; it = next) {
		next = it->next;
		if ((one && it != one) || (!one && caller != 0 && (it->owner != caller || it->kind == SM_DAEMON)))
			continue;
		log_msg(LOG_INFO, "(%s/%s) reset by uid %u", it->domain, it->label, (unsigned)caller);
		stop_job(it->domain, it->label, pr);
		forget(it);
		removed++;
	}
	struct gerror e = {0};
	if (removed && registry_save(&e))
		control_set_error(reply, e.code, "%s", e.detail);
	xpc_dictionary_set_int64(reply, "removed", removed);
	bool later = pr->count > 1;
	pr->count--; /* the reference taken at creation */
	if (!later) {
		xpc_release(pr->reply);
		free(pr);
	}
	return later;
}
