/*
 * libxpc objects: types, reference counting, scalars, arrays, copy, equality
 * and descriptions. Dictionaries live in dictionary.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "oom.h"

void *xpc_xalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);
	if (!p) {
		fprintf(stderr, "libxpc: out of memory allocating %zu bytes\n", size);
		gantry_oom();
	}
	return p;
}

void *xpc_xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q) {
		fprintf(stderr, "libxpc: out of memory growing to %zu bytes\n", size);
		gantry_oom();
	}
	return q;
}

char *xpc_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xpc_xalloc(n);
	memcpy(d, s, n);
	return d;
}

/* Per-type operations of the types made here (internal.h). */

static void bytes_destroy(xpc_object_t o)
{
	free(o->bytes.ptr);
	free(o);
}

static void fd_destroy(xpc_object_t o)
{
	close(o->fd);
	free(o);
}

static void array_destroy(xpc_object_t o)
{
	for (size_t i = 0; i < o->arr.count; i++)
		xpc_release(o->arr.items[i]);
	free(o->arr.items);
	free(o);
}

static xpc_object_t bytes_copy(xpc_object_t o);
static xpc_object_t fd_copy(xpc_object_t o);
static xpc_object_t array_copy(xpc_object_t o);
static bool scalar_equal(xpc_object_t a, xpc_object_t b);
static bool bytes_equal(xpc_object_t a, xpc_object_t b);
static bool array_equal(xpc_object_t a, xpc_object_t b);

/* Wire tags: keep in sync with docs/wire-format.md. */
const struct _xpc_type_s _xpc_type_null = {"null", 0x01, .equal = scalar_equal};
const struct _xpc_type_s _xpc_type_bool = {"bool", 0x02, .equal = scalar_equal};
const struct _xpc_type_s _xpc_type_int64 = {"int64", 0x03, .equal = scalar_equal};
const struct _xpc_type_s _xpc_type_uint64 = {"uint64", 0x04, .equal = scalar_equal};
const struct _xpc_type_s _xpc_type_double = {"double", 0x05, .equal = scalar_equal};
const struct _xpc_type_s _xpc_type_date = {"date", 0x06, .equal = scalar_equal};
const struct _xpc_type_s _xpc_type_data = {"data", 0x07, false, bytes_destroy, bytes_copy, bytes_equal};
const struct _xpc_type_s _xpc_type_string = {"string", 0x08, false, bytes_destroy, bytes_copy, bytes_equal};
const struct _xpc_type_s _xpc_type_uuid = {"uuid", 0x09, .equal = scalar_equal};
const struct _xpc_type_s _xpc_type_fd = {"fd", 0x0a, false, fd_destroy, fd_copy, NULL};
const struct _xpc_type_s _xpc_type_array = {"array", 0x0b, false, array_destroy, array_copy, array_equal};
const struct _xpc_type_s _xpc_type_endpoint = {"endpoint", 0x0e, false, fd_destroy, fd_copy, NULL};

xpc_object_t xpc_object_alloc(xpc_type_t type)
{
	xpc_object_t o = xpc_xalloc(sizeof(*o));
	o->type = type;
	o->refs = 1;
	return o;
}

xpc_object_t xpc_retain(xpc_object_t o)
{
	if (o && __atomic_load_n(&o->refs, __ATOMIC_RELAXED) != XPC_REFS_IMMORTAL) /* objects cross threads */
		__atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
	return o;
}

void xpc_release(xpc_object_t o)
{
	if (!o || __atomic_load_n(&o->refs, __ATOMIC_RELAXED) == XPC_REFS_IMMORTAL)
		return;
	if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0)
		o->type->destroy ? o->type->destroy(o) : free(o);
}

xpc_type_t xpc_get_type(xpc_object_t o)
{
	return o ? o->type : NULL;
}

const char *xpc_type_get_name(xpc_type_t type)
{
	return type ? type->name : "(null)";
}

/* Scalars */

static xpc_object_t scalar(xpc_type_t t)
{
	return xpc_object_alloc(t);
}

xpc_object_t xpc_null_create(void) { return scalar(XPC_TYPE_NULL); }

