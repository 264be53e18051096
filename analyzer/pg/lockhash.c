/*
 * pg_locks from a core: the shared lock table and the fast-path slots, as
 * GetLockStatusData() and pg_lock_status() read them.
 *
 * The lock table is a dynahash HTAB (layouts private to dynahash.c, from
 * DWARF): HTAB.dir is an array of segments, each `ssize` buckets; a bucket
 * is a chain of HASHELEMENTs whose entry (here a LOCK) follows the element
 * at MAXALIGN(sizeof(HASHELEMENT)).  Buckets 0..max_bucket are in use.
 * Every pointer comes from the capture: walks are bounded and cycle-checked,
 * and a bad chain or entry is noted and skipped, never fatal.
 *
 * Fast-path locks live in each PGPROC: up to 17 fpLockBits is one uint64
 * and fpRelId an inline Oid array; from 18 both are pointers to
 * FastPathLockGroupsPerBackend groups of FP_LOCK_SLOTS_PER_GROUP.  Which
 * applies is told by whether FastPathLockGroupsPerBackend exists.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

#define MAXIMUM_ALIGNOF 8          /* x86_64, the only target pgmortem reads */
#define FAST_PATH_BITS_PER_SLOT 3  /* lock.c: three weak modes per slot */
#define FAST_PATH_MASK 7
#define FAST_PATH_LOCKNUMBER_OFFSET 1   /* bit 0 is AccessShareLock (mode 1) */
#define FP_LOCK_SLOTS_PER_GROUP 16 /* a macro in proc.h; the inline array's length before 18 */
#define MAX_FP_GROUPS 1024         /* FastPathLockGroupsPerBackend is at most 1024 */
#define MAX_LOCKMODES 16
#define EXCLUSIVE_LOCK 7           /* ExclusiveLock: what a virtualxid lock is held in */

struct hash_header {
	uint64_t dir, nsegs, dsize, max_bucket, ssize, sshift, elem_offset;
};

static struct pgm_error *read_hash_header(const struct pgm_pg *pg, uint64_t hctl, uint64_t dir,
					  struct hash_header *h)
{
	uint64_t elem_size;
	struct pgm_error *err;
	h->dir = dir;
	if ((err = pgm_pg_read_member(pg, hctl, PGM_M_HASHHDR_nsegs, &h->nsegs)) ||
	    (err = pgm_pg_read_member(pg, hctl, PGM_M_HASHHDR_dsize, &h->dsize)) ||
	    (err = pgm_pg_read_member(pg, hctl, PGM_M_HASHHDR_max_bucket, &h->max_bucket)) ||
	    (err = pgm_pg_read_member(pg, hctl, PGM_M_HASHHDR_ssize, &h->ssize)) ||
	    (err = pgm_pg_read_member(pg, hctl, PGM_M_HASHHDR_sshift, &h->sshift)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_HASHELEMENT, &elem_size)))
		return err;
	h->elem_offset = (elem_size + MAXIMUM_ALIGNOF - 1) & ~(uint64_t)(MAXIMUM_ALIGNOF - 1);
	bool pow2 = h->ssize && (h->ssize & (h->ssize - 1)) == 0 && h->ssize <= (1u << 20) &&
		    h->sshift < 64 && (1ULL << h->sshift) == h->ssize;
	if (!pow2 || h->nsegs > h->dsize || h->dsize > PGM_PG_MAX_HASH_BUCKETS ||
	    h->max_bucket >= PGM_PG_MAX_HASH_BUCKETS || (h->max_bucket >> h->sshift) >= h->nsegs)
		return pgm_error_create(PGM_ERR_FORMAT, "hash table header at 0x%" PRIx64 " is implausible "
					"(ssize %" PRIu64 ", sshift %" PRIu64 ", nsegs %" PRIu64 ", dsize %" PRIu64
					", max_bucket %" PRIu64 ")", hctl, h->ssize, h->sshift, h->nsegs,
					h->dsize, h->max_bucket);
	return NULL;
}

/* A problem from a failed read or a damaged structure; out of memory passes through. */
static struct pgm_error *note(struct pgm_instance *inst, struct pgm_error *err, const char *what, uint64_t addr)
{
	if (!err || err == &pgm_enomem)
		return err;
	struct pgm_error *e2 = pgm_instance_add_problem(inst, "%s at 0x%" PRIx64 " skipped: %s", what, addr,
							err->message);
	pgm_error_destroy(err);
	return e2;
}

