/*
 * The overrides database (see overrides.h), stored as an XML plist of
 * label => true|false like macOS's disabled.plist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atomicfile.h"
#include "errors.h"
#include "log.h"
#include "overrides.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb)
				abort();
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void add(struct overrides *ov, const char *label, bool disabled)
{
	ov->entries = realloc(ov->entries, (ov->count + 1) * sizeof(*ov->entries));
	if (!ov->entries)
		abort();
	ov->entries[ov->count].label = strdup(label);
	ov->entries[ov->count].disabled = disabled;
	ov->count++;
}

static void move_aside(const char *path, const char *why)
{
	char aside[PATH_MAX + 32];
	snprintf(aside, sizeof(aside), "%s.corrupt-%ld", path, (long)time(NULL));
	rename(path, aside);
	log_msg(LOG_ERR, "overrides file %s %s; moved it to %s and started with no overrides", path, why, aside);
}

void overrides_load(struct overrides *ov, const char *path)
{
	memset(ov, 0, sizeof(*ov));
	snprintf(ov->path, sizeof(ov->path), "%s", path);
	size_t len;
	char *buf = slurp(path, &len);
	if (!buf) {
		if (errno != ENOENT)
			log_msg(LOG_ERR, "cannot read overrides file %s: %s", path, strerror(errno));
		return;
	}
	plist_t root = NULL;
	if (len)
		plist_from_memory(buf, (uint32_t)len, &root);
	free(buf);
	if (!root || plist_get_node_type(root) != PLIST_DICT) {
		plist_free(root);
		move_aside(path, "is not a property-list dictionary");
		return;
	}
	plist_dict_iter it = NULL;
	plist_dict_new_iter(root, &it);
	for (;;) {
		char *key = NULL;
		plist_t v = NULL;
		plist_dict_next_item(root, it, &key, &v);
		if (!v) {
			free(key);
			break;
		}
		if (plist_get_node_type(v) == PLIST_BOOLEAN) {
			uint8_t b;
			plist_get_bool_val(v, &b);
			add(ov, key, b);
		} else {
			log_msg(LOG_WARNING, "overrides file %s: entry \"%s\" is not a boolean; ignored", path, key);
		}
		free(key);
	}
	free(it);
	plist_free(root);
}

bool overrides_get(const struct overrides *ov, const char *label, bool *disabled)
{
	for (size_t i = 0; i < ov->count; i++)
		if (strcmp(ov->entries[i].label, label) == 0) {
			*disabled = ov->entries[i].disabled;
			return true;
		}
	return false;
}

static int save(const struct overrides *ov, struct gerror *e)
{
	plist_t root = plist_new_dict();
	for (size_t i = 0; i < ov->count; i++)
		plist_dict_set_item(root, ov->entries[i].label, plist_new_bool(ov->entries[i].disabled));
	char *xml = NULL;
	uint32_t len = 0;
	plist_to_xml(root, &xml, &len);
	plist_free(root);
	char err[512];
	int r = atomic_write_file(ov->path, xml, len, 0644, err, sizeof(err));
	plist_to_xml_free(xml);
	if (r)
		return gerror_set(e, darwin_errno(r), "could not save the override: %s", err);
	return 0;
}

int overrides_set(struct overrides *ov, const char *label, bool disabled, struct gerror *e)
{
	for (size_t i = 0; i < ov->count; i++) {
		if (strcmp(ov->entries[i].label, label) != 0)
			continue;
		bool old = ov->entries[i].disabled;
		if (old == disabled)
			return 0;
		ov->entries[i].disabled = disabled;
		if (save(ov, e)) {
			ov->entries[i].disabled = old;
			return e->code;
		}
		return 0;
	}
	add(ov, label, disabled);
	if (save(ov, e)) {
		free(ov->entries[--ov->count].label);
		return e->code;
	}
	return 0;
}

void overrides_free(struct overrides *ov)
{
	for (size_t i = 0; i < ov->count; i++)
		free(ov->entries[i].label);
	free(ov->entries);
	ov->entries = NULL;
	ov->count = 0;
}
