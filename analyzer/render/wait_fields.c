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

void pgm_wait_fields(const struct pgm_wait *w, pgm_field_fn *fn, void *arg)
{
	switch (w->kind) {
	case PGM_WAIT_CONDITION_VARIABLE: cv_fields(&w->cv, fn, arg); break;
	case PGM_WAIT_LWLOCK: lwlock_fields(&w->lwlock, fn, arg); break;
	case PGM_WAIT_HEAVYWEIGHT_LOCK: hwlock_fields(&w->hwlock, fn, arg); break;
	default: break;
	}
}
