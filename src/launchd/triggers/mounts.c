/*
 * StartOnMount: launchd watches /proc/self/mountinfo (the kernel marks it
 * EPOLLPRI when the mount table changes) and starts every StartOnMount job
 * that is not running when a filesystem was mounted — a mount ID it has not
 * seen before. Unmounts start nothing. Watched only while such jobs exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "domain.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "mounts.h"
#include "oom.h"

#define MOUNTINFO "/proc/self/mountinfo"

static struct watch mount_watch = {.fd = -1};
static int users;          /* StartOnMount jobs loaded */
static int *known;         /* mount IDs seen so far, sorted */
static size_t nknown;

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Reads the mount IDs; returns how many are new since the last read. */
static size_t read_mounts(void)
{
	FILE *f = fopen(MOUNTINFO, "re");
	if (!f)
		return 0;
	int *ids = NULL;
	size_t n = 0, cap = 0, fresh = 0;
	char line[4096];
	int id;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d", &id) == 1) {
			if (n == cap && !(ids = realloc(ids, (cap = cap ? cap * 2 : 64) * sizeof(int))))
				gantry_oom();
			ids[n++] = id;
			fresh += known && !bsearch(&id, known, nknown, sizeof(int), cmp_int);
		}
	fclose(f);
	qsort(ids, n, sizeof(int), cmp_int);
	free(known);
	known = ids;
	nknown = n;
	return fresh;
}

static void on_mounts(struct watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	if (!read_mounts())
		return;
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		for (struct job *j = d->jobs; j; j = j->next)
			if (j->spec->start_on_mount)
				job_trigger(j, SR_MOUNT);
}

/* A StartOnMount job was loaded: the mount table is watched while there are any. */
static void arm(struct job *j, void *held)
{
	(void)held;
	if (!j->spec->start_on_mount || users++ > 0)
		return;
	int fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || loop_watch(&mount_watch, fd, EPOLLPRI, on_mounts)) {
		log_msg(LOG_ERR, "cannot watch %s: %s; StartOnMount will not start jobs", MOUNTINFO, strerror(errno));
		if (fd >= 0)
			close(fd);
		mount_watch.fd = -1;
		return;
	}
	read_mounts();
}

static void disarm(struct job *j)
{
	if (!j->spec->start_on_mount || --users > 0 || mount_watch.fd < 0)
		return;
	int fd = mount_watch.fd;
	loop_unwatch(&mount_watch);
	close(fd);
	free(known);
	known = NULL;
	nknown = 0;
}

const struct trigger_kind mounts_trigger = {.name = "mounts", .arm = arm, .disarm = disarm};
