/*
 * The launchd.plist(5) key table: one handler per key that Gantry acts on,
 * and for each key it recognises but ignores, the reason it says so.
 * Keys match case-insensitively, as in launchd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "errors.h"
#include "plistio.h"
#include "spec_parse.h"
#include "oom.h"


static void key_label(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->label); }
static void key_program(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->program); }
static void key_bundle_program(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->bundle_program); }
static void key_user(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->user); }
static void key_group(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->group); }
static void key_workdir(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->working_dir); }
static void key_stdin(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->stdin_path); }
static void key_stdout(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->stdout_path); }
static void key_stderr(struct parse *p, const char *k, plist_t v) { want_string(p, k, v, &p->s->stderr_path); }
static void key_disabled(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->disabled); }
static void key_globbing(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->globbing); }
static void key_initgroups(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->init_groups); }
static void key_run_at_load(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->run_at_load); }
static void key_abandon(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->abandon_pgroup); }
static void key_outlives(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->outlives_logout); }
static void key_once(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->launch_only_once); }
static void key_lowprio_io(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->low_priority_io); }
static void key_debug(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->debug); }
static void key_on_mount(struct parse *p, const char *k, plist_t v) { want_bool(p, k, v, &p->s->start_on_mount); }

static void key_root_dir(struct parse *p, const char *k, plist_t v)
{
	if (want_string(p, k, v, &p->s->root_dir))
		parse_warn(p, k, "discouraged: the job runs chroot()ed and must carry every library it needs");
}

static void key_arguments(struct parse *p, const char *k, plist_t v)
{
	want_string_array(p, k, v, &p->s->argv, &p->s->argc);
}

static void env_entry(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[512], *val = NULL;
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	if (plist_get_node_type(v) != PLIST_STRING) {
		parse_warn(p, path, "expected string, found %s; ignored, as launchd does", plist_type_name(v));
		return;
	}
	if (!*key || strchr(key, '=')) {
		parse_error(p, LE_INVALID_PLIST, path, "an environment variable name must be non-empty and contain no '='");
		return;
	}
	if (!want_string(p, path, v, &val))
		return; /* the error is recorded */
	char *kv;
	if (asprintf(&kv, "%s=%s", key, val) < 0)
		gantry_oom();
	free(val);
	struct job_spec *s = p->s;
	s->env = realloc(s->env, (s->nenv + 2) * sizeof(*s->env));
	if (!s->env)
		gantry_oom();
	s->env[s->nenv++] = kv;
	s->env[s->nenv] = NULL;
}

static void key_environment(struct parse *p, const char *k, plist_t v)
{
	if (want_dict(p, k, v))
		each_entry(p, v, k, env_entry);
}

static void key_umask(struct parse *p, const char *k, plist_t v)
{
	int64_t m;
	if (plist_get_node_type(v) == PLIST_STRING) {
		char *s = NULL, *end;
		if (!want_string(p, k, v, &s))
			return; /* the error is recorded (e.g. a NUL inside the string) */
		errno = 0;
		unsigned long u = strtoul(s, &end, 8);
		if (!*s || *end || errno || u > 0777)
			parse_error(p, LE_INVALID_PLIST, k, "expected an octal string from \"000\" to \"777\", found \"%s\"", s);
		else
			p->s->umask = (int)u;
		free(s);
	} else if (plist_get_node_type(v) == PLIST_UINT) {
		if (want_int(p, k, v, 0, 0777, &m))
			p->s->umask = (int)m;
	} else {
		parse_error(p, LE_INVALID_PLIST, k, "expected integer (decimal, e.g. 18 for 022) or octal string, found %s",
			plist_type_name(v));
	}
}

static void key_throttle(struct parse *p, const char *k, plist_t v)
{
	int64_t n;
	if (want_int(p, k, v, 0, 86400, &n))
		p->s->throttle_interval = (int)n;
}

static void key_exit_timeout(struct parse *p, const char *k, plist_t v)
{
	int64_t n;
	if (!want_int(p, k, v, 0, 86400, &n))
		return;
	p->s->exit_timeout = (int)n;
	if (n == 0)
		parse_warn(p, k, "0 means wait forever after SIGTERM; a hung job then blocks bootout and shutdown");
}

