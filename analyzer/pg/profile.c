/*
 * Making a layout profile (pg/profile.h) from DWARF builds of one major
 * version: layout.def resolved from each build's DWARF, and for each
 * global how a build without debuginfo finds it, judged from where the
 * build itself placed it (exported, constant data, private memory).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/layout_json.h"
#include "pg/profile.h"
#include "pg/profile_exe.h"
#include "util/text.h"

/* One build's contribution: the profile body and what it was made from. */
struct made {
	json_object *body;       /* everything but the header and made_from */
	char *version;
	int version_num;
	char *build_id;
	size_t n_export, n_constant, n_private;
};

static void made_deinit(struct made *m)
{
	json_object_put(m->body);
	free(m->version);
	free(m->build_id);
}

static json_object *global_base(const char *find, const struct pgm_pg_global *g)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "find", json_object_new_string(find));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)g->size));
	json_object_object_add(o, "elements", json_object_new_int64((int64_t)g->elements));
	return o;
}

/* The global's slots as strings, if each is NULL or points to a string; NULL otherwise. */
static json_object *strings_of(struct pgm_elf_file *f, uint64_t vaddr, uint64_t size)
{
	json_object *a = json_object_new_array();
	for (uint64_t off = 0; size % 8 == 0 && off < size; off += 8) {
		uint64_t ptr;
		const char *s = NULL;
		struct pgm_error *err = pgm_elf_file_pointer(f, vaddr + off, &ptr);
		if (!err && ptr)
			err = pgm_elf_file_string(f, ptr, PGM_PG_JSON_MAX_NAME, &s);
		bool unusable = err || (ptr && !pgm_text_is_clean(s));
		pgm_error_destroy(err);
		if (unusable) {
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, s ? json_object_new_string(s) : NULL);
	}
	bool any = false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		any |= json_object_array_get_idx(a, i) != NULL;
	if (!any || size % 8) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* How a build without debuginfo finds global g, which this build placed at vaddr. */
static json_object *global_entry(struct pgm_elf_file *f, const struct pgm_pg_exports *x,
				 enum pgm_pg_global_id g, const struct pgm_pg_global *gl, uint64_t vaddr,
				 struct made *m)
{
	const uint8_t *bytes;
	const char *section;
	size_t len;
	json_object *o, *strings;
	if (x->found[g] && x->vaddr[g] == vaddr) {
		m->n_export++;
		return global_base("export", gl);
	}
	struct pgm_error *err = pgm_elf_file_bytes(f, vaddr, &bytes, &len, &section);
	bool in_file = !err;   /* else in .bss: zeroed writable memory */
	pgm_error_destroy(err);
	if (in_file && strcmp(section, ".data.rel.ro") == 0 && (strings = strings_of(f, vaddr, gl->size))) {
		o = global_base("strings", gl);
		json_object_object_add(o, "strings", strings);
		m->n_constant++;
		return o;
	}
	bool constant = in_file && len >= gl->size && gl->size && gl->size <= PGM_PG_PROFILE_MAX_CONTENT &&
			strncmp(section, ".rodata", 7) == 0;
	if (!constant) {
		m->n_private++;
		return global_base("private", gl);
	}
	char *hex = pgm_hex_dup(bytes, gl->size);
	if (!hex)
		return NULL;
	o = global_base("bytes", gl);
	json_object_object_add(o, "bytes", json_object_new_string(hex));
	free(hex);
	m->n_constant++;
	return o;
}

static json_object *globals_json(struct pgm_elf_file *f, const struct pgm_pg_layout *l, uint64_t bias,
				 const struct pgm_pg_exports *x, struct made *m)
{
	json_object *globals = json_object_new_object();
	for (size_t g = 0; globals && g < PGM_G_COUNT; g++) {
		const struct pgm_pg_global *gl = &l->globals[g];
		json_object *o = gl->found ? global_entry(f, x, g, gl, gl->address - bias, m) : NULL;
		if (gl->found && !o) {
			json_object_put(globals);
			return NULL;
		}
		json_object_object_add(globals, pgm_pg_global_name(g), o);
	}
	return globals;
}

static json_object *lwlock_bits_json(int version_num)
{
	struct pgm_pg_lwlock_bits b;
	if (!pgm_pg_lwlock_bits_for(version_num, &b))
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "has_waiters", json_object_new_int64(b.has_waiters));
	json_object_object_add(o, "locked", json_object_new_int64(b.locked));
	json_object_object_add(o, "exclusive", json_object_new_int64(b.exclusive));
	json_object_object_add(o, "shared_mask", json_object_new_int64(b.shared_mask));
	return o;
}

static struct pgm_error *make_body(struct pgm_elf_file *f, const struct pgm_pg_layout *l, uint64_t bias,
				   struct made *m)
{
	struct pgm_pg_exports x;
	json_object *globals;
	struct pgm_error *err = pgm_pg_exe_exports(f, &x);
	if (err)
		return err;
	if (!(m->body = json_object_new_object()))
		return &pgm_enomem;
	json_object_object_add(m->body, "lwlock_bits", lwlock_bits_json(m->version_num));
	if ((err = pgm_pg_json_add_structs(m->body, l)))
		return err;
	if (!(globals = globals_json(f, l, bias, &x, m)))
		return &pgm_enomem;
	json_object_object_add(m->body, "globals", globals);
	return pgm_pg_json_add_enums(m->body, l, true);
}

