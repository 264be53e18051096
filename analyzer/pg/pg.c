/* Typed, checked reads of PostgreSQL structures through the resolved layout. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

static struct pgm_error *member_missing(enum pgm_pg_member_id m)
{
	return pgm_error_create(PGM_ERR_LOOKUP, "%s is not in this build's debuginfo",
				pgm_pg_member_path(m));
}

static struct pgm_error *read_scalar(struct pgm_target *t, uint64_t addr, uint64_t size,
				     uint64_t *ret)
{
	if (size == 0 || size > 8)
		return pgm_error_create(PGM_ERR_UNSUPPORTED,
					"cannot read a %" PRIu64 "-byte scalar at 0x%" PRIx64, size, addr);
	uint64_t v = 0;
	struct pgm_error *err = pgm_target_read(t, addr, &v, size);
	if (err)
		return err;
	*ret = v;  /* little-endian: the low bytes are the value */
	return NULL;
}

static int64_t sign_extend(uint64_t v, uint64_t size)
{
	if (size >= 8)
		return (int64_t)v;
	uint64_t sign = 1ULL << (size * 8 - 1);
	return (int64_t)((v ^ sign) - sign);
}

struct pgm_error *pgm_pg_member_offset(const struct pgm_pg *pg, enum pgm_pg_member_id m, uint64_t *ret)
{
	if (!pg->layout->members[m].found)
		return member_missing(m);
	*ret = pg->layout->members[m].offset;
	return NULL;
}

struct pgm_error *pgm_pg_member_addr(const struct pgm_pg *pg, uint64_t base,
				     enum pgm_pg_member_id m, uint64_t *ret)
{
	const struct pgm_pg_member *mem = &pg->layout->members[m];
	if (!mem->found)
		return member_missing(m);
	if (base == 0)
		return pgm_error_create(PGM_ERR_FAULT, "NULL pointer reading %s", pgm_pg_member_path(m));
	*ret = base + mem->offset;
	return NULL;
}

struct pgm_error *pgm_pg_read_member(const struct pgm_pg *pg, uint64_t base,
				     enum pgm_pg_member_id m, uint64_t *ret)
{
	uint64_t addr;
	struct pgm_error *err = pgm_pg_member_addr(pg, base, m, &addr);
	if (err)
		return err;
	return read_scalar(pg->target, addr, pg->layout->members[m].size, ret);
}

struct pgm_error *pgm_pg_read_member_signed(const struct pgm_pg *pg, uint64_t base,
					    enum pgm_pg_member_id m, int64_t *ret)
{
	uint64_t v;
	struct pgm_error *err = pgm_pg_read_member(pg, base, m, &v);
	if (!err)
		*ret = sign_extend(v, pg->layout->members[m].size);
	return err;
}

/* Whether the shared-memory index stands in for global g (pgm_pg_shmem_value). */
static bool from_index(enum pgm_pg_global_id g)
{
	for (size_t i = 0; i < PGM_SH_COUNT; i++)
		if (pgm_pg_shmem_global(i) == g)
			return true;
	return g == PGM_G_ShmemSegHdr;
}

static struct pgm_error *global_missing(const struct pgm_pg *pg, enum pgm_pg_global_id g)
{
	if (pg->shmem && pg->shmem->problem && from_index(g))
		return pgm_error_create(PGM_ERR_LOOKUP, "%s is unknown: the shared-memory index could not be "
					"read (%s)", pgm_pg_global_name(g), pg->shmem->problem);
	if (pg->shmem && from_index(g))
		return pgm_error_create(PGM_ERR_LOOKUP, "%s is unknown: the shared-memory index has no entry "
					"for it", pgm_pg_global_name(g));
	const char *why = pg->layout->globals[g].unknown_reason;
	if (why)
		return pgm_error_create(PGM_ERR_LOOKUP, "%s is unknown: %s", pgm_pg_global_name(g), why);
	return pgm_error_create(PGM_ERR_LOOKUP, "variable %s not found in this build", pgm_pg_global_name(g));
}

