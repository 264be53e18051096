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
	assert_null(pgm_assess_killability(r, true));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bug_15290_is_not_killable),
		cmocka_unit_test(cv_queue_walked_to_pids),
		cmocka_unit_test(uncaptured_cv_is_reported_missing),
		cmocka_unit_test(proclist_cycle_is_detected),
		cmocka_unit_test(wait_event_names_follow_enum_origin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
