/*
 * launchd-style text for `print` and legacy `list LABEL`, from the
 * dictionaries launchd returns (field names as in research/launchd.md §2.5;
 * Gantry-only fields are marked in launchctl(1)).
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "launchctl.h"
#include "protocol.h"

static const char *str(xpc_object_t d, const char *key)
{
	const char *s = xpc_dictionary_get_string(d, key);
	return s ? s : "(null)";
}

static bool has(xpc_object_t d, const char *key)
{
	xpc_object_t v = xpc_dictionary_get_value(d, key);
	return v && xpc_get_type(v) != XPC_TYPE_NULL;
}

static void print_list(FILE *f, const char *name, xpc_object_t a)
{
	fprintf(f, "\t%s = {\n", name);
	for (size_t i = 0; i < xpc_array_get_count(a); i++)
		fprintf(f, "\t\t%s\n", xpc_array_get_string(a, i));
	fprintf(f, "\t}\n");
}

static bool print_env_entry(void *ctx, const char *key, xpc_object_t v)
{
	fprintf(ctx, "\t\t%s => %s\n", key, xpc_string_get_string_ptr(v));
	return true;
}

static void print_path(FILE *f, xpc_object_t s, const char *key, const char *name)
{
	if (has(s, key))
		fprintf(f, "\t%s = %s\n", name, str(s, key));
}

static bool print_keepalive_entry(void *ctx, const char *key, xpc_object_t v)
{
	fprintf(ctx, "\t\t%s => %s\n", key, xpc_bool_get_value(v) ? "true" : "false");
	return true;
}

static void print_paths(FILE *f, const char *what, xpc_object_t arr)
{
	if (!xpc_array_get_count(arr))
		return;
	fprintf(f, "\t%s = {\n", what);
	for (size_t i = 0; i < xpc_array_get_count(arr); i++) {
		xpc_object_t e = xpc_array_get_value(arr, i);
		fprintf(f, "\t\t%s (%s)\n", xpc_dictionary_get_string(e, KEY_PATH), xpc_dictionary_get_string(e, KEY_STATE));
	}
	fprintf(f, "\t}\n");
}

static void print_endpoints(FILE *f, xpc_object_t eps)
{
	if (xpc_array_get_count(eps)) {
		fprintf(f, "\tendpoints = {\n");
		for (size_t i = 0; i < xpc_array_get_count(eps); i++) {
			xpc_object_t e = xpc_array_get_value(eps, i);
			fprintf(f, "\t\t\"%s\" = {\n\t\t\tactive = %d\n\t\t\twaiting = %" PRId64
				"\n\t\t\tconnections = %" PRId64 "\n\t\t}\n", str(e, KEY_NAME),
				xpc_dictionary_get_bool(e, KEY_ACTIVE) ? 1 : 0, xpc_dictionary_get_int64(e, KEY_WAITING),
				xpc_dictionary_get_int64(e, KEY_CONNECTIONS));
		}
		fprintf(f, "\t}\n");
	}
}

static void print_timers(FILE *f, xpc_object_t timers)
{
	if (timers) {
		fprintf(f, "\ttimers = {\n");
		if (xpc_dictionary_get_value(timers, KEY_START_INTERVAL))
			fprintf(f, "\t\tstart interval = %" PRId64 " s\n", xpc_dictionary_get_int64(timers, KEY_START_INTERVAL));
		if (xpc_dictionary_get_value(timers, KEY_CALENDAR_ENTRIES))
			fprintf(f, "\t\tcalendar entries = %" PRId64 "\n", xpc_dictionary_get_int64(timers, KEY_CALENDAR_ENTRIES));
		fprintf(f, "\t\tnext calendar fire = %s\n", xpc_dictionary_get_string(timers, KEY_NEXT_FIRE) ?
			str(timers, KEY_NEXT_FIRE) : "(none)");
		fprintf(f, "\t\tlast fire = %s%s%s\n", xpc_dictionary_get_string(timers, KEY_LAST_FIRE) ?
			str(timers, KEY_LAST_FIRE) : "(never)", xpc_dictionary_get_string(timers, KEY_LAST_FIRE_REASON) ? ", by " : "",
			xpc_dictionary_get_string(timers, KEY_LAST_FIRE_REASON) ? str(timers, KEY_LAST_FIRE_REASON) : "");
		fprintf(f, "\t\tskipped while running = %" PRId64 "\n\t\tcoalesced while asleep = %" PRId64 "\n\t}\n",
			xpc_dictionary_get_int64(timers, KEY_SKIPPED_WHILE_RUNNING),
			xpc_dictionary_get_int64(timers, KEY_COALESCED_WHILE_ASLEEP));
	}
}

void print_service(FILE *f, xpc_object_t s)
{
	bool running = has(s, KEY_PID);
	fprintf(f, "%s/%s = {\n", str(s, KEY_DOMAIN), str(s, KEY_LABEL));
	fprintf(f, "\tactive count = %d\n", running ? 1 : 0);
	fprintf(f, "\tpath = %s\n", has(s, KEY_PATH) ? str(s, KEY_PATH) : "(submitted by launchctl)");
	fprintf(f, "\ttype = %s\n", str(s, KEY_TYPE));
	fprintf(f, "\tstate = %s\n\n", str(s, KEY_STATE));
	fprintf(f, "\tprogram = %s\n", str(s, KEY_PROGRAM));
	print_list(f, "arguments", xpc_dictionary_get_array(s, KEY_ARGUMENTS));
	fputc('\n', f);
	print_path(f, s, KEY_WORKING_DIRECTORY, "working directory");
	print_path(f, s, KEY_ROOT_DIRECTORY, "root directory");
	print_path(f, s, KEY_STDIN_PATH, "stdin path");
	print_path(f, s, KEY_STDOUT_PATH, "stdout path");
	print_path(f, s, KEY_STDERR_PATH, "stderr path");
	fprintf(f, "\tdefault environment = {\n\t\tPATH => %s\n\t}\n\n", str(s, KEY_DEFAULT_PATH));
	fprintf(f, "\tenvironment = {\n");
	xpc_dictionary_apply_f(xpc_dictionary_get_dictionary(s, KEY_ENVIRONMENT), f, print_env_entry);
	fprintf(f, "\t}\n\n");
	fprintf(f, "\tdomain = %s\n", str(s, KEY_DOMAIN));
	print_path(f, s, KEY_USER_NAME, "username");
	print_path(f, s, KEY_GROUP_NAME, "group");
	fprintf(f, "\tminimum runtime = %" PRId64 "\n", xpc_dictionary_get_int64(s, KEY_THROTTLE_INTERVAL));
	fprintf(f, "\texit timeout = %" PRId64 "\n", xpc_dictionary_get_int64(s, KEY_EXIT_TIMEOUT));
	fprintf(f, "\truns = %" PRId64 "\n", xpc_dictionary_get_int64(s, KEY_RUNS));
	if (running)
		fprintf(f, "\tpid = %" PRId64 "\n", xpc_dictionary_get_int64(s, KEY_PID));
	if (has(s, KEY_ADOPTED)) {
		int64_t adopted = xpc_dictionary_get_int64(s, KEY_ADOPTED);
		fprintf(f, "\tprocesses = %" PRId64 " (%d main, %" PRId64 " adopted)\n", adopted + running, running ? 1 : 0,
			adopted);
	}
	fprintf(f, "\timmediate reason = %s\n", str(s, KEY_IMMEDIATE_REASON));
	fprintf(f, "\tlast exit code = %s\n", str(s, KEY_LAST_EXIT_DESCRIPTION));
	if (has(s, KEY_EXIT_STDERR))
		fprintf(f, "\tlast exit stderr = %s\n", str(s, KEY_EXIT_STDERR));
	if (has(s, KEY_DROPPED)) {
		if (xpc_dictionary_get_bool(s, KEY_OUTPUT_SKIPPED))
			fprintf(f, "\toutput = not captured in this run (launchd was short of descriptors: see its log)\n");
		else
			fprintf(f, "\toutput = %s\n", has(s, KEY_OUTPUT_FILE) ? str(s, KEY_OUTPUT_FILE) :
				"(captured, nothing yet)");
		fprintf(f, "\tdropped lines = %" PRIu64 "\n", xpc_dictionary_get_uint64(s, KEY_DROPPED));
	}
	if (has(s, KEY_SPAWN_FAILURE))
		fprintf(f, "\tspawn failure = %s\n", str(s, KEY_SPAWN_FAILURE));
	if (has(s, KEY_SPAWN_CONSTRAINT))
		fprintf(f, "\tspawn constraint = %s\n", str(s, KEY_SPAWN_CONSTRAINT));
	if (has(s, KEY_RESPONSIBLE_CONSTRAINT))
		fprintf(f, "\tresponsible process constraint = %s\n", str(s, KEY_RESPONSIBLE_CONSTRAINT));
	if (has(s, KEY_PREVIOUS_INSTANCE))
		fprintf(f, "\tprevious instance = %s\n", str(s, KEY_PREVIOUS_INSTANCE));
	if (has(s, KEY_NEXT_START))
		fprintf(f, "\tnext start = in %.1f seconds (throttled: ThrottleInterval %" PRId64 ")\n",
			xpc_dictionary_get_double(s, KEY_NEXT_START), xpc_dictionary_get_int64(s, KEY_THROTTLE_INTERVAL));
	xpc_object_t ka = xpc_dictionary_get_dictionary(s, KEY_KEEPALIVE);
	if (xpc_dictionary_get_count(ka)) {
		fprintf(f, "\tsemaphores = {\n");
		xpc_dictionary_apply_f(ka, f, print_keepalive_entry);
		fprintf(f, "\t}\n");
	}
	print_endpoints(f, xpc_dictionary_get_array(s, KEY_ENDPOINTS));
	print_paths(f, "watch paths", xpc_dictionary_get_array(s, KEY_WATCH_PATHS));
	print_paths(f, "queue directories", xpc_dictionary_get_array(s, KEY_QUEUE_DIRECTORIES));
	print_timers(f, xpc_dictionary_get_dictionary(s, KEY_TIMERS));
	fprintf(f, "\tspawn type = %s\n", str(s, KEY_SPAWN_TYPE));
	fprintf(f, "\tjob state = %s\n", str(s, KEY_STATE));
	fprintf(f, "\tdisabled = %s\n", xpc_dictionary_get_bool(s, KEY_DISABLED) ? "true" : "false");
	fprintf(f, "\tproperties = %s\n", str(s, KEY_PROPERTIES));
	xpc_object_t shadowed = xpc_dictionary_get_array(s, KEY_SHADOWED);
	if (xpc_array_get_count(shadowed)) /* the same label in a job directory of lower precedence */
		print_list(f, "shadowed (same label, lower precedence, not loaded)", shadowed);
	xpc_object_t w = xpc_dictionary_get_array(s, KEY_WARNINGS);
	if (xpc_array_get_count(w))
		print_list(f, "warnings", w);
	fprintf(f, "}\n");
}

