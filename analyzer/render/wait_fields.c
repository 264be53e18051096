/* The typed facts of a wait as named fields (render/wait_fields.h). */
#include <stddef.h>

#include "render/wait_fields.h"

static void str(pgm_field_fn *fn, void *arg, const char *key, const char *s)
{
	if (s)
		fn(arg, &(struct pgm_field){ .key = key, .type = PGM_FIELD_STR, .str = s });
}

static void num(pgm_field_fn *fn, void *arg, const char *key, int64_t i)
{
	fn(arg, &(struct pgm_field){ .key = key, .type = PGM_FIELD_INT, .i = i });
}

static void unum(pgm_field_fn *fn, void *arg, const char *key, uint64_t u)
{
	fn(arg, &(struct pgm_field){ .key = key, .type = PGM_FIELD_UINT, .u = u });
}

static void flag(pgm_field_fn *fn, void *arg, const char *key, bool b)
{
	fn(arg, &(struct pgm_field){ .key = key, .type = PGM_FIELD_BOOL, .b = b });
}

static void addr(pgm_field_fn *fn, void *arg, const char *key, uint64_t a)
{
	fn(arg, &(struct pgm_field){ .key = key, .type = PGM_FIELD_ADDR, .u = a });
}

static void relation(pgm_field_fn *fn, void *arg, const char *oid_key, const char *name_key,
		     const struct pgm_relation *rel)
{
	if (!rel->known)
		return;
	unum(fn, arg, oid_key, rel->oid);
	str(fn, arg, name_key, rel->name);
}

static void cv_fields(const struct pgm_cv_wait *cv, pgm_field_fn *fn, void *arg)
{
	if (cv->header_known) {
		num(fn, arg, "wakeup_head", cv->wakeup_head);
		num(fn, arg, "wakeup_tail", cv->wakeup_tail);
	}
	if (cv->queue_from_links)
		str(fn, arg, "queue_source", "PGPROC.cvWaitLink");
	if (cv->owner != PGM_CV_OWNER_BTREE_SCAN)
		return;
	const struct pgm_btree_scan *b = &cv->btree;
	str(fn, arg, "container", "BTParallelScanDescData.btps_cv");
	addr(fn, arg, "scan_state_address", b->address);
	relation(fn, arg, "index_oid", "index_name", &b->index);
	relation(fn, arg, "relation_oid", "relation_name", &b->heap);
	if (b->state_known) {
		str(fn, arg, "page_status", b->page_status_name);
		/* InvalidBlockNumber: the scan has not handed out a page yet (its first is being found) */
		fn(arg, &(struct pgm_field){ .key = "scan_page", .type = PGM_FIELD_UINT, .u = b->scan_page,
					     .note = b->scan_page == 0xFFFFFFFFu ? "InvalidBlockNumber: no page handed "
										  "out yet" : NULL });
	}
}

static void lwlock_fields(const struct pgm_lwlock_wait *l, pgm_field_fn *fn, void *arg)
{
	if (l->tranche) {
		str(fn, arg, "tranche", l->tranche);
		unum(fn, arg, "tranche_id", l->tranche_id);
	}
	if (l->state_known) {
		flag(fn, arg, "exclusive", l->exclusive);
		unum(fn, arg, "shared", l->shared);
		flag(fn, arg, "has_waiters", l->has_waiters);
	}
	str(fn, arg, "mode", l->mode);
}

void pgm_lock_tag_fields(const struct pgm_lock_tag *t, bool all, pgm_field_fn *fn, void *arg)
{
	const struct { const char *key; bool has; uint32_t v; } cols[] = {
		{ "database", t->has_database, t->database }, { "relation", t->has_relation, t->relation },
		{ "page", t->has_page, t->page }, { "tuple", t->has_tuple, t->tuple },
		{ "virtualxid", t->has_virtualxid, 0 }, { "transactionid", t->has_transactionid, t->transactionid },
		{ "classid", t->has_classid, t->classid }, { "objid", t->has_objid, t->objid },
		{ "objsubid", t->has_objsubid, t->objsubid },
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		if (cols[i].has && cols[i].key[0] == 'v')
			str(fn, arg, cols[i].key, t->virtualxid ? t->virtualxid : "");
		else if (cols[i].has)
			unum(fn, arg, cols[i].key, cols[i].v);
		else if (all)
			fn(arg, &(struct pgm_field){ .key = cols[i].key, .type = PGM_FIELD_STR, .str = NULL });
	}
}

static void hwlock_fields(const struct pgm_hwlock_wait *h, pgm_field_fn *fn, void *arg)
{
	if (h->tag_known) {
		str(fn, arg, "locktype", h->tag.locktype);
		pgm_lock_tag_fields(&h->tag, false, fn, arg);
	}
	str(fn, arg, "mode", h->mode);
}

