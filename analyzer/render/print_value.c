/*
 * Values as gdb's `print` shows them (text), and as JSON.  Every scalar is
 * read on its own, so memory the capture lacks costs only the members that
 * lie in it: they print as <not captured at 0x… (mapping …)> in place.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pgmortem/print.h"

struct printer {
	const struct pgm_print_context *ctx;
	FILE *out;
};

static void print_value(const struct printer *p, const struct pgm_value *v, int depth, bool top);

/* ---- scalars and strings, shared by text and JSON ---- */

static bool is_char(struct pgm_dwarf *dw, const struct pgm_type *type)
{
	struct pgm_type t;
	uint64_t size = 0;
	pgm_type_strip(type, &t);
	if (pgm_type_kind(&t) != PGM_TYPE_INT)
		return false;
	enum pgm_int_encoding e = pgm_type_encoding(&t);
	pgm_error_destroy(pgm_type_size(dw, &t, &size));
	return size == 1 && (e == PGM_INT_SIGNED_CHAR || e == PGM_INT_UNSIGNED_CHAR);
}

static const char *unavailable_text(const struct pgm_error *err, char *buf, size_t size)
{
	if (err->code != PGM_ERR_OPTIMIZED_OUT)
		snprintf(buf, size, "<%s>", err->message);
	else if (strcmp(err->message, "optimized out") == 0)
		snprintf(buf, size, "<optimized out>");
	else
		snprintf(buf, size, "<not available: %s>", err->message);
	return buf;
}

static void print_error(FILE *out, struct pgm_error *err)
{
	char buf[512];
	fputs(unavailable_text(err, buf, sizeof(buf)), out);
	pgm_error_destroy(err);
}

/* One character inside quotes, escaped as gdb does. */
static void put_escaped(FILE *out, unsigned char c, char quote)
{
	static const char *const named = "\aa\bb\ff\nn\rr\tt\vv";
	const char *e = c ? strchr(named, c) : NULL;
	if (e && (e - named) % 2 == 0)
		fprintf(out, "\\%c", e[1]);
	else if (c == (unsigned char)quote || c == '\\')
		fprintf(out, "\\%c", c);
	else if (c >= 0x20 && c < 0x7f)
		fputc(c, out);
	else
		fprintf(out, "\\%03o", c);
}

/*
 * gdb's string layout: runs of more than PGM_PRINT_REPEATS equal characters
 * become 'c' <repeats N times>, the rest quoted segments, ", " between.
 */
static void print_chars(FILE *out, const uint8_t *s, size_t len, bool truncated)
{
	bool in_quote = false, any = false;
	size_t shown = 0;
	if (len == 0)
		fputs("\"\"", out);
	for (size_t i = 0; i < len && shown < PGM_PRINT_MAX_ELEMENTS;) {
		size_t reps = 1;
		while (i + reps < len && s[i + reps] == s[i])
			reps++;
		if (reps > PGM_PRINT_REPEATS) {
			fprintf(out, "%s%s'", in_quote ? "\"" : "", any ? ", " : "");
			put_escaped(out, s[i], '\'');
			fprintf(out, "' <repeats %zu times>", reps);
			in_quote = false;
			i += reps;
			shown += PGM_PRINT_REPEATS;
		} else {
			if (!in_quote)
				fprintf(out, "%s\"", any ? ", " : "");
			in_quote = true;
			put_escaped(out, s[i], '"');
			i++;
			shown++;
		}
		any = true;
	}
	if (in_quote)
		fputc('"', out);
	if (truncated || shown >= PGM_PRINT_MAX_ELEMENTS)
		fputs("...", out);
}

static void print_char_value(FILE *out, uint64_t bits, bool is_signed)
{
	fprintf(out, "%" PRId64 " '", is_signed ? (int64_t)(int8_t)bits : (int64_t)(uint8_t)bits);
	put_escaped(out, (unsigned char)bits, '\'');
	fputc('\'', out);
}

/* " <symbol+off>" when addr lies in a symbol, as gdb's `print symbol on`. */
static void print_symbol(const struct printer *p, uint64_t addr)
{
	const char *name;
	uint64_t off;
	if (!addr)
		return;
	struct pgm_error *err = pgm_dwarf_symbolize(p->ctx->dwarf, addr, &name, &off);
	if (err) {
		pgm_error_destroy(err);
		return;
	}
	if (off)
		fprintf(p->out, " <%s+%" PRIu64 ">", name, off);
	else
		fprintf(p->out, " <%s>", name);
}

