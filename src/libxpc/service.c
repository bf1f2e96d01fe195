/*
 * Named services: xpc_connection_create_mach_service(). At activation a
 * client asks launchd to look the name up and gets one end of a socketpair
 * whose other end launchd hands to the service's listener (starting the job
 * if needed); from then on the two talk directly. A listener checks in with
 * launchd and keeps that connection, on which launchd sends it new peers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn_internal.h"
#include "errors.h"
#include "paths.h"
#include "protocol.h"
#include "oom.h"


static const struct conn_kind service_kind;

xpc_connection_t xpc_connection_create_mach_service(const char *name, void *queue, uint64_t flags)
{
	xpc_connection_t c = conn_alloc(-1);
	c->threaded = queue != XPC_QUEUE_CALLER;
	c->kind = &service_kind;
	c->svc.name = xpc_xstrdup(name);
	c->svc.flags = flags;
	return c;
}

xpc_connection_t service_create_bundled(const char *name, void *queue)
{
	xpc_connection_t c = xpc_connection_create_mach_service(name, queue, 0);
	c->svc.bundled = true;
	return c;
}

static void fail(xpc_connection_t c, const char *fmt, const char *a, const char *b)
{
	char cause[1200];
	snprintf(cause, sizeof(cause), fmt, a, b);
	invalidate(c, cause);
}

/* Asks the launchd at path to look name up (or check in); its reply, or NULL with c invalidated (says why). */
static xpc_object_t ask_launchd(xpc_connection_t c, const char *path, bool listener, bool privileged)
{
	char *cause = NULL;
	int fd = connect_to(path, &cause);
	if (fd < 0) {
		fail(c, "cannot reach launchd to %s: %s", listener ? "check in" : "look up the service", cause);
		free(cause);
		return NULL;
	}
	c->fd = fd;
	read_peer_cred(c);
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, KEY_ROUTINE, listener ? ROUTINE_CHECKIN : ROUTINE_LOOKUP);
	xpc_dictionary_set_string(req, KEY_NAME, c->svc.name);
	xpc_dictionary_set_bool(req, KEY_PRIVILEGED, privileged);
	if (c->svc.bundled)
		xpc_dictionary_set_bool(req, KEY_XPC_SERVICE, true);
	c->svc.attaching = true;
	xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(c, req, LAUNCHD_REPLY_TIMEOUT_MS);
	c->svc.attaching = false;
	xpc_release(req);
	return reply;
}

/*
 * A user's own launchd did not know the name: as on macOS, a system daemon's MachServices are visible to
 * every user, so the system launchd is asked too (the PRIVILEGED flag asks only the system one).
 */
static bool ask_system_too(xpc_connection_t c, xpc_object_t reply, const char *asked, char *system, size_t len)
{
	if (xpc_get_type(reply) != XPC_TYPE_DICTIONARY || xpc_dictionary_get_int64(reply, KEY_ERROR) != LE_NO_SERVICE)
		return false;
	gantry_launchd_socket(false, false, system, len);
	if (!system[0] || strcmp(system, asked) == 0 || access(system, F_OK) < 0)
		return false;
	conn_close_fd(c);
	return true;
}

