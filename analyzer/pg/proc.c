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
