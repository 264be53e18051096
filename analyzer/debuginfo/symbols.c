/*
 * Symbol lookup by name and by address.
 *
 * By address is libdwfl's own sorted search.  By name libdwfl has nothing, so
 * each module gets a hash table of its symbols (.symtab, else .dynsym) the
 * first time a name is looked up in it: one pass over the table, then O(1).
 */
#include <elf.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/program_internal.h"

/* The length of name without a default-version suffix "@@VERSION". */
static size_t base_length(const char *name)
{
	const char *at = strstr(name, "@@");
	return at ? (size_t)(at - name) : strlen(name);
}

static uint64_t hash_name(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ULL;
	return h;
}

/* Functions and objects that have an address; not TLS offsets or undefs. */
static bool symbol_indexable(const GElf_Sym *sym, GElf_Word shndx, const char *name)
{
	int type = GELF_ST_TYPE(sym->st_info);
	return name && *name && shndx != SHN_UNDEF &&
	       (type == STT_FUNC || type == STT_OBJECT || type == STT_GNU_IFUNC ||
		type == STT_NOTYPE);
}

/*
 * Names are keyed without their "@@VERSION": the default version of a
 * versioned symbol is what a plain name means to the linker and to gdb.
 */
static size_t slot_of(const struct symbol_index *idx, const char *name)
{
	size_t len = base_length(name);
	size_t mask = idx->cap - 1, i = hash_name(name, len) & mask;
	while (idx->names[i] && (base_length(idx->names[i]) != len ||
				 memcmp(idx->names[i], name, len) != 0))
		i = (i + 1) & mask;
	return i;
}

/* A global replaces a local of the same name; otherwise the first stays. */
static void index_insert(struct symbol_index *idx, Dwfl_Module *mod, const char *name,
			 uint32_t ndx, bool global)
{
	size_t i = slot_of(idx, name);
	if (idx->names[i]) {
		GElf_Sym old;
		GElf_Addr addr;
		dwfl_module_getsym_info(mod, (int)idx->ndx[i], &old, &addr, NULL, NULL, NULL);
		if (!global || GELF_ST_BIND(old.st_info) != STB_LOCAL)
			return;
	}
	idx->names[i] = name;
	idx->ndx[i] = ndx;
}

static struct pgm_error *index_build(struct symbol_index *idx, Dwfl_Module *mod)
{
	int n = dwfl_module_getsymtab(mod);
	idx->built = true;
	if (n <= 0)
		return NULL;
	size_t cap = 16;
	while (cap < (size_t)n * 2)
		cap *= 2;
	idx->names = calloc(cap, sizeof(*idx->names));
	idx->ndx = calloc(cap, sizeof(*idx->ndx));
	if (!idx->names || !idx->ndx)
		return &pgm_enomem;
	idx->cap = cap;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
		if (symbol_indexable(&sym, shndx, name))
			index_insert(idx, mod, name, (uint32_t)i,
				     GELF_ST_BIND(sym.st_info) != STB_LOCAL);
	}
	return NULL;
}

static struct pgm_error *find_in_module(struct pgm_program *prog, struct module_state *ms,
					const char *name, struct pgm_symbol *ret, bool *found)
{
	const struct pgm_module *m = &prog->modules[ms->index];
	Dwfl_Module *mod = m->dwfl_module;
	if (!ms->symbols.built) {
		struct pgm_error *err = index_build(&ms->symbols, mod);
		if (err)
			return err;
	}
	*found = false;
	if (!ms->symbols.cap)
		return NULL;
	size_t i = slot_of(&ms->symbols, name);
	if (!ms->symbols.names[i])
		return NULL;
	GElf_Sym sym;
	GElf_Addr addr;
	const char *symname = dwfl_module_getsym_info(mod, (int)ms->symbols.ndx[i], &sym, &addr,
						      NULL, NULL, NULL);
	*ret = (struct pgm_symbol){
		.name = symname,
		.address = addr,
		.size = sym.st_size,
		.is_local = GELF_ST_BIND(sym.st_info) == STB_LOCAL,
		.module = m,
	};
	*found = true;
	return NULL;
}

bool pgm_program_symbol_address(struct pgm_program *prog, const struct pgm_module *m,
				const char *name, uint64_t *ret)
{
	struct pgm_symbol sym;
	bool found = false;
	struct pgm_error *err = NULL;
	if (m && m->has_elf)
		err = find_in_module(prog, &prog->states[m - prog->modules], name, &sym, &found);
	if (!err && !found) {
		err = pgm_program_find_symbol(prog, name, &sym);
		found = !err;
	}
	pgm_error_destroy(err);
	if (found)
		*ret = sym.address;
	return found;
}

struct pgm_error *pgm_program_find_symbol(struct pgm_program *prog, const char *name,
					  struct pgm_symbol *ret)
{
	bool found = false;
	struct pgm_error *err = NULL;
	if (!prog->dwfl)
		return pgm_error_create(PGM_ERR_LOOKUP, "symbol %s: symbol tables are not in a bundle", name);
	if (prog->main)
		err = find_in_module(prog, &prog->states[prog->main - prog->modules], name, ret,
				     &found);
	for (size_t i = 0; !err && !found && i < prog->n_modules; i++)
		if (&prog->modules[i] != prog->main && prog->modules[i].has_elf)
			err = find_in_module(prog, &prog->states[i], name, ret, &found);
	if (err)
		return err;
	if (!found)
		return pgm_error_create(PGM_ERR_LOOKUP, "symbol %s not found", name);
	return NULL;
}

