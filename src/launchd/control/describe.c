/*
 * What `print`, `list` and `blame` report: jobs and domains rendered as
 * libxpc dictionaries with stable snake_case keys (launchctl maps them to
 * launchd's print field names, or emits them as JSON).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "describe.h"
#include "sessions.h"
#include "procrec.h"
#include "domain.h"
#include "endpoint.h"
#include "errors.h"
#include "capture.h"
#include "loop.h"
#include "orphans.h"
#include "protocol.h"
#include "spawn.h"

static void set_owned(xpc_object_t d, const char *key, xpc_object_t v)
{
	xpc_dictionary_set_value(d, key, v);
	xpc_release(v);
}

static void set_null(xpc_object_t d, const char *key)
{
	set_owned(d, key, xpc_null_create());
}

static void append(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* A launch constraint as print shows it: "owner=0 sha256=3f2a... in-bundle=/A.app", then where it came from. */
static void set_constraint(xpc_object_t d, const char *key, const char *uid_fact, const struct spec_constraint *c)
{
	if (!c->present)
		return;
	char buf[2048] = "";
	if (c->has_uid)
		append(buf, sizeof(buf), " %s=%u", uid_fact, (unsigned)c->uid);
	if (c->executable)
		append(buf, sizeof(buf), " executable=%s", c->executable);
	if (c->sha256)
		append(buf, sizeof(buf), " sha256=%s", c->sha256);
	if (c->in_bundle)
		append(buf, sizeof(buf), " in-bundle=%s", c->in_bundle);
	if (c->bundle_identifier)
		append(buf, sizeof(buf), " bundle-identifier=%s", c->bundle_identifier);
	if (c->origin)
		append(buf, sizeof(buf), " (%s)", c->origin);
	xpc_dictionary_set_string(d, key, buf[0] ? buf + 1 : "(no facts)");
}

static void set_opt_string(xpc_object_t d, const char *key, const char *value)
{
	if (value)
		xpc_dictionary_set_string(d, key, value);
	else
		set_null(d, key);
}

static const char *spawn_type(const struct job_spec *s)
{
	switch (s->process_type) {
	case PT_BACKGROUND: return "background (5)";
	case PT_ADAPTIVE: return "adaptive (6)";
	case PT_INTERACTIVE: return "interactive (4)";
	default: return "daemon (3)";
	}
}

static xpc_object_t string_array(char **list, size_t n)
{
	xpc_object_t a = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < n; i++)
		xpc_array_set_string(a, XPC_ARRAY_APPEND, list[i]);
	return a;
}

static xpc_object_t env_dict(const struct job_spec *s)
{
	xpc_object_t d = xpc_dictionary_create_empty();
	for (size_t i = 0; i < s->nenv; i++) {
		char key[256];
		size_t k = strcspn(s->env[i], "=");
		snprintf(key, sizeof(key), "%.*s", (int)k, s->env[i]);
		xpc_dictionary_set_string(d, key, s->env[i] + k + 1);
	}
	xpc_dictionary_set_string(d, "XPC_SERVICE_NAME", s->label);
	return d;
}

static void properties(const struct job *j, char *buf, size_t len)
{
	const struct job_spec *s = j->spec;
	const char *names[8];
	size_t n = 0;
	if (s->keepalive)
		names[n++] = "keepalive";
	if (s->run_at_load)
		names[n++] = "runatload";
	if (!s->program && s->argc)
		names[n++] = "inferred program";
	if (j->domain->kind == DOMAIN_SYSTEM)
		names[n++] = "system service";
	if (s->launch_only_once)
		names[n++] = "launch only once";
	if (j->origin == ORIGIN_VENDOR)
		names[n++] = "vendor";
	if (j->origin == ORIGIN_SM)
		names[n++] = "managed by Service Management";
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " | " : "", names[i]);
}

bool describe_disabled(const struct job *j)
{
	return domain_job_disabled(j->domain, j->spec->label, j->spec->disabled);
}

