/*
 * The pg model and the analysis over an in-memory target with a hand-built
 * layout: no files, no DWARF.  Covers the paths fixed PostgreSQL versions
 * cannot reproduce (bug #15290: a CV sleep with interrupts held off while
 * holding an LWLock) and damaged shared memory (proclist cycles).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "pg/pg.h"

/* A small synthetic address space: globals page, PGPROC array, shared CV, names. */
enum {
	GLOBALS = 0x10000,
	PROCS = 0x20000,
	PROC_SIZE = 0x100,
	N_PROCS = 4,
	PROC_HDR_ADDR = 0x30000,
	CV_ADDR = 0x7f0000001000,   /* "DSM" */
	LWLOCK_ADDR = 0x40000,
	NAMES = 0x50000,
};

/* global slots in the globals page */
enum { G_MYPROC = 0, G_PROCGLOBAL = 8, G_CV = 16, G_HOLDOFF = 24, G_CRIT = 28, G_NUMHELD = 32,
       G_HELD = 40 /* LWLockHandle[1]: lock, mode */, G_CANCEL_HOLDOFF = 56, G_TRANCHES = 64 /* char *[2] */ };

struct fixture {
	struct pgm_target *t;
	struct pgm_pg_layout *l;
	struct pgm_pg pg;
	uint8_t globals[0x100];
	uint8_t procs[N_PROCS * PROC_SIZE];
};

static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

/* PGPROC: pid @0 (4), cvWaitLink.next @8 (4), wait_event_info @12 (4), lockGroupLeader @16 (8) */
static void make_layout(struct pgm_pg_layout *l)
{
	pgm_pg_layout_set_struct(l, PGM_S_PGPROC, PROC_SIZE);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_pid, 0, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_cvWaitLink_next, 8, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_wait_event_info, 12, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_lockGroupLeader, 16, 8);
	pgm_pg_layout_set_struct(l, PGM_S_PROC_HDR, 16);
	pgm_pg_layout_set_member(l, PGM_M_PROC_HDR_allProcs, 0, 8);
	pgm_pg_layout_set_member(l, PGM_M_PROC_HDR_allProcCount, 8, 4);
	pgm_pg_layout_set_struct(l, PGM_S_ConditionVariable, 12);
	pgm_pg_layout_set_member(l, PGM_M_ConditionVariable_wakeup_head, 4, 4);
	pgm_pg_layout_set_member(l, PGM_M_ConditionVariable_wakeup_tail, 8, 4);
	pgm_pg_layout_set_struct(l, PGM_S_LWLockHandle, 16);
	pgm_pg_layout_set_member(l, PGM_M_LWLockHandle_lock, 0, 8);
	pgm_pg_layout_set_member(l, PGM_M_LWLockHandle_mode, 8, 4);
	pgm_pg_layout_set_struct(l, PGM_S_LWLock, 16);
	pgm_pg_layout_set_member(l, PGM_M_LWLock_tranche, 0, 2);
	pgm_pg_layout_set_member(l, PGM_M_LWLock_state, 4, 4);
	pgm_pg_layout_set_global(l, PGM_G_MyProc, GLOBALS + G_MYPROC, 8);
	pgm_pg_layout_set_global(l, PGM_G_ProcGlobal, GLOBALS + G_PROCGLOBAL, 8);
	pgm_pg_layout_set_global(l, PGM_G_cv_sleep_target, GLOBALS + G_CV, 8);
	pgm_pg_layout_set_global(l, PGM_G_InterruptHoldoffCount, GLOBALS + G_HOLDOFF, 4);
	pgm_pg_layout_set_global(l, PGM_G_CritSectionCount, GLOBALS + G_CRIT, 4);
	pgm_pg_layout_set_global(l, PGM_G_QueryCancelHoldoffCount, GLOBALS + G_CANCEL_HOLDOFF, 4);
	pgm_pg_layout_set_global(l, PGM_G_num_held_lwlocks, GLOBALS + G_NUMHELD, 4);
	pgm_pg_layout_set_global(l, PGM_G_held_lwlocks, GLOBALS + G_HELD, 16 * 200);
	pgm_pg_layout_set_global(l, PGM_G_BuiltinTrancheNames, GLOBALS + G_TRANCHES, 16);
	l->globals[PGM_G_BuiltinTrancheNames].elements = 2;
	pgm_pg_layout_add_enumerator(l, PGM_E_LWLockMode, "LW_EXCLUSIVE", 0);
	pgm_pg_layout_add_enumerator(l, PGM_E_LWLockMode, "LW_SHARED", 1);
	pgm_pg_layout_add_enumerator(l, PGM_E_BuiltinTrancheIds, "LWTRANCHE_BUFFER_CONTENT", 1);
	pgm_pg_layout_add_enumerator(l, PGM_E_BuiltinTrancheIds, "LWTRANCHE_FIRST_USER_DEFINED", 2);
	l->has_debuginfo = true;
}

