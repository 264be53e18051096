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

#endif
