/*
 * Loading the layout profile of a stripped executable's major version
 * (pg/profile.h): find the profile, check it against the executable, and
 * place its globals: exports from .dynsym, constants by their contents.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pg/layout_json.h"
#include "pg/profile.h"
#include "pg/profile_dirs.h"
#include "pg/profile_exe.h"

#define MAX_CANDIDATES 32

/* The executable a profile is loaded for. */
struct exe {
	struct pgm_elf_file *f;
	const char *path;
	uint64_t bias;
	char *version;
	int version_num;
	struct pgm_pg_exports exports;
	size_t n_export, n_constant;
};

/* ---- where profiles are ---- */

static struct pgm_error *add_candidate(char **v, size_t *n, const char *entry, int major)
{
	struct stat st;
	char *path = NULL;
	if (*n >= MAX_CANDIDATES || stat(entry, &st) < 0)
		return NULL;
	if (S_ISREG(st.st_mode))
		path = strdup(entry);
	else if (!S_ISDIR(st.st_mode) || asprintf(&path, "%s/postgresql-%d.json", entry, major) < 0)
		return NULL;
	if (!path)
		return &pgm_enomem;
	/* the report names it: "/usr/share/…", not "/usr/bin/../share/…" */
	char *real = realpath(path, NULL);
	free(path);
	if (real && (stat(real, &st) < 0 || !S_ISREG(st.st_mode)))
		free(real), real = NULL;
	if (real)
		v[(*n)++] = real;
	return NULL;
}

/* share/pgmortem/profiles beside the running executable's bin/ (an install, wherever it went). */
static char *beside_self(void)
{
	char self[PATH_MAX], *dir = NULL;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return NULL;
	self[len] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	return asprintf(&dir, "%s/../share/pgmortem/profiles", self) < 0 ? NULL : dir;
}

static char *xdg_profiles(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	if (xdg && *xdg == '/')
		return asprintf(&dir, "%s/pgmortem/profiles", xdg) < 0 ? NULL : dir;
	if (home && *home)
		return asprintf(&dir, "%s/.local/share/pgmortem/profiles", home) < 0 ? NULL : dir;
	return NULL;
}

/* The profile files for `major`, in the order of pg/profile.h; the caller frees them. */
static struct pgm_error *candidates(int major, char **v, size_t *n)
{
	struct pgm_error *err = NULL;
	*n = 0;
	const char *env = getenv(PGM_PG_PROFILE_PATH_ENV);
	char *path = env ? strdup(env) : NULL, *save = NULL;
	for (char *e = path ? strtok_r(path, ":", &save) : NULL; !err && e; e = strtok_r(NULL, ":", &save))
		err = add_candidate(v, n, e, major);
	free(path);
	char *dirs[] = { xdg_profiles(), beside_self() };
	for (size_t i = 0; i < 2; i++) {
		if (!err && dirs[i])
			err = add_candidate(v, n, dirs[i], major);
		free(dirs[i]);
	}
	if (!err)
		err = add_candidate(v, n, PGM_PROFILE_DATADIR, major);
	if (!err)
		err = add_candidate(v, n, PGM_PROFILE_SOURCEDIR, major);
	return err;
}

/* ---- checking and placing ---- */

static struct pgm_error *check_header(json_object *root, const struct exe *x)
{
	json_object *v;
	int64_t version, major;
	if (!json_object_is_type(root, json_type_object) || !json_object_object_get_ex(root, "format", &v) ||
	    !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), PGM_PG_PROFILE_FORMAT))
		return pgm_pg_json_bad("%s", "not a pgmortem layout profile");
	if (!pgm_pg_json_int(root, "version", 0, INT32_MAX, &version) || version != PGM_PG_PROFILE_VERSION)
		return pgm_pg_json_bad("unsupported profile format version %" PRId64, version);
	if (!json_object_object_get_ex(root, "arch", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "x86_64"))
		return pgm_pg_json_bad("%s", "not a profile for x86_64");
	if (!pgm_pg_json_int(root, "major", 10, 99, &major))
		return pgm_pg_json_bad("%s", "no major version");
	if (major != x->version_num / 10000)
		return pgm_pg_json_bad("a profile of PostgreSQL %" PRId64 ", and %s is %s", major, x->path, x->version);
	return NULL;
}

/* "15.14, 15.18": the versions of made_from. */
static struct pgm_error *made_from(json_object *root, char **ret)
{
	json_object *a, *v;
	char buf[512] = "";
	if (!json_object_object_get_ex(root, "made_from", &a) || !json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) == 0)
		return pgm_pg_json_bad("%s", "no made_from list");
	for (size_t i = 0; i < json_object_array_length(a) && i < 16; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "version", &v) ||
		    !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) > 64)
			return pgm_pg_json_bad("%s", "a bad made_from entry");
		size_t used = strlen(buf);
		snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : "", json_object_get_string(v));
	}
	return (*ret = strdup(buf)) ? NULL : &pgm_enomem;
}

