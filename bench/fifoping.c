/*
 * bench helper: `fifoping FIFO` writes one byte to FIFO and then waits to be
 * killed — a service whose first sign of life the benchmark can read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fifoping FIFO\n");
		return 64;
	}
	int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "!", 1) != 1) {
		perror(argv[1]);
		return 1;
	}
	for (;;)
		pause();
}
