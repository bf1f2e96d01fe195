/*
 * launchctl's verbs: their tables (verbs_*.c), and what the verb files
 * share (verbs.c).
 */
#ifndef GANTRY_VERBS_H
#define GANTRY_VERBS_H

#include <stdbool.h>
#include <xpc/xpc.h>

#include "launchctl.h"

typedef int (*verb_fn)(int argc, char **argv);
struct verb {
	const char *name;
	verb_fn fn;
	const char *usage;
	const char *summary;
};

/* The verb tables, each ended by a NULL name. */
extern const struct verb modern_verbs[], legacy_verbs[], info_verbs[], host_verbs[], background_verbs[],
	log_verbs[], session_verbs[];
/* launchctl asuser: joins uid's login session (verbs_session.c). */
void session_join(long uid);

/* The tables verb_find() searches (NULL-terminated); main() sets them. */
void verbs_use(const struct verb *const *tables);
/* The tables in use, NULL-terminated. */
const struct verb *const *verbs_tables(void);
/* The verb called name, or NULL. */
const struct verb *verb_find(const char *name);
/* Prints why and the verb's usage; returns EXIT_USAGE. */
int usage_error(const char *verb, const char *why);
/* Removes --json from argv; true if it was there. */
bool want_json(int *argc, char **argv);
xpc_object_t absolute_paths(int argc, char **argv);
/* Sends req (released), prints any error as "<what> failed: ..." and returns its code. */
int call(xpc_object_t req, const char *what, xpc_object_t *reply);
int parse_signal(const char *s);
/* A service target (domain/label) into t; 0, or LE_NO_DOMAIN after saying what was expected. */
int parse_service(const char *verb, const char *text, struct target *t);

#endif