/* Apple's two booleans: xpc_bool_create returns them, so XPC_BOOL_TRUE == xpc_bool_create(true). */
struct _xpc_object_s _xpc_bool_true = {.type = &_xpc_type_bool, .refs = XPC_REFS_IMMORTAL, .b = true};
struct _xpc_object_s _xpc_bool_false = {.type = &_xpc_type_bool, .refs = XPC_REFS_IMMORTAL, .b = false};

xpc_object_t xpc_bool_create(bool v)
{
	return v ? &_xpc_bool_true : &_xpc_bool_false;
}

bool xpc_bool_get_value(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_BOOL ? o->b : false;
}

xpc_object_t xpc_int64_create(int64_t v)
{
	xpc_object_t o = scalar(XPC_TYPE_INT64);
	o->i = v;
	return o;
}

int64_t xpc_int64_get_value(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_INT64 ? o->i : 0;
}

xpc_object_t xpc_uint64_create(uint64_t v)
{
	xpc_object_t o = scalar(XPC_TYPE_UINT64);
	o->u = v;
	return o;
}

uint64_t xpc_uint64_get_value(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_UINT64 ? o->u : 0;
}

xpc_object_t xpc_double_create(double v)
{
	xpc_object_t o = scalar(XPC_TYPE_DOUBLE);
	o->d = v;
	return o;
}

double xpc_double_get_value(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_DOUBLE ? o->d : 0.0;
}

xpc_object_t xpc_date_create(int64_t ns)
{
	xpc_object_t o = scalar(XPC_TYPE_DATE);
	o->i = ns;
	return o;
}

xpc_object_t xpc_date_create_from_current(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return xpc_date_create((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

int64_t xpc_date_get_value(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_DATE ? o->i : 0;
}

static xpc_object_t bytes_create(xpc_type_t t, const void *p, size_t len)
{
	xpc_object_t o = scalar(t);
	o->bytes.ptr = xpc_xalloc(len + 1);
	if (len)
		memcpy(o->bytes.ptr, p, len);
	o->bytes.len = len;
	return o;
}

xpc_object_t xpc_data_create(const void *bytes, size_t len)
{
	return bytes_create(XPC_TYPE_DATA, bytes, len);
}

const void *xpc_data_get_bytes_ptr(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_DATA ? o->bytes.ptr : NULL;
}

size_t xpc_data_get_length(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_DATA ? o->bytes.len : 0;
}

xpc_object_t xpc_string_create(const char *s)
{
	return bytes_create(XPC_TYPE_STRING, s, strlen(s));
}

xpc_object_t xpc_string_adopt(char *buf, size_t len)
{
	xpc_object_t o = scalar(XPC_TYPE_STRING);
	o->bytes.ptr = buf;
	o->bytes.len = len;
	return o;
}

xpc_object_t xpc_string_create_with_format(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "libxpc: out of memory formatting a string\n");
		gantry_oom();
	}
	return xpc_string_adopt(s, (size_t)n);
}

size_t xpc_string_get_length(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_STRING ? o->bytes.len : 0;
}

const char *xpc_string_get_string_ptr(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_STRING ? o->bytes.ptr : NULL;
}

xpc_object_t xpc_uuid_create(const unsigned char *uuid)
{
	xpc_object_t o = scalar(XPC_TYPE_UUID);
	memcpy(o->uuid, uuid, 16);
	return o;
}

const uint8_t *xpc_uuid_get_bytes(xpc_object_t o)
{
	return o && o->type == XPC_TYPE_UUID ? o->uuid : NULL;
}

xpc_object_t xpc_fd_adopt(int fd)
{
	xpc_object_t o = scalar(XPC_TYPE_FD);
	o->fd = fd;
	return o;
}

xpc_object_t xpc_fd_create(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return d < 0 ? NULL : xpc_fd_adopt(d);
}

int xpc_fd_dup(xpc_object_t o)
{
	if (!o || o->type != XPC_TYPE_FD)
		return -1;
	return fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
}

/* Arrays */

xpc_object_t xpc_array_create(xpc_object_t const *objects, size_t count)
{
	xpc_object_t a = xpc_object_alloc(XPC_TYPE_ARRAY);
	for (size_t i = 0; i < count; i++)
		xpc_array_append_value(a, objects[i]);
	return a;
}

void xpc_array_append_value(xpc_object_t a, xpc_object_t v)
{
	if (!a || a->type != XPC_TYPE_ARRAY || !v)
		return;
	if (a->arr.count == a->arr.cap) {
		a->arr.cap = a->arr.cap ? a->arr.cap * 2 : 4;
		a->arr.items = xpc_xrealloc(a->arr.items, a->arr.cap * sizeof(*a->arr.items));
	}
	a->arr.items[a->arr.count++] = xpc_retain(v);
}

void xpc_array_set_value(xpc_object_t a, size_t index, xpc_object_t v)
{
	if (!a || a->type != XPC_TYPE_ARRAY || !v)
		return;
	if (index == XPC_ARRAY_APPEND) {
		xpc_array_append_value(a, v);
		return;
	}
	if (index >= a->arr.count)
		return;
	xpc_retain(v);
	xpc_release(a->arr.items[index]);
	a->arr.items[index] = v;
}

size_t xpc_array_get_count(xpc_object_t a)
{
	return a && a->type == XPC_TYPE_ARRAY ? a->arr.count : 0;
}

xpc_object_t xpc_array_get_value(xpc_object_t a, size_t index)
{
	if (!a || a->type != XPC_TYPE_ARRAY || index >= a->arr.count)
		return NULL;
	return a->arr.items[index];
}

bool xpc_array_apply_f(xpc_object_t a, void *ctx, xpc_array_applier_f fn)
{
	for (size_t i = 0; i < xpc_array_get_count(a); i++)
		if (!fn(ctx, i, a->arr.items[i]))
			return false;
	return true;
}

static void array_set_owned(xpc_object_t a, size_t index, xpc_object_t v)
{
	xpc_array_set_value(a, index, v);
	xpc_release(v);
}

/* Copy, equality, hash */

static xpc_object_t bytes_copy(xpc_object_t o)
{
	return bytes_create(o->type, o->bytes.ptr, o->bytes.len);
}

static xpc_object_t fd_copy(xpc_object_t o)
{
	xpc_object_t d = xpc_fd_create(o->fd);
	if (d)
		d->type = o->type;
	return d;
}

static xpc_object_t array_copy(xpc_object_t o)
{
	xpc_object_t a = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < o->arr.count; i++)
		array_set_owned(a, XPC_ARRAY_APPEND, xpc_copy(o->arr.items[i]));
	return a;
}

