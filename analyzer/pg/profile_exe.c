/*
 * What a PostgreSQL executable tells without debuginfo: the version it
 * states, the globals it exports, and where constant data of known
 * contents lies.  Shared by the profile maker (pg/profile.c), which
 * records contents, and the loader (pg/profile_load.c), which finds them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/profile.h"
#include "pg/profile_exe.h"

#define VERSION_PREFIX "postgres (PostgreSQL) "   /* main.c: puts("postgres (PostgreSQL) " PG_VERSION) */
#define MAX_VERSION 256

struct version_search {
	const char *found;
	size_t len;
};

static struct pgm_error *search_version(void *arg, const char *name, uint64_t vaddr, const uint8_t *bytes,
					size_t len, bool writable)
{
	struct version_search *v = arg;
	(void)vaddr;
	if (v->found || writable || strcmp(name, ".rodata") != 0)   /* where compilers put string literals */
		return NULL;
	const uint8_t *p = memmem(bytes, len, VERSION_PREFIX, strlen(VERSION_PREFIX));
	if (!p)
		return NULL;
	p += strlen(VERSION_PREFIX);
	const uint8_t *end = memchr(p, 0, (size_t)(bytes + len - p));
	/* PG_BACKEND_VERSIONSTR ends in a newline */
	while (end && end > p && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (end && end > p && end - p < MAX_VERSION) {
		v->found = (const char *)p;
		v->len = (size_t)(end - p);
	}
	return NULL;
}

/* "15.18 (Debian …)" -> 150018; "18devel", "17beta1" -> 180000, 170000; 0 if not a version. */
static int version_num(const char *v)
{
	char *end;
	long major = strtol(v, &end, 10), minor = 0;
	if (end == v || major < 10 || major > 99)
		return 0;
	if (*end == '.')
		minor = strtol(end + 1, NULL, 10);
	return minor >= 0 && minor < 100 ? (int)(major * 10000 + minor) : 0;
}

struct pgm_error *pgm_pg_exe_version(struct pgm_elf_file *f, char **version, int *num)
{
	struct version_search v = { 0 };
	struct pgm_error *err = pgm_elf_file_sections(f, search_version, &v);
	if (err)
		return err;
	if (!v.found || !(*num = version_num(v.found)))
		return pgm_error_create(PGM_ERR_LOOKUP, "it states no PostgreSQL version of 10 or later "
					"(no \"" VERSION_PREFIX "\" string in its read-only data)");
	return (*version = strndup(v.found, v.len)) ? NULL : &pgm_enomem;
}

static struct pgm_error *collect_export(void *arg, const char *name, uint64_t value, uint64_t size)
{
	struct pgm_pg_exports *x = arg;
	for (size_t g = 0; g < PGM_G_COUNT; g++)
		if (!x->found[g] && strcmp(name, pgm_pg_global_name(g)) == 0) {
			x->found[g] = true;
			x->vaddr[g] = value;
			x->size[g] = size;
		}
	return NULL;
}

struct pgm_error *pgm_pg_exe_exports(struct pgm_elf_file *f, struct pgm_pg_exports *ret)
{
	memset(ret, 0, sizeof(*ret));
	return pgm_elf_file_exports(f, collect_export, ret);
}

/* Slot i of an array at `start`: a pointer to `want` (NULL: a NULL pointer). */
static bool slot_is(struct pgm_elf_file *f, uint64_t start, size_t i, const char *want)
{
	uint64_t ptr;
	const char *s;
	struct pgm_error *err = pgm_elf_file_pointer(f, start + 8 * i, &ptr);
	if (!err && want && ptr)
		err = pgm_elf_file_string(f, ptr, strlen(want) + 1, &s);
	bool same = !err && (want ? ptr && strcmp(s, want) == 0 : ptr == 0);
	pgm_error_destroy(err);
	return same;
}

struct pgm_error *pgm_pg_exe_find_strings(struct pgm_elf_file *f, const char *const *strings, size_t n,
					  uint64_t *ret)
{
	const struct pgm_elf_relative *rel;
	size_t n_rel, k = 0;
	struct pgm_error *err = pgm_elf_file_relative(f, &rel, &n_rel);
	if (err)
		return err;
	while (k < n && !strings[k])
		k++;
	for (size_t r = 0; k < n && r < n_rel; r++) {
		if (rel[r].offset < 8 * k || !slot_is(f, rel[r].offset - 8 * k, k, strings[k]))
			continue;
		uint64_t start = rel[r].offset - 8 * k;
		size_t i = 0;
		while (i < n && slot_is(f, start, i, strings[i]))
			i++;
		if (i == n) {
			*ret = start;
			return NULL;
		}
	}
	return pgm_error_create(PGM_ERR_LOOKUP, "no array of these %zu strings in the executable", n);
}

struct bytes_search {
	const uint8_t *want;
	size_t len;
	uint64_t found;
	bool have;
};

static struct pgm_error *search_bytes(void *arg, const char *name, uint64_t vaddr, const uint8_t *bytes,
				      size_t len, bool writable)
{
	struct bytes_search *b = arg;
	(void)name;
	if (b->have || writable)
		return NULL;
	const uint8_t *p = memmem(bytes, len, b->want, b->len);
	if (p) {
		b->found = vaddr + (uint64_t)(p - bytes);
		b->have = true;
	}
	return NULL;
}

struct pgm_error *pgm_pg_exe_find_bytes(struct pgm_elf_file *f, const uint8_t *bytes, size_t len, uint64_t *ret)
{
	struct bytes_search b = { .want = bytes, .len = len };
	struct pgm_error *err = len ? pgm_elf_file_sections(f, search_bytes, &b) : NULL;
	if (err)
		return err;
	if (!b.have)
		return pgm_error_create(PGM_ERR_LOOKUP, "these %zu bytes are in none of the executable's "
					"read-only sections", len);
	*ret = b.found;
	return NULL;
}
