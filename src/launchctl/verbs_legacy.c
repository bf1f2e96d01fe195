/*
 * The legacy launchctl verbs, kept for scripts being ported: load, unload,
 * start, stop, remove, list, submit — with macOS's contract, exit statuses
 * and output formats (load_unload says which failures are non-zero).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "launchctl.h"
#include "paths.h"
#include "protocol.h"
#include "verbs.h"

/* -S: the domain of a session type (launchd.plist(5) LimitLoadToSessionType); NULL if Gantry has none. */
static bool session_domain(const char *session, char *domain, size_t len)
{
	if (strcasecmp(session, "System") == 0)
		snprintf(domain, len, "system");
	else if (strcasecmp(session, "Aqua") == 0)
		snprintf(domain, len, "gui/%u", (unsigned)getuid());
	else if (strcasecmp(session, "Background") == 0)
		snprintf(domain, len, "user/%u", (unsigned)getuid());
	else
		return false;
	return true;
}

/* -D: appends the job directories of that search domain (agents, or daemons for the system domain). */
static int search_dirs(const char *which, const char *domain, xpc_object_t paths)
{
	bool daemons = strcmp(domain, "system") == 0 || (strcmp(domain, "default") == 0 && default_is_system());
	struct gantry_paths p;
	char err[256], user_dir[PATH_MAX] = "";
	if (gantry_paths_init(&p, daemons, getuid(), err, sizeof(err)))
		return fprintf(stderr, "launchctl: %s\n", err), EXIT_USAGE;
	if (!daemons)
		gantry_user_agents_dir(&p, getuid(), user_dir, sizeof(user_dir));
	const char *dirs[][2] = {
		{"system", daemons ? p.vendor_daemons : p.vendor_agents},
		{"local", daemons ? p.admin_daemons : p.admin_agents},
		{"user", user_dir},
	};
	bool all = strcmp(which, "all") == 0, known = all || strcmp(which, "network") == 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!all && strcmp(which, dirs[i][0]) != 0)
			continue;
		known = true;
		if (dirs[i][1][0] && access(dirs[i][1], F_OK) == 0)
			xpc_array_set_string(paths, XPC_ARRAY_APPEND, dirs[i][1]);
	}
	if (!known)
		return usage_error("load", "-D takes system, local, network, user or all");
	if (strcmp(which, "network") == 0 || all)
		fprintf(stderr, "launchctl: -D network: Linux has no network search domain (/Network/Library); nothing loaded "
			"from it\n");
	return 0;
}

/*
 * load and unload keep macOS's contract: they exit non-zero only for improper usage (64), for what Gantry
 * cannot do at all (125: a LoginWindow or StandardIO session, which Gantry does not host), and when no
 * launchd answers (3). What happens to each job — already loaded, not loaded, a missing or invalid plist,
 * refused ownership, disabled — is printed with its cause, and the exit status is 0. bootstrap and bootout
 * report every one of those with its own code.
 */
