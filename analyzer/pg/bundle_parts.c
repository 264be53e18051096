/* The pg layer's bundle parts: the layout and the frame variables (pg/bundle_parts.h). */
#include <stdlib.h>
#include <string.h>

#include "debuginfo/elf_file.h"
#include "pg/bundle_parts.h"
#include "pgmortem/bundle_file.h"
#include "target/bundle_json.h"
#include "util/text.h"

#define MAX_VARS 65536
#define MAX_NAME 256

/* ---- the layout ---- */

static char *main_build_id(struct pgm_program *prog)
{
	const struct pgm_module *main = pgm_program_main_module(prog);
	return main ? pgm_hex_dup(main->build_id, main->build_id_len) : strdup("");
}

struct pgm_error *pgm_pg_bundle_encode_layout(struct pgm_program *prog, char **ret)
{
	const struct pgm_pg_layout *l;
	struct pgm_error *err = pgm_pg_program_layout(prog, &l);
	if (err)
		return err;
	char *build_id = main_build_id(prog);
	if (!build_id)
		return &pgm_enomem;
	err = pgm_pg_layout_to_json(l, build_id, 0, ret);
	free(build_id);
	return err;
}

/* The name of entry i of section s (structs, members, globals, enums). */
static const char *entry_name(size_t s, size_t i)
{
	switch (s) {
	case 0: return pgm_pg_struct_name((enum pgm_pg_struct_id)i);
	case 1: return pgm_pg_member_path((enum pgm_pg_member_id)i);
	case 2: return pgm_pg_global_name((enum pgm_pg_global_id)i);
	default: return pgm_pg_enum_type_name((enum pgm_pg_enum_id)i);
	}
}

/* Every entry of layout.def the text lacks, as null ("not found"). */
static void add_missing(json_object *root)
{
	static const char *const sections[] = { "structs", "members", "globals", "enums" };
	static const size_t counts[] = { PGM_S_COUNT, PGM_M_COUNT, PGM_G_COUNT, PGM_E_COUNT };
	for (size_t s = 0; s < 4; s++) {
		json_object *sec;
		if (!json_object_object_get_ex(root, sections[s], &sec) || !json_object_is_type(sec, json_type_object))
			continue;   /* pgm_pg_layout_from_json says so */
		for (size_t i = 0; i < counts[s]; i++)
			if (!json_object_object_get_ex(sec, entry_name(s, i), NULL))
				json_object_object_add(sec, entry_name(s, i), NULL);
	}
}

/*
 * The layout part is the layout cache's format, read by its validating
 * reader once what is particular to a cache is set aside: it may come from
 * another pgmortem build (the producer), an older layout.def (missing
 * entries), or a build without DWARF (has_debuginfo false, nothing found).
 */
static struct pgm_error *layout_from_part(json_object *root, const char *build_id, struct pgm_pg_layout **ret)
{
	json_object *v;
	bool dwarf = true;
	if (json_object_object_get_ex(root, "has_debuginfo", &v) && json_object_is_type(v, json_type_boolean))
		dwarf = json_object_get_boolean(v);
	if (!json_object_object_get_ex(root, "format", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "pgmortem-layout") != 0)
		return pgm_error_create(PGM_ERR_FORMAT, "not a pgmortem layout");
	if (!dwarf)
		return (*ret = pgm_pg_layout_create_empty()) ? NULL : &pgm_enomem;
	char *text;
	json_object_object_add(root, "producer", json_object_new_string(pgm_self_build_id()));
	add_missing(root);
	struct pgm_error *err = pgm_bjson_finish(json_object_get(root), &text);
	if (!err)
		err = pgm_pg_layout_from_json(text, strlen(text), build_id, 0, 0, UINT64_MAX, ret);
	free(text);
	return err;
}

struct pgm_error *pgm_pg_bundle_layout(struct pgm_program *prog, struct pgm_pg_layout **ret)
{
	json_object *root;
	struct pgm_target *t = pgm_program_target(prog);
	struct pgm_error *err = pgm_bjson_part(t, "layout", json_type_object, &root);
	if (err)
		return err;
	char *build_id = main_build_id(prog);
	err = build_id ? layout_from_part(root, build_id, ret) : &pgm_enomem;
	free(build_id);
	json_object_put(root);
	return pgm_bjson_part_error(t, "layout", err);
}

/* ---- frame variables ---- */

struct frame_var {
	int32_t tid;
	size_t frame;
	char *name;
	uint64_t value;
	struct pgm_error *err;   /* NULL: value is the answer */
};

struct pgm_frame_vars {
	struct frame_var *v;
	size_t n, cap;
};

void pgm_frame_vars_destroy(void *p)
{
	struct pgm_frame_vars *vars = p;
	if (!vars)
		return;
	for (size_t i = 0; i < vars->n; i++) {
		free(vars->v[i].name);
		pgm_error_destroy(vars->v[i].err);
	}
	free(vars->v);
	free(vars);
}

