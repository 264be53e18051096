/*
 * Frame variables: the parameters and locals of one frame of a stack (gdb
 * numbering, inline frames included), located at the frame's pc by our
 * expression interpreter with that frame's registers and CFA.
 *
 * The scopes of a frame come from two libdw calls: dwarf_getscopes gives
 * the lexical blocks around the pc up to the innermost function (inlined or
 * not), and dwarf_getscopes_die on that function gives the concrete chain
 * of its callers' scopes (dwarf_getscopes itself continues with the
 * abstract definition's scopes above an inlined subroutine, which is right
 * for the innermost frame only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "debuginfo/dwarf_internal.h"

struct frame_scopes {
	Dwarf_Die *dies;        /* innermost first, concrete */
	size_t n;
	size_t begin, end;      /* [begin, end) belongs to the frame; dies[end-1] is its function */
	Dwarf_Die *subprogram;  /* the physical function (frame base), or NULL */
	struct pgm_dwarf_module *module;
	Dwarf_Addr lookup_pc;   /* module-relative pc used for scopes and locations */
};

static bool is_function(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

static struct pgm_dwarf_module *module_of(struct pgm_dwarf *dw, const struct pgm_frame *f)
{
	for (size_t i = 0; f->module && i < dw->n_modules; i++)
		if (dw->modules[i].mod == f->module->dwfl_module)
			return &dw->modules[i];
	return NULL;
}

/* Depth of frame `index` within its physical frame: 0 for the innermost. */
static size_t inline_depth(const struct pgm_stack *stack, size_t index)
{
	size_t d = 0;
	while (d < index && stack->frames[index - d - 1].physical == stack->frames[index].physical)
		d++;
	return d;
}

/* Blocks around pc up to the innermost function, then that function's concrete parents. */
static struct pgm_error *concrete_chain(Dwarf_Die *cudie, Dwarf_Addr pc, struct frame_scopes *s)
{
	Dwarf_Die *around, *parents;
	int n = dwarf_getscopes(cudie, pc, &around);
	if (n <= 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "no function covers the pc in the DWARF");
	int inner = 0;
	while (inner < n && !is_function(dwarf_tag(&around[inner])))
		inner++;
	int np = inner < n ? dwarf_getscopes_die(&around[inner], &parents) : -1;
	if (np <= 0) {
		free(around);
		return pgm_error_create(PGM_ERR_LOOKUP, "no function covers the pc in the DWARF");
	}
	s->dies = malloc(((size_t)inner + (size_t)np) * sizeof(*s->dies));
	if (s->dies) {
		memcpy(s->dies, around, (size_t)inner * sizeof(*s->dies));
		memcpy(s->dies + inner, parents, (size_t)np * sizeof(*s->dies));
		s->n = (size_t)inner + (size_t)np;
	}
	free(around);
	free(parents);
	return s->dies ? NULL : &pgm_enomem;
}

/* The slice of the chain that is frame `depth` of this physical frame. */
static struct pgm_error *select_frame(struct frame_scopes *s, size_t depth)
{
	size_t seen = 0, begin = 0;
	s->subprogram = NULL;
	for (size_t i = 0; i < s->n; i++) {
		int tag = dwarf_tag(&s->dies[i]);
		if (!is_function(tag))
			continue;
		if (seen == depth) {
			s->begin = begin;
			s->end = i + 1;
		}
		if (tag == DW_TAG_subprogram) {
			s->subprogram = &s->dies[i];
			break;
		}
		seen++;
		begin = i + 1;
	}
	if (seen < depth || s->end == 0)
		return pgm_error_create(PGM_ERR_LOOKUP,
					"the DWARF at this pc has fewer inline levels than the stack");
	return NULL;
}

static struct pgm_error *frame_scopes(struct pgm_dwarf *dw, const struct pgm_stack *stack,
				      size_t index, struct frame_scopes *s)
{
	memset(s, 0, sizeof(*s));
	if (index >= stack->n_frames)
		return pgm_error_create(PGM_ERR_USAGE, "no frame %zu (the stack has %zu)", index,
					stack->n_frames);
	const struct pgm_frame *f = &stack->frames[index];
	if (!(s->module = module_of(dw, f)))
		return pgm_error_create(PGM_ERR_LOOKUP, "frame %zu is in no known module", index);
	struct pgm_error *err = dmod_dwarf(s->module);
	if (err)
		return pgm_error_wrap(err, "frame %zu", index);
	/* A caller's pc is a return address: the call is the instruction before it. */
	Dwarf_Addr pc = f->activation ? f->pc : f->pc - 1, bias;
	Dwarf_Die *cudie = dwfl_module_addrdie(s->module->mod, pc, &bias);
	if (!cudie)
		return pgm_error_create(PGM_ERR_LOOKUP, "no DWARF covers frame %zu's pc", index);
	s->lookup_pc = pc - bias;
	if ((err = concrete_chain(cudie, s->lookup_pc, s)) ||
	    (err = select_frame(s, inline_depth(stack, index)))) {
		free(s->dies);
		s->dies = NULL;
	}
	return err;
}

/* ---- locations ---- */

static const uint8_t *uleb_block(uint64_t start, size_t *len)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)start;
	uint64_t v = 0;
	unsigned shift = 0;
	do
		v |= (uint64_t)(*p & 0x7f) << shift, shift += 7;
	while (*p++ & 0x80 && shift < 64);
	*len = (size_t)v;
	return p;
}

