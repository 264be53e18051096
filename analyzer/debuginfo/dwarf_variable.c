/*
 * Global and file-static variables: the symbol table gives the address
 * (file-statics included), the address leads to the few CUs that can define
 * it, and only those are read to find the DW_TAG_variable whose
 * DW_OP_addr matches.  The match on the address is what makes the answer
 * right even when several CUs have a static of the same name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <gelf.h>

#include "debuginfo/dwarf_internal.h"

#define MAX_UNITS 16

/* The static address in a variable's DW_AT_location, if it is DW_OP_addr alone. */
static bool static_address(Dwarf_Die *die, uint64_t *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t n;
	if (!dwarf_attr(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &ops, &n) != 0)
		return false;
	if (n != 1 || ops[0].atom != DW_OP_addr)
		return false;
	*ret = ops[0].number;
	return true;
}

/*
 * A defining entry for `name` in one of `units` (any unit if n_units is
 * 0) at runtime address `addr` (any address if addr is 0).
 */
static int32_t find_definition(struct pgm_dwarf_module *m, const char *name, const long *units,
			       size_t n_units, uint64_t addr, const char *file_hint)
{
	for (int32_t i = dindex_lookup(m, name); i >= 0; i = m->entries[i].next) {
		const struct dentry *e = &m->entries[i];
		if (e->tag != DW_TAG_variable || !e->has_location)
			continue;
		bool in_units = n_units == 0;
		for (size_t u = 0; u < n_units; u++)
			in_units = in_units || units[u] == (long)e->unit;
		if (!in_units)
			continue;
		if (file_hint && !pgm_dwarf_same_file(dmod_unit_name(m, e->unit), file_hint))
			continue;
		Dwarf_Die die;
		uint64_t a;
		if (!dindex_die(m, i, &die) || !static_address(&die, &a))
			continue;
		if (addr == 0 || a + m->bias == addr)
			return i;
	}
	return -1;
}

static void fill_variable(struct pgm_dwarf *dw, struct pgm_dwarf_module *m, int32_t entry,
			  const char *name, struct pgm_variable *ret)
{
	Dwarf_Die die;
	uint64_t a = 0;
	memset(ret, 0, sizeof(*ret));
	dindex_die(m, entry, &die);
	static_address(&die, &a);
	Dwarf_Attribute attr;
	ret->name = dwarf_formstring(dwarf_attr_integrate(&die, DW_AT_name, &attr)) ?: name;
	dtype_of(m, &die, &ret->type);
	ret->loc.n_pieces = 1;
	ret->loc.pieces[0].kind = PGM_LOC_MEMORY;
	ret->loc.pieces[0].address = a + m->bias;
	ret->file = dmod_unit_name(m, m->entries[entry].unit);
	ret->ctx.target = dw->target;
	ret->ctx.bias = m->bias;
}

/* Through the symbol table: only the CUs near the symbol are read. */
static struct pgm_error *find_by_symbol(struct pgm_dwarf_module *m, const char *name,
					const char *file_hint, int32_t *ret, bool *had_symbol)
{
	*ret = -1;
	for (int32_t s = strmap_get(&m->sym_names, name); s >= 0; s = m->syms[s].next) {
		const struct dsym *sym = &m->syms[s];
		if (sym->type != STT_OBJECT || (file_hint && sym->file &&
						 !pgm_dwarf_same_file(sym->file, file_hint)))
			continue;
		*had_symbol = true;
		long units[MAX_UNITS];
		size_t n;
		struct pgm_error *err = dmod_units_of_symbol(m, sym, units, MAX_UNITS, &n);
		for (size_t u = 0; !err && u < n; u++)
			err = dindex_unit(m, (size_t)units[u]);
		if (err)
			return err;
		if (n > 0 && (*ret = find_definition(m, name, units, n, sym->addr, file_hint)) >= 0)
			return NULL;
	}
	return NULL;
}

/* The last resort: read the remaining units until a definition appears. */
static struct pgm_error *find_by_scan(struct pgm_dwarf_module *m, const char *name,
				      const char *file_hint, int32_t *ret)
{
	bool done = false;
	if (!dmod_name_may_exist(m, name)) {
		*ret = -1;
		return NULL;
	}
	m->dw->full_scans++;
	while (!(*ret = find_definition(m, name, NULL, 0, 0, file_hint), *ret >= 0) && !done) {
		struct pgm_error *err = dindex_next(m, &done);
		if (err)
			return err;
	}
	return NULL;
}

static struct pgm_error *find_in_module(struct pgm_dwarf_module *m, const char *name,
					const char *file_hint, int32_t *ret)
{
	bool had_symbol = false;
	struct pgm_error *err = dmod_load_symbols(m);
	if (err)
		return err;
	if ((err = dmod_dwarf(m))) {
		if (strmap_get(&m->sym_names, name) >= 0)
			return pgm_error_wrap(dmod_no_debuginfo(m, "its type"), "variable '%s'", name);
		pgm_error_destroy(err);
		*ret = -1;
		return NULL;
	}
	err = find_by_symbol(m, name, file_hint, ret, &had_symbol);
	if (err || *ret >= 0)
		return err;
	/* Without a symbol only the main module is worth a scan. */
	if (!had_symbol && !m->is_main)
		return NULL;
	return find_by_scan(m, name, file_hint, ret);
}

struct pgm_error *pgm_variable_find(struct pgm_dwarf *dw, const char *name, const char *file_hint,
				    struct pgm_variable *ret)
{
	struct pgm_error *first_err = NULL;
	for (size_t i = 0; i < dw->n_modules; i++) {
		struct pgm_dwarf_module *m = pgm_dwarf_module_order(dw, i);
		int32_t entry = -1;
		struct pgm_error *err = find_in_module(m, name, file_hint, &entry);
		if (err) {
			if (!first_err)
				first_err = err;
			else
				pgm_error_destroy(err);
			continue;
		}
		if (entry >= 0) {
			pgm_error_destroy(first_err);
			fill_variable(dw, m, entry, name, ret);
			return NULL;
		}
	}
	if (first_err)
		return first_err;
	if (file_hint)
		return pgm_error_create(PGM_ERR_LOOKUP, "variable '%s' not found in %s", name,
					file_hint);
	return pgm_error_create(PGM_ERR_LOOKUP, "variable '%s' not found", name);
}