static int load_unload(const char *verb, int argc, char **argv)
{
	bool load = strcmp(verb, "load") == 0, write = false, force = false;
	const char *session = NULL, *search = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt(argc + 1, argv - 1, load ? "+wFS:D:" : "+wS:D:")) != -1) {
		switch (opt) {
		case 'w': write = true; break;
		case 'F': force = true; break;
		case 'S': session = optarg; break;
		case 'D': search = optarg; break;
		default: return usage_error(verb, optopt == 'S' || optopt == 'D' ? "-S and -D take a value" : "unknown option");
		}
	}
	int i = optind - 1;
	if (i >= argc && !search)
		return usage_error(verb, "missing plist paths");
	struct target t = {.domain = "default"};
	if (session && !session_domain(session, t.domain, sizeof(t.domain))) {
		fprintf(stderr, "%s failed: 125: Domain does not support specified action\n-S %s: Gantry hosts the System "
			"session (system), Aqua (gui/<uid>) and Background (user/<uid>); LoginWindow and StandardIO sessions "
			"are not hosted yet\n", load ? "Load" : "Unload", session);
		return 125;
	}
	xpc_object_t req = request_new(load ? ROUTINE_BOOTSTRAP : ROUTINE_BOOTOUT, &t);
	xpc_object_t paths = absolute_paths(argc - i, argv + i);
	int r = search ? search_dirs(search, t.domain, paths) : 0;
	xpc_dictionary_set_value(req, KEY_PATHS, paths);
	xpc_release(paths);
	if (r) {
		xpc_release(req);
		return r;
	}
	if (load) {
		xpc_dictionary_set_bool(req, KEY_ENABLE, write);
		xpc_dictionary_set_bool(req, KEY_FORCE, force);
	} else {
		xpc_dictionary_set_bool(req, KEY_DISABLE, write);
	}
	xpc_object_t reply = request_send(req);
	r = reply_check(reply, load ? "Load" : "Unload");
	bool reached = strcmp(xpc_dictionary_get_string(reply, KEY_ERROR_DOMAIN) ?: "", ERROR_DOMAIN_LAUNCHCTL) != 0;
	xpc_release(reply);
	return reached ? 0 : r;
}

static int cmd_load(int argc, char **argv) { return load_unload("load", argc, argv); }
static int cmd_unload(int argc, char **argv) { return load_unload("unload", argc, argv); }

static int by_label(const char *verb, const char *what, int argc, char **argv)
{
	if (argc != 1)
		return usage_error(verb, "expected one label");
	struct target t = {.domain = "default", .has_label = true};
	snprintf(t.label, sizeof(t.label), "%s", argv[0]);
	return call(request_new(verb, &t), what, NULL);
}

static int cmd_start(int argc, char **argv) { return by_label(ROUTINE_START, "Start", argc, argv); }
static int cmd_stop(int argc, char **argv) { return by_label(ROUTINE_STOP, "Stop", argc, argv); }
static int cmd_remove(int argc, char **argv) { return by_label(ROUTINE_REMOVE, "Remove", argc, argv); }

static void list_json(xpc_object_t jobs)
{
	json_print(stdout, jobs);
}

static void list_text(xpc_object_t jobs)
{
	printf("PID\tStatus\tLabel\n");
	for (size_t i = 0; i < xpc_array_get_count(jobs); i++) {
		xpc_object_t e = xpc_array_get_value(jobs, i);
		xpc_object_t pid = xpc_dictionary_get_value(e, KEY_PID), st = xpc_dictionary_get_value(e, KEY_LAST_EXIT_STATUS);
		if (xpc_get_type(pid) == XPC_TYPE_INT64)
			printf("%" PRId64 "\t", xpc_int64_get_value(pid));
		else
			printf("-\t");
		printf("%" PRId64 "\t%s\n", xpc_get_type(st) == XPC_TYPE_INT64 ? xpc_int64_get_value(st) : 0,
			xpc_dictionary_get_string(e, KEY_LABEL));
	}
}

static int cmd_list(int argc, char **argv)
{
	bool json = want_json(&argc, argv);
	struct target t = {.domain = "default"};
	if (argc > 1)
		return usage_error("list", "expected at most one label");
	if (argc == 1) {
		t.has_label = true;
		snprintf(t.label, sizeof(t.label), "%s", argv[0]);
	}
	xpc_object_t reply;
	int r = call(request_new(ROUTINE_LIST, &t), "List", &reply);
	if (!r && t.has_label) {
		xpc_object_t s = xpc_dictionary_get_dictionary(reply, KEY_SERVICE);
		if (json)
			json_print(stdout, s);
		else
			print_legacy_job(stdout, s);
	} else if (!r) {
		xpc_object_t jobs = xpc_dictionary_get_array(reply, KEY_JOBS);
		if (json)
			list_json(jobs);
		else
			list_text(jobs);
	}
	xpc_release(reply);
	return r;
}