/* procs 1 and 2 wait on the CV (1 -> 2 -> end); this process is procno 1. */
static void make_memory(struct fixture *f, int32_t holdoff, int32_t num_held, bool cv_captured,
			bool cycle)
{
	put64(f->globals, G_MYPROC, PROCS + 1 * PROC_SIZE);
	put64(f->globals, G_PROCGLOBAL, PROC_HDR_ADDR);
	put64(f->globals, G_CV, CV_ADDR);
	put32(f->globals, G_HOLDOFF, (uint32_t)holdoff);
	put32(f->globals, G_NUMHELD, (uint32_t)num_held);
	put64(f->globals, G_HELD, LWLOCK_ADDR);
	put32(f->globals, G_HELD + 8, 0);
	put64(f->globals, G_TRANCHES, NAMES);
	put64(f->globals, G_TRANCHES + 8, NAMES + 16);
	int32_t next[N_PROCS] = { -1, 2, cycle ? 1 : -1, -1 };
	for (int i = 0; i < N_PROCS; i++) {
		put32(f->procs, i * PROC_SIZE, 1000 + i);
		put32(f->procs, i * PROC_SIZE + 8, (uint32_t)next[i]);
		put32(f->procs, i * PROC_SIZE + 12, 0x08000007);
	}
	uint8_t hdr[16] = { 0 };
	put64(hdr, 0, PROCS);
	put32(hdr, 8, N_PROCS);
	uint8_t cv[12] = { 0 };
	put32(cv, 4, 1);
	put32(cv, 8, 2);
	uint8_t lock[16] = { 0 };
	put32(lock, 0, 1);
	put32(lock, 8, 1);   /* waiters.head: procno 1 */
	const char names[32] = "MainTranche\0\0\0\0\0BufferContent";
	assert_null(pgm_target_memory_add(f->t, GLOBALS, f->globals, sizeof(f->globals), NULL));
	assert_null(pgm_target_memory_add(f->t, PROCS, f->procs, sizeof(f->procs), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, PROC_HDR_ADDR, hdr, sizeof(hdr), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, CV_ADDR, cv_captured ? cv : NULL, sizeof(cv),
					  "/dev/shm/PostgreSQL.4952892"));
	assert_null(pgm_target_memory_add(f->t, LWLOCK_ADDR, lock, sizeof(lock), NULL));
	assert_null(pgm_target_memory_add(f->t, NAMES, names, sizeof(names), "/usr/lib/postgresql/15/bin/postgres"));
}

static struct fixture *fixture_create(int32_t holdoff, int32_t num_held, bool cv_captured, bool cycle)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_null(pgm_target_memory_create(1001, &f->t));
	f->l = pgm_pg_layout_create_empty();
	make_layout(f->l);
	make_memory(f, holdoff, num_held, cv_captured, cycle);
	pgm_pg_init(&f->pg, f->t, f->l);
	return f;
}

static void fixture_destroy(struct fixture *f)
{
	pgm_pg_layout_destroy(f->l);
	pgm_target_destroy(f->t);
	free(f);
}

static struct pgm_report *analyze_cv_wait(struct fixture *f)
{
	struct pgm_report *r = pgm_report_create();
	r->pid = 1001;
	r->procno = 1;
	r->is_backend = true;
	r->wait.kind = PGM_WAIT_CONDITION_VARIABLE;
	r->wait.address = CV_ADDR;
	r->wait.has_address = true;
	assert_null(pgm_pg_read_interrupts(&f->pg, r));
	assert_null(pgm_pg_read_cv(&f->pg, CV_ADDR, 1, r));
	r->cv_sleep_target_set = true;
	assert_null(pgm_assess_killability(r));
	assert_null(pgm_compose_verdict(r));
	return r;
}