static struct pgm_error *push(uint64_t **v, size_t *n, uint64_t x)
{
	if (*n % 256 == 0) {
		uint64_t *grown = realloc(*v, (*n + 256) * sizeof(**v));
		if (!grown)
			return &pgm_enomem;
		*v = grown;
	}
	(*v)[(*n)++] = x;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Entries v[from..*n) once each: a cycle is walked up to twice before it is caught. */
static void unique_tail(uint64_t *v, size_t from, size_t *n)
{
	qsort(v + from, *n - from, sizeof(*v), cmp_u64);
	size_t u = from;
	for (size_t i = from; i < *n; i++)
		if (u == from || v[u - 1] != v[i])
			v[u++] = v[i];
	*n = u;
}

/* One bucket's chain; Floyd's tortoise catches a cycle, `max` a runaway. */
static struct pgm_error *walk_chain(const struct pgm_pg *pg, const struct hash_header *h, uint64_t elem,
				    size_t max, struct pgm_instance *inst, uint64_t **ret, size_t *n)
{
	uint64_t slow = elem, first = elem;
	size_t steps = 0, start = *n;
	struct pgm_error *err = NULL;
	while (elem != 0 && *n < max) {
		if ((err = push(ret, n, elem + h->elem_offset)))
			return err;
		if ((err = pgm_pg_read_member(pg, elem, PGM_M_HASHELEMENT_link, &elem)))
			break;
		if (++steps % 2 == 0 && (err = pgm_pg_read_member(pg, slow, PGM_M_HASHELEMENT_link, &slow)))
			break;
		if (elem != 0 && elem == slow) {
			unique_tail(*ret, start, n);
			return pgm_instance_add_problem(inst, "hash chain starting at 0x%" PRIx64
							" has a cycle: its %zu distinct entries are shown once",
							first, *n - start);
		}
	}
	return note(inst, err, "the rest of the hash chain", first);
}

struct pgm_error *pgm_pg_hash_entries(const struct pgm_pg *pg, uint64_t htab, size_t max,
				      struct pgm_instance *inst, uint64_t **ret, size_t *n)
{
	uint64_t hctl, dir;
	struct pgm_error *err;
	*ret = NULL;
	*n = 0;
	if ((err = pgm_pg_read_member(pg, htab, PGM_M_HTAB_hctl, &hctl)) ||
	    (err = pgm_pg_read_member(pg, htab, PGM_M_HTAB_dir, &dir)))
		return err;
	return pgm_pg_hash_entries_at(pg, hctl, dir, max, inst, ret, n);
}

struct pgm_error *pgm_pg_hash_entries_at(const struct pgm_pg *pg, uint64_t hctl, uint64_t dir, size_t max,
					 struct pgm_instance *inst, uint64_t **ret, size_t *n)
{
	struct hash_header h;
	*ret = NULL;
	*n = 0;
	struct pgm_error *err = read_hash_header(pg, hctl, dir, &h);
	if (err)
		return err;
	uint64_t *buckets = malloc(h.ssize * sizeof(*buckets));
	if (!buckets)
		return &pgm_enomem;
	for (uint64_t seg = 0; !err && (seg << h.sshift) <= h.max_bucket; seg++) {
		uint64_t seg_addr, count = h.max_bucket + 1 - (seg << h.sshift);
		if (count > h.ssize)
			count = h.ssize;
		err = pgm_target_read_u64(pg->target, h.dir + seg * 8, &seg_addr);
		if (!err)
			err = pgm_target_read(pg->target, seg_addr, buckets, count * sizeof(*buckets));
		if (err) {
			err = note(inst, err, "hash segment", seg);
			continue;
		}
		for (uint64_t b = 0; !err && b < count && *n < max; b++)
			err = walk_chain(pg, &h, buckets[b], max, inst, ret, n);
		if (!err && *n >= max) {
			err = pgm_instance_add_problem(inst, "hash table walk stopped at %zu entries (the bound): any more are not shown", max);
			break;
		}
	}
	free(buckets);
	return err;
}

/* ---- rows ---- */

/* The rows being added, never more than the lock table's settings allow. */
struct lock_walk {
	struct pgm_instance *inst;
	size_t max_rows;
	bool full;               /* max_rows reached: the table is damaged */
};

static struct pgm_error *new_row(struct lock_walk *w, struct pgm_lock_row **ret)
{
	if (w->inst->n_locks >= w->max_rows) {
		w->full = true;
		return pgm_error_create(PGM_ERR_LIMIT, "more lock rows than the lock table can hold");
	}
	if (w->inst->n_locks % 64 == 0) {
		struct pgm_lock_row *grown = realloc(w->inst->locks, (w->inst->n_locks + 64) * sizeof(*grown));
		if (!grown)
			return &pgm_enomem;
		w->inst->locks = grown;
	}
	*ret = &w->inst->locks[w->inst->n_locks++];
	memset(*ret, 0, sizeof(**ret));
	return NULL;
}

static struct pgm_error *mode_name(const struct pgm_pg *pg, uint32_t mode, char **ret)
{
	struct pgm_error *err = pgm_pg_read_name_array(pg, PGM_G_lock_mode_names, mode, ret);
	if (!err || err == &pgm_enomem)
		return err;
	pgm_error_destroy(err);
	return asprintf(ret, "mode %" PRIu32, mode) < 0 ? (*ret = NULL, &pgm_enomem) : NULL;
}

struct pgm_error *pgm_pg_proc_vxid(const struct pgm_pg *pg, uint64_t proc, char **ret)
{
	bool v17 = pgm_pg_has_member(pg, PGM_M_PGPROC_vxid_procNumber);
	int64_t backend;
	uint64_t lxid;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member_signed(pg, proc, v17 ? PGM_M_PGPROC_vxid_procNumber : PGM_M_PGPROC_backendId,
					     &backend)) ||
	    (err = pgm_pg_read_member(pg, proc, v17 ? PGM_M_PGPROC_vxid_lxid : PGM_M_PGPROC_lxid, &lxid)))
		return err;
	return asprintf(ret, "%" PRId64 "/%" PRIu64, backend, lxid) < 0 ? (*ret = NULL, &pgm_enomem) : NULL;
}

