/*
 * The IPC waits' decoders (pg/waitset.c, syncrep.c, walsender.c, shm_mq.c,
 * procsignal.c, the proclist rebuilt from one member) over an in-memory
 * target with a hand-built layout, and what analysis makes of them:
 * damaged links, implausible headers, a set latch nobody consumes, why a
 * synchronous commit waits.
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

enum {
	GLOBALS = 0x10000,
	PROCS = 0x20000, PROC_SIZE = 0x40, N_PROCS = 5,
	PROC_HDR = 0x30000,
	SET = 0x40000, EVENTS = 0x40100, LATCH = 0x40200,
	WALSND_CTL = 0x50000, WALSND_SIZE = 0x40, NAMES = 0x50800,
	MQ = 0x7f0000002000,          /* in a "DSM segment" */
	MQ_MISSING = 0x7f0000003000,
	BGW = 0x60000, BGW_SLOT_SIZE = 0x80,
	PSS_SIZE = 0x20,
	/* the main segment: header, ShmemIndex, a PROC_HDR and ProcSignal */
	SEG = 0x80000, SEG_SIZE = 0x1000, SEG_INDEX = 0x100, SEG_DIR = 0x450, SEG_BUCKETS = 0x500,
	SEG_ELEMS = 0x600, SEG_PROC_HDR = 0x800, PSH = SEG + 0x900,
};

/* globals page */
enum { G_MYPROC = 0, G_PROCGLOBAL = 8, G_MYLATCH = 16, G_WALSNDCTL = 24, G_MAXWS = 32, G_MODE = 36,
       G_NAMES = 40, G_PROCSIGNAL = 48, G_BGW = 64 };

struct fixture {
	struct pgm_target *t;
	struct pgm_pg_layout *l;
	struct pgm_pg pg;
	uint8_t globals[0x100];
	uint8_t procs[N_PROCS * PROC_SIZE];
};

static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

#define M(id, off, size) pgm_pg_layout_set_member(l, PGM_M_##id, off, size)

static void layout_procs(struct pgm_pg_layout *l)
{
	pgm_pg_layout_set_struct(l, PGM_S_PGPROC, PROC_SIZE);
	M(PGPROC_pid, 0, 4);
	M(PGPROC_cvWaitLink_next, 8, 4);
	M(PGPROC_cvWaitLink_prev, 12, 4);
	M(PGPROC_wait_event_info, 16, 4);
	M(PGPROC_waitLSN, 24, 8);
	M(PGPROC_syncRepState, 32, 4);
	pgm_pg_layout_set_struct(l, PGM_S_PROC_HDR, 16);
	M(PROC_HDR_allProcs, 0, 8);
	M(PROC_HDR_allProcCount, 8, 4);
	pgm_pg_layout_set_global(l, PGM_G_MyProc, GLOBALS + G_MYPROC, 8);
	pgm_pg_layout_set_global(l, PGM_G_ProcGlobal, GLOBALS + G_PROCGLOBAL, 8);
}

