/*
 * The instance view over an in-memory target with a hand-built layout: the
 * dynahash walk (directory -> segments -> bucket chains), including damaged
 * chains (a cycle, a link out of captured memory) and an implausible
 * header; and the wait-for graph's roots and cycles.
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
#include "pgmortem/instance.h"

enum {
	HTAB_ADDR = 0x1000,
	HCTL_ADDR = 0x2000,
	DIR_ADDR = 0x3000,
	SEG0 = 0x4000,
	SEG1 = 0x4100,
	ELEMS = 0x5000,       /* element k at ELEMS + k * 0x40 */
	NOT_CAPTURED = 0x9000,
	ELEM_DATA = 16,       /* MAXALIGN(sizeof(HASHELEMENT)) */
};

#define ELEM(k) ((uint64_t)ELEMS + (k) * 0x40)

struct fixture {
	struct pgm_target *t;
	struct pgm_pg_layout *l;
	struct pgm_pg pg;
	struct pgm_instance inst;
};

static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }

static void make_layout(struct pgm_pg_layout *l)
{
	pgm_pg_layout_set_struct(l, PGM_S_HTAB, 96);
	pgm_pg_layout_set_member(l, PGM_M_HTAB_hctl, 0, 8);
	pgm_pg_layout_set_member(l, PGM_M_HTAB_dir, 8, 8);
	pgm_pg_layout_set_struct(l, PGM_S_HASHHDR, 848);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_dsize, 768, 8);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_nsegs, 776, 8);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_max_bucket, 784, 4);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_ssize, 832, 8);
	pgm_pg_layout_set_member(l, PGM_M_HASHHDR_sshift, 840, 4);
	pgm_pg_layout_set_struct(l, PGM_S_HASHELEMENT, 12);   /* MAXALIGNed to 16 */
	pgm_pg_layout_set_member(l, PGM_M_HASHELEMENT_link, 0, 8);
	l->has_debuginfo = true;
}

/*
 * Buckets 0..5 in two segments of 4: bucket 0 -> e1 -> e3, bucket 2 -> e2
 * (-> e5 -> e2 when cyclic), bucket 5 -> e4 (-> uncaptured when `stray`).
 */
static struct fixture *fixture_create(uint64_t ssize, bool cyclic, bool stray)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_null(pgm_target_memory_create(1, &f->t));
	f->l = pgm_pg_layout_create_empty();
	make_layout(f->l);
	uint8_t htab[96] = { 0 }, hctl[848] = { 0 }, dir[16], seg0[32] = { 0 }, seg1[32] = { 0 }, elems[6 * 0x40] = { 0 };
	put64(htab, 0, HCTL_ADDR);
	put64(htab, 8, DIR_ADDR);
	put64(hctl, 768, 4);
	put64(hctl, 776, 2);
	put64(hctl, 784, 5);
	put64(hctl, 832, ssize);
	put64(hctl, 840, 2);
	put64(dir, 0, SEG0);
	put64(dir, 8, SEG1);
	put64(seg0, 0, ELEM(1));
	put64(seg0, 16, ELEM(2));
	put64(seg1, 8, ELEM(4));
	put64(elems, 1 * 0x40, ELEM(3));
	put64(elems, 2 * 0x40, cyclic ? ELEM(5) : 0);
	put64(elems, 5 * 0x40, ELEM(2));
	put64(elems, 4 * 0x40, stray ? NOT_CAPTURED : 0);
	assert_null(pgm_target_memory_add(f->t, HTAB_ADDR, htab, sizeof(htab), NULL));
	assert_null(pgm_target_memory_add(f->t, HCTL_ADDR, hctl, sizeof(hctl), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, DIR_ADDR, dir, sizeof(dir), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, SEG0, seg0, sizeof(seg0), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, SEG1, seg1, sizeof(seg1), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, ELEMS, elems, sizeof(elems), "/dev/zero (deleted)"));
	assert_null(pgm_target_memory_add(f->t, NOT_CAPTURED, NULL, 0x100, "/dev/shm/PostgreSQL.1"));
	pgm_pg_init(&f->pg, f->t, f->l);
	return f;
}