static const struct frame_var *find(const struct pgm_frame_vars *vars, int32_t tid, size_t frame, const char *name)
{
	for (size_t i = 0; vars && i < vars->n; i++)
		if (vars->v[i].tid == tid && vars->v[i].frame == frame && strcmp(vars->v[i].name, name) == 0)
			return &vars->v[i];
	return NULL;
}

static struct pgm_error *append(struct pgm_frame_vars *vars, struct frame_var *v)
{
	if (vars->n == MAX_VARS)
		return pgm_error_create(PGM_ERR_LIMIT, "more than %d frame variables", MAX_VARS);
	if (vars->n == vars->cap) {
		size_t cap = vars->cap ? 2 * vars->cap : 8;
		struct frame_var *grown = realloc(vars->v, cap * sizeof(*grown));
		if (!grown)
			return &pgm_enomem;
		vars->v = grown;
		vars->cap = cap;
	}
	vars->v[vars->n++] = *v;
	return NULL;
}

struct pgm_frame_vars *pgm_frame_vars_create(void)
{
	return calloc(1, sizeof(struct pgm_frame_vars));
}

struct pgm_error *pgm_frame_vars_note(struct pgm_frame_vars *vars, int32_t tid, size_t frame,
				      const char *name, uint64_t value, const struct pgm_error *err)
{
	if (find(vars, tid, frame, name))
		return NULL;
	struct frame_var v = { tid, frame, strdup(name), value, err ? pgm_error_clone(err) : NULL };
	struct pgm_error *e2 = !v.name || v.err == &pgm_enomem ? &pgm_enomem : append(vars, &v);
	if (e2) {
		free(v.name);
		pgm_error_destroy(v.err);
	}
	return e2;
}

struct pgm_error *pgm_frame_vars_answer(const struct pgm_frame_vars *vars, int32_t tid, size_t frame,
					const char *name, uint64_t *ret)
{
	const struct frame_var *v = find(vars, tid, frame, name);
	if (!v)
		return pgm_error_create(PGM_ERR_LOOKUP, "%s of frame %zu of thread %d is not in this bundle",
					name, frame, (int)tid);
	if (v->err)
		return pgm_error_clone(v->err);
	*ret = v->value;
	return NULL;
}

struct pgm_error *pgm_frame_vars_encode(const struct pgm_frame_vars *vars, char **ret)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	for (size_t i = 0; vars && i < vars->n; i++) {
		const struct frame_var *v = &vars->v[i];
		json_object *e = json_object_new_object();
		json_object_object_add(e, "tid", json_object_new_int(v->tid));
		json_object_object_add(e, "frame", json_object_new_int64((int64_t)v->frame));
		json_object_object_add(e, "name", json_object_new_string(v->name));
		json_object_object_add(e, v->err ? "error" : "value", v->err ? pgm_bjson_error(v->err) : pgm_bjson_hex(v->value));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "vars", a);
	return pgm_bjson_finish(o, ret);
}

static struct pgm_error *load_var(json_object *o, struct frame_var *v)
{
	int64_t tid, frame;
	json_object *e;
	struct pgm_error *err;
	if (!json_object_is_type(o, json_type_object))
		return pgm_error_create(PGM_ERR_FORMAT, "bad variable");
	if ((err = pgm_bjson_get_int(o, "tid", 0, INT32_MAX, &tid)) ||
	    (err = pgm_bjson_get_int(o, "frame", 0, INT32_MAX, &frame)) || (err = pgm_bjson_get_str(o, "name", &v->name)))
		return err;
	if (!v->name || strlen(v->name) > MAX_NAME)
		return pgm_error_create(PGM_ERR_FORMAT, "bad \"name\"");
	v->tid = (int32_t)tid;
	v->frame = (size_t)frame;
	if (json_object_object_get_ex(o, "error", &e))
		return pgm_bjson_get_error(e, &v->err);
	return pgm_bjson_get_hex(o, "value", &v->value);
}

static struct pgm_error *load_vars(json_object *root, struct pgm_frame_vars *vars)
{
	json_object *a;
	size_t n;
	struct pgm_error *err = pgm_bjson_get_array(root, "vars", MAX_VARS, &a, &n);
	for (size_t i = 0; !err && i < n; i++) {
		struct frame_var v = { 0 };
		if ((err = load_var(json_object_array_get_idx(a, i), &v)) || (err = append(vars, &v))) {
			free(v.name);
			pgm_error_destroy(v.err);
		}
	}
	return err;
}

struct pgm_error *pgm_frame_vars_load(struct pgm_program *prog, struct pgm_frame_vars **ret)
{
	json_object *root;
	struct pgm_target *t = pgm_program_target(prog);
	struct pgm_error *err = pgm_bjson_part(t, "frame_vars", json_type_object, &root);
	if (err)
		return err;
	struct pgm_frame_vars *vars = pgm_frame_vars_create();
	err = vars ? load_vars(root, vars) : &pgm_enomem;
	json_object_put(root);
	if (err) {
		pgm_frame_vars_destroy(vars);
		return pgm_bjson_part_error(t, "frame_vars", err);
	}
	*ret = vars;
	return NULL;
}
