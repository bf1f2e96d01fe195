/* Running out of memory (see oom.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oom.h"

#define OOM_ARGS_MAX 64            /* arguments kept for the new image */
#define OOM_RETRY_NS 1000000000L   /* between attempts to run again: the kernel frees memory meanwhile */

static char cmdline[4096];
static char *args[OOM_ARGS_MAX + 1];

static void say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));
	(void)r;
}

/* argv from /proc/self/cmdline into static storage; false if it cannot be read. */
static bool read_own_command_line(void)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (n <= 0)
		return false;
	cmdline[n] = '\0';
	size_t argc = 0;
	for (char *p = cmdline; p < cmdline + n && argc < OOM_ARGS_MAX; p += strlen(p) + 1)
		args[argc++] = p;
	args[argc] = NULL;
	return argc > 0;
}

void gantry_oom(void)
{
	if (getpid() != 1) {
		say("cannot go on: out of memory or of another resource (the line before says which, when it can)\n");
		abort();
	}
	say("launchd (PID 1): cannot go on (out of memory or of another resource); running launchd again\n");
	extern char **environ;
	const struct timespec pause = {0, OOM_RETRY_NS - 1};
	for (;;) {
		if (read_own_command_line())
			execve("/proc/self/exe", args, environ);
		say("launchd (PID 1): cannot run launchd again; retrying in a second\n");
		nanosleep(&pause, NULL);
	}
}
