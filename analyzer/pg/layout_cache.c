/*
 * The layout cache: resolved layouts on disk per build-id, so that many cores
 * of one build resolve layout.def from DWARF once.
 *
 * A cache file is untrusted input (another user's cache, a torn write, an
 * older pgmortem, a changed layout.def): every value is type- and
 * bounds-checked, every entry of the current table must be present, and any
 * problem makes the whole file ignored (and rewritten after resolving).
 *
 *   {"format": "pgmortem-layout", "version": 1, "build_id": "b770…",
 *    "producer": "<build-id of the pgmortem that wrote it>",
 *    "structs": {"PGPROC": {"size": 880}, "Missing": null, …},
 *    "members": {"PGPROC.pid": {"offset": 32, "size": 4}, …},
 *    "globals": {"MyProc": {"vaddr": 9930024, "size": 8, "elements": 0}, …},
 *    "enums":   {"BTPS_State": {"decl_file": "nbtree.c",
 *                               "items": [["BTPARALLEL_NOT_INITIALIZED", 0], …]}, …}}
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "debuginfo/elf_file.h"
#include "pg/layout.h"
#include "pg/layout_json.h"
#include "pgmortem/dwarf.h"
#include "util/file.h"
#include "util/text.h"

#define FORMAT_NAME "pgmortem-layout"
#define MAX_FILE_SIZE (8u << 20)
#define MAX_GLOBAL_SIZE (1u << 30)

/*
 * Which resolver wrote a file: the build-id of the running pgmortem, so that
 * a fix in the DWARF engine or in layout.def's meaning never meets layouts
 * an older build resolved.
 */
static const char *producer(void)
{
	return pgm_self_build_id();
}

/* ---- writing ---- */

static json_object *global_json(const struct pgm_pg_global *g, uint64_t bias)
{
	if (!g->found)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "vaddr", json_object_new_int64((int64_t)(g->address - bias)));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)g->size));
	json_object_object_add(o, "elements", json_object_new_int64((int64_t)g->elements));
	if (g->decl_file)
		json_object_object_add(o, "decl_file", json_object_new_string(g->decl_file));
	return o;
}


struct pgm_error *pgm_pg_layout_to_json(const struct pgm_pg_layout *l, const char *build_id,
					uint64_t bias, char **ret)
{
	json_object *root = json_object_new_object(), *globals = json_object_new_object();
	struct pgm_error *err = root && globals ? NULL : &pgm_enomem;
	if (err) {
		json_object_put(globals);
		goto out_put;
	}
	json_object_object_add(root, "format", json_object_new_string(FORMAT_NAME));
	json_object_object_add(root, "version", json_object_new_int(PGM_PG_LAYOUT_CACHE_VERSION));
	json_object_object_add(root, "build_id", json_object_new_string(build_id));
	json_object_object_add(root, "producer", json_object_new_string(producer()));
	json_object_object_add(root, "has_debuginfo", json_object_new_boolean(l->has_debuginfo));
	if ((err = pgm_pg_json_add_structs(root, l))) {
		json_object_put(globals);
		goto out_put;
	}
	for (size_t i = 0; i < PGM_G_COUNT; i++)
		json_object_object_add(globals, pgm_pg_global_name(i), global_json(&l->globals[i], bias));
	json_object_object_add(root, "globals", globals);
	if ((err = pgm_pg_json_add_enums(root, l, false)))
		goto out_put;
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || !(*ret = strdup(s)))
		err = &pgm_enomem;
out_put:
	json_object_put(root);
	return err;
}

/* ---- reading and validating ---- */

static struct pgm_error *load_globals(json_object *sec, struct pgm_pg_layout *l, uint64_t bias,
				      uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < PGM_G_COUNT; i++) {
		const char *name = pgm_pg_global_name(i);
		json_object *o;
		int64_t vaddr, size, elements;
		struct pgm_error *err = pgm_pg_json_entry(sec, name, NULL, &o);
		if (err)
			return err;
		if (!o)
			continue;
		if (!pgm_pg_json_int(o, "vaddr", 0, INT64_MAX, &vaddr) ||
		    !pgm_pg_json_int(o, "size", 0, MAX_GLOBAL_SIZE, &size) ||
		    !pgm_pg_json_int(o, "elements", 0, MAX_GLOBAL_SIZE, &elements))
			return pgm_pg_json_bad("global %s: bad vaddr, size or elements", name);
		uint64_t addr = (uint64_t)vaddr + bias;
		if (addr < lo || addr >= hi || (uint64_t)size > hi - addr)
			return pgm_pg_json_bad("global %s lies outside the executable", name);
		pgm_pg_layout_set_global(l, i, addr, (uint64_t)size);
		l->globals[i].elements = (uint64_t)elements;
		if ((err = pgm_pg_json_string(o, "decl_file", name, &l->globals[i].decl_file)))
			return err;
	}
	return NULL;
}

