/*
 * The resolved PostgreSQL layout: offsets, sizes, addresses and enumerators
 * for everything listed in layout.def.
 *
 * Built once per program by pgm_pg_program_layout() (DWARF, through the
 * cache; for a stripped build without debuginfo, from a layout profile of
 * its major version, pg/profile.h), or by hand in unit tests.  Everything is optional: check `found` before use.  The layout
 * owns its enumerator names; pgm_pg_layout_destroy() frees them.
 */
#ifndef PGMORTEM_PG_LAYOUT_H
#define PGMORTEM_PG_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/program.h"

enum pgm_pg_struct_id {
#define PGM_STRUCT(id, name) PGM_S_##id,
#include "pg/layout.def"
	PGM_S_COUNT
};

enum pgm_pg_member_id {
#define PGM_MEMBER(id, s, path) PGM_M_##id,
#include "pg/layout.def"
	PGM_M_COUNT
};

enum pgm_pg_global_id {
#define PGM_GLOBAL(id, name) PGM_G_##id,
#include "pg/layout.def"
	PGM_G_COUNT
};

enum pgm_pg_enum_id {
#define PGM_ENUM(id, name) PGM_E_##id,
#include "pg/layout.def"
	PGM_E_COUNT
};

/* The ShmemIndex names of layout.def's PGM_SHMEM and PGM_SHMEM_HASH globals. */
enum pgm_pg_shmem_id {
#define PGM_SHMEM(global, name) PGM_SH_##global,
#define PGM_SHMEM_HASH(global, name) PGM_SH_##global,
#include "pg/layout.def"
	PGM_SH_COUNT
};

struct pgm_pg_struct {
	bool found;
	uint64_t size;
};

struct pgm_pg_member {
	bool found;
	uint64_t offset;     /* bytes from the start of the struct */
	uint64_t size;       /* size of the member's type */
};

struct pgm_pg_global {
	bool found;
	uint64_t address;    /* runtime address */
	uint64_t size;       /* size of the variable */
	uint64_t elements;   /* element count for arrays of known bound, else 0 */
	char *decl_file;     /* where its type was declared (for rules by origin) */
	char *unknown_reason;   /* when not found in a profile's layout: why, in words */
};

struct pgm_pg_enumerator {
	char *name;
	int64_t value;
};

struct pgm_pg_enum {
	bool found;
	struct pgm_pg_enumerator *items;
	size_t n;
	char *decl_file;     /* header that declares it, e.g. "wait_event_types.h" */
};

/*
 * The lock word's bits: macros in lwlock.c, invisible to DWARF, that moved
 * when 18 shrank MAX_BACKENDS to 2^18-1.
 */
struct pgm_pg_lwlock_bits {
	uint32_t has_waiters, locked, exclusive, shared_mask;
};
/* The bits of version `version_num` (e.g. 150018); false when it is 0 (unknown). */
bool pgm_pg_lwlock_bits_for(int version_num, struct pgm_pg_lwlock_bits *ret);

struct pgm_pg_layout {
	struct pgm_pg_struct structs[PGM_S_COUNT];
	struct pgm_pg_member members[PGM_M_COUNT];
	struct pgm_pg_global globals[PGM_G_COUNT];
	struct pgm_pg_enum enums[PGM_E_COUNT];
	bool has_debuginfo;  /* false: no layout at all (no DWARF, no usable profile) */
	/*
	 * A profile's layout (pg/profile.h): the profile, what it was made
	 * from, the executable's own PG_VERSION, and the lock word's bits.
	 * Unset (NULL, 0, false) for DWARF and cached layouts.
	 */
	char *profile;
	char *made_from;
	char *version;       /* "15.18 (Debian 15.18-0+deb12u1)" */
	int version_num;     /* 150018 */
	bool has_lwlock_bits;
	struct pgm_pg_lwlock_bits lwlock_bits;
};

