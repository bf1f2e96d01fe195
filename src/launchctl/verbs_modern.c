/*
 * The modern launchctl verbs: bootstrap, bootout, enable, disable,
 * kickstart, kill, print, print-disabled, blame.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "errors.h"
#include "launchctl.h"
#include "protocol.h"
#include "verbs.h"

static int domain_and_paths(const char *verb, int argc, char **argv, const char *what)
{
	struct target t;
	if (argc < 1)
		return usage_error(verb, "missing domain target");
	if (!target_parse(argv[0], &t)) {
		fprintf(stderr, "Unrecognized domain target \"%s\"\n", argv[0]);
		return LE_NO_DOMAIN;
	}
	xpc_object_t req = request_new(verb, &t);
	if (t.has_label) {
		if (argc > 1)
			return usage_error(verb, "a service target takes no paths");
	} else {
		if (argc < 2)
			return usage_error(verb, "missing plist paths");
		xpc_object_t paths = absolute_paths(argc - 1, argv + 1);
		xpc_dictionary_set_value(req, KEY_PATHS, paths);
		xpc_release(paths);
	}
	return call(req, what, NULL);
}

static int cmd_bootstrap(int argc, char **argv)
{
	return domain_and_paths(ROUTINE_BOOTSTRAP, argc, argv, "Bootstrap");
}

static int cmd_bootout(int argc, char **argv)
{
	return domain_and_paths(ROUTINE_BOOTOUT, argc, argv, "Boot-out");
}

static int override(const char *verb, int argc, char **argv)
{
	struct target t;
	if (argc != 1)
		return usage_error(verb, "expected exactly one service target");
	int r = parse_service(verb, argv[0], &t);
	return r ? r : call(request_new(verb, &t), verb[0] == 'e' ? "Enable" : "Disable", NULL);
}

static int cmd_enable(int argc, char **argv) { return override(ROUTINE_ENABLE, argc, argv); }
static int cmd_disable(int argc, char **argv) { return override(ROUTINE_DISABLE, argc, argv); }

static int cmd_kickstart(int argc, char **argv)
{
	bool kill_first = false, print_pid = false;
	int i;
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'k')
				kill_first = true;
			else if (*o == 'p')
				print_pid = true;
			else
				return usage_error("kickstart", "unknown option");
		}
	}
	struct target t;
	if (argc - i != 1)
		return usage_error("kickstart", "expected one service target");
	int r = parse_service("kickstart", argv[i], &t);
	if (r)
		return r;
	xpc_object_t req = request_new(ROUTINE_KICKSTART, &t), reply;
	xpc_dictionary_set_bool(req, KEY_KILL, kill_first);
	r = call(req, "Kickstart", &reply);
	if (!r && print_pid)
		printf(isatty(STDOUT_FILENO) ? "service spawned with pid: %" PRId64 "\n" : "%" PRId64 "\n",
			xpc_dictionary_get_int64(reply, KEY_PID));
	xpc_release(reply);
	return r;
}

static int cmd_kill(int argc, char **argv)
{
	struct target t;
	if (argc != 2)
		return usage_error("kill", "expected a signal and a service target");
	int sig = parse_signal(argv[0]);
	if (sig < 0) {
		fprintf(stderr, "Unrecognized signal \"%s\" (use a name such as TERM or SIGKILL, or a number)\n", argv[0]);
		return EINVAL;
	}
	int r = parse_service("kill", argv[1], &t);
	if (r)
		return r;
	xpc_object_t req = request_new(ROUTINE_KILL, &t);
	xpc_dictionary_set_int64(req, KEY_SIGNAL, sig);
	return call(req, "Kill", NULL);
}

static int cmd_print(int argc, char **argv)
{
	bool json = want_json(&argc, argv);
	struct target t;
	if (argc != 1)
		return usage_error("print", "expected one domain or service target");
	if (!target_parse(argv[0], &t)) {
		fprintf(stderr, "Unrecognized target specifier \"%s\"\n", argv[0]);
		return LE_NO_DOMAIN;
	}
	xpc_object_t reply;
	int r = call(request_new(ROUTINE_PRINT, &t), "Print", &reply);
	if (!r) {
		xpc_object_t o = t.has_label ? xpc_dictionary_get_dictionary(reply, KEY_SERVICE)
					     : xpc_dictionary_get_dictionary(reply, KEY_DOMAIN_INFO);
		if (json)
			json_print(stdout, o);
		else if (t.has_label)
			print_service(stdout, o);
		else
			print_domain(stdout, o);
	}
	xpc_release(reply);
	return r;
}

static bool print_disabled_entry(void *ctx, const char *key, xpc_object_t v)
{
	(void)ctx;
	printf("\t\"%s\" => %s\n", key, xpc_bool_get_value(v) ? "disabled" : "enabled");
	return true;
}

static int cmd_print_disabled(int argc, char **argv)
{
	bool json = want_json(&argc, argv);
	struct target t;
	if (argc != 1 || !target_parse(argv[0], &t) || t.has_label)
		return usage_error("print-disabled", "expected one domain target");
	xpc_object_t reply;
	int r = call(request_new(ROUTINE_PRINT_DISABLED, &t), "Print-disabled", &reply);
	if (!r) {
		xpc_object_t d = xpc_dictionary_get_dictionary(reply, KEY_DISABLED);
		if (json) {
			json_print(stdout, d);
		} else {
			printf("disabled services = {\n");
			xpc_dictionary_apply_f(d, NULL, print_disabled_entry);
			printf("}\n");
		}
	}
	xpc_release(reply);
	return r;
}

static int cmd_blame(int argc, char **argv)
{
	bool json = want_json(&argc, argv);
	struct target t;
	if (argc != 1)
		return usage_error("blame", "expected one service target");
	int r = parse_service("blame", argv[0], &t);
	if (r)
		return r;
	xpc_object_t reply;
	r = call(request_new(ROUTINE_BLAME, &t), "Blame", &reply);
	if (!r && json) {
		xpc_object_t o = xpc_dictionary_create_empty();
		xpc_dictionary_set_string(o, KEY_LABEL, t.label);
		xpc_dictionary_set_string(o, KEY_DOMAIN, t.domain);
		xpc_dictionary_set_string(o, KEY_REASON, xpc_dictionary_get_string(reply, KEY_REASON));
		json_print(stdout, o);
		xpc_release(o);
	} else if (!r) {
		printf("%s\n", xpc_dictionary_get_string(reply, KEY_REASON));
	}
	xpc_release(reply);
	return r;
}

/* debug's flags that only mean something on macOS (malloc debugging, Objective-C, 32-bit). */
static bool macos_debug_flag(const char *flag)
{
	static const char *const flags[] = {"--guard-malloc", "--malloc-stack-logging", "--debug-libraries",
		"--introspection-libraries", "--NSZombie", "--32", "--malloc-nano-allocator", NULL};
	for (const char *const *f = flags; *f; f++)
		if (strcmp(*f, flag) == 0)
			return true;
	return false;
}

