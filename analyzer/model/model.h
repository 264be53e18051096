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

#endif
