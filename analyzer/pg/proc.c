/* PGPROC: finding procs by number, MyProc, and walking proclists. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

struct all_procs {
	uint64_t base;
	uint64_t count;
	uint64_t stride;
};

/*
 * allProcCount is MaxBackends plus the auxiliary processes (NUM_AUXILIARY_PROCS:
 * a handful up to 17, 6 plus MAX_IO_WORKERS = 32 from 18), so a count past
 * MaxBackends + MAX_AUX_PROCS means a damaged ProcGlobal, not a large
 * server: its PGPROCs would be read from unrelated memory.
 */
#define MAX_AUX_PROCS 64

static struct pgm_error *check_proc_count(const struct pgm_pg *pg, uint64_t count)
{
	int64_t max_backends;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_MaxBackends, &max_backends);
	if (err) {
		/* MaxBackends unknown: PGM_PG_MAX_PROCS is the only bound */
		pgm_error_destroy(err);
		return NULL;
	}
	if (max_backends < 1 || max_backends > PGM_PG_MAX_PROCS || count > (uint64_t)max_backends + MAX_AUX_PROCS)
		return pgm_error_create(PGM_ERR_FORMAT, "ProcGlobal->allProcCount is %" PRIu64 " but MaxBackends is %"
					PRId64 ": the PGPROC array's header is damaged", count, max_backends);
	return NULL;
}

static struct pgm_error *read_all_procs(const struct pgm_pg *pg, struct all_procs *ret)
{
	uint64_t proc_hdr;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_ProcGlobal, &proc_hdr);
	if (err)
		return err;
	if (proc_hdr == 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "ProcGlobal is NULL (shared memory not initialized)");
	if ((err = pgm_pg_read_member(pg, proc_hdr, PGM_M_PROC_HDR_allProcs, &ret->base)) ||
	    (err = pgm_pg_read_member(pg, proc_hdr, PGM_M_PROC_HDR_allProcCount, &ret->count)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_PGPROC, &ret->stride)))
		return err;
	if (ret->count > PGM_PG_MAX_PROCS)
		return pgm_error_create(PGM_ERR_LIMIT, "ProcGlobal->allProcCount is %" PRIu64
					", more than the %d pgmortem accepts", ret->count, PGM_PG_MAX_PROCS);
	return check_proc_count(pg, ret->count);
}

struct pgm_error *pgm_pg_proc_count(const struct pgm_pg *pg, uint64_t *ret)
{
	struct all_procs ap;
	struct pgm_error *err = read_all_procs(pg, &ap);
	if (!err)
		*ret = ap.count;
	return err;
}

struct pgm_error *pgm_pg_proc_addr(const struct pgm_pg *pg, int64_t procno, uint64_t *ret)
{
	struct all_procs ap;
	struct pgm_error *err = read_all_procs(pg, &ap);
	if (err)
		return err;
	if (procno < 0 || (uint64_t)procno >= ap.count)
		return pgm_error_create(PGM_ERR_LIMIT, "procno %" PRId64 " outside allProcs[0..%" PRIu64 ")",
					procno, ap.count);
	*ret = ap.base + (uint64_t)procno * ap.stride;
	return NULL;
}

struct pgm_error *pgm_pg_procno(const struct pgm_pg *pg, uint64_t proc, int32_t *ret)
{
	struct all_procs ap;
	struct pgm_error *err = read_all_procs(pg, &ap);
	if (err)
		return err;
	if (proc < ap.base || (proc - ap.base) % ap.stride != 0 ||
	    (proc - ap.base) / ap.stride >= ap.count)
		return pgm_error_create(PGM_ERR_LIMIT, "0x%" PRIx64 " is not a PGPROC in allProcs", proc);
	*ret = (int32_t)((proc - ap.base) / ap.stride);
	return NULL;
}

struct pgm_error *pgm_pg_my_proc(const struct pgm_pg *pg, uint64_t *ret)
{
	return pgm_pg_read_global(pg, PGM_G_MyProc, ret);
}

/*
 * proclist links are procnos, not pointers (they must work at different
 * addresses in each process).  The end marker is a macro, invisible to
 * DWARF: INVALID_PGPROCNO was PG_INT32_MAX up to 16, INVALID_PROC_NUMBER is
 * -1 from 17.  Neither can be a real procno, so both end the walk.
 */