/* pid, procno and virtual transaction of the row's PGPROC. */
static struct pgm_error *row_proc(const struct pgm_pg *pg, uint64_t proc, struct pgm_lock_row *row)
{
	uint64_t pid;
	struct pgm_error *err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &pid);
	if (err)
		return err;
	row->pid = (int32_t)pid;
	row->procno = PGM_INVALID_PROCNO;
	pgm_error_destroy(pgm_pg_procno(pg, proc, &row->procno));
	err = pgm_pg_proc_vxid(pg, proc, &row->virtualtransaction);
	if (err && err != &pgm_enomem) {
		pgm_error_destroy(err);
		err = NULL;
	}
	return err;
}

/* ---- the tag: the pg_locks columns of each locktype, as lockfuncs.c fills them ---- */

/* A lock row needs the type's real name: a tag whose type is unnamed is damaged. */
static struct pgm_error *read_tag(const struct pgm_pg *pg, uint64_t lock, struct pgm_lock_tag *tag)
{
	struct pgm_pg_locktag t;
	bool named = false;
	struct pgm_error *err = pgm_pg_read_locktag(pg, lock, &t);
	if (!err)
		err = pgm_pg_lock_tag(pg, &t, tag, &named);
	if (!err && !named)
		err = pgm_error_create(PGM_ERR_FORMAT, "lock tag type %" PRIu64 " is not a LockTagType", t.type);
	return err;
}

/* A row for `proc` holding or requesting `mode` on the lock `tag`; none if any part is unreadable. */
static struct pgm_error *add_lock_row(const struct pgm_pg *pg, struct lock_walk *w, const struct pgm_lock_tag *tag,
				      uint64_t lock, uint64_t proc, uint32_t mode, bool granted, bool fastpath)
{
	struct pgm_lock_row *row = NULL;
	struct pgm_error *err = new_row(w, &row);
	if (err)
		return err;
	row->lock = lock;
	row->granted = granted;
	row->fastpath = fastpath;
	err = row_proc(pg, proc, row);
	if (!err)
		err = pgm_lock_tag_copy(&row->tag, tag);
	if (!err)
		err = mode_name(pg, mode, &row->mode);
	if (err) {
		pgm_lock_row_deinit(row);
		w->inst->n_locks--;
	}
	return err;
}

