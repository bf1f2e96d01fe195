/*
 * <xpc/connection.h> — Gantry's XPC connections: named services, anonymous
 * listeners, messages and replies, peer requirements, the run loop.
 * Handlers are blocks (built with clang -fblocks, linked with
 * -lBlocksRuntime) or function pointers with a context (the _f variants).
 * There are no dispatch queues; where a connection's handlers run is chosen
 * by its target queue, before activation:
 *   NULL (Apple's default): on libxpc's own thread, one connection's
 *     events and replies one at a time and in order — a program that sends
 *     and then sleeps, waits on a semaphore or runs its own loop gets its
 *     handlers called;
 *   XPC_QUEUE_CALLER (Gantry): by the caller, which polls
 *     xpc_connection_get_fd() and calls xpc_connection_dispatch(), or runs
 *     xpc_run_once() or xpc_main() (docs/design.md, "Handler threads").
 * A listener's peers run where the listener runs. Handlers never run with
 * libxpc locked: they may call anything, from any thread.
 */
#ifndef GANTRY_XPC_CONNECTION_H
#define GANTRY_XPC_CONNECTION_H

#include <xpc/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Connections (AF_UNIX SOCK_SEQPACKET; see docs/design.md). */
typedef void (*xpc_handler_f)(void *context, xpc_object_t event);
#ifdef __BLOCKS__
typedef void (^xpc_handler_t)(xpc_object_t object);
#endif

/* Gantry: the target queue of a connection whose handlers its caller runs (see above). */
extern const char _xpc_queue_caller[];
#define XPC_QUEUE_CALLER ((void *)_xpc_queue_caller)
/* Chooses where the handlers run (NULL: libxpc's thread; XPC_QUEUE_CALLER); only before activation. */
void xpc_connection_set_target_queue(xpc_connection_t connection, void *targetq);

#define XPC_CONNECTION_LISTENER (1u << 0)
#define XPC_CONNECTION_MACH_SERVICE_LISTENER (1u << 0)
#define XPC_CONNECTION_MACH_SERVICE_PRIVILEGED (1u << 1)

/*
 * A connection to the launchd job that advertises name in its MachServices —
 * looked up as on macOS: the caller's own domain (a job's, or the user's gui
 * and user domains), then the system domain, whose daemons every user may
 * reach (their peer requirement decides); ..._PRIVILEGED looks in the system
 * domain only — or with
 * ..._LISTENER the job's own listener for it. Creation never fails; the
 * lookup or check-in happens at activation, and a failure arrives as
 * XPC_ERROR_CONNECTION_INVALID (launchd's reason: xpc_connection_copy_invalidation_reason). queue: NULL or
 * XPC_QUEUE_CALLER (see above). A client connection that loses its service
 * gets XPC_ERROR_CONNECTION_INTERRUPTED and looks the service up again with
 * its next message (launchd relaunches the job); its descriptor then changes,
 * so foreign loops poll xpc_connection_get_fd() afresh after an event.
 */
xpc_connection_t xpc_connection_create_mach_service(const char *name, void *queue, uint64_t flags);
/*
 * How launchd tells a client that the service it waits for failed before
 * checking in: a message whose only key is this, holding an error object.
 * libxpc consumes it: pending replies and the event handler get
 * XPC_ERROR_CONNECTION_INTERRUPTED, and
 * xpc_connection_copy_invalidation_reason() returns the cause.
 */
#define XPC_SERVICE_ERROR_KEY "GantryServiceError"
/* The only key of the notice a peer sends back for a message its peer requirement refused. */
#define XPC_PEER_REFUSED_KEY "GantryPeerRefused"

/*
 * Gantry: a connection to (or, with XPC_CONNECTION_LISTENER, a listener on)
 * the AF_UNIX socket at path. A listener's event handler receives a new
 * peer connection (type XPC_TYPE_CONNECTION) for each client.
 */
