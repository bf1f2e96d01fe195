/*
 * What sessions.c keeps and where: a session's record, the session table
 * saved in the run directory (sessions.plist: gone at reboot, as the
 * sessions are; kept across a launchd restart), the lingering users in the
 * state directory (linger.plist). A leader's start time (procrec.h) tells it
 * from a later process given the same pid.
 */
#ifndef GANTRY_SESSSTORE_H
#define GANTRY_SESSSTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <xpc/xpc.h>

#include "launchd.h"
#include "loop.h"

struct session {
	struct session *next;
	uint32_t id;
	uid_t uid;
	unsigned type;          /* SESSION_AQUA, SESSION_STANDARDIO or SESSION_LOGINWINDOW */
	pid_t leader;
	uint64_t leader_start;  /* its /proc/<pid>/stat starttime (LEADER_START) */
	struct watch w;         /* the leader's pidfd */
	int64_t opened_ms;      /* wall clock */
	char *desc;
	char **env;             /* NAME=value, NULL-terminated, or NULL */
};

/* env (a dictionary of strings, or NULL) as NAME=value strings in *out; 0 or an error in e. */
int sessstore_env_from(xpc_object_t env, char ***out, struct gerror *e);
/* Saves the table (a failure is logged: the sessions go on, a restart would lose them). */
void sessstore_save(const struct session *list);
/* The saved sessions, one per call (its watch not armed), then NULL. */
struct session *sessstore_next_saved(void);

int sessstore_set_linger(uid_t uid, bool on, struct gerror *e);
void sessstore_load_linger(void);
size_t sessstore_nlinger(void);
uid_t sessstore_linger_uid(size_t i);

#endif