static int compare_symbol_at(const void *a, const void *b)
{
	const struct symbol_at *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->ndx < y->ndx ? -1 : x->ndx > y->ndx;
}

static void address_index_build(struct address_index *ai, Dwfl_Module *mod)
{
	int n = dwfl_module_getsymtab(mod);
	ai->built = true;
	if (n <= 0 || !(ai->syms = malloc((size_t)n * sizeof(*ai->syms))))
		return;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		if (name && *name && shndx != SHN_UNDEF && (type == STT_FUNC || type == STT_GNU_IFUNC))
			ai->syms[ai->n++] = (struct symbol_at){
				.value = addr, .size = sym.st_size, .ndx = (uint32_t)i,
			};
	}
	qsort(ai->syms, ai->n, sizeof(*ai->syms), compare_symbol_at);
}

/* How many entries have value <= addr. */
static size_t upper_bound(const struct address_index *ai, uint64_t addr)
{
	size_t lo = 0, hi = ai->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ai->syms[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Among the names at the address of entry `last` (sized or sizeless ones),
 * the last by strcmp; NULL if there is none of that kind.
 */
static const char *preferred_name(const struct address_index *ai, Dwfl_Module *mod, size_t last,
				  bool sized, GElf_Sym *ret)
{
	const char *best = NULL;
	uint64_t value = ai->syms[last].value;
	for (size_t i = last + 1; i-- > 0 && ai->syms[i].value == value;) {
		if ((ai->syms[i].size != 0) != sized)
			continue;
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, (int)ai->syms[i].ndx, &sym, &addr,
							   NULL, NULL, NULL);
		if (name && (!best || strcmp(name, best) > 0)) {
			best = name;
			*ret = sym;
		}
	}
	return best;
}

/* The nearest sized symbol below entry i encloses addr: gdb takes it. */
static const char *enclosing(const struct address_index *ai, Dwfl_Module *mod, size_t i,
			     uint64_t addr, GElf_Sym *ret, uint64_t *value)
{
	while (i-- > 0) {
		const struct symbol_at *s = &ai->syms[i];
		if (s->size == 0)
			continue;
		if (addr - s->value >= s->size)
			return NULL;
		*value = s->value;
		return preferred_name(ai, mod, i, true, ret);
	}
	return NULL;
}

static const char *lookup_address(const struct address_index *ai, Dwfl_Module *mod,
				  uint64_t addr, GElf_Sym *sym, uint64_t *value)
{
	size_t hi = upper_bound(ai, addr);
	if (hi == 0)
		return NULL;
	const struct symbol_at *at = &ai->syms[hi - 1];
	*value = at->value;
	GElf_Sym sized_sym;
	const char *sized = preferred_name(ai, mod, hi - 1, true, &sized_sym);
	if (sized && addr - at->value < sized_sym.st_size) {
		*sym = sized_sym;
		return sized;
	}
	if (!sized) {
		size_t run = hi - 1;
		while (run > 0 && ai->syms[run - 1].value == at->value)
			run--;
		const char *outer = enclosing(ai, mod, run, addr, sym, value);
		if (outer)
			return outer;
		*value = at->value;
	}
	return preferred_name(ai, mod, hi - 1, false, sym);
}

const char *pgm_program_symbol_at(struct pgm_program *prog, Dwfl_Module *mod, uint64_t addr,
				  GElf_Sym *sym, uint64_t *offset)
{
	const struct pgm_module *m = pgm_program_module_of(prog, mod);
	if (!m) {
		GElf_Off off;
		const char *name = dwfl_module_addrinfo(mod, addr, &off, sym, NULL, NULL, NULL);
		*offset = off;
		return name;
	}
	struct address_index *ai = &prog->states[m - prog->modules].by_address;
	if (!ai->built)
		address_index_build(ai, mod);
	uint64_t value;
	const char *name = lookup_address(ai, mod, addr, sym, &value);
	if (name)
		*offset = addr - value;
	return name;
}

struct pgm_error *pgm_program_symbolize(struct pgm_program *prog, uint64_t addr,
					struct pgm_symbol *ret, uint64_t *offset)
{
	Dwfl_Module *mod = prog->dwfl ? dwfl_addrmodule(prog->dwfl, addr) : NULL;
	if (!mod)
		return pgm_error_create(PGM_ERR_LOOKUP, "no module at 0x%" PRIx64, addr);
	uint64_t off;
	GElf_Sym sym;
	const char *name = pgm_program_symbol_at(prog, mod, addr, &sym, &off);
	if (!name)
		return pgm_error_create(PGM_ERR_LOOKUP, "no symbol at 0x%" PRIx64, addr);
	*ret = (struct pgm_symbol){
		.name = name,
		.address = addr - off,
		.size = sym.st_size,
		.is_local = GELF_ST_BIND(sym.st_info) == STB_LOCAL,
		.module = pgm_program_module_of(prog, mod),
	};
	if (offset)
		*offset = off;
	return NULL;
}