static bool print_disabled_entry(void *ctx, const char *key, xpc_object_t v)
{
	fprintf(ctx, "\t\t\"%s\" => %s\n", key, xpc_bool_get_value(v) ? "disabled" : "enabled");
	return true;
}

/* A domain's login sessions: "3 => Aqua: x11 seat0 via gdm-password (leader 1234, since 2026-11-30 21:40:01)". */
static void print_sessions(FILE *f, xpc_object_t list)
{
	if (!list)
		return;
	fprintf(f, "\tsessions = {\n");
	for (size_t i = 0; i < xpc_array_get_count(list); i++) {
		xpc_object_t s = xpc_array_get_value(list, i);
		time_t t = (time_t)(xpc_dictionary_get_int64(s, KEY_OPENED) / 1000);
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		fprintf(f, "\t\t%" PRId64 " => %s: %s (leader %" PRId64 ", since %s)\n",
			xpc_dictionary_get_int64(s, KEY_SESSION_ID), str(s, KEY_SESSION_TYPE), str(s, KEY_SESSION_DESC),
			xpc_dictionary_get_int64(s, KEY_PID), when);
	}
	fprintf(f, "\t}\n\n");
}

void print_domain(FILE *f, xpc_object_t d)
{
	fprintf(f, "%s = {\n", str(d, KEY_DOMAIN));
	fprintf(f, "\ttype = %s\n", str(d, KEY_TYPE));
	fprintf(f, "\thandle = %" PRId64 "\n", xpc_dictionary_get_int64(d, KEY_HANDLE));
	fprintf(f, "\tactive count = %" PRId64 "\n", xpc_dictionary_get_int64(d, KEY_ACTIVE_COUNT));
	fprintf(f, "\tservice count = %" PRId64 "\n", xpc_dictionary_get_int64(d, KEY_SERVICE_COUNT));
	fprintf(f, "\tsession types = %s\n\n", str(d, KEY_SESSION_TYPE));
	print_sessions(f, xpc_dictionary_get_array(d, KEY_SESSIONS));
	fprintf(f, "\tconfig = {\n");
	xpc_dictionary_apply_f(xpc_dictionary_get_dictionary(d, KEY_CONFIG), f, print_env_entry);
	fprintf(f, "\t}\n");
	fprintf(f, "\tenvironment = {\n");
	xpc_dictionary_apply_f(xpc_dictionary_get_dictionary(d, KEY_ENVIRONMENT), f, print_env_entry);
	fprintf(f, "\t}\n\n");
	fprintf(f, "\tservices = {\n");
	xpc_object_t svc = xpc_dictionary_get_array(d, KEY_SERVICES);
	for (size_t i = 0; i < xpc_array_get_count(svc); i++) {
		xpc_object_t e = xpc_array_get_value(svc, i);
		char pid[24] = "-", status[24] = "-";
		if (has(e, KEY_PID))
			snprintf(pid, sizeof(pid), "%" PRId64, xpc_dictionary_get_int64(e, KEY_PID));
		if (has(e, KEY_LAST_EXIT_STATUS))
			snprintf(status, sizeof(status), "%" PRId64, xpc_dictionary_get_int64(e, KEY_LAST_EXIT_STATUS));
		fprintf(f, "\t\t%8s\t%6s\t%s (%s)\n", pid, status, str(e, KEY_LABEL), str(e, KEY_STATE));
	}
	fprintf(f, "\t}\n\n\tdisabled services = {\n");
	xpc_dictionary_apply_f(xpc_dictionary_get_dictionary(d, KEY_DISABLED_SERVICES), f, print_disabled_entry);
	fprintf(f, "\t}\n}\n");
}

