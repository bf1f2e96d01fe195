/*
 * JSON rendering of libxpc replies for --json (RFC 8259 strings, keys in
 * the order launchd sent them).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "launchctl.h"

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

struct json_ctx {
	FILE *f;
	int depth;
	bool first;
};

static void json_value(FILE *f, xpc_object_t o, int depth);

static void indent(FILE *f, int depth)
{
	fputc('\n', f);
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

static bool json_entry(void *ctx, const char *key, xpc_object_t v)
{
	struct json_ctx *c = ctx;
	if (!c->first)
		fputc(',', c->f);
	c->first = false;
	indent(c->f, c->depth);
	json_string(c->f, key);
	fputs(": ", c->f);
	json_value(c->f, v, c->depth);
	return true;
}

static bool json_item(void *ctx, size_t i, xpc_object_t v)
{
	struct json_ctx *c = ctx;
	if (i)
		fputc(',', c->f);
	indent(c->f, c->depth);
	json_value(c->f, v, c->depth);
	return true;
}

static void json_value(FILE *f, xpc_object_t o, int depth)
{
	xpc_type_t t = xpc_get_type(o);
	struct json_ctx c = {f, depth + 1, true};
	if (t == XPC_TYPE_BOOL) {
		fputs(xpc_bool_get_value(o) ? "true" : "false", f);
	} else if (t == XPC_TYPE_INT64) {
		fprintf(f, "%" PRId64, xpc_int64_get_value(o));
	} else if (t == XPC_TYPE_UINT64) {
		fprintf(f, "%" PRIu64, xpc_uint64_get_value(o));
	} else if (t == XPC_TYPE_DOUBLE) {
		double d = xpc_double_get_value(o);
		if (isfinite(d))
			fprintf(f, "%.3f", d);
		else
			fputs("null", f);
	} else if (t == XPC_TYPE_STRING) {
		json_string(f, xpc_string_get_string_ptr(o));
	} else if (t == XPC_TYPE_ARRAY) {
		fputc('[', f);
		xpc_array_apply_f(o, &c, json_item);
		if (xpc_array_get_count(o))
			indent(f, depth);
		fputc(']', f);
	} else if (t == XPC_TYPE_DICTIONARY) {
		fputc('{', f);
		xpc_dictionary_apply_f(o, &c, json_entry);
		if (xpc_dictionary_get_count(o))
			indent(f, depth);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
}

void json_print(FILE *f, xpc_object_t o)
{
	json_value(f, o, 0);
	fputc('\n', f);
}
