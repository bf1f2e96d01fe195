/*
 * libFuzzer target: Service Management's bundle derivation (smderive.c).
 * The input is split at its first NUL into an Info.plist and a job plist;
 * both are written into a real app bundle (with an executable helper) and
 * the job is derived as an agent and the bundle as a main app, as register() does.
 * Each derivation must give an item and a spec whose label is the plist's,
 * or an error with its detail — never a crash, never both or neither.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launchd_stubs.h"
#include "smderive.h"

static char bundle[PATH_MAX], info_path[PATH_MAX], job_path[PATH_MAX];

static void write_file(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_launchd_init();
	char dir[PATH_MAX];
	snprintf(bundle, sizeof(bundle), "%s/Fuzz.app", g_launchd.paths.state_dir);
	snprintf(dir, sizeof(dir), "%s/Contents/Library/LaunchAgents", bundle);
	if (mkdir_p(dir, 0755))
		abort();
	snprintf(dir, sizeof(dir), "%s/Contents/MacOS", bundle);
	if (mkdir_p(dir, 0755))
		abort();
	char helper[PATH_MAX + 16];
	snprintf(helper, sizeof(helper), "%s/helper", dir);
	write_file(helper, (const uint8_t *)"#!/bin/sh\n", 10, 0755);
	snprintf(info_path, sizeof(info_path), "%s/Contents/Info.plist", bundle);
	snprintf(job_path, sizeof(job_path), "%s/Contents/Library/LaunchAgents/fuzz.plist", bundle);
	return 0;
}

static void derive_one(enum sm_kind kind, const char *name)
{
	struct sm_item *item = NULL;
	struct job_spec *spec = NULL;
	enum sm_reason reason;
	struct gerror e = {0};
	int r = sm_derive(kind, bundle, name, geteuid(), &item, &spec, &reason, &e);
	if (r == 0 && (!item || !spec || !spec->label || !item->label || strcmp(item->label, spec->label) != 0))
		abort();
	if (r != 0 && !e.detail[0])
		abort();
	sm_item_free(r == 0 ? item : NULL);
	spec_free(r == 0 ? spec : NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SPEC_MAX_FILE_SIZE)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t info_len = nul ? (size_t)(nul - data) : size;
	write_file(info_path, data, info_len, 0644);
	write_file(job_path, nul ? nul + 1 : data, nul ? size - info_len - 1 : 0, 0644);
	derive_one(SM_AGENT, "fuzz.plist");
	derive_one(SM_MAIN_APP, "");
	return 0;
}