/* debug SERVICE [--program P] [--stdout P] [--stderr P] [--environment K=V]... [-- ARGV...]: the next instance only. */
static int cmd_debug(int argc, char **argv)
{
	struct target t;
	if (argc < 1)
		return usage_error("debug", "expected a service target");
	int r = parse_service("debug", argv[0], &t);
	if (r)
		return r;
	xpc_object_t req = request_new(ROUTINE_DEBUG, &t), env = xpc_dictionary_create_empty();
	int i;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *key = strcmp(argv[i], "--program") == 0 ? KEY_PROGRAM : strcmp(argv[i], "--stdout") == 0 ?
			KEY_STDOUT : strcmp(argv[i], "--stderr") == 0 ? KEY_STDERR : NULL;
		char *eq = i + 1 < argc ? strchr(argv[i + 1], '=') : NULL;
		if (key && i + 1 < argc) {
			xpc_dictionary_set_string(req, key, argv[++i]);
		} else if (strcmp(argv[i], "--environment") == 0 && eq) {
			*eq = '\0';
			xpc_dictionary_set_string(env, argv[++i], eq + 1);
		} else {
			xpc_release(req);
			xpc_release(env);
			return usage_error("debug", macos_debug_flag(argv[i]) ? "that option is macOS's (malloc or Objective-C "
				"debugging, 32-bit); on Linux use --environment (e.g. LD_PRELOAD=...) or --program" :
				"unknown option or missing value");
		}
	}
	if (xpc_dictionary_get_count(env))
		xpc_dictionary_set_value(req, KEY_ENVIRONMENT, env);
	xpc_release(env);
	if (i < argc && argc - i > 1) {
		xpc_object_t args = xpc_array_create(NULL, 0);
		for (i++; i < argc; i++)
			xpc_array_set_string(args, XPC_ARRAY_APPEND, argv[i]);
		xpc_dictionary_set_value(req, KEY_ARGUMENTS, args);
		xpc_release(args);
	}
	return call(req, "Debug", NULL);
}

const struct verb modern_verbs[] = {
	{"bootstrap", cmd_bootstrap, "domain-target service-path|directory ...", "load job files into a domain"},
	{"bootout", cmd_bootout, "domain-target [service-path ...] | service-target",
		"stop and unload jobs (returns when their processes are gone)"},
	{"enable", cmd_enable, "service-target", "persistently allow a service to load"},
	{"disable", cmd_disable, "service-target", "persistently prevent a service from loading"},
	{"kickstart", cmd_kickstart, "[-kp] service-target", "run a service now (-k: kill the running instance first)"},
	{"debug", cmd_debug, "service-target [--program path] [--stdout path] [--stderr path] [--environment K=V]... "
		"[-- argv...]", "run the next instance only with another program, output or environment"},
	{"kill", cmd_kill, "signal-name|number service-target", "send a signal to a running service"},
	{"print", cmd_print, "[--json] domain-target|service-target", "show a domain or a service"},
	{"print-disabled", cmd_print_disabled, "[--json] domain-target", "show the enable/disable overrides"},
	{"blame", cmd_blame, "[--json] service-target", "say why a service is (not) running"},
	{NULL, NULL, NULL, NULL},
};
