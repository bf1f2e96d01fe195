/*
 * Who launchd acts as. The identity cache (uid, UserName, GroupName ->
 * uid, gid, groups, home, shell) shared by spawning and by the privilege
 * rule, and the privilege rule itself: everything the system launchd does
 * for a non-root domain or a non-root requester — reading a plist,
 * binding a socket, creating a directory, watching a path, expanding a
 * glob — runs between identity_enter() and identity_leave() with that
 * user's filesystem identity, so the kernel refuses what the user could not
 * do. See docs/design.md, "The privilege rule".
 */
#ifndef GANTRY_IDENTITY_H
#define GANTRY_IDENTITY_H

#include <stdbool.h>
#include <sys/types.h>

#include "launchd.h"
#include "spawn.h"

/*
 * The identity of uid (user and group given: UserName/GroupName of a system
 * job). Cached for launchd's lifetime; NULL with cause set if the user or
 * group does not exist.
 */
struct spawn_identity *identity_lookup(uid_t uid, const char *user, const char *group, bool init_groups,
	char *cause, size_t len);

/* The identity launchd acts with for a domain's owner (uid 0: root, no change). */
struct spawn_identity *identity_of_uid(uid_t uid, struct gerror *e);

/*
 * Takes the identity's filesystem credentials (fsuid, fsgid, supplementary
 * groups) until identity_leave(); a no-op for root and in a launchd that is
 * not root. Calls do not nest. Returns 0 or an errno (nothing changed).
 */
int identity_enter(const struct spawn_identity *id);
void identity_leave(void);
/* identity_enter() for the user uid (0: root, no change); 0, or the error in e. */
int identity_enter_uid(uid_t uid, struct gerror *e);
/*
 * Does path exist, as the user uid sees it? For the paths a job watches
 * (PathState, QueueDirectories, print's path states): a user whose watched
 * directory became a link into root's files learns nothing from launchd.
 */
bool identity_path_exists(uid_t uid, const char *path);


#endif

struct job_spec;
/*
 * The privileged acts a job of a non-root domain (owned by uid) may not ask
 * for: RootDirectory, a UserName/GroupName other than its own, a negative
 * Nice, resource limits above launchd's own hard limits. Returns 0 or
 * EPERM with the key named.
 */
int identity_check_spec(const struct job_spec *s, uid_t uid, struct gerror *e);

/* The lowest port an unprivileged user may bind (net.ipv4.ip_unprivileged_port_start). */
int identity_unprivileged_port_start(void);
