/*
 * Type declarations: a struct, union or enum turned into plain owned data,
 * for the `types` command.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/dwarf_internal.h"

void pgm_type_decl_destroy(struct pgm_type_decl *decl)
{
	if (!decl)
		return;
	for (size_t i = 0; i < decl->n_members; i++) {
		struct pgm_type_decl_member *m = &decl->members[i];
		free(m->name);
		free(m->type_name);
		free(m->declarator);
		pgm_type_decl_destroy(m->nested);
	}
	for (size_t i = 0; i < decl->n_enumerators; i++)
		free((char *)decl->enumerators[i].name);
	free(decl->members);
	free(decl->enumerators);
	free(decl->name);
	free(decl->typedef_name);
	free(decl->decl_file);
	free(decl);
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * Splits "char name[64]" into "char" and "name[64]", and
 * "void (*fn)(int)" into "void" and "(*fn)(int)", the columns pahole uses.
 */
static struct pgm_error *split_declaration(const struct pgm_type *type, const char *name,
					   char **type_name, char **declarator)
{
	char *full;
	struct pgm_error *err = pgm_type_to_string(type, name, &full);
	if (err)
		return err;
	size_t name_len = strlen(name), pos = strlen(full);
	for (char *p = strstr(full, name); p; p = strstr(p + 1, name))
		if ((p == full || !is_ident(p[-1])) && !is_ident(p[name_len]))
			pos = (size_t)(p - full);
	/* Pointers stay with the type; a "(*" of a function pointer goes with the name. */
	while (pos > 0 && (full[pos - 1] == '(' || (full[pos - 1] == '*' && strchr(full, '('))))
		pos--;
	size_t end = pos;
	while (end > 0 && full[end - 1] == ' ')
		end--;
	*type_name = strndup(full, end);
	*declarator = strdup(full + pos);
	free(full);
	if (!*type_name || !*declarator) {
		free(*type_name);
		free(*declarator);
		return &pgm_enomem;
	}
	return NULL;
}

static struct pgm_error *layout_of(struct pgm_dwarf *dw, const struct pgm_type *type,
				   struct pgm_type_decl **ret);

/* A member of an anonymous struct or union type is shown expanded, as pahole does. */
static bool anonymous_aggregate(const struct pgm_type *type)
{
	enum pgm_type_kind k = pgm_type_kind(type);
	return (k == PGM_TYPE_STRUCT || k == PGM_TYPE_UNION) && !pgm_type_tag_name(type);
}

static struct pgm_error *fill_member(struct pgm_dwarf *dw, const struct pgm_member *m,
				     struct pgm_type_decl_member *out)
{
	memset(out, 0, sizeof(*out));
	out->offset = m->offset;
	out->size = m->size;
	out->bit_offset = m->bit_offset;
	out->bit_size = m->bit_size;
	if (!m->name || anonymous_aggregate(&m->type)) {
		struct pgm_error *err = layout_of(dw, &m->type, &out->nested);
		if (err)
			return err;
		out->type_name = strdup(out->nested->kind == PGM_TYPE_UNION ? "union" : "struct");
		out->declarator = strdup(m->name ? m->name : "");
		out->name = m->name ? strdup(m->name) : NULL;
		return out->type_name && out->declarator && (out->name || !m->name) ? NULL : &pgm_enomem;
	}
	if (!(out->name = strdup(m->name)))
		return &pgm_enomem;
	return split_declaration(&m->type, m->name, &out->type_name, &out->declarator);
}

static struct pgm_error *fill_members(struct pgm_dwarf *dw, const struct pgm_type *agg,
				      struct pgm_type_decl *l)
{
	struct pgm_member *members;
	size_t n;
	struct pgm_error *err = pgm_type_members(dw, agg, &members, &n);
	if (err)
		return err;
	l->members = calloc(n ? n : 1, sizeof(*l->members));
	if (!l->members) {
		free(members);
		return &pgm_enomem;
	}
	for (size_t i = 0; i < n && !err; i++) {
		err = fill_member(dw, &members[i], &l->members[i]);
		l->n_members = i + 1;
	}
	free(members);
	return err;
}

static struct pgm_error *fill_enumerators(struct pgm_dwarf *dw, const struct pgm_type *e,
					  struct pgm_type_decl *l)
{
	struct pgm_enumerator *items;
	size_t n;
	struct pgm_error *err = pgm_enum_enumerators(dw, e, &items, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (!(items[i].name = dup_or_null(items[i].name)) && !err)
			err = &pgm_enomem;
	l->enumerators = items;
	l->n_enumerators = n;
	return err;
}

static struct pgm_error *layout_of(struct pgm_dwarf *dw, const struct pgm_type *type,
				   struct pgm_type_decl **ret)
{
	struct pgm_type t;
	struct pgm_error *err = pgm_type_complete(dw, type, &t);
	if (err)
		return err;
	enum pgm_type_kind kind = pgm_type_kind(&t);
	if (kind != PGM_TYPE_STRUCT && kind != PGM_TYPE_UNION && kind != PGM_TYPE_ENUM)
		return pgm_error_create(PGM_ERR_USAGE, "not a struct, union or enum");
	struct pgm_type_decl *l = calloc(1, sizeof(*l));
	if (!l)
		return &pgm_enomem;
	l->kind = kind;
	l->name = dup_or_null(pgm_type_tag_name(&t));
	l->decl_file = dup_or_null(pgm_type_decl_file(&t));
	if (pgm_type_kind(type) == PGM_TYPE_TYPEDEF)
		l->typedef_name = dup_or_null(pgm_type_tag_name(type));
	err = pgm_type_size(dw, &t, &l->size);
	if (!err)
		err = kind == PGM_TYPE_ENUM ? fill_enumerators(dw, &t, l) : fill_members(dw, &t, l);
	if (err) {
		pgm_type_decl_destroy(l);
		return err;
	}
	*ret = l;
	return NULL;
}

struct pgm_error *pgm_type_decl(struct pgm_dwarf *dw, const struct pgm_type *type,
				  struct pgm_type_decl **ret)
{
	return layout_of(dw, type, ret);
}