static struct pgm_error *load_bits(json_object *root, struct pgm_pg_layout *l)
{
	json_object *o;
	int64_t v[4];
	if (!json_object_object_get_ex(root, "lwlock_bits", &o) || !o)
		return NULL;
	if (!json_object_is_type(o, json_type_object) ||
	    !pgm_pg_json_int(o, "has_waiters", 1, UINT32_MAX, &v[0]) ||
	    !pgm_pg_json_int(o, "locked", 1, UINT32_MAX, &v[1]) ||
	    !pgm_pg_json_int(o, "exclusive", 1, UINT32_MAX, &v[2]) ||
	    !pgm_pg_json_int(o, "shared_mask", 1, UINT32_MAX, &v[3]))
		return pgm_pg_json_bad("%s", "bad lwlock_bits");
	l->lwlock_bits = (struct pgm_pg_lwlock_bits){ (uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3] };
	l->has_lwlock_bits = true;
	return NULL;
}

static struct pgm_error *set_reason(struct pgm_pg_global *gl, const char *reason)
{
	return (gl->unknown_reason = strdup(reason)) ? NULL : &pgm_enomem;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The constant's address from its recorded contents; *found false if the executable lacks them. */
static struct pgm_error *find_constant(struct exe *x, json_object *o, const char *find, uint64_t size,
				       uint64_t *vaddr, bool *found)
{
	json_object *v;
	struct pgm_error *err = NULL;
	bool strings = strcmp(find, "strings") == 0;
	if (!json_object_object_get_ex(o, strings ? "strings" : "bytes", &v) ||
	    !json_object_is_type(v, strings ? json_type_array : json_type_string))
		return pgm_pg_json_bad("a %s constant without its contents", find);
	size_t n = strings ? json_object_array_length(v) : (size_t)json_object_get_string_len(v) / 2;
	if (n == 0 || (!strings && json_object_get_string_len(v) % 2) || (strings ? n * 8 : n) != size || size > PGM_PG_PROFILE_MAX_CONTENT)
		return pgm_pg_json_bad("a %s constant whose contents are not its size", find);
	void *buf = calloc(n, strings ? sizeof(char *) : 1);
	if (!buf)
		return &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++) {
		if (strings) {
			json_object *s = json_object_array_get_idx(v, i);
			if (s && !json_object_is_type(s, json_type_string))
				err = pgm_pg_json_bad("%s", "a strings constant with a non-string");
			((const char **)buf)[i] = s ? json_object_get_string(s) : NULL;
			continue;
		}
		const char *hex = json_object_get_string(v);
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			err = pgm_pg_json_bad("%s", "a bytes constant that is not hex");
		((uint8_t *)buf)[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!err)
		err = strings ? pgm_pg_exe_find_strings(x->f, buf, n, vaddr) : pgm_pg_exe_find_bytes(x->f, buf, n, vaddr);
	free(buf);
	*found = !err;
	if (err && err->code == PGM_ERR_LOOKUP)
		pgm_error_destroy(err), err = NULL;
	return err;
}

/* Places one global; *refused (owned by the caller) when the profile does not fit the executable. */
static struct pgm_error *place_global(struct exe *x, json_object *o, enum pgm_pg_global_id g,
				      struct pgm_pg_layout *l, char **refused)
{
	struct pgm_pg_global *gl = &l->globals[g];
	const char *name = pgm_pg_global_name(g);
	json_object *fv;
	int64_t size, elements;
	if (!json_object_object_get_ex(o, "find", &fv) || !json_object_is_type(fv, json_type_string) ||
	    !pgm_pg_json_int(o, "size", 0, PGM_PG_PROFILE_MAX_SIZE, &size) ||
	    !pgm_pg_json_int(o, "elements", 0, PGM_PG_PROFILE_MAX_SIZE, &elements))
		return pgm_pg_json_bad("global %s: bad find, size or elements", name);
	const char *find = json_object_get_string(fv);
	uint64_t vaddr = 0;
	bool found = false;
	struct pgm_error *err = NULL;
	if (strcmp(find, "export") == 0) {
		if (!x->exports.found[g] || x->exports.size[g] != (uint64_t)size)
			return asprintf(refused, "%s is a %" PRId64 "-byte export in the profile but %s in the "
					"executable's .dynsym", name, size, x->exports.found[g] ? "of another size"
					: "absent") < 0 ? &pgm_enomem : NULL;
		vaddr = x->exports.vaddr[g];
		found = true;
		x->n_export++;
	} else if (strcmp(find, "strings") == 0 || strcmp(find, "bytes") == 0) {
		if ((err = find_constant(x, o, find, (uint64_t)size, &vaddr, &found)))
			return err;
		x->n_constant += found;
		if (!found)
			return set_reason(gl, "its contents, as the profile records them, are not in this executable");
	} else if (strcmp(find, "private") == 0) {
		return set_reason(gl, "a file-static in the process's private memory, which a build without "
			"debuginfo does not locate (install its -dbgsym package, or pass --debug-dir)");
	} else {
		return pgm_pg_json_bad("global %s: unknown find \"%s\"", name, find);
	}
	pgm_pg_layout_set_global(l, g, vaddr + x->bias, (uint64_t)size);
	gl->elements = (uint64_t)elements;
	return NULL;
}

static struct pgm_error *place_globals(struct exe *x, json_object *root, struct pgm_pg_layout *l,
				       size_t *absent, char **refused)
{
	json_object *sec, *o;
	struct pgm_error *err = pgm_pg_json_section(root, "globals", &sec);
	for (size_t g = 0; !err && !*refused && g < PGM_G_COUNT; g++) {
		size_t before = *absent;
		if ((err = pgm_pg_json_entry(sec, pgm_pg_global_name(g), absent, &o)))
			break;
		if (*absent > before)
			err = set_reason(&l->globals[g], "the profile was made by an older pgmortem, before it "
					 "read this variable (remake it with 'pgmortem profile')");
		else if (o)
			err = place_global(x, o, g, l, refused);
	}
	return err;
}

/* ---- loading ---- */

static struct pgm_error *load_file(struct exe *x, const char *path, struct pgm_pg_layout **ret, char **refused)
{
	char *text = NULL;
	size_t len, absent = 0;
	json_object *root = NULL;
	struct pgm_pg_layout *l = NULL;
	struct pgm_error *err = pgm_pg_json_read_file(path, PGM_PG_PROFILE_MAX_SIZE, true, &text, &len);
	if (!err)
		err = pgm_pg_json_parse(text, len, PGM_PG_PROFILE_MAX_SIZE, &root);
	free(text);
	if (!err && !(l = pgm_pg_layout_create_empty()))
		err = &pgm_enomem;
	if (!err && !(err = check_header(root, x)) && !(err = made_from(root, &l->made_from)) &&
	    !(err = load_bits(root, l)) && !(err = pgm_pg_json_load_types(root, l, &absent)))
		err = place_globals(x, root, l, &absent, refused);
	json_object_put(root);
	if (!err && !*refused && (!(l->profile = strdup(path)) || !(l->version = strdup(x->version))))
		err = &pgm_enomem;
	if (err || *refused) {
		pgm_pg_layout_destroy(l);
		return err;
	}
	l->version_num = x->version_num;
	l->has_debuginfo = true;
	*ret = l;
	return NULL;
}

/* The first candidate that loads; *note says why none did. */
static struct pgm_error *load_first(struct exe *x, struct pgm_pg_layout **ret, char **checked, char **note)
{
	char *v[MAX_CANDIDATES], *refused = NULL;
	size_t n;
	struct pgm_error *err = candidates(x->version_num / 10000, v, &n);
	for (size_t i = 0; !err && !*ret && i < n; i++) {
		x->n_export = x->n_constant = 0;
		err = load_file(x, v[i], ret, &refused);
		if (err && err != &pgm_enomem) {
			free(*note);
			*note = NULL;
			if (asprintf(note, "profile %s not used: %s", v[i], err->message) < 0)
				*note = NULL;
			pgm_error_destroy(err), err = NULL;
		} else if (refused) {
			free(*note);
			if (asprintf(note, "profile %s does not fit %s: %s", v[i], x->path, refused) < 0)
				*note = NULL;
			free(refused), refused = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	if (!err && *ret && asprintf(checked, "the executable states PostgreSQL %s, the profile's major; %zu "
				     "exports where its .dynsym has them, of the profile's sizes; %zu constants "
				     "found by their contents", x->version, x->n_export, x->n_constant) < 0)
		err = &pgm_enomem;
	if (!err && !*ret && !*note && asprintf(note, "no layout profile for PostgreSQL %d (%s is %s); make "
			"one from a debug build with 'pgmortem profile'", x->version_num / 10000, x->path, x->version) < 0)
		err = &pgm_enomem;
	return err;
}

struct pgm_error *pgm_pg_profile_layout(struct pgm_program *prog, struct pgm_pg_layout **ret, char **checked,
					char **note)
{
	const struct pgm_module *main = pgm_program_main_module(prog);
	struct exe x = { 0 };
	struct pgm_error *err;
	*ret = NULL;
	*checked = *note = NULL;
	if (!main || !main->path)
		return asprintf(note, "%s", "no profile: the executable's file was not found") < 0 ? &pgm_enomem : NULL;
	x.path = main->path;
	x.bias = main->bias;
	if (!(err = pgm_elf_file_open(x.path, &x.f)) && !(err = pgm_pg_exe_version(x.f, &x.version, &x.version_num)) &&
	    !(err = pgm_pg_exe_exports(x.f, &x.exports)))
		err = load_first(&x, ret, checked, note);
	if (err && err != &pgm_enomem) {
		if (asprintf(note, "no profile: %s: %s", x.path, err->message) < 0)
			*note = NULL;
		pgm_error_destroy(err), err = NULL;
	}
	pgm_elf_file_close(x.f);
	free(x.version);
	return err;
}
