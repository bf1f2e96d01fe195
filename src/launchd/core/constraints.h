/* Launch constraints: SpawnConstraint and ResponsibleProcessConstraint (see constraints.c). */
#ifndef GANTRY_CONSTRAINTS_H
#define GANTRY_CONSTRAINTS_H

#include <stddef.h>
#include <sys/types.h>

#include "spec.h"

/* Does s's program satisfy its SpawnConstraint, as user as sees it? 0, or EPERM with the failing clause. */
int constraint_check_spawn(const struct job_spec *s, uid_t as, char *why, size_t len);
/* Does process pid (running as uid) satisfy s's ResponsibleProcessConstraint? 0, or EPERM with the clause. */
int constraint_check_responsible(const struct job_spec *s, pid_t pid, uid_t uid, char *why, size_t len);

#endif