/* ---- the shared lock table ---- */

static bool ring_offsets(const struct pgm_pg *pg, uint64_t *head_off, uint64_t *next_off)
{
	static const enum pgm_pg_member_id alt[2][2] = {
		{ PGM_M_LOCK_procLocks_head, PGM_M_LOCK_procLocks_head_next },   /* dlist, 16+ */
		{ PGM_M_LOCK_procLocks, PGM_M_LOCK_procLocks_next },             /* SHM_QUEUE, <= 15 */
	};
	for (int i = 0; i < 2; i++) {
		const struct pgm_pg_member *h = &pg->layout->members[alt[i][0]], *x = &pg->layout->members[alt[i][1]];
		if (h->found && x->found && x->offset >= h->offset) {
			*head_off = h->offset;
			*next_off = x->offset - h->offset;
			return true;
		}
	}
	return false;
}

/* One PROCLOCK: a granted row per held mode, and the requested one if its proc waits here. */
static struct pgm_error *proclock_rows(const struct pgm_pg *pg, struct lock_walk *w, const struct pgm_lock_tag *t,
				       uint64_t lock, uint64_t proclock)
{
	uint64_t proc, hold, wait_pl = 0, wait_mode = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, proclock, PGM_M_PROCLOCK_myProc, &proc)) ||
	    (err = pgm_pg_read_member(pg, proclock, PGM_M_PROCLOCK_holdMask, &hold)) ||
	    (err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_waitProcLock, &wait_pl)))
		return err;
	for (uint32_t m = 1; m < MAX_LOCKMODES; m++)
		if ((hold & (1U << m)) && (err = add_lock_row(pg, w, t, lock, proc, m, true, false)))
			return err;
	if (wait_pl != proclock)
		return NULL;
	if ((err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_waitLockMode, &wait_mode)))
		return err;
	if (wait_mode == 0 || wait_mode >= MAX_LOCKMODES)
		return pgm_error_create(PGM_ERR_FORMAT, "waitLockMode %" PRIu64 " is not a lock mode", wait_mode);
	return add_lock_row(pg, w, t, lock, proc, (uint32_t)wait_mode, false, false);
}

static struct pgm_error *lock_rows(const struct pgm_pg *pg, struct lock_walk *w, uint64_t lock)
{
	uint64_t head_off, next_off, link_off, *pl = NULL;
	size_t n = 0;
	struct pgm_lock_tag t = { .locktype = NULL };
	struct pgm_error *err = NULL;
	if (!ring_offsets(pg, &head_off, &next_off))
		return pgm_error_create(PGM_ERR_LOOKUP, "LOCK.procLocks is not in this build's debuginfo");
	if ((err = pgm_pg_member_offset(pg, PGM_M_PROCLOCK_lockLink, &link_off)) || (err = read_tag(pg, lock, &t)))
		return pgm_lock_tag_deinit(&t), note(w->inst, err, "LOCK", lock);
	err = pgm_pg_walk_ring(pg, lock + head_off, next_off, link_off, &pl, &n);
	if (err)
		err = note(w->inst, err, "part of the PROCLOCK list of the LOCK", lock);
	for (size_t i = 0; !err && i < n && !w->full; i++) {
		size_t before = w->inst->n_locks;
		struct pgm_error *e2 = proclock_rows(pg, w, &t, lock, pl[i]);
		while (e2 && e2 != &pgm_enomem && w->inst->n_locks > before)
			pgm_lock_row_deinit(&w->inst->locks[--w->inst->n_locks]);
		err = note(w->inst, e2, "PROCLOCK", pl[i]);
	}
	free(pl);
	pgm_lock_tag_deinit(&t);
	return err;
}

/* ---- fast path ---- */

struct fp_slots {
	bool pointers;           /* 18: fpLockBits/fpRelId point to groups */
	uint64_t groups;
	uint64_t inline_slots;
};

