/*
 * Condition variables and the parallel btree scan that owns btps_cv.
 *
 * The CV of a parallel btree scan lives in a DSM segment, which gcore and
 * default kernel cores do not capture: every read here can come back
 * NOT_CAPTURED, which is recorded as missing (with the mapping's name and
 * how to capture it) rather than shown as a value.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

/*
 * DSM segments are shared mappings of files that still exist, which the
 * kernel dumps only with coredump_filter bit 3 (MAPPED_SHARED); gcore, even
 * with -a, leaves them out.
 */
#define CAPTURE_HINT \
	"DSM segments are left out by gcore and by kernel cores with the default coredump_filter; " \
	"for a kernel core, set bit 3 (0x08) of /proc/PID/coredump_filter before the dump"

static struct pgm_error *note_missing(struct pgm_report *r, const char *what, uint64_t address,
				      struct pgm_error *err)
{
	if (!pgm_error_is_read_failure(err))
		return err;
	struct pgm_error *e2 = pgm_report_add_missing(r, what, address, err, CAPTURE_HINT);
	pgm_error_destroy(err);
	return e2;
}

struct pgm_error *pgm_pg_read_cv(const struct pgm_pg *pg, uint64_t cv, int32_t self_procno,
				 struct pgm_report *r)
{
	int64_t head, tail;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member_signed(pg, cv, PGM_M_ConditionVariable_wakeup_head, &head)) ||
	    (err = pgm_pg_read_member_signed(pg, cv, PGM_M_ConditionVariable_wakeup_tail, &tail)))
		return note_missing(r, "the condition variable", cv, err);
	if ((err = pgm_fields_add_int(&r->wait.object, "wakeup_head", head)) ||
	    (err = pgm_fields_add_int(&r->wait.object, "wakeup_tail", tail)))
		return err;
	err = pgm_pg_add_proclist_waiters(pg, (int32_t)head, PGM_M_PGPROC_cvWaitLink_next, self_procno,
					  &r->wait);
	if (err == &pgm_enomem)
		return err;
	if (err && !pgm_error_is_read_failure(err)) {
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, "cv-queue-corrupt",
			"the condition variable's wakeup queue is damaged: %s", err->message);
		pgm_error_destroy(err);
		return e2;
	}
	return note_missing(r, "a PGPROC on the condition variable's queue", err ? err->address : 0, err);
}

static struct pgm_error *read_relation(const struct pgm_pg *pg, uint64_t rel, const char *oid_key,
				       const char *name_key, struct pgm_fields *f)
{
	uint64_t oid, form;
	struct pgm_error *err;
	if (rel == 0)
		return NULL;
	if ((err = pgm_pg_read_member(pg, rel, PGM_M_RelationData_rd_id, &oid)))
		return pgm_error_destroy(err), NULL;
	if ((err = pgm_fields_add_uint(f, oid_key, oid)))
		return err;
	uint64_t name_addr;
	if ((err = pgm_pg_read_member(pg, rel, PGM_M_RelationData_rd_rel, &form)) ||
	    (err = pgm_pg_member_addr(pg, form, PGM_M_FormData_pg_class_relname, &name_addr)))
		return pgm_error_destroy(err), NULL;
	char *name;
	bool truncated;
	if ((err = pgm_target_read_string(pg->target, name_addr, 64, &name, &truncated)))
		return pgm_error_destroy(err), NULL;
	err = pgm_fields_add_str(f, name_key, name);
	free(name);
	return err;
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

static struct pgm_error *add_scan_relations(const struct pgm_pg *pg, uint64_t index_scan,
					    struct pgm_fields *f)
{
	uint64_t idx = 0, heap = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, index_scan, PGM_M_ISD_indexRelation, &idx)) ||
	    (err = pgm_pg_read_member(pg, index_scan, PGM_M_ISD_heapRelation, &heap)))
		return pgm_error_destroy(err), NULL;
	if ((err = read_relation(pg, idx, "index_oid", "index_name", f)))
		return err;
	return read_relation(pg, heap, "relation_oid", "relation_name", f);
}

static struct pgm_error *add_btscan_state(const struct pgm_pg *pg, uint64_t btscan, struct pgm_report *r)
{
	struct pgm_fields *f = &r->wait.object;
	uint64_t status, page;
	enum pgm_pg_member_id pm = pgm_pg_has_member(pg, PGM_M_BTPS_nextScanPage) ? PGM_M_BTPS_nextScanPage
										   : PGM_M_BTPS_scanPage;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, btscan, PGM_M_BTPS_pageStatus, &status)) ||
	    (err = pgm_pg_read_member(pg, btscan, pm, &page)))
		return note_missing(r, "the parallel btree scan state (BTParallelScanDescData)", btscan, err);
	const char *name = pgm_pg_enum_name(pg->layout, PGM_E_BTPS_State, (int64_t)status);
	if (!name)
		return pgm_report_add_diagnosis(r, "btscan-status-invalid",
			"btps_pageStatus is %" PRIu64 ", not a BTPS_State: the scan state looks corrupt", status);
	if ((err = pgm_fields_add_str(f, "page_status", name)) ||
	    (err = pgm_fields_add_uint(f, "scan_page", page)))
		return err;
	return NULL;
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
		pgm_error_destroy(err);
	}
	if ((err = pgm_fields_add_str(&r->wait.object, "container", "BTParallelScanDescData.btps_cv")) ||
	    (err = pgm_fields_add_addr(&r->wait.object, "scan_state_address", btscan)))
		return err;
	if (index_scan && (err = add_scan_relations(pg, index_scan, &r->wait.object)))
		return err;
	return add_btscan_state(pg, btscan, r);
}
