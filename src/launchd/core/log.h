/*
 * launchd's log: one line per event to stderr and to launchd.log in the
 * state directory (rotated once it reaches LOG_ROTATE_BYTES).
 */
#ifndef GANTRY_LOG_H
#define GANTRY_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_open(const char *file);
void log_set_debug(bool on);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
