/*
 * The control socket (see control.h): one listener, one client record per
 * connection, each driven by the event loop through libxpc's
 * poll-and-dispatch interface.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "errors.h"
#include "log.h"
#include "protocol.h"
#include "loop.h"
#include "oom.h"

/*
 * What one user may hold of launchd (root is not limited): connections
 * open at once (more are closed at once, so one user cannot exhaust
 * launchd's descriptors), the largest request (launchctl's are a few KiB;
 * plists travel by path), and replies queued for a client that does not
 * read them (the client is then dropped). A client with replies still
 * queued is not read from: one request at a time in flight per connection.
 */
#define MAX_CONNECTIONS_PER_UID 64
#define MAX_REQUEST_BYTES (1024 * 1024)
#define MAX_QUEUED_REPLY_BYTES (8 * 1024 * 1024)
/* Requests of one connection that wait for a job at once (bootout, kickstart...): each holds memory. */
#define MAX_WAITING_REQUESTS 32

struct client {
	struct watch w;
	xpc_connection_t conn;
	uid_t uid;
	unsigned waiting; /* requests whose replies wait for a job */
};

/* Open connections per uid; few users, so a short list. */
struct uid_count {
	struct uid_count *next;
	uid_t uid;
	unsigned n;
};
static struct uid_count *counts;

static struct uid_count *count_of(uid_t uid)
{
	for (struct uid_count *c = counts; c; c = c->next)
		if (c->uid == uid)
			return c;
	struct uid_count *c = calloc(1, sizeof(*c));
	if (!c)
		gantry_oom();
	c->uid = uid;
	c->next = counts;
	counts = c;
	return c;
}

static xpc_connection_t listener;
static struct watch listener_watch;
static char socket_path[4096];
static const struct routine *const *routine_tables;

void control_set_error_in(xpc_object_t reply, const char *domain, int code, const char *message, const char *detail)
{
	xpc_dictionary_set_int64(reply, KEY_ERROR, code);
	xpc_dictionary_set_string(reply, KEY_ERROR_DOMAIN, domain);
	xpc_dictionary_set_string(reply, KEY_ERROR_MESSAGE, message);
	xpc_dictionary_set_string(reply, KEY_ERROR_DETAIL, detail);
}

