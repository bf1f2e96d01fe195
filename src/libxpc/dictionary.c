/*
 * libxpc dictionaries (insertion-ordered, typed accessors), error objects and
 * the per-message metadata that received dictionaries carry.
 */
#define _GNU_SOURCE
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

static bool is_dict(xpc_object_t d)
{
	return d && (d->type == XPC_TYPE_DICTIONARY || d->type == XPC_TYPE_ERROR);
}

static struct xpc_dict_entry *find(xpc_object_t d, const char *key)
{
	for (size_t i = 0; i < d->dict.count; i++)
		if (strcmp(d->dict.ent[i].key, key) == 0)
			return &d->dict.ent[i];
	return NULL;
}

void xpc_dictionary_append_owned(xpc_object_t d, char *key, xpc_object_t value)
{
	if (d->dict.count == d->dict.cap) {
		d->dict.cap = d->dict.cap ? d->dict.cap * 2 : 8;
		d->dict.ent = xpc_xrealloc(d->dict.ent, d->dict.cap * sizeof(*d->dict.ent));
	}
	d->dict.ent[d->dict.count].key = key;
	d->dict.ent[d->dict.count].value = value;
	d->dict.count++;
}

xpc_object_t xpc_dictionary_create_empty(void)
{
	return xpc_object_alloc(XPC_TYPE_DICTIONARY);
}

xpc_object_t xpc_dictionary_create(const char *const *keys, xpc_object_t const *values, size_t n)
{
	xpc_object_t d = xpc_dictionary_create_empty();
	for (size_t i = 0; i < n; i++)
		xpc_dictionary_set_value(d, keys[i], values[i]);
	return d;
}

void xpc_dictionary_set_value(xpc_object_t d, const char *key, xpc_object_t value)
{
	if (!is_dict(d) || !key || d->refs == XPC_REFS_IMMORTAL)
		return;
	struct xpc_dict_entry *e = find(d, key);
	if (e && value) {
		xpc_retain(value);
		xpc_release(e->value);
		e->value = value;
	} else if (e) {
		size_t i = (size_t)(e - d->dict.ent);
		free(e->key);
		xpc_release(e->value);
		memmove(e, e + 1, (d->dict.count - i - 1) * sizeof(*e));
		d->dict.count--;
	} else if (value) {
		xpc_dictionary_append_owned(d, xpc_xstrdup(key), xpc_retain(value));
	}
}

xpc_object_t xpc_dictionary_get_value(xpc_object_t d, const char *key)
{
	if (!is_dict(d) || !key)
		return NULL;
	struct xpc_dict_entry *e = find(d, key);
	return e ? e->value : NULL;
}

size_t xpc_dictionary_get_count(xpc_object_t d)
{
	return is_dict(d) ? d->dict.count : 0;
}

bool xpc_dictionary_apply_f(xpc_object_t d, void *ctx, xpc_dictionary_applier_f fn)
{
	if (!is_dict(d))
		return true;
	for (size_t i = 0; i < d->dict.count; i++)
		if (!fn(ctx, d->dict.ent[i].key, d->dict.ent[i].value))
			return false;
	return true;
}

static void set_owned(xpc_object_t d, const char *key, xpc_object_t v)
{
	xpc_dictionary_set_value(d, key, v);
	xpc_release(v);
}

void xpc_dictionary_set_bool(xpc_object_t d, const char *k, bool v) { set_owned(d, k, xpc_bool_create(v)); }
void xpc_dictionary_set_int64(xpc_object_t d, const char *k, int64_t v) { set_owned(d, k, xpc_int64_create(v)); }
void xpc_dictionary_set_uint64(xpc_object_t d, const char *k, uint64_t v) { set_owned(d, k, xpc_uint64_create(v)); }
void xpc_dictionary_set_double(xpc_object_t d, const char *k, double v) { set_owned(d, k, xpc_double_create(v)); }
void xpc_dictionary_set_date(xpc_object_t d, const char *k, int64_t v) { set_owned(d, k, xpc_date_create(v)); }
void xpc_dictionary_set_uuid(xpc_object_t d, const char *k, const unsigned char *u) { set_owned(d, k, xpc_uuid_create(u)); }

