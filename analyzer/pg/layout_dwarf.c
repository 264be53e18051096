/*
 * Resolving layout.def from DWARF, through the lazy DWARF engine: only the
 * CUs that define these types and variables are read.
 */
#include <stdlib.h>
#include <string.h>

#include "pg/layout.h"
#include "pgmortem/dwarf.h"

/* Only out of memory stops resolution; anything else leaves an entry unresolved. */
static bool fatal(struct pgm_error *err)
{
	if (err == &pgm_enomem)
		return true;
	pgm_error_destroy(err);
	return false;
}

static struct pgm_error *resolve_structs(struct pgm_dwarf *dw, struct pgm_pg_layout *l,
					 struct pgm_type *types)
{
	for (size_t s = 0; s < PGM_S_COUNT; s++) {
		struct pgm_error *err = pgm_type_find(dw, pgm_pg_struct_name((enum pgm_pg_struct_id)s), NULL, &types[s]);
		if (!err)
			err = pgm_type_size(dw, &types[s], &l->structs[s].size);
		if (err) {
			if (fatal(err))
				return &pgm_enomem;
			continue;
		}
		l->structs[s].found = true;
	}
	for (size_t m = 0; m < PGM_M_COUNT; m++) {
		enum pgm_pg_struct_id owner = pgm_pg_member_owner((enum pgm_pg_member_id)m);
		if (!l->structs[owner].found)
			continue;
		struct pgm_member mem;
		struct pgm_error *err = pgm_type_member(dw, &types[owner], pgm_pg_member_subpath((enum pgm_pg_member_id)m), &mem);
		if (err) {
			if (fatal(err))
				return &pgm_enomem;
			continue;
		}
		l->members[m] = (struct pgm_pg_member){ .found = true, .offset = mem.offset, .size = mem.size };
	}
	return NULL;
}

static struct pgm_error *resolve_global(struct pgm_dwarf *dw, enum pgm_pg_global_id g, struct pgm_pg_global *gl)
{
	struct pgm_variable var;
	struct pgm_error *err = pgm_variable_find(dw, pgm_pg_global_name(g), NULL, &var);
	uint64_t addr;
	if (err)
		return err;
	if (!pgm_location_is_memory(&var.loc, &addr))
		return pgm_error_create(PGM_ERR_LOOKUP, "%s has no address", pgm_pg_global_name(g));
	if ((err = pgm_type_size(dw, &var.type, &gl->size)))
		return err;
	struct pgm_type stripped, elem;
	bool has_count = false;
	pgm_type_strip(&var.type, &stripped);
	if (pgm_type_kind(&stripped) == PGM_TYPE_ARRAY) {
		err = pgm_type_array(dw, &stripped, &elem, &gl->elements, &has_count);
		if (err || !has_count)
			gl->elements = 0;
		pgm_error_destroy(err);
	}
	gl->address = addr;
	gl->found = true;
	return NULL;
}

static struct pgm_error *resolve_enum(struct pgm_dwarf *dw, enum pgm_pg_enum_id e, struct pgm_pg_layout *l)
{
	struct pgm_type type;
	struct pgm_enumerator *items;
	size_t n;
	struct pgm_error *err = pgm_type_find(dw, pgm_pg_enum_type_name(e), NULL, &type);
	if (!err)
		err = pgm_enum_enumerators(dw, &type, &items, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = pgm_pg_layout_add_enumerator(l, e, items[i].name, items[i].value);
	free(items);
	struct pgm_type stripped;
	pgm_type_strip(&type, &stripped);
	const char *file = pgm_type_decl_file(&stripped);
	if (!err && file && !(l->enums[e].decl_file = strdup(file)))
		err = &pgm_enomem;
	return err;
}

static struct pgm_error *resolve_all(struct pgm_dwarf *dw, struct pgm_pg_layout *l)
{
	struct pgm_type types[PGM_S_COUNT];
	struct pgm_error *err = resolve_structs(dw, l, types);
	if (err)
		return err;
	for (size_t g = 0; g < PGM_G_COUNT; g++)
		if ((err = resolve_global(dw, (enum pgm_pg_global_id)g, &l->globals[g])) && fatal(err))
			return &pgm_enomem;
	for (size_t e = 0; e < PGM_E_COUNT; e++)
		if ((err = resolve_enum(dw, (enum pgm_pg_enum_id)e, l)) && fatal(err))
			return &pgm_enomem;
	return NULL;
}

struct pgm_error *pgm_pg_layout_resolve_from(struct pgm_dwarf *dw, struct pgm_pg_layout **ret)
{
	struct pgm_pg_layout *l = pgm_pg_layout_create_empty();
	struct pgm_error *err = l ? resolve_all(dw, l) : &pgm_enomem;
	if (err && fatal(err)) {
		pgm_pg_layout_destroy(l);
		return &pgm_enomem;
	}
	l->has_debuginfo = true;
	*ret = l;
	return NULL;
}

struct pgm_error *pgm_pg_layout_resolve_dwarf(struct pgm_program *prog, struct pgm_pg_layout **ret)
{
	struct pgm_pg_layout *l = pgm_pg_layout_create_empty();
	if (!l)
		return &pgm_enomem;
	const struct pgm_module *main = pgm_program_main_module(prog);
	l->has_debuginfo = main && main->has_dwarf;
	struct pgm_dwarf *dw = NULL;
	struct pgm_error *err = l->has_debuginfo ? pgm_pg_program_dwarf(prog, &dw) : NULL;
	if (!err && dw)
		err = resolve_all(dw, l);
	if (err && fatal(err)) {
		pgm_pg_layout_destroy(l);
		return &pgm_enomem;
	}
	*ret = l;
	return NULL;
}
