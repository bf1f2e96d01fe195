/*
 * liblaunch: what a launchd job asks of the launchd that started it.
 */
#ifndef GANTRY_LAUNCH_H
#define GANTRY_LAUNCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The descriptors launchd holds for the calling job's Sockets entry name
 * (one per address: IPv4 and IPv6 give two). On success returns 0, *fds is a
 * malloc'd array the caller frees and *cnt its length. Errors, as launchd's:
 * ENOENT (the job has no socket of that name), ESRCH (the caller is not a
 * launchd job), EALREADY (this process already activated it).
 */
int launch_activate_socket(const char *name, int **fds, size_t *cnt);

#ifdef __cplusplus
}
#endif
#endif