void xpc_dictionary_set_data(xpc_object_t d, const char *k, const void *b, size_t n)
{
	set_owned(d, k, xpc_data_create(b, n));
}

void xpc_dictionary_set_string(xpc_object_t d, const char *k, const char *s)
{
	if (s)
		set_owned(d, k, xpc_string_create(s));
	else
		xpc_dictionary_set_value(d, k, NULL);
}

void xpc_dictionary_set_fd(xpc_object_t d, const char *k, int fd)
{
	xpc_object_t o = xpc_fd_create(fd);
	if (o)
		set_owned(d, k, o);
}

bool xpc_dictionary_get_bool(xpc_object_t d, const char *k) { return xpc_bool_get_value(xpc_dictionary_get_value(d, k)); }
int64_t xpc_dictionary_get_int64(xpc_object_t d, const char *k) { return xpc_int64_get_value(xpc_dictionary_get_value(d, k)); }
uint64_t xpc_dictionary_get_uint64(xpc_object_t d, const char *k) { return xpc_uint64_get_value(xpc_dictionary_get_value(d, k)); }
double xpc_dictionary_get_double(xpc_object_t d, const char *k) { return xpc_double_get_value(xpc_dictionary_get_value(d, k)); }
int64_t xpc_dictionary_get_date(xpc_object_t d, const char *k) { return xpc_date_get_value(xpc_dictionary_get_value(d, k)); }
const char *xpc_dictionary_get_string(xpc_object_t d, const char *k) { return xpc_string_get_string_ptr(xpc_dictionary_get_value(d, k)); }
const uint8_t *xpc_dictionary_get_uuid(xpc_object_t d, const char *k) { return xpc_uuid_get_bytes(xpc_dictionary_get_value(d, k)); }
int xpc_dictionary_dup_fd(xpc_object_t d, const char *k) { return xpc_fd_dup(xpc_dictionary_get_value(d, k)); }

const void *xpc_dictionary_get_data(xpc_object_t d, const char *k, size_t *len)
{
	xpc_object_t v = xpc_dictionary_get_value(d, k);
	if (len)
		*len = xpc_data_get_length(v);
	return xpc_data_get_bytes_ptr(v);
}

xpc_object_t xpc_dictionary_get_dictionary(xpc_object_t d, const char *k)
{
	xpc_object_t v = xpc_dictionary_get_value(d, k);
	return xpc_get_type(v) == XPC_TYPE_DICTIONARY ? v : NULL;
}

xpc_object_t xpc_dictionary_get_array(xpc_object_t d, const char *k)
{
	xpc_object_t v = xpc_dictionary_get_value(d, k);
	return xpc_get_type(v) == XPC_TYPE_ARRAY ? v : NULL;
}

bool xpc_dictionary_get_sender(xpc_object_t d, pid_t *pid, uid_t *uid, gid_t *gid)
{
	if (!is_dict(d) || !d->dict.meta)
		return false;
	if (pid)
		*pid = d->dict.meta->pid;
	if (uid)
		*uid = d->dict.meta->uid;
	if (gid)
		*gid = d->dict.meta->gid;
	return true;
}

void xpc_msg_meta_free(struct xpc_msg_meta *m)
{
	if (!m)
		return;
	if (m->conn)
		xpc_release((xpc_object_t)m->conn);
	if (m->pidfd >= 0)
		close(m->pidfd);
	free(m);
}

/* Per-type operations of dictionaries and errors (internal.h). */

static void dict_destroy(xpc_object_t o)
{
	for (size_t i = 0; i < o->dict.count; i++) {
		free(o->dict.ent[i].key);
		xpc_release(o->dict.ent[i].value);
	}
	free(o->dict.ent);
	xpc_msg_meta_free(o->dict.meta);
	if (o->dict.reply_conn)
		xpc_release((xpc_object_t)o->dict.reply_conn);
	free(o);
}

