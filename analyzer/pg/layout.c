/* The layout table's names, lifetime and hand-filling helpers (no DWARF here). */
#include <stdlib.h>
#include <string.h>

#include "pg/layout.h"

static const char *const struct_names[] = {
#define PGM_STRUCT(id, name) name,
#include "pg/layout.def"
};

/* "PGPROC.cvWaitLink.next": the struct's name and the member path together. */
static const char *const member_paths[] = {
#define PGM_MEMBER(id, s, path) #s "." path,
#include "pg/layout.def"
};

static const char *const global_names[] = {
#define PGM_GLOBAL(id, name) name,
#include "pg/layout.def"
};

static const char *const enum_names[] = {
#define PGM_ENUM(id, name) name,
#include "pg/layout.def"
};

static const struct { enum pgm_pg_struct_id owner; const char *path; } member_defs[] = {
#define PGM_MEMBER(id, s, path) { PGM_S_##s, path },
#include "pg/layout.def"
};

static const struct { const char *name; enum pgm_pg_global_id global; bool hash; } shmem_defs[] = {
#define PGM_SHMEM(global, name) { name, PGM_G_##global, false },
#define PGM_SHMEM_HASH(global, name) { name, PGM_G_##global, true },
#include "pg/layout.def"
};

const char *pgm_pg_shmem_name(enum pgm_pg_shmem_id id) { return shmem_defs[id].name; }
enum pgm_pg_global_id pgm_pg_shmem_global(enum pgm_pg_shmem_id id) { return shmem_defs[id].global; }
bool pgm_pg_shmem_is_hash(enum pgm_pg_shmem_id id) { return shmem_defs[id].hash; }

const char *pgm_pg_struct_name(enum pgm_pg_struct_id id) { return struct_names[id]; }
enum pgm_pg_struct_id pgm_pg_member_owner(enum pgm_pg_member_id id) { return member_defs[id].owner; }
const char *pgm_pg_member_subpath(enum pgm_pg_member_id id) { return member_defs[id].path; }
const char *pgm_pg_member_path(enum pgm_pg_member_id id) { return member_paths[id]; }
const char *pgm_pg_global_name(enum pgm_pg_global_id id) { return global_names[id]; }
const char *pgm_pg_enum_type_name(enum pgm_pg_enum_id id) { return enum_names[id]; }

struct pgm_pg_layout *pgm_pg_layout_create_empty(void)
{
	return calloc(1, sizeof(struct pgm_pg_layout));
}

void pgm_pg_layout_destroy(struct pgm_pg_layout *layout)
{
	if (!layout)
		return;
	for (size_t e = 0; e < PGM_E_COUNT; e++) {
		for (size_t i = 0; i < layout->enums[e].n; i++)
			free(layout->enums[e].items[i].name);
		free(layout->enums[e].items);
		free(layout->enums[e].decl_file);
	}
	for (size_t g = 0; g < PGM_G_COUNT; g++) {
		free(layout->globals[g].decl_file);
		free(layout->globals[g].unknown_reason);
	}
	free(layout->profile);
	free(layout->made_from);
	free(layout->version);
	free(layout);
}

/* The bits as lwlock.c defines them: LW_FLAG_HAS_WAITERS, LW_FLAG_LOCKED, LW_VAL_EXCLUSIVE, LW_SHARED_MASK. */
bool pgm_pg_lwlock_bits_for(int version_num, struct pgm_pg_lwlock_bits *ret)
{
	static const struct pgm_pg_lwlock_bits pre18 = { 1U << 30, 1U << 28, 1U << 24, (1U << 24) - 1 };
	static const struct pgm_pg_lwlock_bits from18 = { 1U << 31, 1U << 29, 1U << 18, (1U << 18) - 1 };
	if (version_num == 0)
		return false;
	*ret = version_num >= 180000 ? from18 : pre18;
	return true;
}

const char *pgm_pg_enum_name(const struct pgm_pg_layout *layout, enum pgm_pg_enum_id id, int64_t value)
{
	const struct pgm_pg_enum *e = &layout->enums[id];
	for (size_t i = 0; i < e->n; i++)
		if (e->items[i].value == value)
			return e->items[i].name;
	return NULL;
}

bool pgm_pg_enum_value(const struct pgm_pg_layout *layout, enum pgm_pg_enum_id id,
		       const char *name, int64_t *ret)
{
	const struct pgm_pg_enum *e = &layout->enums[id];
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->items[i].name, name) == 0) {
			*ret = e->items[i].value;
			return true;
		}
	return false;
}

void pgm_pg_layout_set_member(struct pgm_pg_layout *l, enum pgm_pg_member_id id, uint64_t offset, uint64_t size)
{
	l->members[id] = (struct pgm_pg_member){ .found = true, .offset = offset, .size = size };
}

void pgm_pg_layout_set_struct(struct pgm_pg_layout *l, enum pgm_pg_struct_id id, uint64_t size)
{
	l->structs[id] = (struct pgm_pg_struct){ .found = true, .size = size };
}

void pgm_pg_layout_set_global(struct pgm_pg_layout *l, enum pgm_pg_global_id id, uint64_t address, uint64_t size)
{
	l->globals[id].found = true;
	l->globals[id].address = address;
	l->globals[id].size = size;
}

struct pgm_error *pgm_pg_layout_add_enumerator(struct pgm_pg_layout *l, enum pgm_pg_enum_id id,
					       const char *name, int64_t value)
{
	struct pgm_pg_enum *e = &l->enums[id];
	struct pgm_pg_enumerator *items = realloc(e->items, (e->n + 1) * sizeof(*items));
	if (!items)
		return &pgm_enomem;
	e->items = items;
	if (!(items[e->n].name = strdup(name)))
		return &pgm_enomem;
	items[e->n++].value = value;
	e->found = true;
	return NULL;
}