bool pgm_pg_proclist_end(int32_t procno)
{
	return procno == PGM_INVALID_PROCNO || procno == INT32_MAX;
}

struct pgm_error *pgm_pg_walk_proclist(const struct pgm_pg *pg, int32_t head,
				       enum pgm_pg_member_id next_link,
				       int32_t *procnos, size_t max, size_t *n)
{
	struct all_procs ap;
	struct pgm_error *err = read_all_procs(pg, &ap);
	*n = 0;
	if (err)
		return err;
	int32_t cur = head;
	uint64_t steps = 0;
	while (!pgm_pg_proclist_end(cur)) {
		if (cur < 0 || (uint64_t)cur >= ap.count)
			return pgm_error_create(PGM_ERR_FORMAT, "proclist entry %" PRId32
						" outside allProcs[0..%" PRIu64 ")", cur, ap.count);
		/* a list longer than the proc array must revisit an entry */
		if (++steps > ap.count)
			return pgm_error_create(PGM_ERR_LIMIT, "proclist starting at procno %" PRId32
						" has a cycle", head);
		if (*n < max)
			procnos[(*n)++] = cur;
		int64_t next;
		err = pgm_pg_read_member_signed(pg, ap.base + (uint64_t)cur * ap.stride, next_link, &next);
		if (err)
			return err;
		cur = (int32_t)next;
	}
	return NULL;
}

struct pgm_error *pgm_pg_add_proclist_waiters(const struct pgm_pg *pg, int32_t head,
					      enum pgm_pg_member_id next_link, int32_t self_procno,
					      struct pgm_wait *w)
{
	int32_t procnos[256];
	size_t n = 0;
	struct pgm_error *err = pgm_pg_walk_proclist(pg, head, next_link, procnos,
						     sizeof(procnos) / sizeof(procnos[0]), &n);
	for (size_t i = 0; i < n; i++) {
		struct pgm_error *e2 = pgm_wait_add_waiter(w, procnos[i], pgm_pg_procno_pid(pg, procnos[i]),
							   procnos[i] == self_procno);
		if (e2)
			return pgm_error_destroy(err), e2;
	}
	w->waiters_known = err == NULL;
	return err;
}

int32_t pgm_pg_procno_pid(const struct pgm_pg *pg, int32_t procno)
{
	uint64_t proc, pid = 0;
	struct pgm_error *err = pgm_pg_proc_addr(pg, procno, &proc);
	if (!err)
		err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &pid);
	pgm_error_destroy(err);
	return err ? 0 : (int32_t)pid;
}

/* ---- issue 16: a PGPROC by pid; a proclist rebuilt from one member ---- */

struct pgm_error *pgm_pg_proc_by_pid(const struct pgm_pg *pg, int32_t pid, uint64_t *ret)
{
	struct all_procs ap;
	struct pgm_error *err = read_all_procs(pg, &ap);
	if (err)
		return err;
	for (uint64_t i = 0; i < ap.count && pid > 0; i++) {
		uint64_t p;
		if ((err = pgm_pg_read_member(pg, ap.base + i * ap.stride, PGM_M_PGPROC_pid, &p)))
			return err;
		if ((int32_t)p == pid) {
			*ret = ap.base + i * ap.stride;
			return NULL;
		}
	}
	return pgm_error_create(PGM_ERR_LOOKUP, "no PGPROC of pid %d", (int)pid);
}

/*
 * Reads the {next, prev} links of procno `p` and checks that its neighbour
 * in direction `link` links back to it: a one-way link is a damaged list.
 */