static void print_float(FILE *out, const struct pgm_value *v, struct pgm_dwarf *dw)
{
	uint8_t buf[16];
	struct pgm_error *err = v->size <= sizeof(buf) ? pgm_value_read(dw, v, buf) : NULL;
	if (err)
		return print_error(out, err);
	if (v->size == 4) {
		float f;
		memcpy(&f, buf, 4);
		fprintf(out, "%.9g", f);
	} else if (v->size == 8) {
		double d;
		memcpy(&d, buf, 8);
		fprintf(out, "%.17g", d);
	} else {
		fprintf(out, "<%zu-byte float>", v->size);
	}
}

static void print_integer(const struct printer *p, const struct pgm_value *v,
			  const struct pgm_type *t)
{
	struct pgm_dwarf *dw = p->ctx->dwarf;
	uint64_t bits;
	struct pgm_error *err = pgm_value_integer(dw, v, &bits);
	if (err)
		return print_error(p->out, err);
	enum pgm_int_encoding e = pgm_type_encoding(t);
	if (e == PGM_INT_BOOL && bits <= 1)
		fputs(bits ? "true" : "false", p->out);
	else if (is_char(dw, t) && !v->bit_size)
		print_char_value(p->out, bits, e == PGM_INT_SIGNED_CHAR);
	else if (e == PGM_INT_SIGNED || e == PGM_INT_SIGNED_CHAR)
		fprintf(p->out, "%" PRId64, (int64_t)bits);
	else
		fprintf(p->out, "%" PRIu64, bits);
}

static void print_enum(const struct printer *p, const struct pgm_value *v,
		       const struct pgm_type *t)
{
	uint64_t bits;
	const char *name;
	struct pgm_error *err = pgm_value_integer(p->ctx->dwarf, v, &bits);
	if (err)
		return print_error(p->out, err);
	if ((err = pgm_enum_name(p->ctx->dwarf, t, (int64_t)bits, &name))) {
		pgm_error_destroy(err);
		if (pgm_type_encoding(t) == PGM_INT_SIGNED)
			fprintf(p->out, "%" PRId64, (int64_t)bits);
		else
			fprintf(p->out, "%" PRIu64, bits);
		return;
	}
	fputs(name, p->out);
}

/* The string a char * points at, or why it cannot be read. */
static void print_pointed_string(const struct printer *p, uint64_t addr)
{
	struct pgm_target *t = pgm_dwarf_target(p->ctx->dwarf);
	char *s;
	bool truncated;
	if (!t)
		return;
	struct pgm_error *err = pgm_target_read_string(t, addr, PGM_PRINT_MAX_ELEMENTS, &s, &truncated);
	fputc(' ', p->out);
	if (err)
		return print_error(p->out, err);
	print_chars(p->out, (const uint8_t *)s, strlen(s), truncated);
	free(s);
}

static void print_pointer(const struct printer *p, const struct pgm_value *v,
			  const struct pgm_type *t, bool top)
{
	struct pgm_dwarf *dw = p->ctx->dwarf;
	struct pgm_type target;
	uint64_t addr;
	struct pgm_error *err = pgm_value_integer(dw, v, &addr);
	if (err)
		return print_error(p->out, err);
	pgm_error_destroy(pgm_type_pointee(dw, t, &target));
	bool string = is_char(dw, &target);
	if (top && !string) {
		char *name;
		if (!pgm_type_to_string(&v->type, NULL, &name)) {
			fprintf(p->out, "(%s) ", name);
			free(name);
		}
	}
	fprintf(p->out, "0x%" PRIx64, addr);
	if (string && addr)
		print_pointed_string(p, addr);
	else
		print_symbol(p, addr);
}

/* Char arrays print as strings; a final NUL is not shown, as in gdb. */
static void print_char_array(const struct printer *p, const struct pgm_value *v)
{
	struct pgm_value loaded;
	struct pgm_error *err = pgm_value_load(p->ctx->dwarf, v, &loaded);
	if (err)
		return print_error(p->out, err);
	if (loaded.valid) {
		fprintf(p->out, "<not available: %s>", loaded.reason[0] ? loaded.reason : "partly unknown");
	} else {
		size_t len = loaded.size;
		if (len > 0 && loaded.bytes[len - 1] == 0 && len <= PGM_PRINT_MAX_ELEMENTS)
			len--;
		print_chars(p->out, loaded.bytes, len, false);
	}
	pgm_value_deinit(&loaded);
}

