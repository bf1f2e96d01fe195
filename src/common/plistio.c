/* Safe property-list parsing (see plistio.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plistio.h"
#include "safefile.h"
#include "oom.h"

/* Larger files are refused rather than read into memory. */
#define PLIST_FILE_MAX (4 * 1024 * 1024)
/*
 * Bounds on what a plist may expand to before libplist builds it (libplist
 * 2.2 recurses once per level and copies shared binary objects): a job file
 * has a few hundred objects at a depth below 8.
 */
#define PLIST_MAX_DEPTH 64
#define PLIST_MAX_OBJECTS 100000

/* Big-endian unsigned integer of n bytes at p. */
static uint64_t be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | *p++;
	return v;
}

/*
 * libplist 2.2 asserts — aborts the process — when a string or dictionary
 * key of a binary plist holds a NUL character, and launchd must survive any
 * file. This walks the object table and finds such strings first. Returns
 * the offending object's offset, 0 if there is none, or -1 if the file is
 * too malformed to walk (libplist then refuses it).
 */
static long bplist_nul_string(const unsigned char *b, size_t len)
{
	if (len < 8 + 32)
		return -1;
	const unsigned char *t = b + len - 32;
	size_t osize = t[6];
	uint64_t nobj = be(t + 8, 8), table = be(t + 24, 8);
	if (osize < 1 || osize > 8 || table >= len || nobj > (len - table) / osize)
		return -1;
	for (uint64_t i = 0; i < nobj; i++) {
		uint64_t off = be(b + table + i * osize, osize);
		if (off >= len)
			return -1;
		unsigned marker = b[off], kind = marker >> 4;
		if (kind != 5 && kind != 6)
			continue;
		uint64_t count = marker & 0xf, start = off + 1;
		if (count == 0xf) { /* the length follows as an integer object */
			if (start >= len || (b[start] >> 4) != 1 || (b[start] & 0xf) > 3)
				return -1;
			size_t n = (size_t)1 << (b[start] & 0xf);
			if (start + 1 + n > len)
				return -1;
			count = be(b + start + 1, n);
			start += 1 + n;
		}
		uint64_t bytes = kind == 6 ? count * 2 : count;
		if (count > len || start + bytes > len)
			return -1;
		for (uint64_t k = 0; k < bytes; k += kind == 6 ? 2 : 1)
			if (b[start + k] == 0 && (kind == 5 || b[start + k + 1] == 0))
				return (long)off;
	}
	return 0;
}

/*
 * Depth and object count of a binary plist as libplist would build it
 * (a shared object counts once per reference), walked from the top object
 * with an explicit stack: no recursion, linear in the object table, cycles
 * refused. Returns 0 if within bounds, else writes why and returns -1.
 */
struct bwalk {
	const unsigned char *b;
	size_t len, osize, rsize, table;
	uint64_t nobj;
};

/* The refs an array, set or dictionary holds: *first at its offset, *n of them. */
static bool container_refs(const struct bwalk *w, uint64_t obj, uint64_t *first, uint64_t *n)
{
	uint64_t off = be(w->b + w->table + obj * w->osize, w->osize);
	if (off >= w->len)
		return false;
	unsigned kind = w->b[off] >> 4;
	*n = 0;
	if (kind != 0xa && kind != 0xc && kind != 0xd)
		return true;
	uint64_t count = w->b[off] & 0xf, start = off + 1;
	if (count == 0xf) {
		if (start >= w->len || (w->b[start] >> 4) != 1 || (w->b[start] & 0xf) > 3)
			return false;
		size_t k = (size_t)1 << (w->b[start] & 0xf);
		if (start + 1 + k > w->len)
			return false;
		count = be(w->b + start + 1, k);
		start += 1 + k;
	}
	if (kind == 0xd)
		count *= 2;
	if (count > w->len || start + count * w->rsize > w->len)
		return false;
	*first = start;
	*n = count;
	return true;
}

