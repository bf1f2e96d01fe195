/*
 * The legacy launchctl verbs, kept for scripts being ported: load, unload,
 * start, stop, remove, list, submit. Unlike macOS, load and unload exit
 * non-zero when they fail.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launchctl.h"
#include "protocol.h"
#include "verbs.h"

/* Parses leading single-letter flags from allowed; returns the index of the first operand or -1. */
static int flags(const char *verb, int argc, char **argv, const char *allowed, bool *set)
{
	int i;
	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		for (const char *o = argv[i] + 1; *o; o++) {
			const char *at = strchr(allowed, *o);
			if (!at) {
				usage_error(verb, "unknown option");
				return -1;
			}
			set[at - allowed] = true;
		}
	}
	return i;
}

static int load_unload(const char *verb, int argc, char **argv)
{
	bool set[2] = {false, false}; /* w, F */
	bool load = strcmp(verb, "load") == 0;
	int i = flags(verb, argc, argv, load ? "wF" : "w", set);
	if (i < 0)
		return EXIT_USAGE;
	if (i >= argc)
		return usage_error(verb, "missing plist paths");
	xpc_object_t req = request_new(load ? ROUTINE_BOOTSTRAP : ROUTINE_BOOTOUT, NULL);
	xpc_object_t paths = absolute_paths(argc - i, argv + i);
	xpc_dictionary_set_value(req, KEY_PATHS, paths);
	xpc_release(paths);
	if (load) {
		xpc_dictionary_set_bool(req, KEY_ENABLE, set[0]);
		xpc_dictionary_set_bool(req, KEY_FORCE, set[1]);
	} else {
		xpc_dictionary_set_bool(req, KEY_DISABLE, set[0]);
	}
	return call(req, load ? "Load" : "Unload", NULL);
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

const struct verb legacy_verbs[] = {
	{"load", cmd_load, "[-wF] paths...", "legacy: bootstrap into the default domain (-w: enable, -F: ignore Disabled)"},
	{"unload", cmd_unload, "[-w] paths...", "legacy: bootout (-w: also disable)"},
	{"start", cmd_start, "label", "legacy: start a loaded job now"},
	{"stop", cmd_stop, "label", "legacy: stop a running job (KeepAlive jobs restart)"},
	{"remove", cmd_remove, "label", "legacy: unload a job by label"},
	{"list", cmd_list, "[--json] [label]", "list jobs: PID, last exit status, label"},
	{"submit", cmd_submit, "-l label [-p program] [-o stdout] [-e stderr] -- command [args...]",
		"run a command as a KeepAlive job without a plist"},
	{NULL, NULL, NULL, NULL},
};
