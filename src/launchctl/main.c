/*
 * launchctl: finds the verb and runs it; the exit status is the verb's
 * error code (errno, or launchd's 107–159), 64 for usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "launchctl.h"
#include "verbs.h"

bool target_parse(const char *text, struct target *t)
{
	memset(t, 0, sizeof(*t));
	const char *rest;
	if (strncmp(text, "system", 6) == 0 && (text[6] == '\0' || text[6] == '/')) {
		snprintf(t->domain, sizeof(t->domain), "system");
		rest = text[6] ? text + 7 : "";
	} else if (strncmp(text, "gui/", 4) == 0 || strncmp(text, "user/", 5) == 0) {
		const char *uid = strchr(text, '/') + 1;
		size_t n = strspn(uid, "0123456789");
		if (n == 0 || n > 10 || (uid[n] != '\0' && uid[n] != '/'))
			return false;
		snprintf(t->domain, sizeof(t->domain), "%.*s", (int)(uid - text + n), text);
		rest = uid[n] ? uid + n + 1 : "";
	} else {
		return false;
	}
	if (*rest) {
		if (strchr(rest, '/') || strlen(rest) >= sizeof(t->label))
			return false;
		snprintf(t->label, sizeof(t->label), "%s", rest);
		t->has_label = true;
	}
	return true;
}

const struct verb *verb_find(const char *name)
{
	const struct verb *tables[] = {modern_verbs, legacy_verbs, info_verbs, background_verbs};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		for (const struct verb *v = tables[i]; v->name; v++)
			if (strcmp(v->name, name) == 0)
				return v;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return verb_find("help")->fn(0, argv) ? EXIT_USAGE : EXIT_USAGE;
	const struct verb *v = verb_find(argv[1]);
	if (!v) {
		fprintf(stderr, "Unrecognized subcommand: %s (see `launchctl help`)\n", argv[1]);
		return EXIT_USAGE;
	}
	return v->fn(argc - 2, argv + 2);
}
