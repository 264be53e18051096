/*
 * Cheap per-module indexes the lazy lookups start from: the ELF symbol
 * table (with the source file of each file-static, from the STT_FILE symbol
 * that precedes its group) and the list of units.  Both are read once, in
 * about a millisecond each for PostgreSQL, without touching DIEs.
 */
#include <stdlib.h>
#include <string.h>

#include <libelf.h>

#include <dwarf.h>
#include <gelf.h>

#include "debuginfo/dwarf_internal.h"

static bool grow_array(void **array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t cap2 = *cap ? *cap : 64;
	while (cap2 < need)
		cap2 *= 2;
	void *p = realloc(*array, cap2 * elem);
	if (!p)
		return false;
	*array = p;
	*cap = cap2;
	return true;
}

/* Adds one defined function or object; keeps same-name symbols chained. */
static bool add_symbol(struct pgm_dwarf_module *m, size_t *cap, const char *name,
		       const GElf_Sym *sym, GElf_Addr addr, int32_t group)
{
	if (!grow_array((void **)&m->syms, cap, m->n_syms + 1, sizeof(*m->syms)))
		return false;
	struct dsym *s = &m->syms[m->n_syms];
	bool local = GELF_ST_BIND(sym->st_info) == STB_LOCAL;
	*s = (struct dsym){
		.name = name, .addr = addr, .size = sym->st_size, .section = sym->st_shndx,
		.type = GELF_ST_TYPE(sym->st_info), .local = local,
		.file_group = local ? group : -1,
		.file = local && group >= 0 ? m->groups[group].name : NULL,
		.next = strmap_get(&m->sym_names, name),
	};
	if (local && group >= 0 && s->type == STT_FUNC && !m->groups[group].func_addr)
		m->groups[group].func_addr = addr;
	return strmap_put(&m->sym_names, name, (int32_t)m->n_syms++);
}

static int by_address(const void *a, const void *b, void *arg)
{
	const struct dsym *syms = arg;
	uint64_t x = syms[*(const uint32_t *)a].addr, y = syms[*(const uint32_t *)b].addr;
	return x < y ? -1 : x > y;
}

/* Local objects with a known file, by address: neighbours of a global. */
static struct pgm_error *sort_locals(struct pgm_dwarf_module *m)
{
	m->by_addr = malloc((m->n_syms ? m->n_syms : 1) * sizeof(*m->by_addr));
	if (!m->by_addr)
		return &pgm_enomem;
	for (size_t i = 0; i < m->n_syms; i++)
		if (m->syms[i].file && m->syms[i].type == STT_OBJECT)
			m->by_addr[m->n_by_addr++] = (uint32_t)i;
	qsort_r(m->by_addr, m->n_by_addr, sizeof(*m->by_addr), by_address, m->syms);
	return NULL;
}

struct pgm_error *dmod_load_symbols(struct pgm_dwarf_module *m)
{
	if (m->syms_loaded)
		return NULL;
	m->syms_loaded = true;
	int n = dwfl_module_getsymtab(m->mod);
	size_t cap = 0, cap_groups = 0;
	int32_t group = -1;
	for (int i = 0; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, NULL, NULL, NULL);
		if (!name)
			continue;
		int type = GELF_ST_TYPE(sym.st_info);
		if (type == STT_FILE) {
			if (!grow_array((void **)&m->groups, &cap_groups, m->n_groups + 1,
					sizeof(*m->groups)))
				return &pgm_enomem;
			m->groups[m->n_groups] = (struct file_group){ .name = name };
			group = (int32_t)m->n_groups++;
			continue;
		}
		if ((type != STT_OBJECT && type != STT_FUNC) || sym.st_shndx == SHN_UNDEF || !*name)
			continue;
		if (!add_symbol(m, &cap, name, &sym, addr, group))
			return &pgm_enomem;
	}
	return sort_locals(m);
}

struct pgm_error *dmod_list_units(struct pgm_dwarf_module *m)
{
	if (m->units_listed)
		return NULL;
	struct pgm_error *err = dmod_dwarf(m);
	if (err)
		return err;
	size_t cap = 0;
	Dwarf_Off off = 0, next;
	size_t header_size;
	int r;
	while ((r = dwarf_next_unit(m->dbg, off, &next, &header_size, NULL, NULL, NULL, NULL,
				    NULL, NULL)) == 0) {
		if (!grow_array((void **)&m->units, &cap, m->n_units + 1, sizeof(*m->units)))
			return &pgm_enomem;
		m->units[m->n_units++] = (struct dunit){ .die_offset = off + header_size };
		off = next;
	}
	if (r < 0)
		return pgm_error_wrap(pgm_dwarf_err("dwarf_next_unit"), "listing the units of %s", m->name);
	m->units_listed = true;
	return NULL;
}

