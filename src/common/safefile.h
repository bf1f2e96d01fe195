/*
 * Reading files whose path somebody else chose, without ever blocking:
 * a FIFO, a device or a socket where a regular file is expected is refused
 * at open (O_NONBLOCK), never waited on, so a hostile path cannot stall
 * launchd's event loop.
 */
#ifndef GANTRY_SAFEFILE_H
#define GANTRY_SAFEFILE_H

#include <stddef.h>
#include <sys/stat.h>

/* The result of gantry_open_regular() for a path that is not a regular file (st says what it is). */
#define GANTRY_NOT_REGULAR (-2)

/* "a directory", "a FIFO", "a socket", "a device", or "not a regular file" for other kinds. */
const char *gantry_file_kind(mode_t mode);

/* Opens path read-only if it is a regular file: a descriptor, -1 with errno, or GANTRY_NOT_REGULAR. */
int gantry_open_regular(const char *path, struct stat *st);

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer. Returns it, or NULL with why set ("not a regular file", "larger
 * than ...", the errno's text); *err gets an errno (EFBIG, EINVAL, ...).
 */
char *gantry_read_regular(const char *path, size_t max, size_t *len, int *err, char *why, size_t whylen);

#endif
