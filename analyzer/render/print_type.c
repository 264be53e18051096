/*
 * Layouts as pahole prints them, and as JSON.  The text follows pahole's
 * columns so that tests/integration/types-vs-pahole can compare member
 * lines field by field.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "pgmortem/print.h"

#define CACHELINE 64

struct walk {
	uint64_t end;            /* bytes of the struct covered so far */
	uint64_t boundary;       /* next cacheline boundary */
	unsigned holes;
	uint64_t sum_holes;
	uint64_t sum_members;
	bool bitfield_open;      /* the last member was a bit-field in unit `unit` */
	uint64_t unit;
};

static void indent(FILE *out, int depth)
{
	for (int i = 0; i <= depth; i++)
		fputc('\t', out);
}

static void print_members(FILE *out, const struct pgm_type_decl *l, uint64_t base, int depth,
			  struct walk *w);

static void member_comment(FILE *out, const struct pgm_type_decl_member *m, uint64_t base)
{
	if (m->bit_size)
		fprintf(out, " /* %5" PRIu64 ":%2u %2" PRIu64 " */\n", base + m->offset, m->bit_offset,
			m->size);
	else
		fprintf(out, " /* %5" PRIu64 " %5" PRIu64 " */\n", base + m->offset, m->size);
}

static void print_member(FILE *out, const struct pgm_type_decl_member *m, uint64_t base, int depth,
			 struct walk *w)
{
	char decl[256];
	indent(out, depth);
	if (m->nested) {
		struct walk inner = *w;
		fprintf(out, "%s {\n", m->type_name);
		print_members(out, m->nested, base + m->offset, depth + 1, &inner);
		indent(out, depth);
		snprintf(decl, sizeof(decl), "}%s%s;", *m->declarator ? " " : "", m->declarator);
		fprintf(out, "%-48s", decl);
		member_comment(out, m, base);
		return;
	}
	if (m->bit_size)
		snprintf(decl, sizeof(decl), "%s:%u;", m->declarator, m->bit_size);
	else
		snprintf(decl, sizeof(decl), "%s;", m->declarator);
	int width = 26 - 8 * depth;
	fprintf(out, "%-*s %-21s", width > 0 ? width : 0, m->type_name, decl);
	member_comment(out, m, base);
}

/* Cacheline markers before a member that starts on or past a boundary. */
static void cacheline_before(FILE *out, uint64_t offset, int depth, struct walk *w)
{
	if (offset < w->boundary)
		return;
	while (w->boundary + CACHELINE <= offset)
		w->boundary += CACHELINE;
	indent(out, depth);
	fprintf(out, "/* --- cacheline %" PRIu64 " boundary (%" PRIu64 " bytes) --- */\n",
		w->boundary / CACHELINE, w->boundary);
	w->boundary += CACHELINE;
}

/* ... and after a member that straddles one: the last boundary it crossed. */
static void cacheline_after(FILE *out, uint64_t end, int depth, struct walk *w)
{
	uint64_t last = end / CACHELINE * CACHELINE;
	if (end <= w->boundary || last == end) {
		if (last == end && end > w->boundary)
			w->boundary = end;   /* printed before the next member */
		return;
	}
	indent(out, depth);
	fprintf(out, "/* --- cacheline %" PRIu64 " boundary (%" PRIu64 " bytes) was %" PRIu64
		" bytes ago --- */\n", last / CACHELINE, last, end - last);
	w->boundary = last + CACHELINE;
}

static void account(FILE *out, const struct pgm_type_decl_member *m, uint64_t off, int depth,
		    struct walk *w)
{
	bool same_unit = m->bit_size && w->bitfield_open && w->unit == off;
	if (!same_unit && off > w->end) {
		fprintf(out, "\n");
		indent(out, depth);
		fprintf(out, "/* XXX %" PRIu64 " byte%s hole, try to pack */\n\n", off - w->end,
			off - w->end == 1 ? "" : "s");
		w->holes++;
		w->sum_holes += off - w->end;
	}
	if (!same_unit)
		w->sum_members += m->size;
	w->bitfield_open = m->bit_size != 0;
	w->unit = off;
}

static void print_members(FILE *out, const struct pgm_type_decl *l, uint64_t base, int depth,
			  struct walk *w)
{
	bool is_union = l->kind == PGM_TYPE_UNION;
	for (size_t i = 0; i < l->n_members; i++) {
		const struct pgm_type_decl_member *m = &l->members[i];
		uint64_t off = base + m->offset;
		if (!is_union)
			account(out, m, off, depth, w);
		cacheline_before(out, off, depth, w);
		print_member(out, m, base, depth, w);
		if (off + m->size > w->end)
			w->end = off + m->size;
		cacheline_after(out, off + m->size, depth, w);
	}
	if (is_union)
		w->sum_members += l->size;
}

