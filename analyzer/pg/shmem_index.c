/*
 * The main shared memory segment and its index of named structures, for
 * builds whose symbol tables name no file-static (pg.h, "the main
 * segment's index").
 *
 * The segment begins with a PGShmemHeader (PGShmemMagic, totalsize, and
 * `index`, the HASHHDR of ShmemIndex); it is the mapping that holds the
 * PROC_HDR the exported ProcGlobal points to.  ShmemIndex entries
 * (ShmemIndexEnt: a NUL-padded name, the structure's location, its size)
 * say where ShmemInitStruct() and ShmemInitHash() placed each structure:
 * the same pointers the file-statics hold.  Every value comes from the
 * capture, so each is checked before use: the magic, the index and every
 * location inside the segment, "Proc Header" equal to *ProcGlobal.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

#define SHMEM_INDEX_KEYSIZE 48   /* ShmemIndexEnt.key: char[SHMEM_INDEX_KEYSIZE] in every version */
#define BUFFER_BLOCKS "Buffer Blocks"   /* buf_init.c: the shared buffers' pages */

void pgm_pg_shmem_destroy(struct pgm_pg_shmem *s)
{
	if (!s)
		return;
	free(s->problem);
	free(s);
}

/* Records the first problem; out of memory passes through. */
static struct pgm_error *problem(struct pgm_pg_shmem *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static struct pgm_error *problem(struct pgm_pg_shmem *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = s->problem ? 0 : vasprintf(&s->problem, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		s->problem = NULL;
		return &pgm_enomem;
	}
	return NULL;
}

static struct pgm_error *problem_err(struct pgm_pg_shmem *s, const char *what, struct pgm_error *err)
{
	if (err == &pgm_enomem)
		return err;
	struct pgm_error *e2 = problem(s, "%s: %s", what, err->message);
	pgm_error_destroy(err);
	return e2;
}

/*
 * Where the segment holding `inside` starts: its mapping's start less the
 * mapping's offset (0 for the anonymous or SysV segment), checked to be
 * mapped by the same object.
 */
static bool segment_start(const struct pgm_target *t, uint64_t inside, uint64_t *ret)
{
	const struct pgm_mapping *m = pgm_target_find_mapping(t, inside);
	if (!m || m->file_offset > m->start)
		return false;
	uint64_t start = m->start - m->file_offset;
	const struct pgm_mapping *first = pgm_target_find_mapping(t, start);
	if (!first || (first->path == NULL) != (m->path == NULL) ||
	    (m->path && strcmp(first->path, m->path) != 0))
		return false;
	*ret = start;
	return true;
}

/* The PGShmemHeader of the segment holding *ProcGlobal, and its index's HASHHDR. */
static struct pgm_error *find_header(const struct pgm_pg *pg, struct pgm_pg_shmem *s, uint64_t proc_hdr,
				     uint64_t *index, uint64_t *total)
{
	uint64_t hdr, magic;
	struct pgm_error *err;
	if (!segment_start(pg->target, proc_hdr, &hdr))
		return problem(s, "ProcGlobal (0x%" PRIx64 ") lies in no mapping this capture describes", proc_hdr);
	if ((err = pgm_pg_read_member(pg, hdr, PGM_M_PGShmemHeader_magic, &magic)) ||
	    (err = pgm_pg_read_member(pg, hdr, PGM_M_PGShmemHeader_totalsize, total)) ||
	    (err = pgm_pg_read_member(pg, hdr, PGM_M_PGShmemHeader_index, index)))
		return problem_err(s, "the main segment's header", err);
	if ((uint32_t)magic != PGM_PG_SHMEM_MAGIC)
		return problem(s, "the mapping holding ProcGlobal does not start with PostgreSQL's segment "
			       "header (magic 0x%" PRIx64 " at 0x%" PRIx64 ")", magic, hdr);
	if (*total > (1ULL << 46) || proc_hdr - hdr >= *total || *index <= hdr || *index - hdr >= *total)
		return problem(s, "the main segment's header at 0x%" PRIx64 " is implausible (totalsize %" PRIu64
			       ", index 0x%" PRIx64 ", ProcGlobal 0x%" PRIx64 ")", hdr, *total, *index, proc_hdr);
	s->header = hdr;
	return NULL;
}

/* One index entry: its name, and the location of the structure if layout.def wants it. */
static struct pgm_error *read_entry(const struct pgm_pg *pg, struct pgm_pg_shmem *s, uint64_t entry,
				    uint64_t total)
{
	char key[SHMEM_INDEX_KEYSIZE + 1] = "";
	uint64_t key_addr, location, size;
	struct pgm_error *err;
	if ((err = pgm_pg_member_addr(pg, entry, PGM_M_ShmemIndexEnt_key, &key_addr)) ||
	    (err = pgm_target_read(pg->target, key_addr, key, SHMEM_INDEX_KEYSIZE)) ||
	    (err = pgm_pg_read_member(pg, entry, PGM_M_ShmemIndexEnt_location, &location)) ||
	    (err = pgm_pg_read_member(pg, entry, PGM_M_ShmemIndexEnt_size, &size)))
		return problem_err(s, "a ShmemIndex entry", err);
	if (strcmp(key, BUFFER_BLOCKS) == 0 && location > s->header && location - s->header < total &&
	    size <= total - (location - s->header)) {
		s->blocks = location;
		s->blocks_size = size;
	}
	for (size_t i = 0; i < PGM_SH_COUNT; i++) {
		if (strcmp(key, pgm_pg_shmem_name(i)) != 0)
			continue;
		if (location <= s->header || location - s->header >= total)
			return problem(s, "ShmemIndex places \"%s\" at 0x%" PRIx64 ", outside the main segment",
				       key, location);
		s->location[i] = location;
		s->size[i] = size;
	}
	return NULL;
}

static struct pgm_error *walk_index(const struct pgm_pg *pg, struct pgm_pg_shmem *s, uint64_t index,
				    uint64_t total)
{
	uint64_t hdr_size, *entries = NULL;
	struct pgm_instance *scratch = pgm_instance_create();
	struct pgm_error *err = scratch ? pgm_pg_struct_size(pg, PGM_S_HASHHDR, &hdr_size) : &pgm_enomem;
	if (!err)
		err = pgm_pg_hash_entries_at(pg, index, index + hdr_size, PGM_PG_MAX_SHMEM_INDEX, scratch,
					     &entries, &s->n_entries);
	if (err && err != &pgm_enomem)
		err = problem_err(s, "ShmemIndex", err);
	else if (!err && scratch->n_problems)
		err = problem(s, "ShmemIndex: %s", scratch->problems[0]);
	for (size_t i = 0; !err && i < s->n_entries; i++)
		err = read_entry(pg, s, entries[i], total);
	free(entries);
	pgm_instance_destroy(scratch);
	return err;
}

struct pgm_error *pgm_pg_shmem_read(const struct pgm_pg *pg, struct pgm_pg_shmem **ret)
{
	struct pgm_pg_shmem *s = calloc(1, sizeof(*s));
	uint64_t proc_hdr = 0, index = 0, total = 0;
	if (!s)
		return &pgm_enomem;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_ProcGlobal, &proc_hdr);
	if (err)
		err = problem_err(s, "ProcGlobal", err);
	else if (proc_hdr == 0)
		err = problem(s, "%s", "ProcGlobal is NULL: shared memory was not set up");
	else if (!(err = find_header(pg, s, proc_hdr, &index, &total)) && s->header)
		err = walk_index(pg, s, index, total);
	if (err) {
		pgm_pg_shmem_destroy(s);
		return err;
	}
	*ret = s;
	return NULL;
}

