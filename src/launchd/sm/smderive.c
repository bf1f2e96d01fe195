/* Deriving Service Management items from bundles on disk (see smderive.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "identity.h"
#include "smderive.h"
#include "oom.h"

static int fail(struct gerror *e, enum sm_reason *reason, enum sm_reason r, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(struct gerror *e, enum sm_reason *reason, enum sm_reason r, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	e->code = code;
	*reason = r;
	return code;
}

/*
 * A file that runs as root must not be changeable by anyone else: it and
 * every directory above it are root-owned and not writable by group or
 * others (a root-owned sticky directory such as /tmp is fine: nobody else
 * may rename what root put there).
 */
int sm_check_root_only(const char *path, struct gerror *e, enum sm_reason *reason)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		struct stat st;
		if (lstat(p, &st) < 0)
			return fail(e, reason, SMR_UNSAFE_OWNERSHIP, SME_INVALID_SIGNATURE, "cannot check %s: %s", p,
				strerror(errno));
		bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && strcmp(p, path) != 0;
		if (st.st_uid != 0)
			return fail(e, reason, SMR_UNSAFE_OWNERSHIP, SME_INVALID_SIGNATURE, "%s is owned by uid %u, not root: "
				"a daemon runs as root, so everything on its path must be root's (chown root)", p,
				(unsigned)st.st_uid);
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky_dir)
			return fail(e, reason, SMR_UNSAFE_OWNERSHIP, SME_INVALID_SIGNATURE, "%s is writable by %s (mode %04o): "
				"a user could replace what the daemon runs as root", p,
				(st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777));
		char *slash = strrchr(p, '/');
		if (!slash || slash == p) {
			if (slash && p[1]) {
				p[1] = '\0'; /* check "/" last */
				continue;
			}
			return 0;
		}
		*slash = '\0';
	}
}

/* A path inside the bundle from a relative BundleProgram; refuses escapes. */
static int bundle_relative(const char *bundle, const char *rel, char *out, size_t len, struct gerror *e,
	enum sm_reason *reason)
{
	if (rel[0] == '/' || strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0 || strstr(rel, "/../") ||
	    (strlen(rel) >= 3 && strcmp(rel + strlen(rel) - 3, "/..") == 0))
		return fail(e, reason, SMR_INVALID_PLIST, SME_INVALID_PLIST, "BundleProgram \"%s\" must be a path inside "
			"the bundle, relative to %s (like Contents/MacOS/helper)", rel, bundle);
	snprintf(out, len, "%s/%s", bundle, rel);
	return 0;
}

static int check_executable(const char *exe, const char *what, struct gerror *e, enum sm_reason *reason)
{
	struct stat st;
	if (stat(exe, &st) < 0)
		return fail(e, reason, SMR_EXECUTABLE_MISSING, SME_TOOL_NOT_VALID, "%s not found at %s: %s", what, exe,
			strerror(errno));
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return fail(e, reason, SMR_EXECUTABLE_MISSING, SME_TOOL_NOT_VALID, "%s %s is not an executable file", what,
			exe);
	return 0;
}

/* A spec for a login item or the main app: run the bundle's executable. */
static struct job_spec *bundle_app_spec(const char *label, const char *exe, bool keep_alive, struct gerror *e,
	enum sm_reason *reason)
{
	plist_t root = plist_new_dict();
	plist_dict_set_item(root, "Label", plist_new_string(label));
	plist_dict_set_item(root, "Program", plist_new_string(exe));
	plist_dict_set_item(root, "RunAtLoad", plist_new_bool(1));
	if (keep_alive) { /* "if the helper crashes or exits non-zero it will be relaunched" */
		plist_t ka = plist_new_dict();
		plist_dict_set_item(ka, "SuccessfulExit", plist_new_bool(0));
		plist_dict_set_item(root, "KeepAlive", ka);
	}
	struct spec_diag diag = {0};
	struct job_spec *s = spec_from_plist(root, exe, &diag);
	plist_free(root);
	if (!s)
		fail(e, reason, SMR_INVALID_PLIST, SME_INVALID_PLIST, "%s", diag.nerrors ? diag.errors[0] : label);
	spec_diag_clear(&diag);
	return s;
}

