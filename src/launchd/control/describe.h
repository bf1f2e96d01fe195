/*
 * Reports on jobs and domains as libxpc dictionaries (describe.c).
 */
#ifndef GANTRY_DESCRIBE_H
#define GANTRY_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <xpc/xpc.h>

struct job;
struct domain;

xpc_object_t describe_service(const struct job *j);
xpc_object_t describe_list_entry(const struct job *j);
xpc_object_t describe_domain(const struct domain *d);
xpc_object_t describe_overrides(const struct domain *d);
bool describe_disabled(const struct job *j);
/* Why the job is (not) running, for `blame`. */
void describe_blame(const struct job *j, char *buf, size_t len);

/* An array of fn(job) for every job of d. */
xpc_object_t describe_each_job(const struct domain *d, xpc_object_t (*fn)(const struct job *j));

#endif