/* How many elements from i on have the same bytes as element i. */
static size_t run_length(const struct pgm_value *a, size_t i, size_t count, size_t esize)
{
	size_t reps = 1;
	if (a->kind != PGM_VALUE_BYTES || a->valid || esize == 0)
		return 1;
	while (i + reps < count &&
	       memcmp(a->bytes + i * esize, a->bytes + (i + reps) * esize, esize) == 0)
		reps++;
	return reps;
}

static void print_elements(const struct printer *p, const struct pgm_value *a, uint64_t count,
			   uint64_t esize, int depth)
{
	size_t shown = 0;
	fputc('{', p->out);
	for (size_t i = 0; i < count; shown++) {
		struct pgm_value e;
		if (shown >= PGM_PRINT_MAX_ELEMENTS) {
			fputs("...", p->out);
			break;
		}
		size_t reps = run_length(a, i, count, esize);
		fputs(i ? ", " : "", p->out);
		struct pgm_error *err = pgm_value_index(p->ctx->dwarf, a, (int64_t)i, &e);
		if (err) {
			print_error(p->out, err);
		} else {
			print_value(p, &e, depth + 1, false);
			pgm_value_deinit(&e);
		}
		if (reps > PGM_PRINT_REPEATS) {
			fprintf(p->out, " <repeats %zu times>", reps);
			i += reps;
			shown += PGM_PRINT_REPEATS - 1;
		} else {
			i++;
		}
	}
	fputc('}', p->out);
}

static void print_array(const struct printer *p, const struct pgm_value *v,
			const struct pgm_type *t, int depth)
{
	struct pgm_dwarf *dw = p->ctx->dwarf;
	struct pgm_type elem;
	uint64_t count, esize = 0;
	bool has_count;
	struct pgm_error *err = pgm_type_array(dw, t, &elem, &count, &has_count);
	if (err)
		return print_error(p->out, err);
	if (!has_count && v->kind == PGM_VALUE_MEMORY) {
		/* A flexible array member: gdb shows where it starts (and a string). */
		fprintf(p->out, "0x%" PRIx64, v->address);
		if (is_char(dw, &elem))
			print_pointed_string(p, v->address);
		return;
	}
	if (is_char(dw, &elem))
		return print_char_array(p, v);
	pgm_error_destroy(pgm_type_size(dw, &elem, &esize));
	/* One read for the whole array when it can be had, for <repeats>. */
	struct pgm_value loaded;
	if (!has_count || (err = pgm_value_load(dw, v, &loaded))) {
		/* without a count, or when the whole array cannot be read, element by element */
		pgm_error_destroy(err);
		print_elements(p, v, count, esize, depth);
		return;
	}
	print_elements(p, &loaded, count, esize, depth);
	pgm_value_deinit(&loaded);
}

static void print_members(const struct printer *p, const struct pgm_value *v, int depth)
{
	struct pgm_member *members;
	size_t n;
	struct pgm_error *err = pgm_type_members(p->ctx->dwarf, &v->type, &members, &n);
	if (err)
		return print_error(p->out, err);
	fputc('{', p->out);
	for (size_t i = 0; i < n; i++) {
		struct pgm_value m;
		fputs(i ? ", " : "", p->out);
		if (members[i].name)
			fprintf(p->out, "%s = ", members[i].name);
		if ((err = pgm_value_field(p->ctx->dwarf, v, &members[i], &m))) {
			print_error(p->out, err);
			continue;
		}
		print_value(p, &m, depth + 1, false);
		pgm_value_deinit(&m);
	}
	fputc('}', p->out);
	free(members);
}

static void print_value(const struct printer *p, const struct pgm_value *v, int depth, bool top)
{
	struct pgm_type t;
	if (v->kind == PGM_VALUE_UNAVAILABLE)
		return print_error(p->out, pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "%s", v->reason));
	if (depth > PGM_PRINT_MAX_DEPTH) {
		fputs("{...}", p->out);
		return;
	}
	if (pgm_type_complete(p->ctx->dwarf, &v->type, &t))
		pgm_type_strip(&v->type, &t);
	switch (pgm_type_kind(&t)) {
	case PGM_TYPE_INT: return print_integer(p, v, &t);
	case PGM_TYPE_FLOAT: return print_float(p->out, v, p->ctx->dwarf);
	case PGM_TYPE_ENUM: return print_enum(p, v, &t);
	case PGM_TYPE_POINTER: return print_pointer(p, v, &t, top);
	case PGM_TYPE_ARRAY: return print_array(p, v, &t, depth);
	case PGM_TYPE_STRUCT: case PGM_TYPE_UNION: {
		struct pgm_value complete = *v;
		complete.type = t;
		return print_members(p, &complete, depth);
	}
	case PGM_TYPE_VOID: fputs("void", p->out); return;
	default:
		if (v->kind == PGM_VALUE_MEMORY)
			fprintf(p->out, "{<code>} 0x%" PRIx64, v->address);
		else
			fputs("<value of unsupported type>", p->out);
	}
}

