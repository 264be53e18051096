/*
 * The LWLock a backend waits for, without its address.  A build with no
 * debuginfo names no frame variable (LWLockAcquire's `lock`), but the
 * waiter is on exactly one LWLock's wait queue: a proclist whose first and
 * last procnos are held in the LWLock itself (waiters.head, .tail), the
 * members linked through PGPROC.lwWaitLink.  The waiter's own links lead to
 * those two ends; the LWLock of the waited tranche that holds them is the
 * lock.  Only the main segment is searched (LWLocks in DSM segments stay
 * unknown), less "Buffer Blocks" (data pages); a second match makes the
 * answer unknown, never a guess.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

#define CHUNK (1u << 20)

/* One end of the waiter's queue: follow `link` (next or prev) until INVALID_PGPROCNO. */
static struct pgm_error *queue_end(const struct pgm_pg *pg, int32_t self, enum pgm_pg_member_id link, int32_t *ret)
{
	uint64_t count, proc;
	int64_t to;
	int32_t at = self;
	struct pgm_error *err = pgm_pg_proc_count(pg, &count);
	for (uint64_t steps = 0; !err && steps <= count; steps++) {
		if ((err = pgm_pg_proc_addr(pg, at, &proc)) || (err = pgm_pg_read_member_signed(pg, proc, link, &to)))
			break;
		if (pgm_pg_proclist_end((int32_t)to)) {
			*ret = at;
			return NULL;
		}
		at = (int32_t)to;
	}
	return err ? err : pgm_error_create(PGM_ERR_LIMIT, "the LWLock wait queue of procno %d does not end", self);
}

struct lock_search {
	uint64_t tranche_off, head_off, tail_off;
	uint16_t tranche;
	int32_t head, tail;
	uint64_t found;
	size_t matches;
};

static void scan(struct lock_search *s, const uint8_t *buf, size_t len, uint64_t base)
{
	uint64_t span = s->tail_off + 4 > s->head_off + 4 ? s->tail_off + 4 : s->head_off + 4;
	for (size_t i = 0; i + span <= len; i += 4) {
		int32_t head, tail;
		uint16_t tranche;
		memcpy(&head, buf + i + s->head_off, 4);
		if (head != s->head)
			continue;
		memcpy(&tail, buf + i + s->tail_off, 4);
		memcpy(&tranche, buf + i + s->tranche_off, 2);
		if (tail == s->tail && tranche == s->tranche && s->matches++ == 0)
			s->found = base + i;
	}
}

/* [from, to) in chunks that overlap by an LWLock, so none is split unseen. */
static struct pgm_error *scan_range(const struct pgm_pg *pg, struct lock_search *s, uint64_t from, uint64_t to)
{
	uint8_t *buf = malloc(CHUNK);
	struct pgm_error *err = buf ? NULL : &pgm_enomem;
	for (uint64_t at = from; !err && at < to; at += CHUNK - 64) {
		size_t len = to - at < CHUNK ? (size_t)(to - at) : CHUNK;
		err = pgm_target_read(pg->target, at, buf, len);
		if (!err)
			scan(s, buf, len, at);
		if (len < CHUNK)
			break;
	}
	free(buf);
	return err;
}

static struct pgm_error *search(const struct pgm_pg *pg, struct lock_search *s)
{
	const struct pgm_pg_shmem *sh = pg->shmem;
	uint64_t total;
	struct pgm_error *err = pgm_pg_read_member(pg, sh->header, PGM_M_PGShmemHeader_totalsize, &total);
	uint64_t end = sh->header + total, skip = sh->blocks ? sh->blocks : end;
	uint64_t skip_end = sh->blocks ? sh->blocks + sh->blocks_size : end;
	if (!err)
		err = scan_range(pg, s, sh->header, skip < end ? skip : end);
	if (!err && skip_end < end)
		err = scan_range(pg, s, skip_end, end);
	return err;
}

struct pgm_error *pgm_pg_find_waited_lwlock(const struct pgm_pg *pg, int32_t self_procno, uint32_t tranche,
					    uint64_t *ret)
{
	struct lock_search s = { .tranche = (uint16_t)tranche };
	uint64_t proc;
	int64_t next = 0, prev = 0;
	struct pgm_error *err;
	if (!pg->shmem || !pg->shmem->header)
		return pgm_error_create(PGM_ERR_LOOKUP, "the main shared memory segment was not found");
	if ((err = pgm_pg_proc_addr(pg, self_procno, &proc)) ||
	    (err = pgm_pg_read_member_signed(pg, proc, PGM_M_PGPROC_lwWaitLink_next, &next)) ||
	    (err = pgm_pg_read_member_signed(pg, proc, PGM_M_PGPROC_lwWaitLink_prev, &prev)))
		return err;
	if (next == 0 && prev == 0)   /* proclist.h: how a node in no list looks */
		return pgm_error_create(PGM_ERR_LOOKUP, "procno %d is on no LWLock's wait queue", self_procno);
	if ((err = pgm_pg_member_offset(pg, PGM_M_LWLock_tranche, &s.tranche_off)) ||
	    (err = pgm_pg_member_offset(pg, PGM_M_LWLock_waiters_head, &s.head_off)) ||
	    (err = pgm_pg_member_offset(pg, PGM_M_LWLock_waiters_tail, &s.tail_off)) ||
	    (err = queue_end(pg, self_procno, PGM_M_PGPROC_lwWaitLink_prev, &s.head)) ||
	    (err = queue_end(pg, self_procno, PGM_M_PGPROC_lwWaitLink_next, &s.tail)) ||
	    (err = search(pg, &s)))
		return err;
	if (s.matches != 1)
		return pgm_error_create(PGM_ERR_LOOKUP, "%zu LWLocks of tranche %u in the main segment have the "
					"wait queue %d..%d that holds procno %d", s.matches, tranche, s.head, s.tail,
					self_procno);
	*ret = s.found;
	return NULL;
}