static bool has_diagnosis(const struct pgm_report *r, const char *code)
{
	for (size_t i = 0; i < r->n_diagnosis; i++)
		if (strcmp(r->diagnosis[i].code, code) == 0)
			return true;
	return false;
}

static void bug_15290_is_not_killable(void **state)
{
	struct fixture *f = fixture_create(1, 1, true, false);
	struct pgm_report *r = analyze_cv_wait(f);
	assert_int_equal(r->interrupts.killable, PGM_KILLABLE_NO);
	assert_int_equal(r->interrupts.n_held_lwlocks, 1);
	assert_string_equal(r->interrupts.held_lwlocks[0].name, "BufferContent");
	assert_string_equal(r->interrupts.held_lwlocks[0].mode, "exclusive");
	assert_true(has_diagnosis(r, "cv-sleep-holding-lwlock"));
	assert_non_null(strstr(r->interrupts.verdict, "InterruptHoldoffCount=1"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void cv_queue_walked_to_pids(void **state)
{
	struct fixture *f = fixture_create(0, 0, true, false);
	struct pgm_report *r = analyze_cv_wait(f);
	assert_true(r->wait.waiters_known);
	assert_int_equal(r->wait.n_waiters, 2);
	assert_int_equal(r->wait.waiters[0].pid, 1001);
	assert_true(r->wait.waiters[0].is_self);
	assert_int_equal(r->wait.waiters[1].pid, 1002);
	assert_int_equal(r->interrupts.killable, PGM_KILLABLE_YES);
	assert_false(has_diagnosis(r, "cv-sleep-holding-lwlock"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void uncaptured_cv_is_reported_missing(void **state)
{
	struct fixture *f = fixture_create(0, 0, false, false);
	struct pgm_report *r = analyze_cv_wait(f);
	assert_false(r->wait.waiters_known);
	assert_int_equal(r->n_missing, 1);
	assert_string_equal(r->missing[0].mapping, "/dev/shm/PostgreSQL.4952892");
	assert_int_equal(r->missing[0].address, CV_ADDR);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void proclist_cycle_is_detected(void **state)
{
	/* procno 2 points back to 1: 1 -> 2 -> 1 -> ... */
	struct fixture *f = fixture_create(0, 0, true, true);
	int32_t procnos[16];
	size_t n;
	struct pgm_error *err = pgm_pg_walk_proclist(&f->pg, 1, PGM_M_PGPROC_cvWaitLink_next, procnos, 16, &n);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_LIMIT);
	pgm_error_destroy(err);
	fixture_destroy(f);
}

static void wait_event_names_follow_enum_origin(void **state)
{
	struct pgm_pg_layout *l = pgm_pg_layout_create_empty();
	struct pgm_pg pg = { .layout = l };
	pgm_pg_layout_add_enumerator(l, PGM_E_WaitEventActivity, "WAIT_EVENT_BGWRITER_HIBERNATE", 0x05000001);
	const char *type;
	char *name;
	/* declared in wait_event.h: PostgreSQL <= 16's hand-written name */
	assert_null(pgm_pg_wait_event_decode(&pg, 0x05000001, &type, &name));
	assert_string_equal(type, "Activity");
	assert_string_equal(name, "BgWriterHibernate");
	free(name);
	/* generated into wait_event_types.h: 17+'s mechanical name */
	l->enums[PGM_E_WaitEventActivity].decl_file = strdup("wait_event_types.h");
	assert_null(pgm_pg_wait_event_decode(&pg, 0x05000001, &type, &name));
	assert_string_equal(name, "BgwriterHibernate");
	free(name);
	assert_null(pgm_pg_wait_event_decode(&pg, 0, &type, &name));
	assert_null(type);
	assert_null(pgm_pg_wait_event_decode(&pg, 0x08000042, &type, &name));
	assert_string_equal(type, "IPC");
	assert_string_equal(name, "unknown event 66");
	free(name);
	pgm_pg_layout_destroy(l);
}

/* ---- heavyweight locks: LOCK at LOCK_AT, PROCLOCKs at PROCLOCKS, name tables at TABLES ---- */
enum { LOCK_AT = 0x60000, PROCLOCKS = 0x61000, PROCLOCK_SIZE = 64, TABLES = 0x70000 };
enum { ACCESS_SHARE = 1, ACCESS_EXCLUSIVE = 8 };

/* 16+ shapes: dlist_head procLocks, dclist_head waitProcs, dlist_node links */
static void make_lock_layout(struct pgm_pg_layout *l)
{
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_waitLock, 24, 8);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_waitLockMode, 32, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_links, 40, 16);
	pgm_pg_layout_set_struct(l, PGM_S_LOCK, 64);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_tag, 0, 16);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_procLocks_head, 16, 16);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_procLocks_head_next, 24, 8);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_waitProcs_dlist_head, 32, 16);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_waitProcs_dlist_head_next, 40, 8);
	pgm_pg_layout_set_struct(l, PGM_S_LOCKTAG, 16);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field1, 0, 4);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field2, 4, 4);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field3, 8, 4);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field4, 12, 2);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_type, 14, 1);
	pgm_pg_layout_set_struct(l, PGM_S_PROCLOCK, PROCLOCK_SIZE);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_myLock, 0, 8);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_myProc, 8, 8);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_groupLeader, 16, 8);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_holdMask, 24, 4);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_lockLink, 32, 16);
	pgm_pg_layout_set_global(l, PGM_G_LockTagTypeNames, TABLES, 6 * 8);
	l->globals[PGM_G_LockTagTypeNames].elements = 6;
	pgm_pg_layout_set_global(l, PGM_G_lock_mode_names, TABLES + 0x40, 9 * 8);
	l->globals[PGM_G_lock_mode_names].elements = 9;
	pgm_pg_layout_set_global(l, PGM_G_LockConflicts, TABLES + 0x100, 9 * 4);
	l->globals[PGM_G_LockConflicts].elements = 9;
}

