/*
 * Socket activation (the Sockets key): launchd creates and holds a job's
 * sockets from load to unload, watches them while the job is not running,
 * starts the job when one becomes readable, and stops watching while it
 * runs (the job alone accepts). Sockets survive job restarts. Jobs get them
 * as LISTEN_FDS (systemd's protocol) or through launch_activate_socket();
 * inetdCompatibility jobs get a connection (Wait = false: one instance per
 * connection, not throttled) or the listening socket (Wait = true) on
 * standard input and output.
 */
#ifndef GANTRY_SOCKETS_H
#define GANTRY_SOCKETS_H

#include <stdbool.h>
#include <xpc/xpc.h>

#include "trigger.h"

/*
 * Sockets as a trigger kind (trigger.h). acquire creates the spec's sockets (bound, listening) for a job of
 * user owner with the identity the caller took (identity_enter): ports an unprivileged user may not bind are
 * refused for owner != 0, and e names socket, address and cause. arm attaches them and starts watching; sync
 * watches while the job waits, not while it runs; disarm closes them (unload) and removes Unix socket files;
 * spawn_fds gives the next instance its descriptors.
 */
extern const struct trigger_kind sockets_trigger;

/* launch_activate_socket(): the descriptors of name for the job whose process is pid. 0 or an errno. */
int sockets_activate(pid_t pid, const char *name, xpc_object_t fds, char *why, size_t len);

#endif
