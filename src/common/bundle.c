/* App bundles (see bundle.h). */
#include <errno.h>
#include <limits.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "plistio.h"

bool bundle_enclosing(const char *path, char *bundle, size_t len)
{
	static const char marker[] = ".app/Contents/";
	const char *hit = NULL;
	for (const char *p = strstr(path, marker); p; p = strstr(p + 1, marker))
		hit = p;
	if (!hit || hit == path || hit[-1] == '/')
		return false;
	size_t n = (size_t)(hit - path) + strlen(".app");
	if (n >= len)
		return false;
	memcpy(bundle, path, n);
	bundle[n] = '\0';
	return true;
}

int bundle_read_info(const char *bundle, struct bundle_info *info, char *why, size_t whylen)
{
	char path[PATH_MAX];
	memset(info, 0, sizeof(*info));
	if ((size_t)snprintf(path, sizeof(path), "%s/Contents/Info.plist", bundle) >= sizeof(path)) {
		snprintf(why, whylen, "bundle path too long: %s", bundle);
		return ENAMETOOLONG;
	}
	if (access(path, F_OK) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return errno;
	}
	plist_t root = gantry_plist_load(path, why, whylen);
	if (!root)
		return EINVAL;
	if (plist_get_node_type(root) != PLIST_DICT) {
		snprintf(why, whylen, "%s: the root is not a dictionary", path);
		plist_free(root);
		return EINVAL;
	}
	info->identifier = gantry_plist_string(plist_dict_get_item(root, "CFBundleIdentifier"));
	info->version = gantry_plist_string(plist_dict_get_item(root, "CFBundleVersion"));
	if (!info->version)
		info->version = gantry_plist_string(plist_dict_get_item(root, "CFBundleShortVersionString"));
	info->executable = gantry_plist_string(plist_dict_get_item(root, "CFBundleExecutable"));
	plist_free(root);
	return 0;
}

void bundle_info_clear(struct bundle_info *info)
{
	free(info->identifier);
	free(info->version);
	free(info->executable);
	memset(info, 0, sizeof(*info));
}
