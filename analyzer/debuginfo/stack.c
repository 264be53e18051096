/*
 * From physical frames to the frames gdb's `bt` shows: inline frames from
 * the DWARF scopes at each pc, names, source lines, modules.
 *
 * Only the CU containing each pc is read (dwfl_module_addrdie goes through
 * .debug_aranges), and only for modules with a .debug_info section, so a
 * stack costs a handful of CUs however large the program's DWARF.
 */
#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/program_internal.h"

static struct pgm_frame *frame_push(struct pgm_stack *stack, const struct phys_frame *f,
				    unsigned physical, const struct pgm_module *m)
{
	struct pgm_frame *grown = realloc(stack->frames, (stack->n_frames + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	stack->frames = grown;
	struct pgm_frame *frame = &stack->frames[stack->n_frames];
	*frame = (struct pgm_frame){
		.index = (unsigned)stack->n_frames,
		.physical = physical,
		.pc = f->pc,
		.activation = f->activation,
		.module = m,
		.module_offset = m ? f->pc - m->start : 0,
		.regs_valid = f->regs_valid,
		.cfa = f->cfa,
		.has_cfa = f->has_cfa,
	};
	memcpy(frame->regs, f->regs, sizeof(frame->regs));
	stack->n_frames++;
	return frame;
}

static bool is_c(int lang)
{
	return lang == DW_LANG_C89 || lang == DW_LANG_C || lang == DW_LANG_C99 ||
	       lang == DW_LANG_C11;
}

/*
 * The function's name as gdb prints it: for C, gdb keeps symbols under
 * their linkage name, so DW_AT_linkage_name wins where the compiler
 * emitted one (glibc's __GI_ aliases); otherwise DW_AT_name.  Both are
 * looked up through DW_AT_abstract_origin and DW_AT_specification.
 */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die cu;
	if (dwarf_diecu(die, &cu, NULL, NULL) && is_c(dwarf_srclang(&cu))) {
		const char *linkage =
			dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
		if (linkage)
			return linkage;
	}
	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

static char *cu_path(Dwarf_Die *cudie, const char *path)
{
	Dwarf_Attribute attr;
	const char *comp_dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr));
	char *full;
	if (path[0] == '/' || !comp_dir)
		return strdup(path);
	return asprintf(&full, "%s/%s", comp_dir, path) < 0 ? NULL : full;
}

/*
 * gdb names a line's file after the CU itself (DW_AT_name, "latch.c") when
 * the line table's entry is the CU's primary file, both taken relative to
 * DW_AT_comp_dir; otherwise as the line table joins it with its directory
 * ("../../../src/include/executor/executor.h", "./nptl/pthread_create.c").
 */
static char *display_file(Dwarf_Die *cudie, const char *path)
{
	const char *cu_name = dwarf_diename(cudie);
	char *a = cu_name ? cu_path(cudie, path) : NULL;
	char *b = cu_name ? cu_path(cudie, cu_name) : NULL;
	bool primary = a && b && strcmp(a, b) == 0;
	free(a);
	free(b);
	return strdup(primary ? cu_name : path);
}

static bool set_name(struct pgm_frame *frame, const char *name)
{
	return !name || (frame->function = strdup(name));
}

static bool set_file(struct pgm_frame *frame, Dwarf_Die *cudie, const char *path, int line)
{
	frame->line = line;
	return !path || (frame->file = display_file(cudie, path));
}

/* The line of the pc itself, for the innermost frame at a physical frame. */
static bool set_pc_line(struct pgm_frame *frame, Dwfl_Module *mod, Dwarf_Addr lookup_pc)
{
	Dwfl_Line *line = dwfl_module_getsrc(mod, lookup_pc);
	int lineno = 0;
	const char *path = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	Dwarf_Die *cudie = path ? dwfl_linecu(line) : NULL;
	return !cudie || set_file(frame, cudie, path, lineno);
}

/* The call site of an inlined subroutine: the line its caller is at. */
static bool set_call_line(struct pgm_frame *frame, Dwarf_Die *inlined)
{
	Dwarf_Attribute attr;
	Dwarf_Word file_idx, line;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &file_idx) != 0 ||
	    dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &line) != 0)
		return true;
	Dwarf_Die cudie;
	Dwarf_Files *files;
	size_t nfiles;
	if (!dwarf_diecu(inlined, &cudie, NULL, NULL) ||
	    dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0 || file_idx >= nfiles)
		return true;
	const char *path = dwarf_filesrc(files, file_idx, NULL, NULL);
	return set_file(frame, &cudie, path, (int)line);
}

