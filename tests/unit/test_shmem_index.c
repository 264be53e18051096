/*
 * The main segment's index (pg/shmem_index.c) and a profile's checks
 * (pg/profile_check.c) over a hand-built segment: what a stripped build
 * reaches through ShmemIndex, and how damage or a wrong layout is told.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg/pg.h"
#include "pg/profile.h"

enum {
	GLOBALS = 0x10000,   /* ProcGlobal @0, MyProcPid @8, MyProc @16 */
	SEG = 0x100000,      /* the main segment */
	SEG_SIZE = 0x10000,
	HDR_INDEX = 0x100,   /* ShmemIndex's HASHHDR (64 bytes), its directory right after */
	DIR_OFF = 0x140,
	BUCKETS = 0x200,     /* one segment of 4 buckets */
	ELEMS = 0x1000,      /* element k at ELEMS + k * 0x100; its entry 16 bytes later */
	PROC_HDR = 0x3000,
	STATUS = 0x4000,
	LOCK_HCTL = 0x5000,
	PROCS = 0x6000,      /* two PGPROCs of 64 bytes */
	LWLOCKS = 0x8000,    /* LWLocks of 16 bytes */
	PID = 4242,
};

static const char *const names[] = { "Proc Header", "Backend Status Array", "LOCK hash", "Something Else" };
static const uint64_t locations[] = { PROC_HDR, STATUS, LOCK_HCTL, 0x7000 };

struct fixture {
	struct pgm_target *t;
	struct pgm_pg_layout *l;
	struct pgm_pg pg;
	uint8_t seg[SEG_SIZE];
	uint8_t globals[24];
};

static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

static void make_layout(struct pgm_pg_layout *l)
{
	pgm_pg_layout_set_struct(l, PGM_S_PGShmemHeader, 48);
	pgm_pg_layout_set_member(l, PGM_M_PGShmemHeader_magic, 0, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGShmemHeader_totalsize, 8, 8);
	pgm_pg_layout_set_member(l, PGM_M_PGShmemHeader_index, 32, 8);
	pgm_pg_layout_set_struct(l, PGM_S_HASHHDR, 64);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_dsize, 0, 8);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_nsegs, 8, 8);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_max_bucket, 16, 4);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_ssize, 24, 8);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_sshift, 32, 4);
	pgm_pg_layout_set_struct(l, PGM_S_HASHELEMENT, 16);
	pgm_pg_layout_set_member(l, PGM_M_HASHELEMENT_link, 0, 8);
	pgm_pg_layout_set_struct(l, PGM_S_ShmemIndexEnt, 72);
	pgm_pg_layout_set_member(l, PGM_M_ShmemIndexEnt_key, 0, 48);
	pgm_pg_layout_set_member(l, PGM_M_ShmemIndexEnt_location, 48, 8);
	pgm_pg_layout_set_member(l, PGM_M_ShmemIndexEnt_size, 56, 8);
	pgm_pg_layout_set_struct(l, PGM_S_PROC_HDR, 16);
	pgm_pg_layout_set_member(l, PGM_M_PROC_HDR_allProcs, 0, 8);
	pgm_pg_layout_set_member(l, PGM_M_PROC_HDR_allProcCount, 8, 4);
	pgm_pg_layout_set_struct(l, PGM_S_PGPROC, 64);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_pid, 0, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_lwWaitLink_next, 8, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_lwWaitLink_prev, 12, 4);
	pgm_pg_layout_set_struct(l, PGM_S_LWLock, 16);
	pgm_pg_layout_set_member(l, PGM_M_LWLock_tranche, 0, 2);
	pgm_pg_layout_set_member(l, PGM_M_LWLock_state, 4, 4);
	pgm_pg_layout_set_member(l, PGM_M_LWLock_waiters_head, 8, 4);
	pgm_pg_layout_set_member(l, PGM_M_LWLock_waiters_tail, 12, 4);
	pgm_pg_layout_set_struct(l, PGM_S_PgBackendStatus, 32);
	pgm_pg_layout_set_member(l, PGM_M_PgBackendStatus_changecount, 0, 4);
	pgm_pg_layout_set_member(l, PGM_M_PgBackendStatus_procpid, 4, 4);
	pgm_pg_layout_set_global(l, PGM_G_ProcGlobal, GLOBALS, 8);
	pgm_pg_layout_set_global(l, PGM_G_MyProcPid, GLOBALS + 8, 4);
	pgm_pg_layout_set_global(l, PGM_G_MyProc, GLOBALS + 16, 8);
	/* what a profile leaves unplaced: file-statics, and MyBEEntry here */
	l->globals[PGM_G_BackendStatusArray].unknown_reason = strdup("a file-static");
}