static void key_nice(struct parse *p, const char *k, plist_t v)
{
	int64_t n;
	if (want_int(p, k, v, -20, 19, &n)) {
		p->s->nice = (int)n;
		p->s->nice_set = true;
	}
}

static void key_process_type(struct parse *p, const char *k, plist_t v)
{
	char *s = NULL;
	if (!want_string(p, k, v, &s))
		return;
	static const struct {
		const char *name;
		enum process_type t;
	} types[] = {{"Standard", PT_STANDARD}, {"Background", PT_BACKGROUND}, {"Adaptive", PT_ADAPTIVE},
		{"Interactive", PT_INTERACTIVE}, {"App", PT_INTERACTIVE}};
	size_t i;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0]))
		parse_error(p, LE_INVALID_PLIST, k,
			"expected one of Standard, Background, Adaptive, Interactive, found \"%s\"", s);
	else
		p->s->process_type = types[i].t;
	free(s);
}

static void limit_entry(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[256];
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	bool hard = strcmp(parent, "HardResourceLimits") == 0;
	for (int r = 0; r < RL_COUNT; r++) {
		if (strcasecmp(key, spec_rlimit_key((enum spec_rlimit)r)) != 0)
			continue;
		int64_t n;
		if (want_int(p, path, v, 0, INT64_MAX, &n)) {
			struct spec_limit *l = hard ? &p->s->hard[r] : &p->s->soft[r];
			l->set = true;
			l->value = (uint64_t)n;
		}
		return;
	}
	parse_warn(p, path, "unknown resource limit, ignored (known: Core, CPU, Data, FileSize, MemoryLock, "
		"NumberOfFiles, NumberOfProcesses, ResidentSetSize, Stack)");
}

static void rotation_entry(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[256];
	int64_t n;
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	if (strcmp(key, "MaxBytes") == 0 && want_int(p, path, v, 4096, INT64_MAX, &n))
		p->s->rotate_max_bytes = n;
	else if (strcmp(key, "Keep") == 0 && want_int(p, path, v, 1, 100, &n))
		p->s->rotate_keep = (int)n;
	else if (strcmp(key, "MaxBytes") != 0 && strcmp(key, "Keep") != 0)
		parse_warn(p, path, "unknown key, ignored (known: MaxBytes, Keep)");
}

/* GantryOutputRotation = {MaxBytes = N; Keep = K;}: a size cap on StandardOutPath/StandardErrorPath. */
static void key_rotation(struct parse *p, const char *k, plist_t v)
{
	if (!want_dict(p, k, v))
		return;
	each_entry(p, v, k, rotation_entry);
	if (!p->s->rotate_max_bytes)
		parse_warn(p, k, "without MaxBytes nothing is rotated");
	if (!p->s->rotate_keep)
		p->s->rotate_keep = 1;
}

static void key_limits(struct parse *p, const char *k, plist_t v)
{
	if (want_dict(p, k, v))
		each_entry(p, v, k, limit_entry);
}

static void cond_entry(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[512];
	bool want;
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	if (!want_bool(p, path, v, &want))
		return;
	bool paths = strstr(parent, "PathState") != NULL;
	struct spec_cond **list = paths ? &p->s->ka_paths : &p->s->ka_jobs;
	size_t *n = paths ? &p->s->nka_paths : &p->s->nka_jobs;
	if (paths && key[0] != '/') {
		parse_error(p, LE_INVALID_PLIST, path, "PathState keys must be absolute paths");
		return;
	}
	*list = realloc(*list, (*n + 1) * sizeof(**list));
	if (!*list)
		gantry_oom();
	(*list)[*n].name = strdup(key);
	(*list)[*n].want = want;
	(*n)++;
}