static void print_enum(FILE *out, const struct pgm_type_decl *l)
{
	size_t width = 0;
	for (size_t i = 0; i < l->n_enumerators; i++)
		if (l->enumerators[i].name && strlen(l->enumerators[i].name) > width)
			width = strlen(l->enumerators[i].name);
	if (l->name)
		fprintf(out, "enum %s {\n", l->name);
	else
		fprintf(out, "typedef enum {\n");
	for (size_t i = 0; i < l->n_enumerators; i++)
		fprintf(out, "\t%-*s = %" PRId64 ",\n", (int)width,
			l->enumerators[i].name ? l->enumerators[i].name : "?",
			l->enumerators[i].value);
	fprintf(out, "}%s%s;\n", l->name ? "" : " ", l->name ? "" : l->typedef_name ? l->typedef_name : "");
}

static void summary(FILE *out, const struct pgm_type_decl *l, const struct walk *w)
{
	uint64_t cachelines = (l->size + CACHELINE - 1) / CACHELINE;
	fprintf(out, "\n\t/* size: %" PRIu64 ", cachelines: %" PRIu64 ", members: %zu */\n", l->size,
		cachelines, l->n_members);
	if (w->holes)
		fprintf(out, "\t/* sum members: %" PRIu64 ", holes: %u, sum holes: %" PRIu64 " */\n",
			w->sum_members, w->holes, w->sum_holes);
	if (l->kind == PGM_TYPE_STRUCT && l->size > w->end)
		fprintf(out, "\t/* padding: %" PRIu64 " */\n", l->size - w->end);
	if (l->size % CACHELINE)
		fprintf(out, "\t/* last cacheline: %" PRIu64 " bytes */\n", l->size % CACHELINE);
}

void pgm_print_type_decl_text(FILE *out, const struct pgm_type_decl *l)
{
	if (l->kind == PGM_TYPE_ENUM) {
		print_enum(out, l);
		return;
	}
	const char *kw = l->kind == PGM_TYPE_UNION ? "union" : "struct";
	if (l->name)
		fprintf(out, "%s %s {\n", kw, l->name);
	else
		fprintf(out, "typedef %s {\n", kw);
	struct walk w = { .boundary = CACHELINE };
	print_members(out, l, 0, 0, &w);
	summary(out, l, &w);
	if (l->name)
		fprintf(out, "};\n");
	else
		fprintf(out, "} %s;\n", l->typedef_name ? l->typedef_name : "");
}

/* ---- JSON ---- */

static bool add(struct json_object *o, const char *key, struct json_object *v)
{
	return json_object_object_add(o, key, v) == 0;
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *members_json(const struct pgm_type_decl *l);

static struct json_object *member_json(const struct pgm_type_decl_member *m)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	bool ok = add(o, "name", str_or_null(m->name)) &&
		  add(o, "type", str_or_null(m->type_name)) &&
		  add(o, "declarator", str_or_null(m->declarator)) &&
		  add(o, "offset", json_object_new_uint64(m->offset)) &&
		  add(o, "size", json_object_new_uint64(m->size)) &&
		  add(o, "bit_offset", json_object_new_int(m->bit_offset)) &&
		  add(o, "bit_size", json_object_new_int(m->bit_size));
	if (ok && m->nested) {
		struct json_object *inner = members_json(m->nested);
		ok = inner && add(o, "members", inner);
	}
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *members_json(const struct pgm_type_decl *l)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < l->n_members; i++) {
		struct json_object *m = member_json(&l->members[i]);
		if (!m || json_object_array_add(a, m) != 0) {
			json_object_put(m);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static struct json_object *enumerators_json(const struct pgm_type_decl *l)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < l->n_enumerators; i++) {
		struct json_object *e = json_object_new_object();
		if (!e || !add(e, "name", str_or_null(l->enumerators[i].name)) ||
		    !add(e, "value", json_object_new_int64(l->enumerators[i].value)) ||
		    json_object_array_add(a, e) != 0) {
			json_object_put(e);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

struct json_object *pgm_print_type_decl_json(const struct pgm_type_decl *l)
{
	static const char *const kinds[] = {
		[PGM_TYPE_STRUCT] = "struct", [PGM_TYPE_UNION] = "union", [PGM_TYPE_ENUM] = "enum",
	};
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	bool ok = add(o, "name", str_or_null(l->name)) &&
		  add(o, "kind", json_object_new_string(kinds[l->kind] ? kinds[l->kind] : "?")) &&
		  add(o, "typedef", str_or_null(l->typedef_name)) &&
		  add(o, "size", json_object_new_uint64(l->size)) &&
		  add(o, "decl_file", str_or_null(l->decl_file));
	struct json_object *list = !ok ? NULL
			       : l->kind == PGM_TYPE_ENUM ? enumerators_json(l) : members_json(l);
	if (!list || !add(o, l->kind == PGM_TYPE_ENUM ? "enumerators" : "members", list)) {
		json_object_put(list);
		json_object_put(o);
		return NULL;
	}
	return o;
}
