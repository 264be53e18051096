/*
 * Internal helpers of the model layer, for the layers that fill it (pg/,
 * analysis/, pipeline/).  The model's types are public:
 * pgmortem/report.h and pgmortem/instance.h.
 */
#ifndef PGMORTEM_MODEL_H
#define PGMORTEM_MODEL_H

#include <stddef.h>

#include "pgmortem/error.h"
#include "pgmortem/instance.h"
#include "pgmortem/report.h"

/* Grows *array by one zeroed element of `size` bytes; returns it, or NULL when out of memory. */
void *pgm_model_grow(void **array, size_t *n, size_t size);
/* *dst = a copy of src (NULL stays NULL); NULL or &pgm_enomem. */
struct pgm_error *pgm_model_strdup(char **dst, const char *src);

void pgm_wait_event_deinit(struct pgm_wait_event *we);
/* Frees everything a wait owns; the wait is zeroed. */
void pgm_wait_deinit(struct pgm_wait *w);
/* Frees the facts of the kinds in pgmortem/report_waits.h (pgm_wait_deinit calls it). */
void pgm_waits_deinit(struct pgm_wait *w);
void pgm_waitset_deinit(struct pgm_waitset *ws);
void pgm_task_deinit(struct pgm_task *t);

/* ---- buffers, storage and replication (model/storage.c) ---- */

void pgm_buffer_deinit(struct pgm_buffer *b);
/* A deep copy of src into *dst (zeroed on failure); NULL or &pgm_enomem. */
struct pgm_error *pgm_buffer_copy(struct pgm_buffer *dst, const struct pgm_buffer *src);
void pgm_replication_slot_deinit(struct pgm_replication_slot *s);
/* The facts of the buffer, I/O and slot kinds in w (called by pgm_wait_deinit). */
void pgm_storage_wait_deinit(struct pgm_wait *w);
void pgm_buffer_usage_deinit(struct pgm_buffer_usage *u);
void pgm_my_walsender_deinit(struct pgm_my_walsender *ws);
/* Adds a pin candidate (mode copied); NULL or &pgm_enomem. */
struct pgm_error *pgm_pin_add_candidate(struct pgm_buffer_pin_wait *p, int32_t pid, const char *mode);
/* Appends a pin (its buffer moved in: *b is zeroed); NULL or &pgm_enomem. */
struct pgm_error *pgm_buffer_usage_add_pin(struct pgm_buffer_usage *u, int32_t refcount, struct pgm_buffer *b);

#endif