static void keepalive_entry(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[256];
	bool b;
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	struct job_spec *s = p->s;
	if (strcasecmp(key, "SuccessfulExit") == 0) {
		if (want_bool(p, path, v, &b))
			s->ka_successful_exit = b;
	} else if (strcasecmp(key, "Crashed") == 0) {
		if (want_bool(p, path, v, &b))
			s->ka_crashed = b;
		if (s->ka_crashed == 0)
			parse_warn(p, path, "false restarts the job after every exit that is not a crash, clean exits included");
	} else if (strcasecmp(key, "AfterInitialDemand") == 0) {
		want_bool(p, path, v, &s->ka_after_initial_demand);
	} else if (strcasecmp(key, "PathState") == 0 || strcasecmp(key, "OtherJobEnabled") == 0) {
		snprintf(path, sizeof(path), "%s.%s", parent,
			strcasecmp(key, "PathState") == 0 ? "PathState" : "OtherJobEnabled");
		if (want_dict(p, path, v))
			each_entry(p, v, path, cond_entry);
	} else if (strcasecmp(key, "NetworkState") == 0) {
		bool b;
		if (want_bool(p, path, v, &b))
			s->ka_network = b;
	} else if (strcasecmp(key, "OtherJobActive") == 0 || strcasecmp(key, "HomeRelativePathState") == 0) {
		parse_warn(p, path, "private launchd key, not supported by Gantry; ignored");
	} else {
		parse_warn(p, path, "unknown KeepAlive condition, ignored (known: SuccessfulExit, Crashed, PathState, "
			"OtherJobEnabled, NetworkState, AfterInitialDemand)");
	}
}

static void key_keepalive(struct parse *p, const char *k, plist_t v)
{
	struct job_spec *s = p->s;
	if (plist_get_node_type(v) == PLIST_BOOLEAN) {
		want_bool(p, k, v, &s->ka_always);
		s->keepalive = s->ka_always;
	} else if (plist_get_node_type(v) == PLIST_DICT) {
		s->keepalive = true;
		each_entry(p, v, k, keepalive_entry);
	} else {
		parse_error(p, LE_INVALID_PLIST, k, "expected boolean or dictionary, found %s", plist_type_name(v));
	}
}

static void key_on_demand(struct parse *p, const char *k, plist_t v)
{
	bool b;
	if (!want_bool(p, k, v, &b))
		return;
	if (b) {
		parse_warn(p, k, "deprecated since Mac OS X 10.5; true does nothing");
	} else {
		parse_warn(p, k, "deprecated since Mac OS X 10.5; false is treated as KeepAlive = true");
		p->s->keepalive = p->s->ka_always = true;
	}
}

static const char *const session_names[] = {"Aqua", "Background", "System", "LoginWindow", "StandardIO"};

const char *spec_session_name(unsigned type)
{
	for (size_t i = 0; i < sizeof(session_names) / sizeof(*session_names); i++)
		if (type == 1u << i)
			return session_names[i];
	return "unknown";
}

const char *spec_session_names(unsigned types, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(session_names) / sizeof(*session_names) && at < len; i++)
		if (types & (1u << i))
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", session_names[i]);
	if (!buf[0])
		snprintf(buf, len, "no session");
	return buf;
}

