/*
 * Launch constraints: a job's SpawnConstraint checked against its
 * executable before every spawn (as the job's user: the privilege rule), and
 * its ResponsibleProcessConstraint against the process whose connection
 * launches or reaches it on demand (its executable read through
 * /proc/<pid>/exe, which is the file that runs even if the path was
 * replaced since). Every refusal names the clause and both values, then
 * where the facts came from (Service Management says how to renew them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "constraints.h"
#include "digest.h"
#include "errors.h"
#include "identity.h"

static int refuse(char *why, size_t len, const struct spec_constraint *c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(char *why, size_t len, const struct spec_constraint *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(why, len, fmt, ap);
	va_end(ap);
	if (c->origin && n >= 0 && (size_t)n < len)
		snprintf(why + n, len - (size_t)n, " (%s)", c->origin);
	return EPERM;
}

/* Is path inside the directory dir (both resolved)? */
static bool inside(const char *path, const char *dir)
{
	char real[PATH_MAX];
	if (!realpath(dir, real))
		return false;
	size_t n = strlen(real);
	return strncmp(path, real, n) == 0 && path[n] == '/';
}

/*
 * The facts about a file: path names it (resolved: where it lies), open is what to hash (the same file, or
 * /proc/<pid>/exe: what runs). name is the constraint's key for the messages.
 */
static int check_file(const struct spec_constraint *c, const char *name, const char *path, const char *open,
	char *why, size_t len)
{
	struct stat st;
	char sha[SHA256_HEX_LEN + 1], bundle[PATH_MAX];
	if (stat(open, &st) < 0)
		return refuse(why, len, c, "%s: cannot examine %s: %s", name, path, strerror(errno));
	if (c->has_uid && name[0] == 'S' && st.st_uid != c->uid)
		return refuse(why, len, c, "%s.owner: %s is owned by uid %u, not uid %u", name, path, (unsigned)st.st_uid,
			(unsigned)c->uid);
	if (c->executable && strcmp(path, c->executable) != 0)
		return refuse(why, len, c, "%s.executable: the process runs %s, not %s", name, path, c->executable);
	if (c->in_bundle && !inside(path, c->in_bundle))
		return refuse(why, len, c, "%s.in-bundle: %s is not inside %s", name, path, c->in_bundle);
	if (c->bundle_identifier) {
		struct bundle_info info = {0};
		char err[256];
		bool found = bundle_enclosing(path, bundle, sizeof(bundle)) &&
			     bundle_read_info(bundle, &info, err, sizeof(err)) == 0 && info.identifier;
		bool same = found && strcmp(info.identifier, c->bundle_identifier) == 0;
		int r = same ? 0 : refuse(why, len, c, "%s.bundle-identifier: %s %s%s%s, not %s", name, path,
			found ? "belongs to " : "is in no bundle with an identifier", found ? info.identifier : "",
			found ? "" : "", c->bundle_identifier);
		bundle_info_clear(&info);
		if (r)
			return r;
	}
	int err = c->sha256 ? sha256_file_hex(open, sha) : 0;
	if (err)
		return refuse(why, len, c, "%s.sha256: cannot read %s: %s", name, path, strerror(err));
	if (c->sha256 && strcmp(sha, c->sha256) != 0)
		return refuse(why, len, c, "%s.sha256: %s has SHA-256 %.12s..., not %.12s...: the executable changed",
			name, path, sha, c->sha256);
	return 0;
}

int constraint_check_spawn(const struct job_spec *s, uid_t as, char *why, size_t len)
{
	const struct spec_constraint *c = &s->spawn_constraint;
	if (!c->present)
		return 0;
	char real[PATH_MAX];
	struct gerror e = {0};
	if (identity_enter_uid(as, &e)) {
		snprintf(why, len, "SpawnConstraint: %s", e.detail);
		return EPERM;
	}
	const char *program = spec_program(s);
	int r = realpath(program, real) ? check_file(c, "SpawnConstraint", real, real, why, len)
					: refuse(why, len, c, "SpawnConstraint: %s: %s", program, strerror(errno));
	identity_leave();
	return r;
}

int constraint_check_responsible(const struct job_spec *s, pid_t pid, uid_t uid, char *why, size_t len)
{
	const struct spec_constraint *c = &s->responsible_constraint;
	if (!c->present)
		return 0;
	if (c->has_uid && uid != c->uid)
		return refuse(why, len, c, "ResponsibleProcessConstraint.uid: pid %d runs as uid %u, not uid %u", (int)pid,
			(unsigned)uid, (unsigned)c->uid);
	if (!c->sha256 && !c->in_bundle && !c->bundle_identifier && !c->executable)
		return 0;
	char link[64], exe[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return refuse(why, len, c, "ResponsibleProcessConstraint: cannot read the executable of pid %d: %s",
			(int)pid, strerror(errno));
	exe[n] = '\0';
	return check_file(c, "ResponsibleProcessConstraint", exe, link, why, len);
}
