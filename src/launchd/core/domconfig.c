/* A domain's persistent configuration (see domconfig.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "domconfig.h"
#include "errors.h"
#include "log.h"
#include "plistio.h"
#include "oom.h"

void domconfig_load(struct domain_config *c, const char *file)
{
	c->umask = -1;
	c->path = NULL;
	snprintf(c->file, sizeof(c->file), "%s", file);
	char why[256];
	if (access(file, F_OK) < 0 && errno == ENOENT)
		return;
	plist_t root = gantry_plist_load(file, why, sizeof(why));
	if (!root) {
		log_msg(LOG_WARNING, "domain configuration %s: %s; using launchd's defaults", file, why);
		return;
	}
	plist_t um = plist_dict_get_item(root, "umask"), path = plist_dict_get_item(root, "path");
	uint64_t v;
	if (um && plist_get_node_type(um) == PLIST_UINT && (plist_get_uint_val(um, &v), v <= 0777))
		c->umask = (int)v;
	if (path && plist_get_node_type(path) == PLIST_STRING)
		plist_get_string_val(path, &c->path);
	plist_free(root);
}

static int save(const struct domain_config *c, struct gerror *e)
{
	plist_t root = plist_new_dict();
	if (c->umask >= 0)
		plist_dict_set_item(root, "umask", plist_new_uint((uint64_t)c->umask));
	if (c->path)
		plist_dict_set_item(root, "path", plist_new_string(c->path));
	char *xml = NULL, err[512];
	uint32_t len = 0;
	plist_to_xml(root, &xml, &len);
	plist_free(root);
	int r = atomic_write_file(c->file, xml, len, 0644, err, sizeof(err));
	plist_to_xml_free(xml);
	return r ? gerror_set(e, darwin_errno(r), "could not save %s: %s", c->file, err) : 0;
}

int domconfig_set(struct domain_config *c, const char *key, const char *value, struct gerror *e)
{
	struct domain_config old = *c;
	if (strcmp(key, "umask") == 0) {
		char *end;
		long v = strtol(value, &end, 8);
		if (!*value || *end || v < 0 || v > 0777)
			return gerror_set(e, EINVAL, "umask \"%s\": expected an octal value from 0 to 777", value);
		c->umask = (int)v;
	} else if (strcmp(key, "path") == 0) {
		if (!*value || strlen(value) > 4096)
			return gerror_set(e, EINVAL, "path: expected a PATH of 1 to 4096 characters");
		c->path = strdup(value);
		if (!c->path)
			gantry_oom();
	} else {
		return gerror_set(e, EINVAL, "\"%s\" is not a setting (umask, path)", key);
	}
	if (save(c, e)) {
		if (c->path != old.path)
			free(c->path);
		*c = old;
		return e->code;
	}
	if (old.path != c->path)
		free(old.path);
	return 0;
}