static struct pgm_error *fp_shape(const struct pgm_pg *pg, struct fp_slots *s)
{
	int64_t groups = 0;
	s->pointers = pgm_pg_has_global(pg, PGM_G_FastPathLockGroupsPerBackend);
	const struct pgm_pg_member *rel = &pg->layout->members[PGM_M_PGPROC_fpRelId];
	if (!rel->found || !pgm_pg_has_member(pg, PGM_M_PGPROC_fpLockBits))
		return pgm_error_create(PGM_ERR_LOOKUP, "PGPROC.fpLockBits is not in this build's debuginfo");
	if (!s->pointers) {
		s->groups = 1;
		s->inline_slots = rel->size / 4;
		return s->inline_slots && s->inline_slots <= 64 / FAST_PATH_BITS_PER_SLOT ? NULL
			: pgm_error_create(PGM_ERR_FORMAT, "PGPROC.fpRelId has an unexpected size");
	}
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_FastPathLockGroupsPerBackend, &groups);
	if (!err && (groups < 1 || groups > MAX_FP_GROUPS))
		err = pgm_error_create(PGM_ERR_FORMAT, "FastPathLockGroupsPerBackend is %" PRId64, groups);
	s->groups = (uint64_t)groups;
	s->inline_slots = FP_LOCK_SLOTS_PER_GROUP;
	return err;
}

static struct pgm_error *fp_row(const struct pgm_pg *pg, struct lock_walk *w, uint64_t proc,
				uint64_t db, uint32_t relid, uint32_t mode)
{
	struct pgm_lock_tag t = { .locktype = (char *)"relation", .has_database = true, .database = (uint32_t)db,
				  .has_relation = true, .relation = relid };
	return add_lock_row(pg, w, &t, 0, proc, mode, true, true);
}

static struct pgm_error *fp_group(const struct pgm_pg *pg, struct lock_walk *w, uint64_t proc,
				  uint64_t bits, uint64_t rel_addr, uint64_t slots, uint64_t db)
{
	for (uint64_t j = 0; j < slots; j++) {
		uint32_t lockbits = (uint32_t)(bits >> (FAST_PATH_BITS_PER_SLOT * j)) & FAST_PATH_MASK, relid;
		if (!lockbits)
			continue;
		struct pgm_error *err = pgm_target_read_u32(pg->target, rel_addr + 4 * j, &relid);
		for (uint32_t b = 0; !err && b < FAST_PATH_BITS_PER_SLOT; b++)
			if (lockbits & (1U << b))
				err = fp_row(pg, w, proc, db, relid, b + FAST_PATH_LOCKNUMBER_OFFSET);
		if (err)
			return err;
	}
	return NULL;
}

static struct pgm_error *fp_vxid(const struct pgm_pg *pg, struct lock_walk *w, uint64_t proc)
{
	uint64_t held, lxid;
	int64_t backend;
	bool v17 = pgm_pg_has_member(pg, PGM_M_PGPROC_vxid_procNumber);
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_fpVXIDLock, &held)) || !held ||
	    (err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_fpLocalTransactionId, &lxid)) ||
	    (err = pgm_pg_read_member_signed(pg, proc, v17 ? PGM_M_PGPROC_vxid_procNumber : PGM_M_PGPROC_backendId,
					     &backend)))
		return err;
	char vxid[48];
	snprintf(vxid, sizeof(vxid), "%" PRId64 "/%" PRIu64, backend, lxid);
	struct pgm_lock_tag t = { .locktype = (char *)"virtualxid", .has_virtualxid = true, .virtualxid = vxid };
	return add_lock_row(pg, w, &t, 0, proc, EXCLUSIVE_LOCK, true, true);
}

static struct pgm_error *fp_rows(const struct pgm_pg *pg, struct lock_walk *w, uint64_t proc,
				 const struct fp_slots *s)
{
	uint64_t db, bits_addr, rel_addr, bits;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_databaseId, &db)))
		return err;
	if (s->pointers) {
		err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_fpLockBits, &bits_addr);
		if (!err)
			err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_fpRelId, &rel_addr);
	} else {
		err = pgm_pg_member_addr(pg, proc, PGM_M_PGPROC_fpLockBits, &bits_addr);
		if (!err)
			err = pgm_pg_member_addr(pg, proc, PGM_M_PGPROC_fpRelId, &rel_addr);
	}
	for (uint64_t g = 0; !err && g < s->groups; g++) {
		err = pgm_target_read_u64(pg->target, bits_addr + 8 * g, &bits);
		if (!err && bits)
			err = fp_group(pg, w, proc, bits, rel_addr + 4 * g * s->inline_slots, s->inline_slots, db);
	}
	return err ? err : fp_vxid(pg, w, proc);
}

