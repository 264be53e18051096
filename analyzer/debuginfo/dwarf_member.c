/*
 * Members of structs and unions (paths, bit-fields, anonymous members,
 * array elements) and enumerators.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "debuginfo/dwarf_internal.h"

/* DW_AT_data_member_location: a constant, or an expression DW_OP_plus_uconst N. */
static struct pgm_error *member_location(Dwarf_Die *die, uint64_t *ret)
{
	Dwarf_Attribute attr;
	*ret = 0;
	if (!dwarf_attr(die, DW_AT_data_member_location, &attr))
		return NULL;   /* union members, and the first member in some producers */
	Dwarf_Word v;
	if (dwarf_whatform(&attr) != DW_FORM_exprloc && dwarf_formudata(&attr, &v) == 0) {
		*ret = v;
		return NULL;
	}
	Dwarf_Op *ops;
	size_t n;
	if (dwarf_getlocation(&attr, &ops, &n) != 0)
		return pgm_dwarf_err("dwarf_getlocation");
	if (n == 1 && ops[0].atom == DW_OP_plus_uconst) {
		*ret = ops[0].number;
		return NULL;
	}
	return pgm_error_create(PGM_ERR_UNSUPPORTED, "member '%s' has a computed location",
				dwarf_diename(die) ?: "?");
}

static bool attr_udata(Dwarf_Die *die, int name, Dwarf_Word *ret)
{
	Dwarf_Attribute attr;
	return dwarf_attr(die, name, &attr) && dwarf_formudata(&attr, ret) == 0;
}

/*
 * Bit-fields, as pahole shows them: the storage unit is the member type's
 * size, aligned down, and the bit offset counts from its least significant
 * bit (x86_64 is little-endian).
 */
static void bitfield(Dwarf_Die *die, uint64_t byte_offset, struct pgm_member *m)
{
	Dwarf_Word bit_size, v, byte_size;
	if (!attr_udata(die, DW_AT_bit_size, &bit_size))
		return;
	uint64_t bitpos;
	if (attr_udata(die, DW_AT_data_bit_offset, &v)) {
		bitpos = v;
	} else if (attr_udata(die, DW_AT_bit_offset, &v)) {
		/* DWARF 2/3 counts from the most significant bit of the storage unit. */
		if (!attr_udata(die, DW_AT_byte_size, &byte_size))
			byte_size = m->size;
		bitpos = byte_offset * 8 + byte_size * 8 - v - bit_size;
	} else {
		bitpos = byte_offset * 8;
	}
	uint64_t unit = m->size ? m->size : 1;
	m->offset = bitpos / (unit * 8) * unit;
	m->bit_offset = (unsigned)(bitpos - m->offset * 8);
	m->bit_size = (unsigned)bit_size;
}

static struct pgm_error *fill_member(struct pgm_dwarf *dw, struct pgm_dwarf_module *mod,
				     Dwarf_Die *die, uint64_t base, struct pgm_member *m)
{
	memset(m, 0, sizeof(*m));
	m->name = dwarf_diename(die);
	dtype_of(mod, die, &m->type);
	uint64_t off;
	struct pgm_error *err = member_location(die, &off);
	if (err)
		return err;
	err = pgm_type_size(dw, &m->type, &m->size);
	if (err && err->code != PGM_ERR_USAGE)
		return err;
	pgm_error_destroy(err);
	m->offset = off;
	bitfield(die, off, m);
	m->offset += base;
	return NULL;
}

/* The struct or union itself, complete, or an error naming what it is instead. */
static struct pgm_error *aggregate(struct pgm_dwarf *dw, const struct pgm_type *type,
				   struct pgm_type *ret)
{
	struct pgm_error *err = pgm_type_complete(dw, type, ret);
	if (err)
		return err;
	enum pgm_type_kind k = pgm_type_kind(ret);
	if (k != PGM_TYPE_STRUCT && k != PGM_TYPE_UNION)
		return pgm_error_create(PGM_ERR_USAGE, "not a struct or union");
	return NULL;
}

