/*
 * The background-item registry (see registry.h), stored as an XML plist:
 * an array of dictionaries, one per item, in <state>/BackgroundItems.plist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "errors.h"
#include "log.h"
#include "plistio.h"
#include "registry.h"
#include "oom.h"

struct sm_item *g_registry;

static const char *const kind_names[] = {"daemon", "agent", "login-item", "main-app"};
static const char *const approval_names[] = {"awaiting-approval", "approved", "denied"};
static const char *const reason_names[] = {"none", "not-registered", "awaiting-approval", "approval-revoked",
	"disabled-by-override", "plist-missing", "executable-missing", "bundle-missing", "record-stale",
	"unsafe-ownership", "invalid-plist", "launch-failed", "launchd-unavailable", "not-loaded",
	"awaiting-login"};

const char *sm_kind_name(enum sm_kind k) { return kind_names[k]; }
const char *sm_approval_name(enum sm_approval a) { return approval_names[a]; }
const char *sm_reason_name(enum sm_reason r) { return reason_names[r]; }

static void registry_path(char *out, size_t len)
{
	snprintf(out, len, "%s/BackgroundItems.plist", g_launchd.paths.state_dir);
}

static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static char *get_str(plist_t d, const char *key)
{
	return gantry_plist_string(plist_dict_get_item(d, key));
}

static int64_t get_int(plist_t d, const char *key)
{
	plist_t v = plist_dict_get_item(d, key);
	uint64_t u = 0;
	if (v && plist_get_node_type(v) == PLIST_UINT)
		plist_get_uint_val(v, &u);
	return (int64_t)u;
}

static void get_sha(plist_t d, const char *key, char out[SHA256_HEX_LEN + 1])
{
	char *s = get_str(d, key);
	snprintf(out, SHA256_HEX_LEN + 1, "%s", s ? s : "");
	free(s);
}

/* One stored item, or NULL (logged) if the entry is unusable. */
static struct sm_item *item_from_plist(plist_t d, const char *path, uint32_t index)
{
	struct sm_item *it = calloc(1, sizeof(*it));
	if (!it)
		gantry_oom();
	char *domain = get_str(d, "Domain"), *kind = get_str(d, "Kind"), *approval = get_str(d, "Approval");
	int k = name_index(kind_names, 4, kind), a = name_index(approval_names, 3, approval);
	it->label = get_str(d, "Label");
	it->name = get_str(d, "Name");
	it->bundle = get_str(d, "Bundle");
	it->exe = get_str(d, "Executable");
	it->plist = get_str(d, "Plist");
	it->bundle_id = get_str(d, "BundleIdentifier");
	it->version = get_str(d, "BundleVersion");
	bool ok = domain && strlen(domain) < sizeof(it->domain) && k >= 0 && a >= 0 && it->label && it->name &&
		  it->bundle && it->exe;
	if (ok) {
		snprintf(it->domain, sizeof(it->domain), "%s", domain);
		it->kind = (enum sm_kind)k;
		it->approval = (enum sm_approval)a;
		get_sha(d, "PlistSHA256", it->plist_sha);
		get_sha(d, "ExecutableSHA256", it->exe_sha);
		it->owner = (uid_t)get_int(d, "Owner");
		it->registered = get_int(d, "Registered");
		it->updated = get_int(d, "Updated");
		it->approval_changed = get_int(d, "ApprovalChanged");
	} else {
		log_msg(LOG_ERR, "registry %s: entry %u lacks a field or has an unknown kind/approval; dropped", path, index);
		sm_item_free(it);
		it = NULL;
	}
	free(domain);
	free(kind);
	free(approval);
	return it;
}

