/*
 * Physical frames: libdwfl's unwinder driven by callbacks over the target.
 *
 * We attach our own Dwfl_Thread_Callbacks instead of dwfl_core_file_attach so
 * that a core, a live process and registers handed in by a debugger unwind
 * the same way, and so that a read the capture cannot serve is ours to
 * report: libdwfl only sees "false", we keep the error with its address.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/program_internal.h"

struct unwind_walk {
	struct pgm_program *prog;
	struct phys_frame *frames;
	size_t n, cap;
	/* The last read that failed since the last frame was delivered. */
	struct pgm_error *read_err;
	/* Why we stopped the walk ourselves (loop, bound), or NULL. */
	struct pgm_error *stop;
	bool at_main;
};

void pgm_regs_to_dwarf(const struct pgm_regs *r, uint64_t out[PGM_DWARF_NREGS])
{
	const uint64_t regs[PGM_DWARF_NREGS] = {
		r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip,
	};
	memcpy(out, regs, sizeof(regs));
}

bool pgm_unwind_repeats(const struct phys_frame *frames, size_t n, uint64_t pc, uint64_t sp)
{
	for (size_t i = 0; i < n; i++)
		if (frames[i].pc == pc && (frames[i].regs_valid & (1u << PGM_DWARF_REG_SP)) &&
		    frames[i].regs[PGM_DWARF_REG_SP] == sp)
			return true;
	return false;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct pgm_program *prog = arg;
	struct pgm_target *t = prog->target;
	struct pgm_thread *prev = *thread_argp;
	size_t i = prev ? (size_t)(prev - t->threads) + 1 : 0;
	if (i >= t->n_threads)
		return 0;
	*thread_argp = &t->threads[i];
	return t->threads[i].tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct pgm_program *prog = arg;
	struct pgm_target *t = prog->target;
	for (size_t i = 0; i < t->n_threads; i++) {
		if (t->threads[i].tid == tid) {
			*thread_argp = &t->threads[i];
			return true;
		}
	}
	return false;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct pgm_program *prog = arg;
	struct pgm_error *err = pgm_target_read(prog->target, addr, result, sizeof(*result));
	if (!err)
		return true;
	if (prog->walk) {
		pgm_error_destroy(prog->walk->read_err);
		prog->walk->read_err = err;
	} else {
		pgm_error_destroy(err);
	}
	return false;
}