/* Looks for `name` among the members of agg, descending into anonymous ones. */
static struct pgm_error *find_direct(struct pgm_dwarf *dw, const struct pgm_type *agg,
				     const char *name, uint64_t base, struct pgm_member *ret,
				     bool *found)
{
	Dwarf_Die child;
	*found = false;
	if (dwarf_child((Dwarf_Die *)&agg->die, &child) != 0)
		return NULL;
	do {
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		const char *mname = dwarf_diename(&child);
		if (mname && strcmp(mname, name) != 0)
			continue;
		struct pgm_error *err = fill_member(dw, agg->module, &child, base, ret);
		if (err)
			return err;
		if (mname) {
			*found = true;
			return NULL;
		}
		struct pgm_type inner;
		if (aggregate(dw, &ret->type, &inner))
			continue;
		if ((err = find_direct(dw, &inner, name, ret->offset, ret, found)) || *found)
			return err;
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}

/* Applies "[N]" to the member so far: offset += N * element size. */
static struct pgm_error *index_member(struct pgm_dwarf *dw, struct pgm_member *m, uint64_t index)
{
	struct pgm_type elem;
	uint64_t count, esize;
	bool has_count;
	struct pgm_error *err = pgm_type_array(dw, &m->type, &elem, &count, &has_count);
	if (err)
		return err;
	if (has_count && index >= count)
		return pgm_error_create(PGM_ERR_USAGE, "index %llu out of bounds [0, %llu)",
					(unsigned long long)index, (unsigned long long)count);
	if ((err = pgm_type_size(dw, &elem, &esize)))
		return err;
	m->offset += index * esize;
	m->size = esize;
	m->type = elem;
	m->bit_offset = m->bit_size = 0;
	return NULL;
}

/* Parses one path component "name[1][2]"; *p advances past it and a '.'. */
static bool next_component(const char **p, char *name, size_t size, uint64_t *indexes,
			   size_t *n_indexes)
{
	const char *s = *p;
	size_t len = 0;
	while (isalnum((unsigned char)s[len]) || s[len] == '_')
		len++;
	if (len == 0 || len >= size)
		return false;
	memcpy(name, s, len);
	name[len] = '\0';
	s += len;
	*n_indexes = 0;
	while (*s == '[' && *n_indexes < 8) {
		char *end;
		indexes[(*n_indexes)++] = strtoull(s + 1, &end, 0);
		if (*end != ']')
			return false;
		s = end + 1;
	}
	if (*s == '.')
		s++;
	else if (*s)
		return false;
	*p = s;
	return true;
}

struct pgm_error *pgm_type_member(struct pgm_dwarf *dw, const struct pgm_type *type,
				  const char *path, struct pgm_member *ret)
{
	struct pgm_member cur = { .type = *type };
	const char *p = path;
	while (*p) {
		char name[128];
		uint64_t idx[8];
		size_t n_idx;
		bool found;
		struct pgm_type agg = cur.type;
		if (!next_component(&p, name, sizeof(name), idx, &n_idx))
			return pgm_error_create(PGM_ERR_USAGE, "bad member path '%s'", path);
		struct pgm_error *err = aggregate(dw, &cur.type, &agg);
		if (!err)
			err = find_direct(dw, &agg, name, cur.offset, &cur, &found);
		if (!err && !found)
			err = pgm_error_create(PGM_ERR_LOOKUP, "no member '%s'", name);
		for (size_t i = 0; !err && i < n_idx; i++)
			err = index_member(dw, &cur, idx[i]);
		if (err) {
			const char *tn = pgm_type_tag_name(&agg);
			return pgm_error_wrap(err, "member '%s' of %s", path, tn ? tn : "anonymous type");
		}
	}
	*ret = cur;
	return NULL;
}

bool pgm_type_has_member(struct pgm_dwarf *dw, const struct pgm_type *type, const char *path)
{
	struct pgm_member m;
	struct pgm_error *err = pgm_type_member(dw, type, path, &m);
	pgm_error_destroy(err);
	return !err;
}

struct pgm_error *pgm_type_members(struct pgm_dwarf *dw, const struct pgm_type *type,
				   struct pgm_member **ret, size_t *n)
{
	struct pgm_type agg;
	struct pgm_error *err = aggregate(dw, type, &agg);
	if (err)
		return err;
	size_t count = 0, cap = 16;
	struct pgm_member *members = malloc(cap * sizeof(*members));
	Dwarf_Die child;
	if (!members)
		return &pgm_enomem;
	if (dwarf_child(&agg.die, &child) == 0) {
		do {
			if (dwarf_tag(&child) != DW_TAG_member)
				continue;
			if (count == cap) {
				struct pgm_member *grown = realloc(members, 2 * cap * sizeof(*members));
				if (!grown) {
					free(members);
					return &pgm_enomem;
				}
				members = grown;
				cap *= 2;
			}
			if ((err = fill_member(dw, agg.module, &child, 0, &members[count++]))) {
				free(members);
				return err;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	*ret = members;
	*n = count;
	return NULL;
}

/* ---- enums ---- */

static bool enumerator_value(Dwarf_Die *die, int64_t *ret)
{
	Dwarf_Attribute attr;
	if (!dwarf_attr(die, DW_AT_const_value, &attr))
		return false;
	if (dwarf_whatform(&attr) == DW_FORM_sdata) {
		Dwarf_Sword v;
		if (dwarf_formsdata(&attr, &v) != 0)
			return false;
		*ret = v;
		return true;
	}
	Dwarf_Word u;
	if (dwarf_formudata(&attr, &u) != 0)
		return false;
	*ret = (int64_t)u;
	return true;
}

struct pgm_error *pgm_enum_enumerators(struct pgm_dwarf *dw, const struct pgm_type *type,
				       struct pgm_enumerator **ret, size_t *n)
{
	struct pgm_type t;
	struct pgm_error *err = pgm_type_complete(dw, type, &t);
	if (err)
		return err;
	if (pgm_type_kind(&t) != PGM_TYPE_ENUM)
		return pgm_error_create(PGM_ERR_USAGE, "not an enum");
	size_t count = 0, cap = 0;
	struct pgm_enumerator *items = NULL;
	Dwarf_Die child;
	if (dwarf_child(&t.die, &child) == 0) {
		do {
			int64_t v;
			if (dwarf_tag(&child) != DW_TAG_enumerator || !enumerator_value(&child, &v))
				continue;
			if (count == cap) {
				cap = cap ? 2 * cap : 16;
				struct pgm_enumerator *grown = realloc(items, cap * sizeof(*items));
				if (!grown) {
					free(items);
					return &pgm_enomem;
				}
				items = grown;
			}
			items[count++] = (struct pgm_enumerator){ dwarf_diename(&child), v };
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	*ret = items;
	*n = count;
	return NULL;
}

struct pgm_error *pgm_enum_name(struct pgm_dwarf *dw, const struct pgm_type *type, int64_t value,
				const char **ret)
{
	struct pgm_enumerator *items;
	size_t n;
	struct pgm_error *err = pgm_enum_enumerators(dw, type, &items, &n);
	if (err)
		return err;
	*ret = NULL;
	for (size_t i = 0; i < n && !*ret; i++)
		if (items[i].value == value)
			*ret = items[i].name;
	free(items);
	if (!*ret)
		return pgm_error_create(PGM_ERR_LOOKUP, "no enumerator with value %lld",
					(long long)value);
	return NULL;
}

struct pgm_error *pgm_enum_value(struct pgm_dwarf *dw, const struct pgm_type *type,
				 const char *name, int64_t *ret)
{
	struct pgm_enumerator *items;
	size_t n;
	struct pgm_error *err = pgm_enum_enumerators(dw, type, &items, &n);
	if (err)
		return err;
	bool found = false;
	for (size_t i = 0; i < n && !found; i++)
		if (items[i].name && strcmp(items[i].name, name) == 0) {
			*ret = items[i].value;
			found = true;
		}
	free(items);
	if (!found)
		return pgm_error_create(PGM_ERR_LOOKUP, "no enumerator '%s'", name);
	return NULL;
}