static void add_strings(struct fixture *f, uint8_t *tab, size_t slot, uint64_t at, const char *const *s, size_t n)
{
	char buf[512] = { 0 };
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		put64(tab, slot + i * 8, at + used);
		strcpy(buf + used, s[i]);
		used += strlen(s[i]) + 1;
	}
	assert_null(pgm_target_memory_add(f->t, at, buf, sizeof(buf), NULL));
}

static void make_tables(struct fixture *f)
{
	static const char *const types[] = { "relation", "extend", "frozenid", "page", "tuple", "transactionid" };
	static const char *const modes[] = { "INVALID", "AccessShareLock", "RowShareLock", "RowExclusiveLock",
		"ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock" };
	uint8_t tab[0x200] = { 0 };
	add_strings(f, tab, 0, TABLES + 0x1000, types, 6);
	add_strings(f, tab, 0x40, TABLES + 0x2000, modes, 9);
	put32(tab, 0x100 + 4 * ACCESS_SHARE, 1U << ACCESS_EXCLUSIVE);
	put32(tab, 0x100 + 4 * ACCESS_EXCLUSIVE, 0x1fe);
	assert_null(pgm_target_memory_add(f->t, TABLES, tab, sizeof(tab), NULL));
}

static uint64_t proc_at(int procno) { return PROCS + (uint64_t)procno * PROC_SIZE; }
static uint64_t proclock_at(int i) { return PROCLOCKS + (uint64_t)i * PROCLOCK_SIZE; }

/*
 * Procno 1 (us) waits for AccessExclusiveLock.  procLocks: 0 holds
 * AccessShareLock; 1 is ours, holding nothing; 3 holds AccessShareLock but
 * is in our lock group.  waitProcs: 2 (AccessShareLock), then us.  With
 * `cycle`, the last PROCLOCK points back to the second instead of the head.
 */
