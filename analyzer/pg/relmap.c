/*
 * A process's private hash tables, and its relcache as a map from file
 * numbers to relations (pg/storage.h).
 *
 * A buffer's tag names a relation file (tablespace, database, file number),
 * not a relation: the relation is whichever RelationData of the process's
 * relcache has that file (rd_node up to 15, rd_locator from 16).  A
 * process waiting on a buffer has its relation open, so its own capture
 * names it.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pg/storage.h"

/* Relations in one relcache: far more than any backend opens. */
#define MAX_RELCACHE_ENTRIES 65536

struct pgm_error *pgm_pg_private_hash(const struct pgm_pg *pg, uint64_t htab, size_t max, struct pgm_report *r,
				      const char *code, uint64_t **ret, size_t *n)
{
	*ret = NULL;
	*n = 0;
	struct pgm_instance *scratch = pgm_instance_create();
	if (!scratch)
		return &pgm_enomem;
	struct pgm_error *err = pgm_pg_hash_entries(pg, htab, max, scratch, ret, n);
	if (err && err != &pgm_enomem) {
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, code, "the hash table at 0x%" PRIx64
								" could not be read: %s", htab, err->message);
		pgm_error_destroy(err);
		err = e2;
	}
	for (size_t i = 0; !err && i < scratch->n_problems; i++)
		err = pgm_report_add_diagnosis(r, code, "%s", scratch->problems[i]);
	pgm_instance_destroy(scratch);
	return err;
}

static struct pgm_error *file_of(const struct pgm_pg *pg, uint64_t rel, uint32_t *db, uint32_t *file)
{
	bool flat = pgm_pg_has_member(pg, PGM_M_RelationData_rd_locator_relNumber);
	uint64_t d = 0, f = 0;   /* on a failed read: copied out, not used */
	struct pgm_error *err = pgm_pg_read_member(pg, rel, flat ? PGM_M_RelationData_rd_locator_dbOid
								 : PGM_M_RelationData_rd_node_dbNode, &d);
	if (!err)
		err = pgm_pg_read_member(pg, rel, flat ? PGM_M_RelationData_rd_locator_relNumber
						       : PGM_M_RelationData_rd_node_relNode, &f);
	*db = (uint32_t)d;
	*file = (uint32_t)f;
	return err;
}

/* One RelIdCacheEnt: its RelationData and that relation's file. */
static struct pgm_error *add_entry(const struct pgm_pg *pg, uint64_t ent, struct pgm_pg_relmap *map)
{
	uint64_t rel;
	struct pgm_pg_relmap_entry e;
	struct pgm_error *err = pgm_pg_read_member(pg, ent, PGM_M_RelIdCacheEnt_reldesc, &rel);
	if (!err && rel == 0)
		return NULL;
	if (!err)
		err = file_of(pg, rel, &e.database, &e.relfilenode);
	if (err)
		return err;
	e.rel = rel;
	map->entries[map->n++] = e;
	return NULL;
}

struct pgm_error *pgm_pg_relmap_read(const struct pgm_pg *pg, struct pgm_report *r, struct pgm_pg_relmap *map)
{
	uint64_t htab = 0, *ents = NULL;
	size_t n = 0;
	map->entries = NULL;
	map->n = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_RelationIdCache, &htab);
	if (err || htab == 0) {
		struct pgm_error *e2 = err ? pgm_pg_note_failure(r, "relcache-unreadable", "the relcache (RelationIdCache)",
							      0, err) : NULL;
		return e2;
	}
	if ((err = pgm_pg_private_hash(pg, htab, MAX_RELCACHE_ENTRIES, r, "relcache-unreadable", &ents, &n)))
		return free(ents), err;
	if (n && !(map->entries = calloc(n, sizeof(*map->entries))))
		return free(ents), &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++) {
		err = add_entry(pg, ents[i], map);
		if (err && err != &pgm_enomem)
			err = pgm_pg_note_failure(r, "relcache-unreadable", "a relcache entry", ents[i], err);
	}
	free(ents);
	return err;
}

void pgm_pg_relmap_free(struct pgm_pg_relmap *map)
{
	free(map->entries);
	map->entries = NULL;
	map->n = 0;
}
