/*
 * The spec parser's typed accessors and diagnostics (see spec_parse.h):
 * each accessor reports a type error naming file, key path, what was
 * expected and what was found.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "plistio.h"
#include "spec_parse.h"
#include "oom.h"

static char *vformat(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		gantry_oom();
	return s;
}

static void push(char ***list, size_t *n, char *s)
{
	*list = realloc(*list, (*n + 2) * sizeof(**list));
	if (!*list)
		gantry_oom();
	(*list)[(*n)++] = s;
	(*list)[*n] = NULL;
}

void spec_diag_add(struct spec_diag *d, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	push(&d->errors, &d->nerrors, vformat(fmt, ap));
	va_end(ap);
	if (!d->code)
		d->code = code;
}

void spec_diag_clear(struct spec_diag *d)
{
	for (size_t i = 0; i < d->nerrors; i++)
		free(d->errors[i]);
	free(d->errors);
	memset(d, 0, sizeof(*d));
}

void parse_error(struct parse *p, int code, const char *keypath, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	spec_diag_add(p->d, code, "%s: %s: %s", p->file, keypath, msg);
	free(msg);
}

void parse_warn(struct parse *p, const char *keypath, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	char *line;
	if (asprintf(&line, "%s: %s: %s", p->file, keypath, msg) < 0)
		gantry_oom();
	free(msg);
	push(&p->s->warnings, &p->s->nwarnings, line);
}

const char *plist_type_name(plist_t v)
{
	switch (plist_get_node_type(v)) {
	case PLIST_BOOLEAN: return "boolean";
	case PLIST_UINT: return "integer";
	case PLIST_REAL: return "real";
	case PLIST_STRING: return "string";
	case PLIST_ARRAY: return "array";
	case PLIST_DICT: return "dictionary";
	case PLIST_DATE: return "date";
	case PLIST_DATA: return "data";
	case PLIST_KEY: return "key";
	case PLIST_UID: return "uid";
	default: return "unknown";
	}
}

static bool mismatch(struct parse *p, const char *keypath, const char *expected, plist_t v)
{
	parse_error(p, LE_INVALID_PLIST, keypath, "expected %s, found %s", expected, plist_type_name(v));
	return false;
}

bool want_string(struct parse *p, const char *keypath, plist_t v, char **out)
{
	if (plist_get_node_type(v) != PLIST_STRING)
		return mismatch(p, keypath, "string", v);
	/* Not plist_get_string_val(): libplist 2.2 asserts (aborts) on a NUL inside a binary plist's string. */
	uint64_t len = 0;
	const char *raw = plist_get_string_ptr(v, &len);
	if (!raw)
		return mismatch(p, keypath, "string", v);
	const char *nul = memchr(raw, '\0', len);
	if (nul) {
		parse_error(p, LE_INVALID_PLIST, keypath, "string contains a NUL byte at offset %td", nul - raw);
		return false;
	}
	char *s = strndup(raw, len);
	if (!s)
		gantry_oom();
	free(*out);
	*out = s;
	return true;
}

bool want_bool(struct parse *p, const char *keypath, plist_t v, bool *out)
{
	if (plist_get_node_type(v) != PLIST_BOOLEAN)
		return mismatch(p, keypath, "boolean", v);
	uint8_t b = 0;
	plist_get_bool_val(v, &b);
	*out = b;
	return true;
}

bool want_int(struct parse *p, const char *keypath, plist_t v, int64_t min, int64_t max, int64_t *out)
{
	if (plist_get_node_type(v) != PLIST_UINT)
		return mismatch(p, keypath, "integer", v);
	uint64_t u = 0;
	plist_get_uint_val(v, &u);
	int64_t i = (int64_t)u; /* libplist keeps negative integers as two's complement */
	if (i < min || i > max) {
		parse_error(p, LE_INVALID_PLIST, keypath, "expected an integer from %lld to %lld, found %lld",
			(long long)min, (long long)max, (long long)i);
		return false;
	}
	*out = i;
	return true;
}

bool want_dict(struct parse *p, const char *keypath, plist_t v)
{
	return plist_get_node_type(v) == PLIST_DICT ? true : mismatch(p, keypath, "dictionary", v);
}

bool want_string_array(struct parse *p, const char *keypath, plist_t v, char ***out, size_t *n)
{
	if (plist_get_node_type(v) != PLIST_ARRAY)
		return mismatch(p, keypath, "array of strings", v);
	uint32_t count;
	plist_t *items = gantry_plist_array_items(v, &count);
	char **list = calloc(count + 1, sizeof(*list));
	if (!list)
		gantry_oom();
	bool ok = true;
	for (uint32_t i = 0; i < count; i++) {
		plist_t item = items[i];
		char path[256];
		snprintf(path, sizeof(path), "%s[%u]", keypath, i);
		if (!want_string(p, path, item, &list[i]))
			ok = false;
	}
	free(items);
	if (!ok) {
		for (uint32_t i = 0; i < count; i++)
			free(list[i]);
		free(list);
		return false;
	}
	*out = list;
	*n = count;
	return true;
}

void each_entry(struct parse *p, plist_t dict, const char *keypath,
	void (*fn)(struct parse *p, const char *keypath, const char *key, plist_t v))
{
	plist_dict_iter it = NULL;
	plist_dict_new_iter(dict, &it);
	if (!it)
		return;
	for (;;) {
		char *key = NULL;
		plist_t val = NULL;
		plist_dict_next_item(dict, it, &key, &val);
		if (!val) {
			free(key);
			break;
		}
		fn(p, keypath, key, val);
		free(key);
	}
	free(it);
}

const struct key_def *spec_find_key(const struct key_def *table, const char *name)
{
	for (const struct key_def *k = table; k->name; k++)
		if (strcasecmp(k->name, name) == 0)
			return k;
	return NULL;
}