bool pgm_pg_shmem_value(const struct pgm_pg_shmem *s, enum pgm_pg_global_id g, uint64_t *ret)
{
	if (g == PGM_G_ShmemSegHdr && s->header) {
		*ret = s->header;
		return true;
	}
	for (size_t i = 0; i < PGM_SH_COUNT; i++)
		if (pgm_pg_shmem_global(i) == g && !pgm_pg_shmem_is_hash(i) && s->location[i]) {
			*ret = s->location[i];
			return true;
		}
	return false;
}

struct pgm_error *pgm_pg_shmem_size(const struct pgm_pg *pg, enum pgm_pg_shmem_id id, uint64_t *ret)
{
	struct pgm_pg_shmem *read = NULL;
	const struct pgm_pg_shmem *s = pg->shmem;
	struct pgm_error *err = NULL;
	if (!s && (err = pgm_pg_shmem_read(pg, &read)))
		return err;
	s = s ? s : read;
	if (s->problem)
		err = pgm_error_create(PGM_ERR_FORMAT, "the shared memory index: %s", s->problem);
	else if (!s->location[id])
		err = pgm_error_create(PGM_ERR_LOOKUP, "\"%s\" is not in the shared memory index", pgm_pg_shmem_name(id));
	else
		*ret = s->size[id];
	pgm_pg_shmem_destroy(read);
	return err;
}

struct pgm_error *pgm_pg_shared_hash(const struct pgm_pg *pg, enum pgm_pg_global_id g,
				     uint64_t *hctl, uint64_t *dir)
{
	uint64_t htab, hdr_size;
	struct pgm_error *err;
	if (pgm_pg_has_global(pg, g)) {
		if ((err = pgm_pg_read_global(pg, g, &htab)))
			return err;
		if (htab == 0)
			return pgm_error_create(PGM_ERR_LOOKUP, "%s is NULL", pgm_pg_global_name(g));
		if ((err = pgm_pg_read_member(pg, htab, PGM_M_HTAB_hctl, hctl)))
			return err;
		return pgm_pg_read_member(pg, htab, PGM_M_HTAB_dir, dir);
	}
	for (size_t i = 0; pg->shmem && i < PGM_SH_COUNT; i++) {
		if (pgm_pg_shmem_global(i) != g || !pgm_pg_shmem_is_hash(i))
			continue;
		if (!pg->shmem->location[i])
			break;
		if ((err = pgm_pg_struct_size(pg, PGM_S_HASHHDR, &hdr_size)))
			return err;
		*hctl = pg->shmem->location[i];
		*dir = *hctl + hdr_size;
		return NULL;
	}
	return pgm_pg_read_global(pg, g, &htab);   /* the error that says why it is unknown */
}
