/*
 * The typed facts of a wait (and a lock tag) as named fields, in one order,
 * for every renderer: the text report's "Wait" section and the JSON
 * "object" member print the same names, so the two cannot drift apart.
 */
#ifndef PGMORTEM_RENDER_WAIT_FIELDS_H
#define PGMORTEM_RENDER_WAIT_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "pgmortem/report.h"

enum pgm_field_type { PGM_FIELD_STR, PGM_FIELD_INT, PGM_FIELD_UINT, PGM_FIELD_BOOL, PGM_FIELD_ADDR };

struct pgm_field {
	const char *key;         /* the JSON name */
	enum pgm_field_type type;
	const char *str;
	int64_t i;
	uint64_t u;              /* UINT and ADDR */
	bool b;
	const char *note;        /* what a raw value means ("InvalidBlockNumber"): text only, JSON keeps the value */
};

typedef void pgm_field_fn(void *arg, const struct pgm_field *f);

/* Calls fn for each known fact of w's kind, in order (only the ones that were read). */
void pgm_wait_fields(const struct pgm_wait *w, pgm_field_fn *fn, void *arg);
/* The pg_locks columns of a tag, in pg_locks' order; `all` also gives absent ones (str NULL, type STR). */
void pgm_lock_tag_fields(const struct pgm_lock_tag *t, bool all, pgm_field_fn *fn, void *arg);

/* A shared buffer's facts (a pin wait's, a buffer I/O's, a pinned buffer's), in order. */
void pgm_buffer_fields(const struct pgm_buffer *b, pgm_field_fn *fn, void *arg);
/* A replication slot's facts, named like pg_replication_slots' columns where it has them. */
void pgm_slot_fields(const struct pgm_replication_slot *s, pgm_field_fn *fn, void *arg);
/* A walsender's facts, named like pg_stat_replication's columns. */
void pgm_my_walsender_fields(const struct pgm_my_walsender *ws, pgm_field_fn *fn, void *arg);

#endif