static bool is_function_scope(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/*
 * `chain` is the concrete DIE tree from the innermost function scope at the
 * pc outwards: one frame per inlined subroutine, innermost first, then the
 * subprogram they were inlined into.  Each outer frame's line is the call
 * site recorded on the inlined subroutine just inside it.  Returns the
 * number of frames pushed, -1 when out of memory.
 */
static int push_chain(struct pgm_stack *stack, const struct phys_frame *f, unsigned physical,
		      const struct pgm_module *m, Dwarf_Die *chain, int n)
{
	int pushed = 0;
	Dwarf_Die *inner = NULL;
	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&chain[i]);
		if (!is_function_scope(tag))
			continue;
		struct pgm_frame *frame = frame_push(stack, f, physical, m);
		if (!frame || !set_name(frame, die_name(&chain[i])))
			return -1;
		frame->inlined = tag == DW_TAG_inlined_subroutine;
		bool ok = inner ? set_call_line(frame, inner)
				: set_pc_line(frame, m->dwfl_module, f->lookup_pc);
		if (!ok)
			return -1;
		pushed++;
		if (tag != DW_TAG_inlined_subroutine)
			break;
		inner = &chain[i];
	}
	return pushed;
}

/*
 * Assembler CUs describe one routine under each of its names, as
 * consecutive subprograms with the same range (__clone3, __GI___clone3,
 * clone3); gdb's block lookup ends on the last, so we move there too.
 */
static void last_alias(Dwarf_Die *die, Dwarf_Addr pc)
{
	Dwarf_Addr low, sib_low;
	if (dwarf_tag(die) != DW_TAG_subprogram || dwarf_lowpc(die, &low) != 0)
		return;
	Dwarf_Die cur = *die, sib;
	while (dwarf_siblingof(&cur, &sib) == 0 && dwarf_tag(&sib) == DW_TAG_subprogram &&
	       dwarf_lowpc(&sib, &sib_low) == 0 && sib_low == low && dwarf_haspc(&sib, pc) == 1) {
		*die = sib;
		cur = sib;
	}
}

/*
 * dwarf_getscopes finds the innermost function scope at the pc, but above
 * an inlined subroutine it continues with the abstract definition's
 * scopes (it serves variable lookup); the concrete chain of callers comes
 * from dwarf_getscopes_die on that innermost scope.
 */
static bool innermost_function(Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *ret)
{
	Dwarf_Die *scopes;
	int n = dwarf_getscopes(cudie, pc, &scopes);
	bool found = false;
	for (int i = 0; i < n && !found; i++) {
		if (is_function_scope(dwarf_tag(&scopes[i]))) {
			*ret = scopes[i];
			found = true;
		}
	}
	if (n > 0)
		free(scopes);
	if (found)
		last_alias(ret, pc);
	return found;
}

static void frames_truncate(struct pgm_stack *stack, size_t n)
{
	for (size_t i = n; i < stack->n_frames; i++) {
		free(stack->frames[i].function);
		free(stack->frames[i].file);
	}
	stack->n_frames = n;
}

/* What DWARF and the symbols say about the function of one machine frame. */
struct frame_function {
	const struct pgm_module *m;
	Dwarf_Addr bias;
	Dwarf_Die *chain;        /* concrete scopes, innermost function out; NULL without DWARF */
	int n_chain;
	Dwarf_Die *subprogram;   /* in chain: the function the code belongs to */
	uint64_t entry;          /* its entry address, 0 if unknown */
};

static uint64_t function_entry(struct pgm_program *prog, const struct phys_frame *f,
			       const struct frame_function *fn)
{
	Dwarf_Addr pc;
	if (fn->subprogram && dwarf_entrypc(fn->subprogram, &pc) == 0)
		return pc + fn->bias;
	GElf_Sym sym;
	uint64_t off;
	if (fn->m && pgm_program_symbol_at(prog, fn->m->dwfl_module, f->lookup_pc, &sym, &off))
		return f->lookup_pc - off;
	return 0;
}

static void locate_function(struct pgm_program *prog, const struct phys_frame *f,
			    struct frame_function *fn)
{
	memset(fn, 0, sizeof(*fn));
	fn->m = pgm_program_module_at(prog, f->lookup_pc);
	Dwarf_Die inner;
	Dwarf_Die *cudie = pgm_program_frames_use_dwarf(prog, fn->m)
		? dwfl_module_addrdie(fn->m->dwfl_module, f->lookup_pc, &fn->bias) : NULL;
	if (cudie && innermost_function(cudie, f->lookup_pc - fn->bias, &inner) &&
	    (fn->n_chain = dwarf_getscopes_die(&inner, &fn->chain)) <= 0) {
		fn->chain = NULL;
		fn->n_chain = 0;
	}
	for (int i = 0; i < fn->n_chain && !fn->subprogram; i++)
		if (dwarf_tag(&fn->chain[i]) == DW_TAG_subprogram)
			fn->subprogram = &fn->chain[i];
	fn->entry = function_entry(prog, f, fn);
}

/* Without DWARF: the ELF symbol covering the pc, and a line if any. */
static struct pgm_error *push_symbol(struct pgm_program *prog, struct pgm_stack *stack,
				     const struct phys_frame *f, unsigned physical,
				     const struct pgm_module *m)
{
	struct pgm_frame *frame = frame_push(stack, f, physical, m);
	if (!frame)
		return &pgm_enomem;
	Dwfl_Module *mod = m ? m->dwfl_module : dwfl_addrmodule(prog->dwfl, f->lookup_pc);
	if (!mod)
		return NULL;
	uint64_t off;
	GElf_Sym sym;
	const char *name = pgm_program_symbol_at(prog, mod, f->lookup_pc, &sym, &off);
	if (!set_name(frame, name))
		return &pgm_enomem;
	if (pgm_program_frames_use_dwarf(prog, m) && !set_pc_line(frame, mod, f->lookup_pc))
		return &pgm_enomem;
	return NULL;
}