static void layout_waits(struct pgm_pg_layout *l)
{
	pgm_pg_layout_set_struct(l, PGM_S_WaitEventSet, 48);
	M(WaitEventSet_nevents, 0, 4);
	M(WaitEventSet_events, 8, 8);
	M(WaitEventSet_latch, 16, 8);
	M(WaitEventSet_latch_pos, 24, 4);
	M(WaitEventSet_exit_on_postmaster_death, 28, 1);
	M(WaitEventSet_epoll_fd, 32, 4);
	pgm_pg_layout_set_struct(l, PGM_S_WaitEvent, 24);
	M(WaitEvent_pos, 0, 4);
	M(WaitEvent_events, 4, 4);
	M(WaitEvent_fd, 8, 4);
	pgm_pg_layout_set_struct(l, PGM_S_Latch, 16);
	M(Latch_is_set, 0, 4);
	M(Latch_maybe_sleeping, 4, 4);
	M(Latch_is_shared, 8, 1);
	M(Latch_owner_pid, 12, 4);
	pgm_pg_layout_set_global(l, PGM_G_MyLatch, GLOBALS + G_MYLATCH, 8);
	pgm_pg_layout_set_struct(l, PGM_S_WalSndCtlData, 80);
	M(WalSndCtlData_lsn, 48, 24);
	M(WalSndCtlData_walsnds, 80, 0);
	pgm_pg_layout_set_struct(l, PGM_S_WalSnd, WALSND_SIZE);
	M(WalSnd_pid, 0, 4);
	M(WalSnd_state, 4, 4);
	M(WalSnd_sentPtr, 8, 8);
	M(WalSnd_write, 16, 8);
	M(WalSnd_flush, 24, 8);
	M(WalSnd_apply, 32, 8);
	M(WalSnd_sync_standby_priority, 40, 4);
	pgm_pg_layout_add_enumerator(l, PGM_E_WalSndState, "WALSNDSTATE_STARTUP", 0);
	pgm_pg_layout_add_enumerator(l, PGM_E_WalSndState, "WALSNDSTATE_STREAMING", 3);
	pgm_pg_layout_set_global(l, PGM_G_WalSndCtl, GLOBALS + G_WALSNDCTL, 8);
	pgm_pg_layout_set_global(l, PGM_G_max_wal_senders, GLOBALS + G_MAXWS, 4);
	pgm_pg_layout_set_global(l, PGM_G_SyncRepWaitMode, GLOBALS + G_MODE, 4);
	pgm_pg_layout_set_global(l, PGM_G_SyncRepStandbyNames, GLOBALS + G_NAMES, 8);
}

static void layout_mq_and_signals(struct pgm_pg_layout *l)
{
	pgm_pg_layout_set_struct(l, PGM_S_shm_mq, 56);
	M(shm_mq_receiver, 8, 8);
	M(shm_mq_sender, 16, 8);
	M(shm_mq_bytes_read, 24, 8);
	M(shm_mq_bytes_written, 32, 8);
	M(shm_mq_ring_size, 40, 8);
	M(shm_mq_detached, 48, 1);
	pgm_pg_layout_set_struct(l, PGM_S_BackgroundWorkerArray, 16);
	M(BackgroundWorkerArray_total_slots, 0, 4);
	M(BackgroundWorkerArray_slot, 16, 0);
	pgm_pg_layout_set_struct(l, PGM_S_BackgroundWorkerSlot, BGW_SLOT_SIZE);
	M(BackgroundWorkerSlot_in_use, 0, 1);
	M(BackgroundWorkerSlot_terminate, 1, 1);
	M(BackgroundWorkerSlot_pid, 4, 4);
	M(BackgroundWorkerSlot_generation, 8, 8);
	M(BackgroundWorkerSlot_bgw_notify_pid, 16, 4);
	M(BackgroundWorkerSlot_bgw_type, 32, 64);
	pgm_pg_layout_set_global(l, PGM_G_BackgroundWorkerData, GLOBALS + G_BGW, 8);
	pgm_pg_layout_set_struct(l, PGM_S_ProcSignalHeader, 8);
	M(ProcSignalHeader_barrierGeneration, 0, 8);
	M(ProcSignalHeader_slot, 8, 0);
	pgm_pg_layout_set_struct(l, PGM_S_ProcSignalSlot, PSS_SIZE);
	M(ProcSignalSlot_pid, 0, 4);
	M(ProcSignalSlot_barrierGeneration, 8, 8);
	M(ProcSignalSlot_barrierCheckMask, 16, 4);
	M(ProcSignalSlot_barrierCV, 20, 12);
	pgm_pg_layout_set_global(l, PGM_G_ProcSignal, GLOBALS + G_PROCSIGNAL, 8);
	/* the main segment's header and its ShmemIndex; ShmemIndexEnt {key[48], location, size} */
	pgm_pg_layout_set_struct(l, PGM_S_PGShmemHeader, 48);
	M(PGShmemHeader_magic, 0, 4);
	M(PGShmemHeader_totalsize, 8, 8);
	M(PGShmemHeader_index, 32, 8);
	pgm_pg_layout_set_struct(l, PGM_S_HASHHDR, 848);
	M(HASHHDR_dsize, 768, 8);
	M(HASHHDR_nsegs, 776, 8);
	M(HASHHDR_max_bucket, 784, 4);
	M(HASHHDR_ssize, 832, 8);
	M(HASHHDR_sshift, 840, 4);
	pgm_pg_layout_set_struct(l, PGM_S_HASHELEMENT, 12);
	M(HASHELEMENT_link, 0, 8);
	pgm_pg_layout_set_struct(l, PGM_S_ShmemIndexEnt, 64);
	M(ShmemIndexEnt_key, 0, 48);
	M(ShmemIndexEnt_location, 48, 8);
	M(ShmemIndexEnt_size, 56, 8);
	l->has_debuginfo = true;
}