static struct pgm_error *check_header(json_object *root, const char *build_id)
{
	json_object *v;
	int64_t version;
	if (!json_object_is_type(root, json_type_object))
		return pgm_pg_json_bad("%s", "not a JSON object");
	if (!json_object_object_get_ex(root, "format", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), FORMAT_NAME) != 0)
		return pgm_pg_json_bad("%s", "not a pgmortem layout cache file");
	if (!pgm_pg_json_int(root, "version", 0, INT32_MAX, &version) || version != PGM_PG_LAYOUT_CACHE_VERSION)
		return pgm_pg_json_bad("%s", "unsupported cache format version");
	if (!json_object_object_get_ex(root, "build_id", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), build_id) != 0)
		return pgm_pg_json_bad("%s", "written for another build-id");
	if (!json_object_object_get_ex(root, "producer", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), producer()) != 0)
		return pgm_pg_json_bad("%s", "written by another pgmortem build");
	if (!json_object_object_get_ex(root, "has_debuginfo", &v) || !json_object_is_type(v, json_type_boolean) ||
	    !json_object_get_boolean(v))
		return pgm_pg_json_bad("%s", "has_debuginfo is not true");
	return NULL;
}

struct pgm_error *pgm_pg_layout_from_json(const char *text, size_t len, const char *build_id,
					  uint64_t bias, uint64_t lo, uint64_t hi,
					  struct pgm_pg_layout **ret)
{
	json_object *root, *g;
	struct pgm_error *err = pgm_pg_json_parse(text, len, MAX_FILE_SIZE, &root);
	if (err)
		return err;
	struct pgm_pg_layout *l = pgm_pg_layout_create_empty();
	err = l ? check_header(root, build_id) : &pgm_enomem;
	if (!err && !(err = pgm_pg_json_load_types(root, l, NULL)) &&
	    !(err = pgm_pg_json_section(root, "globals", &g)))
		err = load_globals(g, l, bias, lo, hi);
	json_object_put(root);
	if (err) {
		pgm_pg_layout_destroy(l);
		return err;
	}
	l->has_debuginfo = true;
	*ret = l;
	return NULL;
}

/* ---- files ---- */

static char *cache_path(const char *dir, const char *build_id)
{
	char *p;
	return asprintf(&p, "%s/%s.json", dir, build_id) < 0 ? NULL : p;
}

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	if (!p)
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return free(p), -1;
		*s = '/';
	}
	int rc = mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

/* Written to a temporary file in the same directory, then renamed over. */
static struct pgm_error *write_file(const char *dir, const char *path, const char *text)
{
	char *tmp;
	if (mkdir_p(dir) < 0)
		return pgm_error_errno(errno, "mkdir %s", dir);
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return &pgm_enomem;
	int fd = mkstemp(tmp);
	struct pgm_error *err = NULL;
	if (fd < 0)
		err = pgm_error_errno(errno, "mkstemp %s", tmp);
	else if (!pgm_write_all(fd, text, strlen(text)) || !pgm_write_all(fd, "\n", 1))
		err = pgm_error_errno(errno, "write %s", tmp);
	if (fd >= 0 && close(fd) < 0 && !err)
		err = pgm_error_errno(errno, "close %s", tmp);
	if (!err && rename(tmp, path) < 0)
		err = pgm_error_errno(errno, "rename %s", tmp);
	if (err && fd >= 0)
		unlink(tmp);
	free(tmp);
	return err;
}

/* Cacheable: resolved from DWARF, every global inside the executable. */
static bool cacheable(const struct pgm_pg_layout *l, const struct pgm_module *main, char **note)
{
	if (!l->has_debuginfo)
		return false;
	for (size_t i = 0; i < PGM_G_COUNT; i++) {
		const struct pgm_pg_global *g = &l->globals[i];
		if (g->found && (g->address < main->start || g->address >= main->end)) {
			if (note && asprintf(note, "not cached: %s lies outside the executable",
					     pgm_pg_global_name(i)) < 0)
				*note = NULL;
			return false;
		}
	}
	return true;
}

