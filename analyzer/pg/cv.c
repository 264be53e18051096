/*
 * Condition variables and the parallel btree scan that owns btps_cv.
 *
 * The CV of a parallel btree scan lives in a DSM segment, which gcore and
 * default kernel cores do not capture: every read here can come back
 * NOT_CAPTURED, which is recorded as missing (with the mapping's name)
 * rather than shown as a value.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

struct pgm_error *pgm_pg_read_cv(const struct pgm_pg *pg, uint64_t cv, int32_t self_procno,
				 struct pgm_report *r)
{
	struct pgm_cv_wait *c = &r->wait.cv;
	int64_t head, tail;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member_signed(pg, cv, PGM_M_ConditionVariable_wakeup_head, &head)) ||
	    (err = pgm_pg_read_member_signed(pg, cv, PGM_M_ConditionVariable_wakeup_tail, &tail)))
		return pgm_pg_note_failure(r, "cv-unreadable", "the condition variable", cv, err);
	c->header_known = true;
	c->wakeup_head = (int32_t)head;
	c->wakeup_tail = (int32_t)tail;
	err = pgm_pg_add_proclist_waiters(pg, (int32_t)head, PGM_M_PGPROC_cvWaitLink_next, self_procno,
					  &r->wait);
	if (err && !pgm_error_is_read_failure(err) && err != &pgm_enomem) {
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, "cv-queue-corrupt",
			"the condition variable's wakeup queue is damaged: %s", err->message);
		pgm_error_destroy(err);
		return e2;
	}
	return pgm_pg_note_failure(r, "cv-queue-unreadable", "a PGPROC on the condition variable's queue", 0, err);
}

struct pgm_error *pgm_pg_read_relation(const struct pgm_pg *pg, uint64_t rel, struct pgm_relation *out)
{
	uint64_t oid, form, name_addr;
	struct pgm_error *err;
	if (rel == 0)
		return NULL;
	if ((err = pgm_pg_read_member(pg, rel, PGM_M_RelationData_rd_id, &oid)))
		return err;
	out->known = true;
	out->oid = (uint32_t)oid;
	if ((err = pgm_pg_read_member(pg, rel, PGM_M_RelationData_rd_rel, &form)) ||
	    (err = pgm_pg_member_addr(pg, form, PGM_M_FormData_pg_class_relname, &name_addr)))
		return err;
	return pgm_target_read_text(pg->target, name_addr, 64, &out->name);
}

/* The BTParallelScanDesc of a scan: ParallelIndexScanDesc + ps_offset(_am). */
static struct pgm_error *btscan_from_scan(const struct pgm_pg *pg, uint64_t index_scan, uint64_t *ret)
{
	uint64_t pis, off;
	struct pgm_error *err = pgm_pg_read_member(pg, index_scan, PGM_M_ISD_parallel_scan, &pis);
	if (err)
		return err;
	enum pgm_pg_member_id m = pgm_pg_has_member(pg, PGM_M_PISD_offset_am) ? PGM_M_PISD_offset_am
									       : PGM_M_PISD_offset;
	if ((err = pgm_pg_read_member(pg, pis, m, &off)))
		return err;
	if (off > (1ULL << 30))
		return pgm_error_create(PGM_ERR_FORMAT, "implausible parallel scan offset %" PRIu64, off);
	*ret = pis + off;
	return NULL;
}

/* The scan's index and table, from the IndexScanDesc in _bt_parallel_seize's frame. */
static struct pgm_error *add_scan_relations(const struct pgm_pg *pg, uint64_t index_scan,
					    struct pgm_report *r)
{
	struct pgm_btree_scan *b = &r->wait.cv.btree;
	uint64_t idx = 0, heap = 0;
	struct pgm_error *err;
	if (!(err = pgm_pg_read_member(pg, index_scan, PGM_M_ISD_indexRelation, &idx)) &&
	    !(err = pgm_pg_read_member(pg, index_scan, PGM_M_ISD_heapRelation, &heap)) &&
	    !(err = pgm_pg_read_relation(pg, idx, &b->index)))
		err = pgm_pg_read_relation(pg, heap, &b->heap);
	return pgm_pg_note_failure(r, "btscan-relation-unreadable", "the scan's relation", index_scan, err);
}