/* A machine frame's frames: inline ones from DWARF, else the symbol's. */
static struct pgm_error *push_frames(struct pgm_program *prog, struct pgm_stack *stack,
				     const struct phys_frame *f, unsigned physical,
				     const struct frame_function *fn)
{
	size_t before = stack->n_frames;
	int pushed = fn->chain ? push_chain(stack, f, physical, fn->m, fn->chain, fn->n_chain) : 0;
	if (pushed < 0) {
		frames_truncate(stack, before);
		return &pgm_enomem;
	}
	return pushed ? NULL : push_symbol(prog, stack, f, physical, fn->m);
}

/*
 * Between a caller and its callee, the functions that tail-called their way
 * down; like gdb's tail call frames they have a pc (after their jump) and
 * no other register.
 */
static struct pgm_error *push_tail_calls(struct pgm_program *prog, struct pgm_stack *stack,
					 const struct phys_frame *caller,
					 const struct frame_function *caller_fn,
					 uint64_t callee_entry, unsigned *physical)
{
	uint64_t pcs[PGM_TAIL_CALLS_MAX];
	if (caller->activation || !caller_fn->subprogram || !callee_entry)
		return NULL;
	size_t n = pgm_tail_calls(prog, caller_fn->m, caller_fn->subprogram, caller_fn->bias,
				  caller->pc, callee_entry, pcs);
	for (size_t k = 0; k < n; k++) {
		struct phys_frame t = { .pc = pcs[k], .lookup_pc = pcs[k] - 1,
					.regs_valid = 1u << PGM_DWARF_REG_PC };
		t.regs[PGM_DWARF_REG_PC] = pcs[k];
		struct frame_function fn;
		locate_function(prog, &t, &fn);
		size_t before = stack->n_frames;
		struct pgm_error *err = push_frames(prog, stack, &t, (*physical)++, &fn);
		free(fn.chain);
		if (err)
			return err;
		for (size_t i = before; i < stack->n_frames; i++)
			stack->frames[i].tail_call = true;
	}
	return NULL;
}

/*
 * gdb recognises the x86_64 Linux signal trampoline by its code,
 * "mov $15, %rax; syscall" (rt_sigreturn), wherever it lives.
 */
static bool is_sigreturn(struct pgm_program *prog, uint64_t pc)
{
	static const uint8_t code[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	uint8_t buf[sizeof(code)];
	struct pgm_error *err = pgm_target_read(prog->target, pc, buf, sizeof(buf));
	pgm_error_destroy(err);
	return !err && memcmp(buf, code, sizeof(code)) == 0;
}

/*
 * Functions are located for every frame first: tail calls between frame i
 * and i + 1 need the caller's function before the caller's frames are
 * pushed.
 */
struct pgm_error *pgm_stack_expand(struct pgm_program *prog, const struct phys_frame *phys,
				   size_t n_phys, struct pgm_stack *stack)
{
	struct frame_function *fns = calloc(n_phys ? n_phys : 1, sizeof(*fns));
	if (!fns)
		return &pgm_enomem;
	for (size_t i = 0; i < n_phys; i++)
		locate_function(prog, &phys[i], &fns[i]);
	unsigned physical = 0;
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < n_phys; i++) {
		err = push_frames(prog, stack, &phys[i], physical++, &fns[i]);
		/* libdwfl marks the trampoline's frame an activation (its CFI is a
		 * signal frame), which limits the reads to a few frames. */
		if (!err && phys[i].activation && is_sigreturn(prog, phys[i].pc))
			stack->frames[stack->n_frames - 1].signal_frame = true;
		if (!err && i + 1 < n_phys)
			err = push_tail_calls(prog, stack, &phys[i + 1], &fns[i + 1], fns[i].entry,
					      &physical);
	}
	stack->n_physical = physical;
	for (size_t i = 0; i < n_phys; i++)
		free(fns[i].chain);
	free(fns);
	return err;
}

void pgm_stack_destroy(struct pgm_stack *stack)
{
	if (!stack)
		return;
	frames_truncate(stack, 0);
	free(stack->frames);
	pgm_error_destroy(stack->stop_reason);
	free(stack);
}

int pgm_stack_find_function(const struct pgm_stack *stack, const char *name)
{
	for (size_t i = 0; i < stack->n_frames; i++)
		if (stack->frames[i].function && strcmp(stack->frames[i].function, name) == 0)
			return (int)i;
	return -1;
}

bool pgm_stack_has_function(const struct pgm_stack *stack, const char *name)
{
	return pgm_stack_find_function(stack, name) >= 0;
}

bool pgm_stack_is_complete(const struct pgm_stack *stack)
{
	if (stack->stop_reason)
		return false;
	for (size_t i = 0; i < stack->n_frames; i++)
		if (!stack->frames[i].function)
			return false;
	return true;
}