static void fixture_destroy(struct fixture *f)
{
	for (size_t i = 0; i < f->inst.n_problems; i++)
		free(f->inst.problems[i]);
	free(f->inst.problems);
	pgm_pg_layout_destroy(f->l);
	pgm_target_destroy(f->t);
	free(f);
}

static bool has_entry(const uint64_t *e, size_t n, uint64_t elem)
{
	for (size_t i = 0; i < n; i++)
		if (e[i] == elem + ELEM_DATA)
			return true;
	return false;
}

static bool problem_mentions(const struct pgm_instance *inst, const char *what)
{
	for (size_t i = 0; i < inst->n_problems; i++)
		if (strstr(inst->problems[i], what))
			return true;
	return false;
}

static void hash_walk_finds_every_entry(void **state)
{
	struct fixture *f = fixture_create(4, false, false);
	uint64_t *e;
	size_t n;
	assert_null(pgm_pg_hash_entries(&f->pg, HTAB_ADDR, 100, &f->inst, &e, &n));
	assert_int_equal(n, 4);
	assert_true(has_entry(e, n, ELEM(1)) && has_entry(e, n, ELEM(2)) && has_entry(e, n, ELEM(3)) &&
		    has_entry(e, n, ELEM(4)));
	assert_int_equal(f->inst.n_problems, 0);
	free(e);
	fixture_destroy(f);
}

static void hash_walk_stops_a_cyclic_chain_and_goes_on(void **state)
{
	struct fixture *f = fixture_create(4, true, false);
	uint64_t *e;
	size_t n;
	assert_null(pgm_pg_hash_entries(&f->pg, HTAB_ADDR, 100, &f->inst, &e, &n));
	assert_true(problem_mentions(&f->inst, "cycle"));
	assert_int_equal(f->inst.n_problems, 1);
	assert_true(has_entry(e, n, ELEM(5)));
	assert_true(has_entry(e, n, ELEM(4)));   /* the next segment is still walked */
	assert_int_equal(n, 5);                  /* e1, e3, e2, e5, e4: each once */
	free(e);
	fixture_destroy(f);
}

static void hash_walk_skips_a_chain_leaving_the_capture(void **state)
{
	struct fixture *f = fixture_create(4, false, true);
	uint64_t *e;
	size_t n;
	assert_null(pgm_pg_hash_entries(&f->pg, HTAB_ADDR, 100, &f->inst, &e, &n));
	assert_int_equal(f->inst.n_problems, 1);
	assert_true(has_entry(e, n, ELEM(1)) && has_entry(e, n, ELEM(2)) && has_entry(e, n, ELEM(4)));
	free(e);
	fixture_destroy(f);
}

static void hash_walk_is_bounded(void **state)
{
	struct fixture *f = fixture_create(4, true, false);
	uint64_t *e;
	size_t n;
	assert_null(pgm_pg_hash_entries(&f->pg, HTAB_ADDR, 2, &f->inst, &e, &n));
	assert_int_equal(n, 2);
	assert_int_equal(f->inst.n_problems, 1);
	assert_true(problem_mentions(&f->inst, "stopped at 2 entries"));
	free(e);
	fixture_destroy(f);
}

static void hash_walk_rejects_an_implausible_header(void **state)
{
	struct fixture *f = fixture_create(3, false, false);   /* ssize not a power of two */
	uint64_t *e;
	size_t n;
	struct pgm_error *err = pgm_pg_hash_entries(&f->pg, HTAB_ADDR, 100, &f->inst, &e, &n);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	assert_int_equal(n, 0);
	pgm_error_destroy(err);
	free(e);
	fixture_destroy(f);
}

/* ---- pg_locks from the lock table: a corrupt LOCK is reported and skipped ---- */

