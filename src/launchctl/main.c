/*
 * launchctl: finds the verb and runs it; the exit status is the verb's
 * error code (errno, or launchd's 107–159), 64 for usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "launchctl.h"
#include "verbs.h"

int main(int argc, char **argv)
{
	static const struct verb *const tables[] = {modern_verbs, legacy_verbs, info_verbs, host_verbs, background_verbs, session_verbs,
		log_verbs, NULL};
	verbs_use(tables);
	if (argc < 2)
		return verb_find("help")->fn(0, argv) ? EXIT_USAGE : EXIT_USAGE;
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return verb_find("help")->fn(argc - 2, argv + 2);
	const struct verb *v = verb_find(argv[1]);
	if (!v) {
		fprintf(stderr, "Unrecognized subcommand: %s (see `launchctl help`)\n", argv[1]);
		return EXIT_USAGE;
	}
	return v->fn(argc - 2, argv + 2);
}
