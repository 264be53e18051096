/*
 * Types: finding them by name through the lazy index, and the questions
 * the PostgreSQL model asks of them (kind, size, pointee, array bounds,
 * signedness, completion of declared-only structs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "debuginfo/dwarf_internal.h"

void dtype_of(struct pgm_dwarf_module *m, Dwarf_Die *die, struct pgm_type *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Die d = *die;   /* die may point into *ret */
	memset(ret, 0, sizeof(*ret));
	ret->module = m;
	if (!dwarf_attr_integrate(&d, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &ret->die))
		memset(&ret->die, 0, sizeof(ret->die));
}

bool dtype_is_declaration(Dwarf_Die *die)
{
	return dwarf_hasattr(die, DW_AT_declaration);
}

enum pgm_type_kind pgm_type_kind(const struct pgm_type *type)
{
	if (type->pointers)
		return PGM_TYPE_POINTER;
	if (!type->die.addr)
		return PGM_TYPE_VOID;
	switch (dwarf_tag((Dwarf_Die *)&type->die)) {
	case DW_TAG_base_type: {
		Dwarf_Attribute attr;
		Dwarf_Word enc = 0;
		dwarf_formudata(dwarf_attr((Dwarf_Die *)&type->die, DW_AT_encoding, &attr), &enc);
		return enc == DW_ATE_float || enc == DW_ATE_complex_float ? PGM_TYPE_FLOAT
									   : PGM_TYPE_INT;
	}
	case DW_TAG_unspecified_type: return PGM_TYPE_VOID;
	case DW_TAG_pointer_type: case DW_TAG_reference_type: return PGM_TYPE_POINTER;
	case DW_TAG_array_type: return PGM_TYPE_ARRAY;
	case DW_TAG_structure_type: case DW_TAG_class_type: return PGM_TYPE_STRUCT;
	case DW_TAG_union_type: return PGM_TYPE_UNION;
	case DW_TAG_enumeration_type: return PGM_TYPE_ENUM;
	case DW_TAG_typedef: return PGM_TYPE_TYPEDEF;
	case DW_TAG_const_type: case DW_TAG_volatile_type: case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
		return PGM_TYPE_QUALIFIED;
	case DW_TAG_subroutine_type: case DW_TAG_subprogram: return PGM_TYPE_FUNCTION;
	}
	return PGM_TYPE_OTHER;
}

const char *pgm_type_tag_name(const struct pgm_type *type)
{
	if (type->pointers || !type->die.addr)
		return type->pointers || type->die.addr ? NULL : "void";
	return dwarf_diename((Dwarf_Die *)&type->die);
}

void pgm_type_strip(const struct pgm_type *type, struct pgm_type *ret)
{
	struct pgm_type t = *type;
	/* Bounded: a typedef cycle in corrupt DWARF must not hang us. */
	for (int i = 0; i < 64; i++) {
		enum pgm_type_kind k = pgm_type_kind(&t);
		if (k != PGM_TYPE_TYPEDEF && k != PGM_TYPE_QUALIFIED)
			break;
		dtype_of(t.module, &t.die, &t);
	}
	*ret = t;
}

static bool is_aggregate_tag(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_enumeration_type || tag == DW_TAG_class_type;
}

static const char *tag_keyword(int tag)
{
	switch (tag) {
	case DW_TAG_structure_type: return "struct";
	case DW_TAG_union_type: return "union";
	case DW_TAG_enumeration_type: return "enum";
	}
	return "type";
}

struct pgm_error *pgm_type_complete(struct pgm_dwarf *dw, const struct pgm_type *type,
				    struct pgm_type *ret)
{
	struct pgm_type t;
	pgm_type_strip(type, &t);
	*ret = t;
	if (t.pointers || !t.die.addr)
		return NULL;
	int tag = dwarf_tag(&t.die);
	if (!is_aggregate_tag(tag) || !dtype_is_declaration(&t.die))
		return NULL;
	const char *name = dwarf_diename(&t.die);
	if (!name)
		return pgm_error_create(PGM_ERR_LOOKUP, "anonymous %s is only declared",
					tag_keyword(tag));
	struct pgm_error *err = dtype_find_tagged(dw, name, tag, NULL, ret);
	if (!err && dtype_is_declaration(&ret->die))
		err = pgm_error_create(PGM_ERR_LOOKUP,
				       "%s %s is only declared; its definition is not in the debuginfo",
				       tag_keyword(tag), name);
	return err;
}

static bool subrange_count(Dwarf_Die *sub, uint64_t *count)
{
	Dwarf_Attribute attr;
	Dwarf_Word v, lower = 0;
	if (dwarf_attr(sub, DW_AT_count, &attr) && dwarf_formudata(&attr, &v) == 0) {
		*count = v;
		return true;
	}
	if (!dwarf_attr(sub, DW_AT_upper_bound, &attr) || dwarf_formudata(&attr, &v) != 0)
		return false;
	if (dwarf_attr(sub, DW_AT_lower_bound, &attr))
		dwarf_formudata(&attr, &lower);
	*count = v + 1 - lower;
	return true;
}

