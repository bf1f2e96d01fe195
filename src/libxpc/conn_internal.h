/*
 * libxpc internals shared by the transport (connection.c) and named-service
 * connections (service.c): the connection record and the transport helpers.
 */
#ifndef GANTRY_XPC_CONN_INTERNAL_H
#define GANTRY_XPC_CONN_INTERNAL_H

#include <stdbool.h>
#include <sys/socket.h>

#include "internal.h"

struct pending_reply {
	struct pending_reply *next;
	uint64_t id;
	xpc_handler_f handler;
	void *context;
};

struct out_packet {
	struct out_packet *next;
	void (*barrier)(void *context); /* not a packet: a barrier to run when reached */
	void *barrier_context;
	uint8_t *buf;
	size_t len;
	int fds[XPC_WIRE_MAX_FDS];
	size_t nfds;
};

struct inbox_item {
	struct inbox_item *next;
	xpc_object_t msg;
};

struct xpc_connection {
	struct xpc_object base;
	int fd;
	bool listener, activated, cancelled, invalid_delivered;
	int suspend_count;
	xpc_handler_f handler;
	void *context;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	uint64_t next_id;
	char *connect_error; /* why the socket could not be opened */
	char *error_cause;   /* why the connection became invalid */
	struct pending_reply *pending;
	struct out_packet *out_head, *out_tail;
	size_t out_bytes;
	size_t max_message, max_queued; /* xpc_connection_set_limits() */
	struct inbox_item *inbox_head, *inbox_tail; /* received during a sync wait */
	/* reassembly of a fragmented message */
	uint8_t *frag_buf; /* grows with what arrived, not with what was announced */
	size_t frag_have, frag_total, frag_cap;
	uint64_t frag_id;
	bool frag_wants_reply;
	int frag_fds[XPC_WIRE_MAX_FDS];
	size_t frag_nfds;
	struct ucred frag_cred;
	/* named services */
	char *service_name;
	uint64_t service_flags;
	bool service_listener; /* c is a listener's connection to launchd */
	bool attaching;        /* talking to launchd: the peer requirement is for the service */
	int error_code;        /* launchd's code when a lookup or check-in failed */
	xpc_object_t interrupt_error; /* why the service last went away */
	xpc_object_t requirement;     /* peer requirement checked on every message, or NULL */
	char *requirement_failure;    /* why the last message was refused */
	int frag_pidfd;
	pid_t job_pid;  /* a sender launchd confirmed as the required job ... */
	int job_pidfd;  /* ... and our pidfd of it, or -1 */
	int door;       /* an anonymous listener's door (its endpoints' descriptor), or -1 */
	/* the run loop's list of activated connections (runloop.c), which holds a reference */
	struct xpc_connection *run_prev, *run_next;
	bool run_listed;
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

/* Linux 6.5 socket options, missing from older headers. */
#define GANTRY_SO_PASSPIDFD 76
#define GANTRY_SCM_PIDFD 0x04

/* anonymous.c: reads knocks on an anonymous listener's door. */
void anonymous_accept(xpc_connection_t c, int budget);

/* runloop.c */
void runloop_add(xpc_connection_t c);
void runloop_remove(xpc_connection_t c);

/* peer.c */
void conn_enable_pidfd(xpc_connection_t c);
bool peer_satisfies(xpc_connection_t c, const struct xpc_msg_meta *m, char *why, size_t len);

/* service.c */
void service_attach(xpc_connection_t c);
/* A listener's message from launchd: a new peer. Returns true if it was one. */
bool service_listener_event(xpc_connection_t c, xpc_object_t msg);
/* launchd's word that the service failed before checking in; true if msg was that. */
bool service_error_event(xpc_connection_t c, xpc_object_t msg);
/* The service of a client connection went away; true if handled (INTERRUPTED). */
bool service_lost(xpc_connection_t c);
/*
 * Asks launchd which job pid is the main process of, and (if services is not
 * NULL) the names its MachServices advertise. Returns 0, or an errno with cause.
 */
int launchd_identify(pid_t pid, char *label, size_t label_len, char *domain, size_t domain_len,
	xpc_object_t *services, char *cause, size_t cause_len);

#endif
