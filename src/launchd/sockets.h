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

#include "launchd.h"
#include "spawn.h"

struct job;
struct job_spec;
struct job_sockets;

/*
 * Creates the spec's sockets (bound, listening) for a job of user owner, with the identity the caller took
 * (identity_enter): ports an unprivileged user may not bind are refused for owner != 0. Returns 0, or an
 * errno with e naming socket, address and cause.
 */
int sockets_open(struct job_spec *spec, uid_t owner, struct job_sockets **out, struct gerror *e);
/* Attaches them to their job and starts watching. */
void sockets_attach(struct job *j, struct job_sockets *socks);
/* Watches while the job waits, not while it runs (called after every state change). */
void sockets_sync(struct job *j);
/* Closes them (unload); Unix socket files are removed. */
void sockets_close(struct job *j);
/* The descriptors the next instance gets, or NULL if the job has no sockets. */
const struct spawn_fds *sockets_spawn_fds(struct job *j, struct spawn_fds *buf);
/* launch_activate_socket(): the descriptors of name for the job whose process is pid. 0 or an errno. */
int sockets_activate(pid_t pid, const char *name, xpc_object_t fds, char *why, size_t len);
void sockets_describe(const struct job *j, xpc_object_t d);

#endif
