/*
 * launchctl internals: talking to launchd (client.c), rendering replies as
 * launchd-style text or JSON (output.c, json.c), and the verbs (verbs*.c).
 */
#ifndef GANTRY_LAUNCHCTL_H
#define GANTRY_LAUNCHCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <xpc/xpc.h>

#define EXIT_USAGE 64

/* A parsed target: domain ("system", "gui/501", or "default") and optional label. */
struct target {
	char domain[64];
	char label[256];
	bool has_label;
};

/* Parses "system", "user/<uid>", "gui/<uid>", each optionally followed by "/<label>". */
bool target_parse(const char *text, struct target *t);

/* Set by launchctl asuser UID for the command it runs: "default" then means gui/<UID>. */
#define ASUSER_ENV "LAUNCHCTL_ASUSER"

/* Does the "default" domain mean system (root, with a system launchd running)? Else gui/<uid>. */
bool default_is_system(void);
/* A new request dictionary with routine and (if t) domain and label. */
xpc_object_t request_new(const char *routine, const struct target *t);
/* Sends (and releases) the request to the launchd that hosts its domain; returns the reply (never NULL). */
xpc_object_t request_send(xpc_object_t req);
/* 0 or the reply's error code; prints "<what> failed: N: message" and the detail. */
int reply_check(xpc_object_t reply, const char *what);
/* Prints each failing entry of a bootstrap/bootout reply's "results". */
void print_results(xpc_object_t reply);

void json_print(FILE *f, xpc_object_t o);
void print_service(FILE *f, xpc_object_t service);
void print_domain(FILE *f, xpc_object_t info);
void print_legacy_job(FILE *f, xpc_object_t service);


#endif
