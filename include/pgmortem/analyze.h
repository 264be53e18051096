/*
 * pgmortem — the wait analysis of one process: the library's main entry.
 *
 *   struct pgm_report *report;
 *   err = pgm_analyze(prog, &opts, &report);   // prog from pgm_program_create
 *   ... render it ...
 *   pgm_report_destroy(report);
 *
 * A report is produced whenever the target could be read at all: facts that
 * could not be decoded are unknown in it, and the reason is in `missing` or
 * `diagnosis`.  Only out of memory, or a target with no threads, is an error.
 */
#ifndef PGMORTEM_ANALYZE_H
#define PGMORTEM_ANALYZE_H

#include "pgmortem/error.h"
#include "pgmortem/program.h"
#include "pgmortem/report.h"

struct pgm_analyze_options {
	int reserved;   /* room for options without breaking callers */
};

struct pgm_error *pgm_analyze(struct pgm_program *prog, const struct pgm_analyze_options *opts,
			      struct pgm_report **ret);

/*
 * Where PostgreSQL layouts resolved from DWARF are cached per build-id of
 * the executable (NULL: no cache), so that many cores of one build resolve
 * them once.  Set before the program's first analysis; `dir` is copied.
 * PGM_ERR_USAGE if the layout was already resolved.
 */
struct pgm_error *pgm_program_set_layout_cache(struct pgm_program *prog, const char *dir);
/*
 * What the cache did for the program's layout: "off", "hit", "stored" or
 * "uncached"; *note (owned by the program, may be NULL) says why a cache
 * file was rejected or not written.
 */
const char *pgm_program_layout_cache_result(struct pgm_program *prog, const char **note);

#endif