static void make_lock(struct fixture *f, uint8_t tag_type, bool cycle)
{
	static const int holders[3] = { 0, 1, 3 };
	static const uint32_t masks[3] = { 1U << ACCESS_SHARE, 0, 1U << ACCESS_SHARE };
	uint8_t lock[64] = { 0 }, pl[3 * PROCLOCK_SIZE] = { 0 };
	uint32_t tag[4] = { 5, 16384, 3, 7 };
	memcpy(lock, tag, 14);
	lock[14] = tag_type;
	put64(lock, 24, proclock_at(0) + 32);
	put64(lock, 40, proc_at(2) + 40);
	for (int i = 0; i < 3; i++) {
		put64(pl, i * PROCLOCK_SIZE, LOCK_AT);
		put64(pl, i * PROCLOCK_SIZE + 8, proc_at(holders[i]));
		put64(pl, i * PROCLOCK_SIZE + 16, proc_at(holders[i] == 3 ? 1 : holders[i]));
		put32(pl, i * PROCLOCK_SIZE + 24, masks[i]);
		put64(pl, i * PROCLOCK_SIZE + 40, i < 2 ? proclock_at(i + 1) + 32 : cycle ? proclock_at(1) + 32 : LOCK_AT + 16);
	}
	put64(f->procs, 1 * PROC_SIZE + 24, LOCK_AT);
	put32(f->procs, 1 * PROC_SIZE + 32, ACCESS_EXCLUSIVE);
	put64(f->procs, 1 * PROC_SIZE + 48, LOCK_AT + 32);
	put32(f->procs, 2 * PROC_SIZE + 32, ACCESS_SHARE);
	put64(f->procs, 2 * PROC_SIZE + 48, proc_at(1) + 40);
	put64(f->procs, 3 * PROC_SIZE + 16, proc_at(1));
	assert_null(pgm_target_memory_add(f->t, LOCK_AT, lock, sizeof(lock), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, PROCLOCKS, pl, sizeof(pl), "/dev/zero (deleted)"));
	make_tables(f);
}

static struct fixture *lock_fixture_create(uint8_t tag_type, bool cycle)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_null(pgm_target_memory_create(1001, &f->t));
	f->l = pgm_pg_layout_create_empty();
	make_layout(f->l);
	make_lock_layout(f->l);
	/* the PGPROC array goes in last, with the lock fields set */
	make_lock(f, tag_type, cycle);
	make_memory(f, 0, 0, true, false);
	pgm_pg_init(&f->pg, f->t, f->l);
	return f;
}

static void hwlock_blockers_are_conflicting_holders_and_waiters_ahead(void **state)
{
	struct fixture *f = lock_fixture_create(0, false);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_hwlock_wait(&f->pg, proc_at(1), &r->wait));
	r->wait.kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	assert_null(pgm_describe_wait(&r->wait));
	assert_string_equal(r->wait.description, "AccessExclusiveLock on relation 16384 (database 5)");
	assert_string_equal(r->wait.hwlock.tag.locktype, "relation");
	assert_true(r->wait.hwlock.tag.has_relation);
	assert_int_equal(r->wait.hwlock.tag.relation, 16384);
	assert_false(r->wait.hwlock.tag.has_page);
	assert_true(r->wait.holders_known);
	assert_int_equal(r->wait.n_holders, 2);
	assert_int_equal(r->wait.holders[0].pid, 1000);
	assert_string_equal(r->wait.holders[0].mode, "AccessShareLock");
	assert_string_equal(r->wait.holders[0].evidence, "holds AccessShareLock, which conflicts with AccessExclusiveLock");
	assert_int_equal(r->wait.holders[1].pid, 1002);
	assert_non_null(strstr(r->wait.holders[1].evidence, "queued ahead"));
	assert_true(r->wait.waiters_known);
	assert_int_equal(r->wait.n_waiters, 2);
	assert_int_equal(r->wait.waiters[0].pid, 1002);
	assert_true(r->wait.waiters[1].is_self);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void hwlock_tuple_tag_is_decoded(void **state)
{
	struct fixture *f = lock_fixture_create(4, false);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_hwlock_wait(&f->pg, proc_at(1), &r->wait));
	r->wait.kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	assert_null(pgm_describe_wait(&r->wait));
	assert_string_equal(r->wait.description,
			    "AccessExclusiveLock on tuple (3,7) of relation 16384 (database 5)");
	assert_int_equal(r->wait.hwlock.tag.page, 3);
	assert_true(r->wait.hwlock.tag.has_tuple);
	assert_int_equal(r->wait.hwlock.tag.tuple, 7);
	assert_int_equal(r->wait.hwlock.tag.database, 5);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void hwlock_transactionid_tag_is_decoded(void **state)
{
	struct fixture *f = lock_fixture_create(5, false);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_hwlock_wait(&f->pg, proc_at(1), &r->wait));
	r->wait.kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	assert_null(pgm_describe_wait(&r->wait));
	assert_string_equal(r->wait.description, "AccessExclusiveLock on transaction 5");
	assert_true(r->wait.hwlock.tag.has_transactionid);
	assert_int_equal(r->wait.hwlock.tag.transactionid, 5);
	assert_false(r->wait.hwlock.tag.has_relation);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void proclock_ring_walk_and_cycle(void **state)
{
	struct fixture *f = lock_fixture_create(0, false);
	uint64_t *items;
	size_t n;
	assert_null(pgm_pg_walk_ring(&f->pg, LOCK_AT + 16, 8, 32, &items, &n));
	assert_int_equal(n, 3);
	assert_int_equal(items[0], proclock_at(0));
	assert_int_equal(items[2], proclock_at(2));
	free(items);
	fixture_destroy(f);

	f = lock_fixture_create(0, true);
	struct pgm_error *err = pgm_pg_walk_ring(&f->pg, LOCK_AT + 16, 8, 32, &items, &n);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_LIMIT);
	assert_true(n >= 3 && n < 16);
	pgm_error_destroy(err);
	free(items);
	struct pgm_report *r = pgm_report_create();
	err = pgm_pg_read_hwlock_wait(&f->pg, proc_at(1), &r->wait);
	assert_non_null(err);
	assert_false(r->wait.holders_known);
	pgm_error_destroy(err);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