/* Four index entries in bucket 0 (a chain), each naming one structure. */
static void make_index(uint8_t *seg)
{
	put32(seg, 0, PGM_PG_SHMEM_MAGIC);
	put64(seg, 8, SEG_SIZE);
	put64(seg, 32, SEG + HDR_INDEX);
	put64(seg, HDR_INDEX + 0, 1);      /* dsize */
	put64(seg, HDR_INDEX + 8, 1);      /* nsegs */
	put32(seg, HDR_INDEX + 16, 3);     /* max_bucket */
	put64(seg, HDR_INDEX + 24, 4);     /* ssize */
	put32(seg, HDR_INDEX + 32, 2);     /* sshift */
	put64(seg, DIR_OFF, SEG + BUCKETS);
	put64(seg, BUCKETS, SEG + ELEMS);
	for (int k = 0; k < 4; k++) {
		uint8_t *e = seg + ELEMS + k * 0x100;
		put64(e, 0, k < 3 ? SEG + ELEMS + (k + 1) * 0x100 : 0);
		strcpy((char *)e + 16, names[k]);
		put64(e, 16 + 48, SEG + locations[k]);
	}
}

/* Two PGPROCs (PID and 4243) and a status entry for each. */
static void make_procs(uint8_t *seg, uint8_t *globals)
{
	put64(seg, PROC_HDR, SEG + PROCS);
	put32(seg, PROC_HDR + 8, 2);
	put32(seg, PROCS, PID);
	put32(seg, PROCS + 64, 4243);
	put32(seg, STATUS + 4, PID);
	put32(seg, STATUS + 32 + 4, 4243);
	put64(globals, 0, SEG + PROC_HDR);
	put32(globals, 8, PID);
	put64(globals, 16, SEG + PROCS);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->l = pgm_pg_layout_create_empty();
	make_layout(f->l);
	make_index(f->seg);
	make_procs(f->seg, f->globals);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pgm_target_destroy(f->t);
	pgm_pg_layout_destroy(f->l);
	free(f);
	return 0;
}

/* The target over the (possibly edited) segment, and pg with its index read. */
static struct pgm_pg_shmem *open_pg(struct fixture *f)
{
	struct pgm_pg_shmem *s = NULL;
	assert_null(pgm_target_memory_create(PID, &f->t));
	assert_null(pgm_target_memory_add(f->t, GLOBALS, f->globals, sizeof(f->globals), NULL));
	assert_null(pgm_target_memory_add(f->t, SEG, f->seg, sizeof(f->seg), "/dev/zero (deleted)"));
	pgm_pg_init(&f->pg, f->t, f->l);
	assert_null(pgm_pg_shmem_read(&f->pg, &s));
	f->pg.shmem = s;
	return s;
}

/* Global g reads as unknown, and the reason holds `words`. */
static void assert_unknown(struct fixture *f, enum pgm_pg_global_id g, const char *words)
{
	uint64_t v;
	struct pgm_error *err = pgm_pg_read_global(&f->pg, g, &v);
	assert_non_null(err);
	assert_non_null(strstr(err->message, words));
	pgm_error_destroy(err);
}

/* The index was read with a problem that holds `words`; frees s. */
static void assert_problem(struct pgm_pg_shmem *s, const char *words)
{
	assert_non_null(s->problem);
	assert_non_null(strstr(s->problem, words));
	pgm_pg_shmem_destroy(s);
}

static void index_places_the_file_statics(void **state)
{
	struct fixture *f = *state;
	struct pgm_pg_shmem *s = open_pg(f);
	uint64_t v, hctl, dir;
	assert_null(s->problem);
	assert_int_equal(s->header, SEG);
	assert_int_equal(s->n_entries, 4);
	assert_int_equal(s->location[PGM_SH_ProcGlobal], SEG + PROC_HDR);
	assert_null(pgm_pg_read_global(&f->pg, PGM_G_BackendStatusArray, &v));
	assert_int_equal(v, SEG + STATUS);
	assert_null(pgm_pg_read_global(&f->pg, PGM_G_ShmemSegHdr, &v));
	assert_int_equal(v, SEG);
	/* an HTAB * global: the entry is the table's header, its directory right after */
	assert_null(pgm_pg_shared_hash(&f->pg, PGM_G_LockMethodLockHash, &hctl, &dir));
	assert_int_equal(hctl, SEG + LOCK_HCTL);
	assert_int_equal(dir, SEG + LOCK_HCTL + 64);
	/* a file-static the index does not hold stays unknown, saying why */
	assert_unknown(f, PGM_G_BackgroundWorkerData, "no entry");
	pgm_pg_shmem_destroy(s);
}

static void cyclic_index_is_bounded(void **state)
{
	struct fixture *f = *state;
	put64(f->seg + ELEMS + 3 * 0x100, 0, SEG + ELEMS + 0x100);   /* the last entry links back */
	struct pgm_pg_shmem *s = open_pg(f);
	assert_int_equal(s->location[PGM_SH_ProcGlobal], SEG + PROC_HDR);   /* what was read stands */
	assert_problem(s, "cycle");
}