xpc_connection_t xpc_connection_create_socket(const char *path, uint64_t flags);
/* Gantry: wrap an already connected SOCK_SEQPACKET descriptor (ownership passes). */
xpc_connection_t xpc_connection_create_from_fd(int fd);
/*
 * With name NULL, an anonymous listener: nobody can find it by name; it is
 * reached through endpoints made from it and sent in messages. With a name,
 * a connection to the XPC service of that bundle identifier inside the
 * calling app's bundle (Contents/XPCServices/NAME.xpc), which launchd
 * starts on demand (xpc(3)). queue: NULL or XPC_QUEUE_CALLER (see above).
 */
xpc_connection_t xpc_connection_create(const char *name, void *queue);
/* Called with the connection's context when the connection is freed (its last reference gone). */
typedef void (*xpc_finalizer_t)(void *value);
void xpc_connection_set_finalizer_f(xpc_connection_t connection, xpc_finalizer_t finalizer);
/* The name of a named-service connection, or NULL. */
const char *xpc_connection_get_name(xpc_connection_t connection);
void xpc_connection_set_event_handler_f(xpc_connection_t c, xpc_handler_f handler);
#ifdef __BLOCKS__
/* The block is copied; it replaces an _f handler (and the reverse). */
void xpc_connection_set_event_handler(xpc_connection_t connection, xpc_handler_t handler);
/* replyq is ignored: the reply runs where the connection's handlers run. */
void xpc_connection_send_message_with_reply(xpc_connection_t connection, xpc_object_t message,
	void *replyq, xpc_handler_t handler);
void xpc_connection_send_barrier(xpc_connection_t connection, void (^barrier)(void));
#endif
void xpc_connection_set_context(xpc_connection_t c, void *context);
void *xpc_connection_get_context(xpc_connection_t c);
void xpc_connection_activate(xpc_connection_t c);
void xpc_connection_resume(xpc_connection_t c);
void xpc_connection_suspend(xpc_connection_t c);
/*
 * Not pre-emptive: a handler that is running finishes first. Pending reply
 * handlers get XPC_ERROR_CONNECTION_INVALID, then the event handler gets it
 * once, as its last event. An activated connection stays alive (the run loop
 * holds a reference) until that final event, even if its creator releases it.
 */
void xpc_connection_cancel(xpc_connection_t c);
/*
 * A message that cannot be encoded (not a dictionary, a connection inside —
 * send an endpoint —, over 16 MiB, nested too deep, too many descriptors) is
 * never sent and never silently dropped: the reply handler (or the sync
 * call) gets an error object, "Message cannot be sent", whose code is the
 * errno and whose cause says why, and the connection stays usable; a
 * one-way send writes the cause to stderr.
 */
void xpc_connection_send_message(xpc_connection_t c, xpc_object_t message);
void xpc_connection_send_message_with_reply_f(xpc_connection_t c, xpc_object_t message,
	void *context, xpc_handler_f handler);
/*
 * Blocks until the reply arrives, the peer goes away or timeout_ms passes
 * (negative: no limit). Returns the reply or an error object; never NULL.
 */
xpc_object_t xpc_connection_send_message_with_reply_sync_timeout(xpc_connection_t c,
	xpc_object_t message, int timeout_ms);
xpc_object_t xpc_connection_send_message_with_reply_sync(xpc_connection_t c,
	xpc_object_t message);
/*
 * Runs barrier once every message sent before it has been handed to the
 * kernel (at once, from this call, if nothing is queued), or when the
 * connection ends first.
 */
void xpc_connection_send_barrier_f(xpc_connection_t c, void *context, void (*barrier)(void *context));
xpc_object_t xpc_dictionary_create_reply(xpc_object_t original);
xpc_connection_t xpc_dictionary_get_remote_connection(xpc_object_t xdict);
/*
 * Why the connection could not be opened, became invalid, or was last interrupted (malloc'd), or NULL: the
 * reason behind XPC_ERROR_CONNECTION_INVALID and XPC_ERROR_CONNECTION_INTERRUPTED. (Apple's SPI of this name
 * returns the same.)
 */
