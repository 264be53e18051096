/*
 * Shared message queues (shm_mq.c) and the background-worker slots of a
 * parallel group (bgworker.c).  A queue's header sits at the start of its
 * chunk of a DSM segment, which gcore and default kernel cores leave out:
 * its read failures are recorded as missing, with the segment.  The handle
 * (shm_mq_handle) is the process's private memory and the worker slots
 * (BackgroundWorkerData) are in the main segment, so both are in every
 * capture.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pg/pg.h"

#define MAX_BGWORKER_SLOTS 65536

/* The pid and procno of the PGPROC a queue points to; 0 / -1 when none. */
static struct pgm_error *queue_end(const struct pgm_pg *pg, uint64_t mq, enum pgm_pg_member_id m,
				   int32_t *pid, int32_t *procno)
{
	uint64_t proc, p;
	*pid = 0;
	*procno = -1;
	struct pgm_error *err = pgm_pg_read_member(pg, mq, m, &proc);
	if (err || proc == 0)
		return err;
	if ((err = pgm_pg_procno(pg, proc, procno)) || (err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &p)))
		return err;
	*pid = (int32_t)p;
	return NULL;
}

struct pgm_error *pgm_pg_read_shm_mq(const struct pgm_pg *pg, uint64_t mq, struct pgm_shm_mq *q)
{
	uint64_t detached;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, mq, PGM_M_shm_mq_bytes_written, &q->bytes_written)) ||
	    (err = pgm_pg_read_member(pg, mq, PGM_M_shm_mq_bytes_read, &q->bytes_read)) ||
	    (err = pgm_pg_read_member(pg, mq, PGM_M_shm_mq_ring_size, &q->ring_size)) ||
	    (err = pgm_pg_read_member(pg, mq, PGM_M_shm_mq_detached, &detached)) ||
	    (err = queue_end(pg, mq, PGM_M_shm_mq_sender, &q->sender_pid, &q->sender_procno)) ||
	    (err = queue_end(pg, mq, PGM_M_shm_mq_receiver, &q->receiver_pid, &q->receiver_procno)))
		return err;
	if (q->bytes_read > q->bytes_written || q->bytes_written - q->bytes_read > q->ring_size)
		return pgm_error_create(PGM_ERR_FORMAT, "implausible shm_mq at 0x%" PRIx64 ": %" PRIu64
					" bytes written, %" PRIu64 " read, ring of %" PRIu64, mq,
					q->bytes_written, q->bytes_read, q->ring_size);
	q->detached = detached != 0;
	q->known = true;
	return NULL;
}

/* The queue of a shm_mq_handle (its address into *mq) and whether the other end has attached. */
struct pgm_error *pgm_pg_read_mq_handle(const struct pgm_pg *pg, uint64_t mqh, uint64_t *mq, bool *attached)
{
	uint64_t a;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, mqh, PGM_M_shm_mq_handle_queue, mq)) ||
	    (err = pgm_pg_read_member(pg, mqh, PGM_M_shm_mq_handle_counterparty_attached, &a)))
		return err;
	*attached = a != 0;
	return NULL;
}

static struct pgm_error *read_worker(const struct pgm_pg *pg, uint64_t slot, int32_t i, struct pgm_mq_wait *m)
{
	int64_t pid;
	uint64_t gen, term, name;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member_signed(pg, slot, PGM_M_BackgroundWorkerSlot_pid, &pid)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_BackgroundWorkerSlot_generation, &gen)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_BackgroundWorkerSlot_terminate, &term)) ||
	    (err = pgm_pg_member_addr(pg, slot, PGM_M_BackgroundWorkerSlot_bgw_type, &name)))
		return err;
	struct pgm_bgworker *w = pgm_model_grow((void **)&m->workers, &m->n_workers, sizeof(*w));
	if (!w)
		return &pgm_enomem;
	*w = (struct pgm_bgworker){ .slot = i, .pid = (int32_t)pid, .terminate = term != 0, .generation = gen };
	err = pgm_target_read_text(pg->target, name, 96, &w->type);
	/* an unnamed worker is still a slot of the group */
	if (err != &pgm_enomem)
		pgm_error_destroy(err);
	return err == &pgm_enomem ? err : NULL;
}

/*
 * The background-worker slots in use whose bgw_notify_pid is `leader`: the
 * parallel workers it registered (started or not, asked to stop or not).
 */
struct pgm_error *pgm_pg_bgworker_slots(const struct pgm_pg *pg, uint64_t *slot0, uint64_t *total, uint64_t *stride)
{
	uint64_t data;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_BackgroundWorkerData, &data)) ||
	    (err = pgm_pg_read_member(pg, data, PGM_M_BackgroundWorkerArray_total_slots, total)) ||
	    (err = pgm_pg_member_addr(pg, data, PGM_M_BackgroundWorkerArray_slot, slot0)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_BackgroundWorkerSlot, stride)))
		return err;
	if (*total > MAX_BGWORKER_SLOTS)
		return pgm_error_create(PGM_ERR_LIMIT, "%" PRIu64 " background worker slots is implausible", *total);
	return NULL;
}

struct pgm_error *pgm_pg_read_group_workers(const struct pgm_pg *pg, int32_t leader, struct pgm_mq_wait *m)
{
	uint64_t total, slot0, stride;
	struct pgm_error *err = pgm_pg_bgworker_slots(pg, &slot0, &total, &stride);
	if (err)
		return err;
	for (uint64_t i = 0; i < total; i++) {
		uint64_t slot = slot0 + i * stride, in_use;
		int64_t notify;
		if ((err = pgm_pg_read_member(pg, slot, PGM_M_BackgroundWorkerSlot_in_use, &in_use)) ||
		    (err = pgm_pg_read_member_signed(pg, slot, PGM_M_BackgroundWorkerSlot_bgw_notify_pid, &notify)))
			return err;
		if (in_use && notify == leader && leader > 0 && (err = read_worker(pg, slot, (int32_t)i, m)))
			return err;
	}
	m->workers_known = true;
	return NULL;
}

/* The wait event of process `pid`, from its PGPROC (pg_stat_activity's columns). */
struct pgm_error *pgm_pg_pid_wait_event(const struct pgm_pg *pg, int32_t pid, struct pgm_wait_event *we)
{
	uint64_t proc, info;
	struct pgm_error *err = pgm_pg_proc_by_pid(pg, pid, &proc);
	if (!err)
		err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_wait_event_info, &info);
	return err ? err : pgm_pg_wait_event_fill(pg, (uint32_t)info, we);
}
