/*
 * The pg layer's parts of a bundle (pgmortem/bundle_file.h): PostgreSQL's
 * resolved layout and the frame variables the analysis asked for.
 *
 *   layout      the layout cache's JSON (pg/layout.h) with absolute
 *               addresses (bias 0), written by any pgmortem build; entries
 *               of layout.def it lacks are not found (a bundle made before
 *               the table grew)
 *   frame_vars  {"vars": [{"tid": 3983, "frame": 5, "name": "scan",
 *                          "value": "0x…"} or {…, "error": ERROR}, …]}
 *
 * On a program of any other target, pgm_pg_frame_pointer() notes each
 * variable it is asked for, with its value or error, so that the bundle
 * writer stores exactly those; on a bundle's program it answers from the
 * frame_vars part and pgm_pg_program_layout() from the layout part.
 */
#ifndef PGMORTEM_PG_BUNDLE_PARTS_H
#define PGMORTEM_PG_BUNDLE_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "pg/layout.h"
#include "pgmortem/error.h"
#include "pgmortem/program.h"

/* The layout part of prog (resolved now if it was not yet); the caller frees *ret. */
struct pgm_error *pgm_pg_bundle_encode_layout(struct pgm_program *prog, char **ret);
/* The frame variables prog's analyses asked for; the caller frees *ret. */
struct pgm_error *pgm_pg_bundle_encode_frame_vars(struct pgm_program *prog, char **ret);

/* The layout of a bundle: the layout part of prog's target. */
struct pgm_error *pgm_pg_bundle_layout(struct pgm_program *prog, struct pgm_pg_layout **ret);

/* Frame variables: what pgm_pg_frame_pointer() notes and a bundle answers. */
struct pgm_frame_vars;
/* An empty set; NULL when out of memory.  pgm_frame_vars_destroy() frees it. */
struct pgm_frame_vars *pgm_frame_vars_create(void);
void pgm_frame_vars_destroy(void *vars);
/* Notes one answer (value, or err, which is copied); the first answer of a variable stays. */
struct pgm_error *pgm_frame_vars_note(struct pgm_frame_vars *vars, int32_t tid, size_t frame,
				      const char *name, uint64_t value, const struct pgm_error *err);
/* The frame_vars part of prog's (bundle) target. */
struct pgm_error *pgm_frame_vars_load(struct pgm_program *prog, struct pgm_frame_vars **ret);
/* The recorded answer: the value, a copy of the error, or "not in this bundle". */
struct pgm_error *pgm_frame_vars_answer(const struct pgm_frame_vars *vars, int32_t tid, size_t frame,
					const char *name, uint64_t *ret);
/* The frame_vars part of vars (NULL: none asked); the caller frees *ret. */
struct pgm_error *pgm_frame_vars_encode(const struct pgm_frame_vars *vars, char **ret);

#endif
