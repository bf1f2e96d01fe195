/*
 * launchctl verbs that need no launchd or only ask it who it is: lint,
 * error, version, help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "launchctl.h"
#include "protocol.h"
#include "spec.h"
#include "verbs.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "0.0.0"
#endif

static int cmd_lint(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("lint", "missing plist paths");
	int first_error = 0;
	for (int i = 0; i < argc; i++) {
		struct spec_diag d = {0};
		struct job_spec *s = spec_load_file(argv[i], &d);
		if (!s) {
			for (size_t k = 0; k < d.nerrors; k++)
				fprintf(stderr, "error: %s\n", d.errors[k]);
			if (!first_error)
				first_error = d.code ? d.code : LE_INVALID_PLIST;
			spec_diag_clear(&d);
			continue;
		}
		for (size_t k = 0; k < s->nwarnings; k++)
			fprintf(stderr, "warning: %s\n", s->warnings[k]);
		printf("%s: OK (%s)\n", argv[i], s->label);
		spec_free(s);
	}
	return first_error;
}

static void explain(long code, const char *only)
{
	bool any = false;
	if (code < 0) {
		const char *d = signal_description((int)-code);
		printf("%ld: %s [signal %s: a job's last exit status when it was killed by it]\n", code,
			d ? d : "Unknown signal", signal_abbrev((int)-code) ? signal_abbrev((int)-code) : "?");
		return;
	}
	const char *ld = launchd_error_string((int)code);
	if (ld && (!only || strcmp(only, "launchd") == 0)) {
		printf("%ld: %s [launchd error]\n", code, ld);
		any = true;
	}
	const char *name = darwin_errno_name((int)code);
	if (!ld && name && (!only || strcmp(only, "posix") == 0)) {
		printf("%ld: %s [errno %s]\n", code, darwin_errno_string((int)code), name);
		any = true;
	}
	const char *sx = sysexits_name((int)code);
	if (sx && (!only || strcmp(only, "sysexits") == 0)) {
		printf("%s%ld: %s (%s) [sysexits: as a job's exit status%s]\n", any ? "  or " : "", code, sx,
			sysexits_meaning((int)code), code == 78 ? "; Gantry reports spawn failures with it" : "");
		any = true;
	}
	if (!any)
		printf("%ld: no meaning in the %s table%s\n", code, only ? only : "errno, launchd or sysexits",
			only ? "" : "s");
}

static int cmd_error(int argc, char **argv)
{
	const char *only = NULL;
	if (argc == 2 && (strcmp(argv[0], "posix") == 0 || strcmp(argv[0], "launchd") == 0 ||
			  strcmp(argv[0], "sysexits") == 0 || strcmp(argv[0], "bootstrap") == 0)) {
		only = strcmp(argv[0], "bootstrap") == 0 ? "launchd" : argv[0];
		argv++;
		argc--;
	}
	if (argc != 1)
		return usage_error("error", "expected one code");
	char *end;
	errno = 0;
	long code = strtol(argv[0], &end, 0);
	if (!*argv[0] || *end || errno)
		return usage_error("error", "the code must be a number");
	explain(code, only);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error("version", "takes no arguments");
	printf("Gantry launchctl %s\n", GANTRY_VERSION);
	xpc_object_t reply = request_send(request_new(ROUTINE_VERSION, NULL));
	if (!xpc_dictionary_get_int64(reply, KEY_ERROR))
		printf("Gantry launchd %s (%s mode, pid %lld)\n", xpc_dictionary_get_string(reply, KEY_VERSION),
			xpc_dictionary_get_string(reply, KEY_MODE), (long long)xpc_dictionary_get_int64(reply, KEY_PID));
	else
		printf("launchd: not reachable (%s)\n", xpc_dictionary_get_string(reply, KEY_ERROR_DETAIL));
	xpc_release(reply);
	return 0;
}

static void list_verbs(const struct verb *table)
{
	for (const struct verb *v = table; v->name; v++)
		printf("\t%-15s %s\n", v->name, v->summary);
}

static int cmd_help(int argc, char **argv)
{
	if (argc == 1) {
		const struct verb *v = verb_find(argv[0]);
		if (!v) {
			fprintf(stderr, "Unrecognized subcommand: %s\n", argv[0]);
			return EXIT_USAGE;
		}
		printf("Usage: launchctl %s %s\n\t%s\n", v->name, v->usage, v->summary);
		return 0;
	}
	printf("Usage: launchctl <subcommand> ... | help [subcommand]\n"
	       "Targets: system, user/<uid>, gui/<uid>, pid/<pid> (an app's XPC services), and <domain>/<label> for one\n"
	       "service.\n"
	       "Subcommands:\n");
	for (const struct verb *const *t = verbs_tables(); *t; t++)
		list_verbs(*t);
	printf("The exit status is 0 or an error code; `launchctl error CODE` explains it.\n");
	return 0;
}

static int cmd_test_clock(int argc, char **argv)
{
	char *end;
	long long offset = argc == 1 ? strtoll(argv[0], &end, 10) : 0;
	if (argc != 1 || *end)
		return usage_error("test-clock", "expected the offset in seconds from the real clock");
	xpc_object_t req = request_new(ROUTINE_TEST_CLOCK, NULL), reply;
	xpc_dictionary_set_int64(req, KEY_OFFSET, offset);
	int r = call(req, "Test-clock", &reply);
	xpc_release(reply);
	return r;
}

const struct verb info_verbs[] = {
	{"lint", cmd_lint, "path ...", "validate job files without loading them (Gantry)"},
	{"error", cmd_error, "[posix|launchd|sysexits] code", "explain an error code or exit status"},
	{"version", cmd_version, "", "print the launchctl and launchd versions"},
	{"test-clock", cmd_test_clock, "offset-seconds",
		"move the wall clock of a launchd started with --test-clock (tests only; Gantry)"},
	{"help", cmd_help, "[subcommand]", "show usage"},
	{NULL, NULL, NULL, NULL},
};