static struct pgm_error *make_one(const char *exe, const char *const *debug_dirs, size_t n_dirs, struct made *m)
{
	struct pgm_elf_file *f;
	struct pgm_pg_layout *l = NULL;
	const char *id;
	uint64_t lo, hi, bias;
	struct pgm_error *err = pgm_elf_file_open(exe, &f);
	if (err)
		return err;
	if (!(err = pgm_elf_file_identity(f, &id, &lo, &hi)) && !(m->build_id = strdup(id)))
		err = &pgm_enomem;
	if (!err && (err = pgm_pg_exe_version(f, &m->version, &m->version_num)))
		err = pgm_error_wrap(err, "%s", exe);
	if (!err)
		err = pgm_pg_layout_of_file(f, exe, debug_dirs, n_dirs, lo, hi, &l, &bias);
	if (!err)
		err = make_body(f, l, bias, m);
	pgm_pg_layout_destroy(l);
	pgm_elf_file_close(f);
	return err;
}

/* "members.PGPROC.pid": the first entry where two bodies differ. */
static void first_difference(json_object *a, json_object *b, char *buf, size_t len)
{
	snprintf(buf, len, "%s", "the profiles");
	json_object_object_foreach(a, key, va) {
		json_object *vb = NULL;
		json_object_object_get_ex(b, key, &vb);
		if (json_object_equal(va, vb))
			continue;
		snprintf(buf, len, "%s", key);
		if (!json_object_is_type(va, json_type_object) || !json_object_is_type(vb, json_type_object))
			return;
		json_object_object_foreach(va, sub, sa) {
			json_object *sb = NULL;
			json_object_object_get_ex(vb, sub, &sb);
			if (!json_object_equal(sa, sb)) {
				snprintf(buf, len, "%s.%s", key, sub);
				return;
			}
		}
		return;
	}
}

static struct pgm_error *check_same(const char *const *exes, const struct made *m, size_t i)
{
	char where[512];
	if (m[i].version_num / 10000 != m[0].version_num / 10000)
		return pgm_error_create(PGM_ERR_USAGE, "%s is PostgreSQL %s, %s is %s: a profile is for one "
					"major version", exes[i], m[i].version, exes[0], m[0].version);
	if (json_object_equal(m[i].body, m[0].body))
		return NULL;
	first_difference(m[0].body, m[i].body, where, sizeof(where));
	return pgm_error_create(PGM_ERR_FORMAT, "%s (%s) and %s (%s) differ in %s: one profile cannot "
				"describe both", exes[0], m[0].version, exes[i], m[i].version, where);
}

static json_object *made_from_json(const struct made *m, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "version", json_object_new_string(m[i].version));
		json_object_object_add(o, "version_num", json_object_new_int(m[i].version_num));
		json_object_object_add(o, "build_id", json_object_new_string(m[i].build_id));
		json_object_array_add(a, o);
	}
	return a;
}

static struct pgm_error *compose(const struct made *m, size_t n, char **json, char **summary)
{
	json_object *root = json_object_new_object();
	if (!root)
		return &pgm_enomem;
	json_object_object_add(root, "format", json_object_new_string(PGM_PG_PROFILE_FORMAT));
	json_object_object_add(root, "version", json_object_new_int(PGM_PG_PROFILE_VERSION));
	json_object_object_add(root, "arch", json_object_new_string("x86_64"));
	json_object_object_add(root, "major", json_object_new_int(m[0].version_num / 10000));
	json_object_object_add(root, "made_from", made_from_json(m, n));
	json_object_object_foreach(m[0].body, key, val)
		json_object_object_add(root, key, json_object_get(val));
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	*json = s ? strdup(s) : NULL;
	json_object_put(root);
	if (!*json || asprintf(summary, "PostgreSQL %d profile made from %s%s: %zu globals exported, %zu "
			       "constant, %zu private", m[0].version_num / 10000, m[0].version,
			       n > 1 ? " and more" : "", m[0].n_export, m[0].n_constant, m[0].n_private) < 0) {
		free(*json);
		return &pgm_enomem;
	}
	return NULL;
}

struct pgm_error *pgm_pg_profile_make(const char *const *exes, size_t n_exes,
				      const char *const *debug_dirs, size_t n_debug_dirs,
				      char **json, char **summary)
{
	struct made *m = calloc(n_exes ? n_exes : 1, sizeof(*m));
	struct pgm_error *err = m ? NULL : &pgm_enomem;
	if (!err && n_exes == 0)
		err = pgm_error_create(PGM_ERR_USAGE, "no executable to make a profile from");
	for (size_t i = 0; !err && i < n_exes; i++)
		if (!(err = make_one(exes[i], debug_dirs, n_debug_dirs, &m[i])) && i > 0)
			err = check_same(exes, m, i);
	if (!err)
		err = compose(m, n_exes, json, summary);
	for (size_t i = 0; m && i < n_exes; i++)
		made_deinit(&m[i]);
	free(m);
	return err;
}