static void add(struct fixture *f, uint64_t at, const void *bytes, size_t len, const char *mapping)
{
	assert_null(pgm_target_memory_add(f->t, at, bytes, len, mapping));
}

/* Procs 0..4, pids 1000+i; cvWaitLink given as {next, prev} per proc. */
static void memory_procs(struct fixture *f, const int32_t (*links)[2])
{
	put64(f->globals, G_MYPROC, PROCS + 1 * PROC_SIZE);
	put64(f->globals, G_PROCGLOBAL, PROC_HDR);
	for (int i = 0; i < N_PROCS; i++) {
		put32(f->procs, i * PROC_SIZE, 1000 + i);
		put32(f->procs, i * PROC_SIZE + 8, (uint32_t)links[i][0]);
		put32(f->procs, i * PROC_SIZE + 12, (uint32_t)links[i][1]);
	}
	put64(f->procs, 1 * PROC_SIZE + 24, 0x2000148);   /* waitLSN 0/2000148 */
	put32(f->procs, 1 * PROC_SIZE + 32, 1);           /* SYNC_REP_WAITING */
	uint8_t hdr[16] = { 0 };
	put64(hdr, 0, PROCS);
	put32(hdr, 8, N_PROCS);
	add(f, PROC_HDR, hdr, sizeof(hdr), "/dev/zero (deleted)");
	add(f, PROCS, f->procs, sizeof(f->procs), "/dev/zero (deleted)");
}

static struct fixture *fixture_create(const int32_t (*links)[2])
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_null(pgm_target_memory_create(1001, &f->t));
	f->l = pgm_pg_layout_create_empty();
	layout_procs(f->l);
	layout_waits(f->l);
	layout_mq_and_signals(f->l);
	memory_procs(f, links);
	return f;
}

/* The globals page is added last: tests fill it first. */
static void fixture_ready(struct fixture *f)
{
	add(f, GLOBALS, f->globals, sizeof(f->globals), NULL);
	pgm_pg_init(&f->pg, f->t, f->l);
}

static void fixture_destroy(struct fixture *f)
{
	pgm_pg_layout_destroy(f->l);
	pgm_target_destroy(f->t);
	free(f);
}

static bool has_diagnosis(const struct pgm_report *r, const char *code)
{
	for (size_t i = 0; i < r->n_diagnosis; i++)
		if (strcmp(r->diagnosis[i].code, code) == 0)
			return true;
	return false;
}

static const int32_t no_links[N_PROCS][2] = { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } };

/* ---- the proclist rebuilt from one member ---- */

static void proclist_from_a_member(void **state)
{
	/* head 3 -> 1 -> 2 -> end; self 1 */
	const int32_t links[N_PROCS][2] = { { 0, 0 }, { 2, 3 }, { -1, 1 }, { 1, -1 }, { 0, 0 } };
	struct fixture *f = fixture_create(links);
	fixture_ready(f);
	int32_t *p = NULL;
	size_t n = 0;
	bool on_list = false;
	assert_null(pgm_pg_walk_proclist_from(&f->pg, 1, PGM_M_PGPROC_cvWaitLink_next, PGM_M_PGPROC_cvWaitLink_prev,
					      &p, &n, &on_list));
	assert_true(on_list);
	assert_int_equal(n, 3);
	assert_int_equal(p[0], 3);
	assert_int_equal(p[1], 1);
	assert_int_equal(p[2], 2);
	free(p);
	/* procno 0 is on no list: {0, 0} */
	assert_null(pgm_pg_walk_proclist_from(&f->pg, 4, PGM_M_PGPROC_cvWaitLink_next, PGM_M_PGPROC_cvWaitLink_prev,
					      &p, &n, &on_list));
	assert_false(on_list);
	assert_int_equal(n, 0);
	fixture_destroy(f);
}

