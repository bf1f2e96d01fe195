/*
 * launchd's log: one line per event to stderr and to launchd.log in the
 * state directory (rotated once it reaches LOG_ROTATE_BYTES). Under systemd
 * (stderr is the journal), each line goes to the journal natively instead
 * of through stderr, with its priority and, for a job's event, the fields
 * GANTRY_JOB=domain/label and GANTRY_LABEL=label (`journalctl
 * GANTRY_LABEL=com.example.x`).
 */
#ifndef GANTRY_LOG_H
#define GANTRY_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_open(const char *file);
void log_set_debug(bool on);
/* Sends every line to the journal's native socket (socket_path) rather than to stderr. */
void log_to_journal(const char *socket_path);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
