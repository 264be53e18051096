/*
 * The expression language of `pgmortem print`: a recursive-descent parser
 * that evaluates as it parses (there is nothing to optimize, and errors can
 * name the exact place).  Grammar, loosest first:
 *
 *   expr    := unary (('+' | '-') unary)*
 *   unary   := '*' unary | '&' unary | '-' unary | '(' type ')' unary | postfix
 *   postfix := primary ('.' name | '->' name | '[' expr ']')*
 *   primary := number | name | file.c:name | '(' expr ')'
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/dwarf_internal.h"
#include "pgmortem/value.h"

struct parser {
	const struct pgm_value_scope *scope;
	struct pgm_dwarf *dw;
	const char *text;
	const char *p;
	unsigned depth;
};

#define MAX_NESTING 64

static void skip_space(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static bool accept(struct parser *ps, const char *punct)
{
	skip_space(ps);
	size_t len = strlen(punct);
	if (strncmp(ps->p, punct, len) != 0)
		return false;
	/* "-" must not eat the start of "->" */
	if (len == 1 && punct[0] == '-' && ps->p[1] == '>')
		return false;
	ps->p += len;
	return true;
}

static struct pgm_error *syntax(const struct parser *ps, const char *what)
{
	return pgm_error_create(PGM_ERR_USAGE, "%s at '%.20s' in '%s'", what,
				*ps->p ? ps->p : "end", ps->text);
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* An identifier, or "file.c:name" (a source file, a colon, a name). */
static bool read_name(struct parser *ps, char *buf, size_t size)
{
	skip_space(ps);
	const char *s = ps->p, *e = s;
	if (!is_ident_start(*s) && *s != '.' && *s != '/')
		return false;
	while (is_ident_char(*e) || *e == '-' || *e == '/' || *e == '.')
		e++;
	const char *colon = e;
	if (*colon == ':' && is_ident_start(colon[1]) && memchr(s, '.', (size_t)(colon - s))) {
		e = colon + 1;
		while (is_ident_char(*e))
			e++;
	} else {
		for (e = s; is_ident_char(*e); e++)
			;
	}
	if (e == s || (size_t)(e - s) >= size)
		return false;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	ps->p = e;
	return true;
}

static struct pgm_error *parse_expr(struct parser *ps, struct pgm_value *v);
static struct pgm_error *parse_unary(struct parser *ps, struct pgm_value *v);

static struct pgm_error *long_scalar(struct parser *ps, uint64_t bits, struct pgm_value *v)
{
	struct pgm_type t;
	struct pgm_error *err = pgm_type_find(ps->dw, "long int", NULL, &t);
	return err ?: pgm_value_scalar(ps->dw, &t, bits, v);
}

/* A frame's own variables first, as C scoping has it, then globals. */
static struct pgm_error *lookup(struct parser *ps, const char *name, struct pgm_value *v)
{
	const struct pgm_value_scope *sc = ps->scope;
	const char *colon = strchr(name, ':');
	char hint[256] = "";
	struct pgm_variable var;
	struct pgm_error *err;
	if (colon) {
		snprintf(hint, sizeof(hint), "%.*s", (int)(colon - name), name);
		name = colon + 1;
	}
	if (!colon && sc->stack && sc->frame >= 0) {
		err = pgm_frame_variable_find(ps->dw, sc->stack, (size_t)sc->frame, name, &var);
		if (!err)
			return pgm_value_of_variable(ps->dw, &var, v);
		if (err->code != PGM_ERR_LOOKUP)
			return err;
		pgm_error_destroy(err);
	}
	err = pgm_variable_find(ps->dw, name, colon ? hint : NULL, &var);
	if (err)
		return err;
	return pgm_value_of_variable(ps->dw, &var, v);
}

static struct pgm_error *parse_primary(struct parser *ps, struct pgm_value *v)
{
	char name[256];
	skip_space(ps);
	if (isdigit((unsigned char)*ps->p)) {
		char *end;
		uint64_t n = strtoull(ps->p, &end, 0);
		ps->p = end;
		return long_scalar(ps, n, v);
	}
	if (accept(ps, "(")) {
		struct pgm_error *err = parse_expr(ps, v);
		if (!err && !accept(ps, ")"))
			err = syntax(ps, "expected ')'");
		return err;
	}
	if (!read_name(ps, name, sizeof(name)))
		return syntax(ps, "expected a name or a number");
	return lookup(ps, name, v);
}

/* Replaces *v by the result of op(*v); v is consumed either way. */
static struct pgm_error *apply(struct pgm_value *v, struct pgm_error *err, struct pgm_value *next)
{
	pgm_value_deinit(v);
	if (!err)
		*v = *next;
	return err;
}

static struct pgm_error *parse_postfix(struct parser *ps, struct pgm_value *v)
{
	struct pgm_error *err = parse_primary(ps, v);
	char name[128];
	while (!err) {
		struct pgm_value next;
		if (accept(ps, "->")) {
			struct pgm_value target;
			if (!read_name(ps, name, sizeof(name)))
				return pgm_value_deinit(v), syntax(ps, "expected a member name");
			err = apply(v, pgm_value_deref(ps->dw, v, &target), &target);
			if (!err)
				err = apply(v, pgm_value_member(ps->dw, v, name, &next), &next);
		} else if (accept(ps, ".")) {
			if (!read_name(ps, name, sizeof(name)))
				return pgm_value_deinit(v), syntax(ps, "expected a member name");
			err = apply(v, pgm_value_member(ps->dw, v, name, &next), &next);
		} else if (accept(ps, "[")) {
			struct pgm_value index;
			uint64_t i = 0;
			err = parse_expr(ps, &index);
			if (!err) {
				err = pgm_value_integer(ps->dw, &index, &i);
				pgm_value_deinit(&index);
			}
			if (!err && !accept(ps, "]"))
				err = syntax(ps, "expected ']'");
			if (err)
				return pgm_value_deinit(v), err;
			err = apply(v, pgm_value_index(ps->dw, v, (int64_t)i, &next), &next);
		} else {
			return NULL;
		}
	}
	return err;
}

static const char *const type_words[] = {
	"struct", "union", "enum", "unsigned", "signed", "long", "short", "int", "char",
	"void", "_Bool", "float", "double", "const", "volatile",
};

static bool is_type_word(const char *w)
{
	for (size_t i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
		if (strcmp(w, type_words[i]) == 0)
			return true;
	return false;
}

/* GCC's names for C's integer spellings: "unsigned long" -> "long unsigned int". */
static void base_type_name(int longs, bool is_unsigned, bool is_signed, bool is_short,
			   bool is_char, char *out, size_t size)
{
	const char *u = is_unsigned ? " unsigned" : "";
	if (is_char)
		snprintf(out, size, "%schar", is_unsigned ? "unsigned " : is_signed ? "signed " : "");
	else if (is_short)
		snprintf(out, size, "short%s int", u);
	else if (longs)
		snprintf(out, size, "%s%s int", longs > 1 ? "long long" : "long", u);
	else
		snprintf(out, size, "%sint", is_unsigned ? "unsigned " : "");
}

/*
 * Reads "struct X **", "unsigned long", "PGPROC *" up to ')' into spec;
 * false (and p unchanged) if what follows '(' is not a type.
 */
static bool read_type(struct parser *ps, char *spec, size_t size)
{
	const char *start = ps->p;
	char word[128], base[128] = "";
	const char *tag = "";
	int longs = 0, stars = 0, words = 0;
	bool u = false, s = false, sh = false, ch = false, keyword = false;
	while (read_name(ps, word, sizeof(word))) {
		words++;
		keyword |= is_type_word(word);
		if (!strcmp(word, "const") || !strcmp(word, "volatile")) words--;
		else if (!strcmp(word, "struct")) tag = "struct ";
		else if (!strcmp(word, "union")) tag = "union ";
		else if (!strcmp(word, "enum")) tag = "enum ";
		else if (!strcmp(word, "unsigned")) u = true;
		else if (!strcmp(word, "signed")) s = true;
		else if (!strcmp(word, "long")) longs++;
		else if (!strcmp(word, "short")) sh = true;
		else if (!strcmp(word, "char")) ch = true;
		else if (strcmp(word, "int") != 0) snprintf(base, sizeof(base), "%s", word);
	}
	while (accept(ps, "*"))
		stars++;
	skip_space(ps);
	if (!words || *ps->p != ')' || (!keyword && !stars && words == 1 && !base[0])) {
		ps->p = start;
		return false;
	}
	if (!base[0])
		base_type_name(longs, u, s, sh, ch, base, sizeof(base));
	int len = snprintf(spec, size, "%s%s%s", tag, base, stars ? " " : "");
	for (int i = 0; i < stars && len + i + 1 < (int)size; i++)
		spec[len + i] = '*', spec[len + i + 1] = '\0';
	return true;
}

/*
 * After '(': a cast if the parenthesized words name a type.  A lone name
 * without '*' is a type only if it is not a variable ("(x)" stays x).
 */
static struct pgm_error *try_cast(struct parser *ps, struct pgm_value *v, bool *was_cast)
{
	char spec[300];
	const char *start = ps->p;
	struct pgm_type type;
	*was_cast = false;
	if (!read_type(ps, spec, sizeof(spec)))
		return NULL;
	struct pgm_error *err = pgm_type_find(ps->dw, spec, NULL, &type);
	bool lone = !strchr(spec, '*') && !strchr(spec, ' ');
	if (err && lone && err->code == PGM_ERR_LOOKUP) {
		pgm_error_destroy(err);
		ps->p = start;
		return NULL;
	}
	if (err)
		return err;
	accept(ps, ")");
	*was_cast = true;
	struct pgm_value operand, cast;
	if ((err = parse_unary(ps, &operand)))
		return err;
	err = pgm_value_cast(ps->dw, &operand, &type, &cast);
	pgm_value_deinit(&operand);
	if (!err)
		*v = cast;
	return err;
}

static struct pgm_error *negate(struct parser *ps, struct pgm_value *v)
{
	uint64_t n;
	struct pgm_error *err = pgm_value_integer(ps->dw, v, &n);
	pgm_value_deinit(v);
	return err ?: long_scalar(ps, -n, v);
}

static struct pgm_error *parse_unary(struct parser *ps, struct pgm_value *v)
{
	struct pgm_value inner;
	struct pgm_error *err;
	if (++ps->depth > MAX_NESTING)
		return syntax(ps, "expression nested too deeply");
	if (accept(ps, "*") || accept(ps, "&")) {
		bool deref = ps->p[-1] == '*';
		if (!(err = parse_unary(ps, &inner))) {
			err = deref ? pgm_value_deref(ps->dw, &inner, v)
				    : pgm_value_address_of(ps->dw, &inner, v);
			pgm_value_deinit(&inner);
		}
	} else if (accept(ps, "-")) {
		if (!(err = parse_unary(ps, v)))
			err = negate(ps, v);
	} else {
		const char *start = ps->p;
		bool was_cast = false;
		err = accept(ps, "(") ? try_cast(ps, v, &was_cast) : NULL;
		if (!err && !was_cast) {
			ps->p = start;
			err = parse_postfix(ps, v);
		}
	}
	ps->depth--;
	return err;
}

/* Pointer arithmetic scales by the pointee's size (void and char: 1). */
static struct pgm_error *pointer_step(struct parser *ps, const struct pgm_value *ptr,
				      uint64_t *step, struct pgm_type *ptype)
{
	struct pgm_type t, target;
	pgm_type_strip(&ptr->type, &t);
	*ptype = ptr->type;
	if (pgm_type_kind(&t) == PGM_TYPE_ARRAY) {
		uint64_t count;
		bool has;
		struct pgm_error *err = pgm_type_array(ps->dw, &t, &target, &count, &has);
		if (err)
			return err;
		*ptype = target;
		ptype->pointers++;
	} else {
		struct pgm_error *err = pgm_type_pointee(ps->dw, &t, &target);
		if (err) {   /* not a pointer: an integer operand */
			pgm_error_destroy(err);
			*step = 0;
			return NULL;
		}
	}
	*step = 1;
	if (pgm_type_kind(&target) != PGM_TYPE_VOID && pgm_type_kind(&target) != PGM_TYPE_FUNCTION)
		pgm_error_destroy(pgm_type_size(ps->dw, &target, step));
	return NULL;
}

static struct pgm_error *address_bits(struct parser *ps, const struct pgm_value *v, uint64_t *ret)
{
	struct pgm_type t;
	pgm_type_strip(&v->type, &t);
	if (pgm_type_kind(&t) == PGM_TYPE_ARRAY && v->kind == PGM_VALUE_MEMORY) {
		*ret = v->address;
		return NULL;
	}
	return pgm_value_integer(ps->dw, v, ret);
}

static struct pgm_error *arith(struct parser *ps, struct pgm_value *l, struct pgm_value *r,
			       char op)
{
	uint64_t a, b, sl, sr;
	struct pgm_type tl, tr;
	struct pgm_error *err = pointer_step(ps, l, &sl, &tl) ?: pointer_step(ps, r, &sr, &tr) ?:
				address_bits(ps, l, &a) ?: address_bits(ps, r, &b);
	struct pgm_value result;
	if (err)
		return err;
	if (sl && sr) {
		if (op != '-' || sl != sr)
			return syntax(ps, "only subtraction of like pointers");
		err = long_scalar(ps, (a - b) / sl, &result);
	} else if (sl || sr) {
		if (sr && op == '-')
			return syntax(ps, "cannot subtract a pointer from a number");
		uint64_t p = sl ? a : b, n = sl ? b : a, step = sl ? sl : sr;
		err = pgm_value_scalar(ps->dw, sl ? &tl : &tr, op == '+' ? p + n * step : p - n * step,
				       &result);
	} else {
		err = long_scalar(ps, op == '+' ? a + b : a - b, &result);
	}
	if (!err) {
		pgm_value_deinit(l);
		*l = result;
	}
	return err;
}

static struct pgm_error *parse_expr(struct parser *ps, struct pgm_value *v)
{
	struct pgm_error *err = parse_unary(ps, v);
	while (!err) {
		char op = accept(ps, "+") ? '+' : accept(ps, "-") ? '-' : 0;
		if (!op)
			break;
		struct pgm_value r;
		if ((err = parse_unary(ps, &r)))
			break;
		err = arith(ps, v, &r, op);
		pgm_value_deinit(&r);
	}
	if (err)
		pgm_value_deinit(v);
	return err;
}

struct pgm_error *pgm_value_eval(const struct pgm_value_scope *scope, const char *expr,
				 struct pgm_value *ret)
{
	struct parser ps = { .scope = scope, .dw = scope->dwarf, .text = expr, .p = expr };
	memset(ret, 0, sizeof(*ret));
	struct pgm_error *err = parse_expr(&ps, ret);
	skip_space(&ps);
	if (!err && *ps.p) {
		pgm_value_deinit(ret);
		err = syntax(&ps, "unexpected text");
	}
	return err;
}
