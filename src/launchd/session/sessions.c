/* Login sessions: the table, the leaders' pidfds, what they make of a user's domains (see sessions.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "errors.h"
#include "log.h"
#include "loop.h"
#include "oom.h"
#include "procrec.h"
#include "protocol.h"
#include "sessions.h"
#include "sessstore.h"

#define SESSIONS_MAX_PER_USER 512  /* a user's sessions open at once (a build server's ssh connections) */
#define SESSIONS_MAX 8192          /* every user's: a bound on launchd's memory and sessions.plist */
#define SESSION_ENV_MAX_VARS 64    /* variables a session may pass */

#define LEADER_START(pid) procrec_stat_field(pid, 22) /* starttime: clock ticks after boot; 0 if gone */

static struct session *sessions;
static size_t nsessions;
static uint32_t next_id = 1;

static const unsigned GUI_TYPES = SESSION_AQUA | SESSION_LOGINWINDOW;

bool sessions_lingers(uid_t uid)
{
	for (size_t i = 0; i < sessstore_nlinger(); i++)
		if (sessstore_linger_uid(i) == uid)
			return true;
	return false;
}

unsigned sessions_types_of(bool gui, uid_t uid)
{
	unsigned types = 0;
	for (struct session *s = sessions; s; s = s->next)
		if (s->uid == uid)
			types |= s->type;
	if (gui)
		return types & GUI_TYPES;
	return types || sessions_lingers(uid) ? SESSION_BACKGROUND | (types & SESSION_STANDARDIO) : 0;
}

/* The newest session of uid whose type is in types, or NULL. */
static struct session *newest(uid_t uid, unsigned types)
{
	struct session *best = NULL;
	for (struct session *s = sessions; s; s = s->next)
		if (s->uid == uid && (s->type & types) && (!best || s->id > best->id))
			best = s;
	return best;
}

/*
 * uid's domains follow its sessions: their types, the newest session's environment (gui/<uid>: of its
 * graphical ones; user/<uid>: of any). A domain that does not exist is created only when it gets a type.
 */
static void apply(uid_t uid, const char *why)
{
	for (int gui = 0; gui < 2; gui++) {
		char name[32];
		snprintf(name, sizeof(name), "%s/%u", gui ? "gui" : "user", (unsigned)uid);
		unsigned types = sessions_types_of(gui, uid);
		struct domain *d = domain_find_named(name);
		if (!d && !types)
			continue;
		if (!d) {
			d = domain_create(gui ? DOMAIN_GUI : DOMAIN_USER, uid);
			d->session_types = 0; /* set below: its directories load once */
		}
		struct session *s = newest(uid, gui ? GUI_TYPES : ~0u);
		domain_apply_session_env(d, s ? s->env : NULL);
		domain_set_sessions(d, types, why);
	}
}

static void session_free(struct session *s)
{
	if (s->w.fd >= 0) {
		int fd = s->w.fd;
		loop_unwatch(&s->w);
		close(fd);
	}
	for (size_t i = 0; s->env && s->env[i]; i++)
		free(s->env[i]);
	free(s->env);
	free(s->desc);
	free(s);
}

