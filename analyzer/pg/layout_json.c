/* The JSON sections the layout cache and the profiles share (pg/layout_json.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pg/layout_json.h"

#define MAX_STRUCT_SIZE (1u << 24)
#define MAX_ENUMERATORS 65536

/* ---- writing ---- */

static json_object *struct_json(const struct pgm_pg_struct *s)
{
	if (!s->found)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "size", json_object_new_int64((int64_t)s->size));
	return o;
}

static json_object *member_json(const struct pgm_pg_member *m)
{
	if (!m->found)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)m->offset));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)m->size));
	return o;
}

static json_object *enum_json(const struct pgm_pg_enum *e, bool basenames)
{
	if (!e->found)
		return NULL;
	json_object *o = json_object_new_object(), *items = json_object_new_array();
	for (size_t i = 0; i < e->n; i++) {
		json_object *pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string(e->items[i].name));
		json_object_array_add(pair, json_object_new_int64(e->items[i].value));
		json_object_array_add(items, pair);
	}
	if (e->decl_file) {
		const char *slash = basenames ? strrchr(e->decl_file, '/') : NULL;
		json_object_object_add(o, "decl_file", json_object_new_string(slash ? slash + 1 : e->decl_file));
	}
	json_object_object_add(o, "items", items);
	return o;
}

struct pgm_error *pgm_pg_json_add_structs(json_object *root, const struct pgm_pg_layout *l)
{
	json_object *structs = json_object_new_object(), *members = json_object_new_object();
	if (!structs || !members) {
		json_object_put(structs);
		json_object_put(members);
		return &pgm_enomem;
	}
	for (size_t i = 0; i < PGM_S_COUNT; i++)
		json_object_object_add(structs, pgm_pg_struct_name(i), struct_json(&l->structs[i]));
	for (size_t i = 0; i < PGM_M_COUNT; i++)
		json_object_object_add(members, pgm_pg_member_path(i), member_json(&l->members[i]));
	json_object_object_add(root, "structs", structs);
	json_object_object_add(root, "members", members);
	return NULL;
}

struct pgm_error *pgm_pg_json_add_enums(json_object *root, const struct pgm_pg_layout *l, bool basenames)
{
	json_object *enums = json_object_new_object();
	if (!enums)
		return &pgm_enomem;
	for (size_t i = 0; i < PGM_E_COUNT; i++)
		json_object_object_add(enums, pgm_pg_enum_type_name(i), enum_json(&l->enums[i], basenames));
	json_object_object_add(root, "enums", enums);
	return NULL;
}

/* ---- reading and validating ---- */

struct pgm_error *pgm_pg_json_bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct pgm_error *err = pgm_error_vcreate(PGM_ERR_FORMAT, fmt, ap);
	va_end(ap);
	return err;
}

bool pgm_pg_json_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno || x < min || x > max)
		return false;
	*ret = x;
	return true;
}

struct pgm_error *pgm_pg_json_entry(json_object *sec, const char *name, size_t *absent, json_object **ret)
{
	json_object *v;
	*ret = NULL;
	if (!json_object_object_get_ex(sec, name, &v)) {
		if (!absent)
			return pgm_pg_json_bad("no entry for %s (written for another layout table)", name);
		(*absent)++;
		return NULL;
	}
	if (v && !json_object_is_type(v, json_type_object))
		return pgm_pg_json_bad("entry %s is not an object", name);
	*ret = v;
	return NULL;
}

struct pgm_error *pgm_pg_json_string(json_object *o, const char *key, const char *name, char **ret)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) > PGM_PG_JSON_MAX_NAME)
		return pgm_pg_json_bad("%s: bad %s", name, key);
	return (*ret = strdup(json_object_get_string(v))) ? NULL : &pgm_enomem;
}

static struct pgm_error *load_structs(json_object *sec, struct pgm_pg_layout *l, size_t *absent)
{
	for (size_t i = 0; i < PGM_S_COUNT; i++) {
		json_object *o;
		int64_t size;
		struct pgm_error *err = pgm_pg_json_entry(sec, pgm_pg_struct_name(i), absent, &o);
		if (err)
			return err;
		if (!o)
			continue;
		if (!pgm_pg_json_int(o, "size", 1, MAX_STRUCT_SIZE, &size))
			return pgm_pg_json_bad("struct %s: bad size", pgm_pg_struct_name(i));
		pgm_pg_layout_set_struct(l, i, (uint64_t)size);
	}
	return NULL;
}