static void set_note(char **note, const char *prefix, const struct pgm_error *err)
{
	if (note && asprintf(note, "%s: %s", prefix, err->message) < 0)
		*note = NULL;
}

static struct pgm_error *load_cached(const char *path, const char *build_id,
				     const struct pgm_module *main, struct pgm_pg_layout **ret,
				     char **note)
{
	char *text = NULL;
	size_t len = 0;
	struct pgm_error *err = pgm_pg_json_read_file(path, MAX_FILE_SIZE, false, &text, &len);
	if (err) {
		if (err->code == PGM_ERR_OS && err->errnum == ENOENT)
			pgm_error_destroy(err), err = NULL;
		else if (err != &pgm_enomem)
			set_note(note, "layout cache ignored", err);
		return err;
	}
	err = pgm_pg_layout_from_json(text, len, build_id, main->bias, main->start, main->end, ret);
	free(text);
	if (err && err != &pgm_enomem) {
		if (note && asprintf(note, "layout cache %s ignored: %s", path, err->message) < 0)
			*note = NULL;
	}
	return err;
}

static struct pgm_error *resolve_and_store(struct pgm_program *prog, const char *dir,
					   const char *path, const char *build_id,
					   const struct pgm_module *main, struct pgm_pg_layout **ret,
					   enum pgm_pg_layout_cache_result *result, char **note)
{
	struct pgm_error *err = pgm_pg_layout_resolve_dwarf(prog, ret);
	if (err)
		return err;
	*result = PGM_LAYOUT_CACHE_UNCACHED;
	if (!cacheable(*ret, main, note && !*note ? note : NULL))
		return NULL;
	char *text;
	if ((err = pgm_pg_layout_to_json(*ret, build_id, main->bias, &text)))
		return pgm_pg_layout_destroy(*ret), err;
	err = write_file(dir, path, text);
	free(text);
	if (err) {
		if (note && !*note)
			set_note(note, "layout cache not written", err);
		pgm_error_destroy(err);
		return NULL;
	}
	*result = PGM_LAYOUT_CACHE_STORED;
	return NULL;
}

struct pgm_error *pgm_pg_layout_resolve_cached(struct pgm_program *prog, const char *dir,
					       struct pgm_pg_layout **ret,
					       enum pgm_pg_layout_cache_result *result, char **note)
{
	enum pgm_pg_layout_cache_result dummy;
	const struct pgm_module *main = pgm_program_main_module(prog);
	if (!result)
		result = &dummy;
	*ret = NULL;
	if (note)
		*note = NULL;
	*result = PGM_LAYOUT_CACHE_OFF;
	if (!dir || !main || !main->build_id_len)
		return pgm_pg_layout_resolve_dwarf(prog, ret);
	char *build_id = pgm_hex_dup(main->build_id, main->build_id_len), *path = build_id ? cache_path(dir, build_id) : NULL;
	struct pgm_error *err = path ? load_cached(path, build_id, main, ret, note) : &pgm_enomem;
	if (!err && *ret)
		*result = PGM_LAYOUT_CACHE_HIT;
	else if (err != &pgm_enomem)
		pgm_error_destroy(err), err = resolve_and_store(prog, dir, path, build_id, main, ret,
								 result, note);
	free(path);
	free(build_id);
	return err;
}

/* ---- priming from an executable alone ---- */

/*
 * libdwfl places a file reported offline at an address of its own choosing
 * (ET_DYN from 0x10000), so the offset between the addresses DWARF gave and
 * the file's is measured on the globals its symbol table also lists; they
 * must all agree.
 */
struct bias_search {
	const char *exe;
	const struct pgm_pg_layout *layout;
	uint64_t bias;
	bool have;
};

static struct pgm_error *check_symbol(void *arg, const char *name, uint64_t value)
{
	struct bias_search *b = arg;
	for (size_t g = 0; g < PGM_G_COUNT; g++) {
		const struct pgm_pg_global *gl = &b->layout->globals[g];
		if (!gl->found || strcmp(name, pgm_pg_global_name(g)) != 0)
			continue;
		if (b->have && gl->address - value != b->bias)
			return pgm_error_create(PGM_ERR_FORMAT, "%s: %s is at 0x%" PRIx64
				" in DWARF but 0x%" PRIx64 " in the symbol table", b->exe, name,
				gl->address - b->bias, value);
		b->bias = gl->address - value;
		b->have = true;
	}
	return NULL;
}

