/*
 * Identities and the privilege rule (see identity.h). Identities are
 * resolved once and shared by every job that runs as the same user and
 * group: a thousand agents of one user cost one lookup and one record; the
 * cache is bounded by the number of distinct users.
 *
 * Acting as a user changes only the filesystem identity of launchd's (one)
 * thread: fsuid and fsgid through setfsuid/setfsgid, the supplementary
 * groups through the raw setgroups system call, which acts on the calling
 * task alone. A non-zero fsuid drops the filesystem capabilities
 * (CAP_DAC_OVERRIDE, CAP_FOWNER, ...) from the effective set, so opens,
 * binds, mkdirs and inotify watches are checked as the user's own.
 * Capabilities that do not follow the fsuid (binding ports below 1024,
 * chroot, raising limits) are refused by the callers before they act.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "identity.h"
#include "sys.h"
#include "oom.h"

struct identity_entry {
	struct identity_entry *next;
	uid_t uid;
	char *user_name, *group_name; /* the keys: UserName / GroupName, or NULL */
	bool init_groups;
	struct spawn_identity id;
};

static struct identity_entry *identities;

static bool same_key(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static char *dup_or_null(const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		gantry_oom();
	return d;
}

struct spawn_identity *identity_lookup(uid_t uid, const char *user, const char *group, bool init_groups,
	char *cause, size_t len)
{
	for (struct identity_entry *e = identities; e; e = e->next)
		if (e->uid == uid && same_key(e->user_name, user) && same_key(e->group_name, group) &&
		    e->init_groups == init_groups)
			return &e->id;
	struct passwd *pw = user ? sys->getpwnam(user) : sys->getpwuid(uid);
	if (!pw && user) {
		snprintf(cause, len, "UserName %s: no such user", user);
		return NULL;
	}
	struct group *gr = group ? sys->getgrnam(group) : NULL;
	if (group && !gr) {
		snprintf(cause, len, "GroupName %s: no such group", group);
		return NULL;
	}
	struct identity_entry *e = calloc(1, sizeof(*e));
	if (!e)
		gantry_oom();
	e->uid = uid;
	e->user_name = dup_or_null(user);
	e->group_name = dup_or_null(group);
	e->init_groups = init_groups;
	struct spawn_identity *id = &e->id;
	id->uid = pw ? pw->pw_uid : uid;
	id->gid = gr ? gr->gr_gid : pw ? pw->pw_gid : (gid_t)uid;
	if (pw) {
		id->user = dup_or_null(pw->pw_name);
		id->home = dup_or_null(pw->pw_dir);
		id->shell = dup_or_null(pw->pw_shell);
	}
	id->change = g_launchd.system && geteuid() == 0 && (id->uid != 0 || id->gid != 0);
	id->drop_first = id->change && !user && id->uid != 0;
	int n = 1;
	gid_t groups[SPAWN_MAX_GROUPS] = {id->gid};
	if (id->change && init_groups && id->user) {
		n = SPAWN_MAX_GROUPS;
		if (sys->getgrouplist(id->user, id->gid, groups, &n) < 0)
			n = SPAWN_MAX_GROUPS; /* truncated to the first SPAWN_MAX_GROUPS */
	}
	id->groups = malloc((size_t)n * sizeof(gid_t));
	if (!id->groups)
		gantry_oom();
	memcpy(id->groups, groups, (size_t)n * sizeof(gid_t));
	id->ngroups = n;
	e->next = identities;
	identities = e;
	return id;
}

struct spawn_identity *identity_of_uid(uid_t uid, struct gerror *e)
{
	char cause[256];
	struct spawn_identity *id = identity_lookup(uid, NULL, NULL, true, cause, sizeof(cause));
	if (!id)
		gerror_set(e, ESRCH, "%s", cause);
	return id;
}

static bool acting;
static gid_t saved_groups[SPAWN_MAX_GROUPS];
static int nsaved = -1;

/* Back to root's filesystem identity; false if the kernel refused. */
static bool restore_root(void)
{
	setfsuid(0);
	setfsgid(0);
	return syscall(SYS_setgroups, (size_t)nsaved, saved_groups) == 0 && (uid_t)setfsuid((uid_t)-1) == 0;
}

int identity_enter(const struct spawn_identity *id)
{
	if (acting)
		gantry_oom(); /* a nested enter would restore the wrong identity */
	if (!id || !id->change || geteuid() != 0)
		return 0;
	if (nsaved < 0 && (nsaved = getgroups(SPAWN_MAX_GROUPS, saved_groups)) < 0)
		return errno;
	if (syscall(SYS_setgroups, (size_t)id->ngroups, id->groups) < 0)
		return errno;
	setfsgid(id->gid);
	setfsuid(id->uid);
	/* setfsuid reports nothing; asking with an invalid id returns the current one */
	if ((uid_t)setfsuid((uid_t)-1) != id->uid || (gid_t)setfsgid((gid_t)-1) != id->gid) {
		if (!restore_root())
			gantry_oom();
		return EPERM;
	}
	acting = true;
	return 0;
}

void identity_leave(void)
{
	if (!acting)
		return;
	if (!restore_root())
		gantry_oom(); /* launchd cannot go on with a user's identity */
	acting = false;
}

int identity_enter_uid(uid_t uid, struct gerror *e)
{
	if (uid == 0 || !g_launchd.system)
		return 0;
	struct spawn_identity *id = identity_of_uid(uid, e);
	if (!id)
		return e->code;
	int r = identity_enter(id);
	if (r)
		return gerror_set(e, r, "cannot take the identity of uid %u: %s", (unsigned)uid, strerror(r));
	return 0;
}

bool identity_path_exists(uid_t uid, const char *path)
{
	struct gerror e = {0};
	struct stat st;
	if (identity_enter_uid(uid, &e))
		return false;
	bool exists = stat(path, &st) == 0;
	identity_leave();
	return exists;
}

static int check_user_key(const char *key, const char *name, bool group, uid_t uid, struct gerror *e)
{
	struct passwd *pw = group ? NULL : sys->getpwnam(name);
	struct passwd *own = sys->getpwuid(uid);
	if (!group && pw && pw->pw_uid == uid)
		return 0;
	if (group && own) { /* the user's primary group or one the user belongs to */
		gid_t groups[SPAWN_MAX_GROUPS];
		int n = SPAWN_MAX_GROUPS;
		struct group *gr = sys->getgrnam(name);
		if (gr && sys->getgrouplist(own->pw_name, own->pw_gid, groups, &n) >= 0)
			for (int i = 0; i < n; i++)
				if (groups[i] == gr->gr_gid)
					return 0;
	}
	return gerror_set(e, EPERM, "%s \"%s\": a job of uid %u runs as that user; only a system daemon may name "
		"another %s", key, name, (unsigned)uid, group ? "group" : "user");
}

int identity_check_spec(const struct job_spec *s, uid_t uid, struct gerror *e)
{
	if (uid == 0)
		return 0;
	if (s->root_dir)
		return gerror_set(e, EPERM, "RootDirectory \"%s\": chroot is for system daemons only (a job of uid %u "
			"cannot be confined by launchd)", s->root_dir, (unsigned)uid);
	if (s->user && check_user_key("UserName", s->user, false, uid, e))
		return e->code;
	if (s->group && check_user_key("GroupName", s->group, true, uid, e))
		return e->code;
	if (s->nice_set && s->nice < 0)
		return gerror_set(e, EPERM, "Nice %d: raising a job's priority is for system daemons only", s->nice);
	for (int r = 0; r < RL_COUNT; r++) {
		struct rlimit own;
		if (getrlimit(spec_rlimit_resource((enum spec_rlimit)r), &own) < 0 || own.rlim_max == RLIM_INFINITY)
			continue;
		const struct spec_limit *l[2] = {&s->soft[r], &s->hard[r]};
		for (int k = 0; k < 2; k++)
			if (l[k]->set && l[k]->value > own.rlim_max)
				return gerror_set(e, EPERM, "%s.%s %llu: above the hard limit %llu a user's job may have",
					k ? "HardResourceLimits" : "SoftResourceLimits", spec_rlimit_key((enum spec_rlimit)r),
					(unsigned long long)l[k]->value, (unsigned long long)own.rlim_max);
	}
	return 0;
}

int identity_unprivileged_port_start(void)
{
	int port = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	if (f) {
		if (fscanf(f, "%d", &port) != 1)
			port = 1024;
		fclose(f);
	}
	return port;
}
