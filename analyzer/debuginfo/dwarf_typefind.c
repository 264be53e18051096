/*
 * Finding a type by name without indexing all of .debug_info: the names
 * cached from units already read, then the units a hint leads to (the
 * caller's, then the built-in PostgreSQL table), then the remaining units
 * one at a time until a complete definition turns up.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "debuginfo/dwarf_internal.h"

#define MAX_HINT_UNITS 16

static bool is_aggregate(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_enumeration_type || tag == DW_TAG_class_type;
}

static bool entry_matches(const struct dentry *e, int tag)
{
	if (tag)
		return e->tag == tag || (tag == DW_TAG_structure_type && e->tag == DW_TAG_class_type);
	return e->tag != DW_TAG_variable;
}

/* A bare name means a typedef first, as in C, then a tag, then a base type. */
static int rank(int tag)
{
	return tag == DW_TAG_typedef ? 3 : tag == DW_TAG_base_type ? 1 : 2;
}

/* Complete: usable for sizes and members without looking elsewhere. */
static bool entry_complete(const struct pgm_dwarf_module *m, int32_t entry)
{
	const struct dentry *e = &m->entries[entry];
	if (is_aggregate(e->tag))
		return !e->declaration;
	if (e->tag != DW_TAG_typedef)
		return true;
	struct pgm_type t = { .module = (struct pgm_dwarf_module *)m };
	if (!dindex_die(m, entry, &t.die))
		return false;
	pgm_type_strip(&t, &t);
	return !(t.die.addr && is_aggregate(dwarf_tag(&t.die)) && dtype_is_declaration(&t.die));
}

static bool in_units(uint32_t unit, const long *units, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (units[i] == (long)unit)
			return true;
	return n == 0;
}

/* The best cached entry for name (restricted to `units` if n_units > 0), or -1. */
static int32_t best_cached(const struct pgm_dwarf_module *m, const char *name, int tag,
			   const long *units, size_t n_units, bool *complete)
{
	int32_t best = -1;
	int best_score = -1;
	*complete = false;
	for (int32_t i = dindex_lookup(m, name); i >= 0; i = m->entries[i].next) {
		const struct dentry *e = &m->entries[i];
		if (!entry_matches(e, tag) || !in_units(e->unit, units, n_units))
			continue;
		bool c = entry_complete(m, i);
		int score = (c ? 10 : 0) + rank(e->tag);
		if (score > best_score) {
			best = i;
			best_score = score;
			*complete = c;
		}
	}
	return best;
}

static bool looks_like_file(const char *hint)
{
	return strchr(hint, '/') || strstr(hint, ".c") || strstr(hint, ".h");
}

/* The units a hint (a symbol or a source file name) leads to. */
static struct pgm_error *hint_units(struct pgm_dwarf_module *m, const char *hint, long *units,
				    size_t max, size_t *n)
{
	*n = 0;
	if (looks_like_file(hint))
		return dmod_units_of_file(m, hint, units, max, n);
	struct pgm_error *err = dmod_load_symbols(m);
	if (err)
		return err;
	for (int32_t s = strmap_get(&m->sym_names, hint); s >= 0 && *n < max; s = m->syms[s].next) {
		size_t got;
		if ((err = dmod_units_of_symbol(m, &m->syms[s], units + *n, max - *n, &got)))
			return err;
		*n += got;
	}
	return NULL;
}

static struct pgm_error *index_units(struct pgm_dwarf_module *m, const long *units, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pgm_error *err = dindex_unit(m, (size_t)units[i]);
		if (err)
			return err;
	}
	return NULL;
}

/* Reads the units of `hint` and looks in them only; -1 if not there. */
static struct pgm_error *try_hint(struct pgm_dwarf_module *m, const char *hint, const char *name,
				  int tag, int32_t *ret, bool *complete)
{
	long units[MAX_HINT_UNITS];
	size_t n;
	*ret = -1;
	struct pgm_error *err = hint_units(m, hint, units, MAX_HINT_UNITS, &n);
	if (!err && n > 0 && !(err = index_units(m, units, n)))
		*ret = best_cached(m, name, tag, units, n, complete);
	return err;
}

/* The last resort: read units in order until a complete definition appears. */
static struct pgm_error *scan(struct pgm_dwarf_module *m, const char *name, int tag, int32_t *ret,
			      bool *complete)
{
	bool done = false;
	*ret = best_cached(m, name, tag, NULL, 0, complete);
	if (!dmod_name_may_exist(m, name))
		return NULL;
	m->dw->full_scans++;
	while (!done) {
		struct pgm_error *err = dindex_next(m, &done);
		if (err)
			return err;
		*ret = best_cached(m, name, tag, NULL, 0, complete);
		if (*ret >= 0 && *complete)
			return NULL;
	}
	return NULL;
}

