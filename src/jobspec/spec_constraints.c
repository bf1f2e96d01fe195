/*
 * The launch constraint keys of launchd.plist(5), Apple's mapped onto what
 * Linux can attest: SpawnConstraint (facts the executable must satisfy at
 * every spawn) and ResponsibleProcessConstraint (facts the process whose
 * connection launches or reaches the job on demand must satisfy). launchd
 * checks them (core/constraints.c). A fact this parser does not know is an
 * error naming the ones it does: a constraint that quietly checks less than
 * it says would be worse than none.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "spec_parse.h"

#define SPAWN_FACTS "owner, sha256, in-bundle, bundle-identifier"
#define RESPONSIBLE_FACTS "uid, executable, sha256, in-bundle, bundle-identifier"

static bool is_sha256(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return false;
	return n == 64;
}

/* Which constraint p is filling: the key path's first component says. */
static struct spec_constraint *target(struct parse *p, const char *keypath)
{
	return strcmp(keypath, "SpawnConstraint") == 0 ? &p->s->spawn_constraint : &p->s->responsible_constraint;
}

static void absolute_path(struct parse *p, const char *path, plist_t v, char **out)
{
	if (want_string(p, path, v, out) && (*out)[0] != '/')
		parse_error(p, LE_INVALID_PLIST, path, "must be an absolute path, found \"%s\"", *out);
}

static void fact(struct parse *p, const char *keypath, const char *key, plist_t v)
{
	struct spec_constraint *c = target(p, keypath);
	bool spawn = c == &p->s->spawn_constraint;
	char path[256];
	int64_t n;
	snprintf(path, sizeof(path), "%s.%s", keypath, key);
	if (strcmp(key, spawn ? "owner" : "uid") == 0) {
		if (want_int(p, path, v, 0, 0x7fffffff, &n)) {
			c->uid = (uid_t)n;
			c->has_uid = true;
		}
	} else if (strcmp(key, "sha256") == 0) {
		if (want_string(p, path, v, &c->sha256) && !is_sha256(c->sha256))
			parse_error(p, LE_INVALID_PLIST, path, "expected 64 hexadecimal digits, found \"%s\"", c->sha256);
		for (char *s = c->sha256; s && *s; s++)
			*s = (char)tolower((unsigned char)*s);
	} else if (strcmp(key, "in-bundle") == 0) {
		absolute_path(p, path, v, &c->in_bundle);
	} else if (strcmp(key, "bundle-identifier") == 0) {
		want_string(p, path, v, &c->bundle_identifier);
	} else if (!spawn && strcmp(key, "executable") == 0) {
		absolute_path(p, path, v, &c->executable);
	} else {
		parse_error(p, LE_INVALID_PLIST, path, "is not a fact Gantry checks (%s: %s)", keypath,
			spawn ? SPAWN_FACTS : RESPONSIBLE_FACTS);
	}
}

void key_constraint(struct parse *p, const char *k, plist_t v)
{
	if (!want_dict(p, k, v))
		return;
	target(p, k)->present = true;
	each_entry(p, v, k, fact);
}

void spec_constraint_clear(struct spec_constraint *c)
{
	free(c->sha256);
	free(c->in_bundle);
	free(c->bundle_identifier);
	free(c->executable);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}
