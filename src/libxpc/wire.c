/*
 * libxpc wire format: encodes an object tree into the typed TLV body of
 * docs/wire-format.md and decodes it defensively (every length checked
 * against what is left, bounded depth, no duplicate keys, every descriptor
 * index used at most once).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct enc {
	uint8_t *p;
	size_t len, cap;
	int *fds;
	size_t nfds;
	int err;
};

static void put(struct enc *e, const void *src, size_t n)
{
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 256;
		while (cap < e->len + n)
			cap *= 2;
		e->p = xpc_xrealloc(e->p, cap);
		e->cap = cap;
	}
	memcpy(e->p + e->len, src, n);
	e->len += n;
}

static void put_u8(struct enc *e, uint8_t v) { put(e, &v, 1); }

static void put_u32(struct enc *e, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(e, b, 4);
}

static void put_u64(struct enc *e, uint64_t v)
{
	put_u32(e, (uint32_t)v);
	put_u32(e, (uint32_t)(v >> 32));
}

static void put_bytes(struct enc *e, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		e->err = EMSGSIZE;
		return;
	}
	put_u32(e, (uint32_t)n);
	put(e, p, n);
}

static void encode(struct enc *e, xpc_object_t o, int depth)
{
	if (e->err)
		return;
	if (depth > XPC_WIRE_MAX_DEPTH) {
		e->err = ELOOP;
		return;
	}
	xpc_type_t t = o->type;
	if (!t->wire_tag) {
		e->err = EINVAL; /* connections travel as endpoints, not inline */
		return;
	}
	put_u8(e, t->wire_tag);
	if (t == XPC_TYPE_NULL) {
		return;
	} else if (t == XPC_TYPE_BOOL) {
		put_u8(e, o->b ? 1 : 0);
	} else if (t == XPC_TYPE_INT64 || t == XPC_TYPE_DATE) {
		put_u64(e, (uint64_t)o->i);
	} else if (t == XPC_TYPE_UINT64) {
		put_u64(e, o->u);
	} else if (t == XPC_TYPE_DOUBLE) {
		uint64_t bits;
		memcpy(&bits, &o->d, 8);
		put_u64(e, bits);
	} else if (t == XPC_TYPE_STRING || t == XPC_TYPE_DATA) {
		put_bytes(e, o->bytes.ptr, o->bytes.len);
	} else if (t == XPC_TYPE_UUID) {
		put(e, o->uuid, 16);
	} else if (t == XPC_TYPE_FD || t == XPC_TYPE_ENDPOINT || t == XPC_TYPE_SHMEM) {
		if (e->nfds >= XPC_WIRE_MAX_FDS) {
			e->err = ETOOMANYREFS;
			return;
		}
		put_u32(e, (uint32_t)e->nfds);
		e->fds[e->nfds++] = t == XPC_TYPE_SHMEM ? o->shm.fd : o->fd;
		if (t == XPC_TYPE_SHMEM)
			put_u64(e, o->shm.length);
	} else if (t == XPC_TYPE_ARRAY) {
		put_u32(e, (uint32_t)o->arr.count);
		for (size_t i = 0; i < o->arr.count; i++)
			encode(e, o->arr.items[i], depth + 1);
	} else {
		put_u32(e, (uint32_t)o->dict.count);
		for (size_t i = 0; i < o->dict.count; i++) {
			put_bytes(e, o->dict.ent[i].key, strlen(o->dict.ent[i].key));
			encode(e, o->dict.ent[i].value, depth + 1);
		}
	}
}

int xpc_wire_encode(xpc_object_t root, uint8_t **out, size_t *out_len, int *fds, size_t *nfds)
{
	struct enc e = {.fds = fds};
	if (!root)
		return EINVAL;
	encode(&e, root, 0);
	if (e.err) {
		free(e.p);
		return e.err;
	}
	*out = e.p;
	*out_len = e.len;
	*nfds = e.nfds;
	return 0;
}

