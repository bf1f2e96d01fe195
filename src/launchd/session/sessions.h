/*
 * Login sessions (pam_launchd.so): the sessions open for each user, their
 * types and environment, and what they mean for the user's domains —
 * gui/<uid> hosts Aqua (graphical) and LoginWindow (greeter) sessions,
 * user/<uid> the Background session while the user has any session or
 * lingers, and StandardIO while a tty or ssh session is open. A session ends
 * when pam_close_session says so or when its leader (the process that
 * opened it: login, sshd, the display manager's worker) exits. Sessions are
 * kept in the run directory, so a launchd restarted keeps them; lingering
 * users in the state directory.
 */
#ifndef GANTRY_SESSIONS_H
#define GANTRY_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "launchd.h"

/*
 * Opens a session of type (SESSION_AQUA, SESSION_STANDARDIO or SESSION_LOGINWINDOW) for uid, led by leader
 * (a pidfd is held on it); desc says where it is ("x11 seat0 tty7 via gdm-password"); env: its variables
 * (a dictionary of strings; only the session's own, see sessions.c). 0 with *id, or an error in e.
 */
int sessions_open(uid_t uid, unsigned type, pid_t leader, const char *desc, xpc_object_t env, uint32_t *id,
	struct gerror *e);
/* Closes session id; 0 or an error in e. */
int sessions_close(uint32_t id, struct gerror *e);
/* launchctl linger UID on|off: user/<uid> stays active without a session (persisted). */
int sessions_set_linger(uid_t uid, bool on, struct gerror *e);
bool sessions_lingers(uid_t uid);
/* The session types the hook asks for (launchd.h session_types). */
unsigned sessions_types_of(bool gui, uid_t uid);
/* print: the sessions a domain of uid hosts (gui: Aqua and LoginWindow; else every one), as dictionaries. */
xpc_object_t sessions_describe(bool gui, uid_t uid);
/* The environment of uid's newest session of those gui picks, as a dictionary (launchctl asuser), or NULL. */
xpc_object_t sessions_environment(uid_t uid);
/* At start: the sessions launchd had before (those whose leader still runs) and the lingering users. */
void sessions_restore(void);

#endif
