/*
 * A commit waiting in SyncRepWaitForLSN (syncrep.c): the LSN it waits for
 * and its state (MyProc->waitLSN, syncRepState), what it waits for
 * (SyncRepWaitMode, from synchronous_commit), the standbys it may wait for
 * (synchronous_standby_names), how far the walsenders have released
 * waiters (WalSndCtl->lsn[mode]) and every walsender.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pg/pg.h"

#define NUM_SYNC_REP_WAIT_MODE 3     /* syncrep.h: write, flush, apply */

static struct pgm_error *read_mode(const struct pgm_pg *pg, struct pgm_syncrep_wait *s)
{
	int64_t mode;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_SyncRepWaitMode, &mode);
	if (err)
		return err;
	s->mode = mode >= -1 && mode < NUM_SYNC_REP_WAIT_MODE ? (enum pgm_syncrep_mode)mode : PGM_SYNCREP_MODE_UNKNOWN;
	return NULL;
}

static struct pgm_error *read_released(const struct pgm_pg *pg, struct pgm_syncrep_wait *s)
{
	uint64_t ctl, lsn0;
	struct pgm_error *err;
	if (s->mode < 0)
		return NULL;
	if ((err = pgm_pg_read_global(pg, PGM_G_WalSndCtl, &ctl)) ||
	    (err = pgm_pg_member_addr(pg, ctl, PGM_M_WalSndCtlData_lsn, &lsn0)))
		return err;
	uint64_t addr = lsn0 + (uint64_t)s->mode * sizeof(uint64_t);
	if ((err = pgm_target_read(pg->target, addr, &s->released_lsn, sizeof(s->released_lsn))))
		return err;
	s->released_known = true;
	return NULL;
}

static struct pgm_error *read_proc(const struct pgm_pg *pg, uint64_t proc, struct pgm_syncrep_wait *s)
{
	int64_t state;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_waitLSN, &s->lsn)))
		return err;
	s->lsn_known = true;
	if ((err = pgm_pg_read_member_signed(pg, proc, PGM_M_PGPROC_syncRepState, &state)))
		return err;
	s->state_known = true;
	s->state = (int32_t)state;
	return NULL;
}

static struct pgm_error *read_names(const struct pgm_pg *pg, struct pgm_syncrep_wait *s)
{
	uint64_t names;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_SyncRepStandbyNames, &names);
	if (!err && names)
		err = pgm_target_read_text(pg->target, names, PGM_PG_MAX_STRING, &s->standby_names);
	return err;
}

struct pgm_error *pgm_pg_read_syncrep_wait(const struct pgm_pg *pg, uint64_t proc, struct pgm_report *r)
{
	struct pgm_syncrep_wait *s = &r->wait.syncrep;
	s->mode = PGM_SYNCREP_MODE_UNKNOWN;
	s->max_wal_senders = -1;
	struct pgm_error *err = read_proc(pg, proc, s);
	if ((err = pgm_pg_note_failure(r, "syncrep-proc-unreadable", "the PGPROC's synchronous replication state",
				       proc, err)) ||
	    (err = pgm_pg_note_failure(r, "syncrep-names-unreadable", "synchronous_standby_names", 0,
				       read_names(pg, s))))
		return err;
	err = read_mode(pg, s);
	if (!err)
		err = read_released(pg, s);
	if ((err = pgm_pg_note_failure(r, "syncrep-released-unreadable", "WalSndCtl's released LSNs", 0, err)))
		return err;
	err = pgm_pg_read_walsenders(pg, &s->walsenders, &s->n_walsenders, &s->max_wal_senders);
	s->walsenders_known = err == NULL;
	return pgm_pg_note_failure(r, "walsenders-unreadable", "the walsenders (WalSndCtl)", 0, err);
}
