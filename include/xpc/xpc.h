/*
 * <xpc/xpc.h> — Gantry's XPC-style object and connection API.
 *
 * Names follow Apple's libxpc where the concept carries over. Handlers are
 * function pointers with a context argument instead of blocks, and there are
 * no dispatch queues: a connection exposes a file descriptor that the caller
 * polls, and xpc_connection_dispatch() runs the handlers (see docs/design.md
 * and docs/wire-format.md).
 *
 * Ownership is Apple's: *_create and *_copy return a +1 reference that the
 * caller releases; getters return borrowed references.
 */
#ifndef GANTRY_XPC_H
#define GANTRY_XPC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xpc_object *xpc_object_t;
typedef struct xpc_connection *xpc_connection_t;
typedef const struct xpc_type_s *xpc_type_t;
typedef struct xpc_object *xpc_endpoint_t;

extern const struct xpc_type_s _xpc_type_null, _xpc_type_bool, _xpc_type_int64,
	_xpc_type_uint64, _xpc_type_double, _xpc_type_date, _xpc_type_data,
	_xpc_type_string, _xpc_type_uuid, _xpc_type_fd, _xpc_type_array,
	_xpc_type_dictionary, _xpc_type_error, _xpc_type_connection, _xpc_type_endpoint;

#define XPC_TYPE_NULL (&_xpc_type_null)
#define XPC_TYPE_BOOL (&_xpc_type_bool)
#define XPC_TYPE_INT64 (&_xpc_type_int64)
#define XPC_TYPE_UINT64 (&_xpc_type_uint64)
#define XPC_TYPE_DOUBLE (&_xpc_type_double)
#define XPC_TYPE_DATE (&_xpc_type_date)
#define XPC_TYPE_DATA (&_xpc_type_data)
#define XPC_TYPE_STRING (&_xpc_type_string)
#define XPC_TYPE_UUID (&_xpc_type_uuid)
#define XPC_TYPE_FD (&_xpc_type_fd)
#define XPC_TYPE_ARRAY (&_xpc_type_array)
#define XPC_TYPE_DICTIONARY (&_xpc_type_dictionary)
#define XPC_TYPE_ERROR (&_xpc_type_error)
#define XPC_TYPE_CONNECTION (&_xpc_type_connection)
#define XPC_TYPE_ENDPOINT (&_xpc_type_endpoint)

#define XPC_ARRAY_APPEND ((size_t)-1)

/* Generic object operations. */
xpc_object_t xpc_retain(xpc_object_t object);
void xpc_release(xpc_object_t object);
xpc_type_t xpc_get_type(xpc_object_t object);
const char *xpc_type_get_name(xpc_type_t type);
xpc_object_t xpc_copy(xpc_object_t object);
bool xpc_equal(xpc_object_t a, xpc_object_t b);
size_t xpc_hash(xpc_object_t object);
/* A malloc'd, human-readable rendering; the caller frees it. */
char *xpc_copy_description(xpc_object_t object);