/* Daemons and agents: the plist in Contents/Library/Launch{Daemons,Agents}. */
static struct job_spec *bundled_plist_spec(struct sm_item *it, struct gerror *e, enum sm_reason *reason)
{
	char path[PATH_MAX], exe[PATH_MAX];
	if (!*it->name || strchr(it->name, '/'))
		return fail(e, reason, SMR_PLIST_MISSING, SME_PLIST_NOT_FOUND, "\"%s\" is not a plist file name", it->name),
		       NULL;
	snprintf(path, sizeof(path), "%s/Contents/Library/%s/%s", it->bundle,
		it->kind == SM_DAEMON ? "LaunchDaemons" : "LaunchAgents", it->name);
	if (access(path, F_OK) < 0)
		return fail(e, reason, SMR_PLIST_MISSING, SME_PLIST_NOT_FOUND, "no plist at %s: %s", path, strerror(errno)),
		       NULL;
	struct spec_diag diag = {0};
	struct job_spec *s = spec_load_file(path, &diag);
	if (!s) {
		fail(e, reason, SMR_INVALID_PLIST, SME_INVALID_PLIST, "%s", diag.nerrors ? diag.errors[0] : path);
		spec_diag_clear(&diag);
		return NULL;
	}
	const char *prog = s->bundle_program ? NULL : spec_program(s);
	if (s->bundle_program && bundle_relative(it->bundle, s->bundle_program, exe, sizeof(exe), e, reason)) {
		spec_free(s);
		return NULL;
	}
	if (!s->bundle_program && (!prog || prog[0] != '/')) {
		fail(e, reason, SMR_INVALID_PLIST, SME_INVALID_PLIST, "%s: give BundleProgram (a path inside the bundle) or "
			"an absolute Program", path);
		spec_free(s);
		return NULL;
	}
	if (s->bundle_program) {
		free(s->program);
		s->program = strdup(exe);
	} else {
		snprintf(exe, sizeof(exe), "%s", prog);
	}
	it->plist = strdup(path);
	it->exe = strdup(exe);
	it->label = strdup(s->label);
	return s;
}

/* Login items (Contents/Library/LoginItems/<id>.app) and the main app. */
static struct job_spec *app_spec(struct sm_item *it, struct gerror *e, enum sm_reason *reason)
{
	char app[PATH_MAX], exe[PATH_MAX], why[PATH_MAX + 200];
	if (it->kind == SM_LOGIN_ITEM)
		snprintf(app, sizeof(app), "%s/Contents/Library/LoginItems/%s.app", it->bundle, it->name);
	else
		snprintf(app, sizeof(app), "%s", it->bundle);
	struct bundle_info info;
	if (bundle_read_info(app, &info, why, sizeof(why)))
		return fail(e, reason, errno == ENOENT ? SMR_PLIST_MISSING : SMR_INVALID_PLIST,
			errno == ENOENT ? SME_PLIST_NOT_FOUND : SME_INVALID_PLIST, "%s", why), NULL;
	const char *label = it->kind == SM_LOGIN_ITEM ? it->name : info.identifier;
	struct job_spec *s = NULL;
	if (!info.executable || !label || strchr(info.executable, '/'))
		fail(e, reason, SMR_INVALID_PLIST, SME_INVALID_PLIST, "%s/Contents/Info.plist needs CFBundleIdentifier and a "
			"CFBundleExecutable file name", app);
	else if (it->kind == SM_LOGIN_ITEM && (!info.identifier || strcmp(info.identifier, it->name) != 0))
		fail(e, reason, SMR_INVALID_PLIST, SME_INVALID_PLIST, "login item %s has CFBundleIdentifier \"%s\"; "
			"the identifier must equal it", app, info.identifier ? info.identifier : "");
	else {
		snprintf(exe, sizeof(exe), "%s/Contents/MacOS/%s", app, info.executable);
		s = bundle_app_spec(label, exe, it->kind == SM_LOGIN_ITEM, e, reason);
		if (s) {
			it->exe = strdup(exe);
			it->label = strdup(label);
		}
	}
	bundle_info_clear(&info);
	return s;
}

/*
 * The SpawnConstraint an item's job gets by default: the executable as registered (its SHA-256, and the bundle
 * it lies in), so a helper swapped on disk without register() cannot start. Facts the item's own plist gives
 * are kept.
 */
static void derive_constraint(struct job_spec *s, const struct sm_item *it)
{
	struct spec_constraint *c = &s->spawn_constraint;
	size_t n = strlen(it->bundle);
	bool derived = false;
	c->present = true;
	if (!c->sha256) {
		c->sha256 = strdup(it->exe_sha);
		derived = true;
	}
	if (!c->in_bundle && strncmp(it->exe, it->bundle, n) == 0 && it->exe[n] == '/') {
		c->in_bundle = strdup(it->bundle);
		derived = true;
	}
	if (derived && !c->origin && asprintf(&c->origin, "derived from %s when it was registered; register() again "
		"to accept a changed executable", it->bundle) < 0)
		gantry_oom();
	if (!c->sha256 || (derived && !c->origin))
		gantry_oom(); /* out of memory, as everywhere in launchd */
}