/* ---- positions in the WAL (both groups below) ---- */

static void lsn(pgm_field_fn *fn, void *arg, const char *key, uint64_t v)
{
	char buf[PGM_LSN_LEN];
	str(fn, arg, key, pgm_lsn_format(v, buf));
}

/* 0 is InvalidXLogRecPtr: no position yet, left out */
static void valid_lsn(pgm_field_fn *fn, void *arg, const char *key, uint64_t v)
{
	if (v)
		lsn(fn, arg, key, v);
}

/* ---- buffers, storage and replication ---- */

void pgm_buffer_fields(const struct pgm_buffer *b, pgm_field_fn *fn, void *arg)
{
	if (!b->known)
		return;
	num(fn, arg, "buffer", b->buffer);
	relation(fn, arg, "relation_oid", "relation_name", &b->relation);
	if (b->tag_known) {
		unum(fn, arg, "tablespace_oid", b->tablespace);
		unum(fn, arg, "database_oid", b->database);
		unum(fn, arg, "relfilenode", b->relfilenode);
		str(fn, arg, "fork", b->fork);
		unum(fn, arg, "block", b->block);
	}
	addr(fn, arg, "state", b->state);
	if (b->state_known) {
		unum(fn, arg, "shared_refcount", b->refcount);
		unum(fn, arg, "usage_count", b->usage_count);
		flag(fn, arg, "dirty", b->dirty);
		flag(fn, arg, "valid", b->valid);
		flag(fn, arg, "io_in_progress", b->io_in_progress);
		flag(fn, arg, "io_error", b->io_error);
		flag(fn, arg, "pin_count_waiter", b->pin_count_waiter);
	}
	if (b->waiter_known && b->waiter_procno >= 0)
		num(fn, arg, "waiter_procno", b->waiter_procno);
	if (b->waiter_known && b->waiter_pid > 0)
		num(fn, arg, "waiter_pid", b->waiter_pid);
}

static void pin_fields(const struct pgm_buffer_pin_wait *p, pgm_field_fn *fn, void *arg)
{
	pgm_buffer_fields(&p->buffer, fn, arg);
	if (p->own_pins >= 0)
		num(fn, arg, "own_pins", p->own_pins);
}

static void aio_fields(const struct pgm_aio_handle *a, pgm_field_fn *fn, void *arg)
{
	if (!a->known)
		return;
	unum(fn, arg, "aio_index", a->index);
	addr(fn, arg, "aio_address", a->address);
	str(fn, arg, "aio_state", a->state);
	str(fn, arg, "aio_op", a->op);
	flag(fn, arg, "aio_synchronous", a->synchronous);
	flag(fn, arg, "aio_recycled", a->recycled);
	if (a->owner_procno >= 0)
		num(fn, arg, "aio_owner_procno", a->owner_procno);
	if (a->owner_pid > 0)
		num(fn, arg, "aio_owner_pid", a->owner_pid);
}

static void io_fields(const struct pgm_io_wait *io, pgm_field_fn *fn, void *arg)
{
	if (io->fd_known)
		num(fn, arg, "fd", io->fd);
	str(fn, arg, "file", io->file);
	str(fn, arg, "found_in", io->source);
}

void pgm_slot_fields(const struct pgm_replication_slot *s, pgm_field_fn *fn, void *arg)
{
	if (!s->known)
		return;
	str(fn, arg, "slot_name", s->name);
	str(fn, arg, "slot_type", s->type);
	num(fn, arg, "slot_index", s->index);
	if (s->database)
		unum(fn, arg, "database_oid", s->database);
	str(fn, arg, "plugin", s->plugin);
	str(fn, arg, "persistency", s->persistency);
	num(fn, arg, "active_pid", s->active_pid);
	valid_lsn(fn, arg, "restart_lsn", s->restart_lsn);
	valid_lsn(fn, arg, "confirmed_flush_lsn", s->confirmed_flush);
	if (s->xmin)
		unum(fn, arg, "xmin", s->xmin);
	if (s->catalog_xmin)
		unum(fn, arg, "catalog_xmin", s->catalog_xmin);
}

void pgm_my_walsender_fields(const struct pgm_my_walsender *ws, pgm_field_fn *fn, void *arg)
{
	if (!ws->known)
		return;
	str(fn, arg, "state", ws->state);
	valid_lsn(fn, arg, "sent_lsn", ws->sent);
	valid_lsn(fn, arg, "write_lsn", ws->write);
	valid_lsn(fn, arg, "flush_lsn", ws->flush);
	valid_lsn(fn, arg, "replay_lsn", ws->apply);
	str(fn, arg, "slot_name", ws->slot);
	if (ws->got_stopping.known)
		flag(fn, arg, "got_stopping", ws->got_stopping.value != 0);
}