static void not_a_segment_header(void **state)
{
	struct fixture *f = *state;
	put32(f->seg, 0, 0x12345678);
	struct pgm_pg_shmem *s = open_pg(f);
	assert_unknown(f, PGM_G_BackendStatusArray, "index could not be read");
	assert_problem(s, "does not start with PostgreSQL's segment header");
}

static void location_outside_the_segment(void **state)
{
	struct fixture *f = *state;
	put64(f->seg + ELEMS + 0x100, 16 + 48, 0xdead0000);
	assert_problem(open_pg(f), "outside the main segment");
}

/* The checks over f's capture: the refusal (the caller frees it), NULL if they passed; *n_passed. */
static char *run_checks(struct fixture *f, size_t *n_passed)
{
	char **checks, *refused;
	assert_null(pgm_pg_profile_check(&f->pg, &checks, n_passed, &refused));
	for (size_t i = 0; i < *n_passed; i++)
		free(checks[i]);
	free(checks);
	return refused;
}

/* The checks pass on a consistent capture and name the first that fails. */
static void checks_pass_then_refuse(void **state)
{
	struct fixture *f = *state;
	struct pgm_pg_shmem *s = open_pg(f);
	size_t n;
	assert_null(run_checks(f, &n));
	assert_int_equal(n, 3);
	pgm_target_destroy(f->t);
	pgm_pg_shmem_destroy(s);
	/* a status entry whose pid no PGPROC has: a PgBackendStatus offset that is wrong */
	put32(f->seg, STATUS + 32 + 4, 999);
	s = open_pg(f);
	char *refused = run_checks(f, &n);
	assert_string_equal(refused, "PgBackendStatus has an entry for pid 999, which no live PGPROC has");
	free(refused);
	pgm_pg_shmem_destroy(s);
}

static void wrong_pid_offset_is_refused(void **state)
{
	struct fixture *f = *state;
	pgm_pg_layout_set_member(f->l, PGM_M_PGPROC_pid, 4, 4);
	struct pgm_pg_shmem *s = open_pg(f);
	size_t n;
	char *refused = run_checks(f, &n);
	assert_string_equal(refused, "MyProc->pid is 0, but the capture is of pid 4242");
	free(refused);
	pgm_pg_shmem_destroy(s);
}

/* An LWLock of `tranche` at LWLOCKS + 16 * k whose queue runs from procno head to tail. */
static void put_lwlock(uint8_t *seg, int k, uint16_t tranche, int32_t head, int32_t tail)
{
	memcpy(seg + LWLOCKS + 16 * k, &tranche, 2);
	put32(seg, LWLOCKS + 16 * k + 8, (uint32_t)head);
	put32(seg, LWLOCKS + 16 * k + 12, (uint32_t)tail);
}

/* Both PGPROCs queue on one lock (0 then 1); decoys differ in tranche or queue. */
static void lwlock_found_by_its_queue(void **state)
{
	struct fixture *f = *state;
	put32(f->seg, PROCS + 8, 1);
	put32(f->seg, PROCS + 12, INT32_MAX);       /* INVALID_PGPROCNO up to 16 */
	put32(f->seg, PROCS + 64 + 8, INT32_MAX);
	put32(f->seg, PROCS + 64 + 12, 0);
	put_lwlock(f->seg, 0, 57, 0, 1);            /* another tranche */
	put_lwlock(f->seg, 1, 56, 1, 0);            /* another queue */
	put_lwlock(f->seg, 2, 56, 0, 1);            /* the lock */
	struct pgm_pg_shmem *s = open_pg(f);
	uint64_t lock;
	assert_null(pgm_pg_find_waited_lwlock(&f->pg, 1, 56, &lock));
	assert_int_equal(lock, SEG + LWLOCKS + 32);
	pgm_pg_shmem_destroy(s);
	pgm_target_destroy(f->t);
	/* two candidates: unknown, never a guess */
	put_lwlock(f->seg, 3, 56, 0, 1);
	s = open_pg(f);
	struct pgm_error *err = pgm_pg_find_waited_lwlock(&f->pg, 1, 56, &lock);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "2 LWLocks of tranche 56"));
	pgm_error_destroy(err);
	pgm_pg_shmem_destroy(s);
	pgm_target_destroy(f->t);
	/* a process on no queue: both links 0 */
	put32(f->seg, PROCS + 64 + 8, 0);
	s = open_pg(f);
	err = pgm_pg_find_waited_lwlock(&f->pg, 1, 56, &lock);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "on no LWLock's wait queue"));
	pgm_error_destroy(err);
	pgm_pg_shmem_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(index_places_the_file_statics, setup, teardown),
		cmocka_unit_test_setup_teardown(cyclic_index_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(not_a_segment_header, setup, teardown),
		cmocka_unit_test_setup_teardown(location_outside_the_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(checks_pass_then_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_pid_offset_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(lwlock_found_by_its_queue, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