/* libdw's decoded operations in our shape; indexed addresses resolved. */
static struct pgm_error *convert_ops(Dwarf_Attribute *attr, const Dwarf_Op *in, size_t n,
				     struct pgm_expr_op **ret)
{
	struct pgm_expr_op *ops = calloc(n ? n : 1, sizeof(*ops));
	if (!ops)
		return &pgm_enomem;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Attribute res;
		Dwarf_Addr addr;
		ops[i] = (struct pgm_expr_op){ .atom = in[i].atom, .number = in[i].number,
					       .number2 = in[i].number2, .offset = in[i].offset };
		switch (in[i].atom) {
		case DW_OP_implicit_value: case DW_OP_entry_value: case DW_OP_GNU_entry_value:
			ops[i].block = uleb_block(in[i].number2, &ops[i].block_len);
			break;
		case DW_OP_addrx: case DW_OP_GNU_addr_index: case DW_OP_constx:
		case DW_OP_GNU_const_index:
			if (dwarf_getlocation_attr(attr, &in[i], &res) != 0 ||
			    dwarf_formaddr(&res, &addr) != 0) {
				free(ops);
				return pgm_dwarf_err("dwarf_getlocation_attr");
			}
			ops[i].atom = in[i].atom == DW_OP_addrx || in[i].atom == DW_OP_GNU_addr_index
					      ? DW_OP_addr : DW_OP_constu;
			ops[i].number = addr;
			break;
		}
	}
	*ret = ops;
	return NULL;
}

/*
 * Evaluates attribute `attr` (a location or location list) at pc; an
 * attribute without an entry for pc is an empty location (optimized out).
 */
static struct pgm_error *eval_attr(Dwarf_Attribute *attr, Dwarf_Addr pc,
				   const struct pgm_expr_context *ctx, struct pgm_location *ret)
{
	Dwarf_Op *expr;
	size_t len;
	memset(ret, 0, sizeof(*ret));
	int r = dwarf_getlocation_addr(attr, pc, &expr, &len, 1);
	if (r < 0)
		return pgm_dwarf_err("dwarf_getlocation_addr");
	if (r == 0 || len == 0)
		return NULL;
	struct pgm_expr_op *ops;
	struct pgm_error *err = convert_ops(attr, expr, len, &ops);
	if (err)
		return err;
	err = pgm_expr_eval_location(ops, len, ctx, ret);
	free(ops);
	return err;
}

/* DW_AT_frame_base of the physical function: usually DW_OP_call_frame_cfa. */
static void frame_base(const struct frame_scopes *s, struct pgm_expr_context *ctx)
{
	Dwarf_Attribute attr;
	struct pgm_location loc;
	ctx->has_frame_base = false;
	if (!s->subprogram || !dwarf_attr(s->subprogram, DW_AT_frame_base, &attr))
		return;
	struct pgm_error *err = eval_attr(&attr, s->lookup_pc, ctx, &loc);
	if (err || loc.n_pieces != 1) {
		pgm_error_destroy(err);
		return;
	}
	const struct pgm_loc_piece *p = &loc.pieces[0];
	if (p->kind == PGM_LOC_MEMORY) {
		ctx->frame_base = p->address;
		ctx->has_frame_base = true;
	} else if (p->kind == PGM_LOC_REGISTER && p->regno < ctx->n_regs &&
		   (ctx->regs_valid & (1u << p->regno))) {
		ctx->frame_base = ctx->regs[p->regno];
		ctx->has_frame_base = true;
	}
}