static bool scalar_equal(xpc_object_t a, xpc_object_t b)
{
	xpc_type_t t = a->type;
	if (t == XPC_TYPE_NULL)
		return true;
	if (t == XPC_TYPE_BOOL)
		return a->b == b->b;
	if (t == XPC_TYPE_INT64 || t == XPC_TYPE_DATE)
		return a->i == b->i;
	if (t == XPC_TYPE_UINT64)
		return a->u == b->u;
	if (t == XPC_TYPE_DOUBLE) /* bitwise too, so that a NaN equals its own copy */
		return a->d == b->d || memcmp(&a->d, &b->d, sizeof(a->d)) == 0;
	return memcmp(a->uuid, b->uuid, 16) == 0;
}

static bool bytes_equal(xpc_object_t a, xpc_object_t b)
{
	return a->bytes.len == b->bytes.len && memcmp(a->bytes.ptr, b->bytes.ptr, a->bytes.len) == 0;
}

static bool array_equal(xpc_object_t a, xpc_object_t b)
{
	if (a->arr.count != b->arr.count)
		return false;
	for (size_t i = 0; i < a->arr.count; i++)
		if (!xpc_equal(a->arr.items[i], b->arr.items[i]))
			return false;
	return true;
}

xpc_object_t xpc_copy(xpc_object_t o)
{
	if (!o)
		return NULL;
	if (o->type->copy)
		return o->type->copy(o);
	xpc_object_t c = xpc_object_alloc(o->type);
	memcpy(c->uuid, o->uuid, sizeof(c->uuid)); /* covers every scalar member */
	return c;
}

bool xpc_equal(xpc_object_t a, xpc_object_t b)
{
	if (a == b)
		return true;
	if (!a || !b || a->type != b->type)
		return false;
	return a->type->equal && a->type->equal(a, b);
}

static size_t hash_bytes(const void *p, size_t n, size_t h)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211u;
	return h;
}

