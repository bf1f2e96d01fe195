/*
 * The resource limits jobs start with (launchctl limit): macOS's names and
 * order, a default per limit set for jobs started afterwards, and launchd's
 * own limit where none was set. spawn.c applies them under each job's own
 * Soft/HardResourceLimits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "joblimits.h"

/* launchctl limit: macOS's names and order, each a job-spec resource limit. */
static const struct {
	const char *name;
	enum spec_rlimit r;
} limit_names[JOB_LIMITS] = {
	{"cpu", RL_CPU}, {"filesize", RL_FSIZE}, {"data", RL_DATA}, {"stack", RL_STACK}, {"core", RL_CORE},
	{"rss", RL_RSS}, {"memlock", RL_MEMLOCK}, {"maxproc", RL_NPROC}, {"maxfiles", RL_NOFILE},
};

/* Defaults set with launchctl limit, by enum spec_rlimit. */
static struct job_limit defaults[RL_COUNT];

int job_limit_by_name(const char *name)
{
	for (int i = 0; i < JOB_LIMITS; i++)
		if (strcmp(limit_names[i].name, name) == 0)
			return i;
	return -1;
}

const char *job_limit_name(int i)
{
	return limit_names[i].name;
}

struct rlimit job_limit_get(int i)
{
	enum spec_rlimit r = limit_names[i].r;
	struct rlimit rl;
	if (defaults[r].set)
		return defaults[r].rl;
	getrlimit(spec_rlimit_resource(r), &rl);
	return rl;
}

int job_limit_set(int i, uint64_t soft, uint64_t hard, struct gerror *e)
{
	enum spec_rlimit r = limit_names[i].r;
	struct rlimit own;
	getrlimit(spec_rlimit_resource(r), &own);
	if (soft > hard)
		return gerror_set(e, EINVAL, "%s: the soft limit (%llu) is above the hard one (%llu)", limit_names[i].name,
			(unsigned long long)soft, (unsigned long long)hard);
	if (hard > own.rlim_max && geteuid() != 0)
		return gerror_set(e, EPERM, "%s: the hard limit %llu is above launchd's own (%llu), which only root may "
			"raise", limit_names[i].name, (unsigned long long)hard, (unsigned long long)own.rlim_max);
	defaults[r].set = true;
	defaults[r].rl = (struct rlimit){.rlim_cur = soft, .rlim_max = hard};
	return 0;
}

const struct job_limit *job_limits(void)
{
	return defaults;
}