/* Registers, CFA, frame base and memory of frame `index`. */
static void frame_context(struct pgm_dwarf *dw, const struct pgm_stack *stack, size_t index,
			  const struct frame_scopes *s, struct pgm_expr_context *ctx)
{
	const struct pgm_frame *f = &stack->frames[index];
	memset(ctx, 0, sizeof(*ctx));
	ctx->regs = f->regs;
	ctx->n_regs = PGM_DWARF_NREGS;
	ctx->regs_valid = f->regs_valid;
	ctx->has_cfa = f->has_cfa;
	ctx->cfa = f->cfa;
	ctx->bias = s->module->bias;
	ctx->target = dw->target;
	frame_base(s, ctx);
}

/* DW_AT_const_value: the variable is a constant with no storage. */
static bool const_value(Dwarf_Die *die, struct pgm_location *loc)
{
	Dwarf_Attribute attr;
	if (!dwarf_attr_integrate(die, DW_AT_const_value, &attr))
		return false;
	struct pgm_loc_piece *p = &loc->pieces[0];
	memset(loc, 0, sizeof(*loc));
	Dwarf_Block block;
	Dwarf_Word v;
	Dwarf_Sword sv;
	if (dwarf_formblock(&attr, &block) == 0) {
		p->kind = PGM_LOC_IMPLICIT;
		p->block = block.data;
		p->block_len = block.length;
	} else if (dwarf_whatform(&attr) == DW_FORM_sdata && dwarf_formsdata(&attr, &sv) == 0) {
		p->kind = PGM_LOC_VALUE;
		p->value = (uint64_t)sv;
	} else if (dwarf_formudata(&attr, &v) == 0) {
		p->kind = PGM_LOC_VALUE;
		p->value = v;
	} else {
		return false;
	}
	loc->n_pieces = 1;
	return true;
}

/* ---- entry values through the caller's call site ---- */

struct entry_arg {
	struct pgm_dwarf *dw;
	const struct pgm_stack *stack;
	size_t index;               /* the callee's frame */
	const struct frame_scopes *scopes;
};

static bool entry_value(const struct pgm_expr_context *ctx, unsigned regno, uint64_t *ret);

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

/* Innermost frame of the physical frame that called frame `index`, or -1. */
static long caller_frame(const struct pgm_stack *stack, size_t index)
{
	unsigned physical = stack->frames[index].physical;
	for (size_t k = index + 1; k < stack->n_frames; k++)
		if (stack->frames[k].physical == physical + 1)
			return (long)k;
	return -1;
}