static xpc_object_t dict_copy(xpc_object_t o)
{
	xpc_object_t d = xpc_object_alloc(o->type);
	for (size_t i = 0; i < o->dict.count; i++)
		xpc_dictionary_append_owned(d, xpc_xstrdup(o->dict.ent[i].key), xpc_copy(o->dict.ent[i].value));
	return d;
}

static bool dict_equal(xpc_object_t a, xpc_object_t b)
{
	if (a->dict.count != b->dict.count)
		return false;
	for (size_t i = 0; i < a->dict.count; i++)
		if (!xpc_equal(a->dict.ent[i].value, xpc_dictionary_get_value(b, a->dict.ent[i].key)))
			return false;
	return true;
}

const struct _xpc_type_s _xpc_type_dictionary = {"dictionary", 0x0c, true, dict_destroy, dict_copy, dict_equal};
const struct _xpc_type_s _xpc_type_error = {"error", 0x0d, true, dict_destroy, dict_copy, dict_equal};

/* Errors */

xpc_object_t xpc_error_create(int code, const char *description, const char *cause)
{
	xpc_object_t e = xpc_object_alloc(XPC_TYPE_ERROR);
	xpc_dictionary_set_string(e, XPC_ERROR_KEY_DESCRIPTION, description);
	xpc_dictionary_set_int64(e, XPC_ERROR_KEY_CODE, code);
	if (cause)
		xpc_dictionary_set_string(e, XPC_ERROR_KEY_CAUSE, cause);
	return e;
}

const char *xpc_error_get_description(xpc_object_t e)
{
	return xpc_dictionary_get_string(e, XPC_ERROR_KEY_DESCRIPTION);
}

const char *xpc_error_get_cause(xpc_object_t e)
{
	return xpc_dictionary_get_string(e, XPC_ERROR_KEY_CAUSE);
}

int xpc_error_get_code(xpc_object_t e)
{
	return (int)xpc_dictionary_get_int64(e, XPC_ERROR_KEY_CODE);
}

/* The three well-known errors are immortal objects with one entry each. */
#define STATIC_STRING(name, text)                                              \
	static struct _xpc_object_s name = {                                      \
		.type = &_xpc_type_string, .refs = XPC_REFS_IMMORTAL,           \
		.bytes = {.ptr = (char *)(text), .len = sizeof(text) - 1}}
#define STATIC_ERROR(name, entries)                                            \
	struct _xpc_object_s name = {.type = &_xpc_type_error,                    \
		.refs = XPC_REFS_IMMORTAL,                                      \
		.dict = {.ent = entries, .count = 1, .cap = 1}}

STATIC_STRING(interrupted_text, "Connection interrupted");
STATIC_STRING(invalid_text, "Connection invalid");
STATIC_STRING(imminent_text, "Termination imminent");
STATIC_STRING(requirement_text, "Peer forbidden by code signing requirement");
static struct xpc_dict_entry interrupted_ent[] = {{(char *)XPC_ERROR_KEY_DESCRIPTION, &interrupted_text}};
static struct xpc_dict_entry invalid_ent[] = {{(char *)XPC_ERROR_KEY_DESCRIPTION, &invalid_text}};
static struct xpc_dict_entry imminent_ent[] = {{(char *)XPC_ERROR_KEY_DESCRIPTION, &imminent_text}};
static struct xpc_dict_entry requirement_ent[] = {{(char *)XPC_ERROR_KEY_DESCRIPTION, &requirement_text}};
STATIC_ERROR(_xpc_error_connection_interrupted, interrupted_ent);
STATIC_ERROR(_xpc_error_connection_invalid, invalid_ent);
STATIC_ERROR(_xpc_error_termination_imminent, imminent_ent);
STATIC_ERROR(_xpc_error_peer_code_signing_requirement, requirement_ent);
