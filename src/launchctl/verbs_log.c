/*
 * launchctl log TARGET [--follow] [--lines N] [--json]: a service's captured
 * output (each line with its time, run and stream), or a domain's events
 * from launchd's log. --follow keeps asking for what came after the last
 * line seen until interrupted or the service is gone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "launchctl.h"
#include "protocol.h"
#include "verbs.h"

#define FOLLOW_POLL_NS (200 * 1000 * 1000L) /* between two looks for new lines: 0.2 s */

struct log_options {
	struct target t;
	bool follow, json;
	int64_t lines;
};

static bool print_line(void *ctx, size_t i, xpc_object_t l)
{
	const struct log_options *o = ctx;
	(void)i;
	if (o->json) {
		json_print(stdout, l); /* --follow: one object per line, as they come */
	} else if (strcmp(xpc_dictionary_get_string(l, KEY_STREAM), "launchd") == 0) {
		printf("%s\n", xpc_dictionary_get_string(l, KEY_TEXT));
	} else {
		printf("%s run %" PRId64 " %s: %s\n", xpc_dictionary_get_string(l, KEY_TIME),
			xpc_dictionary_get_int64(l, KEY_RUN), xpc_dictionary_get_string(l, KEY_STREAM),
			xpc_dictionary_get_string(l, KEY_TEXT));
	}
	return true;
}

static int parse_options(int argc, char **argv, struct log_options *o)
{
	*o = (struct log_options){.lines = 100};
	const char *target = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0)
			o->follow = true;
		else if (strcmp(argv[i], "--json") == 0)
			o->json = true;
		else if ((strcmp(argv[i], "--lines") == 0 || strcmp(argv[i], "-n") == 0) && i + 1 < argc)
			o->lines = strtoll(argv[++i], NULL, 10);
		else if (!target && argv[i][0] != '-')
			target = argv[i];
		else
			return usage_error("log", "unexpected argument");
	}
	if (!target || !target_parse(target, &o->t))
		return usage_error("log", "expected a service target (system/LABEL, gui/UID/LABEL) or a domain target");
	if (o->lines <= 0)
		return usage_error("log", "--lines takes a positive number");
	return 0;
}

static int cmd_log(int argc, char **argv)
{
	struct log_options o;
	int r = parse_options(argc, argv, &o);
	if (r)
		return r;
	bool first = true;
	uint64_t seq = 0;
	for (;;) {
		xpc_object_t req = request_new(ROUTINE_LOG, &o.t), reply;
		xpc_dictionary_set_int64(req, KEY_COUNT, o.lines);
		if (!first)
			xpc_dictionary_set_uint64(req, KEY_SEQ, seq);
		if ((r = call(req, "Log", &reply))) {
			xpc_release(reply);
			return first ? r : 0; /* a followed service that went away ends the command */
		}
		const char *note = xpc_dictionary_get_string(reply, KEY_REASON);
		if (note && first)
			fprintf(stderr, "(%s)\n", note);
		uint64_t skipped = xpc_dictionary_get_uint64(reply, KEY_SKIPPED);
		if (skipped && !o.json)
			printf("(%" PRIu64 " lines came faster than memory keeps them; they are in %s)\n", skipped,
				xpc_dictionary_get_string(reply, KEY_OUTPUT_FILE));
		if (o.json && !o.follow)
			json_print(stdout, xpc_dictionary_get_array(reply, KEY_LINES)); /* one array */
		else
			xpc_array_apply_f(xpc_dictionary_get_array(reply, KEY_LINES), &o, print_line);
		fflush(stdout);
		seq = xpc_dictionary_get_uint64(reply, KEY_SEQ);
		xpc_release(reply);
		if (!o.follow)
			return 0;
		first = false;
		const struct timespec poll = {0, FOLLOW_POLL_NS};
		nanosleep(&poll, NULL);
	}
}

static int cmd_reopen(int argc, char **argv)
{
	struct target t;
	if (argc != 1)
		return usage_error("reopen", "expected one service target");
	int r = parse_service("reopen", argv[0], &t);
	return r ? r : call(request_new(ROUTINE_REOPEN, &t), "Reopen", NULL);
}

const struct verb log_verbs[] = {
	{"log", cmd_log, "[--follow] [--lines N] [--json] service-target | domain-target",
		"a service's captured stdout and stderr, or a domain's events (launchd's log)"},
	{"reopen", cmd_reopen, "service-target",
		"open the service's StandardOutPath/StandardErrorPath again now (logrotate's postrotate)"},
	{NULL, NULL, NULL, NULL},
};
