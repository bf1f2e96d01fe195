/*
 * Named services (see endpoint.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "domain.h"
#include "endpoint.h"
#include "errors.h"
#include "log.h"
#include "procrec.h"
#include "protocol.h"
#include "oom.h"

void endpoints_create(struct job *j)
{
	if (!j->spec->nservices)
		return;
	j->endpoints = calloc(j->spec->nservices, sizeof(*j->endpoints));
	if (!j->endpoints)
		gantry_oom();
	for (size_t i = 0; i < j->spec->nservices; i++)
		j->endpoints[i].name = j->spec->services[i].name;
}

static void drop_listener(struct endpoint *ep)
{
	if (ep->listener) {
		xpc_release((xpc_object_t)ep->listener);
		ep->listener = NULL;
	}
}

void endpoints_free(struct job *j)
{
	for (size_t i = 0; j->endpoints && i < j->spec->nservices; i++) {
		struct endpoint *ep = &j->endpoints[i];
		drop_listener(ep);
		for (size_t k = 0; k < ep->npending; k++)
			close(ep->pending[k]); /* the clients see the connection end */
		free(ep->pending);
	}
	free(j->endpoints);
	j->endpoints = NULL;
}

struct job *endpoint_find(struct domain *d, const char *name, struct endpoint **ep)
{
	for (struct job *j = d->jobs; j; j = j->next)
		for (size_t i = 0; i < j->spec->nservices; i++)
			if (strcmp(j->endpoints[i].name, name) == 0) {
				*ep = &j->endpoints[i];
				return j;
			}
	return NULL;
}

/* Sends msg to a checked-in listener, through the control layer that owns its connection. */
static void deliver(xpc_connection_t listener, xpc_object_t msg)
{
	if (g_launchd.hooks.deliver)
		g_launchd.hooks.deliver(listener, msg);
}

/* Hands one service end to the checked-in listener. */
static void deliver_peer(struct endpoint *ep, int fd)
{
	xpc_object_t ev = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(ev, KEY_EVENT, "peer");
	xpc_dictionary_set_string(ev, KEY_NAME, ep->name);
	xpc_dictionary_set_fd(ev, KEY_FD, fd);
	deliver(ep->listener, ev);
	xpc_release(ev);
	close(fd);
}

/* PF_EXITING in the flags of /proc/<pid>/stat (field 9): set when the process starts to exit. */
#define PF_EXITING 0x4

/*
 * The service is exiting and launchd has not seen the exit yet: a peer
 * handed to it now would be lost. Its end of the check-in connection may
 * still look open — an exiting process's sockets are released in no
 * particular order, so a client can see its own connection close (and look
 * the name up again) before the check-in connection does — but the
 * process is already marked as exiting when any of them closes.
 */
static bool listener_gone(const struct endpoint *ep, pid_t pid)
{
	struct pollfd p = {.fd = xpc_connection_get_fd(ep->listener), .events = POLLRDHUP};
	if (p.fd < 0 || (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))))
		return true;
	return pid > 0 && (procrec_stat_field(pid, 9) & PF_EXITING);
}

int endpoint_connect(struct job *j, struct endpoint *ep, int *client_fd, struct gerror *e)
{
	size_t idx = (size_t)(ep - j->endpoints);
	if (ep->listener && listener_gone(ep, j->pid)) {
		drop_listener(ep);
		ep->for_next_instance = true; /* the exit of the dying instance must not fail these */
	}
	if (!ep->listener && j->spec->services[idx].hide_until_checkin)
		return gerror_set(e, LE_ENDPOINT_HIDDEN, "%s is hidden until %s/%s checks in (HideUntilCheckIn); it is not "
			"started on demand", ep->name, j->domain->name, j->spec->label);
	if (!ep->listener && ep->npending >= ENDPOINT_MAX_PENDING)
		return gerror_set(e, darwin_errno(EAGAIN), "%s: %zu connections already wait for %s/%s to check in",
			ep->name, ep->npending, j->domain->name, j->spec->label);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return gerror_set(e, darwin_errno(errno), "socketpair for %s: %s", ep->name, strerror(errno));
	int one = 1; /* messages queued before either side runs carry attested credentials */
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	*client_fd = sv[0];
	ep->connections++;
	if (ep->listener) {
		deliver_peer(ep, sv[1]);
		return 0;
	}
	int *grown = realloc(ep->pending, (ep->npending + 1) * sizeof(*ep->pending));
	if (!grown)
		gantry_oom();
	ep->pending = grown;
	ep->pending[ep->npending++] = sv[1];
	job_event(j, EV_IPC); /* not running: start it (throttled); its check-in takes the queue */
	return 0;
}

