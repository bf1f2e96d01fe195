/* gantry_accept(): accept4 that sheds a connection it has no descriptor for (see accept.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accept.h"

static int spare = -1; /* /dev/null, opened at the first accept, given up to shed a connection */

int gantry_accept(int fd)
{
	int s = __atomic_load_n(&spare, __ATOMIC_ACQUIRE);
	if (s < 0) {
		s = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int none = -1;
		if (s >= 0 && !__atomic_compare_exchange_n(&spare, &none, s, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			close(s); /* another thread kept one first */
	}
	int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn >= 0 || (errno != EMFILE && errno != ENFILE))
		return conn;
	s = __atomic_exchange_n(&spare, -1, __ATOMIC_ACQ_REL);
	if (s < 0)
		return -1; /* no spare (another thread is shedding): the poller wakes again and retries */
	close(s);
	conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn >= 0)
		close(conn);
	s = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s >= 0)
		__atomic_store_n(&spare, s, __ATOMIC_RELEASE);
	errno = EMFILE;
	return -1;
}
