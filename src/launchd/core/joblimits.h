/*
 * The resource limits jobs start with (launchctl limit), in macOS's order and names: cpu, filesize, data,
 * stack, core, rss, memlock, maxproc, maxfiles. A job's Soft/HardResourceLimits still win (joblimits.c).
 */
#ifndef GANTRY_JOBLIMITS_H
#define GANTRY_JOBLIMITS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "launchd.h"
#include "spec.h"

#define JOB_LIMITS 9

/* One default: unset, or the limit a job starts with. */
struct job_limit {
	bool set;
	struct rlimit rl;
};

/* The index of a limit's name, or -1. */
int job_limit_by_name(const char *name);
const char *job_limit_name(int i);
/* What jobs get: the default set with launchctl limit, else launchd's own limit. */
struct rlimit job_limit_get(int i);
/*
 * Sets it (RLIM_INFINITY, (uint64_t)-1: unlimited); refuses a soft above the hard, or a hard above launchd's
 * own for a launchd that could not raise it.
 */
int job_limit_set(int i, uint64_t soft, uint64_t hard, struct gerror *e);
/* The defaults by enum spec_rlimit, for spawn_request.limits. */
const struct job_limit *job_limits(void);

#endif
