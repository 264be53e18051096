/*
 * pgmortem — the analysis pipeline: the library's main entry points.
 *
 * Each call decodes the target's memory into the model (pg/), derives what
 * it means (analysis/) and returns the model for a renderer:
 *
 *   struct pgm_report *report;
 *   err = pgm_analyze(prog, &opts, &report);   // prog from pgm_program_create
 *   ... render it (pgmortem/render.h) ...
 *   pgm_report_destroy(report);
 *
 * and for a whole instance (pgmortem/instance.h):
 *
 *   err = pgm_instance_read(prog, &iopts, &inst);
 *   pgm_instance_add_report(inst, report);     // for each core of it
 *   err = pgm_instance_link(inst, prog);
 *
 * A report is produced whenever the target could be read at all: facts that
 * could not be decoded are unknown in it, and the reason is in `missing` or
 * `diagnosis`.  Only out of memory, or a target with no threads, is an error.
 */
#ifndef PGMORTEM_ANALYZE_H
#define PGMORTEM_ANALYZE_H

#include <stdbool.h>

#include "pgmortem/error.h"
#include "pgmortem/instance.h"
#include "pgmortem/program.h"
#include "pgmortem/report.h"

struct pgm_analyze_options {
	int reserved;   /* room for options without breaking callers */
};

/* The wait analysis of the program's process, verdict composed. */
struct pgm_error *pgm_analyze(struct pgm_program *prog, const struct pgm_analyze_options *opts,
			      struct pgm_report **ret);

struct pgm_instance_options {
	bool locks;              /* walk the lock table (pg_locks) */
};

/* The identity of prog's instance; id->known false if any part is unreadable.  Free with _deinit. */
struct pgm_error *pgm_instance_identify(struct pgm_program *prog, struct pgm_instance_id *id);

/*
 * Every backend and (with opts->locks) every heavyweight lock, and
 * pg_blocking_pids() of each backend waiting for one, from prog's core.
 * Only out of memory is an error; opts may be NULL (no lock table).
 */
struct pgm_error *pgm_instance_read(struct pgm_program *prog, const struct pgm_instance_options *opts,
				    struct pgm_instance **ret);

/*
 * After the reports are added: the LWLocks their processes hold and who
 * waits for them (read through `prog`, the program of the instance's
 * source), the wait-for graph, and every report's verdict composed again
 * with what the other cores tell (an LWLock's holder, the participant that
 * holds a parallel scan).
 */
struct pgm_error *pgm_instance_link(struct pgm_instance *inst, struct pgm_program *prog);

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

/*
 * An executable with no DWARF anywhere (a distribution's stripped postgres
 * without its -dbgsym) is analysed through the layout profile of its
 * PostgreSQL major version, when one is found ($PGMORTEM_PROFILE_PATH,
 * ~/.local/share/pgmortem/profiles, the installed ones) and the capture
 * confirms it.  Reports and instances say where their layouts came from
 * (struct pgm_layout_origin, pgmortem/report.h).
 */

#endif