static void exit_fields(xpc_object_t d, const struct job *j)
{
	if (j->rt.has_exited) {
		char text[96];
		describe_exit_status(j->rt.last_status, text, sizeof(text));
		xpc_dictionary_set_int64(d, KEY_LAST_EXIT_STATUS, j->rt.last_status);
		xpc_dictionary_set_string(d, KEY_LAST_EXIT_DESCRIPTION, text);
	} else {
		set_null(d, KEY_LAST_EXIT_STATUS);
		xpc_dictionary_set_string(d, KEY_LAST_EXIT_DESCRIPTION, "(never exited)");
	}
}

static void keepalive_fields(xpc_object_t d, const struct job_spec *s)
{
	xpc_object_t ka = xpc_dictionary_create_empty();
	if (s->ka_always)
		xpc_dictionary_set_bool(ka, KEY_ALWAYS, true);
	if (s->ka_successful_exit >= 0)
		xpc_dictionary_set_bool(ka, KEY_SUCCESSFUL_EXIT, s->ka_successful_exit);
	if (s->ka_crashed >= 0)
		xpc_dictionary_set_bool(ka, KEY_CRASHED, s->ka_crashed);
	if (s->ka_after_initial_demand)
		xpc_dictionary_set_bool(ka, KEY_AFTER_INITIAL_DEMAND, true);
	for (size_t i = 0; i < s->nka_paths; i++)
		xpc_dictionary_set_bool(ka, s->ka_paths[i].name, s->ka_paths[i].want);
	for (size_t i = 0; i < s->nka_jobs; i++)
		xpc_dictionary_set_bool(ka, s->ka_jobs[i].name, s->ka_jobs[i].want);
	if (s->ka_network >= 0)
		xpc_dictionary_set_bool(ka, "NetworkState", s->ka_network);
	set_owned(d, KEY_KEEPALIVE, ka);
}