unsigned spec_session_named(const char *s)
{
	for (size_t i = 0; i < sizeof(session_names) / sizeof(*session_names); i++)
		if (strcasecmp(s, session_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* A string or an array of them: the job loads into every session type it names, as launchd does. */
static void key_session_type(struct parse *p, const char *k, plist_t v)
{
	char **names = NULL;
	size_t n = 0;
	if (plist_get_node_type(v) == PLIST_ARRAY) {
		if (!want_string_array(p, k, v, &names, &n))
			return;
	} else {
		names = calloc(2, sizeof(*names));
		if (!names)
			gantry_oom();
		if (!want_string(p, k, v, &names[0])) {
			free(names);
			return;
		}
		n = 1;
	}
	p->s->sessions = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned t = spec_session_named(names[i]);
		if (!t)
			parse_warn(p, k, "session type \"%s\" does not exist (Aqua, Background, LoginWindow, StandardIO, "
				"System)", names[i]);
		p->s->sessions |= t;
	}
	if (n && !p->s->sessions)
		p->s->sessions = SESSION_UNKNOWN;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A string or an array of strings: the apps a legacy job belongs to (shown by `launchctl background list`). */
static void key_bundle_ids(struct parse *p, const char *k, plist_t v)
{
	char *one = NULL;
	if (plist_get_node_type(v) == PLIST_STRING) {
		if (want_string(p, k, v, &one)) {
			p->s->associated_ids = calloc(2, sizeof(char *));
			if (!p->s->associated_ids)
				gantry_oom();
			p->s->associated_ids[0] = one;
			p->s->nassociated_ids = 1;
		}
	} else {
		want_string_array(p, k, v, &p->s->associated_ids, &p->s->nassociated_ids);
	}
}

static void key_start_interval(struct parse *p, const char *k, plist_t v)
{
	int64_t n;
	if (want_int(p, k, v, 1, INT32_MAX, &n))
		p->s->start_interval = (int)n;
}

static const struct {
	const char *name;
	int min, max;
	size_t offset;
} calendar_fields[] = {
	{"Minute", 0, 59, offsetof(struct cal_entry, minute)}, {"Hour", 0, 23, offsetof(struct cal_entry, hour)},
	{"Day", 1, 31, offsetof(struct cal_entry, day)}, {"Weekday", 0, 7, offsetof(struct cal_entry, weekday)},
	{"Month", 1, 12, offsetof(struct cal_entry, month)},
};

static void calendar_field(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[256];
	int64_t n;
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	struct cal_entry *e = &p->s->calendar[p->s->ncalendar - 1]; /* the entry being read */
	for (size_t i = 0; i < sizeof(calendar_fields) / sizeof(calendar_fields[0]); i++)
		if (strcasecmp(key, calendar_fields[i].name) == 0) {
			if (want_int(p, path, v, calendar_fields[i].min, calendar_fields[i].max, &n))
				*(int *)((char *)e + calendar_fields[i].offset) = (int)(n == 7 && i == 3 ? 0 : n); /* 7: Sunday */
			return;
		}
	parse_error(p, LE_INVALID_PLIST, path, "unknown calendar field (known: Minute, Hour, Day, Weekday, Month)");
}

/* Reads one calendar dictionary into a new entry whose missing fields are wildcards. */
static void calendar_entry(struct parse *p, plist_t dict, const char *path)
{
	struct job_spec *s = p->s;
	s->calendar = realloc(s->calendar, (s->ncalendar + 1) * sizeof(*s->calendar));
	if (!s->calendar)
		gantry_oom();
	s->calendar[s->ncalendar++] = (struct cal_entry){CAL_ANY, CAL_ANY, CAL_ANY, CAL_ANY, CAL_ANY};
	each_entry(p, dict, path, calendar_field);
}

static void key_calendar(struct parse *p, const char *k, plist_t v)
{
	char path[128];
	if (plist_get_node_type(v) == PLIST_DICT) {
		calendar_entry(p, v, k);
	} else if (plist_get_node_type(v) == PLIST_ARRAY) {
		uint32_t n;
		plist_t *items = gantry_plist_array_items(v, &n);
		for (uint32_t i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s[%u]", k, i);
			if (want_dict(p, path, items[i]))
				calendar_entry(p, items[i], path);
		}
		free(items);
	} else {
		parse_error(p, LE_INVALID_PLIST, k, "expected dictionary or array of dictionaries, found %s",
			plist_type_name(v));
		return;
	}
	p->s->has_calendar = p->s->ncalendar > 0;
}

static void key_path_list(struct parse *p, const char *k, plist_t v)
{
	char **list = NULL, path[64];
	size_t n = 0;
	if (!want_string_array(p, k, v, &list, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (list[i][0] != '/') {
			snprintf(path, sizeof(path), "%s[%zu]", k, i);
			parse_error(p, LE_INVALID_PLIST, path, "\"%s\" must be an absolute path", list[i]);
		}
	bool watch = strcasecmp(k, "WatchPaths") == 0;
	p->s->has_watch_paths |= watch;
	p->s->has_queue_dirs |= !watch;
	char ***dst = watch ? &p->s->watch_paths : &p->s->queue_dirs;
	size_t *count = watch ? &p->s->nwatch_paths : &p->s->nqueue_dirs;
	*dst = list;
	*count = n;
}


static void service_entry(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[512];
	struct spec_service sv = {0};
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	if (!*key || strlen(key) > 255 || strchr(key, '/')) {
		parse_error(p, LE_INVALID_PLIST, path, "a service name must be 1-255 characters without '/'");
		return;
	}
	if (plist_get_node_type(v) == PLIST_BOOLEAN) {
		bool on;
		want_bool(p, path, v, &on);
		if (!on) {
			parse_warn(p, path, "false advertises nothing; the entry is ignored");
			return;
		}
	} else if (plist_get_node_type(v) == PLIST_DICT) {
		plist_t r = plist_dict_get_item(v, "ResetAtClose"), h = plist_dict_get_item(v, "HideUntilCheckIn");
		char sub[600];
		snprintf(sub, sizeof(sub), "%s.ResetAtClose", path);
		if (r && !want_bool(p, sub, r, &sv.reset_at_close))
			return;
		snprintf(sub, sizeof(sub), "%s.HideUntilCheckIn", path);
		if (h && !want_bool(p, sub, h, &sv.hide_until_checkin))
			return;
	} else {
		parse_error(p, LE_INVALID_PLIST, path, "expected true or a dictionary, found %s", plist_type_name(v));
		return;
	}
	struct job_spec *s = p->s;
	s->services = realloc(s->services, (s->nservices + 1) * sizeof(*s->services));
	if (!s->services)
		gantry_oom();
	sv.name = strdup(key);
	s->services[s->nservices++] = sv;
}

static void key_mach_services(struct parse *p, const char *k, plist_t v)
{
	if (want_dict(p, k, v))
		each_entry(p, v, k, service_entry);
}


#define DARWIN_ONLY(what) what " has no Linux equivalent; ignored"
#define NO_OP(why) why "; ignored"

const struct key_def spec_keys[] = {
	{"Label", key_label, NULL},
	{"Disabled", key_disabled, NULL},
	{"Program", key_program, NULL},
	{"ProgramArguments", key_arguments, NULL},
	{"BundleProgram", key_bundle_program, NULL},
	{"EnableGlobbing", key_globbing, NULL},
	{"UserName", key_user, NULL},
	{"GroupName", key_group, NULL},
	{"InitGroups", key_initgroups, NULL},
	{"RootDirectory", key_root_dir, NULL},
	{"WorkingDirectory", key_workdir, NULL},
	{"EnvironmentVariables", key_environment, NULL},
	{"Umask", key_umask, NULL},
	{"StandardInPath", key_stdin, NULL},
	{"StandardOutPath", key_stdout, NULL},
	{"StandardErrorPath", key_stderr, NULL},
	{"RunAtLoad", key_run_at_load, NULL},
	{"KeepAlive", key_keepalive, NULL},
	{"OnDemand", key_on_demand, NULL},
	{"ThrottleInterval", key_throttle, NULL},
	{"ExitTimeOut", key_exit_timeout, NULL},
	{"GantryOutputRotation", key_rotation, NULL},
	{"GantryOutlivesLogout", key_outlives, NULL},
	{"AbandonProcessGroup", key_abandon, NULL},
	{"LaunchOnlyOnce", key_once, NULL},
	{"Nice", key_nice, NULL},
	{"SoftResourceLimits", key_limits, NULL},
	{"HardResourceLimits", key_limits, NULL},
	{"ProcessType", key_process_type, NULL},
	{"LowPriorityIO", key_lowprio_io, NULL},
	{"Debug", key_debug, NULL},
	{"LimitLoadToSessionType", key_session_type, NULL},
	{"AssociatedBundleIdentifiers", key_bundle_ids, NULL},
	{"StartInterval", key_start_interval, NULL},
	{"StartCalendarInterval", key_calendar, NULL},
	{"WatchPaths", key_path_list, NULL},
	{"QueueDirectories", key_path_list, NULL},
	{"StartOnMount", key_on_mount, NULL},
	{"Sockets", key_sockets, NULL},
	{"MachServices", key_mach_services, NULL},
	{"inetdCompatibility", key_inetd, NULL},
	{"SpawnConstraint", key_constraint, NULL},
	{"ResponsibleProcessConstraint", key_constraint, NULL},
	{"TimeOut", NULL, NO_OP("never did anything and is no longer implemented by launchd")},
	{"ServiceIPC", NULL, NO_OP("a Mac OS X 10.4 key that launchd no longer reads")},
	{"HopefullyExitsFirst", NULL, NO_OP("shutdown-ordering hint no longer implemented by launchd")},
	{"HopefullyExitsLast", NULL, NO_OP("shutdown-ordering hint no longer implemented by launchd")},
	{"LimitLoadToHosts", NULL, NO_OP("no longer supported by launchd")},
	{"LimitLoadFromHosts", NULL, NO_OP("no longer supported by launchd")},
	{"LimitLoadToHardware", NULL, DARWIN_ONLY("hw.* sysctl matching")},
	{"LimitLoadFromHardware", NULL, DARWIN_ONLY("hw.* sysctl matching")},
	{"SessionCreate", NULL, DARWIN_ONLY("the audit session")},
	{"EnableTransactions", NULL, DARWIN_ONLY("xpc_transaction tracking")},
	{"EnablePressuredExit", NULL, DARWIN_ONLY("memory-pressure exit")},
	{"MaterializeDatalessFiles", NULL, DARWIN_ONLY("the dataless-file I/O policy")},
	{"LegacyTimers", NULL, DARWIN_ONLY("timer coalescing")},
	{"LowPriorityBackgroundIO", NULL, DARWIN_ONLY("Darwin-background I/O throttling")},
	{"WaitForDebugger", NULL, DARWIN_ONLY("start-suspended for a debugger")},
	{"LaunchEvents", NULL, DARWIN_ONLY("the LaunchEvents streams (IOKit, FSEvents, notifyd)")},
	{"UserEnvironmentVariables", NULL, NO_OP("private launchd key, not supported by Gantry")},
	{"MachServiceLookupPolicies", NULL, NO_OP("private launchd key, not supported by Gantry")},
	{"IgnoreProcessGroupAtShutdown", NULL, NO_OP("private launchd key, not supported by Gantry")},
	{"Policies", NULL, NO_OP("private launchd key, not supported by Gantry")},
	{"PublishesEvents", NULL, NO_OP("private launchd key, not supported by Gantry")},
	{"JoinGUISession", NULL, NO_OP("private launchd key, not supported by Gantry")},
	{"POSIXSpawnType", NULL, NO_OP("private launchd key, not supported by Gantry (use ProcessType)")},
	{"JetsamProperties", NULL, DARWIN_ONLY("jetsam")},
	{"SandboxProfile", NULL, DARWIN_ONLY("the Seatbelt sandbox")},
	{"Bonjour", NULL, DARWIN_ONLY("Bonjour registration")},
	{NULL, NULL, NULL},
};

static const struct {
	const char *key;
	int resource;
} rlimits[RL_COUNT] = {
	[RL_CORE] = {"Core", RLIMIT_CORE},
	[RL_CPU] = {"CPU", RLIMIT_CPU},
	[RL_DATA] = {"Data", RLIMIT_DATA},
	[RL_FSIZE] = {"FileSize", RLIMIT_FSIZE},
	[RL_MEMLOCK] = {"MemoryLock", RLIMIT_MEMLOCK},
	[RL_NOFILE] = {"NumberOfFiles", RLIMIT_NOFILE},
	[RL_NPROC] = {"NumberOfProcesses", RLIMIT_NPROC},
	[RL_RSS] = {"ResidentSetSize", RLIMIT_RSS},
	[RL_STACK] = {"Stack", RLIMIT_STACK},
};

const char *spec_rlimit_key(enum spec_rlimit r) { return rlimits[r].key; }
int spec_rlimit_resource(enum spec_rlimit r) { return rlimits[r].resource; }
