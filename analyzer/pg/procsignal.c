/*
 * ProcSignalBarrier (procsignal.c): EmitProcSignalBarrier() increments
 * ProcSignal->psh_barrierGeneration and signals every process;
 * WaitForProcSignalBarrier() then sleeps on each slot's pss_barrierCV until
 * that slot's pss_barrierGeneration reaches the generation.  Unused slots
 * hold PG_UINT64_MAX, so a slot below the generation is a process that has
 * not absorbed the barrier yet.
 *
 * The number of slots is a macro of sizes that differ by version
 * (MaxBackends + NUM_AUXPROCTYPES, then + NUM_AUXILIARY_PROCS), so it is
 * taken from the size the shared memory index recorded for "ProcSignal".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

static struct pgm_error *slot_count(const struct pgm_pg *pg, uint32_t *ret)
{
	uint64_t size, hdr, stride;
	struct pgm_error *err;
	if ((err = pgm_pg_shmem_size(pg, PGM_SH_ProcSignal, &size)) ||
	    (err = pgm_pg_member_offset(pg, PGM_M_ProcSignalHeader_slot, &hdr)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_ProcSignalSlot, &stride)))
		return err;
	if (size < hdr || stride == 0 || (size - hdr) / stride > PGM_PG_MAX_PROCS)
		return pgm_error_create(PGM_ERR_FORMAT, "ProcSignal's %" PRIu64 " bytes are no array of slots", size);
	*ret = (uint32_t)((size - hdr) / stride);
	return NULL;
}

static struct pgm_error *add_laggard(const struct pgm_pg *pg, uint64_t slot, uint32_t i, uint64_t gen,
				     uint64_t cv, struct pgm_barrier_wait *b)
{
	uint64_t pid, mask, cv_addr;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, slot, PGM_M_ProcSignalSlot_pid, &pid)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_ProcSignalSlot_barrierCheckMask, &mask)) ||
	    (err = pgm_pg_member_addr(pg, slot, PGM_M_ProcSignalSlot_barrierCV, &cv_addr)))
		return err;
	struct pgm_barrier_laggard *l = pgm_model_grow((void **)&b->laggards, &b->n_laggards, sizeof(*l));
	if (!l)
		return &pgm_enomem;
	*l = (struct pgm_barrier_laggard){ .slot = (int32_t)i, .pid = (int32_t)pid, .generation = gen,
					   .check_mask = (uint32_t)mask, .waited_on = cv && cv == cv_addr };
	err = pgm_pg_pid_wait_event(pg, l->pid, &l->wait_event);
	/* its own wait stays unknown when its PGPROC is gone (it exited) or unreadable */
	if (err != &pgm_enomem)
		pgm_error_destroy(err);
	return err == &pgm_enomem ? err : NULL;
}

static struct pgm_error *read_slots(const struct pgm_pg *pg, uint64_t cv, struct pgm_barrier_wait *b)
{
	uint64_t hdr, slot0, stride;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_ProcSignal, &hdr)) ||
	    (err = slot_count(pg, &b->n_slots)) ||
	    (err = pgm_pg_member_addr(pg, hdr, PGM_M_ProcSignalHeader_slot, &slot0)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_ProcSignalSlot, &stride)))
		return err;
	for (uint32_t i = 0; i < b->n_slots; i++) {
		uint64_t slot = slot0 + i * stride, gen;
		if ((err = pgm_pg_read_member(pg, slot, PGM_M_ProcSignalSlot_barrierGeneration, &gen)))
			return err;
		if (gen < b->generation && (err = add_laggard(pg, slot, i, gen, cv, b)))
			return err;
	}
	b->laggards_known = true;
	return NULL;
}

/*
 * The barrier a process waits for into r->wait.barrier: `generation` from
 * WaitForProcSignalBarrier's frame (has_generation false: the newest one
 * emitted stands in), `cv` the CV it sleeps on (cv_sleep_target, 0 if
 * unknown), then every slot below it.
 */
struct pgm_error *pgm_pg_read_barrier_wait(const struct pgm_pg *pg, bool has_generation, uint64_t generation,
					   uint64_t cv, struct pgm_report *r)
{
	struct pgm_barrier_wait *b = &r->wait.barrier;
	uint64_t hdr = 0, newest;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_ProcSignal, &hdr);
	if (!err)
		err = pgm_pg_read_member(pg, hdr, PGM_M_ProcSignalHeader_barrierGeneration, &newest);
	if (err && !has_generation)
		return pgm_pg_note_failure(r, "barrier-unreadable", "ProcSignal's barrier generation", hdr, err);
	pgm_error_destroy(err);
	b->generation_known = true;
	b->generation_from_frame = has_generation;
	b->generation = has_generation ? generation : newest;
	err = read_slots(pg, cv, b);
	if (err && err != &pgm_enomem)
		b->laggards_known = false;
	return pgm_pg_note_failure(r, "barrier-slots-unreadable", "the ProcSignal slots", hdr, err);
}