enum {
	L_GLOBALS = 0x10000, L_HTAB = 0x11000, L_HCTL = 0x12000, L_DIR = 0x13000, L_SEG = 0x14000,
	L_ELEMS = 0x20000,   /* element k at L_ELEMS + k * 0x100, its LOCK 16 bytes later */
	L_PROCLOCK = 0x30000, L_PROCS = 0x40000, L_PROC_HDR = 0x50000, L_NAMES = 0x60000,
};
/* globals: ProcGlobal @0, LockMethodLockHash @8, LockTagTypeNames[2] @16, lock_mode_names[2] @32 */

static void make_lock_layout(struct pgm_pg_layout *l)
{
	make_layout(l);
	pgm_pg_layout_set_struct(l, PGM_S_LOCK, 64);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_tag, 0, 16);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_procLocks_head, 16, 16);
	pgm_pg_layout_set_member(l, PGM_M_LOCK_procLocks_head_next, 24, 8);
	pgm_pg_layout_set_struct(l, PGM_S_LOCKTAG, 16);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field1, 0, 4);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field2, 4, 4);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field3, 8, 4);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_field4, 12, 2);
	pgm_pg_layout_set_member(l, PGM_M_LOCKTAG_type, 14, 1);
	pgm_pg_layout_set_struct(l, PGM_S_PROCLOCK, 48);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_myProc, 8, 8);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_holdMask, 16, 4);
	pgm_pg_layout_set_member(l, PGM_M_PROCLOCK_lockLink, 24, 16);
	pgm_pg_layout_set_struct(l, PGM_S_PGPROC, 64);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_pid, 0, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_waitProcLock, 8, 8);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_waitLockMode, 16, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_backendId, 20, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_lxid, 24, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_databaseId, 28, 4);
	pgm_pg_layout_set_struct(l, PGM_S_PROC_HDR, 16);
	pgm_pg_layout_set_member(l, PGM_M_PROC_HDR_allProcs, 0, 8);
	pgm_pg_layout_set_member(l, PGM_M_PROC_HDR_allProcCount, 8, 4);
	pgm_pg_layout_set_global(l, PGM_G_ProcGlobal, L_GLOBALS, 8);
	pgm_pg_layout_set_global(l, PGM_G_LockMethodLockHash, L_GLOBALS + 8, 8);
	pgm_pg_layout_set_global(l, PGM_G_LockTagTypeNames, L_GLOBALS + 16, 16);
	l->globals[PGM_G_LockTagTypeNames].elements = 2;
	pgm_pg_layout_set_global(l, PGM_G_lock_mode_names, L_GLOBALS + 32, 16);
	l->globals[PGM_G_lock_mode_names].elements = 2;
}

/* LOCK k: tag (5, rel, 0, 0, type), procLocks ring of `proclock` (or empty). */
static void put_lock(uint8_t *elems, int k, uint32_t rel, uint8_t type, uint64_t proclock)
{
	uint8_t *lock = elems + k * 0x100 + ELEM_DATA;
	uint64_t head = L_ELEMS + (uint64_t)k * 0x100 + ELEM_DATA + 16;
	memcpy(lock, &(uint32_t){ 5 }, 4);
	memcpy(lock + 4, &rel, 4);
	lock[14] = type;
	put64(lock, 16, proclock ? proclock + 24 : head);   /* prev */
	put64(lock, 24, proclock ? proclock + 24 : head);   /* next */
}

