/*
 * SMJobBless mapped to Linux (the legacy way to install a privileged
 * helper). Apple's requirements, with ownership in place of code signatures:
 * the caller is root (Apple: the blesshelper authorization right); the app's
 * Info.plist claims the helper in SMPrivilegedExecutables; the helper is
 * Contents/Library/LaunchServices/<label>, its launchd plist
 * Contents/Library/LaunchServices/<label>.plist (Apple embeds it in the
 * binary), both root-owned all the way up. The helper is copied to
 * <state>/PrivilegedHelperTools/<label> and its plist, with
 * ProgramArguments pointing there, to the admin LaunchDaemons directory;
 * blessing the same helper again succeeds without a change, a new version
 * replaces the old one (bootout, then bootstrap).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "background_internal.h"
#include "control.h"
#include "domain.h"
#include "log.h"
#include "pending.h"
#include "protocol.h"
#include "safefile.h"
#include "paths.h"
#include "plistio.h"
#include "smbless.h"
#include "smderive.h"
#include "oom.h"

/* A helper larger than this is refused rather than copied through memory. */
#define HELPER_MAX (256u * 1024 * 1024)

/* Does the app's Info.plist list label in SMPrivilegedExecutables? */
static bool app_claims(const char *bundle, const char *label, char *why, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/Contents/Info.plist", bundle);
	plist_t root = gantry_plist_load(path, why, len);
	plist_t claims = root && plist_get_node_type(root) == PLIST_DICT ? plist_dict_get_item(root, "SMPrivilegedExecutables")
									 : NULL;
	bool ok = claims && plist_get_node_type(claims) == PLIST_DICT && plist_dict_get_item(claims, label);
	if (root && !ok)
		snprintf(why, len, "%s has no SMPrivilegedExecutables entry for %s: the app must claim the helper it "
			"installs", path, label);
	plist_free(root);
	return ok;
}

static char *read_all(const char *path, size_t *len)
{
	char why[128];
	int err;
	return gantry_read_regular(path, HELPER_MAX, len, &err, why, sizeof(why));
}

/* The installed plist: the bundle's, with ProgramArguments[0] the installed helper. */
static char *installed_plist(const char *src, const char *tool, uint32_t *len, char *why, size_t whylen)
{
	plist_t root = gantry_plist_load(src, why, whylen);
	if (!root)
		return NULL;
	plist_t args = plist_dict_get_item(root, "ProgramArguments");
	plist_t fresh = plist_new_array();
	plist_array_append_item(fresh, plist_new_string(tool));
	for (uint32_t i = 1; args && plist_get_node_type(args) == PLIST_ARRAY && i < plist_array_get_size(args); i++)
		plist_array_append_item(fresh, plist_copy(plist_array_get_item(args, i)));
	plist_dict_set_item(root, "ProgramArguments", fresh);
	plist_dict_remove_item(root, "Program");
	plist_dict_remove_item(root, "BundleProgram");
	char *xml = NULL;
	plist_to_xml(root, &xml, len);
	plist_free(root);
	return xml;
}

static bool same_bytes(const char *path, const char *data, size_t len)
{
	size_t have = 0;
	char *old = read_all(path, &have);
	bool same = old && have == len && memcmp(old, data, len) == 0;
	free(old);
	return same;
}

struct bless_later {
	char plist[PATH_MAX];
};

static void bootstrap_installed(xpc_object_t reply, void *ctx)
{
	struct bless_later *b = ctx;
	struct domain *d = domain_find_named("system");
	struct gerror e = {0};
	if (d && !domain_bootstrap(d, b->plist, ORIGIN_ADMIN, 0, 0, &e))
		sm_fail(reply, SME_INTERNAL, "%s", e.detail);
	control_send(reply);
	free(b);
}

/* Copies the helper and writes its plist; returns 0, or a kSMError code with why. */
static int install(const char *tool_src, const char *plist_src, const char *tool, const char *plist, bool *changed,
	char *why, size_t len)
{
	char err[PATH_MAX + 100], dir[PATH_MAX];
	size_t tool_len = 0;
	uint32_t plist_len = 0;
	char *xml = installed_plist(plist_src, tool, &plist_len, why, len);
	char *bin = xml ? read_all(tool_src, &tool_len) : NULL;
	int code = 0;
	if (!xml) {
		code = SME_INVALID_PLIST;
	} else if (!bin) {
		snprintf(why, len, "cannot read %s (or it is larger than 256 MiB): %s", tool_src, strerror(errno));
		code = SME_TOOL_NOT_VALID;
	} else if (same_bytes(tool, bin, tool_len) && same_bytes(plist, xml, plist_len)) {
		*changed = false;
	} else {
		*changed = true;
		int r = 0;
		for (int i = 0; i < 2 && !r; i++) { /* the helper's directory and the admin job directory */
			snprintf(dir, sizeof(dir), "%s", i ? plist : tool);
			*strrchr(dir, '/') = '\0';
			if ((r = mkdir_p(dir, 0755)))
				snprintf(why, len, "cannot create %s: %s", dir, strerror(r));
		}
		if (r) {
			code = SME_INTERNAL;
		} else if (atomic_write_file(tool, bin, tool_len, 0755, err, sizeof(err)) ||
			   atomic_write_file(plist, xml, plist_len, 0644, err, sizeof(err))) {
			snprintf(why, len, "%s", err);
			code = SME_INTERNAL;
		}
	}
	free(bin);
	plist_to_xml_free(xml);
	return code;
}