static int cmd_submit(int argc, char **argv)
{
	const char *label = NULL, *opt[3] = {NULL, NULL, NULL}; /* program, stdout, stderr */
	int i;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		const char *o = argv[i];
		if (i + 1 >= argc || o[0] != '-' || strlen(o) != 2 || !strchr("lpoe", o[1]))
			return usage_error("submit", "bad option");
		const char *v = argv[++i];
		switch (o[1]) {
		case 'l': label = v; break;
		case 'p': opt[0] = v; break;
		case 'o': opt[1] = v; break;
		default: opt[2] = v; break;
		}
	}
	if (!label || i >= argc)
		return usage_error("submit", "needs -l LABEL and a command after --");
	xpc_object_t req = request_new(ROUTINE_SUBMIT, NULL);
	xpc_dictionary_set_string(req, KEY_LABEL, label);
	xpc_object_t args = xpc_array_create(NULL, 0);
	for (; i < argc; i++)
		xpc_array_set_string(args, XPC_ARRAY_APPEND, argv[i]);
	xpc_dictionary_set_value(req, KEY_ARGUMENTS, args);
	xpc_release(args);
	static const char *const keys[3] = {KEY_PROGRAM, KEY_STDOUT, KEY_STDERR};
	for (int k = 0; k < 3; k++)
		if (opt[k])
			xpc_dictionary_set_string(req, keys[k], opt[k]);
	return call(req, "Submit", NULL);
}

/* setenv NAME VALUE [NAME VALUE ...]: the default domain's environment, for jobs started afterwards. */
static int cmd_setenv(int argc, char **argv)
{
	if (argc < 2 || argc % 2)
		return usage_error("setenv", "expected NAME VALUE pairs");
	xpc_object_t req = request_new(ROUTINE_SETENV, NULL), vars = xpc_dictionary_create_empty();
	for (int i = 0; i < argc; i += 2)
		xpc_dictionary_set_string(vars, argv[i], argv[i + 1]);
	xpc_dictionary_set_value(req, KEY_ENVIRONMENT, vars);
	xpc_release(vars);
	return call(req, "Setenv", NULL);
}

static int by_name(const char *routine, const char *what, int argc, char **argv, xpc_object_t *reply)
{
	if (argc != 1)
		return usage_error(routine, "expected one variable name");
	xpc_object_t req = request_new(routine, NULL);
	xpc_dictionary_set_string(req, KEY_NAME, argv[0]);
	return call(req, what, reply);
}

static int cmd_unsetenv(int argc, char **argv)
{
	return by_name(ROUTINE_UNSETENV, "Unsetenv", argc, argv, NULL);
}

/* Prints the value, or nothing if the domain does not set the variable (as macOS). */
static int cmd_getenv(int argc, char **argv)
{
	xpc_object_t reply = NULL;
	int r = by_name(ROUTINE_GETENV, "Getenv", argc, argv, &reply);
	if (!r && xpc_dictionary_get_string(reply, KEY_VALUE))
		printf("%s\n", xpc_dictionary_get_string(reply, KEY_VALUE));
	if (reply)
		xpc_release(reply);
	return r;
}

/* A limit value: a number or "unlimited" (-1 on the wire). */
static bool limit_value(const char *text, int64_t *out)
{
	char *end;
	if (strcmp(text, "unlimited") == 0) {
		*out = -1;
		return true;
	}
	unsigned long long v = strtoull(text, &end, 10);
	*out = (int64_t)v;
	return *text && !*end && v < (unsigned long long)INT64_MAX;
}

static void print_limit_value(int64_t v)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, v);
	printf("%-15s", v < 0 ? "unlimited" : text);
}

