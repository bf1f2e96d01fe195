/*
 * A domain's jobs by label: a chained hash table that grows with the domain,
 * so loading, finding and unloading a label cost the same with 10 or 10,000
 * jobs (a list walk made loading 10,000 jobs quadratic).
 */
#ifndef GANTRY_JOBINDEX_H
#define GANTRY_JOBINDEX_H

#include <stddef.h>

struct job;

struct job_index {
	struct job **buckets; /* chained through job->label_next */
	size_t cap, n;
};

/* Adds j (its label is not in the index yet). */
void job_index_add(struct job_index *x, struct job *j);
void job_index_remove(struct job_index *x, struct job *j);
/* The job labelled label, or NULL. */
struct job *job_index_find(const struct job_index *x, const char *label);

#endif