xpc_object_t describe_service(const struct job *j)
{
	const struct job_spec *s = j->spec;
	xpc_object_t d = xpc_dictionary_create_empty();
	char buf[256];
	xpc_dictionary_set_string(d, KEY_LABEL, s->label);
	xpc_dictionary_set_string(d, KEY_DOMAIN, j->domain->name);
	set_opt_string(d, KEY_PATH, s->path);
	xpc_dictionary_set_string(d, KEY_TYPE, job_type_name(j));
	xpc_dictionary_set_string(d, KEY_STATE, fsm_state_name(&j->rt));
	if (j->pid)
		xpc_dictionary_set_int64(d, KEY_PID, j->pid);
	else
		set_null(d, KEY_PID);
	xpc_dictionary_set_int64(d, KEY_RUNS, j->rt.runs);
	if (orphans_enabled()) {
		orphans_scan(); /* reparenting tells launchd nothing: look now */
		xpc_dictionary_set_int64(d, KEY_ADOPTED, (int64_t)orphans_of(j));
	}
	exit_fields(d, j);
	set_opt_string(d, KEY_EXIT_STDERR, j->exit_stderr);
	if (j->capture) {
		set_opt_string(d, KEY_OUTPUT_FILE, capture_file(j));
		xpc_dictionary_set_uint64(d, KEY_DROPPED, capture_dropped(j));
		xpc_dictionary_set_bool(d, KEY_OUTPUT_SKIPPED, capture_run_skipped(j));
	}
	set_opt_string(d, KEY_SPAWN_FAILURE, j->spawn_failure);
	set_constraint(d, KEY_SPAWN_CONSTRAINT, "owner", &s->spawn_constraint);
	set_constraint(d, KEY_RESPONSIBLE_CONSTRAINT, "uid", &s->responsible_constraint);
	set_opt_string(d, KEY_PREVIOUS_INSTANCE, procrec_note(j->domain->name, s->label));
	if (j->rt.state == JS_SCHEDULED) {
		int64_t left = j->rt.due_ms - loop_now_ms();
		xpc_dictionary_set_double(d, KEY_NEXT_START, left > 0 ? (double)left / 1000.0 : 0.0);
	} else {
		set_null(d, KEY_NEXT_START);
	}
	xpc_dictionary_set_bool(d, KEY_DISABLED, describe_disabled(j));
	xpc_dictionary_set_string(d, KEY_PROGRAM, spec_program(s));
	char *only_program[1] = {(char *)spec_program(s)};
	if (s->argc)
		set_owned(d, KEY_ARGUMENTS, string_array(s->argv, s->argc));
	else
		set_owned(d, KEY_ARGUMENTS, string_array(only_program, 1));
	set_opt_string(d, KEY_WORKING_DIRECTORY, s->working_dir);
	set_opt_string(d, KEY_ROOT_DIRECTORY, s->root_dir);
	set_opt_string(d, KEY_STDIN_PATH, s->stdin_path);
	set_opt_string(d, KEY_STDOUT_PATH, s->stdout_path);
	set_opt_string(d, KEY_STDERR_PATH, s->stderr_path);
	set_opt_string(d, KEY_USER_NAME, s->user);
	set_opt_string(d, KEY_GROUP_NAME, s->group);
	xpc_dictionary_set_string(d, KEY_DEFAULT_PATH, SPAWN_DEFAULT_PATH);
	set_owned(d, KEY_ENVIRONMENT, env_dict(s));
	xpc_dictionary_set_int64(d, KEY_THROTTLE_INTERVAL, s->throttle_interval);
	xpc_dictionary_set_int64(d, KEY_EXIT_TIMEOUT, s->exit_timeout);
	xpc_dictionary_set_string(d, KEY_IMMEDIATE_REASON, fsm_reason_name(j->rt.reason));
	xpc_dictionary_set_string(d, KEY_SPAWN_TYPE, spawn_type(s));
	keepalive_fields(d, s);
	properties(j, buf, sizeof(buf));
	xpc_dictionary_set_string(d, KEY_PROPERTIES, buf);
	xpc_object_t eps = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < s->nservices; i++) {
		const struct endpoint *ep = &j->endpoints[i];
		xpc_object_t e = xpc_dictionary_create_empty();
		xpc_dictionary_set_string(e, KEY_NAME, ep->name);
		xpc_dictionary_set_bool(e, KEY_ACTIVE, ep->listener != NULL);
		xpc_dictionary_set_int64(e, KEY_WAITING, (int64_t)ep->npending);
		xpc_dictionary_set_int64(e, KEY_CONNECTIONS, (int64_t)ep->connections);
		xpc_array_append_value(eps, e);
		xpc_release(e);
	}
	set_owned(d, KEY_ENDPOINTS, eps);
	EACH_TRIGGER_KIND(k)
		if ((*k)->describe)
			(*k)->describe(j, d);
	set_owned(d, KEY_WARNINGS, string_array(s->warnings, s->nwarnings));
	set_owned(d, KEY_SHADOWED, string_array(j->shadowed, j->nshadowed));
	return d;
}

xpc_object_t describe_list_entry(const struct job *j)
{
	xpc_object_t d = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(d, KEY_LABEL, j->spec->label);
	if (j->pid)
		xpc_dictionary_set_int64(d, KEY_PID, j->pid);
	else
		set_null(d, KEY_PID);
	if (j->rt.has_exited)
		xpc_dictionary_set_int64(d, KEY_LAST_EXIT_STATUS, j->rt.last_status);
	else
		set_null(d, KEY_LAST_EXIT_STATUS);
	return d;
}