int endpoint_checkin(struct job *j, const char *name, xpc_connection_t conn, struct gerror *e)
{
	struct endpoint *ep = NULL;
	for (size_t i = 0; i < j->spec->nservices; i++)
		if (strcmp(j->endpoints[i].name, name) == 0)
			ep = &j->endpoints[i];
	if (!ep)
		return gerror_set(e, LE_NO_SERVICE, "%s/%s does not advertise \"%s\" in its MachServices; services cannot "
			"be registered dynamically", j->domain->name, j->spec->label, name);
	drop_listener(ep);
	ep->listener = (xpc_connection_t)xpc_retain((xpc_object_t)conn);
	log_msg(LOG_DEBUG, "(%s/%s) checked in for %s; %zu waiting connections", j->domain->name, j->spec->label,
		name, ep->npending);
	return 0;
}

/* After the check-in reply went out: the connections that waited, in order. */
void endpoint_flush(struct job *j, const char *name)
{
	for (size_t i = 0; i < j->spec->nservices; i++) {
		struct endpoint *ep = &j->endpoints[i];
		if (strcmp(ep->name, name) != 0 || !ep->listener)
			continue;
		for (size_t k = 0; k < ep->npending; k++)
			deliver_peer(ep, ep->pending[k]);
		ep->npending = 0;
	}
}

/* Tells a client that waited for the service why it will not answer, and lets it go. */
static void fail_waiting(int fd, int code, const char *cause)
{
	/*
	 * Discard what the client already sent (descriptors in it are dropped by
	 * the kernel): closing a socket with unread data makes the client's next
	 * read fail with ECONNRESET before it sees the explanation.
	 */
	char sink[1];
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT | MSG_TRUNC) > 0) /* 0: the client is gone (EOF) */
		;
	xpc_connection_t c = xpc_connection_create_from_fd(fd);
	xpc_connection_set_target_queue(c, XPC_QUEUE_CALLER);
	xpc_object_t msg = xpc_error_create(code, "Connection interrupted", cause);
	xpc_object_t wrapper = xpc_dictionary_create_empty();
	xpc_dictionary_set_value(wrapper, XPC_SERVICE_ERROR_KEY, msg);
	xpc_connection_activate(c);
	xpc_connection_send_message(c, wrapper);
	xpc_release(wrapper);
	xpc_release(msg);
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
}

void endpoints_failed(struct job *j, int code, const char *why)
{
	for (size_t i = 0; j->endpoints && i < j->spec->nservices; i++) {
		struct endpoint *ep = &j->endpoints[i];
		if (ep->listener || !ep->npending)
			continue;
		if (ep->for_next_instance) {
			ep->for_next_instance = false;
			continue;
		}
		char cause[1024];
		snprintf(cause, sizeof(cause), "%s/%s, which provides %s, %s before checking in", j->domain->name,
			j->spec->label, ep->name, why);
		for (size_t k = 0; k < ep->npending; k++)
			fail_waiting(ep->pending[k], code, cause);
		ep->npending = 0;
	}
}

void endpoints_job_exited(struct job *j)
{
	for (size_t i = 0; j->endpoints && i < j->spec->nservices; i++)
		drop_listener(&j->endpoints[i]);
}

bool endpoints_waiting(const struct job *j)
{
	for (size_t i = 0; j->endpoints && i < j->spec->nservices; i++)
		if (!j->endpoints[i].listener && j->endpoints[i].npending)
			return true;
	return false;
}

void endpoints_termination_imminent(struct job *j)
{
	for (size_t i = 0; j->endpoints && i < j->spec->nservices; i++) {
		struct endpoint *ep = &j->endpoints[i];
		if (!ep->listener)
			continue;
		xpc_object_t ev = xpc_dictionary_create_empty();
		xpc_dictionary_set_string(ev, KEY_EVENT, "termination-imminent");
		deliver(ep->listener, ev);
		xpc_release(ev);
	}
}

