/*
 * What launchctl's verb files share: finding a verb, usage errors,
 * arguments (--json, paths, signals) and calling launchd.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "errors.h"
#include "launchctl.h"
#include "verbs.h"

static const struct verb *const *verb_tables;

void verbs_use(const struct verb *const *tables)
{
	verb_tables = tables;
}

const struct verb *const *verbs_tables(void)
{
	return verb_tables;
}

const struct verb *verb_find(const char *name)
{
	for (const struct verb *const *t = verb_tables; t && *t; t++)
		for (const struct verb *v = *t; v->name; v++)
			if (strcmp(v->name, name) == 0)
				return v;
	return NULL;
}

int usage_error(const char *verb, const char *why)
{
	const struct verb *v = verb_find(verb);
	if (*why)
		fprintf(stderr, "%s\n", why);
	if (v)
		fprintf(stderr, "Usage: launchctl %s %s\n", v->name, v->usage);
	return EXIT_USAGE;
}

bool want_json(int *argc, char **argv)
{
	bool json = false;
	int out = 0;
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			argv[out++] = argv[i];
	}
	*argc = out;
	return json;
}

xpc_object_t absolute_paths(int argc, char **argv)
{
	xpc_object_t a = xpc_array_create(NULL, 0);
	for (int i = 0; i < argc; i++) {
		char buf[PATH_MAX], cwd[PATH_MAX];
		if (realpath(argv[i], buf))
			xpc_array_set_string(a, XPC_ARRAY_APPEND, buf);
		else if (argv[i][0] == '/' || !getcwd(cwd, sizeof(cwd)))
			xpc_array_set_string(a, XPC_ARRAY_APPEND, argv[i]);
		else {
			snprintf(buf, sizeof(buf), "%s/%s", cwd, argv[i]);
			xpc_array_set_string(a, XPC_ARRAY_APPEND, buf);
		}
	}
	return a;
}

/* Sends req and returns the error code (printed), keeping the reply in *out if asked. */
int call(xpc_object_t req, const char *what, xpc_object_t *out)
{
	xpc_object_t reply = request_send(req);
	int code = reply_check(reply, what);
	if (out)
		*out = reply;
	else
		xpc_release(reply);
	return code;
}

int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && strcasecmp(abbrev, s) == 0)
			return sig;
	}
	return -1;
}

int parse_service(const char *verb, const char *text, struct target *t)
{
	if (!target_parse(text, t) || !t->has_label) {
		fprintf(stderr, "Unrecognized service target \"%s\" (expected system/<label>, gui/<uid>/<label>, "
			"user/<uid>/<label> or pid/<pid>/<label>)\n", text);
		usage_error(verb, "");
		return LE_NO_DOMAIN;
	}
	return 0;
}
