/* WatchPaths and QueueDirectories (see pathtrig.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "domain.h"
#include "identity.h"
#include "job.h"
#include "log.h"
#include "pathtrig.h"
#include "pathwatch.h"
#include "protocol.h"

static void on_watch_path(const char *path, void *ctx);
static void on_queue_dir(const char *path, void *ctx);

static void arm(struct job *j, void *held)
{
	(void)held;
	const struct job_spec *s = j->spec;
	for (size_t i = 0; i < s->nwatch_paths; i++)
		pathwatch_add(s->watch_paths[i], on_watch_path, j);
	for (size_t i = 0; i < s->nqueue_dirs; i++)
		pathwatch_add(s->queue_dirs[i], on_queue_dir, j);
}

static void disarm(struct job *j)
{
	const struct job_spec *s = j->spec;
	for (size_t i = 0; i < s->nwatch_paths; i++)
		pathwatch_remove(s->watch_paths[i], on_watch_path, j);
	for (size_t i = 0; i < s->nqueue_dirs; i++)
		pathwatch_remove(s->queue_dirs[i], on_queue_dir, j);
}

/* 1 if dir holds an entry, 0 if empty, -1 (errno set) if the job's user cannot read it. */
static int dir_has_entry(const struct job *j, const char *dir)
{
	struct gerror why = {0};
	if (identity_enter_uid(job_owner(j), &why)) {
		errno = EPERM;
		return -1;
	}
	DIR *d = opendir(dir);
	int err = errno;
	identity_leave();
	errno = err;
	if (!d)
		return -1;
	struct dirent *e;
	int found = 0;
	while (!found && (e = readdir(d)))
		found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return found;
}

static bool queue_pending(const struct job *j)
{
	for (size_t i = 0; i < j->spec->nqueue_dirs; i++)
		if (dir_has_entry(j, j->spec->queue_dirs[i]) == 1)
			return true;
	return false;
}

static void trigger(struct job *j, enum start_reason why)
{
	if (!job_trigger(j, why) && j->rt.state != JS_REMOVED)
		j->path_skips++;
}

static void on_watch_path(const char *path, void *ctx)
{
	(void)path;
	trigger(ctx, SR_WATCH);
}

static void on_queue_dir(const char *path, void *ctx)
{
	if (dir_has_entry(ctx, path) == 1)
		trigger(ctx, SR_QUEUE);
}

static void describe_paths(const struct job *j, xpc_object_t arr, char **paths, size_t n, bool queue)
{
	for (size_t i = 0; i < n; i++) {
		xpc_object_t e = xpc_dictionary_create_empty();
		xpc_dictionary_set_string(e, KEY_PATH, paths[i]);
		if (queue) {
			int has = dir_has_entry(j, paths[i]);
			xpc_dictionary_set_string(e, KEY_STATE, has == 1 ? "not empty" : has == 0 ? "empty" : strerror(errno));
		} else {
			xpc_dictionary_set_string(e, KEY_STATE, identity_path_exists(job_owner(j), paths[i]) ? "exists" :
				"does not exist (watched for creation)");
		}
		xpc_array_append_value(arr, e);
		xpc_release(e);
	}
}

static void describe(const struct job *j, xpc_object_t d)
{
	const struct job_spec *s = j->spec;
	if (!s->nwatch_paths && !s->nqueue_dirs)
		return;
	xpc_object_t watch = xpc_array_create(NULL, 0), queue = xpc_array_create(NULL, 0);
	describe_paths(j, watch, s->watch_paths, s->nwatch_paths, false);
	describe_paths(j, queue, s->queue_dirs, s->nqueue_dirs, true);
	xpc_dictionary_set_value(d, KEY_WATCH_PATHS, watch);
	xpc_dictionary_set_value(d, KEY_QUEUE_DIRECTORIES, queue);
	xpc_dictionary_set_int64(d, KEY_PATH_FIRES_SKIPPED_WHILE_RUNNING, (int64_t)j->path_skips);
	xpc_release(watch);
	xpc_release(queue);
}

const struct trigger_kind paths_trigger = {.name = "paths", .arm = arm, .disarm = disarm, .pending = queue_pending,
	.describe = describe};
