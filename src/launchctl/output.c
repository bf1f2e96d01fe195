/*
 * launchd-style text for `print` and legacy `list LABEL`, from the
 * dictionaries launchd returns (field names as in research/launchd.md §2.5;
 * Gantry-only fields are marked in launchctl(1)).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "launchctl.h"

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
		fprintf(f, "\t\t%s (%s)\n", xpc_dictionary_get_string(e, "path"), xpc_dictionary_get_string(e, "state"));
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
				"\n\t\t\tconnections = %" PRId64 "\n\t\t}\n", str(e, "name"),
				xpc_dictionary_get_bool(e, "active") ? 1 : 0, xpc_dictionary_get_int64(e, "waiting"),
				xpc_dictionary_get_int64(e, "connections"));
		}
		fprintf(f, "\t}\n");
	}
}

static void print_timers(FILE *f, xpc_object_t timers)
{
	if (timers) {
		fprintf(f, "\ttimers = {\n");
		if (xpc_dictionary_get_value(timers, "start_interval"))
			fprintf(f, "\t\tstart interval = %" PRId64 " s\n", xpc_dictionary_get_int64(timers, "start_interval"));
		if (xpc_dictionary_get_value(timers, "calendar_entries"))
			fprintf(f, "\t\tcalendar entries = %" PRId64 "\n", xpc_dictionary_get_int64(timers, "calendar_entries"));
		fprintf(f, "\t\tnext calendar fire = %s\n", xpc_dictionary_get_string(timers, "next_fire") ?
			str(timers, "next_fire") : "(none)");
		fprintf(f, "\t\tlast fire = %s%s%s\n", xpc_dictionary_get_string(timers, "last_fire") ?
			str(timers, "last_fire") : "(never)", xpc_dictionary_get_string(timers, "last_fire_reason") ? ", by " : "",
			xpc_dictionary_get_string(timers, "last_fire_reason") ? str(timers, "last_fire_reason") : "");
		fprintf(f, "\t\tskipped while running = %" PRId64 "\n\t\tcoalesced while asleep = %" PRId64 "\n\t}\n",
			xpc_dictionary_get_int64(timers, "skipped_while_running"),
			xpc_dictionary_get_int64(timers, "coalesced_while_asleep"));
	}
}

void print_service(FILE *f, xpc_object_t s)
{
	bool running = has(s, "pid");
	fprintf(f, "%s/%s = {\n", str(s, "domain"), str(s, "label"));
	fprintf(f, "\tactive count = %d\n", running ? 1 : 0);
	fprintf(f, "\tpath = %s\n", has(s, "path") ? str(s, "path") : "(submitted by launchctl)");
	fprintf(f, "\ttype = %s\n", str(s, "type"));
	fprintf(f, "\tstate = %s\n\n", str(s, "state"));
	fprintf(f, "\tprogram = %s\n", str(s, "program"));
	print_list(f, "arguments", xpc_dictionary_get_array(s, "arguments"));
	fputc('\n', f);
	print_path(f, s, "working_directory", "working directory");
	print_path(f, s, "root_directory", "root directory");
	print_path(f, s, "stdin_path", "stdin path");
	print_path(f, s, "stdout_path", "stdout path");
	print_path(f, s, "stderr_path", "stderr path");
	fprintf(f, "\tdefault environment = {\n\t\tPATH => %s\n\t}\n\n", str(s, "default_path"));
	fprintf(f, "\tenvironment = {\n");
	xpc_dictionary_apply_f(xpc_dictionary_get_dictionary(s, "environment"), f, print_env_entry);
	fprintf(f, "\t}\n\n");
	fprintf(f, "\tdomain = %s\n", str(s, "domain"));
	print_path(f, s, "user_name", "username");
	print_path(f, s, "group_name", "group");
	fprintf(f, "\tminimum runtime = %" PRId64 "\n", xpc_dictionary_get_int64(s, "throttle_interval"));
	fprintf(f, "\texit timeout = %" PRId64 "\n", xpc_dictionary_get_int64(s, "exit_timeout"));
	fprintf(f, "\truns = %" PRId64 "\n", xpc_dictionary_get_int64(s, "runs"));
	if (running)
		fprintf(f, "\tpid = %" PRId64 "\n", xpc_dictionary_get_int64(s, "pid"));
	fprintf(f, "\timmediate reason = %s\n", str(s, "immediate_reason"));
	fprintf(f, "\tlast exit code = %s\n", str(s, "last_exit_description"));
	if (has(s, "spawn_failure"))
		fprintf(f, "\tspawn failure = %s\n", str(s, "spawn_failure"));
	if (has(s, "previous_instance"))
		fprintf(f, "\tprevious instance = %s\n", str(s, "previous_instance"));
	if (has(s, "next_start"))
		fprintf(f, "\tnext start = in %.1f seconds (throttled: ThrottleInterval %" PRId64 ")\n",
			xpc_dictionary_get_double(s, "next_start"), xpc_dictionary_get_int64(s, "throttle_interval"));
	xpc_object_t ka = xpc_dictionary_get_dictionary(s, "keepalive");
	if (xpc_dictionary_get_count(ka)) {
		fprintf(f, "\tsemaphores = {\n");
		xpc_dictionary_apply_f(ka, f, print_keepalive_entry);
		fprintf(f, "\t}\n");
	}
	print_endpoints(f, xpc_dictionary_get_array(s, "endpoints"));
	print_paths(f, "watch paths", xpc_dictionary_get_array(s, "watch_paths"));
	print_paths(f, "queue directories", xpc_dictionary_get_array(s, "queue_directories"));
	print_timers(f, xpc_dictionary_get_dictionary(s, "timers"));
	fprintf(f, "\tspawn type = %s\n", str(s, "spawn_type"));
	fprintf(f, "\tjob state = %s\n", str(s, "state"));
	fprintf(f, "\tdisabled = %s\n", xpc_dictionary_get_bool(s, "disabled") ? "true" : "false");
	fprintf(f, "\tproperties = %s\n", str(s, "properties"));
	xpc_object_t w = xpc_dictionary_get_array(s, "warnings");
	if (xpc_array_get_count(w))
		print_list(f, "warnings", w);
	fprintf(f, "}\n");
}

static bool print_disabled_entry(void *ctx, const char *key, xpc_object_t v)
{
	fprintf(ctx, "\t\t\"%s\" => %s\n", key, xpc_bool_get_value(v) ? "disabled" : "enabled");
	return true;
}

void print_domain(FILE *f, xpc_object_t d)
{
	fprintf(f, "%s = {\n", str(d, "domain"));
	fprintf(f, "\ttype = %s\n", str(d, "type"));
	fprintf(f, "\thandle = %" PRId64 "\n", xpc_dictionary_get_int64(d, "handle"));
	fprintf(f, "\tactive count = %" PRId64 "\n", xpc_dictionary_get_int64(d, "active_count"));
	fprintf(f, "\tservice count = %" PRId64 "\n\n", xpc_dictionary_get_int64(d, "service_count"));
	fprintf(f, "\tservices = {\n");
	xpc_object_t svc = xpc_dictionary_get_array(d, "services");
	for (size_t i = 0; i < xpc_array_get_count(svc); i++) {
		xpc_object_t e = xpc_array_get_value(svc, i);
		char pid[24] = "-", status[24] = "-";
		if (has(e, "pid"))
			snprintf(pid, sizeof(pid), "%" PRId64, xpc_dictionary_get_int64(e, "pid"));
		if (has(e, "last_exit_status"))
			snprintf(status, sizeof(status), "%" PRId64, xpc_dictionary_get_int64(e, "last_exit_status"));
		fprintf(f, "\t\t%8s\t%6s\t%s (%s)\n", pid, status, str(e, "label"), str(e, "state"));
	}
	fprintf(f, "\t}\n\n\tdisabled services = {\n");
	xpc_dictionary_apply_f(xpc_dictionary_get_dictionary(d, "disabled_services"), f, print_disabled_entry);
	fprintf(f, "\t}\n}\n");
}

void print_legacy_job(FILE *f, xpc_object_t s)
{
	fprintf(f, "{\n");
	fprintf(f, "\t\"Label\" = \"%s\";\n", str(s, "label"));
	if (has(s, "last_exit_status"))
		fprintf(f, "\t\"LastExitStatus\" = %" PRId64 ";\n", xpc_dictionary_get_int64(s, "last_exit_status"));
	if (has(s, "pid"))
		fprintf(f, "\t\"PID\" = %" PRId64 ";\n", xpc_dictionary_get_int64(s, "pid"));
	fprintf(f, "\t\"OnDemand\" = %s;\n", strstr(str(s, "properties"), "keepalive") ? "false" : "true");
	fprintf(f, "\t\"Program\" = \"%s\";\n", str(s, "program"));
	xpc_object_t args = xpc_dictionary_get_array(s, "arguments");
	fprintf(f, "\t\"ProgramArguments\" = (\n");
	for (size_t i = 0; i < xpc_array_get_count(args); i++)
		fprintf(f, "\t\t\"%s\";\n", xpc_array_get_string(args, i));
	fprintf(f, "\t);\n};\n");
}
