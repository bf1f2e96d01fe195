/*
 * The overrides database (see overrides.h), stored as an XML plist of
 * label => true|false like macOS's disabled.plist. The file is watched: an
 * edit by another program while launchd runs is taken at once, and
 * launchd's own next write starts from what the file holds then.
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
#include "pathwatch.h"
#include "safefile.h"
#include "oom.h"

/* An overrides file larger than this is refused: a label per line would be hundreds of thousands of jobs. */
#define OVERRIDES_MAX (16u * 1024 * 1024)

static void add(struct override **entries, size_t *count, const char *label, bool disabled)
{
	struct override *grown = realloc(*entries, (*count + 1) * sizeof(**entries));
	if (!grown || !(grown[*count].label = strdup(label)))
		gantry_oom();
	grown[*count].disabled = disabled;
	*entries = grown;
	(*count)++;
}

static void free_entries(struct override *entries, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(entries[i].label);
	free(entries);
}

static void move_aside(const char *path, const char *why)
{
	char aside[PATH_MAX + 32];
	snprintf(aside, sizeof(aside), "%s.corrupt-%ld", path, (long)time(NULL));
	if (rename(path, aside) < 0) {
		log_msg(LOG_ERR, "overrides file %s %s, and cannot be moved aside: %s", path, why, strerror(errno));
		return;
	}
	log_msg(LOG_ERR, "overrides file %s %s; moved it to %s and started with no overrides", path, why, aside);
}

/*
 * Reads the file at path: 0 with its entries, ENOENT if there is none, or another errno with why set
 * (EINVAL: not a property-list dictionary).
 */
static int parse_file(const char *path, struct override **entries, size_t *count, char *why, size_t whylen)
{
	*entries = NULL;
	*count = 0;
	size_t len;
	int err = 0;
	char *buf = gantry_read_regular(path, OVERRIDES_MAX, &len, &err, why, whylen);
	if (!buf)
		return err;
	plist_t root = NULL;
	if (len)
		plist_from_memory(buf, (uint32_t)len, &root);
	free(buf);
	if (!root || plist_get_node_type(root) != PLIST_DICT) {
		plist_free(root);
		snprintf(why, whylen, "is not a property-list dictionary");
		return EINVAL;
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
		uint8_t b;
		if (plist_get_node_type(v) == PLIST_BOOLEAN) {
			plist_get_bool_val(v, &b);
			add(entries, count, key, b);
		} else {
			log_msg(LOG_WARNING, "overrides file %s: entry \"%s\" is not a boolean; ignored", path, key);
		}
		free(key);
	}
	free(it);
	plist_free(root);
	return 0;
}

/*
 * Takes what the file holds now: another program (an editor, a configuration tool) may have changed it. No
 * file is no overrides; a file that cannot be read or parsed — perhaps being written in place — leaves the
 * overrides launchd has, so nothing is lost.
 */
static void reload(struct overrides *ov)
{
	struct override *entries;
	size_t count;
	char why[256];
	int r = parse_file(ov->path, &entries, &count, why, sizeof(why));
	if (r && r != ENOENT) {
		log_msg(LOG_WARNING, "overrides file %s %s; keeping the %zu overrides launchd has", ov->path, why, ov->count);
		return;
	}
	free_entries(ov->entries, ov->count);
	ov->entries = entries;
	ov->count = count;
}

static void on_file_changed(const char *path, void *ctx)
{
	(void)path;
	reload(ctx);
}

void overrides_load(struct overrides *ov, const char *path)
{
	memset(ov, 0, sizeof(*ov));
	snprintf(ov->path, sizeof(ov->path), "%s", path);
	char why[256];
	int r = parse_file(path, &ov->entries, &ov->count, why, sizeof(why));
	if (r == EINVAL)
		move_aside(path, why);
	else if (r && r != ENOENT)
		log_msg(LOG_ERR, "cannot read overrides file %s: %s", path, why);
	pathwatch_add(ov->path, on_file_changed, ov);
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
	reload(ov); /* what another program wrote since is kept: only this label changes */
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
	add(&ov->entries, &ov->count, label, disabled);
	if (save(ov, e)) {
		free(ov->entries[--ov->count].label);
		return e->code;
	}
	return 0;
}

void overrides_free(struct overrides *ov)
{
	pathwatch_remove(ov->path, on_file_changed, ov);
	free_entries(ov->entries, ov->count);
	ov->entries = NULL;
	ov->count = 0;
}