void control_set_error(xpc_object_t reply, int code, const char *fmt, ...)
{
	char detail[GERROR_DETAIL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	control_set_error_in(reply, ERROR_DOMAIN_LAUNCHD, code, gantry_strerror(code), detail);
}

static void update_interest(struct client *c)
{
	if (c->w.fd >= 0) /* replies not yet taken: wait for the client before reading more */
		loop_modify(&c->w, xpc_connection_wants_write(c->conn) ? EPOLLOUT : EPOLLIN);
}

void control_deliver(xpc_connection_t conn, xpc_object_t msg)
{
	if (!conn)
		return;
	xpc_connection_send_message(conn, msg);
	struct client *c = xpc_connection_get_context(conn);
	if (c)
		update_interest(c);
}

void control_send(xpc_object_t reply)
{
	control_deliver(xpc_dictionary_get_remote_connection(reply), reply);
}

static struct client *client_of(xpc_object_t reply)
{
	xpc_connection_t conn = xpc_dictionary_get_remote_connection(reply);
	return conn ? xpc_connection_get_context(conn) : NULL;
}

void control_hold(xpc_object_t reply)
{
	struct client *c = client_of(reply);
	if (c)
		c->waiting++;
}

void control_unhold(xpc_object_t reply)
{
	struct client *c = client_of(reply);
	if (c && c->waiting)
		c->waiting--;
}

static void client_free(void *p)
{
	struct client *c = p;
	count_of(c->uid)->n--;
	xpc_connection_set_context(c->conn, NULL);
	xpc_release((xpc_object_t)c->conn);
	free(c);
}

static void handle_request(struct client *c, xpc_object_t msg)
{
	uid_t caller = (uid_t)-1;
	xpc_dictionary_get_sender(msg, NULL, &caller, NULL);
	xpc_object_t reply = xpc_dictionary_create_reply(msg);
	if (!reply)
		return; /* one-way messages carry no requests */
	const char *routine = xpc_dictionary_get_string(msg, KEY_ROUTINE);
	request_handler h = routine ? control_find_routine(routine_tables, routine) : NULL;
	bool later = false;
	if (!h)
		control_set_error(reply, LE_NOT_IMPLEMENTED, "unknown routine \"%s\" (launchctl and launchd versions differ?)",
			routine ? routine : "(none)");
	else if (c->waiting >= MAX_WAITING_REQUESTS && c->uid != 0)
		control_set_error(reply, darwin_errno(EBUSY), "%u requests of this connection already wait for jobs; wait for "
			"their replies first", c->waiting);
	else
		later = h(msg, reply, caller);
	if (!later)
		control_send(reply);
	xpc_release(reply);
}

static void on_client_event(void *ctx, xpc_object_t ev)
{
	struct client *c = ctx;
	if (xpc_get_type(ev) == XPC_TYPE_DICTIONARY) {
		handle_request(c, ev);
		return;
	}
	/* The connection is over: stop watching; free after this event batch. */
	char *cause = xpc_connection_copy_invalidation_reason(c->conn);
	if (cause && strncmp(cause, "protocol error", 14) == 0)
		log_msg(LOG_WARNING, "dropped a control connection: %s", cause);
	free(cause);
	if (c->w.fd >= 0)
		loop_unwatch(&c->w);
	loop_defer(client_free, c);
}

static void on_client_io(struct watch *w, uint32_t events)
{
	struct client *c = container_of(w, struct client, w);
	(void)events;
	xpc_connection_dispatch(c->conn);
	if (c->w.fd >= 0)
		update_interest(c);
}

static void on_new_client(void *ctx, xpc_object_t ev)
{
	(void)ctx;
	if (xpc_get_type(ev) != XPC_TYPE_CONNECTION)
		return;
	xpc_connection_t conn = (xpc_connection_t)ev;
	uid_t uid = xpc_connection_get_euid(conn);
	struct uid_count *n = count_of(uid);
	if (uid != 0 && n->n >= MAX_CONNECTIONS_PER_UID) {
		log_msg(LOG_DEBUG, "refused a control connection of uid %u: %u open already", (unsigned)uid, n->n);
		xpc_connection_cancel(conn);
		return;
	}
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		gantry_oom();
	n->n++;
	c->uid = uid;
	c->conn = (xpc_connection_t)xpc_retain(ev);
	xpc_connection_set_limits(c->conn, MAX_REQUEST_BYTES, MAX_QUEUED_REPLY_BYTES);
	xpc_connection_set_context(c->conn, c);
	xpc_connection_set_event_handler_f(c->conn, on_client_event);
	xpc_connection_activate(c->conn);
	if (loop_watch(&c->w, xpc_connection_get_fd(c->conn), EPOLLIN, on_client_io)) {
		log_msg(LOG_ERR, "cannot watch a control connection: %s", strerror(errno));
		xpc_connection_cancel(c->conn);
	}
}

static void on_listener_io(struct watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	xpc_connection_dispatch(listener);
}

request_handler control_find_routine(const struct routine *const *tables, const char *name)
{
	for (; *tables; tables++)
		for (const struct routine *r = *tables; r->name; r++)
			if (strcmp(r->name, name) == 0)
				return r->handler;
	return NULL;
}

int control_start(const char *path, const struct routine *const *tables, struct gerror *e)
{
	routine_tables = tables;
	snprintf(socket_path, sizeof(socket_path), "%s", path);
	listener = xpc_connection_create_socket(path, XPC_CONNECTION_LISTENER);
	xpc_connection_set_target_queue(listener, XPC_QUEUE_CALLER); /* launchd's loop drives it and its clients */
	int fd = xpc_connection_get_fd(listener);
	if (fd < 0) {
		char *why = xpc_connection_copy_invalidation_reason(listener);
		gerror_set(e, EADDRINUSE, "control socket: %s", why ? why : path);
		free(why);
		xpc_release((xpc_object_t)listener);
		listener = NULL;
		return EADDRINUSE;
	}
	/* Anyone may connect; each request is checked against the sender's uid. */
	chmod(path, 0666);
	xpc_connection_set_event_handler_f(listener, on_new_client);
	xpc_connection_activate(listener);
	return loop_watch(&listener_watch, fd, EPOLLIN, on_listener_io);
}

void control_stop(void)
{
	if (!listener)
		return;
	if (listener_watch.fd >= 0)
		loop_unwatch(&listener_watch);
	unlink(socket_path);
	xpc_connection_cancel(listener);
	xpc_release((xpc_object_t)listener);
	listener = NULL;
}
