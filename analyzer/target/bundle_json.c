/* JSON helpers for bundle parts: bounded, typed getters and errors as objects. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgmortem/bundle_file.h"
#include "target/bundle_json.h"

static struct pgm_error *bad(const char *key)
{
	return pgm_error_create(PGM_ERR_FORMAT, "bad \"%s\"", key);
}

struct pgm_error *pgm_bjson_parse(const uint8_t *data, size_t len, json_type type, json_object **ret)
{
	if (len > INT32_MAX)
		return pgm_error_create(PGM_ERR_FORMAT, "too large for JSON");
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return &pgm_enomem;
	json_object *o = json_tokener_parse_ex(tok, (const char *)data, (int)len);
	bool complete = o && json_tokener_get_error(tok) == json_tokener_success &&
			json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!complete || !json_object_is_type(o, type)) {
		json_object_put(o);
		return pgm_error_create(PGM_ERR_FORMAT, "not valid JSON of the expected shape");
	}
	*ret = o;
	return NULL;
}

struct pgm_error *pgm_bjson_finish(json_object *o, char **ret)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	*ret = s ? strdup(s) : NULL;
	json_object_put(o);
	return *ret ? NULL : &pgm_enomem;
}

json_object *pgm_bjson_hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

json_object *pgm_bjson_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static bool get(json_object *o, const char *key, json_type type, json_object **v)
{
	return json_object_object_get_ex(o, key, v) && json_object_is_type(*v, type);
}

bool pgm_bjson_hex_value(json_object *v, uint64_t *ret)
{
	if (!json_object_is_type(v, json_type_string))
		return false;
	const char *s = json_object_get_string(v);
	size_t n = strlen(s);
	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x' || strspn(s + 2, "0123456789abcdef") != n - 2)
		return false;
	*ret = strtoull(s + 2, NULL, 16);
	return true;
}

const char *pgm_bjson_str_value(json_object *v)
{
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) > PGM_BUNDLE_MAX_STRING)
		return NULL;
	const char *s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

struct pgm_error *pgm_bjson_get_hex(json_object *o, const char *key, uint64_t *ret)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !pgm_bjson_hex_value(v, ret))
		return bad(key);
	return NULL;
}

struct pgm_error *pgm_bjson_get_int(json_object *o, const char *key, int64_t min, int64_t max,
				    int64_t *ret)
{
	json_object *v;
	if (!get(o, key, json_type_int, &v))
		return bad(key);
	int64_t x = json_object_get_int64(v);
	if (x < min || x > max)
		return bad(key);
	*ret = x;
	return NULL;
}

struct pgm_error *pgm_bjson_get_bool(json_object *o, const char *key, bool *ret)
{
	json_object *v;
	if (!get(o, key, json_type_boolean, &v))
		return bad(key);
	*ret = json_object_get_boolean(v);
	return NULL;
}

struct pgm_error *pgm_bjson_get_str(json_object *o, const char *key, char **ret)
{
	json_object *v;
	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	const char *s = pgm_bjson_str_value(v);
	if (!s)
		return bad(key);
	return (*ret = strdup(s)) ? NULL : &pgm_enomem;
}

struct pgm_error *pgm_bjson_get_array(json_object *o, const char *key, size_t max, json_object **ret,
				      size_t *n)
{
	if (!get(o, key, json_type_array, ret) || json_object_array_length(*ret) > max)
		return bad(key);
	*n = json_object_array_length(*ret);
	return NULL;
}

struct pgm_error *pgm_bjson_each_string(json_object *o, const char *key, size_t max,
					struct pgm_error *(*fn)(void *arg, const char *s), void *arg)
{
	json_object *a;
	size_t n;
	struct pgm_error *err = pgm_bjson_get_array(o, key, max, &a, &n);
	for (size_t i = 0; !err && i < n; i++) {
		const char *s = pgm_bjson_str_value(json_object_array_get_idx(a, i));
		err = s ? fn(arg, s) : bad(key);
	}
	return err;
}

struct pgm_error *pgm_bjson_part_error(const struct pgm_target *t, const char *name, struct pgm_error *err)
{
	if (!err || err == &pgm_enomem)
		return err;
	return pgm_error_wrap(err, "part %s of capture %zu", name, t->origin ? t->origin->capture : 0);
}

struct pgm_error *pgm_bjson_part(const struct pgm_target *t, const char *name, json_type type,
				 json_object **ret)
{
	const uint8_t *data;
	size_t len;
	struct pgm_error *err = pgm_target_bundle_part(t, name, &data, &len)
					? pgm_bjson_parse(data, len, type, ret)
					: pgm_error_create(PGM_ERR_FORMAT, "missing");
	return pgm_bjson_part_error(t, name, err);
}

/* ---- errors ---- */

static const char *const code_names[] = {
	[PGM_ERR_NOMEM] = "nomem",
	[PGM_ERR_OS] = "os",
	[PGM_ERR_FORMAT] = "format",
	[PGM_ERR_NOT_CAPTURED] = "not_captured",
	[PGM_ERR_FAULT] = "fault",
	[PGM_ERR_LOOKUP] = "lookup",
	[PGM_ERR_DWARF] = "dwarf",
	[PGM_ERR_NO_DEBUGINFO] = "no_debuginfo",
	[PGM_ERR_OPTIMIZED_OUT] = "optimized_out",
	[PGM_ERR_UNSUPPORTED] = "unsupported",
	[PGM_ERR_LIMIT] = "limit",
	[PGM_ERR_USAGE] = "usage",
	[PGM_ERR_PERMISSION] = "permission",
};
#define N_CODES (sizeof(code_names) / sizeof(code_names[0]))

json_object *pgm_bjson_error(const struct pgm_error *err)
{
	json_object *o = json_object_new_object();
	const char *code = (size_t)err->code < N_CODES && code_names[err->code] ? code_names[err->code] : "format";
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(err->message));
	if (pgm_error_is_read_failure(err)) {
		json_object_object_add(o, "address", pgm_bjson_hex(err->address));
		json_object_object_add(o, "mapping", pgm_bjson_str(err->mapping));
		json_object_object_add(o, "map_start", pgm_bjson_hex(err->map_start));
	}
	return o;
}

static struct pgm_error *get_code(json_object *o, enum pgm_error_code *ret)
{
	json_object *v;
	if (!get(o, "code", json_type_string, &v))
		return bad("code");
	for (size_t i = 1; i < N_CODES; i++)
		if (code_names[i] && strcmp(code_names[i], json_object_get_string(v)) == 0 && i != PGM_ERR_NOMEM) {
			*ret = (enum pgm_error_code)i;
			return NULL;
		}
	return bad("code");
}

struct pgm_error *pgm_bjson_get_error(json_object *o, struct pgm_error **ret)
{
	enum pgm_error_code code = PGM_ERR_FORMAT;
	char *message = NULL;
	struct pgm_error *err;
	if (!json_object_is_type(o, json_type_object))
		return bad("error");
	if ((err = get_code(o, &code)) || (err = pgm_bjson_get_str(o, "message", &message)))
		return err;
	if (!message)
		return bad("message");
	struct pgm_error *e = pgm_error_create(code, "%s", message);
	free(message);
	if (e == &pgm_enomem)
		return e;
	if (pgm_error_is_read_failure(e) &&
	    ((err = pgm_bjson_get_hex(o, "address", &e->address)) ||
	     (err = pgm_bjson_get_hex(o, "map_start", &e->map_start)) ||
	     (err = pgm_bjson_get_str(o, "mapping", &e->mapping)))) {
		pgm_error_destroy(e);
		return err;
	}
	*ret = e;
	return NULL;
}
