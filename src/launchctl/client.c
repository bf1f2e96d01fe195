/*
 * launchctl's side of the control protocol: finding the launchd that hosts a
 * domain, sending one request over libxpc, and reporting errors with their
 * causes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "launchctl.h"
#include "paths.h"
#include "protocol.h"

/* How long launchctl waits for launchd to answer before giving up. */
#define REQUEST_TIMEOUT_MS (120 * 1000)

static bool is_own_user_domain(const char *domain)
{
	char own[64];
	if (strcmp(domain, "default") == 0)
		return geteuid() != 0;
	snprintf(own, sizeof(own), "gui/%u", (unsigned)getuid());
	if (strcmp(domain, own) == 0)
		return true;
	snprintf(own, sizeof(own), "user/%u", (unsigned)getuid());
	return strcmp(domain, own) == 0;
}

static bool system_launchd_runs(void)
{
	struct gantry_paths sys;
	char err[256];
	return gantry_paths_init(&sys, true, 0, err, sizeof(err)) == 0 && access(sys.socket, F_OK) == 0;
}


/* The socket of the daemon for domain: the user's own launchd for its domains, else the system one. */
static void socket_for(const char *domain, char *out, size_t len)
{
	bool no_system = !system_launchd_runs();
	bool user_ok = is_own_user_domain(domain) || (strcmp(domain, "default") == 0 && no_system);
	gantry_launchd_socket(user_ok, true, out, len);
}

/* "default" as launchctl asuser UID set it for the command it runs: that user's gui/<uid>; else NULL. */
static const char *asuser_domain(void)
{
	static char domain[32];
	const char *uid = getenv(ASUSER_ENV);
	if (!uid || !*uid || strspn(uid, "0123456789") != strlen(uid) || strlen(uid) > 10)
		return NULL;
	snprintf(domain, sizeof(domain), "gui/%s", uid);
	return domain;
}

xpc_object_t request_new(const char *routine, const struct target *t)
{
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, KEY_ROUTINE, routine);
	const char *domain = t ? t->domain : "default";
	if (strcmp(domain, "default") == 0 && asuser_domain())
		domain = asuser_domain();
	xpc_dictionary_set_string(req, KEY_DOMAIN, domain);
	if (t && t->has_label)
		xpc_dictionary_set_string(req, KEY_LABEL, t->label);
	return req;
}

bool default_is_system(void)
{
	if (geteuid() != 0 || asuser_domain())
		return false;
	xpc_object_t reply = request_send(request_new(ROUTINE_VERSION, NULL)); /* the launchd "default" reaches says */
	bool system = strcmp(xpc_dictionary_get_string(reply, KEY_MODE) ?: "", "system") == 0;
	xpc_release(reply);
	return system;
}

xpc_object_t request_send(xpc_object_t req)
{
	char path[4096];
	socket_for(xpc_dictionary_get_string(req, KEY_DOMAIN), path, sizeof(path));
	xpc_connection_t c = xpc_connection_create_socket(path, 0);
	xpc_connection_set_target_queue(c, XPC_QUEUE_CALLER); /* one synchronous request: no thread */
	uid_t server = xpc_connection_get_euid(c);
	if (xpc_connection_get_fd(c) >= 0 && server != 0 && server != getuid()) {
		fprintf(stderr, "launchctl: %s is served by uid %u, which is neither root nor you; not sending it anything "
			"(another user may have created the socket)\n", path, (unsigned)server);
		exit(EACCES);
	}
	xpc_connection_activate(c);
	xpc_object_t reply = xpc_connection_send_message_with_reply_sync_timeout(c, req, REQUEST_TIMEOUT_MS);
	if (xpc_get_type(reply) == XPC_TYPE_ERROR) {
		/* Exit 3 (ESRCH: no launchd there) or 13 (EACCES), never a code launchd's table reuses. */
		char *reason = xpc_error_get_cause(reply) ? strdup(xpc_error_get_cause(reply))
							  : xpc_connection_copy_invalidation_reason(c);
		const char *cause = reason;
		int code = cause && strstr(cause, "Permission denied") ? EACCES : ESRCH;
		xpc_object_t r = xpc_dictionary_create_empty();
		xpc_dictionary_set_int64(r, KEY_ERROR, code);
		xpc_dictionary_set_string(r, KEY_ERROR_DOMAIN, ERROR_DOMAIN_LAUNCHCTL);
		xpc_dictionary_set_string(r, KEY_ERROR_MESSAGE, "cannot reach launchd");
		char detail[1024];
		snprintf(detail, sizeof(detail), "%s (is launchd running? start it with `launchd --user` or "
			"`launchd --system`; LAUNCHD_ROOT and LAUNCHD_SOCKET choose which one)", cause ? cause : path);
		xpc_dictionary_set_string(r, KEY_ERROR_DETAIL, detail);
		free(reason);
		xpc_release(reply);
		reply = r;
	}
	xpc_connection_cancel(c);
	xpc_release((xpc_object_t)c);
	xpc_release(req);
	return reply;
}