static struct pgm_error *offline_bias(struct pgm_elf_file *f, const char *exe, const struct pgm_pg_layout *l,
				      uint64_t *ret)
{
	struct bias_search b = { .exe = exe, .layout = l };
	struct pgm_error *err = pgm_elf_file_objects(f, check_symbol, &b);
	if (err)
		return err;
	if (!b.have)
		return pgm_error_create(PGM_ERR_LOOKUP, "%s: none of PostgreSQL's globals is in its symbol table", exe);
	*ret = b.bias;
	return NULL;
}

struct pgm_error *pgm_pg_layout_of_file(struct pgm_elf_file *e, const char *exe, const char *const *debug_dirs,
				       size_t n_dirs, uint64_t lo, uint64_t hi,
				       struct pgm_pg_layout **ret, uint64_t *bias)
{
	struct pgm_dwarf *dw;
	struct pgm_error *err = pgm_dwarf_open_file(exe, debug_dirs, n_dirs, &dw);
	if (err)
		return err;
	err = pgm_pg_layout_resolve_from(dw, ret);
	pgm_dwarf_destroy(dw);
	if (err)
		return err;
	bool any = false;
	for (size_t i = 0; i < PGM_S_COUNT; i++)
		any |= (*ret)->structs[i].found;
	if (!any)
		err = pgm_error_create(PGM_ERR_NO_DEBUGINFO,
			"%s: no DWARF describing PostgreSQL's structures (a debug build, or --debug-dir "
			"with its debuginfo, is needed)", exe);
	if (!err)
		err = offline_bias(e, exe, *ret, bias);
	for (size_t i = 0; !err && i < PGM_G_COUNT; i++) {
		const struct pgm_pg_global *g = &(*ret)->globals[i];
		if (g->found && (g->address - *bias < lo || g->address - *bias >= hi))
			err = pgm_error_create(PGM_ERR_LOOKUP, "%s: %s lies outside the executable",
					       exe, pgm_pg_global_name(i));
	}
	if (err) {
		pgm_pg_layout_destroy(*ret);
		*ret = NULL;
	}
	return err;
}

static struct pgm_error *prime(struct pgm_elf_file *e, const char *dir, const char *exe,
			       const char *const *debug_dirs, size_t n_debug_dirs, char **build_id)
{
	uint64_t lo = 0, hi = 0, bias = 0;
	struct pgm_pg_layout *l = NULL;
	const char *file_id = NULL;
	char *id = NULL, *text = NULL, *path = NULL;
	struct pgm_error *err = pgm_elf_file_identity(e, &file_id, &lo, &hi);
	if (!err && !(id = strdup(file_id)))
		err = &pgm_enomem;
	if (!err)
		err = pgm_pg_layout_of_file(e, exe, debug_dirs, n_debug_dirs, lo, hi, &l, &bias);
	if (!err)
		err = pgm_pg_layout_to_json(l, id, bias, &text);
	if (!err && !(path = cache_path(dir, id)))
		err = &pgm_enomem;
	if (!err)
		err = write_file(dir, path, text);
	pgm_pg_layout_destroy(l);
	free(text);
	free(path);
	if (err)
		free(id);
	else
		*build_id = id;
	return err;
}

struct pgm_error *pgm_pg_layout_cache_prime(const char *dir, const char *exe,
					    const char *const *debug_dirs, size_t n_debug_dirs,
					    char **build_id)
{
	struct pgm_elf_file *f;
	struct pgm_error *err = pgm_elf_file_open(exe, &f);
	if (err)
		return err;
	err = prime(f, dir, exe, debug_dirs, n_debug_dirs, build_id);
	pgm_elf_file_close(f);
	return err;
}

const char *pgm_pg_layout_cache_result_name(enum pgm_pg_layout_cache_result r)
{
	switch (r) {
	case PGM_LAYOUT_CACHE_OFF: return "off";
	case PGM_LAYOUT_CACHE_HIT: return "hit";
	case PGM_LAYOUT_CACHE_STORED: return "stored";
	case PGM_LAYOUT_CACHE_UNCACHED: return "uncached";
	}
	return "unknown";
}
