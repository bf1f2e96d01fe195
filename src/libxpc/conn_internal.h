/*
 * libxpc internals shared by the transport (connection.c) and named-service
 * connections (service.c): the connection record and the transport helpers.
 */
#ifndef GANTRY_XPC_CONN_INTERNAL_H
#define GANTRY_XPC_CONN_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <time.h>
#include <sys/socket.h>

#include "frames.h"
#include "internal.h"

struct pending_reply {
	struct pending_reply *next;
	uint64_t id;
	xpc_handler_f handler;
	void *context;
	xpc_finalizer_t release_context; /* after the handler ran, or if it never will (a block's copy), or NULL */
	bool direct; /* libxpc's own waiter (a synchronous send): called at once, under the lock */
};

/*
 * A handler call posted to a connection (queue.c): plain(ctx), or fn(ctx,
 * ev), or with neither the connection's event handler with ev.
 */
struct conn_call {
	struct conn_call *next;
	xpc_handler_f fn;
	void (*plain)(void *ctx);
	void *ctx;
	xpc_object_t ev;                   /* retained while posted */
	xpc_finalizer_t release_ctx;       /* called with ctx after the call, or NULL */
	void (*after)(xpc_connection_t c); /* then run with libxpc locked, or NULL */
};

struct out_packet {
	struct out_packet *next;
	void (*barrier)(void *context); /* not a packet: a barrier to run when reached */
	void *barrier_context;
	xpc_finalizer_t barrier_release; /* called with barrier_context after the barrier ran, or NULL */
	uint8_t *buf;
	size_t len;
	int fds[XPC_WIRE_MAX_FDS];
	size_t nfds;
};

struct inbox_item {
	struct inbox_item *next;
	xpc_object_t msg;
};

/* A connection, its fields grouped by the concern that owns them. */
/*
 * What a kind of connection adds to the transport: named services
 * (service.c) and anonymous listeners (anonymous.c). connection.c calls
 * these and names neither; a NULL entry has nothing to add.
 */
struct conn_kind {
	/* At activation, and before sending on a client whose service went away: (re)connect. */
	void (*attach)(xpc_connection_t c);
	/* Does a broken connection of this kind come back (a service client)? */
	bool (*reconnects)(xpc_connection_t c);
	/* The peer closed; true if handled (the connection lives on, interrupted). */
	bool (*lost)(xpc_connection_t c);
	/* A message for the kind, not the handler (launchd's events); true if it took it. */
	bool (*consume)(xpc_connection_t c, xpc_object_t msg);
	/* A listener's socket is readable: the kind accepts (reads knocks on a door). */
	void (*accept)(xpc_connection_t c, int budget);
};

