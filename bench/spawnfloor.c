/*
 * bench helper: `spawnfloor N SCRIPT` starts SCRIPT s0 .. s(N-1) with
 * posix_spawn as fast as it can and then waits. It is the floor for
 * "all N services running" on this machine: no supervisor does less.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: spawnfloor N SCRIPT\n");
		return 64;
	}
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "s%d", i);
		char *args[] = {argv[2], name, NULL};
		pid_t pid;
		int r = posix_spawn(&pid, argv[2], NULL, NULL, args, environ);
		if (r) {
			fprintf(stderr, "spawnfloor: posix_spawn: error %d\n", r);
			return 1;
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