/* rip is not among the DWARF registers libdwfl unwinds from: it is the pc. */
static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct pgm_thread *th = thread_arg;
	uint64_t regs[PGM_DWARF_NREGS];
	pgm_regs_to_dwarf(&th->regs, regs);
	if (!dwfl_thread_state_registers(thread, 0, PGM_DWARF_REG_PC, regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[PGM_DWARF_REG_PC]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/*
 * The core's own Elf tells libdwfl the architecture; without one (live,
 * in-memory) libdwfl takes it from the first module it can open.
 */
static struct pgm_error *attach(struct pgm_program *prog)
{
	if (prog->attached)
		return NULL;
	struct pgm_target *t = prog->target;
	if (!dwfl_attach_state(prog->dwfl, t->elf, t->pid, &thread_callbacks, prog))
		return pgm_error_wrap(pgm_error_libdwfl("dwfl_attach_state"),
				      "preparing the threads of %s for unwinding",
				      t->path ? t->path : "the target");
	prog->attached = true;
	return NULL;
}

/*
 * In a caller, only what the ABI makes the callee preserve (rbx, rbp, rsp,
 * r12-r15) is its own; libdwfl carries rax over unchanged, which would let
 * a variable held in rax show the callee's value.  gdb says <not saved>.
 * An activation after a signal frame has every register restored.
 */
#define CALLEE_SAVED_REGS ((1u << 3) | (1u << 6) | (1u << 7) | (0xfu << 12))

static void read_frame_regs(Dwfl_Frame *state, struct phys_frame *f)
{
	for (unsigned regno = 0; regno < PGM_DWARF_REG_PC; regno++) {
		Dwarf_Word val;
		if (dwfl_frame_reg(state, regno, &val) == 0) {
			f->regs[regno] = val;
			f->regs_valid |= 1u << regno;
		}
	}
	if (!f->activation)
		f->regs_valid &= CALLEE_SAVED_REGS;
	f->regs[PGM_DWARF_REG_PC] = f->pc;
	f->regs_valid |= 1u << PGM_DWARF_REG_PC;
}

/* gdb stops at main (backtrace past-main off); so do we, by symbol. */
static bool in_main_function(struct pgm_program *prog, uint64_t lookup_pc)
{
	const struct pgm_module *m = prog->main;
	if (!m || lookup_pc < m->start || lookup_pc >= m->end)
		return false;
	GElf_Sym sym;
	uint64_t offset;
	const char *name = pgm_program_symbol_at(prog, m->dwfl_module, lookup_pc, &sym, &offset);
	return name && strcmp(name, "main") == 0;
}

static bool walk_push(struct unwind_walk *w, const struct phys_frame *f)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 32;
		struct phys_frame *grown = realloc(w->frames, cap * sizeof(*grown));
		if (!grown)
			return false;
		w->frames = grown;
		w->cap = cap;
	}
	w->frames[w->n++] = *f;
	return true;
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct unwind_walk *w = arg;
	struct phys_frame f = { 0 };
	pgm_error_destroy(w->read_err);
	w->read_err = NULL;
	if (!dwfl_frame_pc(state, &f.pc, &f.activation)) {
		w->stop = pgm_error_wrap(pgm_error_libdwfl("dwfl_frame_pc"),
					 "reading the pc of the frame after %zu", w->n);
		return DWARF_CB_ABORT;
	}
	f.lookup_pc = f.activation || f.pc == 0 ? f.pc : f.pc - 1;
	read_frame_regs(state, &f);
	if (w->n == PGM_STACK_MAX_FRAMES) {
		w->stop = pgm_error_create(PGM_ERR_LIMIT, "the stack is deeper than %d frames",
					   PGM_STACK_MAX_FRAMES);
		return DWARF_CB_ABORT;
	}
	if (pgm_unwind_repeats(w->frames, w->n, f.pc, f.regs[PGM_DWARF_REG_SP])) {
		w->stop = pgm_error_create(PGM_ERR_LIMIT, "the stack loops: pc 0x%" PRIx64 " sp 0x%" PRIx64
					   " repeats an earlier frame", f.pc, f.regs[PGM_DWARF_REG_SP]);
		return DWARF_CB_ABORT;
	}
	if (!walk_push(w, &f)) {
		w->stop = &pgm_enomem;
		return DWARF_CB_ABORT;
	}
	if (in_main_function(w->prog, f.lookup_pc)) {
		w->at_main = true;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/*
 * libdwfl ends a walk with 0 (outermost frame), -1 (it gave up) or our
 * abort.  A failed read during the last step is the real reason in either
 * of the first two cases: libdwfl treats an unreadable return address as
 * the end of the stack.  The reason is shown after "unwinding stopped: ",
 * so it says what was being done, not that unwinding stopped.
 */
static struct pgm_error *stop_reason(struct unwind_walk *w, int r)
{
	struct pgm_error *reason = NULL;
	if (w->stop) {
		reason = w->stop;
		w->stop = NULL;
	} else if (!w->at_main && w->read_err) {
		reason = w->read_err;
		w->read_err = NULL;
	} else if (!w->at_main && r == -1) {
		/* stack_text says "unwinding stopped: "; this says who stopped it, and where */
		reason = pgm_error_libdwfl("dwfl_getthread_frames");
		if (w->n)
			reason = pgm_error_wrap(reason, "finding the caller of the frame at pc 0x%" PRIx64,
						w->frames[w->n - 1].pc);
		else
			reason = pgm_error_wrap(reason, "starting from the thread's registers");
	}
	return reason;
}

/* The CFI row at the frame's pc, .eh_frame first; the caller frees it. */
static Dwarf_Frame *cfi_row(struct pgm_program *prog, uint64_t lookup_pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(prog->dwfl, lookup_pc);
	if (!mod)
		return NULL;
	Dwarf_Addr bias;
	Dwarf_Frame *frame = NULL;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, lookup_pc - bias, &frame) == 0)
		return frame;
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, lookup_pc - bias, &frame) == 0)
		return frame;
	return NULL;
}

