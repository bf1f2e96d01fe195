/*
 * bench helper: `stamp FILE CMD...` writes "<pid> <CLOCK_MONOTONIC ns>" to FILE
 * (atomically, by rename) and execs CMD. The benchmark uses it to see when a
 * supervisor's respawned service really started, with the same clock it used
 * to time the kill.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	char tmp[4096];
	if (argc < 3) {
		fprintf(stderr, "usage: stamp FILE CMD [ARGS...]\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(tmp, sizeof(tmp), "%s.%d", argv[1], (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d %lld\n", (int)getpid(), (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec) < 0 ||
	    fclose(f) != 0 || rename(tmp, argv[1]) != 0) {
		perror("stamp");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror("stamp: exec");
	return 127;
}