char *xpc_connection_copy_invalidation_reason(xpc_connection_t c);
pid_t xpc_connection_get_pid(xpc_connection_t c);
uid_t xpc_connection_get_euid(xpc_connection_t c);
gid_t xpc_connection_get_egid(xpc_connection_t c);

/*
 * Gantry: peer requirements (Apple's model, with Linux identities). The
 * requirement is a dictionary; every key present must hold for the peer that
 * sent a message, checked on every message: "uid" and "gid" (int64, the
 * kernel-attested credentials) and "executable" (string, the absolute path
 * of the sender's program, read through /proc and confirmed with the
 * message's pidfd so that a recycled PID cannot pass). A message from a peer
 * that fails is dropped before the handler; a reply that fails reaches the
 * caller as XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT. On a listener, every
 * new peer inherits the requirement. Returns 0, EINVAL for an unknown key or
 * a wrong type, or EALREADY if one was set before.
 */
int xpc_connection_set_peer_requirement(xpc_connection_t c, xpc_object_t requirement);
/* Gantry: why the last message refused by the requirement was refused (malloc'd), or NULL. */
char *xpc_connection_copy_peer_requirement_failure(xpc_connection_t c);

/*
 * Gantry: one request to launchd's control socket and its reply (or an
 * error object naming why there is none), for tools and libraries built on
 * launchd: the system launchd, or the one this process belongs to (its
 * LAUNCHD_SOCKET, else the user's, else the system's). Blocks up to
 * timeout_ms. The reply is believed only from a launchd run by root or by us.
 */
xpc_object_t xpc_launchd_request(xpc_object_t request, bool system_launchd, int timeout_ms);

/* Gantry: the credentials the kernel attested for the message that carried xdict. */
bool xpc_dictionary_get_sender(xpc_object_t xdict, pid_t *pid, uid_t *uid, gid_t *gid);

/*
 * Gantry foreign-event-loop integration: poll the descriptor for POLLIN
 * (and POLLOUT while xpc_connection_wants_write() is true), then call
 * xpc_connection_dispatch(), which never blocks and runs the handlers.
 */
int xpc_connection_get_fd(xpc_connection_t c);
bool xpc_connection_wants_write(xpc_connection_t c);
void xpc_connection_dispatch(xpc_connection_t c);
/*
 * Gantry extension for servers facing untrusted peers: the largest message
 * accepted from the peer (a larger one is a protocol error that ends the
 * connection; default and maximum 16 MiB) and the most output queued for a
 * peer that does not read (the connection is then invalidated; default
 * 32 MiB). 0 keeps a value.
 */
void xpc_connection_set_limits(xpc_connection_t c, size_t max_message, size_t max_queued);

/*
 * Gantry's run loop, for programs that drive their connections on one thread
 * without an event loop of their own: waits up to timeout_ms (negative: no
 * limit) for any activated caller-driven (XPC_QUEUE_CALLER) connection of
 * the process to be ready, and runs its handlers. Returns how many
 * connections were dispatched, or -1 on error.
 */
int xpc_run_once(int timeout_ms);

typedef void (*xpc_connection_handler_t)(xpc_connection_t peer);
/*
 * For a launchd job: checks in as the listener of every name in its
 * MachServices, calls handler with each new peer connection (which the
 * handler sets up and activates), and runs the run loop forever on the
 * calling thread: the listeners, and so their peers, are caller-driven, as
 * an XPC service's run on Apple's main queue (Gantry's dispatch_main()). A process
 * that is not a launchd job advertising a name exits 78 (EX_CONFIG) with
 * the reason on stderr.
 */
void xpc_main(xpc_connection_handler_t handler) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
#endif
