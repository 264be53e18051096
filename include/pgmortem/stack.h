/*
 * pgmortem — unwound stacks with inline frames, as gdb's `bt` shows them.
 *
 * Unwinding runs through libdwfl's dwfl_attach_state with pgmortem's own
 * callbacks over the target, so cores, live processes and registers handed in
 * by a debugger all unwind the same way, and a stack read that the capture
 * cannot serve ends the stack with a recorded reason instead of failing.
 *
 * Frames are listed innermost first and numbered as gdb numbers them: a
 * physical frame whose pc lies in inlined code becomes several frames, the
 * innermost inline function first, the function it was inlined into last,
 * all sharing the physical frame's pc and registers.  Functions that left
 * the stack by a tail call (a jump) are put back between their caller and
 * callee from DWARF call-site information when the chain is unambiguous,
 * as gdb's "tail call frames".  Like gdb (`backtrace
 * past-main off`), the stack ends at the executable's `main`; frames of the
 * C runtime below it are not unwound.  Unwinding stops after
 * PGM_STACK_MAX_FRAMES physical frames or when a (pc, sp) pair repeats.
 *
 * A stack owns its frames and strings (the module pointers are borrowed from
 * the program); pgm_stack_destroy() frees it.
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
#define PGM_DWARF_REG_SP 7
#define PGM_DWARF_REG_PC 16

/* Bound on physical frames; deeper stacks end with a PGM_ERR_LIMIT reason. */
#define PGM_STACK_MAX_FRAMES 1024

struct pgm_frame {
	unsigned index;          /* as gdb numbers frames: inline frames count */
	unsigned physical;       /* which machine frame: each unwound frame and each
				    tail-call frame counts one, innermost 0 */
	uint64_t pc;             /* the frame's pc (return address for callers) */
	bool activation;         /* pc is exact (innermost or signal frame) */
	bool inlined;            /* an inline frame; its caller shares `physical` */
	bool tail_call;          /* reconstructed from DWARF call sites, as gdb does:
				    this function jumped to the one below and left no
				    return address; registers other than pc unknown */
	bool signal_frame;       /* the kernel's signal return trampoline (libc's
				    __restore_rt): gdb's "<signal handler called>";
				    the frame above it was interrupted at `pc` */
	char *function;          /* DWARF name, else the ELF symbol; NULL if neither covers pc */
	char *file;              /* source file as gdb shows it (relative to the CU's
				    directory when inside it), NULL without DWARF */
	int line;                /* 0 if unknown; for callers, the line of the call */
	const struct pgm_module *module;   /* NULL if pc is in no module */
	uint64_t module_offset;  /* pc - module start */

	/*
	 * Register state of the physical frame, for frame variables.  regs[16]
	 * is the frame's pc.  Callee-saved registers the CFI does not restore
	 * are unknown in callers.
	 */
	uint64_t regs[PGM_DWARF_NREGS];
	uint32_t regs_valid;     /* bit n set if regs[n] is known */
	/*
	 * The canonical frame address (DW_OP_call_frame_cfa): the caller's sp
	 * on x86_64, else computed from the CFI when the rule is register +
	 * offset.
	 */
	uint64_t cfa;
	bool has_cfa;
};

struct pgm_stack {
	int32_t tid;
	struct pgm_frame *frames;
	size_t n_frames;
	size_t n_physical;       /* machine frames among `frames` (see `physical`) */
	/*
	 * Why unwinding stopped early, or NULL if it reached `main` or the
	 * outermost frame: a read the capture could not serve (NOT_CAPTURED /
	 * FAULT, with the address), a loop or the frame bound (LIMIT), or
	 * libdwfl giving up (DWARF).
	 */
	struct pgm_error *stop_reason;
};

/*
 * Unwinds thread `thread_index` of the program's target, starting from the
 * registers the target holds for it.  Reading DWARF of the modules the stack
 * passes through happens here (one CU per frame).  An incomplete stack is
 * still a result (see stop_reason); errors are out of memory, a bad index
 * and libdwfl refusing to attach (e.g. no module reveals the architecture).
 */
struct pgm_error *pgm_program_unwind(struct pgm_program *prog, size_t thread_index,
				     struct pgm_stack **ret);
void pgm_stack_destroy(struct pgm_stack *stack);

/* Maps kernel register order to x86_64 DWARF numbers 0..16 (16 = rip). */
void pgm_regs_to_dwarf(const struct pgm_regs *regs, uint64_t out[PGM_DWARF_NREGS]);

/* True if unwinding ran to its end and every frame has a function name. */
bool pgm_stack_is_complete(const struct pgm_stack *stack);

/* True if some frame has a function named `name` (inline frames included). */
bool pgm_stack_has_function(const struct pgm_stack *stack, const char *name);
/* Index of the first (innermost) frame named `name`, or -1. */
int pgm_stack_find_function(const struct pgm_stack *stack, const char *name);

#endif