/* Scalars. */
xpc_object_t xpc_null_create(void);
xpc_object_t xpc_bool_create(bool value);
bool xpc_bool_get_value(xpc_object_t xbool);
xpc_object_t xpc_int64_create(int64_t value);
int64_t xpc_int64_get_value(xpc_object_t xint);
xpc_object_t xpc_uint64_create(uint64_t value);
uint64_t xpc_uint64_get_value(xpc_object_t xuint);
xpc_object_t xpc_double_create(double value);
double xpc_double_get_value(xpc_object_t xdouble);
/* Dates are nanoseconds since the Unix epoch, as in Apple's API. */
xpc_object_t xpc_date_create(int64_t interval);
xpc_object_t xpc_date_create_from_current(void);
int64_t xpc_date_get_value(xpc_object_t xdate);
xpc_object_t xpc_data_create(const void *bytes, size_t length);
const void *xpc_data_get_bytes_ptr(xpc_object_t xdata);
size_t xpc_data_get_length(xpc_object_t xdata);
xpc_object_t xpc_string_create(const char *string);
xpc_object_t xpc_string_create_with_format(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
xpc_object_t xpc_string_create_with_format_and_arguments(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
/* Copies up to length bytes from offset into buffer; returns how many. */
size_t xpc_data_get_bytes(xpc_object_t xdata, void *buffer, size_t offset, size_t length);
size_t xpc_string_get_length(xpc_object_t xstring);
const char *xpc_string_get_string_ptr(xpc_object_t xstring);
xpc_object_t xpc_uuid_create(const unsigned char *uuid);
const uint8_t *xpc_uuid_get_bytes(xpc_object_t xuuid);
/* Boxes a dup() of fd; returns NULL if dup fails. */
xpc_object_t xpc_fd_create(int fd);
/* Returns a new descriptor for the boxed file; the caller closes it. */
int xpc_fd_dup(xpc_object_t xfd);

/* Arrays. */
xpc_object_t xpc_array_create(xpc_object_t const *objects, size_t count);
void xpc_array_set_value(xpc_object_t xarray, size_t index, xpc_object_t value);
void xpc_array_append_value(xpc_object_t xarray, xpc_object_t value);
size_t xpc_array_get_count(xpc_object_t xarray);
xpc_object_t xpc_array_get_value(xpc_object_t xarray, size_t index);
typedef bool (*xpc_array_applier_f)(void *context, size_t index, xpc_object_t value);
bool xpc_array_apply_f(xpc_object_t xarray, void *context, xpc_array_applier_f applier);
/* Typed accessors (index XPC_ARRAY_APPEND appends); a value of another type reads as 0, NULL or -1. */
void xpc_array_set_bool(xpc_object_t xarray, size_t index, bool value);
void xpc_array_set_int64(xpc_object_t xarray, size_t index, int64_t value);
void xpc_array_set_uint64(xpc_object_t xarray, size_t index, uint64_t value);
void xpc_array_set_double(xpc_object_t xarray, size_t index, double value);
void xpc_array_set_date(xpc_object_t xarray, size_t index, int64_t value);
void xpc_array_set_data(xpc_object_t xarray, size_t index, const void *bytes, size_t length);
void xpc_array_set_string(xpc_object_t xarray, size_t index, const char *string);
void xpc_array_set_uuid(xpc_object_t xarray, size_t index, const unsigned char *uuid);
void xpc_array_set_fd(xpc_object_t xarray, size_t index, int fd);
bool xpc_array_get_bool(xpc_object_t xarray, size_t index);
int64_t xpc_array_get_int64(xpc_object_t xarray, size_t index);
uint64_t xpc_array_get_uint64(xpc_object_t xarray, size_t index);
double xpc_array_get_double(xpc_object_t xarray, size_t index);
int64_t xpc_array_get_date(xpc_object_t xarray, size_t index);
const void *xpc_array_get_data(xpc_object_t xarray, size_t index, size_t *length);
const char *xpc_array_get_string(xpc_object_t xarray, size_t index);
const uint8_t *xpc_array_get_uuid(xpc_object_t xarray, size_t index);
int xpc_array_dup_fd(xpc_object_t xarray, size_t index);
xpc_object_t xpc_array_get_dictionary(xpc_object_t xarray, size_t index);
xpc_object_t xpc_array_get_array(xpc_object_t xarray, size_t index);

/* Dictionaries. Keys keep their insertion order. Setting NULL removes a key. */
xpc_object_t xpc_dictionary_create(const char *const *keys,
	xpc_object_t const *values, size_t count);
xpc_object_t xpc_dictionary_create_empty(void);
void xpc_dictionary_set_value(xpc_object_t xdict, const char *key, xpc_object_t value);
xpc_object_t xpc_dictionary_get_value(xpc_object_t xdict, const char *key);
size_t xpc_dictionary_get_count(xpc_object_t xdict);
typedef bool (*xpc_dictionary_applier_f)(void *context, const char *key, xpc_object_t value);
bool xpc_dictionary_apply_f(xpc_object_t xdict, void *context, xpc_dictionary_applier_f applier);
void xpc_dictionary_set_bool(xpc_object_t xdict, const char *key, bool value);
void xpc_dictionary_set_int64(xpc_object_t xdict, const char *key, int64_t value);
void xpc_dictionary_set_uint64(xpc_object_t xdict, const char *key, uint64_t value);
void xpc_dictionary_set_double(xpc_object_t xdict, const char *key, double value);
void xpc_dictionary_set_date(xpc_object_t xdict, const char *key, int64_t value);
void xpc_dictionary_set_data(xpc_object_t xdict, const char *key, const void *bytes, size_t length);
void xpc_dictionary_set_string(xpc_object_t xdict, const char *key, const char *string);
void xpc_dictionary_set_uuid(xpc_object_t xdict, const char *key, const unsigned char *uuid);
void xpc_dictionary_set_fd(xpc_object_t xdict, const char *key, int fd);
bool xpc_dictionary_get_bool(xpc_object_t xdict, const char *key);
int64_t xpc_dictionary_get_int64(xpc_object_t xdict, const char *key);
uint64_t xpc_dictionary_get_uint64(xpc_object_t xdict, const char *key);
double xpc_dictionary_get_double(xpc_object_t xdict, const char *key);
int64_t xpc_dictionary_get_date(xpc_object_t xdict, const char *key);
const void *xpc_dictionary_get_data(xpc_object_t xdict, const char *key, size_t *length);
const char *xpc_dictionary_get_string(xpc_object_t xdict, const char *key);
const uint8_t *xpc_dictionary_get_uuid(xpc_object_t xdict, const char *key);
int xpc_dictionary_dup_fd(xpc_object_t xdict, const char *key);
xpc_object_t xpc_dictionary_get_dictionary(xpc_object_t xdict, const char *key);
xpc_object_t xpc_dictionary_get_array(xpc_object_t xdict, const char *key);

/*
 * Errors. A connection's failures are Apple's objects themselves — a failed
 * lookup or check-in, a cancel, a closed peer deliver XPC_ERROR_CONNECTION_INVALID,
 * a service that went away XPC_ERROR_CONNECTION_INTERRUPTED, to the event
 * handler and to pending reply handlers alike — so ported code compares them
 * with ==. The reason is never lost: xpc_connection_copy_invalidation_reason()
 * returns it ("no service named ... in gui/1000", "... exited with status 3
 * before checking in"). Gantry's own errors (a reply timeout, a message that
 * cannot be encoded) are fresh objects with a numeric code and a cause.
 */
#define XPC_ERROR_KEY_DESCRIPTION "XPCErrorDescription"
#define XPC_ERROR_KEY_CODE "GantryErrorCode"
#define XPC_ERROR_KEY_CAUSE "GantryErrorCause"
extern struct xpc_object _xpc_error_connection_interrupted;
extern struct xpc_object _xpc_error_connection_invalid;
extern struct xpc_object _xpc_error_termination_imminent;
extern struct xpc_object _xpc_error_peer_code_signing_requirement;
#define XPC_ERROR_CONNECTION_INTERRUPTED (&_xpc_error_connection_interrupted)
#define XPC_ERROR_CONNECTION_INVALID (&_xpc_error_connection_invalid)
#define XPC_ERROR_TERMINATION_IMMINENT (&_xpc_error_termination_imminent)
#define XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT (&_xpc_error_peer_code_signing_requirement)
/* A fresh error object with a description, code and cause (cause may be NULL). */
xpc_object_t xpc_error_create(int code, const char *description, const char *cause);
const char *xpc_error_get_description(xpc_object_t xerror);
const char *xpc_error_get_cause(xpc_object_t xerror);
int xpc_error_get_code(xpc_object_t xerror);

/*
 * Serialization (the wire format of docs/wire-format.md). Encoding collects
 * the descriptors of fd objects into fds[]; decoding takes ownership of the
 * descriptors it is given. Both return 0 or an errno value, and on a decode
 * failure write the cause into err (if not NULL).
 */
#define XPC_WIRE_MAX_FDS 64
#define XPC_WIRE_MAX_DEPTH 64
int xpc_wire_encode(xpc_object_t root, uint8_t **out, size_t *out_len,
	int *fds, size_t *nfds);
int xpc_wire_decode(const uint8_t *buf, size_t len, const int *fds, size_t nfds,
	xpc_object_t *out, char *err, size_t errlen);

/* Connections (AF_UNIX SOCK_SEQPACKET; see docs/design.md). */
typedef void (*xpc_handler_f)(void *context, xpc_object_t event);

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
 * XPC_ERROR_CONNECTION_INVALID (launchd's reason: xpc_connection_copy_invalidation_reason). queue must be NULL
 * (there are no dispatch queues). A client connection that loses its service
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
 * reached through endpoints made from it and sent in messages. A name (an
 * XPC service bundle) is not supported and gives a connection that fails on
 * activation saying so. queue must be NULL.
 */
xpc_connection_t xpc_connection_create(const char *name, void *queue);
/*
 * An endpoint of an anonymous listener, to send in a message (NULL for any
 * other connection). Whoever receives it can connect to the listener:
 * holding an endpoint is the capability to connect.
 */
xpc_endpoint_t xpc_endpoint_create(xpc_connection_t connection);
/* A new connection to the listener behind endpoint; activate it as usual. */
xpc_connection_t xpc_connection_create_from_endpoint(xpc_endpoint_t endpoint);
/*
 * A connection inside a message travels as the endpoint of an anonymous listener: set stores it (any other
 * connection cannot travel and is not stored), create makes a new connection to it from what arrived.
 */
void xpc_dictionary_set_connection(xpc_object_t xdict, const char *key, xpc_connection_t connection);
xpc_connection_t xpc_dictionary_create_connection(xpc_object_t xdict, const char *key);
void xpc_array_set_connection(xpc_object_t xarray, size_t index, xpc_connection_t connection);
xpc_connection_t xpc_array_create_connection(xpc_object_t xarray, size_t index);
/* Called with the connection's context when the connection is freed (its last reference gone). */
typedef void (*xpc_finalizer_t)(void *value);
void xpc_connection_set_finalizer_f(xpc_connection_t connection, xpc_finalizer_t finalizer);
/* The name of a named-service connection, or NULL. */
const char *xpc_connection_get_name(xpc_connection_t connection);
void xpc_connection_set_event_handler_f(xpc_connection_t c, xpc_handler_f handler);
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
 * Gantry's run loop, for programs without an event loop of their own (there
 * are no dispatch queues): waits up to timeout_ms (negative: no limit) for
 * any activated connection of the process to be ready, and runs its
 * handlers. Returns how many connections were dispatched, or -1 on error.
 */
int xpc_run_once(int timeout_ms);

typedef void (*xpc_connection_handler_t)(xpc_connection_t peer);
/*
 * For a launchd job: checks in as the listener of every name in its
 * MachServices, calls handler with each new peer connection (which the
 * handler sets up and activates), and runs the run loop forever. A process
 * that is not a launchd job advertising a name exits 78 (EX_CONFIG) with
 * the reason on stderr.
 */
void xpc_main(xpc_connection_handler_t handler) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
#endif