static int bplist_bounds(const unsigned char *b, size_t len, char *why, size_t whylen)
{
	const unsigned char *t = b + len - 32;
	struct bwalk w = {.b = b, .len = len, .osize = t[6], .rsize = t[7], .table = be(t + 24, 8), .nobj = be(t + 8, 8)};
	uint64_t top = be(t + 16, 8);
	if (w.rsize < 1 || w.rsize > 8 || top >= w.nobj)
		return 0; /* libplist refuses it */
	uint64_t *size = calloc(w.nobj, sizeof(*size)); /* expanded objects below, once done */
	uint32_t *depth = calloc(w.nobj, sizeof(*depth));
	unsigned char *state = calloc(w.nobj, 1);       /* 0 new, 1 on the stack, 2 done */
	struct frame { uint64_t obj, first, n, i; } *stack = malloc(sizeof(*stack) * (PLIST_MAX_DEPTH + 1));
	if (!size || !depth || !state || !stack)
		gantry_oom();
	int sp = 0, r = 0;
	stack[0] = (struct frame){top, 0, 0, 0};
	state[top] = 1;
	if (!container_refs(&w, top, &stack[0].first, &stack[0].n))
		r = 1;
	size[top] = 1;
	while (sp >= 0 && r == 0) {
		struct frame *f = &stack[sp];
		if (f->i == f->n) { /* done with f: fold it into its parent */
			state[f->obj] = 2;
			if (sp > 0) {
				struct frame *p = &stack[sp - 1];
				size[p->obj] += size[f->obj];
				if (depth[f->obj] + 1 > depth[p->obj])
					depth[p->obj] = depth[f->obj] + 1;
				if (size[p->obj] > PLIST_MAX_OBJECTS)
					r = 2;
			}
			sp--;
			continue;
		}
		uint64_t child = be(b + f->first + f->i * w.rsize, w.rsize);
		f->i++;
		if (child >= w.nobj) {
			r = 1;
		} else if (state[child] == 1) {
			r = 3;
		} else if (state[child] == 2) { /* shared: counted again, as libplist copies it */
			if ((uint64_t)sp + 1 + depth[child] > PLIST_MAX_DEPTH)
				r = 4;
			size[f->obj] += size[child];
			if (depth[child] + 1 > depth[f->obj])
				depth[f->obj] = depth[child] + 1;
			if (size[f->obj] > PLIST_MAX_OBJECTS)
				r = 2;
		} else if (sp + 1 > PLIST_MAX_DEPTH) {
			r = 4;
		} else {
			struct frame *c = &stack[++sp];
			*c = (struct frame){child, 0, 0, 0};
			state[child] = 1;
			size[child] = 1;
			if (!container_refs(&w, child, &c->first, &c->n))
				r = 1;
		}
	}
	free(size);
	free(depth);
	free(state);
	free(stack);
	if (r == 2)
		snprintf(why, whylen, "binary property list: more than %d objects once shared references are expanded",
			PLIST_MAX_OBJECTS);
	else if (r == 3)
		snprintf(why, whylen, "binary property list: an array or dictionary contains itself");
	else if (r == 4)
		snprintf(why, whylen, "binary property list: nested deeper than %d levels", PLIST_MAX_DEPTH);
	else if (r == 1)
		snprintf(why, whylen, "corrupt binary property list (a reference or length points outside the file)");
	return r ? -1 : 0;
}

/*
 * The same bounds for XML, by a scan of the tags (conservative: a tag
 * inside a comment or CDATA counts too). Returns 0 or -1 with why.
 */
static int xml_bounds(const char *buf, size_t len, char *why, size_t whylen)
{
	long depth = 0, objects = 0;
	for (const char *p = buf, *end = buf + len; p < end; p++) {
		if (*p != '<' || p + 1 >= end || p[1] == '?' || p[1] == '!')
			continue;
		bool closing = p[1] == '/';
		const char *name = p + 1 + closing;
		bool container = (end - name >= 5 && memcmp(name, "array", 5) == 0) ||
				 (end - name >= 4 && memcmp(name, "dict", 4) == 0);
		const char *gt = memchr(p, '>', (size_t)(end - p));
		bool empty = gt && gt[-1] == '/';
		if (closing) {
			depth -= container;
			continue;
		}
		if (++objects > 2L * PLIST_MAX_OBJECTS) { /* a <key> and its value per entry */
			snprintf(why, whylen, "XML property list: more than %d elements", 2 * PLIST_MAX_OBJECTS);
			return -1;
		}
		if (container && !empty && ++depth > PLIST_MAX_DEPTH + 1) { /* <plist> is not a container */
			snprintf(why, whylen, "XML property list: nested deeper than %d levels", PLIST_MAX_DEPTH);
			return -1;
		}
	}
	return 0;
}

plist_t gantry_plist_parse(const char *buf, size_t len, char *why, size_t whylen)
{
	plist_t root = NULL;
	if (len == 0) {
		snprintf(why, whylen, "empty file");
		return NULL;
	}
	if (len < 8 || memcmp(buf, "bplist00", 8) != 0) {
		if (xml_bounds(buf, len, why, whylen))
			return NULL;
		plist_from_xml(buf, (uint32_t)len, &root);
		if (!root)
			snprintf(why, whylen, "%s", GANTRY_PLIST_XML_INVALID);
		return root;
	}
	long nul = bplist_nul_string((const unsigned char *)buf, len);
	if (nul > 0) {
		snprintf(why, whylen, "binary property list: the string or key at byte %ld contains a NUL character", nul);
		return NULL;
	}
	if (nul == 0 && bplist_bounds((const unsigned char *)buf, len, why, whylen))
		return NULL;
	if (nul == 0)
		plist_from_bin(buf, (uint32_t)len, &root);
	if (!root)
		snprintf(why, whylen, "corrupt binary property list");
	return root;
}

plist_t gantry_plist_load(const char *path, char *why, size_t whylen)
{
	size_t len = 0;
	int err;
	char *buf = gantry_read_regular(path, PLIST_FILE_MAX, &len, &err, why, whylen);
	if (!buf)
		return NULL;
	plist_t root = gantry_plist_parse(buf, len, why, whylen);
	if (!root) {
		char inner[160];
		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, whylen, "%s: %s", path, inner);
	}
	free(buf);
	return root;
}

plist_t *gantry_plist_array_items(plist_t array, uint32_t *n)
{
	uint32_t count = plist_array_get_size(array), k = 0;
	plist_t *items = calloc(count + 1, sizeof(*items));
	plist_array_iter it = NULL;
	if (!items)
		gantry_oom();
	plist_array_new_iter(array, &it);
	for (plist_t item = NULL; it && k < count; k++) {
		plist_array_next_item(array, it, &item);
		if (!item)
			break;
		items[k] = item;
	}
	free(it);
	*n = k;
	return items;
}

char *gantry_plist_string(plist_t node)
{
	char *s = NULL;
	if (node && plist_get_node_type(node) == PLIST_STRING)
		plist_get_string_val(node, &s);
	return s;
}