struct _xpc_connection_s {
	struct _xpc_object_s base;
	/* lifecycle (connection.c) */
	int fd;
	bool listener, activated, cancelled, invalid_delivered;
	int suspend_count;
	xpc_handler_f handler;
	void *handler_block; /* a block handler's block (blocks.c): handler gets it instead of context */
	xpc_finalizer_t release_block; /* releases handler_block */
	void *context;
	xpc_finalizer_t finalizer; /* called with context when the connection is freed */
	bool threaded; /* its handlers run on libxpc's thread (target queue NULL), else on its driver's */
	/* handler calls waiting to run (queue.c) */
	struct {
		struct conn_call *head, *tail;
		bool listed, running;
		struct _xpc_connection_s *next; /* in the list of connections with calls */
	} calls;
	char *connect_error; /* why the socket could not be opened */
	char *error_cause;   /* why the connection became invalid */
	const struct conn_kind *kind; /* a named service's or an anonymous listener's (conn_kind), or NULL */
	/* the peer as of its latest message (kernel-attested) */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	/* requests and replies */
	uint64_t next_id;
	struct pending_reply *pending;
	struct {
		struct inbox_item *head, *tail; /* received during a sync wait */
	} inbox;
	/* sending: packets the socket did not take yet */
	struct {
		struct out_packet *head, *tail;
		size_t bytes;
	} out;
	struct {
		size_t max_message, max_queued; /* xpc_connection_set_limits() */
	} limits;
	/* receiving: reassembly of a fragmented message (frames.c) */
	struct frame_in in;
	/* named services (service.c) */
	struct {
		char *name;
		uint64_t flags;
		bool listener;  /* c is a listener's connection to launchd */
		bool bundled;   /* an XPC service of the caller's app bundle (xpc_connection_create with a name) */
		bool attaching; /* talking to launchd: the peer requirement is for the service */
		bool interrupted; /* the service went away; the next message looks it up again (why: error_cause) */
	} svc;
	/* the peer requirement (peer.c) */
	struct {
		xpc_object_t requirement; /* checked on every message, or NULL */
		/* checks one message's sender against requirement; set with it */
		bool (*check)(xpc_connection_t c, const struct xpc_msg_meta *m, char *why, size_t len);
		char *failure;   /* why the last message was refused */
		pid_t job_pid;   /* a sender launchd confirmed as the required job ... */
		int job_pidfd;   /* ... and our pidfd of it, or -1 */
	} peer;
	int door; /* an anonymous listener's door (its endpoints' descriptor), or -1 */
	/* the list of activated connections (active.c), which holds a reference */
	struct {
		struct _xpc_connection_s *prev, *next;
		bool listed;
	} run;
};


xpc_connection_t conn_alloc(int fd);
/* Records SO_PEERCRED and turns on per-message credentials. */
void read_peer_cred(xpc_connection_t c);
/* SO_PASSCRED on a socket we create, so every message it receives carries attested credentials; 0 or -1. */
int conn_passcred(int fd);
/* A connected SOCK_SEQPACKET socket to path, or -1 with cause (malloc'd). */
int connect_to(const char *path, char **cause);
void deliver(xpc_connection_t c, xpc_object_t event);
/* Ends the connection: pending replies and the handler get INVALID with cause. */
void invalidate(xpc_connection_t c, const char *cause);
/* Wraps a new peer's descriptor, hands it to the listener's handler. */
void conn_deliver_peer(xpc_connection_t listener, int fd);
/* Closes the descriptor and drops queued output and partial input. */
void conn_close_fd(xpc_connection_t c);
/* Every pending reply handler gets err (the connection stays). */
void fail_pending(xpc_connection_t c, xpc_object_t err);
/* Answers (and frees) a pending reply: at once if it is libxpc's own waiter, else posted. */
void answer_reply(xpc_connection_t c, struct pending_reply *p, xpc_object_t ev);
/* Registers a reply handler for message id (release: called with context when done with it, or NULL). */
void conn_await_reply(xpc_connection_t c, uint64_t id, xpc_handler_f handler, void *context,
	xpc_finalizer_t release, bool direct);
/* xpc_connection_send_barrier with libxpc locked; release as in struct conn_call. */
void conn_send_barrier(xpc_connection_t c, void (*barrier)(void *context), void *context, xpc_finalizer_t release);
/* xpc_connection_send_message_with_reply with libxpc locked; the handler as in struct pending_reply. */
void conn_send_with_reply(xpc_connection_t c, xpc_object_t msg, xpc_handler_f handler, void *context,
	xpc_finalizer_t release, bool direct);

/* The largest message a peer may send us. */
#define MESSAGE_MAX (16u * 1024 * 1024)

/* messages.c: reads one packet; 1 with a message in *out, 0 if more is needed, -1 when the connection ended. */
int conn_read(xpc_connection_t c, xpc_object_t *out, bool wait);
/* Routes msg if it is not for the handler (a reply, a refusal, launchd's event); true if it took it. */
bool conn_consume(xpc_connection_t c, xpc_object_t msg);
/* Sends queued packets until the socket would block; false if the peer is gone. */
bool conn_flush(xpc_connection_t c);

