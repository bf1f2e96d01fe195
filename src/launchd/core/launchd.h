/*
 * The daemon's global context (launchd.c), the hooks through which the core
 * calls the layers above it, and the error value every launchd operation
 * returns (gerror.c): a code (errno, or launchd's 107–159) plus the detail that names
 * the cause.
 */
#ifndef GANTRY_LAUNCHD_H
#define GANTRY_LAUNCHD_H

#include <stdbool.h>
#include <sys/types.h>

#include <xpc/xpc.h>

#include "paths.h"

struct domain;
struct job;
struct trigger_kind;

/*
 * How the daemon core reaches the layers above it. main.c sets these before
 * anything loads; the core calls up through nothing else.
 */
struct launchd_hooks {
	/* The control layer: sends msg on a client's connection to launchd (a checked-in listener's). */
	void (*deliver)(xpc_connection_t conn, xpc_object_t msg);
	/* Service Management: d is about to load its plists; its registered items load first. */
	void (*domain_loading)(struct domain *d);
	/* Service Management: is label registered in d (a legacy plist of that label is then skipped)? */
	bool (*owns_label)(const struct domain *d, const char *label);
	/* Service Management: does a registered item of d that does not run advertise name? why says so. */
	bool (*lookup_reason)(const struct domain *d, const char *name, char *why, size_t len);
	/* A job's main process exited with status (an exit code, or -signal); may be NULL. */
	void (*job_exited)(const struct job *j, int status);
	/* Login sessions: the session types (SESSION_* bits) a user's gui (or user) domain hosts now. */
	unsigned (*session_types)(bool gui, uid_t uid);
	/* The trigger kinds (trigger.h), NULL-terminated. */
	const struct trigger_kind *const *triggers;
};

struct launchd {
	struct gantry_paths paths;
	bool system;          /* --system: hosts system and every user's domains */
	uid_t uid;            /* --user: the user served */
	bool shutting_down;
	bool test_clock;      /* --test-clock: `launchctl test-clock` may move launchd's wall clock */
	size_t fd_limit;      /* RLIMIT_NOFILE, raised to the hard limit at start; 0: not known */
	struct domain *domains;
	struct launchd_hooks hooks;
};

extern struct launchd g_launchd;

#define GERROR_DETAIL_MAX 1024

struct gerror {
	int code;
	char detail[GERROR_DETAIL_MAX];
};

/* Sets e and returns code, so callers can `return gerror_set(e, ...)`. */
int gerror_set(struct gerror *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
