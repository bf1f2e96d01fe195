/*
 * The routines libxpc and liblaunch call for a job's services: a client's
 * lookup of a named service, a job's check-in as its listener, identify
 * (the peer requirement's "launchd-job"), and launch_activate_socket().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "constraints.h"
#include "control.h"
#include "domain.h"
#include "endpoint.h"
#include "errors.h"
#include "log.h"
#include "protocol.h"
#include "sockets.h"
#include "xpcrequests.h"
#include "xpcservices.h"

/* The domain a client's lookups go to: the job's own, else the caller's user domain (root: system). */
static struct domain *lookup_domain(xpc_object_t msg, xpc_object_t reply, uid_t caller, pid_t pid)
{
	struct gerror e = {0};
	const char *name = xpc_dictionary_get_bool(msg, KEY_PRIVILEGED) ? "system" : NULL;
	char own[32];
	struct job *own_job = name ? NULL : domain_job_by_pid(pid);
	if (own_job)
		name = own_job->domain->name;
	if (!name) {
		snprintf(own, sizeof(own), "gui/%u", (unsigned)caller);
		name = caller == 0 && g_launchd.system ? "system" : own;
	}
	struct domain *d = domain_resolve(name, caller, true, &e);
	if (!d)
		control_set_error(reply, e.code, "%s", e.detail);
	return d;
}

/* Why a lookup found nothing: a disabled job of d (or of system) advertises the name, or nobody does. */
static void not_found(xpc_object_t reply, const char *name, const struct domain *d, const struct domain *sys)
{
	const struct domain *where = d;
	const char *label = domain_disabled_provider(d, name);
	if (!label && sys && (label = domain_disabled_provider(sys, name)))
		where = sys;
	char why[1400];
	if (label)
		control_set_error(reply, LE_DISABLED, "\"%s\" is advertised by %s/%s, which is disabled: `launchctl enable "
			"%s/%s`, then load it, to reach it", name, where->name, label, where->name, label);
	else if (g_launchd.hooks.lookup_reason && (g_launchd.hooks.lookup_reason(d, name, why, sizeof(why)) ||
		 (sys && g_launchd.hooks.lookup_reason(sys, name, why, sizeof(why)))))
		control_set_error(reply, LE_DISABLED, "%s", why);
	else
		control_set_error(reply, LE_NO_SERVICE, "no service named \"%s\" in %s%s: no loaded job advertises it in "
			"MachServices", name, d->name, sys ? " or system" : "");
}

/* The service of the caller's app bundle called name (xpc_connection_create(name)), and its endpoint. */
static struct job *bundled_service(pid_t pid, uid_t caller, const char *name, struct endpoint **ep, xpc_object_t reply)
{
	struct gerror e = {0};
	struct job *j = name ? xpcsvc_lookup(pid, caller, name, &e) : NULL;
	if (!j) {
		control_set_error(reply, name ? e.code : LE_USAGE, "%s", name ? e.detail : "a lookup needs a name");
		return NULL;
	}
	if (endpoint_find(j->domain, name, ep) != j) {
		control_set_error(reply, LE_NO_SERVICE, "%s/%s does not advertise \"%s\"", j->domain->name,
			j->spec->label, name);
		return NULL;
	}
	return j;
}

/*
 * Connects the client (pid, as uid) to j's endpoint ep — if it satisfies j's ResponsibleProcessConstraint:
 * the reply carries the client's end of the socket pair.
 */
static bool connect_client(struct job *j, struct endpoint *ep, pid_t pid, uid_t uid, xpc_object_t reply)
{
	int fd;
	struct gerror e = {0};
	char why[PATH_MAX + 256];
	if (constraint_check_responsible(j->spec, pid, uid, why, sizeof(why))) {
		log_msg(LOG_NOTICE, "(%s/%s) refused a connection from pid %d: %s", j->domain->name, j->spec->label,
			(int)pid, why);
		control_set_error(reply, EPERM, "%s/%s refuses pid %d: %s", j->domain->name, j->spec->label, (int)pid, why);
		return false;
	}
	if (endpoint_connect(j, ep, &fd, &e)) {
		control_set_error(reply, e.code, "%s", e.detail);
		return false;
	}
	xpc_dictionary_set_fd(reply, KEY_FD, fd);
	xpc_dictionary_set_string(reply, KEY_LABEL, j->spec->label);
	xpc_dictionary_set_string(reply, KEY_DOMAIN, j->domain->name);
	close(fd);
	return false;
}

/*
 * A client opens a connection to a named service (xpc_connection_create_mach_service), or to an XPC
 * service of its app bundle (xpc_connection_create with a name), which only that lookup finds.
 */