static void lock_table_skips_a_corrupt_lock(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_null(pgm_target_memory_create(1, &f->t));
	f->l = pgm_pg_layout_create_empty();
	make_lock_layout(f->l);
	uint8_t globals[48] = { 0 }, htab[96] = { 0 }, hctl[848] = { 0 }, dir[8], seg[32] = { 0 };
	uint8_t elems[2 * 0x100] = { 0 }, proclock[48] = { 0 }, proc[64] = { 0 }, hdr[16] = { 0 };
	const char names[] = "relation\0AccessShareLock";
	put64(globals, 0, L_PROC_HDR);
	put64(globals, 8, L_HTAB);
	put64(globals, 16, L_NAMES);
	put64(globals, 24, L_NAMES);
	put64(globals, 32, L_NAMES);       /* lock_mode_names[0] (NoLock) unused */
	put64(globals, 40, L_NAMES + 9);
	put64(htab, 0, L_HCTL);
	put64(htab, 8, L_DIR);
	put64(hctl, 768, 1);               /* dsize */
	put64(hctl, 776, 1);               /* nsegs */
	put64(hctl, 784, 3);               /* max_bucket */
	put64(hctl, 832, 4);               /* ssize */
	put64(hctl, 840, 2);               /* sshift */
	put64(dir, 0, L_SEG);
	put64(seg, 0, L_ELEMS);                      /* bucket 0: e0 -> e1 */
	put64(elems, 0, L_ELEMS + 0x100);
	put_lock(elems, 0, 100, 0, L_PROCLOCK);      /* relation 100, held by proc 0 */
	put_lock(elems, 1, 200, 9, 0);               /* locktag type 9: no such type */
	uint64_t head0 = L_ELEMS + ELEM_DATA + 16;
	put64(proclock, 8, L_PROCS);
	memcpy(proclock + 16, &(uint32_t){ 1u << 1 }, 4);
	put64(proclock, 24, head0);
	put64(proclock, 32, head0);
	memcpy(proc, &(uint32_t){ 4242 }, 4);
	memcpy(proc + 20, &(uint32_t){ 3 }, 4);
	memcpy(proc + 24, &(uint32_t){ 7 }, 4);
	put64(hdr, 0, L_PROCS);
	memcpy(hdr + 8, &(uint32_t){ 1 }, 4);
	assert_null(pgm_target_memory_add(f->t, L_GLOBALS, globals, sizeof(globals), NULL));
	assert_null(pgm_target_memory_add(f->t, L_HTAB, htab, sizeof(htab), NULL));
	assert_null(pgm_target_memory_add(f->t, L_HCTL, hctl, sizeof(hctl), NULL));
	assert_null(pgm_target_memory_add(f->t, L_DIR, dir, sizeof(dir), NULL));
	assert_null(pgm_target_memory_add(f->t, L_SEG, seg, sizeof(seg), NULL));
	assert_null(pgm_target_memory_add(f->t, L_ELEMS, elems, sizeof(elems), NULL));
	assert_null(pgm_target_memory_add(f->t, L_PROCLOCK, proclock, sizeof(proclock), NULL));
	assert_null(pgm_target_memory_add(f->t, L_PROCS, proc, sizeof(proc), NULL));
	assert_null(pgm_target_memory_add(f->t, L_PROC_HDR, hdr, sizeof(hdr), NULL));
	assert_null(pgm_target_memory_add(f->t, L_NAMES, names, sizeof(names), NULL));
	pgm_pg_init(&f->pg, f->t, f->l);

	assert_null(pgm_pg_read_locks(&f->pg, &f->inst));
	assert_true(f->inst.locks_known);
	assert_int_equal(f->inst.n_locks, 1);
	const struct pgm_lock_row *row = &f->inst.locks[0];
	assert_string_equal(row->tag.locktype, "relation");
	assert_true(row->tag.has_relation && row->tag.has_database && !row->tag.has_page);
	assert_int_equal(row->tag.relation, 100);
	assert_int_equal(row->tag.database, 5);
	assert_string_equal(row->mode, "AccessShareLock");
	assert_int_equal(row->pid, 4242);
	assert_string_equal(row->virtualtransaction, "3/7");
	assert_true(row->granted);
	assert_false(row->fastpath);
	assert_true(problem_mentions(&f->inst, "LOCK at 0x20110 skipped"));
	assert_true(problem_mentions(&f->inst, "fast-path"));   /* this layout has no fpLockBits */
	for (size_t i = 0; i < f->inst.n_locks; i++)
		pgm_lock_row_deinit(&f->inst.locks[i]);
	free(f->inst.locks);
	fixture_destroy(f);
}

/* ---- the graph ---- */

static bool has_root(const struct pgm_graph *g, int32_t pid)
{
	for (size_t i = 0; i < g->n_roots; i++)
		if (g->roots[i] == pid)
			return true;
	return false;
}