static struct pgm_error *step(const struct pgm_pg *pg, const struct all_procs *ap, int32_t p,
			      enum pgm_pg_member_id link, enum pgm_pg_member_id back, int32_t *ret)
{
	int64_t to, from;
	struct pgm_error *err = pgm_pg_read_member_signed(pg, ap->base + (uint64_t)p * ap->stride, link, &to);
	if (err || pgm_pg_proclist_end((int32_t)to))
		return *ret = (int32_t)to, err;
	if (to < 0 || (uint64_t)to >= ap->count)
		return pgm_error_create(PGM_ERR_FORMAT, "proclist link %" PRId64 " of procno %" PRId32
					" outside allProcs[0..%" PRIu64 ")", to, p, ap->count);
	if ((err = pgm_pg_read_member_signed(pg, ap->base + (uint64_t)to * ap->stride, back, &from)))
		return err;
	if (from != p)
		return pgm_error_create(PGM_ERR_FORMAT, "proclist damaged: procno %" PRId32 " links to %" PRId64
					", which links back to %" PRId64, p, to, from);
	*ret = (int32_t)to;
	return NULL;
}

/*
 * Appends the procnos from `self` towards one end (self excluded).  `seen`
 * (one byte per procno, shared by both directions) makes a revisit a
 * cycle, so no walk exceeds allProcCount steps.
 */
static struct pgm_error *walk_one_way(const struct pgm_pg *pg, const struct all_procs *ap, int32_t self,
				      enum pgm_pg_member_id link, enum pgm_pg_member_id back,
				      uint8_t *seen, int32_t *out, size_t *n)
{
	int32_t cur = self;
	for (;;) {
		int32_t next = PGM_INVALID_PROCNO;
		struct pgm_error *err = step(pg, ap, cur, link, back, &next);
		if (err || pgm_pg_proclist_end(next))
			return err;
		if (seen[next])
			return pgm_error_create(PGM_ERR_LIMIT, "the proclist through procno %" PRId32
						" has a cycle at procno %" PRId32, self, next);
		seen[next] = 1;
		out[(*n)++] = cur = next;
	}
}

static struct pgm_error *walk_both_ways(const struct pgm_pg *pg, const struct all_procs *ap, int32_t self,
					enum pgm_pg_member_id next_link, enum pgm_pg_member_id prev_link,
					int32_t **ret, size_t *n)
{
	size_t n_prev = 0, n_next = 0;
	uint8_t *seen = calloc((size_t)ap->count, 1);
	int32_t *before = calloc((size_t)ap->count, sizeof(*before));
	int32_t *after = calloc((size_t)ap->count, sizeof(*after));
	struct pgm_error *err = seen && before && after ? NULL : &pgm_enomem;
	if (!err) {
		seen[self] = 1;
		err = walk_one_way(pg, ap, self, prev_link, next_link, seen, before, &n_prev);
	}
	if (!err)
		err = walk_one_way(pg, ap, self, next_link, prev_link, seen, after, &n_next);
	int32_t *list = err ? NULL : calloc(n_prev + 1 + n_next, sizeof(*list));
	if (!err && !list)
		err = &pgm_enomem;
	if (!err) {
		for (size_t i = 0; i < n_prev; i++)
			list[i] = before[n_prev - 1 - i];     /* head first */
		list[n_prev] = self;
		memcpy(list + n_prev + 1, after, n_next * sizeof(*after));
		*ret = list;
		*n = n_prev + 1 + n_next;
	}
	free(seen);
	free(before);
	free(after);
	return err;
}

struct pgm_error *pgm_pg_walk_proclist_from(const struct pgm_pg *pg, int32_t self,
					    enum pgm_pg_member_id next_link, enum pgm_pg_member_id prev_link,
					    int32_t **ret, size_t *n, bool *on_list)
{
	struct all_procs ap;
	*ret = NULL;
	*n = 0;
	*on_list = false;
	struct pgm_error *err = read_all_procs(pg, &ap);
	if (err)
		return err;
	if (self < 0 || (uint64_t)self >= ap.count)
		return pgm_error_create(PGM_ERR_LIMIT, "procno %" PRId32 " outside allProcs", self);
	int64_t next, prev;
	uint64_t me = ap.base + (uint64_t)self * ap.stride;
	if ((err = pgm_pg_read_member_signed(pg, me, next_link, &next)) ||
	    (err = pgm_pg_read_member_signed(pg, me, prev_link, &prev)))
		return err;
	/* proclist_delete leaves {0, 0}: not on a list (proclist_contains is ambiguous the same way for procno 0) */
	if (next == 0 && prev == 0 && self != 0)
		return NULL;
	*on_list = true;
	return walk_both_ways(pg, &ap, self, next_link, prev_link, ret, n);
}
