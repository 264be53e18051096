/*
 * The interrupt state of a backend: pending flags, hold-off counters and the
 * LWLocks it holds (held_lwlocks[] is private to each backend, so only its
 * own capture can show them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

/* MAX_SIMUL_LWLOCKS is 200 in every version; bound reads a little above. */
#define MAX_HELD_LWLOCKS 256

/* A counter that cannot be read stays unknown; its name joins `unread` for one diagnosis. */
static struct pgm_error *read_counter(const struct pgm_pg *pg, struct pgm_report *r, enum pgm_pg_global_id g,
				      struct pgm_counter *c, char *unread, size_t len)
{
	int64_t v;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, g, &v);
	c->known = err == NULL;
	c->value = err ? 0 : v;
	if (!err || !pgm_error_is_read_failure(err)) {
		if (err) {
			size_t used = strlen(unread);
			snprintf(unread + used, len - used, "%s%s", used ? ", " : "", pgm_pg_global_name(g));
		}
		pgm_error_destroy(err);
		return NULL;
	}
	return pgm_pg_note_failure(r, "interrupts-unreadable", pgm_pg_global_name(g),
				   pg->layout->globals[g].address, err);
}

static struct pgm_error *read_held_lwlock(const struct pgm_pg *pg, uint64_t handle,
					  struct pgm_held_lwlock *h)
{
	uint64_t lock, mode, tranche;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, handle, PGM_M_LWLockHandle_lock, &lock)) ||
	    (err = pgm_pg_read_member(pg, handle, PGM_M_LWLockHandle_mode, &mode)))
		return err;
	h->address = lock;
	if ((err = pgm_model_strdup(&h->mode, pgm_pg_lwlock_mode_name(pg, mode))))
		return err;
	err = pgm_pg_read_member(pg, lock, PGM_M_LWLock_tranche, &tranche);
	if (!err)
		err = pgm_pg_lwlock_tranche_name(pg, (uint32_t)tranche, &h->name);
	/* the lock may live in memory this capture lacks: the handle still names its address and mode */
	if (err != &pgm_enomem)
		pgm_error_destroy(err), err = NULL;
	return err;
}

static struct pgm_error *read_held_lwlocks(const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pgm_interrupts *in = &r->interrupts;
	int64_t n;
	uint64_t stride;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_num_held_lwlocks, &n);
	if (!err)
		err = pgm_pg_struct_size(pg, PGM_S_LWLockHandle, &stride);
	if (err)
		return pgm_pg_note_failure(r, "held-lwlocks-unreadable", "held_lwlocks", 0, err);
	if (n < 0 || n > MAX_HELD_LWLOCKS)
		return pgm_report_add_diagnosis(r, "corrupt-held-lwlocks",
						"num_held_lwlocks is %" PRId64 ", not a plausible count", n);
	in->held_lwlocks = calloc((size_t)n ? (size_t)n : 1, sizeof(*in->held_lwlocks));
	if (!in->held_lwlocks)
		return &pgm_enomem;
	uint64_t base = pg->layout->globals[PGM_G_held_lwlocks].address;
	for (int64_t i = 0; i < n; i++) {
		uint64_t handle = base + (uint64_t)i * stride;
		in->n_held_lwlocks = (size_t)i + 1;
		if ((err = read_held_lwlock(pg, handle, &in->held_lwlocks[i])))
			return pgm_pg_note_failure(r, "held-lwlocks-unreadable", "held_lwlocks", handle, err);
	}
	in->held_lwlocks_known = true;
	return NULL;
}

struct pgm_error *pgm_pg_read_interrupts(const struct pgm_pg *pg, struct pgm_report *r)
{
	static const struct { enum pgm_pg_global_id g; size_t offset; } counters[] = {
		{ PGM_G_InterruptPending, offsetof(struct pgm_interrupts, interrupt_pending) },
		{ PGM_G_QueryCancelPending, offsetof(struct pgm_interrupts, query_cancel_pending) },
		{ PGM_G_ProcDiePending, offsetof(struct pgm_interrupts, proc_die_pending) },
		{ PGM_G_InterruptHoldoffCount, offsetof(struct pgm_interrupts, interrupt_holdoff) },
		{ PGM_G_QueryCancelHoldoffCount, offsetof(struct pgm_interrupts, query_cancel_holdoff) },
		{ PGM_G_CritSectionCount, offsetof(struct pgm_interrupts, crit_section) },
	};
	char unread[256] = "";
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		struct pgm_counter *c = (struct pgm_counter *)((char *)&r->interrupts + counters[i].offset);
		struct pgm_error *err = read_counter(pg, r, counters[i].g, c, unread, sizeof(unread));
		if (err)
			return err;
	}
	if (*unread) {
		struct pgm_error *err = pgm_report_add_diagnosis(r, "interrupts-unknown",
			"not in this build's debuginfo, so unknown: %s", unread);
		if (err)
			return err;
	}
	return read_held_lwlocks(pg, r);
}

/*
 * The lock word's bits come with a profile's layout; otherwise from the
 * version, read from the process: the one place where the version decides.
 */
struct pgm_error *pgm_pg_read_lwlock(const struct pgm_pg *pg, uint64_t lock, uint32_t *tranche,
				     struct pgm_lwlock_state *state)
{
	uint64_t t, s;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, lock, PGM_M_LWLock_tranche, &t)) ||
	    (err = pgm_pg_read_member(pg, lock, PGM_M_LWLock_state, &s)))
		return err;
	*tranche = (uint32_t)t;
	struct pgm_pg_lwlock_bits bits = pg->layout->lwlock_bits;
	if (!pg->layout->has_lwlock_bits && !pgm_pg_lwlock_bits_for(pg->version_num, &bits))
		return pgm_error_create(PGM_ERR_LOOKUP, "server version unknown: cannot decode the lock word");
	const struct pgm_pg_lwlock_bits *b = &bits;
	uint32_t v = (uint32_t)s;
	state->has_waiters = v & b->has_waiters;
	state->locked = v & b->locked;
	state->exclusive = v & b->exclusive;
	state->shared = state->exclusive ? 0 : (v & b->shared_mask);
	return NULL;
}