void registry_load(void)
{
	char path[PATH_MAX], why[PATH_MAX + 200];
	registry_path(path, sizeof(path));
	plist_t root = gantry_plist_load(path, why, sizeof(why));
	if (!root) {
		if (access(path, F_OK) == 0) {
			char aside[PATH_MAX + 32];
			snprintf(aside, sizeof(aside), "%s.corrupt-%ld", path, (long)time(NULL));
			if (rename(path, aside) == 0)
				log_msg(LOG_ERR, "background-item registry unreadable (%s); moved it to %s and started empty: "
					"items register again when their apps call register()", why, aside);
		}
		return;
	}
	if (plist_get_node_type(root) != PLIST_ARRAY) {
		log_msg(LOG_ERR, "background-item registry %s: the root is not an array; ignored", path);
		plist_free(root);
		return;
	}
	struct sm_item **tail = &g_registry;
	for (uint32_t i = 0; i < plist_array_get_size(root); i++) {
		plist_t d = plist_array_get_item(root, i);
		struct sm_item *it = plist_get_node_type(d) == PLIST_DICT ? item_from_plist(d, path, i) : NULL;
		if (it) {
			*tail = it;
			tail = &it->next;
		}
	}
	plist_free(root);
}

static void set_str(plist_t d, const char *key, const char *v)
{
	if (v)
		plist_dict_set_item(d, key, plist_new_string(v));
}

int registry_save(struct gerror *e)
{
	plist_t root = plist_new_array();
	for (struct sm_item *it = g_registry; it; it = it->next) {
		if (it->leaving)
			continue;
		plist_t d = plist_new_dict();
		set_str(d, "Domain", it->domain);
		set_str(d, "Label", it->label);
		set_str(d, "Kind", kind_names[it->kind]);
		set_str(d, "Name", it->name);
		set_str(d, "Bundle", it->bundle);
		set_str(d, "BundleIdentifier", it->bundle_id);
		set_str(d, "BundleVersion", it->version);
		set_str(d, "Plist", it->plist);
		set_str(d, "PlistSHA256", it->plist_sha[0] ? it->plist_sha : NULL);
		set_str(d, "Executable", it->exe);
		set_str(d, "ExecutableSHA256", it->exe_sha);
		plist_dict_set_item(d, "Owner", plist_new_uint(it->owner));
		set_str(d, "Approval", approval_names[it->approval]);
		plist_dict_set_item(d, "Registered", plist_new_uint((uint64_t)it->registered));
		plist_dict_set_item(d, "Updated", plist_new_uint((uint64_t)it->updated));
		plist_dict_set_item(d, "ApprovalChanged", plist_new_uint((uint64_t)it->approval_changed));
		plist_array_append_item(root, d);
	}
	char *xml = NULL;
	uint32_t len = 0;
	plist_to_xml(root, &xml, &len);
	plist_free(root);
	char path[PATH_MAX], err[PATH_MAX + 100];
	registry_path(path, sizeof(path));
	int r = atomic_write_file(path, xml, len, 0644, err, sizeof(err));
	plist_to_xml_free(xml);
	if (r)
		return gerror_set(e, darwin_errno(r), "could not save the background-item registry: %s", err);
	return 0;
}

struct sm_item *registry_find(const char *domain, const char *label)
{
	for (struct sm_item *it = g_registry; it; it = it->next)
		if (strcmp(it->domain, domain) == 0 && strcmp(it->label, label) == 0)
			return it;
	return NULL;
}

void registry_add(struct sm_item *item)
{
	item->next = g_registry;
	g_registry = item;
}

void registry_remove(struct sm_item *item)
{
	for (struct sm_item **pp = &g_registry; *pp; pp = &(*pp)->next)
		if (*pp == item) {
			*pp = item->next;
			sm_item_free(item);
			return;
		}
}

void sm_item_free(struct sm_item *it)
{
	if (!it)
		return;
	free(it->label);
	free(it->name);
	free(it->bundle);
	free(it->bundle_id);
	free(it->version);
	free(it->plist);
	free(it->exe);
	for (size_t i = 0; it->services && it->services[i]; i++)
		free(it->services[i]);
	free(it->services);
	free(it);
}