/* The call site in the caller's scopes whose return address is the caller's pc. */
static bool find_call_site(const struct frame_scopes *cs, Dwarf_Addr return_pc, Dwarf_Die *ret)
{
	for (size_t i = 0; i < cs->n; i++) {
		Dwarf_Die child;
		if (dwarf_child(&cs->dies[i], &child) != 0)
			continue;
		do {
			int tag = dwarf_tag(&child);
			Dwarf_Attribute attr;
			Dwarf_Addr pc;
			if (tag != DW_TAG_call_site && tag != DW_TAG_GNU_call_site)
				continue;
			if ((dwarf_attr(&child, DW_AT_call_return_pc, &attr) ||
			     dwarf_attr(&child, DW_AT_low_pc, &attr)) &&
			    dwarf_formaddr(&attr, &pc) == 0 && pc == return_pc) {
				*ret = child;
				return true;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return false;
}

/*
 * A call site proves the entry value only if it calls our function
 * directly: a tail call in between would make its parameters someone
 * else's.  Indirect calls (no origin) are not trusted.
 */
static bool calls_function(Dwarf_Die *site, Dwarf_Die *callee)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	if (!(dwarf_attr(site, DW_AT_call_origin, &attr) ||
	      dwarf_attr(site, DW_AT_abstract_origin, &attr)) ||
	    !dwarf_formref_die(&attr, &origin))
		return false;
	const char *a = die_name(&origin), *b = die_name(callee);
	return a && b && strcmp(a, b) == 0;
}

static bool site_parameter(Dwarf_Die *site, unsigned regno, Dwarf_Attribute *value)
{
	Dwarf_Die child;
	if (dwarf_child(site, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		Dwarf_Attribute attr;
		Dwarf_Op *ops;
		size_t n;
		if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter)
			continue;
		if (!dwarf_attr(&child, DW_AT_location, &attr) ||
		    dwarf_getlocation(&attr, &ops, &n) != 0 || n != 1)
			continue;
		unsigned r = ops[0].atom == DW_OP_regx ? (unsigned)ops[0].number
						       : (unsigned)(ops[0].atom - DW_OP_reg0);
		if ((ops[0].atom != DW_OP_regx && (ops[0].atom < DW_OP_reg0 || ops[0].atom > DW_OP_reg31)) ||
		    r != regno)
			continue;
		return dwarf_attr(&child, DW_AT_call_value, value) ||
		       dwarf_attr(&child, DW_AT_GNU_call_site_value, value);
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* Evaluates the call site's DW_AT_call_value in the caller's frame. */
static bool eval_in_caller(const struct entry_arg *a, size_t caller, const struct frame_scopes *cs,
			   Dwarf_Attribute *value, unsigned depth, uint64_t *ret)
{
	struct pgm_expr_context ctx;
	struct entry_arg next = { a->dw, a->stack, caller, cs };
	frame_context(a->dw, a->stack, caller, cs, &ctx);
	ctx.entry_value = entry_value;
	ctx.arg = &next;
	ctx.depth = depth + 1;
	Dwarf_Op *expr;
	size_t len;
	struct pgm_expr_op *ops;
	bool ok = false;
	char reason[96];
	if (dwarf_getlocation(value, &expr, &len) != 0 || convert_ops(value, expr, len, &ops))
		return false;
	struct pgm_error *err = pgm_expr_eval_value(ops, len, &ctx, ret, &ok, reason);
	free(ops);
	pgm_error_destroy(err);
	return !err && ok;
}

static bool entry_value(const struct pgm_expr_context *ctx, unsigned regno, uint64_t *ret)
{
	const struct entry_arg *a = ctx->arg;
	long caller = caller_frame(a->stack, a->index);
	struct frame_scopes cs;
	Dwarf_Die site;
	Dwarf_Attribute value;
	if (caller < 0 || !a->scopes->subprogram)
		return false;
	struct pgm_error *err = frame_scopes(a->dw, a->stack, (size_t)caller, &cs);
	if (err) {
		pgm_error_destroy(err);
		return false;
	}
	Dwarf_Addr return_pc = a->stack->frames[caller].pc - cs.module->bias;
	bool ok = find_call_site(&cs, return_pc, &site) &&
		  calls_function(&site, a->scopes->subprogram) &&
		  site_parameter(&site, regno, &value) &&
		  eval_in_caller(a, (size_t)caller, &cs, &value, ctx->depth, ret);
	free(cs.dies);
	return ok;
}

/* ---- variables ---- */

static bool is_variable(int tag)
{
	return tag == DW_TAG_variable || tag == DW_TAG_formal_parameter;
}

static struct pgm_error *make_variable(struct pgm_dwarf *dw, const struct pgm_stack *stack,
				       size_t index, const struct frame_scopes *s, Dwarf_Die *die,
				       struct pgm_variable *ret)
{
	struct entry_arg arg = { dw, stack, index, s };
	Dwarf_Attribute attr;
	struct pgm_error *err = NULL;
	memset(ret, 0, sizeof(*ret));
	ret->name = die_name(die);
	ret->is_parameter = dwarf_tag(die) == DW_TAG_formal_parameter;
	dtype_of(s->module, die, &ret->type);
	frame_context(dw, stack, index, s, &ret->ctx);
	ret->ctx.entry_value = entry_value;
	ret->ctx.arg = &arg;
	if (dwarf_attr(die, DW_AT_location, &attr))
		err = eval_attr(&attr, s->lookup_pc, &ret->ctx, &ret->loc);
	else
		const_value(die, &ret->loc);
	/* The callback's argument lives on this stack frame only. */
	ret->ctx.entry_value = NULL;
	ret->ctx.arg = NULL;
	return err ? pgm_error_wrap(err, "location of '%s'", ret->name ? ret->name : "?") : NULL;
}

static bool find_child(Dwarf_Die *scope, const char *name, Dwarf_Die *ret)
{
	Dwarf_Die child;
	if (dwarf_child(scope, &child) != 0)
		return false;
	do {
		const char *n;
		if (is_variable(dwarf_tag(&child)) && (n = die_name(&child)) && strcmp(n, name) == 0) {
			*ret = child;
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* A parameter or local the compiler dropped from the concrete instance. */
static bool find_abstract(Dwarf_Die *function, const char *name, Dwarf_Die *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	return dwarf_attr(function, DW_AT_abstract_origin, &attr) &&
	       dwarf_formref_die(&attr, &origin) && find_child(&origin, name, ret);
}

static const char *function_name(const struct frame_scopes *s)
{
	return die_name(&s->dies[s->end - 1]) ?: "??";
}

struct pgm_error *pgm_frame_variable_find(struct pgm_dwarf *dw, const struct pgm_stack *stack,
					  size_t frame_index, const char *name,
					  struct pgm_variable *ret)
{
	struct frame_scopes s;
	struct pgm_error *err = frame_scopes(dw, stack, frame_index, &s);
	if (err)
		return err;
	Dwarf_Die die;
	bool found = false;
	for (size_t i = s.begin; i < s.end && !found; i++)
		found = find_child(&s.dies[i], name, &die);
	if (found) {
		err = make_variable(dw, stack, frame_index, &s, &die, ret);
	} else if (find_abstract(&s.dies[s.end - 1], name, &die)) {
		memset(ret, 0, sizeof(*ret));   /* no location at all: optimized out */
		ret->name = die_name(&die);
		ret->is_parameter = dwarf_tag(&die) == DW_TAG_formal_parameter;
		dtype_of(s.module, &die, &ret->type);
	} else {
		err = pgm_error_create(PGM_ERR_LOOKUP, "no variable '%s' in frame %zu (%s)", name,
				       frame_index, function_name(&s));
	}
	free(s.dies);
	return err;
}

static bool seen_name(const struct pgm_variable *vars, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (vars[i].name && strcmp(vars[i].name, name) == 0)
			return true;
	return false;
}

/* Appends the variables of `scope` with tag `tag` not already listed. */
static struct pgm_error *collect(struct pgm_dwarf *dw, const struct pgm_stack *stack, size_t index,
				 const struct frame_scopes *s, Dwarf_Die *scope, int tag,
				 struct pgm_variable **vars, size_t *n)
{
	Dwarf_Die child;
	if (dwarf_child(scope, &child) != 0)
		return NULL;
	do {
		const char *name;
		if (dwarf_tag(&child) != tag || !(name = die_name(&child)) || seen_name(*vars, *n, name))
			continue;
		struct pgm_variable *grown = realloc(*vars, (*n + 1) * sizeof(**vars));
		if (!grown)
			return &pgm_enomem;
		*vars = grown;
		struct pgm_error *err = make_variable(dw, stack, index, s, &child, &(*vars)[*n]);
		if (err)
			return err;
		(*n)++;
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}

struct pgm_error *pgm_frame_variables(struct pgm_dwarf *dw, const struct pgm_stack *stack,
				      size_t frame_index, struct pgm_variable **ret, size_t *n)
{
	struct frame_scopes s;
	struct pgm_error *err = frame_scopes(dw, stack, frame_index, &s);
	if (err)
		return err;
	*ret = NULL;
	*n = 0;
	err = collect(dw, stack, frame_index, &s, &s.dies[s.end - 1], DW_TAG_formal_parameter, ret, n);
	for (size_t i = s.begin; !err && i < s.end; i++)
		err = collect(dw, stack, frame_index, &s, &s.dies[i], DW_TAG_variable, ret, n);
	free(s.dies);
	if (err) {
		free(*ret);
		*ret = NULL;
		*n = 0;
	}
	return err;
}