static struct pgm_error *load_members(json_object *sec, struct pgm_pg_layout *l, size_t *absent)
{
	for (size_t i = 0; i < PGM_M_COUNT; i++) {
		const char *name = pgm_pg_member_path(i);
		const struct pgm_pg_struct *owner = &l->structs[pgm_pg_member_owner(i)];
		json_object *o;
		int64_t off, size;
		struct pgm_error *err = pgm_pg_json_entry(sec, name, absent, &o);
		if (err)
			return err;
		if (!o)
			continue;
		if (!owner->found)
			return pgm_pg_json_bad("member %s of a struct that was not found", name);
		if (!pgm_pg_json_int(o, "offset", 0, (int64_t)owner->size, &off) ||
		    !pgm_pg_json_int(o, "size", 0, (int64_t)owner->size - off, &size))
			return pgm_pg_json_bad("member %s: offset or size outside its struct", name);
		pgm_pg_layout_set_member(l, i, (uint64_t)off, (uint64_t)size);
	}
	return NULL;
}

static struct pgm_error *load_enumerators(json_object *items, enum pgm_pg_enum_id id,
					  struct pgm_pg_layout *l)
{
	const char *name = pgm_pg_enum_type_name(id);
	size_t n = json_object_array_length(items);
	if (n > MAX_ENUMERATORS)
		return pgm_pg_json_bad("enum %s: too many enumerators", name);
	for (size_t k = 0; k < n; k++) {
		json_object *pair = json_object_array_get_idx(items, k), *nm, *val;
		if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
		    !json_object_is_type(nm = json_object_array_get_idx(pair, 0), json_type_string) ||
		    !json_object_is_type(val = json_object_array_get_idx(pair, 1), json_type_int) ||
		    json_object_get_string_len(nm) == 0 || json_object_get_string_len(nm) > PGM_PG_JSON_MAX_NAME)
			return pgm_pg_json_bad("enum %s: bad enumerator", name);
		struct pgm_error *err = pgm_pg_layout_add_enumerator(l, id, json_object_get_string(nm),
								     json_object_get_int64(val));
		if (err)
			return err;
	}
	l->enums[id].found = true;
	return NULL;
}

static struct pgm_error *load_enums(json_object *sec, struct pgm_pg_layout *l, size_t *absent)
{
	for (size_t i = 0; i < PGM_E_COUNT; i++) {
		const char *name = pgm_pg_enum_type_name(i);
		json_object *o, *items;
		struct pgm_error *err = pgm_pg_json_entry(sec, name, absent, &o);
		if (err)
			return err;
		if (!o)
			continue;
		if (!json_object_object_get_ex(o, "items", &items) ||
		    !json_object_is_type(items, json_type_array))
			return pgm_pg_json_bad("enum %s: no items", name);
		if ((err = load_enumerators(items, i, l)) ||
		    (err = pgm_pg_json_string(o, "decl_file", name, &l->enums[i].decl_file)))
			return err;
	}
	return NULL;
}

struct pgm_error *pgm_pg_json_section(json_object *root, const char *key, json_object **ret)
{
	if (!json_object_object_get_ex(root, key, ret) || !json_object_is_type(*ret, json_type_object))
		return pgm_pg_json_bad("no \"%s\" object", key);
	return NULL;
}

struct pgm_error *pgm_pg_json_load_types(json_object *root, struct pgm_pg_layout *l, size_t *absent)
{
	json_object *s, *m, *e;
	struct pgm_error *err;
	if ((err = pgm_pg_json_section(root, "structs", &s)) || (err = pgm_pg_json_section(root, "members", &m)) ||
	    (err = pgm_pg_json_section(root, "enums", &e)) || (err = load_structs(s, l, absent)) ||
	    (err = load_members(m, l, absent)))
		return err;
	return load_enums(e, l, absent);
}

struct pgm_error *pgm_pg_json_parse(const char *text, size_t len, size_t max_len, json_object **ret)
{
	if (len > max_len || len > INT32_MAX)
		return pgm_pg_json_bad("%s", "file too large");
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return &pgm_enomem;
	json_object *root = json_tokener_parse_ex(tok, text, (int)len);
	bool complete = root && json_tokener_get_error(tok) == json_tokener_success &&
			json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!complete) {
		json_object_put(root);
		return pgm_pg_json_bad("%s", "not valid JSON (truncated or corrupt)");
	}
	*ret = root;
	return NULL;
}

struct pgm_error *pgm_pg_json_read_file(const char *path, size_t max_len, bool follow, char **ret, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return pgm_error_errno(errno, "open %s", path);
	struct stat st;
	struct pgm_error *err = NULL;
	char *buf = NULL;
	if (fstat(fd, &st) < 0)
		err = pgm_error_errno(errno, "fstat %s", path);
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max_len)
		err = pgm_error_create(PGM_ERR_FORMAT, "%s: not a regular file of at most %zu bytes", path, max_len);
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		err = &pgm_enomem;
	size_t got = 0;
	while (!err && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? pgm_error_errno(errno, "read %s", path)
				    : pgm_error_create(PGM_ERR_FORMAT, "%s: shorter than its size", path);
		else
			got += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[got] = '\0';
	*ret = buf;
	*len = got;
	return NULL;
}