static struct pgm_error *fastpath_rows(const struct pgm_pg *pg, struct lock_walk *w)
{
	struct fp_slots s = { .pointers = false };
	struct pgm_error *err = fp_shape(pg, &s);
	if (err)
		return note(w->inst, err, "fast-path locks of every PGPROC", 0);
	for (int64_t procno = 0; !err && !w->full; procno++) {
		uint64_t proc;
		struct pgm_error *e2 = pgm_pg_proc_addr(pg, procno, &proc);
		if (e2) {
			pgm_error_destroy(e2);
			break;
		}
		err = note(w->inst, fp_rows(pg, w, proc, &s), "fast-path slots of PGPROC", proc);
	}
	return err;
}

/*
 * How big the lock table can be: NLOCKENTS() = max_locks_per_xact *
 * (MaxBackends + max_prepared_xacts) LOCKs, and twice as many PROCLOCKs.
 * Shared hash tables may grow into the spare shared memory past that, so
 * the bounds leave room (four times, at least 65536), but a table that
 * claims more was damaged: its entries would be read from unrelated memory.
 */
static void lock_bounds(const struct pgm_pg *pg, size_t *max_locks, size_t *max_rows)
{
	int64_t per_xact = 0, backends = 0, prepared = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global_signed(pg, PGM_G_max_locks_per_xact, &per_xact)) ||
	    (err = pgm_pg_read_global_signed(pg, PGM_G_MaxBackends, &backends)) ||
	    (err = pgm_pg_read_global_signed(pg, PGM_G_max_prepared_xacts, &prepared)))
		per_xact = 0;
	/* unreadable settings leave only pgmortem's own bounds */
	pgm_error_destroy(err);
	uint64_t nlockents = per_xact > 0 && per_xact < (1 << 20) && backends > 0 && backends <= PGM_PG_MAX_PROCS &&
			     prepared >= 0 && prepared <= PGM_PG_MAX_PROCS
		? (uint64_t)per_xact * (uint64_t)(backends + prepared) : PGM_PG_MAX_HASH_ENTRIES;
	uint64_t locks = 4 * nlockents < 65536 ? 65536 : 4 * nlockents;
	*max_locks = locks < PGM_PG_MAX_HASH_ENTRIES ? (size_t)locks : PGM_PG_MAX_HASH_ENTRIES;
	/* each PROCLOCK holds at most the 8 modes of the default method, and waits for one more */
	*max_rows = 2 * *max_locks * 9 + (size_t)(backends > 0 && backends <= PGM_PG_MAX_PROCS ? backends : 1024) * 64;
}

struct pgm_error *pgm_pg_read_locks(const struct pgm_pg *pg, struct pgm_instance *inst)
{
	uint64_t hctl = 0, dir, *locks = NULL;
	size_t n = 0, max_locks;
	struct lock_walk w = { .inst = inst };
	lock_bounds(pg, &max_locks, &w.max_rows);
	struct pgm_error *err = pgm_pg_shared_hash(pg, PGM_G_LockMethodLockHash, &hctl, &dir);
	if (!err)
		err = pgm_pg_hash_entries_at(pg, hctl, dir, max_locks, inst, &locks, &n);
	inst->locks_known = !err;
	if (err)
		err = note(inst, err, "the shared lock table (LockMethodLockHash)", hctl);
	for (size_t i = 0; !err && i < n && !w.full; i++)
		err = lock_rows(pg, &w, locks[i]);
	free(locks);
	if (!err && !w.full)
		err = fastpath_rows(pg, &w);
	if (!err && w.full) {
		inst->locks_known = false;
		err = pgm_instance_add_problem(inst, "the lock table yields more than the %zu rows its settings allow: "
					       "it is damaged, and the rows after those are not shown", w.max_rows);
	}
	return err;
}
