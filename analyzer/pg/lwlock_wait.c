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

static struct pgm_error *add_state(const struct pgm_pg *pg, uint64_t lock, const char *tranche_name,
				   uint32_t tranche, struct pgm_fields *o, struct pgm_lwlock_state *s)
{
	struct pgm_error *err;
	if ((err = pgm_fields_add_str(o, "tranche", tranche_name)) ||
	    (err = pgm_fields_add_uint(o, "tranche_id", tranche)))
		return err;
	if ((err = pgm_pg_read_lwlock(pg, lock, &tranche, s))) {
		if (err->code != PGM_ERR_LOOKUP)
			return err;
		pgm_error_destroy(err);  /* lock word undecodable: leave its fields out */
		return NULL;
	}
	if ((err = pgm_fields_add_bool(o, "exclusive", s->exclusive)) ||
	    (err = pgm_fields_add_uint(o, "shared", s->shared)))
		return err;
	return pgm_fields_add_bool(o, "has_waiters", s->has_waiters);
}

static struct pgm_error *add_waiters(const struct pgm_pg *pg, uint64_t lock, int32_t self_procno,
				     struct pgm_wait *w)
{
	int64_t head;
	struct pgm_error *err = pgm_pg_read_member_signed(pg, lock, PGM_M_LWLock_waiters_head, &head);
	if (err)
		return err;
	return pgm_pg_add_proclist_waiters(pg, (int32_t)head, PGM_M_PGPROC_lwWaitLink_next, self_procno, w);
}

static struct pgm_error *describe(const char *tranche, const char *mode, uint64_t lock,
				  const struct pgm_lwlock_state *s, bool state_known, struct pgm_wait *w)
{
	char held[64] = "";
	if (state_known && s->exclusive)
		snprintf(held, sizeof(held), "; it is held exclusively");
	else if (state_known && s->shared)
		snprintf(held, sizeof(held), "; it is held shared by %" PRIu32, s->shared);
	if (asprintf(&w->description, "%s LWLock at 0x%" PRIx64 " (%s mode)%s",
		     tranche, lock, mode, held) < 0)
		return w->description = NULL, &pgm_enomem;
	return NULL;
}

struct pgm_error *pgm_pg_read_lwlock_wait(const struct pgm_pg *pg, uint64_t lock, uint64_t proc,
					  int32_t self_procno, struct pgm_report *r)
{
	struct pgm_fields *o = &r->wait.object;
	uint64_t tranche = 0, mode = 0;
	char *name = NULL;
	struct pgm_error *err = pgm_pg_read_member(pg, lock, PGM_M_LWLock_tranche, &tranche);
	if (err)
		return err;
	if ((err = pgm_pg_lwlock_tranche_name(pg, (uint32_t)tranche, &name))) {
		if (err == &pgm_enomem)
			return err;
		pgm_error_destroy(err);
		if (asprintf(&name, "tranche %" PRIu64, tranche) < 0)
			return &pgm_enomem;
	}
	struct pgm_lwlock_state s = { .exclusive = false };
	err = add_state(pg, lock, name, (uint32_t)tranche, o, &s);
	bool state_known = pgm_fields_get(o, "exclusive") != NULL;
	const char *mode_name = "unknown";
	struct pgm_error *e2 = proc ? pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lwWaitMode, &mode) : NULL;
	if (proc && !e2)
		mode_name = pgm_pg_lwlock_mode_name(pg, mode);
	pgm_error_destroy(e2);
	if (!err)
		err = pgm_fields_add_str(o, "mode", mode_name);
	if (!err)
		err = describe(name, mode_name, lock, &s, state_known, &r->wait);
	free(name);
	if (!err)
		err = add_waiters(pg, lock, self_procno, &r->wait);
	return err;
}