/* ---- the IPC kinds (pgmortem/report_waits.h); their lists are rendered by report_waits.c ---- */

static void syncrep_fields(const struct pgm_syncrep_wait *s, pgm_field_fn *fn, void *arg)
{
	if (s->lsn_known)
		lsn(fn, arg, "lsn", s->lsn);
	if (s->state_known)
		str(fn, arg, "sync_rep_state", pgm_syncrep_state_name(s->state));
	if (s->mode != PGM_SYNCREP_MODE_UNKNOWN)
		str(fn, arg, "mode", pgm_syncrep_mode_name(s->mode));
	str(fn, arg, "synchronous_standby_names", s->standby_names);
	if (s->released_known)
		lsn(fn, arg, "released_lsn", s->released_lsn);
	if (s->max_wal_senders >= 0)
		num(fn, arg, "max_wal_senders", s->max_wal_senders);
	str(fn, arg, "reason", pgm_syncrep_why_name(s->why));
}

static void mq_fields(const struct pgm_mq_wait *m, pgm_field_fn *fn, void *arg)
{
	const struct pgm_shm_mq *q = &m->mq;
	str(fn, arg, "operation", pgm_mq_op_name(m->op));
	if (m->gather)
		flag(fn, arg, "gather", true);
	if (m->handle_known)
		flag(fn, arg, "counterparty_attached", m->counterparty_attached);
	if (q->known) {
		num(fn, arg, "sender_pid", q->sender_pid);
		num(fn, arg, "receiver_pid", q->receiver_pid);
		unum(fn, arg, "bytes_written", q->bytes_written);
		unum(fn, arg, "bytes_read", q->bytes_read);
		unum(fn, arg, "ring_size", q->ring_size);
		flag(fn, arg, "detached", q->detached);
	}
	if (!m->counterpart_pid)
		return;
	num(fn, arg, "counterpart_pid", m->counterpart_pid);
	str(fn, arg, "counterpart_role", m->counterpart_is_leader ? "leader" : "process");
	str(fn, arg, "counterpart_wait_event_type", m->counterpart_wait_event.known ? m->counterpart_wait_event.type : NULL);
	str(fn, arg, "counterpart_wait_event", m->counterpart_wait_event.known ? m->counterpart_wait_event.name : NULL);
	str(fn, arg, "counterpart_task_state", m->counterpart_task_state);
}

static void barrier_fields(const struct pgm_barrier_wait *b, pgm_field_fn *fn, void *arg)
{
	if (b->generation_known) {
		unum(fn, arg, "generation", b->generation);
		str(fn, arg, "generation_source", b->generation_from_frame ? "frame" : "newest emitted");
	}
	if (b->laggards_known) {
		unum(fn, arg, "procsignal_slots", b->n_slots);
		unum(fn, arg, "not_absorbed", b->n_laggards);
	}
}

static void unserved_fields(const struct pgm_unserved_wait *u, pgm_field_fn *fn, void *arg)
{
	str(fn, arg, "function", u->function);
	str(fn, arg, "library", u->library);
	if (u->function)
		num(fn, arg, "frame", u->frame);
}

static void ipc_fields(const struct pgm_wait *w, pgm_field_fn *fn, void *arg)
{
	switch (w->kind) {
	case PGM_WAIT_SYNC_REP: syncrep_fields(&w->syncrep, fn, arg); break;
	case PGM_WAIT_MESSAGE_QUEUE: mq_fields(&w->mq, fn, arg); break;
	case PGM_WAIT_PROCSIGNAL_BARRIER: barrier_fields(&w->barrier, fn, arg); break;
	case PGM_WAIT_UNSERVED_INTERRUPT: unserved_fields(&w->unserved, fn, arg); break;
	default: break;
	}
}

void pgm_wait_fields(const struct pgm_wait *w, pgm_field_fn *fn, void *arg)
{
	switch (w->kind) {
	case PGM_WAIT_CONDITION_VARIABLE: cv_fields(&w->cv, fn, arg); break;
	case PGM_WAIT_LWLOCK: lwlock_fields(&w->lwlock, fn, arg); break;
	case PGM_WAIT_HEAVYWEIGHT_LOCK: hwlock_fields(&w->hwlock, fn, arg); break;
	case PGM_WAIT_BUFFER_PIN: pin_fields(&w->pin, fn, arg); break;
	case PGM_WAIT_BUFFER_IO:
		pgm_buffer_fields(&w->bufio.buffer, fn, arg);
		aio_fields(&w->bufio.aio, fn, arg);
		break;
	case PGM_WAIT_IO: io_fields(&w->io, fn, arg); break;
	case PGM_WAIT_REPLICATION_SLOT: pgm_slot_fields(&w->slot.slot, fn, arg); break;
	default: ipc_fields(w, fn, arg); break;
	}
}