size_t xpc_hash(xpc_object_t o)
{
	size_t h = 14695981039346656037u;
	if (!o)
		return 0;
	h = hash_bytes(&o->type, sizeof(o->type), h);
	xpc_type_t t = o->type;
	if (t == XPC_TYPE_STRING || t == XPC_TYPE_DATA)
		return hash_bytes(o->bytes.ptr, o->bytes.len, h);
	if (t == XPC_TYPE_UUID)
		return hash_bytes(o->uuid, 16, h);
	if (t == XPC_TYPE_BOOL)
		return hash_bytes(&o->b, 1, h);
	if (t == XPC_TYPE_INT64 || t == XPC_TYPE_UINT64 || t == XPC_TYPE_DATE || t == XPC_TYPE_DOUBLE)
		return hash_bytes(&o->i, 8, h);
	if (t == XPC_TYPE_ARRAY)
		return hash_bytes(&o->arr.count, sizeof(size_t), h);
	if (t->keyed)
		return hash_bytes(&o->dict.count, sizeof(size_t), h);
	return hash_bytes(&o, sizeof(o), h);
}

/* Description */

struct strbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = sb->cap - sb->len;
		va_start(ap, fmt);
		int n = vsnprintf(sb->p ? sb->p + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			sb->len += (size_t)n;
			return;
		}
		sb->cap = (sb->cap + (size_t)n + 1) * 2;
		sb->p = xpc_xrealloc(sb->p, sb->cap);
	}
}

static void describe(struct strbuf *sb, xpc_object_t o, int depth)
{
	xpc_type_t t = xpc_get_type(o);
	if (!o) {
		sb_printf(sb, "<null pointer>");
	} else if (t == XPC_TYPE_NULL) {
		sb_printf(sb, "<null>");
	} else if (t == XPC_TYPE_BOOL) {
		sb_printf(sb, "<bool: %s>", o->b ? "true" : "false");
	} else if (t == XPC_TYPE_INT64) {
		sb_printf(sb, "<int64: %" PRId64 ">", o->i);
	} else if (t == XPC_TYPE_UINT64) {
		sb_printf(sb, "<uint64: %" PRIu64 ">", o->u);
	} else if (t == XPC_TYPE_DOUBLE) {
		sb_printf(sb, "<double: %g>", o->d);
	} else if (t == XPC_TYPE_DATE) {
		sb_printf(sb, "<date: %" PRId64 " ns>", o->i);
	} else if (t == XPC_TYPE_STRING) {
		sb_printf(sb, "<string: \"%s\">", o->bytes.ptr);
	} else if (t == XPC_TYPE_DATA) {
		sb_printf(sb, "<data: %zu bytes>", o->bytes.len);
	} else if (t == XPC_TYPE_UUID) {
		sb_printf(sb, "<uuid: ");
		for (int i = 0; i < 16; i++)
			sb_printf(sb, "%02x%s", o->uuid[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
		sb_printf(sb, ">");
	} else if (t == XPC_TYPE_FD) {
		sb_printf(sb, "<fd: %d>", o->fd);
	} else if (t == XPC_TYPE_ARRAY) {
		sb_printf(sb, "<array: count = %zu> [\n", o->arr.count);
		for (size_t i = 0; i < o->arr.count; i++) {
			sb_printf(sb, "%*s%zu: ", (depth + 1) * 2, "", i);
			describe(sb, o->arr.items[i], depth + 1);
			sb_printf(sb, "\n");
		}
		sb_printf(sb, "%*s]", depth * 2, "");
	} else if (!t->keyed) { /* endpoints, connections */
		sb_printf(sb, "<%s: %p>", t->name, (void *)o);
	} else {
		sb_printf(sb, "<%s: count = %zu> {\n", t->name, o->dict.count);
		for (size_t i = 0; i < o->dict.count; i++) {
			sb_printf(sb, "%*s\"%s\" => ", (depth + 1) * 2, "", o->dict.ent[i].key);
			describe(sb, o->dict.ent[i].value, depth + 1);
			sb_printf(sb, "\n");
		}
		sb_printf(sb, "%*s}", depth * 2, "");
	}
}

char *xpc_copy_description(xpc_object_t o)
{
	struct strbuf sb = {0};
	describe(&sb, o, 0);
	if (!sb.p)
		return xpc_xstrdup("");
	return sb.p;
}
