/*
 * pgmortem — making support bundles (the format: pgmortem/bundle_file.h).
 *
 * A bundle is written from captures that were analyzed while their targets
 * recorded every read (pgm_target_record_start before the program was
 * made): the bytes those analyses read become the bundle's memory, so that
 * the same analyses replay from it with no binaries and no debuginfo.
 *
 *   pgm_target_core_open(path, NULL, &t);
 *   pgm_target_record_start(t);
 *   pgm_program_create(t, &popts, &prog);           // symbols_only_libraries, as analyses do
 *   ... pgm_analyze(prog, …), pgm_instance_read(prog, {.locks = true}, …), pgm_instance_link(…) ...
 *   struct pgm_bundle_capture c = { t, prog };
 *   pgm_bundle_write("x.pgmb", &c, 1, &opts, &stats);   // stops the recording
 *
 * The writer adds what the analyses did not do but other commands do: each
 * thread unwound with DWARF everywhere (what `stack` shows).  Captures of
 * one instance go in one bundle; a reader analyses them together.
 */
#ifndef PGMORTEM_BUNDLE_H
#define PGMORTEM_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/program.h"
#include "pgmortem/target.h"

struct pgm_bundle_capture {
	struct pgm_target *target;      /* recording since before `program` was made */
	struct pgm_program *program;    /* the analyzed program of target */
};

struct pgm_bundle_options {
	/*
	 * Overwrite the texts that identify people or data (query texts,
	 * application names, client addresses, user and database names: what
	 * pg/ reads with pgm_target_read_private_text), and the command
	 * lines past "postgres: ", and say so in the manifest.
	 */
	bool redact;
	/* For the `stack` unwind: where the capture's files are (as the analysis had them). */
	struct pgm_program_options program;
};

struct pgm_bundle_stats {
	uint64_t file_size;      /* bytes of the bundle */
	uint64_t memory_bytes;   /* bytes of target memory it holds, all captures */
	size_t n_ranges;         /* ranges they make */
	size_t n_faults;         /* failed reads kept to be failed again */
	size_t n_redacted;       /* private texts overwritten */
	double write_ms;         /* from the stop of the recording to the file written */
};

/*
 * Writes the bundle of the n captures to `path` (mode 0600, replaced
 * atomically).  Stops every capture's recording; the captures stay usable.
 * PGM_ERR_USAGE if a target was not recording; PGM_ERR_LIMIT if the
 * analysis read more than a bundle may hold (pgm_read_log_overflow).
 */
struct pgm_error *pgm_bundle_write(const char *path, const struct pgm_bundle_capture *caps, size_t n,
				   const struct pgm_bundle_options *opts, struct pgm_bundle_stats *stats);

#endif