/* LWLock wait: procno 1 then 2 queued (lwWaitLink.next @56), procno 1 asks LW_SHARED (@60). */
static void lwlock_wait_names_tranche_and_queue(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_null(pgm_target_memory_create(1001, &f->t));
	f->l = pgm_pg_layout_create_empty();
	make_layout(f->l);
	pgm_pg_layout_set_member(f->l, PGM_M_LWLock_waiters_head, 8, 4);
	pgm_pg_layout_set_member(f->l, PGM_M_PGPROC_lwWaitLink_next, 56, 4);
	pgm_pg_layout_set_member(f->l, PGM_M_PGPROC_lwWaitMode, 60, 4);
	for (int i = 0; i < N_PROCS; i++)
		put32(f->procs, i * PROC_SIZE + 56, i == 1 ? 2 : (uint32_t)-1);
	put32(f->procs, 1 * PROC_SIZE + 60, 1);
	make_memory(f, 0, 0, true, false);
	pgm_pg_init(&f->pg, f->t, f->l);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_lwlock_wait(&f->pg, LWLOCK_ADDR, proc_at(1), 1, &r->wait));
	assert_string_equal(r->wait.lwlock.tranche, "BufferContent");
	assert_string_equal(r->wait.lwlock.mode, "shared");
	/* no server version in this fixture: the lock word stays undecoded, not guessed */
	assert_false(r->wait.lwlock.state_known);
	assert_true(r->wait.waiters_known);
	assert_int_equal(r->wait.n_waiters, 2);
	assert_int_equal(r->wait.waiters[0].pid, 1001);
	assert_true(r->wait.waiters[0].is_self);
	assert_int_equal(r->wait.waiters[1].pid, 1002);
	assert_false(r->wait.holders_known);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bug_15290_is_not_killable),
		cmocka_unit_test(cv_queue_walked_to_pids),
		cmocka_unit_test(uncaptured_cv_is_reported_missing),
		cmocka_unit_test(proclist_cycle_is_detected),
		cmocka_unit_test(wait_event_names_follow_enum_origin),
		cmocka_unit_test(hwlock_blockers_are_conflicting_holders_and_waiters_ahead),
		cmocka_unit_test(hwlock_tuple_tag_is_decoded),
		cmocka_unit_test(hwlock_transactionid_tag_is_decoded),
		cmocka_unit_test(proclock_ring_walk_and_cycle),
		cmocka_unit_test(lwlock_wait_names_tranche_and_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