bool req_sm_bless(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL), *given = xpc_dictionary_get_string(msg, KEY_BUNDLE);
	char bundle[PATH_MAX], tool_src[PATH_MAX + 64], plist_src[PATH_MAX + 80], tool[PATH_MAX + 64];
	char plist[PATH_MAX + 64], why[PATH_MAX + 300];
	struct gerror e = {0};
	enum sm_reason reason;
	if (caller != 0)
		return sm_fail(reply, SME_AUTHORIZATION, "SMJobBless installs a helper that runs as root, so only root may "
			"call it (Apple requires the blesshelper right); run the installer as root"), false;
	if (!g_launchd.system)
		return sm_fail(reply, SME_SERVICE_UNAVAILABLE, "this launchd runs with --user; SMJobBless needs the system "
			"launchd"), false;
	if (!label || !*label || strchr(label, '/') || !given || !realpath(given, bundle))
		return sm_fail(reply, SME_TOOL_NOT_VALID, "SMJobBless needs a label (no '/') and the caller's app bundle"),
		       false;
	snprintf(tool_src, sizeof(tool_src), "%s/Contents/Library/LaunchServices/%s", bundle, label);
	snprintf(plist_src, sizeof(plist_src), "%s.plist", tool_src);
	snprintf(tool, sizeof(tool), "%s/PrivilegedHelperTools/%s", g_launchd.paths.state_dir, label);
	snprintf(plist, sizeof(plist), "%s/%s.plist", g_launchd.paths.admin_daemons, label);
	if (!app_claims(bundle, label, why, sizeof(why)))
		return sm_fail(reply, SME_INVALID_SIGNATURE, "%s", why), false;
	if (access(tool_src, X_OK) < 0 || access(plist_src, R_OK) < 0) {
		snprintf(why, sizeof(why), "%s: %s", access(tool_src, X_OK) < 0 ? tool_src : plist_src, strerror(errno));
		return sm_fail(reply, access(tool_src, X_OK) < 0 ? SME_TOOL_NOT_VALID : SME_PLIST_NOT_FOUND, "%s", why), false;
	}
	if (sm_check_root_only(tool_src, &e, &reason) || sm_check_root_only(plist_src, &e, &reason))
		return sm_fail(reply, e.code, "%s", e.detail), false;
	struct spec_diag diag = {0};
	struct job_spec *s = spec_load_file(plist_src, &diag);
	bool label_ok = s && strcmp(s->label, label) == 0;
	snprintf(why, sizeof(why), "%s", !s ? (diag.nerrors ? diag.errors[0] : plist_src) : "");
	if (s && !label_ok)
		snprintf(why, sizeof(why), "%s: Label is \"%s\", not \"%s\"", plist_src, s->label, label);
	spec_free(s);
	spec_diag_clear(&diag);
	if (!label_ok)
		return sm_fail(reply, SME_INVALID_PLIST, "%s", why), false;
	bool changed;
	int code = install(tool_src, plist_src, tool, plist, &changed, why, sizeof(why));
	if (code)
		return sm_fail(reply, code, "%s", why), false;
	struct domain *d = domain_find_named("system");
	struct job *j = d ? domain_find_job(d, label) : NULL;
	log_msg(LOG_INFO, "(system/%s) blessed from %s%s", label, bundle, changed ? "" : " (unchanged)");
	if (j && !changed)
		return false;
	struct bless_later *b = calloc(1, sizeof(*b));
	if (!b)
		gantry_oom();
	snprintf(b->plist, sizeof(b->plist), "%s", plist);
	if (j) {
		pending_remove_job(j, reply, bootstrap_installed, b);
		return true;
	}
	xpc_retain(reply);
	bootstrap_installed(reply, b); /* sends it */
	xpc_release(reply);
	return true;
}
