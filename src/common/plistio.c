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

/* Larger files are refused rather than read into memory. */
#define PLIST_FILE_MAX (4 * 1024 * 1024)

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

plist_t gantry_plist_parse(const char *buf, size_t len, char *why, size_t whylen)
{
	plist_t root = NULL;
	if (len == 0) {
		snprintf(why, whylen, "empty file");
		return NULL;
	}
	if (len < 8 || memcmp(buf, "bplist00", 8) != 0) {
		plist_from_xml(buf, (uint32_t)len, &root);
		if (!root)
			snprintf(why, whylen, "not a valid XML property list");
		return root;
	}
	long nul = bplist_nul_string((const unsigned char *)buf, len);
	if (nul > 0) {
		snprintf(why, whylen, "binary property list: the string or key at byte %ld contains a NUL character", nul);
		return NULL;
	}
	if (nul == 0)
		plist_from_bin(buf, (uint32_t)len, &root);
	if (!root)
		snprintf(why, whylen, "corrupt binary property list");
	return root;
}

plist_t gantry_plist_load(const char *path, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PLIST_FILE_MAX) {
		snprintf(why, whylen, "%s is not a regular file of at most 4 MiB", path);
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t have = 0;
	ssize_t n = 0;
	while (buf && have < (size_t)st.st_size && (n = read(fd, buf + have, (size_t)st.st_size - have)) > 0)
		have += (size_t)n;
	close(fd);
	plist_t root = NULL;
	if (!buf || n < 0)
		snprintf(why, whylen, "cannot read %s: %s", path, buf ? strerror(errno) : "out of memory");
	else if (!(root = gantry_plist_parse(buf, have, why, whylen))) {
		char inner[160];
		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, whylen, "%s: %s", path, inner);
	}
	free(buf);
	return root;
}

char *gantry_plist_string(plist_t node)
{
	char *s = NULL;
	if (node && plist_get_node_type(node) == PLIST_STRING)
		plist_get_string_val(node, &s);
	return s;
}