static bool req_lookup(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	pid_t pid = 0;
	xpc_dictionary_get_sender(msg, &pid, NULL, NULL);
	const char *name = xpc_dictionary_get_string(msg, KEY_NAME);
	struct endpoint *ep = NULL;
	if (xpc_dictionary_get_bool(msg, KEY_XPC_SERVICE)) {
		struct job *j = bundled_service(pid, caller, name, &ep, reply);
		return j ? connect_client(j, ep, pid, caller, reply) : false;
	}
	struct domain *d = lookup_domain(msg, reply, caller, pid);
	if (!d)
		return false;
	struct job *j = name ? endpoint_find(d, name, &ep) : NULL;
	if (!j && d->kind == DOMAIN_GUI) { /* gui and user domains share one namespace, as on macOS */
		struct gerror ignored = {0};
		char user[32];
		snprintf(user, sizeof(user), "user/%u", (unsigned)d->uid);
		struct domain *u = domain_resolve(user, caller, true, &ignored);
		j = u && name ? endpoint_find(u, name, &ep) : NULL;
	}
	/* As macOS: a LaunchDaemon's MachServices are visible to every user (its peer requirement decides). */
	struct domain *sys = d->kind != DOMAIN_SYSTEM ? domain_find_named("system") : NULL;
	if (!j && sys && name)
		j = endpoint_find(sys, name, &ep);
	if (j && j->xpc_bundle) /* an app's XPC service: for its app's processes, through xpc_connection_create */
		j = NULL;
	if (!j) {
		not_found(reply, name ? name : "", d, sys);
		return false;
	}
	return connect_client(j, ep, pid, caller, reply);
}

/* A job's process checks in as the listener of one of its MachServices. */
static bool req_checkin(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	(void)caller;
	pid_t pid = 0;
	xpc_dictionary_get_sender(msg, &pid, NULL, NULL);
	const char *name = xpc_dictionary_get_string(msg, KEY_NAME);
	if (!name) {
		control_set_error(reply, LE_USAGE, "checkin needs a name");
		return false;
	}
	struct job *j = domain_job_by_pid(pid);
	if (!j) {
		control_set_error(reply, LE_NOT_MANAGED, "pid %d is not a launchd job: only the process launchd started "
			"for a job whose MachServices advertises \"%s\" may listen on it", (int)pid, name);
		return false;
	}
	struct gerror e = {0};
	if (endpoint_checkin(j, name, xpc_dictionary_get_remote_connection(msg), &e)) {
		control_set_error(reply, e.code, "%s", e.detail);
		return false;
	}
	control_send(reply);
	endpoint_flush(j, name);
	return true;
}

/* Which job pid is the main process of (libxpc's "launchd-job" peer requirement). */
static bool req_identify(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	(void)caller;
	pid_t pid = (pid_t)xpc_dictionary_get_int64(msg, KEY_PID);
	struct job *j = domain_job_by_pid(pid);
	if (!j) {
		control_set_error(reply, LE_NOT_MANAGED, "pid %d is not the process of any job of this launchd", (int)pid);
		return false;
	}
	xpc_dictionary_set_string(reply, KEY_LABEL, j->spec->label);
	xpc_dictionary_set_string(reply, KEY_DOMAIN, j->domain->name);
	xpc_object_t names = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < j->spec->nservices; i++)
		xpc_array_set_string(names, XPC_ARRAY_APPEND, j->spec->services[i].name);
	xpc_dictionary_set_value(reply, KEY_SERVICES, names);
	xpc_release(names);
	return false;
}

/* launch_activate_socket(): the descriptors of one of the calling job's Sockets. */
static bool req_activate_socket(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	(void)caller;
	pid_t pid = 0;
	xpc_dictionary_get_sender(msg, &pid, NULL, NULL);
	const char *name = xpc_dictionary_get_string(msg, KEY_NAME);
	char why[512];
	xpc_object_t fds = xpc_array_create(NULL, 0);
	int err = sockets_activate(pid, name ? name : "", fds, why, sizeof(why));
	if (err) /* the errno launch_activate_socket() returns, as it is */
		control_set_error_in(reply, ERROR_DOMAIN_POSIX, err, strerror(err), why);
	else
		xpc_dictionary_set_value(reply, KEY_FDS, fds);
	xpc_release(fds);
	return false;
}

const struct routine xpc_routines[] = {
	{ROUTINE_LOOKUP, req_lookup},
	{ROUTINE_CHECKIN, req_checkin},
	{ROUTINE_IDENTIFY, req_identify},
	{ROUTINE_ACTIVATE_SOCKET, req_activate_socket},
	{NULL, NULL},
};
