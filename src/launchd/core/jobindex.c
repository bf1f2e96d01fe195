/* A domain's jobs by label (see jobindex.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "jobindex.h"
#include "oom.h"

/* Buckets of a new index; it doubles when it holds more jobs than buckets. */
#define INDEX_MIN_BUCKETS 64

static size_t hash_label(const char *s)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

static void rehash(struct job_index *x, size_t cap)
{
	struct job **buckets = calloc(cap, sizeof(*buckets));
	if (!buckets)
		gantry_oom();
	for (size_t i = 0; i < x->cap; i++) {
		for (struct job *j = x->buckets[i], *next; j; j = next) {
			next = j->label_next;
			size_t b = hash_label(j->spec->label) & (cap - 1);
			j->label_next = buckets[b];
			buckets[b] = j;
		}
	}
	free(x->buckets);
	x->buckets = buckets;
	x->cap = cap;
}

void job_index_add(struct job_index *x, struct job *j)
{
	if (x->n >= x->cap)
		rehash(x, x->cap ? x->cap * 2 : INDEX_MIN_BUCKETS);
	size_t b = hash_label(j->spec->label) & (x->cap - 1);
	j->label_next = x->buckets[b];
	x->buckets[b] = j;
	x->n++;
}

void job_index_remove(struct job_index *x, struct job *j)
{
	if (!x->cap)
		return;
	for (struct job **pp = &x->buckets[hash_label(j->spec->label) & (x->cap - 1)]; *pp; pp = &(*pp)->label_next) {
		if (*pp == j) {
			*pp = j->label_next;
			x->n--;
			return;
		}
	}
}

struct job *job_index_find(const struct job_index *x, const char *label)
{
	if (!x->cap)
		return NULL;
	for (struct job *j = x->buckets[hash_label(label) & (x->cap - 1)]; j; j = j->label_next)
		if (strcmp(j->spec->label, label) == 0)
			return j;
	return NULL;
}
