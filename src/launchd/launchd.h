/*
 * The daemon's global context and the error value every launchd operation
 * returns: a code (errno, or launchd's 107–159) plus the detail that names
 * the cause.
 */
#ifndef GANTRY_LAUNCHD_H
#define GANTRY_LAUNCHD_H

#include <stdbool.h>
#include <sys/types.h>

#include "paths.h"

struct domain;

struct launchd {
	struct gantry_paths paths;
	bool system;          /* --system: hosts system and every user's domains */
	uid_t uid;            /* --user: the user served */
	bool shutting_down;
	bool test_clock;      /* --test-clock: `launchctl test-clock` may move launchd's wall clock */
	struct domain *domains;
};

extern struct launchd g_launchd;

#define GERROR_DETAIL_MAX 1024

struct gerror {
	int code;
	char detail[GERROR_DETAIL_MAX];
};

/* Sets e and returns code, so callers can `return gerror_set(e, ...)`. */
int gerror_set(struct gerror *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Called when the last job is gone during shutdown. */
void launchd_maybe_exit(void);

#endif
