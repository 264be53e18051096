/*
 * pgmortem — unwound stacks with inline frames, as gdb's `bt` shows them.
 *
 * Unwinding runs through libdwfl's dwfl_attach_state with pgmortem's own
 * callbacks over the target, so cores, live processes and registers handed in
 * by a debugger all unwind the same way, and a stack read that the capture
 * cannot serve ends the stack with a recorded reason instead of failing.
 *
 * A stack owns its frames and strings; pgm_stack_destroy() frees it.
 */
#ifndef PGMORTEM_STACK_H
#define PGMORTEM_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/program.h"

/* x86_64 DWARF register numbers 0..16: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
#define PGM_DWARF_NREGS 17

struct pgm_frame {
	unsigned index;          /* as gdb numbers frames: inline frames count */
	unsigned physical;       /* index of the physical (unwound) frame */
	uint64_t pc;             /* the frame's pc (return address for callers) */
	bool activation;         /* pc is exact (innermost or signal frame) */
	bool inlined;            /* an inline frame; its caller shares `physical` */
	char *function;          /* NULL if no symbol covers pc */
	char *file;              /* source file, NULL without DWARF */
	int line;                /* 0 if unknown */
	const struct pgm_module *module;   /* NULL if pc is in no module */
	uint64_t module_offset;  /* pc - module start */

	/* Register state of the physical frame, for frame variables. */
	uint64_t regs[PGM_DWARF_NREGS];
	uint32_t regs_valid;     /* bit n set if regs[n] is known */
	uint64_t cfa;
	bool has_cfa;
};

struct pgm_stack {
	int32_t tid;
	struct pgm_frame *frames;
	size_t n_frames;
	/* Why unwinding stopped early, or NULL if it reached the outermost frame. */
	struct pgm_error *stop_reason;
};

/* Unwinds thread `thread_index` of the program's target. */
struct pgm_error *pgm_program_unwind(struct pgm_program *prog, size_t thread_index,
				     struct pgm_stack **ret);
void pgm_stack_destroy(struct pgm_stack *stack);

/* True if some frame has a function named `name` (inline frames included). */
bool pgm_stack_has_function(const struct pgm_stack *stack, const char *name);
/* Index of the first (innermost) frame named `name`, or -1. */
int pgm_stack_find_function(const struct pgm_stack *stack, const char *name);

#endif