/* Names from layout.def, for messages. */
const char *pgm_pg_struct_name(enum pgm_pg_struct_id id);
const char *pgm_pg_member_path(enum pgm_pg_member_id id);     /* "PGPROC.pid" */
enum pgm_pg_struct_id pgm_pg_member_owner(enum pgm_pg_member_id id);
const char *pgm_pg_member_subpath(enum pgm_pg_member_id id);  /* "pid" */
const char *pgm_pg_global_name(enum pgm_pg_global_id id);
const char *pgm_pg_enum_type_name(enum pgm_pg_enum_id id);
/* The index name of a PGM_SHMEM(_HASH) entry, its global, and whether it is a hash table. */
const char *pgm_pg_shmem_name(enum pgm_pg_shmem_id id);
enum pgm_pg_global_id pgm_pg_shmem_global(enum pgm_pg_shmem_id id);
bool pgm_pg_shmem_is_hash(enum pgm_pg_shmem_id id);

/* ---- Resolving from DWARF (layout_dwarf.c) ---- */

/* The program's DWARF engine, created on first use and owned by the program. */
struct pgm_dwarf;
struct pgm_error *pgm_pg_program_dwarf(struct pgm_program *prog, struct pgm_dwarf **ret);

/* The whole table from the program's DWARF, never through a cache.  The caller owns *ret. */
struct pgm_error *pgm_pg_layout_resolve_dwarf(struct pgm_program *prog, struct pgm_pg_layout **ret);
/* From a DWARF view of one file (pgm_dwarf_open_file): global addresses as libdwfl placed it. */
struct pgm_error *pgm_pg_layout_resolve_from(struct pgm_dwarf *dw, struct pgm_pg_layout **ret);

/*
 * ---- The layout cache (layout_cache.c) ----
 *
 * Resolved layouts stored on disk per build-id of the main executable,
 * as <dir>/<build-id>.json (format PGM_PG_LAYOUT_CACHE_VERSION).  Global
 * addresses are stored relative to the executable's load bias, so one entry
 * serves every process of that build.  A file is validated before use
 * (types, bounds, every entry of layout.def present) and a bad or stale one
 * is ignored and rewritten; files are replaced atomically (rename).
 */
#define PGM_PG_LAYOUT_CACHE_VERSION 1

/* What the last cached resolution did, for reports and tests. */
enum pgm_pg_layout_cache_result {
	PGM_LAYOUT_CACHE_OFF,       /* no cache set, or no build-id */
	PGM_LAYOUT_CACHE_HIT,       /* loaded from the cache */
	PGM_LAYOUT_CACHE_STORED,    /* resolved from DWARF and written */
	PGM_LAYOUT_CACHE_UNCACHED,  /* resolved from DWARF, not cacheable (no DWARF, or a
				       global outside the executable) or the write failed */
};

/*
 * ---- The program's layout (layout_program.c) ----
 *
 * Resolved (through the cache when one is set) on first use and owned by
 * the program: every analysis of one program shares it.  Borrowed: valid
 * until pgm_program_destroy().  Unresolvable entries stay `found = false`;
 * only out of memory is an error.
 */
struct pgm_error *pgm_pg_program_layout(struct pgm_program *prog, const struct pgm_pg_layout **ret);
/*
 * Where the program's layout came from (resolving it first), and for a
 * profile the checks it passed or the one that refused it; NULL only when
 * out of memory.  Owned by the program.
 */
struct pgm_layout_origin;
const struct pgm_layout_origin *pgm_pg_program_origin(struct pgm_program *prog);
/* The cache directory for the program's layout (NULL: none); before its first use. */
struct pgm_error *pgm_pg_program_set_cache(struct pgm_program *prog, const char *dir);
/* What the cache did; *note (owned by the program, may be NULL) says why a file was not used. */
enum pgm_pg_layout_cache_result pgm_pg_program_cache_result(struct pgm_program *prog, const char **note);