static void proclist_damage_is_caught(void **state)
{
	/* a cycle 1 -> 2 -> 3 -> 1, consistent both ways */
	const int32_t cycle[N_PROCS][2] = { { 0, 0 }, { 2, 3 }, { 3, 1 }, { 1, 2 }, { 0, 0 } };
	struct fixture *f = fixture_create(cycle);
	fixture_ready(f);
	int32_t *p = NULL;
	size_t n = 0;
	bool on_list;
	struct pgm_error *err = pgm_pg_walk_proclist_from(&f->pg, 1, PGM_M_PGPROC_cvWaitLink_next,
							  PGM_M_PGPROC_cvWaitLink_prev, &p, &n, &on_list);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_LIMIT);
	pgm_error_destroy(err);
	assert_null(p);
	fixture_destroy(f);
	/* 1 -> 2, but 2 says its prev is 3: a one-way link */
	const int32_t oneway[N_PROCS][2] = { { 0, 0 }, { 2, -1 }, { -1, 3 }, { 0, 0 }, { 0, 0 } };
	f = fixture_create(oneway);
	fixture_ready(f);
	err = pgm_pg_walk_proclist_from(&f->pg, 1, PGM_M_PGPROC_cvWaitLink_next, PGM_M_PGPROC_cvWaitLink_prev,
					&p, &n, &on_list);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	pgm_error_destroy(err);
	fixture_destroy(f);
	/* a link past allProcCount */
	const int32_t outside[N_PROCS][2] = { { 0, 0 }, { 77, -1 }, { 0, 0 }, { 0, 0 }, { 0, 0 } };
	f = fixture_create(outside);
	fixture_ready(f);
	err = pgm_pg_walk_proclist_from(&f->pg, 1, PGM_M_PGPROC_cvWaitLink_next, PGM_M_PGPROC_cvWaitLink_prev,
					&p, &n, &on_list);
	assert_non_null(err);
	pgm_error_destroy(err);
	fixture_destroy(f);
}