static void service_attach(xpc_connection_t c)
{
	bool listener = c->svc.flags & XPC_CONNECTION_MACH_SERVICE_LISTENER;
	bool privileged = c->svc.flags & XPC_CONNECTION_MACH_SERVICE_PRIVILEGED;
	char path[PATH_MAX], system[PATH_MAX];
	/* the launchd that started this process, else the user's, else the system one; privileged: system */
	gantry_launchd_socket(!privileged, !privileged, path, sizeof(path));
	xpc_object_t reply = ask_launchd(c, path, listener, privileged);
	if (!reply)
		return;
	if (!listener && !privileged && !c->svc.bundled && ask_system_too(c, reply, path, system, sizeof(system))) {
		xpc_object_t first = reply; /* only the system domain: a lookup never creates a user's domain there */
		if (!(reply = ask_launchd(c, system, false, true))) {
			xpc_release(first);
			return;
		}
		if (xpc_dictionary_get_int64(reply, KEY_ERROR) == LE_NO_SERVICE) {
			xpc_release(reply);
			reply = first;
			char *detail = NULL;
			if (asprintf(&detail, "%s; nor does the system launchd have it",
				xpc_dictionary_get_string(first, KEY_ERROR_DETAIL) ?: "no such service") < 0)
				gantry_oom();
			xpc_dictionary_set_string(first, KEY_ERROR_DETAIL, detail);
			free(detail);
		} else {
			xpc_release(first);
		}
	}
	if (xpc_get_type(reply) == XPC_TYPE_ERROR) { /* a timeout says why; INVALID or INTERRUPTED: the connection does */
		char *why = xpc_error_get_cause(reply) ? xpc_xstrdup(xpc_error_get_cause(reply))
						       : xpc_connection_copy_invalidation_reason(c);
		free(c->error_cause);
		c->error_cause = NULL; /* the cause below replaces it */
		fail(c, "launchd did not answer the %s: %s", listener ? "check-in" : "lookup",
			why ? why : "no reason given");
		free(why);
	} else if (xpc_dictionary_get_int64(reply, KEY_ERROR)) {
		const char *detail = xpc_dictionary_get_string(reply, KEY_ERROR_DETAIL);
		fail(c, "%s%s", detail ? detail : "launchd refused",
			"");
	} else if (listener) {
		c->svc.listener = true; /* peers arrive on this connection */
	} else {
		int sfd = xpc_dictionary_dup_fd(reply, KEY_FD);
		conn_close_fd(c);
		if (sfd < 0) {
			fail(c, "launchd's answer to the lookup of %s carried no connection%s", c->svc.name, "");
		} else {
			c->fd = sfd;
			read_peer_cred(c);
			free(c->error_cause); /* a previous interruption's cause no longer applies */
			c->error_cause = NULL;
			c->svc.interrupted = false;
		}
	}
	xpc_release(reply);
}

/* A listener's message from launchd: a new peer, or the end coming. True if it was one. */
static bool listener_event(xpc_connection_t c, xpc_object_t msg)
{
	const char *event = xpc_dictionary_get_string(msg, KEY_EVENT);
	if (event && strcmp(event, "termination-imminent") == 0) {
		deliver(c, XPC_ERROR_TERMINATION_IMMINENT);
		return true;
	}
	if (!event || strcmp(event, "peer") != 0)
		return false;
	int fd = xpc_dictionary_dup_fd(msg, KEY_FD);
	if (fd < 0)
		return true;
	conn_deliver_peer(c, fd);
	return true;
}

/*
 * Pending replies and the handler get XPC_ERROR_CONNECTION_INTERRUPTED itself (Apple's constant); why is
 * kept for xpc_connection_copy_invalidation_reason(); the next message looks the service up again.
 */
static void interrupt(xpc_connection_t c, const char *why)
{
	xpc_retain(&c->base);
	free(c->error_cause);
	c->error_cause = xpc_xstrdup(why);
	c->svc.interrupted = true;
	fail_pending(c, XPC_ERROR_CONNECTION_INTERRUPTED);
	deliver(c, XPC_ERROR_CONNECTION_INTERRUPTED);
	conn_close_fd(c);
	xpc_release(&c->base);
}

/* The service of a client connection went away; true if handled (INTERRUPTED). */
static bool service_lost(xpc_connection_t c)
{
	if (!c->svc.name || c->svc.listener || c->cancelled)
		return false;
	interrupt(c, "the service's process went away (launchd starts it again for the next message)");
	return true;
}

/* launchd's word that the service failed before checking in; true if msg was that. */
static bool error_event(xpc_connection_t c, xpc_object_t msg)
{
	xpc_object_t err = xpc_dictionary_get_value(msg, XPC_SERVICE_ERROR_KEY);
	if (c->svc.listener || xpc_get_type(err) != XPC_TYPE_ERROR || xpc_dictionary_get_count(msg) != 1)
		return false;
	const char *cause = xpc_error_get_cause(err);
	interrupt(c, cause ? cause : "launchd reported that the service failed before checking in");
	return true;
}

static bool service_consume(xpc_connection_t c, xpc_object_t msg)
{
	return c->svc.listener ? listener_event(c, msg) : error_event(c, msg);
}

static bool service_reconnects(xpc_connection_t c)
{
	return !c->svc.listener;
}

static const struct conn_kind service_kind = {.attach = service_attach, .reconnects = service_reconnects,
	.lost = service_lost, .consume = service_consume};
