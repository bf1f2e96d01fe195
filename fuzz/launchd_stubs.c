/* The fuzz targets' launchd (see launchd_stubs.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "domain.h"
#include "hooks.h"
#include "launchd_stubs.h"
#include "loop.h"
#include "spawn.h"

int spawn_job(const struct spawn_request *rq, pid_t *pid, int *pidfd, char cause[SPAWN_CAUSE_MAX])
{
	(void)rq, (void)pid, (void)pidfd;
	snprintf(cause, SPAWN_CAUSE_MAX, "fuzzing: no process is started");
	return ECANCELED;
}

int spawn_open_output(const struct spawn_identity *id, const char *key, const char *path, int job_umask,
	char cause[SPAWN_CAUSE_MAX])
{
	(void)id, (void)job_umask;
	snprintf(cause, SPAWN_CAUSE_MAX, "%s %s: fuzzing: no file is opened", key, path);
	return -1;
}

int spawn_rotate_output(const struct spawn_identity *id, const char *path, int keep, char cause[SPAWN_CAUSE_MAX])
{
	(void)id, (void)keep;
	snprintf(cause, SPAWN_CAUSE_MAX, "rotating %s: fuzzing: no file is renamed", path);
	return EPERM;
}

void fuzz_launchd_init(void)
{
	char root[] = "/tmp/gantry-fuzz-XXXXXX", err[256];
	if (!mkdtemp(root) || setenv("LAUNCHD_ROOT", root, 1))
		abort();
	g_launchd.uid = geteuid();
	if (gantry_paths_init(&g_launchd.paths, false, g_launchd.uid, err, sizeof(err)) ||
	    mkdir_p(g_launchd.paths.state_dir, 0755) || loop_init())
		abort();
	hooks_install();
	domain_create(DOMAIN_USER, g_launchd.uid);
	domain_create(DOMAIN_GUI, g_launchd.uid);
}
