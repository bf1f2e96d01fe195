/*
 * Private to the spec parser: the parse context and typed accessors that
 * the key handlers in spec_keys.c use. Each accessor reports a type error
 * naming file, key path, what was expected and what was found.
 */
#ifndef GANTRY_SPEC_PARSE_H
#define GANTRY_SPEC_PARSE_H

#include "spec.h"

#define SPEC_KEYS_MAX 96

struct parse {
	const char *file;
	struct job_spec *s;
	struct spec_diag *d;
	const char *seen[SPEC_KEYS_MAX]; /* spelling used for each table key, to refuse duplicates */
};

typedef void (*key_handler)(struct parse *p, const char *key, plist_t v);

struct key_def {
	const char *name;
	key_handler handle; /* NULL: recognised, ignored with the warning below */
	const char *ignored_why;
};

/* The table of launchd.plist(5) keys (spec_keys.c). */
extern const struct key_def spec_keys[];
const struct key_def *spec_find_key(const struct key_def *table, const char *name);

void parse_error(struct parse *p, int code, const char *keypath, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void parse_warn(struct parse *p, const char *keypath, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *plist_type_name(plist_t v);
bool want_string(struct parse *p, const char *keypath, plist_t v, char **out);
bool want_bool(struct parse *p, const char *keypath, plist_t v, bool *out);
bool want_int(struct parse *p, const char *keypath, plist_t v, int64_t min, int64_t max, int64_t *out);
bool want_dict(struct parse *p, const char *keypath, plist_t v);
bool want_string_array(struct parse *p, const char *keypath, plist_t v, char ***out, size_t *n);
/* Iterates a dictionary: fn(p, parent keypath, key, value). */
void each_entry(struct parse *p, plist_t dict, const char *keypath,
	void (*fn)(struct parse *p, const char *keypath, const char *key, plist_t v));

/* spec_compat.c: macOS paths and group names that have a Linux equivalent, translated with a warning. */
void spec_translate_macos(struct parse *p);

/* spec_constraints.c: SpawnConstraint and ResponsibleProcessConstraint */
void key_constraint(struct parse *p, const char *k, plist_t v);

/* spec_sockets.c */
void key_sockets(struct parse *p, const char *k, plist_t v);
void key_inetd(struct parse *p, const char *k, plist_t v);

#endif