void pgm_print_value_text(FILE *out, const struct pgm_print_context *ctx, const struct pgm_value *v)
{
	struct printer p = { ctx, out };
	print_value(&p, v, 0, true);
}

/* ---- JSON ---- */

static struct json_object *json_value(const struct pgm_print_context *ctx,
				      const struct pgm_value *v, int depth);

static struct json_object *json_error(struct pgm_error *err)
{
	struct json_object *o = json_object_new_object();
	if (o && err->code == PGM_ERR_OPTIMIZED_OUT)
		json_object_object_add(o, "unavailable", json_object_new_string(err->message));
	else if (o) {
		char addr[32];
		json_object_object_add(o, "error", json_object_new_string(err->message));
		if (pgm_error_is_read_failure(err)) {
			snprintf(addr, sizeof(addr), "0x%" PRIx64, err->address);
			json_object_object_add(o, "address", json_object_new_string(addr));
		}
	}
	pgm_error_destroy(err);
	return o;
}

static struct json_object *json_hex(uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

/* Bytes as a JSON string: ASCII as is, anything else as \xNN text. */
static struct json_object *json_bytes(const uint8_t *s, size_t len)
{
	char *buf = malloc(4 * len + 1), *q = buf;
	if (!buf)
		return NULL;
	for (size_t i = 0; i < len; i++)
		q += s[i] < 0x80 ? sprintf(q, "%c", s[i]) : sprintf(q, "\\x%02x", s[i]);
	struct json_object *o = json_object_new_string_len(buf, (int)(q - buf));
	free(buf);
	return o;
}

static struct json_object *json_integer(const struct pgm_print_context *ctx,
					const struct pgm_value *v, const struct pgm_type *t)
{
	uint64_t bits;
	const char *name;
	struct pgm_error *err = pgm_value_integer(ctx->dwarf, v, &bits);
	if (err)
		return json_error(err);
	enum pgm_int_encoding e = pgm_type_encoding(t);
	bool is_signed = e == PGM_INT_SIGNED || e == PGM_INT_SIGNED_CHAR;
	if (pgm_type_kind(t) == PGM_TYPE_ENUM) {
		if (!(err = pgm_enum_name(ctx->dwarf, t, (int64_t)bits, &name)))
			return json_object_new_string(name);
		pgm_error_destroy(err);
	} else if (e == PGM_INT_BOOL && bits <= 1) {
		return json_object_new_boolean(bits != 0);
	}
	if (is_signed && ((int64_t)bits > (1LL << 53) || (int64_t)bits < -(1LL << 53))) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)bits);
		return json_object_new_string(buf);
	}
	if (!is_signed && bits > (1ULL << 53)) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, bits);
		return json_object_new_string(buf);
	}
	return is_signed ? json_object_new_int64((int64_t)bits) : json_object_new_uint64(bits);
}

static struct json_object *json_pointer(const struct pgm_print_context *ctx,
					const struct pgm_value *v, const struct pgm_type *t)
{
	struct pgm_type target;
	uint64_t addr;
	struct pgm_error *err = pgm_value_integer(ctx->dwarf, v, &addr);
	if (err)
		return json_error(err);
	pgm_error_destroy(pgm_type_pointee(ctx->dwarf, t, &target));
	struct pgm_target *tg = pgm_dwarf_target(ctx->dwarf);
	if (!is_char(ctx->dwarf, &target) || !addr || !tg)
		return json_hex(addr);
	struct json_object *o = json_object_new_object();
	char *s;
	bool truncated;
	if (!o)
		return NULL;
	json_object_object_add(o, "address", json_hex(addr));
	err = pgm_target_read_string(tg, addr, PGM_PRINT_MAX_ELEMENTS, &s, &truncated);
	if (err) {
		json_object_object_add(o, "string", json_error(err));
		return o;
	}
	json_object_object_add(o, "string", json_bytes((const uint8_t *)s, strlen(s)));
	if (truncated)
		json_object_object_add(o, "truncated", json_object_new_boolean(1));
	free(s);
	return o;
}