/* SO_PASSPIDFD when the connection has a peer requirement (senders then come with pidfds). */
void conn_enable_pidfd(xpc_connection_t c);

/* Linux 6.5's SO_PASSPIDFD, missing from older headers. */
#define GANTRY_SO_PASSPIDFD 76

/* active.c: the list of activated connections (it holds a reference to each). */
void active_add(xpc_connection_t c);
void active_remove(xpc_connection_t c);
/* The listed connections, each retained, in *out (malloc'd); returns how many. */
size_t active_snapshot(xpc_connection_t **out);

/* queue.c: the lock every public call that touches a connection takes (nests within a thread). */
void lib_lock(void);
/* Releases it; the outermost release first runs the posted calls this thread may run. */
void lib_unlock(void);
/* Posts sem once this thread releases libxpc (at once if it does not hold it). */
void lib_wake_after_unlock(sem_t *sem);
/* Posts a handler call to c (libxpc locked); it runs on c's thread, in order with c's other calls. */
void conn_post(xpc_connection_t c, const struct conn_call *call);
/* Runs the posted calls this thread may run now (only at the outermost lock). */
void lib_run_posted(void);
/* c changed in a way libxpc's thread must see (a new descriptor, output queued). */
void lib_changed(xpc_connection_t c);
bool lib_on_thread(void);
/* Does this thread hold libxpc exactly once (so that waiting releases it)? */
bool lib_outermost(void);
/* libxpc's thread (runloop.c) is running; it registers its wake-up eventfd, and marks itself as that thread. */
bool lib_thread_running(void);
/*
 * Timers on libxpc's thread (activity.c): next_ms says how long its poll may wait (-1: no timer), run_due
 * runs what is due (libxpc held once). lib_wake makes the thread look again (a timer changed).
 */
void lib_set_timers(int (*next_ms)(void), void (*run_due)(void));
int lib_timer_timeout(void);
void lib_run_timers(void);
void lib_wake(void);
/* blocks.c: calls a block that takes one object (an xpc_handler_t). */
void block_call(void *block, xpc_object_t object);
/* runloop.c: starts libxpc's thread if it is not running (libxpc held). */
void lib_thread_ensure(void);
int lib_thread_wake_fd(void);
/*
 * poller.c: one round — polls the activated connections that run on libxpc's thread (threaded) or on
 * their caller's, and extra_fd (an eventfd, read when ready; -1: none), up to timeout_ms, with libxpc
 * unlocked, and dispatches the ready ones. Called with libxpc held once. Returns how many were
 * dispatched, or -1 if poll() failed.
 */
int lib_poll_round(bool threaded, int extra_fd, int timeout_ms);
void lib_become_thread(int wake_fd);
void lib_thread_enter(void);
/* connection.c: the first activation, libxpc locked (runloop.c's xpc_connection_activate starts the thread). */
void conn_activate(xpc_connection_t c);
/* messages.c: xpc_connection_dispatch() with libxpc locked. */
void conn_dispatch_locked(xpc_connection_t c);
/* Does c still have a live descriptor (not closed, not finished)? */
bool conn_open(xpc_connection_t c);
/* Is c one whose socket its driver should poll now? */
bool conn_pollable(xpc_connection_t c);

/* service.c: a connection to the XPC service called name in the calling app's bundle. */
xpc_connection_t service_create_bundled(const char *name, void *queue);

/* launchd_client.c; how long a lookup, check-in or identify may wait for launchd's answer. */
#define LAUNCHD_REPLY_TIMEOUT_MS 30000
/*
 * Asks launchd which job pid is the main process of, and (if services is not
 * NULL) the names its MachServices advertise. Returns 0, or an errno with cause.
 */
int launchd_identify(pid_t pid, char *label, size_t label_len, char *domain, size_t domain_len,
	xpc_object_t *services, char *cause, size_t cause_len);

#endif
