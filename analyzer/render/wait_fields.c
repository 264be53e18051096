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
	if (cv->owner != PGM_CV_OWNER_BTREE_SCAN)
		return;
	const struct pgm_btree_scan *b = &cv->btree;
	str(fn, arg, "container", "BTParallelScanDescData.btps_cv");
	addr(fn, arg, "scan_state_address", b->address);
	relation(fn, arg, "index_oid", "index_name", &b->index);
	relation(fn, arg, "relation_oid", "relation_name", &b->heap);
	if (b->state_known) {
		str(fn, arg, "page_status", b->page_status_name);
		unum(fn, arg, "scan_page", b->scan_page);
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

/* ---- buffers, storage and replication ---- */

static void lsn(pgm_field_fn *fn, void *arg, const char *key, uint64_t v)
{
	char buf[PGM_LSN_LEN];
	if (v)
		str(fn, arg, key, pgm_lsn_format(v, buf));
}

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
	lsn(fn, arg, "restart_lsn", s->restart_lsn);
	lsn(fn, arg, "confirmed_flush_lsn", s->confirmed_flush);
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
	lsn(fn, arg, "sent_lsn", ws->sent);
	lsn(fn, arg, "write_lsn", ws->write);
	lsn(fn, arg, "flush_lsn", ws->flush);
	lsn(fn, arg, "replay_lsn", ws->apply);
	str(fn, arg, "slot_name", ws->slot);
	if (ws->got_stopping.known)
		flag(fn, arg, "got_stopping", ws->got_stopping.value != 0);
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
	default: break;
	}
}