/* Unlinks s, applies what its end means and saves the table; why: "closed", "its leader exited". */
static void end(struct session *s, const char *why)
{
	for (struct session **pp = &sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	nsessions--;
	char text[160];
	snprintf(text, sizeof(text), "%s session %u of uid %u ended: %s", spec_session_name(s->type), (unsigned)s->id,
		(unsigned)s->uid, why);
	log_msg(LOG_NOTICE, "%s", text);
	uid_t uid = s->uid;
	session_free(s);
	sessstore_save(sessions);
	apply(uid, text);
}

static void on_leader_exit(struct watch *w, uint32_t events)
{
	(void)events;
	struct session *s = container_of(w, struct session, w);
	char why[64];
	snprintf(why, sizeof(why), "its leader (pid %d) exited without closing it", (int)s->leader);
	end(s, why);
}

/* Watches s's leader; false if it is gone (or is not the process that opened s: start time differs). */
static bool watch_leader(struct session *s)
{
	int fd = (int)syscall(SYS_pidfd_open, s->leader, 0);
	if (fd < 0)
		return false;
	if (LEADER_START(s->leader) != s->leader_start || loop_watch(&s->w, fd, EPOLLIN, on_leader_exit)) {
		close(fd);
		return false;
	}
	return true;
}

/* Adds a session made by sessions_open or restored; applies it. */
static void add(struct session *s)
{
	s->next = sessions;
	sessions = s;
	nsessions++;
	if (s->id >= next_id)
		next_id = s->id + 1;
	char why[200];
	snprintf(why, sizeof(why), "%s session %u of uid %u opened (%s)", spec_session_name(s->type), (unsigned)s->id,
		(unsigned)s->uid, s->desc);
	log_msg(LOG_NOTICE, "%s", why);
	apply(s->uid, why);
}

/* The request within launchd's bounds: the user's and all sessions, the environment's shape. */
static int check_request(uid_t uid, xpc_object_t env, struct gerror *e)
{
	size_t mine = 0;
	for (struct session *s = sessions; s; s = s->next)
		mine += s->uid == uid;
	if (mine >= SESSIONS_MAX_PER_USER || nsessions >= SESSIONS_MAX)
		return gerror_set(e, darwin_errno(EDQUOT), "uid %u has %zu sessions open (launchd holds at most %d per user, "
			"%d in all): sessions are not being closed", (unsigned)uid, mine, SESSIONS_MAX_PER_USER, SESSIONS_MAX);
	if (env && (xpc_get_type(env) != XPC_TYPE_DICTIONARY || xpc_dictionary_get_count(env) > SESSION_ENV_MAX_VARS))
		return gerror_set(e, EINVAL, "the session's environment must be a dictionary of at most %d strings",
			SESSION_ENV_MAX_VARS);
	return 0;
}

int sessions_open(uid_t uid, unsigned type, pid_t leader, const char *desc, xpc_object_t env, uint32_t *id,
	struct gerror *e)
{
	if (check_request(uid, env, e))
		return e->code;
	struct session *s = calloc(1, sizeof(*s));
	char *copy = strdup(desc);
	if (!s || !copy)
		gantry_oom();
	*s = (struct session){.id = next_id, .uid = uid, .type = type, .leader = leader, .desc = copy,
		.leader_start = LEADER_START(leader), .w = {.fd = -1}};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->opened_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (sessstore_env_from(env, &s->env, e)) {
		session_free(s);
		return e->code;
	}
	if (!watch_leader(s)) {
		session_free(s);
		return gerror_set(e, ESRCH, "the session's leader, pid %d (the process that asked), is gone", (int)leader);
	}
	*id = s->id;
	add(s);
	sessstore_save(sessions);
	return 0;
}

int sessions_close(uint32_t id, struct gerror *e)
{
	for (struct session *s = sessions; s; s = s->next)
		if (s->id == id) {
			end(s, "closed");
			return 0;
		}
	return gerror_set(e, ESRCH, "no session %u is open (it ended already, or launchd never had it)", (unsigned)id);
}

xpc_object_t sessions_describe(bool gui, uid_t uid)
{
	xpc_object_t list = xpc_array_create(NULL, 0);
	for (struct session *s = sessions; s; s = s->next) {
		if (s->uid != uid || (gui && !(s->type & GUI_TYPES)))
			continue;
		xpc_object_t d = xpc_dictionary_create_empty();
		xpc_dictionary_set_int64(d, KEY_SESSION_ID, s->id);
		xpc_dictionary_set_string(d, KEY_SESSION_TYPE, spec_session_name(s->type));
		xpc_dictionary_set_string(d, KEY_SESSION_DESC, s->desc);
		xpc_dictionary_set_int64(d, KEY_PID, s->leader);
		xpc_dictionary_set_int64(d, KEY_OPENED, s->opened_ms);
		xpc_array_append_value(list, d);
		xpc_release(d);
	}
	return list;
}

xpc_object_t sessions_environment(uid_t uid)
{
	struct session *s = newest(uid, GUI_TYPES);
	if (!s)
		s = newest(uid, ~0u);
	if (!s)
		return NULL;
	xpc_object_t env = xpc_dictionary_create_empty();
	for (size_t i = 0; s->env && s->env[i]; i++) {
		char *eq = strchr(s->env[i], '=');
		*eq = '\0';
		xpc_dictionary_set_string(env, s->env[i], eq + 1);
		*eq = '=';
	}
	return env;
}

int sessions_set_linger(uid_t uid, bool on, struct gerror *e)
{
	if (sessstore_set_linger(uid, on, e))
		return e->code;
	log_msg(LOG_NOTICE, "uid %u %s", (unsigned)uid, on ? "lingers" : "no longer lingers");
	apply(uid, on ? "it lingers" : "it no longer lingers");
	return 0;
}

void sessions_restore(void)
{
	sessstore_load_linger();
	struct session *s;
	while ((s = sessstore_next_saved()))
		if (watch_leader(s))
			add(s);
		else {
			log_msg(LOG_NOTICE, "%s session %u of uid %u ended while launchd was away (its leader, pid %d, is gone)",
				spec_session_name(s->type), (unsigned)s->id, (unsigned)s->uid, (int)s->leader);
			session_free(s);
		}
	sessstore_save(sessions);
	for (size_t i = 0; i < sessstore_nlinger(); i++)
		apply(sessstore_linger_uid(i), "it lingers");
}