static void graph_roots_of_a_chain(void **state)
{
	struct pgm_graph g = { .n_edges = 0 };
	assert_null(pgm_graph_add_edge(&g, 1, 2, PGM_EDGE_HWLOCK, "a"));
	assert_null(pgm_graph_add_edge(&g, 3, 2, PGM_EDGE_HWLOCK, "b"));
	assert_null(pgm_graph_add_edge(&g, 2, 4, PGM_EDGE_LWLOCK, "c"));
	assert_null(pgm_graph_add_edge(&g, 2, 4, PGM_EDGE_LWLOCK, "c again"));
	assert_null(pgm_graph_add_edge(&g, 5, PGM_PID_UNKNOWN_HOLDER, PGM_EDGE_LWLOCK, "d"));
	assert_null(pgm_graph_analyze(&g));
	assert_int_equal(g.n_edges, 4);
	assert_int_equal(g.n_roots, 2);
	assert_true(has_root(&g, 4));
	assert_true(has_root(&g, PGM_PID_UNKNOWN_HOLDER));
	assert_int_equal(g.n_cycles, 0);
	pgm_graph_deinit(&g);
}

static void graph_finds_a_deadlock(void **state)
{
	struct pgm_graph g = { .n_edges = 0 };
	assert_null(pgm_graph_add_edge(&g, 10, 20, PGM_EDGE_HWLOCK, ""));
	assert_null(pgm_graph_add_edge(&g, 20, 30, PGM_EDGE_HWLOCK, ""));
	assert_null(pgm_graph_add_edge(&g, 30, 10, PGM_EDGE_HWLOCK, ""));
	assert_null(pgm_graph_add_edge(&g, 40, 10, PGM_EDGE_HWLOCK, ""));
	assert_null(pgm_graph_add_edge(&g, 50, 50, PGM_EDGE_CV, ""));
	assert_null(pgm_graph_analyze(&g));
	assert_int_equal(g.n_roots, 0);
	assert_int_equal(g.n_cycles, 2);
	size_t three = g.cycles[0].n == 3 ? 0 : 1;
	assert_int_equal(g.cycles[three].n, 3);
	int32_t sum = 0;
	for (size_t i = 0; i < 3; i++)
		sum += g.cycles[three].pids[i];
	assert_int_equal(sum, 60);
	assert_int_equal(g.cycles[1 - three].n, 1);
	assert_int_equal(g.cycles[1 - three].pids[0], 50);
	/* each step of the cycle is an edge */
	for (size_t i = 0; i < 3; i++) {
		int32_t a = g.cycles[three].pids[i], b = g.cycles[three].pids[(i + 1) % 3];
		bool found = false;
		for (size_t e = 0; e < g.n_edges; e++)
			found |= g.edges[e].from == a && g.edges[e].to == b;
		assert_true(found);
	}
	pgm_graph_deinit(&g);
}

/* A long chain: the iterative Tarjan must not recurse per node. */
static void graph_long_chain(void **state)
{
	struct pgm_graph g = { .n_edges = 0 };
	for (int32_t p = 1; p < 3000; p++)
		assert_null(pgm_graph_add_edge(&g, p, p + 1, PGM_EDGE_HWLOCK, ""));
	assert_null(pgm_graph_analyze(&g));
	assert_int_equal(g.n_roots, 1);
	assert_int_equal(g.roots[0], 3000);
	assert_int_equal(g.n_cycles, 0);
	pgm_graph_deinit(&g);
}

