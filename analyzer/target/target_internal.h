/*
 * Helpers shared by the target backends; not part of the public API.
 */
#ifndef PGMORTEM_TARGET_INTERNAL_H
#define PGMORTEM_TARGET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pgmortem/target.h"

/*
 * Serves `len` bytes at `addr`, all inside t->mappings[index], into buf;
 * returns the error naming the first byte it could not serve.
 */
typedef struct pgm_error *pgm_target_serve_fn(struct pgm_target *t, size_t index, uint64_t addr,
					      uint8_t *buf, size_t len);

/*
 * Splits a read at mapping boundaries and lets `serve` fill each piece, so a
 * read may span adjacent mappings.  A byte in no mapping is PGM_ERR_FAULT.
 */
struct pgm_error *pgm_target_read_split(struct pgm_target *t, uint64_t addr, void *buf,
					size_t len, pgm_target_serve_fn *serve);

/* Appends a formatted warning to t->warnings. */
struct pgm_error *pgm_target_warn(struct pgm_target *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Frees what every backend owns the same way: path, cmdline, fname,
 * exe_path, threads, the mappings array (not the strings its `path`s point
 * to, which the backend owns), auxv and warnings.  Does not free t itself.
 */
void pgm_target_free_fields(struct pgm_target *t);

struct pgm_bundle_file;
/* Another reference to b, for a target opened from it (bundle_file.c). */
void pgm_bundle_file_retain(struct pgm_bundle_file *b);
/* The path b was opened from. */
const char *pgm_bundle_file_path(const struct pgm_bundle_file *b);

/*
 * The read log's side of pgm_target_read() (read_log.c): records the
 * outcome of one read of t while t->read_log is set.
 */
void pgm_read_log_note(struct pgm_target *t, uint64_t addr, const void *buf, size_t len,
		       const struct pgm_error *err);
/* Marks [start, end) private while recording; nothing otherwise. */
void pgm_read_log_note_private(struct pgm_target *t, uint64_t start, uint64_t end);

#endif