/* Element count over all dimensions; false if some bound is unknown. */
static bool array_total(Dwarf_Die *array, uint64_t *total, size_t *dims)
{
	Dwarf_Die sub;
	*total = 1;
	*dims = 0;
	bool known = true;
	if (dwarf_child(array, &sub) != 0)
		return false;
	do {
		uint64_t c;
		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		(*dims)++;
		if (subrange_count(&sub, &c))
			*total *= c;
		else
			known = false;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return known && *dims > 0;
}

struct pgm_error *pgm_type_size(struct pgm_dwarf *dw, const struct pgm_type *type, uint64_t *ret)
{
	struct pgm_type t;
	struct pgm_error *err = pgm_type_complete(dw, type, &t);
	if (err)
		return err;
	if (t.pointers) {
		*ret = 8;
		return NULL;
	}
	switch (pgm_type_kind(&t)) {
	case PGM_TYPE_VOID:
		return pgm_error_create(PGM_ERR_USAGE, "void has no size");
	case PGM_TYPE_FUNCTION:
		return pgm_error_create(PGM_ERR_USAGE, "a function has no size");
	case PGM_TYPE_POINTER:
		if (dwarf_aggregate_size(&t.die, (Dwarf_Word *)ret) != 0)
			*ret = 8;
		return NULL;
	case PGM_TYPE_ARRAY: {
		struct pgm_type elem;
		uint64_t esize, total;
		size_t dims;
		dtype_of(t.module, &t.die, &elem);
		if ((err = pgm_type_size(dw, &elem, &esize)))
			return err;
		*ret = array_total(&t.die, &total, &dims) ? total * esize : 0;
		return NULL;
	}
	default:
		break;
	}
	Dwarf_Word size;
	if (dwarf_aggregate_size(&t.die, &size) != 0)
		return pgm_dwarf_err("dwarf_aggregate_size");
	*ret = size;
	return NULL;
}

enum pgm_int_encoding pgm_type_encoding(const struct pgm_type *type)
{
	struct pgm_type t;
	pgm_type_strip(type, &t);
	if (t.pointers || !t.die.addr)
		return PGM_INT_UNSIGNED;
	if (dwarf_tag(&t.die) == DW_TAG_enumeration_type) {
		struct pgm_type under;
		dtype_of(t.module, &t.die, &under);
		return under.die.addr ? pgm_type_encoding(&under) : PGM_INT_UNSIGNED;
	}
	Dwarf_Attribute attr;
	Dwarf_Word enc = DW_ATE_unsigned;
	dwarf_formudata(dwarf_attr(&t.die, DW_AT_encoding, &attr), &enc);
	switch (enc) {
	case DW_ATE_signed: return PGM_INT_SIGNED;
	case DW_ATE_signed_char: return PGM_INT_SIGNED_CHAR;
	case DW_ATE_unsigned_char: return PGM_INT_UNSIGNED_CHAR;
	case DW_ATE_boolean: return PGM_INT_BOOL;
	}
	return PGM_INT_UNSIGNED;
}

struct pgm_error *pgm_type_pointee(struct pgm_dwarf *dw, const struct pgm_type *type,
				   struct pgm_type *ret)
{
	(void)dw;
	struct pgm_type t;
	pgm_type_strip(type, &t);
	if (t.pointers) {
		*ret = t;
		ret->pointers--;
		return NULL;
	}
	if (pgm_type_kind(&t) != PGM_TYPE_POINTER)
		return pgm_error_create(PGM_ERR_USAGE, "not a pointer");
	dtype_of(t.module, &t.die, ret);
	return NULL;
}

struct pgm_error *pgm_type_array(struct pgm_dwarf *dw, const struct pgm_type *type,
				 struct pgm_type *elem, uint64_t *count, bool *has_count)
{
	(void)dw;
	struct pgm_type t;
	pgm_type_strip(type, &t);
	if (pgm_type_kind(&t) != PGM_TYPE_ARRAY)
		return pgm_error_create(PGM_ERR_USAGE, "not an array");
	size_t dims;
	*has_count = array_total(&t.die, count, &dims);
	if (dims > 1)
		return pgm_error_create(PGM_ERR_UNSUPPORTED, "multi-dimensional arrays");
	if (!*has_count)
		*count = 0;
	dtype_of(t.module, &t.die, elem);
	return NULL;
}

const char *pgm_type_decl_file(const struct pgm_type *type)
{
	if (type->pointers || !type->die.addr)
		return NULL;
	return dwarf_decl_file((Dwarf_Die *)&type->die);
}