/*
 * Resolves through the cache in `dir` (NULL: straight from DWARF): a valid
 * entry for the main module's build-id is used even when this program has
 * no DWARF (a layout profile made from a debug build of the same build-id);
 * otherwise resolves from DWARF and stores the result.  `result` and
 * `note` (the reason a cache file was rejected or not written; the caller
 * frees it) may be NULL.
 */
struct pgm_error *pgm_pg_layout_resolve_cached(struct pgm_program *prog, const char *dir,
					       struct pgm_pg_layout **ret,
					       enum pgm_pg_layout_cache_result *result, char **note);
const char *pgm_pg_layout_cache_result_name(enum pgm_pg_layout_cache_result r);

/*
 * Primes the cache in `dir` from executable `exe` alone, without a core (a
 * "layout profile": a debug build, or the -dbgsym's DWARF found through
 * `debug_dirs`, serves every core of a stripped build with the same
 * build-id).  *build_id (hex; the caller frees it) names the entry written.
 * PGM_ERR_NO_DEBUGINFO if exe's DWARF describes none of PostgreSQL's structures.
 */
struct pgm_error *pgm_pg_layout_cache_prime(const char *dir, const char *exe,
					    const char *const *debug_dirs, size_t n_debug_dirs,
					    char **build_id);

/*
 * The layout of executable `exe` alone (open as `e`) from its DWARF or its
 * separate debuginfo in `debug_dirs`, and the bias at which it was placed:
 * a global's address less *bias is its virtual address in the file, each
 * checked to lie within the PT_LOAD range [lo, hi).  The caller owns *ret.
 * PGM_ERR_NO_DEBUGINFO if the DWARF describes none of PostgreSQL's structures.
 */
struct pgm_elf_file;
struct pgm_error *pgm_pg_layout_of_file(struct pgm_elf_file *e, const char *exe, const char *const *debug_dirs,
				       size_t n_dirs, uint64_t lo, uint64_t hi,
				       struct pgm_pg_layout **ret, uint64_t *bias);

/*
 * The cache file format, for the above and for tests.  to_json: the caller
 * frees *ret; `bias` is subtracted from global addresses, `build_id` (hex)
 * recorded.  from_json: parses and validates `text` against `build_id`,
 * adding `bias` to global addresses and requiring each to lie within
 * [lo, hi); PGM_ERR_FORMAT naming the first problem.
 */
struct pgm_error *pgm_pg_layout_to_json(const struct pgm_pg_layout *l, const char *build_id,
					uint64_t bias, char **ret);
struct pgm_error *pgm_pg_layout_from_json(const char *text, size_t len, const char *build_id,
					  uint64_t bias, uint64_t lo, uint64_t hi,
					  struct pgm_pg_layout **ret);
struct pgm_pg_layout *pgm_pg_layout_create_empty(void);
void pgm_pg_layout_destroy(struct pgm_pg_layout *layout);

/* The enumerator name for value in enum id, or NULL. */
const char *pgm_pg_enum_name(const struct pgm_pg_layout *layout, enum pgm_pg_enum_id id, int64_t value);
/* Value of enumerator `name` in enum id; false if absent. */
bool pgm_pg_enum_value(const struct pgm_pg_layout *layout, enum pgm_pg_enum_id id,
		       const char *name, int64_t *ret);

/* Helpers for hand-built layouts in tests. */
void pgm_pg_layout_set_member(struct pgm_pg_layout *l, enum pgm_pg_member_id id, uint64_t offset, uint64_t size);
void pgm_pg_layout_set_struct(struct pgm_pg_layout *l, enum pgm_pg_struct_id id, uint64_t size);
void pgm_pg_layout_set_global(struct pgm_pg_layout *l, enum pgm_pg_global_id id, uint64_t address, uint64_t size);
struct pgm_error *pgm_pg_layout_add_enumerator(struct pgm_pg_layout *l, enum pgm_pg_enum_id id,
					       const char *name, int64_t value);

#endif