struct dec {
	const uint8_t *p;
	size_t left, off;
	const int *fds;
	size_t nfds;
	bool *used;
	char *err;
	size_t errlen;
	bool failed;
};

static bool fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct dec *d, const char *fmt, ...)
{
	if (!d->failed && d->err && d->errlen) {
		int n = snprintf(d->err, d->errlen, "at byte %zu: ", d->off);
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < d->errlen)
			vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	d->failed = true;
	return false;
}

static bool take(struct dec *d, void *dst, size_t n)
{
	if (n > d->left)
		return fail(d, "truncated: need %zu bytes, %zu left", n, d->left);
	memcpy(dst, d->p, n);
	d->p += n;
	d->left -= n;
	d->off += n;
	return true;
}

static bool get_u32(struct dec *d, uint32_t *v)
{
	uint8_t b[4] = {0};
	if (!take(d, b, 4))
		return false;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return true;
}

static bool get_u64(struct dec *d, uint64_t *v)
{
	uint32_t lo, hi;
	if (!get_u32(d, &lo) || !get_u32(d, &hi))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* A length-prefixed byte run; returns a NUL-terminated malloc'd copy. */
static char *get_bytes(struct dec *d, size_t *len, bool text)
{
	uint32_t n;
	if (!get_u32(d, &n))
		return NULL;
	if (n > d->left) {
		fail(d, "length %u exceeds the %zu bytes left", n, d->left);
		return NULL;
	}
	if (text && memchr(d->p, 0, n)) {
		fail(d, "string or key contains a NUL byte");
		return NULL;
	}
	char *s = malloc((size_t)n + 1);
	if (!s) {
		fail(d, "out of memory for %u bytes", n);
		return NULL;
	}
	take(d, s, n);
	s[n] = '\0';
	*len = n;
	return s;
}

static xpc_object_t decode(struct dec *d, int depth);

static xpc_object_t decode_array(struct dec *d, int depth)
{
	uint32_t n;
	if (!get_u32(d, &n))
		return NULL;
	if (n > d->left)
		return fail(d, "array count %u exceeds the bytes left", n), NULL;
	xpc_object_t a = xpc_object_alloc(XPC_TYPE_ARRAY);
	a->arr.items = xpc_xalloc((n ? n : 1) * sizeof(*a->arr.items));
	a->arr.cap = n;
	for (uint32_t i = 0; i < n; i++) {
		xpc_object_t v = decode(d, depth + 1);
		if (!v) {
			xpc_release(a);
			return NULL;
		}
		a->arr.items[a->arr.count++] = v;
	}
	return a;
}

static xpc_object_t decode_dict(struct dec *d, xpc_type_t t, int depth)
{
	uint32_t n;
	if (!get_u32(d, &n))
		return NULL;
	if (n > d->left / 5)
		return fail(d, "dictionary count %u exceeds the bytes left", n), NULL;
	xpc_object_t o = xpc_object_alloc(t);
	for (uint32_t i = 0; i < n; i++) {
		size_t klen;
		char *key = get_bytes(d, &klen, true);
		if (!key)
			goto bad;
		if (xpc_dictionary_get_value(o, key)) {
			fail(d, "duplicate key \"%.64s\"", key);
			free(key);
			goto bad;
		}
		xpc_object_t v = decode(d, depth + 1);
		if (!v) {
			free(key);
			goto bad;
		}
		xpc_dictionary_append_owned(o, key, v);
	}
	return o;
bad:
	xpc_release(o);
	return NULL;
}

static xpc_object_t decode_fd(struct dec *d)
{
	uint32_t idx;
	if (!get_u32(d, &idx))
		return NULL;
	if (idx >= d->nfds)
		return fail(d, "descriptor index %u but %zu descriptors arrived", idx, d->nfds), NULL;
	if (d->used[idx])
		return fail(d, "descriptor index %u used twice", idx), NULL;
	d->used[idx] = true;
	return xpc_fd_adopt(d->fds[idx]);
}

static xpc_object_t decode_shmem(struct dec *d)
{
	xpc_object_t fd = decode_fd(d);
	uint64_t length;
	if (!fd)
		return NULL;
	if (!get_u64(d, &length)) {
		xpc_release(fd);
		return NULL;
	}
	char why[128];
	xpc_object_t o = xpc_shmem_adopt(xpc_fd_dup(fd), length, why, sizeof(why));
	xpc_release(fd);
	return o ? o : (fail(d, "%s", why), NULL);
}

static xpc_object_t decode(struct dec *d, int depth)
{
	uint8_t tag = 0;
	uint64_t v;
	size_t len;
	if (depth > XPC_WIRE_MAX_DEPTH)
		return fail(d, "nesting deeper than %d", XPC_WIRE_MAX_DEPTH), NULL;
	if (!take(d, &tag, 1))
		return NULL;
	switch (tag) {
	case 0x01:
		return xpc_null_create();
	case 0x02: {
		uint8_t b = 0;
		if (!take(d, &b, 1))
			return NULL;
		if (b > 1)
			return fail(d, "bool byte is %u, expected 0 or 1", b), NULL;
		return xpc_bool_create(b);
	}
	case 0x03:
		return get_u64(d, &v) ? xpc_int64_create((int64_t)v) : NULL;
	case 0x04:
		return get_u64(d, &v) ? xpc_uint64_create(v) : NULL;
	case 0x05: {
		double x;
		if (!get_u64(d, &v))
			return NULL;
		memcpy(&x, &v, 8);
		return xpc_double_create(x);
	}
	case 0x06:
		return get_u64(d, &v) ? xpc_date_create((int64_t)v) : NULL;
	case 0x07: {
		char *b = get_bytes(d, &len, false);
		if (!b)
			return NULL;
		xpc_object_t o = xpc_object_alloc(XPC_TYPE_DATA);
		o->bytes.ptr = b;
		o->bytes.len = len;
		return o;
	}
	case 0x08: {
		char *s = get_bytes(d, &len, true);
		return s ? xpc_string_adopt(s, len) : NULL;
	}
	case 0x09: {
		uint8_t u[16];
		return take(d, u, 16) ? xpc_uuid_create(u) : NULL;
	}
	case 0x0a:
		return decode_fd(d);
	case 0x0e: { /* an endpoint: its door descriptor */
		xpc_object_t o = decode_fd(d);
		if (o)
			o->type = XPC_TYPE_ENDPOINT;
		return o;
	}
	case 0x0f: /* shared memory: a sealed memfd and its length */
		return decode_shmem(d);
	case 0x0b:
		return decode_array(d, depth);
	case 0x0c:
		return decode_dict(d, XPC_TYPE_DICTIONARY, depth);
	case 0x0d:
		return decode_dict(d, XPC_TYPE_ERROR, depth);
	default:
		d->off--;
		return fail(d, "unknown type tag 0x%02x", tag), NULL;
	}
}

int xpc_wire_decode(const uint8_t *buf, size_t len, const int *fds, size_t nfds,
	xpc_object_t *out, char *err, size_t errlen)
{
	bool used[XPC_WIRE_MAX_FDS] = {false};
	struct dec d = {.p = buf, .left = len, .fds = fds, .nfds = nfds, .used = used,
		.err = err, .errlen = errlen};
	xpc_object_t o = NULL;
	if (nfds > XPC_WIRE_MAX_FDS)
		fail(&d, "%zu descriptors, at most %d allowed", nfds, XPC_WIRE_MAX_FDS);
	else
		o = decode(&d, 0);
	if (o && d.left) {
		fail(&d, "%zu bytes of trailing garbage", d.left);
		xpc_release(o);
		o = NULL;
	}
	/* Adopted descriptors belong to their fd objects (closed on release). */
	for (size_t i = 0; i < nfds; i++)
		if (i >= XPC_WIRE_MAX_FDS || !used[i])
			close(fds[i]);
	if (!o) {
		*out = NULL;
		return EBADMSG;
	}
	*out = o;
	return 0;
}