/* limit [NAME [SOFT [HARD]]]: the limits jobs start with, as macOS prints them; with values, sets one. */
static int cmd_limit(int argc, char **argv)
{
	int64_t soft = 0, hard = 0;
	if (argc > 3 || (argc >= 2 && !limit_value(argv[1], &soft)) || (argc == 3 && !limit_value(argv[2], &hard)))
		return usage_error("limit", "expected NAME [SOFT [HARD]], each a number or unlimited");
	xpc_object_t req = request_new(ROUTINE_LIMIT, NULL), reply;
	if (argc >= 1)
		xpc_dictionary_set_string(req, KEY_NAME, argv[0]);
	if (argc >= 2) {
		xpc_dictionary_set_int64(req, KEY_SOFT, soft);
		xpc_dictionary_set_int64(req, KEY_HARD, argc == 3 ? hard : soft);
	}
	int r = call(req, "Limit", &reply);
	xpc_object_t all = xpc_dictionary_get_array(reply, KEY_LIMITS);
	for (size_t i = 0; !r && argc < 2 && i < xpc_array_get_count(all); i++) {
		xpc_object_t e = xpc_array_get_value(all, i);
		printf("\t%-12s", xpc_dictionary_get_string(e, KEY_NAME));
		print_limit_value(xpc_dictionary_get_int64(e, KEY_SOFT));
		print_limit_value(xpc_dictionary_get_int64(e, KEY_HARD));
		printf("\n");
	}
	xpc_release(reply);
	return r;
}

/* config system|user umask|path VALUE: kept across restarts; for jobs started afterwards (no reboot needed). */
static int cmd_config(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[0], "system") != 0 && strcmp(argv[0], "user") != 0))
		return usage_error("config", "expected system or user, then umask or path, then a value");
	struct target t = {.domain = "system"};
	if (strcmp(argv[0], "user") == 0) /* the caller's domains, at the launchd that hosts them */
		snprintf(t.domain, sizeof(t.domain), "gui/%u", (unsigned)getuid());
	xpc_object_t req = request_new(ROUTINE_CONFIG, &t);
	xpc_dictionary_set_string(req, KEY_NAME, argv[1]);
	xpc_dictionary_set_string(req, KEY_VALUE, argv[2]);
	return call(req, "Config", NULL);
}

const struct verb legacy_verbs[] = {
	{"load", cmd_load, "[-wF] [-S session] [-D system|local|network|user|all] paths...",
		"legacy: bootstrap (-w: enable, -F: ignore Disabled, -S: Aqua, Background, System); exit 0 unless misused"},
	{"unload", cmd_unload, "[-w] [-S session] [-D system|local|network|user|all] paths...",
		"legacy: bootout (-w: also disable); exit 0 unless misused"},
	{"start", cmd_start, "label", "legacy: start a loaded job now"},
	{"stop", cmd_stop, "label", "legacy: stop a running job (KeepAlive jobs restart)"},
	{"remove", cmd_remove, "label", "legacy: unload a job by label"},
	{"list", cmd_list, "[--json] [label]", "list jobs: PID, last exit status, label"},
	{"submit", cmd_submit, "-l label [-p program] [-o stdout] [-e stderr] -- command [args...]",
		"run a command as a KeepAlive job without a plist"},
	{"setenv", cmd_setenv, "name value [name value ...]", "set variables for jobs started afterwards in the domain"},
	{"unsetenv", cmd_unsetenv, "name", "remove a variable set with setenv"},
	{"getenv", cmd_getenv, "name", "print a variable set with setenv (nothing if unset)"},
	{"config", cmd_config, "system|user umask|path value",
		"persistent umask or PATH for the domain's jobs started afterwards (no reboot needed)"},
	{"limit", cmd_limit, "[cpu|filesize|data|stack|core|rss|memlock|maxproc|maxfiles [soft [hard]]]",
		"show, or set for jobs started afterwards, the resource limits jobs start with"},
	{NULL, NULL, NULL, NULL},
};
