/*
 * macOS job files on Linux: names and paths that exist on macOS and have a
 * Linux equivalent are translated, each with a warning saying what was done
 * (`print` and `lint` show it). What has no equivalent stays as it is and
 * fails where it is used, naming itself (an unknown `_mdnsresponder`
 * account is still "no such user").
 *
 *   /private/var, /private/tmp, /private/etc  ->  /var, /tmp, /etc   (when this system has no /private)
 *   /Users/NAME                               ->  /home/NAME         (when this system has no /Users)
 *   GroupName wheel                           ->  root               (when there is no group wheel)
 *   GroupName staff                           ->  the user's primary group (when there is no group staff)
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec_parse.h"
#include "oom.h"

static const struct {
	const char *top;          /* the macOS directory that must be missing here */
	const char *mac, *linux_; /* the prefix and its replacement */
} path_table[] = {
	{"/private", "/private/var", "/var"},
	{"/private", "/private/tmp", "/tmp"},
	{"/private", "/private/etc", "/etc"},
	{"/Users", "/Users", "/home"},
};

/* Translates *path in place if it starts with a macOS prefix (a whole component) whose top is missing here. */
static void translate(struct parse *p, const char *key, char **path)
{
	if (!*path)
		return;
	for (size_t i = 0; i < sizeof(path_table) / sizeof(path_table[0]); i++) {
		size_t n = strlen(path_table[i].mac);
		struct stat st;
		if (strncmp(*path, path_table[i].mac, n) != 0 || ((*path)[n] != '/' && (*path)[n] != '\0') ||
		    stat(path_table[i].top, &st) == 0)
			continue; /* (*path)[n] is read only once the first n bytes matched: the string is that long */
		char *linux_path;
		if (asprintf(&linux_path, "%s%s", path_table[i].linux_, *path + n) < 0)
			gantry_oom();
		parse_warn(p, key, "%s: macOS's %s does not exist here; using %s", *path, path_table[i].top, linux_path);
		free(*path);
		*path = linux_path;
		return;
	}
}

static void translate_list(struct parse *p, const char *key, char **list, size_t n)
{
	char path[64];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		translate(p, path, &list[i]);
	}
}

static void translate_group(struct parse *p, struct job_spec *s)
{
	if (!s->group || getgrnam(s->group))
		return;
	if (strcmp(s->group, "wheel") == 0) {
		parse_warn(p, "GroupName", "wheel: no such group here; using root, which macOS's wheel is (gid 0)");
		free(s->group);
		s->group = strdup("root");
	} else if (strcmp(s->group, "staff") == 0) {
		parse_warn(p, "GroupName", "staff: no such group here; using the user's primary group, as macOS's "
			"staff is for its users");
		free(s->group);
		s->group = NULL;
	}
}

void spec_translate_macos(struct parse *p)
{
	struct job_spec *s = p->s;
	translate(p, "Program", &s->program);
	if (s->argc)
		translate(p, "ProgramArguments[0]", &s->argv[0]);
	translate(p, "WorkingDirectory", &s->working_dir);
	translate(p, "RootDirectory", &s->root_dir);
	translate(p, "StandardInPath", &s->stdin_path);
	translate(p, "StandardOutPath", &s->stdout_path);
	translate(p, "StandardErrorPath", &s->stderr_path);
	translate_list(p, "WatchPaths", s->watch_paths, s->nwatch_paths);
	translate_list(p, "QueueDirectories", s->queue_dirs, s->nqueue_dirs);
	for (size_t i = 0; i < s->nka_paths; i++)
		translate(p, "KeepAlive.PathState", &s->ka_paths[i].name);
	char key[300];
	for (size_t i = 0; i < s->nsockets; i++) {
		snprintf(key, sizeof(key), "Sockets.%s.SockPathName", s->sockets[i].name);
		translate(p, key, &s->sockets[i].path);
	}
	translate_group(p, s);
}
