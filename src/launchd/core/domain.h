/*
 * Domains (system, user/<uid>, gui/<uid>): the jobs they hold, the
 * directories they load from, their overrides, and bootstrapping a plist
 * into one with launchd's checks (ownership, disabled, already loaded).
 */
#ifndef GANTRY_DOMAIN_H
#define GANTRY_DOMAIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "job.h"
#include "launchd.h"
#include "domconfig.h"
#include "jobindex.h"
#include "overrides.h"

/* DOMAIN_PID: an app process's private XPC services (pid/<PID>), gone when the process is. */
enum domain_kind { DOMAIN_SYSTEM, DOMAIN_USER, DOMAIN_GUI, DOMAIN_PID };

struct domain {
	struct domain *next;
	enum domain_kind kind;
	uid_t uid;
	char name[32];       /* "system", "user/501", "gui/501", "pid/4242" */
	pid_t pid;           /* DOMAIN_PID: the app process */
	bool ending;         /* DOMAIN_PID: the process exited; the domain goes with its last job */
	struct job *jobs;
	size_t njobs;
	struct job_index by_label;
	struct domain_config config; /* launchctl config: umask and PATH its jobs start with */
	struct disabled_job *disabled_jobs; /* plists not loaded because disabled, with the names they advertise */
	char **env;   /* launchctl setenv: NAME=value for jobs started afterwards, NULL-terminated, or NULL */
	size_t nenv;
	struct overrides overrides;
	unsigned session_types; /* SESSION_* bits its jobs may load for now (sessions.c sets a user's) */
	char **session_env;     /* the session's environment applied to env (domain_apply_session_env), or NULL */
};

/* Load flags for domain_bootstrap(). */
#define LOAD_FORCE 0x1   /* legacy load -F: ignore Disabled and overrides */
#define LOAD_ENABLE 0x2  /* legacy load -w: clear the override first */

/*
 * Resolves a domain name for a caller: "system", "user/<uid>", "gui/<uid>",
 * or "default" (legacy verbs: system for root, gui/<uid> otherwise).
 * The system daemon creates a user's domain at the user's login (session/),
 * or on its first use by that user or root when create is set (a request
 * that changes or starts something) — a domain made without a session hosts
 * no session type, so nothing loads into it; reading (create false) never
 * creates one, nor starts its jobs.
 */
struct domain *domain_resolve(const char *name, uid_t caller, bool create, struct gerror *e);
/* May caller change this domain? Returns 0 or EPERM with the reason. */
int domain_check_write(const struct domain *d, uid_t caller, struct gerror *e);
struct domain *domain_create(enum domain_kind kind, uid_t uid);
/* A pid/<PID> domain for the XPC services of process pid, run as uid (no overrides, no job directories). */
struct domain *domain_create_pid(pid_t pid, uid_t uid);
/* Frees a pid domain once its process exited and its last job went (a loop_defer callback). */
void domain_release_if_done(void *domain);
/* A plist that was not loaded because it is disabled: what it would advertise, for lookups to say so. */
struct disabled_job {
	struct disabled_job *next;
	char *label;
	char **services; /* its MachServices names, NULL-terminated */
	bool plist_disabled; /* its Disabled key (an override may say otherwise) */
};
/* The label of a disabled job of d that advertises name, or NULL. */
const char *domain_disabled_provider(const struct domain *d, const char *name);

/* The domain's environment (launchctl setenv/getenv/unsetenv): jobs started afterwards get it under their own. */
const char *domain_getenv(const struct domain *d, const char *name);
int domain_setenv(struct domain *d, const char *name, const char *value, struct gerror *e);
void domain_unsetenv(struct domain *d, const char *name);
/* Loads every *.plist of the domain's directories, in their precedence (jobdirs.c; at start and on creation). */
void domain_load_directories(struct domain *d);
/* Reads a job file with the rights of uid as (the requester, or the owner of the directory), ownership checked. */
struct job_spec *domain_read_plist(struct domain *d, const char *path, uid_t as, struct gerror *e);
/* Loads a parsed job file: overrides and Disabled (flags: LOAD_*), then domain_add_spec(). */
struct job *domain_load_spec(struct domain *d, const char *path, struct job_spec *s, enum job_origin origin,
	int flags, struct gerror *e);
/* May a job limited to the session types s (SESSION_* bits, 0: the default) load into d now? */
bool domain_session_fits(const struct domain *d, unsigned s);
/*
 * The session types d hosts change (a login session opened or ended): the plists of its directories that
 * fit a type added load; its jobs that fit none left are booted out (unless GantryOutlivesLogout); why
 * names the change for the log.
 */
void domain_set_sessions(struct domain *d, unsigned types, const char *why);
/*
 * A session's environment (NAME=value, NULL-terminated; NULL: none) replaces the one applied before: its
 * variables are unset unless changed since, the new ones set. The same list again changes nothing.
 */
void domain_apply_session_env(struct domain *d, char *const *env);

struct job *domain_find_job(const struct domain *d, const char *label);
/* The existing domain of that name ("system", "gui/501"), without creating it; NULL if none. */
struct domain *domain_find_named(const char *name);
/* The job, in any domain, whose running process is pid; NULL if none. */
struct job *domain_job_by_pid(pid_t pid);
/* Validates and loads one plist, read with the rights of uid as; returns the job, or NULL with e set. */
struct job *domain_bootstrap(struct domain *d, const char *path, enum job_origin origin, int flags, uid_t as,
	struct gerror *e);
/* Loads an already validated spec (submit); takes ownership of spec. */
struct job *domain_add_spec(struct domain *d, struct job_spec *spec, enum job_origin origin, struct gerror *e);
/* Validates a job given as a plist (launchctl submit, SMJobSubmit) and loads it; NULL with e set. */
struct job *domain_submit_plist(struct domain *d, plist_t root, const char *source, struct gerror *e);
/* Unlinks a removed job and frees it after the current event batch. */
void domain_forget_job(struct job *j);
/* The effective disabled state: override if any, else the plist's Disabled. */
bool domain_job_disabled(const struct domain *d, const char *label, bool plist_default);
/* Tells every job with a KeepAlive condition that the world changed. */
void domain_conditions_changed(void);
size_t domain_total_jobs(void);
/* Descriptors launchd keeps for itself (control clients, watches, logs) beside one per loaded job. */
#define DOMAIN_FD_RESERVE 256
/* Every job of every domain is booted out (shutdown); the event loop ends once the last one is gone. */
void domain_remove_all_jobs(void);

#endif
