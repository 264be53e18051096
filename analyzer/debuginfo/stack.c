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

/* DW_AT_name, through DW_AT_abstract_origin and DW_AT_specification. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
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

/*
 * Inline frames at one physical frame from DWARF; *pushed is 0 when DWARF
 * does not cover the pc (no debuginfo, or code outside any subprogram).
 */
static struct pgm_error *expand_dwarf(struct pgm_stack *stack, const struct phys_frame *f,
				      unsigned physical, const struct pgm_module *m, int *pushed)
{
	*pushed = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cudie = dwfl_module_addrdie(m->dwfl_module, f->lookup_pc, &bias);
	Dwarf_Die inner, *chain;
	if (!cudie || !innermost_function(cudie, f->lookup_pc - bias, &inner))
		return NULL;
	int n = dwarf_getscopes_die(&inner, &chain);
	if (n <= 0)
		return NULL;
	size_t before = stack->n_frames;
	*pushed = push_chain(stack, f, physical, m, chain, n);
	free(chain);
	if (*pushed >= 0)
		return NULL;
	frames_truncate(stack, before);
	return &pgm_enomem;
}

/* Without DWARF: the ELF symbol covering the pc, and a line if any. */
static struct pgm_error *expand_symbol(struct pgm_program *prog, struct pgm_stack *stack,
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
	if (m && m->has_dwarf && !set_pc_line(frame, mod, f->lookup_pc))
		return &pgm_enomem;
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

struct pgm_error *pgm_stack_expand(struct pgm_program *prog, const struct phys_frame *phys,
				   size_t n_phys, struct pgm_stack *stack)
{
	for (size_t i = 0; i < n_phys; i++) {
		const struct pgm_module *m = pgm_program_module_at(prog, phys[i].lookup_pc);
		int pushed = 0;
		struct pgm_error *err = NULL;
		if (m && m->has_dwarf)
			err = expand_dwarf(stack, &phys[i], (unsigned)i, m, &pushed);
		if (!err && pushed == 0)
			err = expand_symbol(prog, stack, &phys[i], (unsigned)i, m);
		if (err)
			return err;
		/* libdwfl marks the trampoline's frame an activation (its CFI is a
		 * signal frame), which limits the reads to a few frames. */
		if (phys[i].activation && is_sigreturn(prog, phys[i].pc))
			stack->frames[stack->n_frames - 1].signal_frame = true;
	}
	return NULL;
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
