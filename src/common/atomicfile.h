/*
 * Crash-safe replacement of a small state file: temporary file, fsync,
 * rename, fsync of the directory (DESIGN.md §6).
 */
#ifndef GANTRY_ATOMICFILE_H
#define GANTRY_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0, or an errno value with a message naming the failing step and path in err. */
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode,
	char *err, size_t errlen);

#endif