struct pgm_error *pgm_pg_read_global(const struct pgm_pg *pg, enum pgm_pg_global_id g,
				     uint64_t *ret)
{
	const struct pgm_pg_global *gl = &pg->layout->globals[g];
	if (!gl->found)
		return pg->shmem && pgm_pg_shmem_value(pg->shmem, g, ret) ? NULL : global_missing(pg, g);
	return read_scalar(pg->target, gl->address, gl->size, ret);
}

struct pgm_error *pgm_pg_read_global_signed(const struct pgm_pg *pg, enum pgm_pg_global_id g,
					    int64_t *ret)
{
	uint64_t v;
	struct pgm_error *err = pgm_pg_read_global(pg, g, &v);
	if (!err)
		*ret = sign_extend(v, pg->layout->globals[g].size);
	return err;
}

struct pgm_error *pgm_pg_struct_size(const struct pgm_pg *pg, enum pgm_pg_struct_id s,
				     uint64_t *ret)
{
	if (!pg->layout->structs[s].found || pg->layout->structs[s].size == 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "type %s is not in this build's debuginfo",
					pgm_pg_struct_name(s));
	*ret = pg->layout->structs[s].size;
	return NULL;
}

bool pgm_pg_has_member(const struct pgm_pg *pg, enum pgm_pg_member_id m)
{
	return pg->layout->members[m].found;
}

bool pgm_pg_has_global(const struct pgm_pg *pg, enum pgm_pg_global_id g)
{
	return pg->layout->globals[g].found;
}

struct pgm_error *pgm_pg_read_name_array(const struct pgm_pg *pg, enum pgm_pg_global_id g,
					 uint64_t i, char **ret)
{
	const struct pgm_pg_global *gl = &pg->layout->globals[g];
	if (!gl->found)
		return global_missing(pg, g);
	if (gl->elements && i >= gl->elements)
		return pgm_error_create(PGM_ERR_LIMIT, "index %" PRIu64 " past the %" PRIu64
					" entries of %s", i, gl->elements, pgm_pg_global_name(g));
	uint64_t ptr;
	struct pgm_error *err = pgm_target_read_u64(pg->target, gl->address + i * 8, &ptr);
	if (err)
		return err;
	if (ptr == 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "%s[%" PRIu64 "] is NULL", pgm_pg_global_name(g), i);
	return pgm_target_read_text(pg->target, ptr, 256, ret);
}

void pgm_pg_init(struct pgm_pg *pg, struct pgm_target *target, const struct pgm_pg_layout *layout)
{
	pg->target = target;
	pg->layout = layout;
	pg->shmem = NULL;
	pg->version_num = layout->version_num;
	int64_t v;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_server_version_num, &v);
	if (!err && v >= 90000 && v < 1000000)
		pg->version_num = (int)v;
	pgm_error_destroy(err);
}

char *pgm_pg_version_string(const struct pgm_pg *pg)
{
	uint64_t p;
	char *s = NULL;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_server_version_string, &p);
	if (!err && p)
		err = pgm_target_read_text(pg->target, p, 64, &s);
	pgm_error_destroy(err);
	/* a stripped build hides the GUC: the executable states the same PG_VERSION */
	if (!s && pg->layout->version)
		s = strdup(pg->layout->version);
	return s;
}

/*
 * DSM segments are mappings of /dev/shm/PostgreSQL.N (dynamic_shared_memory_type
 * posix) or $PGDATA/pg_dynshmem/PostgreSQL.N (mmap).
 */
static bool is_dsm_segment(const char *mapping)
{
	return mapping && strstr(mapping, "PostgreSQL.") != NULL;
}

struct pgm_error *pgm_pg_note_failure(struct pgm_report *r, const char *code, const char *what,
				      uint64_t address, struct pgm_error *err)
{
	struct pgm_error *e2;
	if (!err || err == &pgm_enomem)
		return err;
	if (pgm_error_is_read_failure(err))
		e2 = pgm_report_add_missing(r, what, address ? address : err->address, err,
					    is_dsm_segment(err->mapping) ? PGM_MISSING_DSM_SEGMENT
									  : PGM_MISSING_UNCAPTURED);
	else
		e2 = pgm_report_add_diagnosis(r, code, "%s could not be read: %s", what, err->message);
	pgm_error_destroy(err);
	return e2;
}
