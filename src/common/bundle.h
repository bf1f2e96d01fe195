/*
 * macOS-style app bundles on Linux: finding the bundle that encloses a file
 * (Name.app/Contents/...) and reading its Info.plist. Shared by libxpc peer
 * requirements ("bundle-identifier") and Service Management.
 */
#ifndef GANTRY_BUNDLE_H
#define GANTRY_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The innermost app bundle enclosing path: for
 * /opt/A.app/Contents/Library/LoginItems/B.app/Contents/MacOS/b that is
 * /opt/A.app/Contents/Library/LoginItems/B.app. False if there is none.
 */
bool bundle_enclosing(const char *path, char *bundle, size_t len);

struct bundle_info {
	char *identifier; /* CFBundleIdentifier, or NULL */
	char *version;    /* CFBundleVersion, else CFBundleShortVersionString, or NULL */
	char *executable; /* CFBundleExecutable, or NULL */
};

/* Reads bundle/Contents/Info.plist. Returns 0, or an errno with why set. */
int bundle_read_info(const char *bundle, struct bundle_info *info, char *why, size_t whylen);
void bundle_info_clear(struct bundle_info *info);

#endif