int reply_check(xpc_object_t reply, const char *what)
{
	int code = (int)xpc_dictionary_get_int64(reply, KEY_ERROR);
	if (!code)
		return 0;
	const char *msg = xpc_dictionary_get_string(reply, KEY_ERROR_MESSAGE);
	const char *detail = xpc_dictionary_get_string(reply, KEY_ERROR_DETAIL);
	fprintf(stderr, "%s failed: %d: %s\n", what, code, msg ? msg : gantry_strerror(code));
	if (detail && *detail && !xpc_dictionary_get_array(reply, KEY_RESULTS))
		fprintf(stderr, "%s\n", detail);
	print_results(reply);
	return code;
}

void print_results(xpc_object_t reply)
{
	xpc_object_t results = xpc_dictionary_get_array(reply, KEY_RESULTS);
	for (size_t i = 0; i < xpc_array_get_count(results); i++) {
		xpc_object_t r = xpc_array_get_value(results, i);
		int code = (int)xpc_dictionary_get_int64(r, KEY_ERROR);
		if (!code)
			continue;
		fprintf(stderr, "%s: %d: %s\n", xpc_dictionary_get_string(r, KEY_PATH), code,
			xpc_dictionary_get_string(r, KEY_ERROR_MESSAGE));
		const char *detail = xpc_dictionary_get_string(r, KEY_ERROR_DETAIL);
		for (const char *line = detail; line && *line;) {
			size_t n = strcspn(line, "\n");
			fprintf(stderr, "    %.*s\n", (int)n, line);
			line += n + (line[n] == '\n');
		}
	}
}

bool target_parse(const char *text, struct target *t)
{
	memset(t, 0, sizeof(*t));
	const char *rest;
	if (strncmp(text, "system", 6) == 0 && (text[6] == '\0' || text[6] == '/')) {
		snprintf(t->domain, sizeof(t->domain), "system");
		rest = text[6] ? text + 7 : "";
	} else if (strncmp(text, "gui/", 4) == 0 || strncmp(text, "user/", 5) == 0 || strncmp(text, "pid/", 4) == 0) {
		const char *uid = strchr(text, '/') + 1; /* or, for pid/<pid>, the process */
		size_t n = strspn(uid, "0123456789");
		if (n == 0 || n > 10 || (uid[n] != '\0' && uid[n] != '/'))
			return false;
		snprintf(t->domain, sizeof(t->domain), "%.*s", (int)(uid - text + n), text);
		rest = uid[n] ? uid + n + 1 : "";
	} else {
		return false;
	}
	if (*rest) {
		if (strchr(rest, '/') || strlen(rest) >= sizeof(t->label))
			return false;
		snprintf(t->label, sizeof(t->label), "%s", rest);
		t->has_label = true;
	}
	return true;
}