static struct pgm_error *find_in_module(struct pgm_dwarf_module *m, const char *name, int tag,
					const char *hint, int32_t *ret, bool *complete)
{
	struct pgm_error *err = dmod_dwarf(m);
	if (err)
		return err;
	if (hint) {
		if ((err = try_hint(m, hint, name, tag, ret, complete)) || (*ret >= 0 && *complete))
			return err;
	}
	*ret = best_cached(m, name, tag, NULL, 0, complete);
	if (*ret >= 0 && *complete)
		return NULL;
	const char *const *hints = dindex_builtin_hints(name);
	for (size_t i = 0; hints && hints[i]; i++) {
		if ((err = try_hint(m, hints[i], name, tag, ret, complete)) || (*ret >= 0 && *complete))
			return err;
	}
	return scan(m, name, tag, ret, complete);
}

struct pgm_error *dtype_find_tagged(struct pgm_dwarf *dw, const char *name, int tag,
				    const char *hint, struct pgm_type *ret)
{
	struct pgm_error *first_err = NULL;
	bool have_incomplete = false;
	for (size_t i = 0; i < dw->n_modules; i++) {
		struct pgm_dwarf_module *m = pgm_dwarf_module_order(dw, i);
		int32_t entry;
		bool complete;
		struct pgm_error *err = find_in_module(m, name, tag, hint, &entry, &complete);
		if (err) {
			if (!first_err && (m->is_main || err->code != PGM_ERR_NO_DEBUGINFO))
				first_err = err;
			else
				pgm_error_destroy(err);
			continue;
		}
		if (entry < 0 || (have_incomplete && !complete))
			continue;
		memset(ret, 0, sizeof(*ret));
		ret->module = m;
		dindex_die(m, entry, &ret->die);
		have_incomplete = true;
		if (complete)
			break;
	}
	if (have_incomplete) {
		pgm_error_destroy(first_err);
		return NULL;
	}
	if (first_err)
		return pgm_error_wrap(first_err, "type '%s'", name);
	return pgm_error_create(PGM_ERR_LOOKUP, "type '%s' not found in %s", name,
				dw->n_modules ? dw->modules[0].name : "the program");
}

/* Splits "struct X **" into tag, "X" and 2; false if nothing is left. */
static bool parse_type_name(const char *spec, char *name, size_t size, int *tag,
			    unsigned *pointers)
{
	static const struct { const char *kw; int tag; } kws[] = {
		{ "struct ", DW_TAG_structure_type }, { "union ", DW_TAG_union_type },
		{ "enum ", DW_TAG_enumeration_type },
	};
	*tag = 0;
	*pointers = 0;
	while (isspace((unsigned char)*spec))
		spec++;
	for (size_t i = 0; i < 3; i++)
		if (strncmp(spec, kws[i].kw, strlen(kws[i].kw)) == 0) {
			*tag = kws[i].tag;
			spec += strlen(kws[i].kw);
		}
	snprintf(name, size, "%s", spec);
	size_t len = strlen(name);
	while (len > 0 && (isspace((unsigned char)name[len - 1]) || name[len - 1] == '*')) {
		if (name[len - 1] == '*')
			(*pointers)++;
		name[--len] = '\0';
	}
	while (*name && isspace((unsigned char)*name))
		memmove(name, name + 1, len--);
	return len > 0;
}

struct pgm_error *pgm_type_find(struct pgm_dwarf *dw, const char *spec, const char *hint,
				struct pgm_type *ret)
{
	char name[256];
	int tag;
	unsigned pointers;
	if (!parse_type_name(spec, name, sizeof(name), &tag, &pointers))
		return pgm_error_create(PGM_ERR_USAGE, "empty type name '%s'", spec);
	if (strcmp(name, "void") == 0) {
		if (dw->n_modules == 0)
			return pgm_error_create(PGM_ERR_LOOKUP, "no modules");
		memset(ret, 0, sizeof(*ret));
		ret->module = &dw->modules[0];
		ret->pointers = pointers;
		return NULL;
	}
	struct pgm_error *err = dtype_find_tagged(dw, name, tag, hint, ret);
	if (!err)
		ret->pointers = pointers;
	return err;
}
