/*
 * A backend asleep in LWLockAcquire: the lock, what it asks for, and who
 * else is queued.  Who holds an LWLock is recorded only in each holder's
 * private held_lwlocks[], so one core cannot tell.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

static struct pgm_error *read_state(const struct pgm_pg *pg, uint64_t lock, struct pgm_lwlock_wait *l)
{
	struct pgm_lwlock_state s;
	uint32_t tranche;
	struct pgm_error *err = pgm_pg_read_lwlock(pg, lock, &tranche, &s);
	if (err && err->code == PGM_ERR_LOOKUP) {
		/* the lock word's bits depend on the server version: unknown version, undecoded word */
		pgm_error_destroy(err);
		return NULL;
	}
	if (err)
		return err;
	l->state_known = true;
	l->exclusive = s.exclusive;
	l->shared = s.shared;
	l->has_waiters = s.has_waiters;
	return NULL;
}

static struct pgm_error *read_tranche(const struct pgm_pg *pg, uint64_t lock, struct pgm_lwlock_wait *l)
{
	uint64_t tranche = 0;
	struct pgm_error *err = pgm_pg_read_member(pg, lock, PGM_M_LWLock_tranche, &tranche);
	if (err)
		return err;
	l->tranche_id = (uint32_t)tranche;
	if ((err = pgm_pg_lwlock_tranche_name(pg, (uint32_t)tranche, &l->tranche)) == &pgm_enomem)
		return err;
	/* an unnamed tranche (an extension's, not registered in this process) is shown by number */
	pgm_error_destroy(err);
	if (!l->tranche && asprintf(&l->tranche, "tranche %" PRIu64, tranche) < 0)
		return l->tranche = NULL, &pgm_enomem;
	return NULL;
}

/* The mode the waiter asked for, from its PGPROC; "unknown" when that cannot be read. */
static struct pgm_error *read_mode(const struct pgm_pg *pg, uint64_t proc, struct pgm_lwlock_wait *l)
{
	uint64_t mode = 0;
	struct pgm_error *err = proc ? pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lwWaitMode, &mode) : NULL;
	const char *name = proc && !err ? pgm_pg_lwlock_mode_name(pg, mode) : "unknown";
	pgm_error_destroy(err);
	return pgm_model_strdup(&l->mode, name);
}

struct pgm_error *pgm_pg_read_lwlock_wait(const struct pgm_pg *pg, uint64_t lock, uint64_t proc,
					  int32_t self_procno, struct pgm_wait *w)
{
	struct pgm_lwlock_wait *l = &w->lwlock;
	int64_t head;
	struct pgm_error *err;
	if ((err = read_tranche(pg, lock, l)) || (err = read_state(pg, lock, l)) || (err = read_mode(pg, proc, l)))
		return err;
	if ((err = pgm_pg_read_member_signed(pg, lock, PGM_M_LWLock_waiters_head, &head)))
		return err;
	return pgm_pg_add_proclist_waiters(pg, (int32_t)head, PGM_M_PGPROC_lwWaitLink_next, self_procno, w);
}
