/*
 * The resolved PostgreSQL layout: offsets, sizes, addresses and enumerators
 * for everything listed in layout.def.
 *
 * Built once per program by pgm_pg_layout_resolve() from DWARF, or by hand in
 * unit tests.  Everything is optional: check `found` before use.  The layout
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
#define PGM_MEMBER(id, s, path)
#define PGM_GLOBAL(id, name)
#define PGM_ENUM(id, name)
#include "pg/layout.def"
#undef PGM_STRUCT
#undef PGM_MEMBER
#undef PGM_GLOBAL
#undef PGM_ENUM
	PGM_S_COUNT
};

enum pgm_pg_member_id {
#define PGM_STRUCT(id, name)
#define PGM_MEMBER(id, s, path) PGM_M_##id,
#define PGM_GLOBAL(id, name)
#define PGM_ENUM(id, name)
#include "pg/layout.def"
#undef PGM_STRUCT
#undef PGM_MEMBER
#undef PGM_GLOBAL
#undef PGM_ENUM
	PGM_M_COUNT
};

enum pgm_pg_global_id {
#define PGM_STRUCT(id, name)
#define PGM_MEMBER(id, s, path)
#define PGM_GLOBAL(id, name) PGM_G_##id,
#define PGM_ENUM(id, name)
#include "pg/layout.def"
#undef PGM_STRUCT
#undef PGM_MEMBER
#undef PGM_GLOBAL
#undef PGM_ENUM
	PGM_G_COUNT
};

enum pgm_pg_enum_id {
#define PGM_STRUCT(id, name)
#define PGM_MEMBER(id, s, path)
#define PGM_GLOBAL(id, name)
#define PGM_ENUM(id, name) PGM_E_##id,
#include "pg/layout.def"
#undef PGM_STRUCT
#undef PGM_MEMBER
#undef PGM_GLOBAL
#undef PGM_ENUM
	PGM_E_COUNT
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

struct pgm_pg_layout {
	struct pgm_pg_struct structs[PGM_S_COUNT];
	struct pgm_pg_member members[PGM_M_COUNT];
	struct pgm_pg_global globals[PGM_G_COUNT];
	struct pgm_pg_enum enums[PGM_E_COUNT];
	bool has_debuginfo;  /* false: the executable had no DWARF at all */
};

/* Names from layout.def, for messages. */
const char *pgm_pg_struct_name(enum pgm_pg_struct_id id);
const char *pgm_pg_member_path(enum pgm_pg_member_id id);
const char *pgm_pg_global_name(enum pgm_pg_global_id id);
const char *pgm_pg_enum_type_name(enum pgm_pg_enum_id id);

/*
 * Resolves the whole table from the program's DWARF.  Unresolvable entries
 * stay `found = false`; only a failure that prevents any resolution (out of
 * memory) is an error.  The caller owns *ret: pgm_pg_layout_destroy().
 */
struct pgm_error *pgm_pg_layout_resolve(struct pgm_program *prog, struct pgm_pg_layout **ret);
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

#include "pgmortem/stack.h"
/*
 * The value of pointer-typed parameter or local `name` in frame `frame` of
 * `stack` (gdb numbering), through the DWARF engine: PGM_ERR_OPTIMIZED_OUT
 * or a read failure when it cannot be known.
 */
struct pgm_error *pgm_pg_frame_pointer(struct pgm_program *prog, const struct pgm_stack *stack,
				       size_t frame, const char *name, uint64_t *ret);