long dmod_unit_at(struct pgm_dwarf_module *m, Dwarf_Off die_offset)
{
	struct pgm_error *err = dmod_list_units(m);
	if (err) {
		pgm_error_destroy(err);
		return -1;
	}
	size_t lo = 0, hi = m->n_units;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->units[mid].die_offset < die_offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n_units && m->units[lo].die_offset == die_offset ? (long)lo : -1;
}

long dmod_unit_of_code(struct pgm_dwarf_module *m, uint64_t addr)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &bias);
	return cu ? dmod_unit_at(m, dwarf_dieoffset(cu)) : -1;
}

const char *dmod_unit_name(struct pgm_dwarf_module *m, size_t unit)
{
	struct dunit *u = &m->units[unit];
	if (!u->name_read) {
		Dwarf_Die die;
		u->name_read = true;
		if (dwarf_offdie(m->dbg, u->die_offset, &die))
			u->name = dwarf_diename(&die);
	}
	return u->name;
}

static bool add_unit(long *units, size_t max, size_t *n, long unit)
{
	if (unit < 0)
		return false;
	for (size_t i = 0; i < *n; i++)
		if (units[i] == unit)
			return true;
	if (*n < max)
		units[(*n)++] = unit;
	return true;
}

struct pgm_error *dmod_units_of_file(struct pgm_dwarf_module *m, const char *file,
				     long *units, size_t max, size_t *n)
{
	struct pgm_error *err = dmod_load_symbols(m) ?: dmod_list_units(m);
	if (err)
		return err;
	*n = 0;
	bool unresolved = false;
	/* A local function of the file leads to its CU through .debug_aranges. */
	for (size_t g = 0; g < m->n_groups; g++) {
		if (!pgm_dwarf_same_file(m->groups[g].name, file))
			continue;
		if (!m->groups[g].func_addr ||
		    !add_unit(units, max, n, dmod_unit_of_code(m, m->groups[g].func_addr)))
			unresolved = true;
	}
	if (*n > 0 && !unresolved)
		return NULL;
	/* Otherwise compare unit names: reads every unit DIE once (a few ms). */
	for (size_t u = 0; u < m->n_units; u++)
		if (pgm_dwarf_same_file(dmod_unit_name(m, u), file))
			add_unit(units, max, n, (long)u);
	return NULL;
}

/* The unit of a file, if exactly one unit has that name. */
static long single_unit(struct pgm_dwarf_module *m, const char *file)
{
	long units[2];
	size_t n;
	struct pgm_error *err = dmod_units_of_file(m, file, units, 2, &n);
	pgm_error_destroy(err);
	return !err && n == 1 ? units[0] : -1;
}

