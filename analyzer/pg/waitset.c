/*
 * The WaitEventSet a process sleeps in (latch.c up to 17, waiteventset.c
 * from 18) and the latch it waits for.  The set is private memory of the
 * process (allocated in a memory context), so every capture of it has it;
 * the latch is in shared memory (PGPROC.procLatch) or private (a
 * non-shared latch), both captured.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pg/pg.h"

/* More events than any set PostgreSQL or an extension builds: a damaged header. */
#define MAX_EVENTS 1024
#define MAX_FD (1 << 24)

struct pgm_error *pgm_pg_read_latch(const struct pgm_pg *pg, uint64_t latch, struct pgm_latch *l)
{
	uint64_t is_set, sleeping, shared;
	int64_t owner;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, latch, PGM_M_Latch_is_set, &is_set)) ||
	    (err = pgm_pg_read_member(pg, latch, PGM_M_Latch_maybe_sleeping, &sleeping)) ||
	    (err = pgm_pg_read_member(pg, latch, PGM_M_Latch_is_shared, &shared)) ||
	    (err = pgm_pg_read_member_signed(pg, latch, PGM_M_Latch_owner_pid, &owner)))
		return err;
	l->known = true;
	l->address = latch;
	l->is_set = is_set != 0;
	l->maybe_sleeping = sleeping != 0;
	l->is_shared = shared != 0;
	l->owner_pid = (int32_t)owner;
	return NULL;
}

static struct pgm_error *read_event(const struct pgm_pg *pg, uint64_t ev, struct pgm_waitset_event *e)
{
	int64_t pos, fd;
	uint64_t events;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member_signed(pg, ev, PGM_M_WaitEvent_pos, &pos)) ||
	    (err = pgm_pg_read_member(pg, ev, PGM_M_WaitEvent_events, &events)) ||
	    (err = pgm_pg_read_member_signed(pg, ev, PGM_M_WaitEvent_fd, &fd)))
		return err;
	e->pos = (int32_t)pos;
	e->events = (uint32_t)events;
	e->fd = (int32_t)fd;
	return NULL;
}

/* The header's counts and pointers, checked before anything is allocated. */
static struct pgm_error *read_header(const struct pgm_pg *pg, uint64_t set, struct pgm_waitset *ws,
				     int64_t *nevents, uint64_t *events)
{
	int64_t epfd, pos;
	uint64_t exit_pm;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member_signed(pg, set, PGM_M_WaitEventSet_nevents, nevents)) ||
	    (err = pgm_pg_read_member(pg, set, PGM_M_WaitEventSet_events, events)) ||
	    (err = pgm_pg_read_member_signed(pg, set, PGM_M_WaitEventSet_epoll_fd, &epfd)) ||
	    (err = pgm_pg_read_member_signed(pg, set, PGM_M_WaitEventSet_latch_pos, &pos)) ||
	    (err = pgm_pg_read_member(pg, set, PGM_M_WaitEventSet_exit_on_postmaster_death, &exit_pm)))
		return err;
	if (*nevents < 0 || *nevents > MAX_EVENTS || epfd < -1 || epfd >= MAX_FD)
		return pgm_error_create(PGM_ERR_FORMAT, "implausible WaitEventSet at 0x%" PRIx64
					" (nevents %" PRId64 ", epoll_fd %" PRId64 ")", set, *nevents, epfd);
	ws->epoll_fd = (int32_t)epfd;
	ws->latch_pos = pos >= 0 && pos < *nevents ? (int32_t)pos : -1;
	ws->exit_on_postmaster_death = exit_pm != 0;
	return NULL;
}

/*
 * The set's epoll fd, flags and events into r->waitset (its address and
 * source are the caller's).  Read failures and a damaged header are
 * recorded in r; only out of memory is returned.
 */
struct pgm_error *pgm_pg_read_waitset(const struct pgm_pg *pg, uint64_t set, struct pgm_report *r)
{
	struct pgm_waitset *ws = &r->waitset;
	int64_t nevents;
	uint64_t events, stride;
	struct pgm_error *err = read_header(pg, set, ws, &nevents, &events);
	if (!err)
		err = pgm_pg_struct_size(pg, PGM_S_WaitEvent, &stride);
	if (err)
		return pgm_pg_note_failure(r, "waitset-unreadable", "the WaitEventSet", set, err);
	if (nevents && !(ws->events = calloc((size_t)nevents, sizeof(*ws->events))))
		return &pgm_enomem;
	for (int64_t i = 0; i < nevents; i++) {
		if ((err = read_event(pg, events + (uint64_t)i * stride, &ws->events[i])))
			return pgm_pg_note_failure(r, "waitset-unreadable", "the WaitEventSet's events",
						   events, err);
		ws->n_events++;
	}
	ws->set_known = true;
	uint64_t latch = 0;
	err = pgm_pg_read_member(pg, set, PGM_M_WaitEventSet_latch, &latch);
	if (!err && latch)
		err = pgm_pg_read_latch(pg, latch, &ws->latch);
	return pgm_pg_note_failure(r, "latch-unreadable", "the WaitEventSet's latch", latch, err);
}

/* MyLatch, for a set whose latch is unknown or that has none. */
struct pgm_error *pgm_pg_read_my_latch(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t latch = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyLatch, &latch);
	if (!err && latch == 0)
		return NULL;
	if (!err)
		err = pgm_pg_read_latch(pg, latch, &r->waitset.latch);
	r->waitset.latch.from_my_latch = r->waitset.latch.known;
	return pgm_pg_note_failure(r, "latch-unreadable", "MyLatch", latch, err);
}
