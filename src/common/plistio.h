/*
 * Parsing property lists from untrusted bytes with libplist 2.2, which
 * aborts the process on some malformed binary plists; shared by launchd's
 * job parser, libxpc (bundle Info.plist files) and Service Management.
 */
#ifndef GANTRY_PLISTIO_H
#define GANTRY_PLISTIO_H

#include <plist/plist.h>
#include <stddef.h>

/* why for an XML document libplist would not take (expat can then say where). */
#define GANTRY_PLIST_XML_INVALID "not a valid XML property list"
/* The root of an XML or binary plist, or NULL with the reason in why. */
plist_t gantry_plist_parse(const char *buf, size_t len, char *why, size_t whylen);
/* The same for a file (at most 4 MiB). */
plist_t gantry_plist_load(const char *path, char *why, size_t whylen);
/*
 * The items of an array, in order, as a malloc'd vector of *n entries
 * (free it; the items stay the array's). Linear time: in libplist 2.2
 * plist_array_get_item walks the list, so a loop over it is quadratic.
 */
plist_t *gantry_plist_array_items(plist_t array, uint32_t *n);
/* A string value as a malloc'd C string, or NULL when node is not a string. */
char *gantry_plist_string(plist_t node);

#endif