xpc_object_t describe_domain(const struct domain *d)
{
	xpc_object_t o = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(o, KEY_DOMAIN, d->name);
	static const char *const types[] = {[DOMAIN_SYSTEM] = "system", [DOMAIN_USER] = "user", [DOMAIN_GUI] = "gui",
		[DOMAIN_PID] = "pid"};
	xpc_dictionary_set_string(o, KEY_TYPE, types[d->kind]);
	xpc_dictionary_set_int64(o, KEY_HANDLE, d->uid);
	xpc_object_t env = xpc_dictionary_create_empty();
	for (size_t i = 0; i < d->nenv; i++) {
		size_t klen = strcspn(d->env[i], "=");
		char name[257];
		snprintf(name, sizeof(name), "%.*s", (int)klen, d->env[i]);
		xpc_dictionary_set_string(env, name, d->env[i] + klen + 1);
	}
	set_owned(o, KEY_ENVIRONMENT, env);
	xpc_object_t config = xpc_dictionary_create_empty();
	if (d->config.umask >= 0) {
		char um[8];
		snprintf(um, sizeof(um), "%04o", (unsigned)d->config.umask);
		xpc_dictionary_set_string(config, "umask", um);
	}
	if (d->config.path)
		xpc_dictionary_set_string(config, "path", d->config.path);
	set_owned(o, KEY_CONFIG, config);
	int64_t active = 0;
	xpc_object_t services = xpc_array_create(NULL, 0);
	for (const struct job *j = d->jobs; j; j = j->next) {
		if (j->pid)
			active++;
		xpc_object_t e = describe_list_entry(j);
		xpc_dictionary_set_string(e, KEY_STATE, fsm_state_name(&j->rt));
		xpc_array_append_value(services, e);
		xpc_release(e);
	}
	xpc_dictionary_set_int64(o, KEY_ACTIVE_COUNT, active);
	xpc_dictionary_set_int64(o, KEY_SERVICE_COUNT, (int64_t)d->njobs);
	set_owned(o, KEY_SERVICES, services);
	set_owned(o, KEY_DISABLED_SERVICES, describe_overrides(d));
	char hosts[96];
	xpc_dictionary_set_string(o, KEY_SESSION_TYPE, spec_session_names(d->session_types, hosts, sizeof(hosts)));
	if (g_launchd.system && (d->kind == DOMAIN_GUI || d->kind == DOMAIN_USER))
		set_owned(o, KEY_SESSIONS, sessions_describe(d->kind == DOMAIN_GUI, d->uid));
	return o;
}

xpc_object_t describe_overrides(const struct domain *d)
{
	xpc_object_t o = xpc_dictionary_create_empty();
	for (size_t i = 0; i < d->overrides.count; i++)
		xpc_dictionary_set_bool(o, d->overrides.entries[i].label, d->overrides.entries[i].disabled);
	return o;
}

void describe_blame(const struct job *j, char *buf, size_t len)
{
	switch (j->rt.state) {
	case JS_RUNNING:
	case JS_STOPPING:
		snprintf(buf, len, "%s", fsm_reason_name(j->rt.reason));
		break;
	case JS_SCHEDULED: {
		int n = snprintf(buf, len, "(not running) a %s start is scheduled after ThrottleInterval",
			fsm_reason_name(j->rt.reason));
		if (j->exit_stderr && n > 0 && (size_t)n < len)
			snprintf(buf + n, len - (size_t)n, "; the last run %s %d: %s", j->rt.last_status < 0 ?
				"was killed by signal" : "exited", j->rt.last_status < 0 ? -j->rt.last_status : j->rt.last_status,
				j->exit_stderr);
		break;
	}
	default:
		if (j->spawn_failure) {
			snprintf(buf, len, "(not running) last spawn failed: %s", j->spawn_failure);
		} else if (j->exit_stderr && j->rt.last_status < 0) {
			snprintf(buf, len, "(not running) killed by signal %d (%s): %s", -j->rt.last_status,
				signal_description(-j->rt.last_status), j->exit_stderr);
		} else if (j->exit_stderr) {
			snprintf(buf, len, "(not running) exited %d: %s", j->rt.last_status, j->exit_stderr);
		} else {
			snprintf(buf, len, "(not running)");
		}
	}
}

xpc_object_t describe_each_job(const struct domain *d, xpc_object_t (*fn)(const struct job *j))
{
	xpc_object_t all = xpc_array_create(NULL, 0);
	for (const struct job *j = d->jobs; j; j = j->next) {
		xpc_object_t o = fn(j);
		xpc_array_append_value(all, o);
		xpc_release(o);
	}
	return all;
}
