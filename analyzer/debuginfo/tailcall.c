/*
 * Tail-call frames, as gdb reconstructs them.
 *
 * A function that ends in a jump to another leaves no return address: the
 * unwinder goes from the callee straight to the caller of the function
 * that jumped (sem_wait -> __new_sem_wait_slow64 -> do_futex_wait ->
 * __futex_abstimed_wait_common shows only two frames).  DWARF 5 call-site
 * entries (DW_TAG_call_site, DW_AT_call_tail_call) name the jumps; like
 * gdb we look for the chain of tail calls from the caller's call site to
 * the callee's entry, and show it only when it is unique.
 */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/program_internal.h"

#define MAX_CHAIN PGM_TAIL_CALLS_MAX
#define MAX_VISITS 64

struct search {
	struct pgm_program *prog;
	uint64_t callee_entry;
	uint64_t path[MAX_CHAIN];   /* return pcs of the tail calls taken so far */
	uint64_t found[MAX_CHAIN];
	size_t n_found;
	int n_chains;               /* 0, 1, or 2 meaning "ambiguous or unknowable" */
	int visits;
};

static bool is_call_site(int tag)
{
	return tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site;
}

/* Module-relative return pc: DWARF 5 DW_AT_call_return_pc, GNU DW_AT_low_pc. */
static bool site_return_pc(Dwarf_Die *site, Dwarf_Addr *pc)
{
	Dwarf_Attribute attr;
	if (dwarf_formaddr(dwarf_attr(site, DW_AT_call_return_pc, &attr), pc) == 0)
		return true;
	return dwarf_lowpc(site, pc) == 0;
}

static bool site_is_tail_call(Dwarf_Die *site)
{
	return dwarf_hasattr(site, DW_AT_call_tail_call) || dwarf_hasattr(site, DW_AT_GNU_tail_call);
}

/*
 * The entry address of what a call site calls: a definition's own pc, or
 * for a declaration the symbol of that name, in the same module first.
 */
static bool site_target(struct pgm_program *prog, const struct pgm_module *m, Dwarf_Addr bias,
			Dwarf_Die *site, uint64_t *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	Dwarf_Attribute *a = dwarf_attr(site, DW_AT_call_origin, &attr);
	if (!a)
		a = dwarf_attr(site, DW_AT_abstract_origin, &attr);
	if (!a || !dwarf_formref_die(a, &origin))
		return false;
	Dwarf_Addr pc;
	if (dwarf_entrypc(&origin, &pc) == 0) {
		*ret = pc + bias;
		return true;
	}
	const char *name = dwarf_formstring(dwarf_attr_integrate(&origin, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(&origin, DW_AT_name, &attr));
	return name && pgm_program_symbol_address(prog, m, name, ret);
}

typedef bool (*site_fn)(Dwarf_Die *site, void *arg);

/* Calls fn on each call site in die's subtree (inline code included) until it returns true. */
static bool each_call_site(Dwarf_Die *die, site_fn fn, void *arg)
{
	Dwarf_Die child;
	if (dwarf_child(die, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		if (is_call_site(tag) ? fn(&child, arg)
		    : (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) &&
			      each_call_site(&child, fn, arg))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* The subprogram DIE whose entry is `entry`, with its module and bias. */
static bool function_at(struct pgm_program *prog, uint64_t entry, Dwarf_Die *ret,
			const struct pgm_module **m, Dwarf_Addr *bias)
{
	*m = pgm_program_module_at(prog, entry);
	if (!pgm_program_frames_use_dwarf(prog, *m))
		return false;
	Dwarf_Die *cudie = dwfl_module_addrdie((*m)->dwfl_module, entry, bias);
	Dwarf_Die *scopes;
	int n = cudie ? dwarf_getscopes(cudie, entry - *bias, &scopes) : 0;
	bool found = false;
	for (int i = 0; i < n && !found; i++) {
		Dwarf_Addr pc;
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram &&
		    dwarf_entrypc(&scopes[i], &pc) == 0 && pc + *bias == entry) {
			*ret = scopes[i];
			found = true;
		}
	}
	if (n > 0)
		free(scopes);
	return found;
}

static void search_from(struct search *s, uint64_t entry, size_t depth);

struct tail_visit {
	struct search *s;
	const struct pgm_module *m;
	Dwarf_Addr bias;
	size_t depth;
};

/*
 * A tail call whose target we cannot name (through a function pointer,
 * ExecutorRun_hook) could lead anywhere: gdb then shows no tail-call frames
 * at all, and neither do we.
 */
static bool visit_tail_site(Dwarf_Die *site, void *arg)
{
	struct tail_visit *v = arg;
	Dwarf_Addr ret_pc;
	uint64_t target;
	if (!site_is_tail_call(site))
		return false;
	if (!site_return_pc(site, &ret_pc) ||
	    !site_target(v->s->prog, v->m, v->bias, site, &target)) {
		v->s->n_chains = 2;
		return true;
	}
	v->s->path[v->depth] = ret_pc + v->bias;
	search_from(v->s, target, v->depth + 1);
	return v->s->n_chains > 1;
}

/* Depth-first over tail calls from the function at `entry`. */
static void search_from(struct search *s, uint64_t entry, size_t depth)
{
	if (entry == s->callee_entry) {
		if (++s->n_chains == 1) {
			memcpy(s->found, s->path, depth * sizeof(*s->path));
			s->n_found = depth;
		}
		return;
	}
	Dwarf_Die fn;
	struct tail_visit v = { .s = s, .depth = depth };
	if (depth == MAX_CHAIN || ++s->visits > MAX_VISITS ||
	    !function_at(s->prog, entry, &fn, &v.m, &v.bias))
		return;
	each_call_site(&fn, visit_tail_site, &v);
}

struct call_lookup {
	Dwarf_Addr return_pc;    /* module-relative */
	Dwarf_Die site;
};

static bool match_return_pc(Dwarf_Die *site, void *arg)
{
	struct call_lookup *c = arg;
	Dwarf_Addr pc;
	if (site_is_tail_call(site) || !site_return_pc(site, &pc) || pc != c->return_pc)
		return false;
	c->site = *site;
	return true;
}

size_t pgm_tail_calls(struct pgm_program *prog, const struct pgm_module *caller_module,
		      Dwarf_Die *caller_fn, Dwarf_Addr caller_bias, uint64_t return_pc,
		      uint64_t callee_entry, uint64_t ret_pcs[PGM_TAIL_CALLS_MAX])
{
	struct call_lookup call = { .return_pc = return_pc - caller_bias };
	uint64_t target;
	if (!each_call_site(caller_fn, match_return_pc, &call) ||
	    !site_target(prog, caller_module, caller_bias, &call.site, &target) ||
	    target == callee_entry)
		return 0;
	struct search s = { .prog = prog, .callee_entry = callee_entry };
	search_from(&s, target, 0);
	if (s.n_chains != 1)
		return 0;
	/* found[] runs caller to callee; frames are listed callee first. */
	for (size_t i = 0; i < s.n_found; i++)
		ret_pcs[i] = s.found[s.n_found - 1 - i];
	return s.n_found;
}
