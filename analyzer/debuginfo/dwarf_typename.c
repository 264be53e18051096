/*
 * C spellings of types ("PGPROC *", "char name[64]", "void (*fn)(int)"),
 * built the way C declarators nest: pointers wrap the declarator on the
 * left, arrays and functions on the right, parentheses where they meet.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "debuginfo/dwarf_internal.h"

#define MAX_DEPTH 32

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	char *s;
	va_list ap;
	va_start(ap, f);
	int r = vasprintf(&s, f, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

static char *decl(const struct pgm_type *t, const char *inner, int depth);

static char *join(const char *base, const char *inner)
{
	return *inner ? fmt("%s %s", base, inner) : strdup(base);
}

static char *named(const struct pgm_type *t, const char *inner)
{
	const char *name = dwarf_diename((Dwarf_Die *)&t->die);
	const char *kw = NULL;
	switch (dwarf_tag((Dwarf_Die *)&t->die)) {
	case DW_TAG_structure_type: case DW_TAG_class_type: kw = "struct"; break;
	case DW_TAG_union_type: kw = "union"; break;
	case DW_TAG_enumeration_type: kw = "enum"; break;
	}
	char *base = kw ? fmt("%s %s", kw, name ? name : "{...}") : strdup(name ? name : "?");
	if (!base)
		return NULL;
	char *r = join(base, inner);
	free(base);
	return r;
}

static char *array_suffix(Dwarf_Die *array)
{
	char *s = strdup("");
	Dwarf_Die sub;
	if (!s || dwarf_child(array, &sub) != 0)
		return s;
	do {
		Dwarf_Attribute attr;
		Dwarf_Word v;
		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		char *next;
		if (dwarf_attr(&sub, DW_AT_count, &attr) && dwarf_formudata(&attr, &v) == 0)
			next = fmt("%s[%llu]", s, (unsigned long long)v);
		else if (dwarf_attr(&sub, DW_AT_upper_bound, &attr) && dwarf_formudata(&attr, &v) == 0)
			next = fmt("%s[%llu]", s, (unsigned long long)v + 1);
		else
			next = fmt("%s[]", s);
		free(s);
		if (!(s = next))
			return NULL;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return s;
}

static char *params(const struct pgm_type *t, int depth)
{
	Dwarf_Die child;
	char *s = strdup("");
	bool any = false;
	if (s && dwarf_child((Dwarf_Die *)&t->die, &child) == 0) {
		do {
			int tag = dwarf_tag(&child);
			char *p = NULL, *next;
			if (tag == DW_TAG_formal_parameter) {
				struct pgm_type pt;
				dtype_of(t->module, &child, &pt);
				p = decl(&pt, "", depth + 1);
			} else if (tag == DW_TAG_unspecified_parameters) {
				p = strdup("...");
			} else {
				continue;
			}
			next = p ? fmt("%s%s%s", s, any ? ", " : "", p) : NULL;
			free(p);
			free(s);
			if (!(s = next))
				return NULL;
			any = true;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	if (s && !any && dwarf_hasattr((Dwarf_Die *)&t->die, DW_AT_prototyped)) {
		free(s);
		s = strdup("void");
	}
	return s;
}

static bool needs_parens(const struct pgm_type *target)
{
	enum pgm_type_kind k = pgm_type_kind(target);
	return k == PGM_TYPE_ARRAY || k == PGM_TYPE_FUNCTION;
}

/* Wraps the declarator on the left (pointer, qualifier) or right (array, function). */
static char *derived(const struct pgm_type *t, const char *inner, int depth)
{
	struct pgm_type target;
	char *in = NULL, *suffix;
	if (t->pointers) {
		target = *t;
		target.pointers--;
	} else {
		dtype_of(t->module, (Dwarf_Die *)&t->die, &target);
	}
	switch (t->pointers ? PGM_TYPE_POINTER : pgm_type_kind(t)) {
	case PGM_TYPE_POINTER:
		in = needs_parens(&target) ? fmt("(*%s)", inner) : fmt("*%s", inner);
		break;
	case PGM_TYPE_ARRAY:
		if ((suffix = array_suffix((Dwarf_Die *)&t->die)))
			in = fmt("%s%s", inner, suffix);
		free(suffix);
		break;
	case PGM_TYPE_FUNCTION:
		if ((suffix = params(t, depth)))
			in = fmt("%s(%s)", inner, suffix);
		free(suffix);
		break;
	default: {  /* qualifier */
		const char *q = dwarf_tag((Dwarf_Die *)&t->die) == DW_TAG_const_type ? "const"
			      : dwarf_tag((Dwarf_Die *)&t->die) == DW_TAG_volatile_type ? "volatile"
			      : dwarf_tag((Dwarf_Die *)&t->die) == DW_TAG_restrict_type ? "restrict"
											: "_Atomic";
		if (pgm_type_kind(&target) == PGM_TYPE_POINTER) {
			in = *inner ? fmt(" %s %s", q, inner) : fmt(" %s", q);
			break;
		}
		char *r = decl(&target, inner, depth + 1);
		char *out = r ? fmt("%s %s", q, r) : NULL;
		free(r);
		return out;
	}
	}
	if (!in)
		return NULL;
	char *r = decl(&target, in, depth + 1);
	free(in);
	return r;
}

static char *decl(const struct pgm_type *t, const char *inner, int depth)
{
	if (depth > MAX_DEPTH)
		return strdup("...");
	if (t->pointers)
		return derived(t, inner, depth);
	switch (pgm_type_kind(t)) {
	case PGM_TYPE_VOID:
		return join("void", inner);
	case PGM_TYPE_INT: case PGM_TYPE_FLOAT: case PGM_TYPE_TYPEDEF:
	case PGM_TYPE_STRUCT: case PGM_TYPE_UNION: case PGM_TYPE_ENUM: case PGM_TYPE_OTHER:
		return named(t, inner);
	default:
		return derived(t, inner, depth);
	}
}

struct pgm_error *pgm_type_to_string(const struct pgm_type *type, const char *name, char **ret)
{
	*ret = decl(type, name ? name : "", 0);
	return *ret ? NULL : &pgm_enomem;
}