/* The report of a CV wait whose CV is not captured: the queue from the links, in words. */
static void cv_queue_from_links_in_the_report(void **state)
{
	const int32_t links[N_PROCS][2] = { { 0, 0 }, { 2, 3 }, { -1, 1 }, { 1, -1 }, { 0, 0 } };
	struct fixture *f = fixture_create(links);
	fixture_ready(f);
	struct pgm_report *r = pgm_report_create();
	r->pid = 1001;
	r->procno = 1;
	r->is_backend = true;
	r->wait.kind = PGM_WAIT_CONDITION_VARIABLE;
	assert_null(pgm_pg_read_cv_queue_from_links(&f->pg, 1, r));
	assert_true(r->wait.waiters_known);
	assert_true(r->wait.cv.queue_from_links);
	assert_int_equal(r->wait.n_waiters, 3);
	assert_int_equal(r->wait.waiters[0].pid, 1003);
	assert_true(r->wait.waiters[1].is_self);
	assert_null(pgm_compose_verdict(r));
	assert_non_null(strstr(r->verdict[1], "Queued with 1003, 1002 (as the PGPROCs' cvWaitLink chain it"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

/* ---- the WaitEventSet ---- */

static void waitset_memory(struct fixture *f, int32_t nevents, bool latch_set)
{
	uint8_t set[48] = { 0 }, events[3 * 24] = { 0 }, latch[16] = { 0 };
	put32(set, 0, (uint32_t)nevents);
	put64(set, 8, EVENTS);
	put64(set, 16, 0);          /* a socket-only set: no latch of its own */
	put32(set, 24, (uint32_t)-1);
	set[28] = 1;
	put32(set, 32, 4);
	const uint32_t ev[3][3] = { { 0, 0x02, 9 }, { 1, 0x10, 3 }, { 2, 0x80, 9 } };
	for (int i = 0; i < 3; i++) {
		put32(events, i * 24, ev[i][0]);
		put32(events, i * 24 + 4, ev[i][1]);
		put32(events, i * 24 + 8, ev[i][2]);
	}
	put32(latch, 0, latch_set);
	set[0] = (uint8_t)nevents;
	latch[8] = 1;
	put32(latch, 12, 1001);
	put64(f->globals, G_MYLATCH, LATCH);
	add(f, SET, set, sizeof(set), NULL);
	add(f, EVENTS, events, sizeof(events), NULL);
	add(f, LATCH, latch, sizeof(latch), "/dev/zero (deleted)");
}

static void waitset_and_a_latch_nobody_consumes(void **state)
{
	struct fixture *f = fixture_create(no_links);
	waitset_memory(f, 3, true);
	fixture_ready(f);
	struct pgm_report *r = pgm_report_create();
	r->waitset.sleeping = true;
	r->waitset.source = PGM_WAITSET_FRAME;
	r->waitset.address = SET;
	assert_null(pgm_pg_read_waitset(&f->pg, SET, r));
	assert_true(r->waitset.set_known);
	assert_int_equal(r->waitset.epoll_fd, 4);
	assert_int_equal(r->waitset.n_events, 3);
	assert_int_equal(r->waitset.events[2].events, PGM_WL_SOCKET_CLOSED);
	assert_int_equal(r->waitset.latch_pos, -1);
	assert_true(r->waitset.exit_on_postmaster_death);
	assert_false(r->waitset.latch.known);
	assert_null(pgm_pg_read_my_latch(&f->pg, r));
	assert_true(r->waitset.latch.from_my_latch);
	assert_true(r->waitset.latch.is_set);
	assert_int_equal(r->waitset.latch.owner_pid, 1001);
	assert_null(pgm_explain_waits(r));
	assert_true(has_diagnosis(r, "latch-set-unconsumed"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void implausible_waitset_is_a_diagnosis(void **state)
{
	struct fixture *f = fixture_create(no_links);
	waitset_memory(f, 5000, false);
	fixture_ready(f);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_waitset(&f->pg, SET, r));
	assert_false(r->waitset.set_known);
	assert_null(r->waitset.events);
	assert_true(has_diagnosis(r, "waitset-unreadable"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

/* ---- synchronous replication ---- */

/* Slot 0: pid 2001 'other' streaming, priority `prio`; slot 1 unused; slot 2: pid 2003 starting. */
static void syncrep_memory(struct fixture *f, int32_t prio, uint64_t released)
{
	uint8_t ctl[80 + 3 * WALSND_SIZE] = { 0 };
	put64(ctl, 48 + 8, released);            /* lsn[FLUSH] */
	put32(ctl, 80, 2001);
	put32(ctl, 80 + 4, 3);
	put64(ctl, 80 + 8, 0x2000148);
	put64(ctl, 80 + 16, 0x2000000);
	put64(ctl, 80 + 24, 0x1000000);
	put32(ctl, 80 + 40, (uint32_t)prio);
	put32(ctl, 80 + 2 * WALSND_SIZE, 2003);
	put64(f->globals, G_WALSNDCTL, WALSND_CTL);
	put32(f->globals, G_MAXWS, 3);
	put32(f->globals, G_MODE, 1);
	put64(f->globals, G_NAMES, NAMES);
	add(f, WALSND_CTL, ctl, sizeof(ctl), "/dev/zero (deleted)");
	add(f, NAMES, "ghost", 6, NULL);
}

static struct pgm_report *syncrep_report(struct fixture *f)
{
	struct pgm_report *r = pgm_report_create();
	r->pid = 1001;
	r->procno = 1;
	r->is_backend = true;
	r->wait.kind = PGM_WAIT_SYNC_REP;
	r->interrupts.interrupt_holdoff = r->interrupts.crit_section = (struct pgm_counter){ true, 0 };
	r->interrupts.interrupt_holdoff.value = 1;     /* CommitTransaction holds interrupts */
	assert_null(pgm_pg_read_syncrep_wait(&f->pg, PROCS + PROC_SIZE, r));
	assert_null(pgm_explain_report(r));
	return r;
}

static void syncrep_without_a_matching_standby(void **state)
{
	struct fixture *f = fixture_create(no_links);
	syncrep_memory(f, 0, 0x1000000);
	fixture_ready(f);
	struct pgm_report *r = syncrep_report(f);
	const struct pgm_syncrep_wait *s = &r->wait.syncrep;
	assert_true(s->lsn_known);
	assert_int_equal(s->lsn, 0x2000148);
	assert_int_equal(s->state, 1);
	assert_string_equal(s->standby_names, "ghost");
	assert_int_equal(s->mode, PGM_SYNCREP_MODE_FLUSH);
	assert_int_equal(s->released_lsn, 0x1000000);
	assert_int_equal(s->n_walsenders, 2);
	assert_string_equal(s->walsenders[0].state, "streaming");
	assert_string_equal(s->walsenders[1].state, "startup");
	assert_int_equal(s->why, PGM_SYNCREP_WHY_NO_STANDBY);
	assert_string_equal(r->verdict[0], "PID 1001, process, waits on a synchronous standby to flush LSN 0/2000148.");
	assert_non_null(strstr(r->verdict[1], "No connected standby matches synchronous_standby_names 'ghost'"));
	/* interrupts held off by the commit, yet SyncRepWaitForLSN reads the flags itself */
	assert_int_equal(r->interrupts.killable, PGM_KILLABLE_YES);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void syncrep_behind_and_not_woken(void **state)
{
	struct fixture *f = fixture_create(no_links);
	syncrep_memory(f, 1, 0x1000000);
	fixture_ready(f);
	struct pgm_report *r = syncrep_report(f);
	assert_int_equal(r->wait.syncrep.why, PGM_SYNCREP_WHY_BEHIND);
	assert_non_null(strstr(r->verdict[1], "flush 0/1000000"));
	pgm_report_destroy(r);
	fixture_destroy(f);
	f = fixture_create(no_links);
	syncrep_memory(f, 1, 0x2000200);          /* released past the LSN */
	fixture_ready(f);
	r = syncrep_report(f);
	assert_int_equal(r->wait.syncrep.why, PGM_SYNCREP_WHY_NOT_WOKEN);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

/* ---- message queues and worker slots ---- */

static void mq_memory(struct fixture *f, uint64_t written, uint64_t read)
{
	uint8_t mq[56] = { 0 }, bgw[16 + 3 * BGW_SLOT_SIZE] = { 0 };
	put64(mq, 8, PROCS + 0 * PROC_SIZE);        /* receiver: the leader, procno 0 */
	put64(mq, 16, PROCS + 1 * PROC_SIZE);       /* sender: this worker */
	put64(mq, 24, read);
	put64(mq, 32, written);
	put64(mq, 40, 65480);
	put32(bgw, 0, 3);
	for (int i = 0; i < 3; i++) {
		uint8_t *s = bgw + 16 + i * BGW_SLOT_SIZE;
		s[0] = 1;
		put32(s, 4, i == 0 ? 900 : i == 1 ? 1001 : (uint32_t)-1);
		put32(s, 16, i == 0 ? 0 : 1000);
		memcpy(s + 32, i == 0 ? "logical replication launcher" : "parallel worker", i == 0 ? 29 : 16);
	}
	put64(f->globals, G_BGW, BGW);
	add(f, MQ, mq, sizeof(mq), "/dev/shm/PostgreSQL.11");
	add(f, MQ_MISSING, NULL, 0x100, "/dev/shm/PostgreSQL.12");
	add(f, BGW, bgw, sizeof(bgw), "/dev/zero (deleted)");
}

static void mq_ends_bytes_and_the_group(void **state)
{
	struct fixture *f = fixture_create(no_links);
	mq_memory(f, 130960, 65480);
	fixture_ready(f);
	struct pgm_shm_mq q = { 0 };
	assert_null(pgm_pg_read_shm_mq(&f->pg, MQ, &q));
	assert_true(q.known);
	assert_int_equal(q.sender_pid, 1001);
	assert_int_equal(q.receiver_pid, 1000);
	assert_int_equal(q.receiver_procno, 0);
	assert_int_equal(q.bytes_written - q.bytes_read, q.ring_size);
	struct pgm_mq_wait m = { 0 };
	assert_null(pgm_pg_read_group_workers(&f->pg, 1000, &m));
	assert_true(m.workers_known);
	assert_int_equal(m.n_workers, 2);
	assert_int_equal(m.workers[0].pid, 1001);
	assert_string_equal(pgm_bgworker_state_name(&m.workers[1]), "not started");
	assert_string_equal(m.workers[0].type, "parallel worker");
	for (size_t i = 0; i < m.n_workers; i++)
		free(m.workers[i].type);
	free(m.workers);
	/* uncaptured: a read failure naming the DSM segment */
	struct pgm_error *err = pgm_pg_read_shm_mq(&f->pg, MQ_MISSING, &q);
	assert_non_null(err);
	assert_true(pgm_error_is_read_failure(err));
	assert_string_equal(err->mapping, "/dev/shm/PostgreSQL.12");
	pgm_error_destroy(err);
	fixture_destroy(f);
}

static void implausible_mq_is_refused(void **state)
{
	struct fixture *f = fixture_create(no_links);
	mq_memory(f, 1000000, 10);        /* more unread than the ring holds */
	fixture_ready(f);
	struct pgm_shm_mq q = { 0 };
	struct pgm_error *err = pgm_pg_read_shm_mq(&f->pg, MQ, &q);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	assert_false(q.known);
	pgm_error_destroy(err);
	fixture_destroy(f);
}

/* ---- ProcSignal barriers ---- */

/*
 * The main segment (found from ProcGlobal, which points into it here) with
 * ShmemIndex entries "LockManager" and `psh_name` (3 slots, the index
 * recording `index_size` bytes); slot 1 (pid 1003) lags.
 */
static void barrier_memory(struct fixture *f, const char *psh_name, uint64_t index_size)
{
	uint8_t seg[SEG_SIZE] = { 0 };
	put32(seg, 0, PGM_PG_SHMEM_MAGIC);
	put64(seg, 8, SEG_SIZE);
	put64(seg, 32, SEG + SEG_INDEX);
	put64(seg, SEG_INDEX + 768, 1);      /* dsize */
	put64(seg, SEG_INDEX + 776, 1);      /* nsegs */
	put32(seg, SEG_INDEX + 784, 1);      /* max_bucket */
	put64(seg, SEG_INDEX + 832, 2);      /* ssize */
	put32(seg, SEG_INDEX + 840, 1);      /* sshift */
	put64(seg, SEG_DIR, SEG + SEG_BUCKETS);
	put64(seg, SEG_BUCKETS, SEG + SEG_ELEMS);
	put64(seg, SEG_BUCKETS + 8, SEG + SEG_ELEMS + 0x60);
	uint8_t *e = seg + SEG_ELEMS + 16;
	memcpy(e, "LockManager", 12);
	put64(e, 48, SEG + 0x200);
	put64(e, 56, 4096);
	e += 0x60;
	memcpy(e, psh_name, strlen(psh_name) + 1);
	put64(e, 48, PSH);
	put64(e, 56, index_size);
	put64(seg, SEG_PROC_HDR, PROCS);
	put32(seg, SEG_PROC_HDR + 8, N_PROCS);
	uint8_t *psh = seg + (PSH - SEG);
	put64(psh, 0, 7);
	const uint64_t gens[3] = { 7, 6, UINT64_MAX };
	for (int i = 0; i < 3; i++) {
		put32(psh, 8 + i * PSS_SIZE, i == 2 ? 0 : 1002 + (uint32_t)i);
		put64(psh, 8 + i * PSS_SIZE + 8, gens[i]);
	}
	put32(psh, 8 + 1 * PSS_SIZE + 16, 1);
	put64(f->globals, G_PROCGLOBAL, SEG + SEG_PROC_HDR);
	put64(f->globals, G_PROCSIGNAL, PSH);
	add(f, SEG, seg, sizeof(seg), "/dev/zero (deleted)");
}

static void barrier_laggards_from_the_slots(void **state)
{
	struct fixture *f = fixture_create(no_links);
	barrier_memory(f, "ProcSignal", 8 + 3 * PSS_SIZE);
	fixture_ready(f);
	uint64_t size = 0;
	assert_null(pgm_pg_shmem_size(&f->pg, PGM_SH_ProcSignal, &size));
	assert_int_equal(size, 8 + 3 * PSS_SIZE);
	struct pgm_report *r = pgm_report_create();
	r->pid = 1001;
	r->wait.kind = PGM_WAIT_PROCSIGNAL_BARRIER;
	uint64_t cv = PSH + 8 + 1 * PSS_SIZE + 20;
	assert_null(pgm_pg_read_barrier_wait(&f->pg, false, 0, cv, r));
	const struct pgm_barrier_wait *b = &r->wait.barrier;
	assert_int_equal(b->generation, 7);
	assert_false(b->generation_from_frame);
	assert_int_equal(b->n_slots, 3);
	assert_true(b->laggards_known);
	assert_int_equal(b->n_laggards, 1);
	assert_int_equal(b->laggards[0].pid, 1003);
	assert_int_equal(b->laggards[0].check_mask, 1);
	assert_true(b->laggards[0].waited_on);
	assert_true(b->laggards[0].wait_event.known);
	assert_null(pgm_compose_verdict(r));
	assert_non_null(strstr(r->verdict[1], "Not absorbed by 1003"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void barrier_slot_count_must_fit(void **state)
{
	struct fixture *f = fixture_create(no_links);
	barrier_memory(f, "ProcSignal", 4);          /* smaller than the header */
	fixture_ready(f);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_barrier_wait(&f->pg, true, 7, 0, r));
	assert_false(r->wait.barrier.laggards_known);
	assert_true(has_diagnosis(r, "barrier-slots-unreadable"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

/* An index without "ProcSignal" (a name that only begins like it): no slots, said so. */
static void barrier_slots_need_their_index_entry(void **state)
{
	struct fixture *f = fixture_create(no_links);
	barrier_memory(f, "ProcSig", 8 + 3 * PSS_SIZE);
	fixture_ready(f);
	uint64_t size = 0;
	struct pgm_error *err = pgm_pg_shmem_size(&f->pg, PGM_SH_ProcSignal, &size);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_LOOKUP);
	pgm_error_destroy(err);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_barrier_wait(&f->pg, true, 7, 0, r));
	assert_false(r->wait.barrier.laggards_known);
	assert_true(has_diagnosis(r, "barrier-slots-unreadable"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proclist_from_a_member),
		cmocka_unit_test(proclist_damage_is_caught),
		cmocka_unit_test(cv_queue_from_links_in_the_report),
		cmocka_unit_test(waitset_and_a_latch_nobody_consumes),
		cmocka_unit_test(implausible_waitset_is_a_diagnosis),
		cmocka_unit_test(syncrep_without_a_matching_standby),
		cmocka_unit_test(syncrep_behind_and_not_woken),
		cmocka_unit_test(mq_ends_bytes_and_the_group),
		cmocka_unit_test(implausible_mq_is_refused),
		cmocka_unit_test(barrier_laggards_from_the_slots),
		cmocka_unit_test(barrier_slot_count_must_fit),
		cmocka_unit_test(barrier_slots_need_their_index_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