/* A NeXTSTEP-style quoted string, as launchctl list LABEL prints them. */
static void put_quoted(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

static void put_string_key(FILE *f, const char *key, const char *v)
{
	fprintf(f, "\t\"%s\" = ", key);
	put_quoted(f, v);
	fputs(";\n", f);
}

/* The session type of a domain, in LimitLoadToSessionType's words. */
static const char *session_of(const char *domain)
{
	if (strncmp(domain, "gui/", 4) == 0 || strncmp(domain, "pid/", 4) == 0)
		return "Aqua";
	if (strncmp(domain, "user/", 5) == 0)
		return "Background";
	return "System";
}

/* "Sockets" = { "Listeners" = ( file-descriptor-object; ... ); }: one entry per socket name, one object per descriptor. */
static void put_sockets(FILE *f, xpc_object_t socks)
{
	size_t n = xpc_array_get_count(socks);
	fprintf(f, "\t\"Sockets\" = {\n");
	for (size_t i = 0; i < n; i++) {
		const char *name = str(xpc_array_get_value(socks, i), KEY_NAME);
		bool first = true;
		for (size_t k = 0; k < i && first; k++)
			first = strcmp(str(xpc_array_get_value(socks, k), KEY_NAME), name) != 0;
		if (!first)
			continue;
		fprintf(f, "\t\t");
		put_quoted(f, name);
		fprintf(f, " = (\n");
		for (size_t k = i; k < n; k++)
			if (strcmp(str(xpc_array_get_value(socks, k), KEY_NAME), name) == 0)
				fprintf(f, "\t\t\tfile-descriptor-object;\n");
		fprintf(f, "\t\t);\n");
	}
	fprintf(f, "\t};\n");
}

/*
 * launchctl list LABEL, as macOS prints it: LastExitStatus always, as the raw wait status (exit 3 -> 768,
 * killed by SIGTERM -> 15, 0 if it never exited); PID only while running; the session type of its domain.
 */
void print_legacy_job(FILE *f, xpc_object_t s)
{
	fprintf(f, "{\n");
	put_string_key(f, "LimitLoadToSessionType", session_of(str(s, KEY_DOMAIN)));
	if (has(s, KEY_STDOUT_PATH))
		put_string_key(f, "StandardOutPath", str(s, KEY_STDOUT_PATH));
	if (has(s, KEY_STDERR_PATH))
		put_string_key(f, "StandardErrorPath", str(s, KEY_STDERR_PATH));
	put_string_key(f, "Label", str(s, KEY_LABEL));
	fprintf(f, "\t\"OnDemand\" = %s;\n", strstr(str(s, KEY_PROPERTIES), "keepalive") ? "false" : "true");
	int64_t status = has(s, KEY_LAST_EXIT_STATUS) ? xpc_dictionary_get_int64(s, KEY_LAST_EXIT_STATUS) : 0;
	fprintf(f, "\t\"LastExitStatus\" = %" PRId64 ";\n", status >= 0 ? status << 8 : -status);
	if (has(s, KEY_PID))
		fprintf(f, "\t\"PID\" = %" PRId64 ";\n", xpc_dictionary_get_int64(s, KEY_PID));
	put_string_key(f, "Program", str(s, KEY_PROGRAM));
	xpc_object_t args = xpc_dictionary_get_array(s, KEY_ARGUMENTS);
	if (xpc_array_get_count(args)) {
		fprintf(f, "\t\"ProgramArguments\" = (\n");
		for (size_t i = 0; i < xpc_array_get_count(args); i++) {
			fprintf(f, "\t\t");
			put_quoted(f, xpc_array_get_string(args, i));
			fprintf(f, ";\n");
		}
		fprintf(f, "\t);\n");
	}
	xpc_object_t eps = xpc_dictionary_get_array(s, KEY_ENDPOINTS);
	if (xpc_array_get_count(eps)) {
		fprintf(f, "\t\"MachServices\" = {\n");
		for (size_t i = 0; i < xpc_array_get_count(eps); i++) {
			fprintf(f, "\t\t");
			put_quoted(f, str(xpc_array_get_value(eps, i), KEY_NAME));
			fprintf(f, " = mach-port-object;\n");
		}
		fprintf(f, "\t};\n");
	}
	if (xpc_array_get_count(xpc_dictionary_get_array(s, KEY_SOCKETS)))
		put_sockets(f, xpc_dictionary_get_array(s, KEY_SOCKETS));
	fprintf(f, "};\n");
}