static struct json_object *json_array(const struct pgm_print_context *ctx,
				      const struct pgm_value *v, const struct pgm_type *t, int depth)
{
	struct pgm_type elem;
	uint64_t count;
	bool has_count;
	struct pgm_error *err = pgm_type_array(ctx->dwarf, t, &elem, &count, &has_count);
	if (err)
		return json_error(err);
	if (!has_count && v->kind == PGM_VALUE_MEMORY)
		return json_hex(v->address);   /* a flexible array member */
	if (is_char(ctx->dwarf, &elem)) {
		struct pgm_value loaded;
		if ((err = pgm_value_load(ctx->dwarf, v, &loaded)))
			return json_error(err);
		struct json_object *o = loaded.valid ? json_object_new_string("")
				      : json_bytes(loaded.bytes, strnlen((char *)loaded.bytes, loaded.size));
		pgm_value_deinit(&loaded);
		return o;
	}
	struct json_object *a = json_object_new_array();
	for (uint64_t i = 0; a && i < count; i++) {
		struct pgm_value e;
		if (i == PGM_PRINT_MAX_ELEMENTS) {
			json_object_array_add(a, json_object_new_string("..."));
			break;
		}
		err = pgm_value_index(ctx->dwarf, v, (int64_t)i, &e);
		json_object_array_add(a, err ? json_error(err) : json_value(ctx, &e, depth + 1));
		if (!err)
			pgm_value_deinit(&e);
	}
	return a;
}

/* Members into o; an anonymous member's members join o, as C names them. */
static void json_members(const struct pgm_print_context *ctx, const struct pgm_value *v,
			 struct json_object *o, int depth)
{
	struct pgm_member *members;
	size_t n;
	if (pgm_type_members(ctx->dwarf, &v->type, &members, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		struct pgm_value m;
		struct pgm_error *err = pgm_value_field(ctx->dwarf, v, &members[i], &m);
		if (!members[i].name) {
			if (!err) {
				struct pgm_value inner = m;
				pgm_type_complete(ctx->dwarf, &m.type, &inner.type);
				json_members(ctx, &inner, o, depth + 1);
			}
		} else {
			json_object_object_add(o, members[i].name,
					       err ? json_error(err) : json_value(ctx, &m, depth + 1));
			err = NULL;
		}
		pgm_error_destroy(err);
		pgm_value_deinit(&m);
	}
	free(members);
}

static struct json_object *json_value(const struct pgm_print_context *ctx,
				      const struct pgm_value *v, int depth)
{
	struct pgm_type t;
	if (v->kind == PGM_VALUE_UNAVAILABLE)
		return json_error(pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "%s", v->reason));
	if (depth > PGM_PRINT_MAX_DEPTH)
		return json_object_new_string("...");
	if (pgm_type_complete(ctx->dwarf, &v->type, &t))
		pgm_type_strip(&v->type, &t);
	switch (pgm_type_kind(&t)) {
	case PGM_TYPE_INT: case PGM_TYPE_ENUM:
		return json_integer(ctx, v, &t);
	case PGM_TYPE_FLOAT: {
		double d = 0;
		float f;
		uint8_t buf[8];
		struct pgm_error *err = v->size == 4 || v->size == 8 ? pgm_value_read(ctx->dwarf, v, buf)
					: pgm_error_create(PGM_ERR_UNSUPPORTED, "float size");
		if (err)
			return json_error(err);
		if (v->size == 4)
			memcpy(&f, buf, 4), d = f;
		else
			memcpy(&d, buf, 8);
		return json_object_new_double(d);
	}
	case PGM_TYPE_POINTER: return json_pointer(ctx, v, &t);
	case PGM_TYPE_ARRAY: return json_array(ctx, v, &t, depth);
	case PGM_TYPE_STRUCT: case PGM_TYPE_UNION: {
		struct json_object *o = json_object_new_object();
		struct pgm_value complete = *v;
		complete.type = t;
		if (o)
			json_members(ctx, &complete, o, depth);
		return o;
	}
	default:
		return NULL;
	}
}

struct json_object *pgm_print_value_json(const struct pgm_print_context *ctx,
					 const struct pgm_value *v)
{
	return json_value(ctx, v, 0);
}