/* Edges from an instance: heavyweight blockers, and an LWLock waiter whose holder no core names. */
static void instance_graph_from_backends(void **state)
{
	struct pgm_instance *inst = calloc(1, sizeof(*inst));
	inst->backends = calloc(3, sizeof(*inst->backends));
	inst->n_backends = 3;
	struct pgm_backend *b = inst->backends;
	b[0].pid = 10;
	b[0].hwlock = calloc(1, sizeof(*b[0].hwlock));
	b[0].hwlock->kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	b[0].hwlock->holders_known = true;
	assert_null(pgm_wait_add_holder(b[0].hwlock, 20, 2, PGM_HOLDER_HOLDS, "AccessExclusiveLock", NULL));
	b[1].pid = 20;
	b[2].pid = 30;
	b[2].wait_event = (struct pgm_wait_event){ .known = true, .info = 0x01000038,
						   .type = strdup("LWLock"), .name = strdup("BufferContent") };
	assert_null(pgm_instance_build_graph(inst));
	assert_int_equal(inst->graph.n_edges, 2);
	assert_true(has_root(&inst->graph, 20));
	assert_true(has_root(&inst->graph, PGM_PID_UNKNOWN_HOLDER));
	assert_non_null(strstr(inst->graph.edges[1].evidence, "unknown from this capture"));
	pgm_instance_destroy(inst);
}

/* An LWLock waiter's core and the holder's: the waiter's report is told its holder. */
static void instance_graph_names_the_lwlock_holder(void **state)
{
	struct pgm_instance *inst = calloc(1, sizeof(*inst));
	struct pgm_report *w = pgm_report_create();
	w->pid = 10;
	w->source_path = strdup("core.10");
	w->wait.kind = PGM_WAIT_LWLOCK;
	w->wait.has_address = true;
	w->wait.address = 0x7f0000000764;
	assert_null(pgm_instance_add_report(inst, w));
	inst->holds = calloc(1, sizeof(*inst->holds));
	inst->n_holds = 1;
	inst->holds[0] = (struct pgm_lwlock_hold){ .holder_pid = 20, .lock = 0x7f0000000764,
						   .name = strdup("BufferContent"), .mode = strdup("exclusive") };
	assert_null(pgm_instance_build_graph(inst));
	assert_null(pgm_explain_instance(inst));
	assert_int_equal(inst->graph.n_edges, 1);
	assert_int_equal(inst->graph.edges[0].from, 10);
	assert_int_equal(inst->graph.edges[0].to, 20);
	assert_int_equal(inst->graph.edges[0].kind, PGM_EDGE_LWLOCK);
	assert_true(w->wait.holders_known);
	assert_int_equal(w->wait.holders[0].pid, 20);
	bool named = false;
	for (size_t i = 0; i < w->n_verdict; i++)
		named |= strstr(w->verdict[i], "Blocked by 20") != NULL;
	assert_true(named);
	pgm_instance_destroy(inst);
}

static void instance_identity(void **state)
{
	struct pgm_instance_id a = { .known = true, .system_identifier = 7, .postmaster_pid = 100,
				     .shmem_address = 0x7f00, .data_dir_device = 1, .data_dir_inode = 2,
				     .build_id = (char *)"b770" };
	struct pgm_instance_id b = a;
	assert_true(pgm_instance_id_equal(&a, &b));
	b.shmem_address = 0x7f01;      /* a restart that reused the postmaster pid */
	assert_false(pgm_instance_id_equal(&a, &b));
	b = a;
	b.data_dir_inode = 3;          /* a cluster copied from the same template */
	assert_false(pgm_instance_id_equal(&a, &b));
	b = a;
	b.known = false;               /* never merged on a partial identity */
	assert_false(pgm_instance_id_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_walk_finds_every_entry),
		cmocka_unit_test(hash_walk_stops_a_cyclic_chain_and_goes_on),
		cmocka_unit_test(hash_walk_skips_a_chain_leaving_the_capture),
		cmocka_unit_test(hash_walk_is_bounded),
		cmocka_unit_test(hash_walk_rejects_an_implausible_header),
		cmocka_unit_test(lock_table_skips_a_corrupt_lock),
		cmocka_unit_test(graph_roots_of_a_chain),
		cmocka_unit_test(graph_finds_a_deadlock),
		cmocka_unit_test(graph_long_chain),
		cmocka_unit_test(instance_graph_from_backends),
		cmocka_unit_test(instance_graph_names_the_lwlock_holder),
		cmocka_unit_test(instance_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
