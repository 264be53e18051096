/*
 * The debuginfo layer's parts of a bundle (pgmortem/bundle_file.h): the
 * modules of a program and the stacks of its threads, written where the
 * capture is analyzed and read back, with no binaries, by a program made
 * on a bundle's target (pgm_program_create() recognises one).
 *
 *   modules  {"modules": [{"name", "path", "debug_path", "start", "end",
 *                          "bias", "build_id", "has_elf", "has_symtab",
 *                          "has_dwarf", "build_id_mismatch", "is_main"}, …],
 *             "warnings": ["…", …]}
 *   stacks   {"threads": [{"tid": 3983, "analysis": STACK, "full": STACK}, …]}
 *            STACK: {"frames": [FRAME, …], "n_physical": N, "stop_reason": ERROR|null}
 *                   or {"error": ERROR} when unwinding failed
 *            FRAME: pgm_frame's fields by name, "module" an index into
 *                   "modules" (-1 for none), "regs" the 17 DWARF registers
 *
 * "analysis" is the stack as a program with symbols_only_libraries unwound
 * it (what the analysis shows), "full" as one without (what `stack`
 * shows); a bundle program serves the one its options ask for.
 */
#ifndef PGMORTEM_DEBUGINFO_BUNDLE_PARTS_H
#define PGMORTEM_DEBUGINFO_BUNDLE_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/program.h"
#include "pgmortem/stack.h"

enum { PGM_BUNDLE_ANALYSIS, PGM_BUNDLE_FULL, PGM_BUNDLE_VARIANTS };

/* One thread's stacks, as each variant unwound them: a stack or the error. */
struct pgm_bundle_unwound {
	int32_t tid;
	struct pgm_stack *stack[PGM_BUNDLE_VARIANTS];   /* borrowed */
	struct pgm_error *error[PGM_BUNDLE_VARIANTS];   /* borrowed */
};

/* The modules part of prog; the caller frees *ret. */
struct pgm_error *pgm_bundle_encode_modules(struct pgm_program *prog, char **ret);
/*
 * The stacks part: frames' modules are written as indexes into prog's
 * modules (a stack unwound by another program of the same target is
 * matched by module start).  The caller frees *ret.
 */
struct pgm_error *pgm_bundle_encode_stacks(struct pgm_program *prog, const struct pgm_bundle_unwound *threads,
					   size_t n, char **ret);

#endif