/* First by_addr position at or above addr. */
static size_t lower_bound(const struct pgm_dwarf_module *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n_by_addr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[m->by_addr[mid]].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * A global has no file in the symbol table, but the linker lays out each
 * section in link order, and .debug_info follows the same order: the
 * object defining the global lies between the objects of the nearest
 * file-statics below and above it in the same section.  Returns the units
 * in that span if it is short, else nothing (the caller falls back).
 */
static void units_between(struct pgm_dwarf_module *m, const struct dsym *sym, long *units,
			  size_t max, size_t *n)
{
	enum { MAX_SPAN = 24 };
	size_t pos = lower_bound(m, sym->addr);
	const struct dsym *below = NULL, *above = NULL;
	for (size_t i = pos; i-- > 0 && !below;)
		if (m->syms[m->by_addr[i]].section == sym->section)
			below = &m->syms[m->by_addr[i]];
	for (size_t i = pos; i < m->n_by_addr && !above; i++)
		if (m->syms[m->by_addr[i]].section == sym->section)
			above = &m->syms[m->by_addr[i]];
	long lo = below ? single_unit(m, below->file) : -1;
	long hi = above ? single_unit(m, above->file) : -1;
	if (lo < 0 || hi < 0 || hi < lo || hi - lo + 1 > MAX_SPAN)
		return;
	for (long u = lo; u <= hi && *n < max; u++)
		add_unit(units, max, n, u);
}

/* Up to `max` distinct files of the local objects nearest to addr, nearest first. */
static size_t neighbour_files(struct pgm_dwarf_module *m, uint64_t addr, const char **files,
			      size_t max)
{
	size_t lo = 0, hi = m->n_by_addr, n = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[m->by_addr[mid]].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t below = lo, above = lo;   /* candidates: by_addr[below-1], by_addr[above] */
	while (n < max && (below > 0 || above < m->n_by_addr)) {
		const struct dsym *b = below > 0 ? &m->syms[m->by_addr[below - 1]] : NULL;
		const struct dsym *a = above < m->n_by_addr ? &m->syms[m->by_addr[above]] : NULL;
		const struct dsym *pick = !b ? a : !a ? b : addr - b->addr <= a->addr - addr ? b : a;
		if (pick == b)
			below--;
		else
			above++;
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen = seen || files[i] == pick->file;
		if (!seen)
			files[n++] = pick->file;
	}
	return n;
}

struct pgm_error *dmod_units_of_symbol(struct pgm_dwarf_module *m, const struct dsym *sym,
				       long *units, size_t max, size_t *n)
{
	*n = 0;
	if (sym->type == STT_FUNC) {
		add_unit(units, max, n, dmod_unit_of_code(m, sym->addr));
		return NULL;
	}
	if (!sym->file) {
		units_between(m, sym, units, max, n);
		if (*n > 0)
			return NULL;
	}
	const char *files[4];
	size_t n_files = sym->file ? 1 : neighbour_files(m, sym->addr, files, 4);
	if (sym->file)
		files[0] = sym->file;
	for (size_t f = 0; f < n_files && *n < max; f++) {
		long found[8];
		size_t n_found;
		struct pgm_error *err = dmod_units_of_file(m, files[f], found, 8, &n_found);
		if (err)
			return err;
		for (size_t i = 0; i < n_found; i++)
			add_unit(units, max, n, found[i]);
	}
	return NULL;
}

static struct pgm_error *sort_all(struct pgm_dwarf_module *m)
{
	if (m->sorted || m->n_syms == 0)
		return NULL;
	if (!(m->sorted = malloc(m->n_syms * sizeof(*m->sorted))))
		return &pgm_enomem;
	for (size_t i = 0; i < m->n_syms; i++)
		m->sorted[i] = (uint32_t)i;
	m->n_sorted = m->n_syms;
	qsort_r(m->sorted, m->n_sorted, sizeof(*m->sorted), by_address, m->syms);
	return NULL;
}

/*
 * Sized symbols must contain addr, sizeless ones start at it: a pointer
 * into .data is not "_fini+2613504".  Among symbols at one address a
 * global wins, as in gdb.
 */
const struct dsym *dmod_symbol_at(struct pgm_dwarf_module *m, uint64_t addr)
{
	struct pgm_error *err = dmod_load_symbols(m) ?: sort_all(m);
	if (err) {
		pgm_error_destroy(err);
		return NULL;
	}
	size_t lo = 0, hi = m->n_sorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[m->sorted[mid]].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct dsym *best = NULL;
	for (size_t i = lo; i-- > 0 && lo - i <= 64;) {
		const struct dsym *s = &m->syms[m->sorted[i]];
		bool covers = s->size ? addr < s->addr + s->size : addr == s->addr;
		if (best && s->addr != best->addr)
			break;
		if (covers && (!best || (best->local && !s->local)))
			best = s;
	}
	return best;
}

/* Whether "name\0" occurs in a section; true when unsure (missing, compressed). */
static bool section_contains(Elf *elf, const char *section, const char *name)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return true;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *sname;
		if (!gelf_getshdr(scn, &shdr) || !(sname = elf_strptr(elf, shstrndx, shdr.sh_name)) ||
		    strcmp(sname, section) != 0)
			continue;
		Elf_Data *data = elf_rawdata(scn, NULL);
		if ((shdr.sh_flags & SHF_COMPRESSED) || !data || !data->d_buf)
			return true;
		return memmem(data->d_buf, data->d_size, name, strlen(name) + 1) != NULL;
	}
	return strcmp(section, ".debug_str") != 0;   /* no .debug_str: names are inline */
}

bool dmod_name_may_exist(struct pgm_dwarf_module *m, const char *name)
{
	Elf *elf = m->dbg ? dwarf_getelf(m->dbg) : NULL;
	if (!elf || strlen(name) < 4)
		return true;
	return section_contains(elf, ".debug_str", name) ||
	       section_contains(elf, ".debug_info", name);
}