bool pgm_unwind_cfa_from_cfi(struct pgm_program *prog, struct phys_frame *f)
{
	Dwarf_Frame *frame = cfi_row(prog, f->lookup_pc);
	if (!frame)
		return false;
	Dwarf_Op *ops;
	size_t nops;
	bool ok = false;
	if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1) {
		unsigned reg = ops[0].atom == DW_OP_bregx ? (unsigned)ops[0].number
							  : (unsigned)(ops[0].atom - DW_OP_breg0);
		int64_t offset = ops[0].atom == DW_OP_bregx ? (int64_t)ops[0].number2
							    : (int64_t)ops[0].number;
		bool breg = ops[0].atom == DW_OP_bregx ||
			    (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31);
		if (breg && reg < PGM_DWARF_NREGS && (f->regs_valid & (1u << reg))) {
			f->cfa = f->regs[reg] + (uint64_t)offset;
			ok = f->has_cfa = true;
		}
	}
	free(frame);
	return ok;
}

/*
 * elfutils 0.188's x86_64 ABI rules mark rax, not rbx, as preserved across
 * calls, so libdwfl forgets rbx in every caller of a function that does not
 * save it (and rbx often holds a caller's variable).  A callee-saved
 * register the callee's CFI has no rule for keeps its value.
 */
static void restore_callee_saved(struct pgm_program *prog, const struct phys_frame *callee,
				 struct phys_frame *caller)
{
	uint32_t missing = CALLEE_SAVED_REGS & callee->regs_valid & ~caller->regs_valid;
	Dwarf_Frame *frame = missing ? cfi_row(prog, callee->lookup_pc) : NULL;
	if (!frame)
		return;
	for (unsigned regno = 0; regno < PGM_DWARF_REG_PC; regno++) {
		Dwarf_Op mem[3], *ops;
		size_t nops;
		if (!(missing & (1u << regno)) ||
		    dwarf_frame_register(frame, (int)regno, mem, &ops, &nops) != 0 || nops != 0)
			continue;
		caller->regs[regno] = callee->regs[regno];
		caller->regs_valid |= 1u << regno;
	}
	free(frame);
}

/* On x86_64 a caller's sp is its callee's CFA; the outermost needs the CFI. */
static void fill_cfas(struct pgm_program *prog, struct phys_frame *frames, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (frames[i + 1].regs_valid & (1u << PGM_DWARF_REG_SP)) {
			frames[i].cfa = frames[i + 1].regs[PGM_DWARF_REG_SP];
			frames[i].has_cfa = true;
		} else {
			pgm_unwind_cfa_from_cfi(prog, &frames[i]);
		}
	}
	if (n)
		pgm_unwind_cfa_from_cfi(prog, &frames[n - 1]);
}

static struct pgm_error *walk_thread(struct pgm_program *prog, const struct pgm_thread *th,
				     struct pgm_stack *stack)
{
	struct unwind_walk w = { .prog = prog };
	prog->walk = &w;
	int r = dwfl_getthread_frames(prog->dwfl, th->tid, on_frame, &w);
	prog->walk = NULL;
	struct pgm_error *err = NULL;
	stack->stop_reason = stop_reason(&w, r);
	if (stack->stop_reason == &pgm_enomem) {
		stack->stop_reason = NULL;
		err = &pgm_enomem;
	}
	pgm_error_destroy(w.read_err);
	pgm_error_destroy(w.stop);
	if (!err) {
		for (size_t i = 1; i < w.n; i++)
			if (!w.frames[i].activation)
				restore_callee_saved(prog, &w.frames[i - 1], &w.frames[i]);
		fill_cfas(prog, w.frames, w.n);
		err = pgm_stack_expand(prog, w.frames, w.n, stack);
	}
	free(w.frames);
	return err;
}

struct pgm_error *pgm_program_unwind(struct pgm_program *prog, size_t thread_index,
				     struct pgm_stack **ret)
{
	struct pgm_target *t = prog->target;
	if (thread_index >= t->n_threads)
		return pgm_error_create(PGM_ERR_USAGE, "no thread %zu: the target has %zu",
					thread_index, t->n_threads);
	if (prog->bundle)
		return pgm_program_bundle_unwind(prog, thread_index, ret);
	struct pgm_error *err = attach(prog);
	if (err)
		return err;
	struct pgm_stack *stack = calloc(1, sizeof(*stack));
	if (!stack)
		return &pgm_enomem;
	stack->tid = t->threads[thread_index].tid;
	err = walk_thread(prog, &t->threads[thread_index], stack);
	if (err) {
		pgm_stack_destroy(stack);
		return err;
	}
	*ret = stack;
	return NULL;
}