static int derive(enum sm_kind kind, const char *bundle, const char *name, uid_t caller, struct sm_item **out,
	struct job_spec **spec, enum sm_reason *reason, struct gerror *e)
{
	char real[PATH_MAX], why[PATH_MAX + 200];
	struct stat st;
	*out = NULL;
	*spec = NULL;
	if (!realpath(bundle, real) || stat(real, &st) < 0)
		return fail(e, reason, SMR_BUNDLE_MISSING, SME_PLIST_NOT_FOUND, "bundle %s: %s", bundle, strerror(errno));
	size_t n = strlen(real);
	if (!S_ISDIR(st.st_mode) || n < 5 || strcmp(real + n - 4, ".app") != 0)
		return fail(e, reason, SMR_BUNDLE_MISSING, SME_TOOL_NOT_VALID, "%s is not an app bundle (a Name.app "
			"directory)", real);
	if (caller != 0 && st.st_uid != 0 && st.st_uid != caller)
		return fail(e, reason, SMR_NOT_REGISTERED, SME_AUTHORIZATION, "uid %u does not own the bundle %s (owned by "
			"uid %u)", (unsigned)caller, real, (unsigned)st.st_uid);
	struct sm_item *it = calloc(1, sizeof(*it));
	if (!it)
		gantry_oom();
	it->kind = kind;
	it->name = strdup(name ? name : "");
	it->bundle = strdup(real);
	it->owner = caller;
	struct bundle_info info;
	if (bundle_read_info(real, &info, why, sizeof(why)) == 0) {
		it->bundle_id = info.identifier;
		it->version = info.version;
		free(info.executable);
	}
	struct job_spec *s = kind == SM_DAEMON || kind == SM_AGENT ? bundled_plist_spec(it, e, reason) : app_spec(it, e, reason);
	int err = s ? check_executable(it->exe, s->bundle_program ? "BundleProgram" : "the executable", e, reason) : e->code;
	if (!err && kind == SM_DAEMON && !(err = sm_check_root_only(it->exe, e, reason)))
		err = sm_check_root_only(it->plist, e, reason);
	if (!err && it->plist && (err = sha256_file_hex(it->plist, it->plist_sha)))
		err = fail(e, reason, SMR_PLIST_MISSING, SME_PLIST_NOT_FOUND, "cannot read %s: %s", it->plist, strerror(err));
	if (!err && (err = sha256_file_hex(it->exe, it->exe_sha)))
		err = fail(e, reason, SMR_EXECUTABLE_MISSING, SME_TOOL_NOT_VALID, "cannot read %s: %s", it->exe, strerror(err));
	if (err) {
		spec_free(s);
		sm_item_free(it);
		return err;
	}
	derive_constraint(s, it);
	if (kind == SM_DAEMON)
		snprintf(it->domain, sizeof(it->domain), "system");
	else
		snprintf(it->domain, sizeof(it->domain), "gui/%u", (unsigned)caller);
	*out = it;
	*spec = s;
	*reason = SMR_NONE;
	return 0;
}

/* Everything in the bundle is read with the rights of the user who registers it (the privilege rule). */
int sm_derive(enum sm_kind kind, const char *bundle, const char *name, uid_t caller, struct sm_item **out,
	struct job_spec **spec, enum sm_reason *reason, struct gerror *e)
{
	if (identity_enter_uid(caller, e)) {
		*reason = SMR_NOT_REGISTERED;
		return SME_INTERNAL;
	}
	int r = derive(kind, bundle, name, caller, out, spec, reason, e);
	identity_leave();
	return r;
}

int sm_rederive(const struct sm_item *it, struct sm_item **fresh, struct job_spec **spec, enum sm_reason *reason,
	struct gerror *e)
{
	return sm_derive(it->kind, it->bundle, it->name, it->owner, fresh, spec, reason, e);
}

const char *sm_error_text(int code)
{
	static const char *const text[] = {
		[SME_INTERNAL] = "Internal failure", [SME_INVALID_SIGNATURE] = "Invalid signature",
		[SME_AUTHORIZATION] = "Authorization failure", [SME_TOOL_NOT_VALID] = "Tool not valid",
		[SME_JOB_NOT_FOUND] = "Job not found", [SME_SERVICE_UNAVAILABLE] = "Service unavailable",
		[SME_PLIST_NOT_FOUND] = "Job plist not found", [SME_MUST_BE_ENABLED] = "Job must be enabled",
		[SME_INVALID_PLIST] = "Invalid plist", [SME_DENIED] = "Launch denied by user",
	};
	return code > 0 && code <= SME_DENIED && text[code] ? text[code] : "Service Management error";
}