static struct pgm_error *add_btscan_state(const struct pgm_pg *pg, uint64_t btscan, struct pgm_report *r)
{
	struct pgm_btree_scan *b = &r->wait.cv.btree;
	uint64_t status, page;
	enum pgm_pg_member_id pm = pgm_pg_has_member(pg, PGM_M_BTPS_nextScanPage) ? PGM_M_BTPS_nextScanPage
										   : PGM_M_BTPS_scanPage;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, btscan, PGM_M_BTPS_pageStatus, &status)) ||
	    (err = pgm_pg_read_member(pg, btscan, pm, &page)))
		return pgm_pg_note_failure(r, "btscan-unreadable",
					   "the parallel btree scan state (BTParallelScanDescData)", btscan, err);
	const char *name = pgm_pg_enum_name(pg->layout, PGM_E_BTPS_State, (int64_t)status);
	if (!name)
		return pgm_report_add_diagnosis(r, "btscan-status-invalid",
			"btps_pageStatus is %" PRIu64 ", not a BTPS_State: the scan state looks corrupt", status);
	b->state_known = true;
	b->page_status = (int64_t)status;
	b->scan_page = page;
	return pgm_model_strdup(&b->page_status_name, name);
}

struct pgm_error *pgm_pg_read_btree_scan(const struct pgm_pg *pg, uint64_t index_scan, uint64_t cv,
					 struct pgm_report *r)
{
	const struct pgm_pg_member *cvm = &pg->layout->members[PGM_M_BTPS_cv];
	if (!cvm->found)
		return pgm_error_create(PGM_ERR_LOOKUP, "BTParallelScanDescData is not in this build's debuginfo");
	uint64_t btscan = cv - cvm->offset;
	struct pgm_error *err;
	if (index_scan) {
		uint64_t from_scan = 0;
		err = btscan_from_scan(pg, index_scan, &from_scan);
		if (!err && from_scan != btscan)
			return pgm_error_create(PGM_ERR_LOOKUP, "the CV is not the btps_cv of the scan in _bt_parallel_seize");
		/* unreadable: the CV's address alone still places the scan state */
		pgm_error_destroy(err);
	}
	r->wait.cv.owner = PGM_CV_OWNER_BTREE_SCAN;
	r->wait.cv.btree.address = btscan;
	if (index_scan && (err = add_scan_relations(pg, index_scan, r)))
		return err;
	return add_btscan_state(pg, btscan, r);
}

/* ---- issue 16: the queue of a CV the capture lacks ---- */

struct pgm_error *pgm_pg_read_cv_queue_from_links(const struct pgm_pg *pg, int32_t self_procno,
						  struct pgm_report *r)
{
	int32_t *procnos = NULL;
	size_t n = 0;
	bool on_list = false;
	struct pgm_error *err = pgm_pg_walk_proclist_from(pg, self_procno, PGM_M_PGPROC_cvWaitLink_next,
							  PGM_M_PGPROC_cvWaitLink_prev, &procnos, &n, &on_list);
	if (!err && !on_list)
		return pgm_report_add_diagnosis(r, "cv-not-queued",
			"this process is on no condition variable's wakeup queue (its cvWaitLink is empty): "
			"it was signalled and has not run since");
	for (size_t i = 0; !err && i < n; i++)
		err = pgm_wait_add_waiter(&r->wait, procnos[i], pgm_pg_procno_pid(pg, procnos[i]),
					  procnos[i] == self_procno);
	free(procnos);
	if (!err) {
		r->wait.waiters_known = true;
		r->wait.cv.queue_from_links = true;
		return NULL;
	}
	if (err != &pgm_enomem && !pgm_error_is_read_failure(err)) {
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, "cv-queue-corrupt",
			"the condition variable's queue, walked through PGPROC.cvWaitLink, is damaged: %s", err->message);
		pgm_error_destroy(err);
		return e2;
	}
	return pgm_pg_note_failure(r, "cv-queue-unreadable", "a PGPROC on the condition variable's queue", 0, err);
}
