/*
 * analysis/ over synthetic stacks and hand-built facts: which primitive a
 * stack sleeps in, whether a cancel or terminate is served, and what other
 * cores add to a report (the graph's facts, then the verdict's words).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "pgmortem/batch.h"
#include "report_fixtures.h"

static enum pgm_wait_kind classify(const char *const *functions, uint32_t info, bool known, bool crashed)
{
	struct pgm_stack *s = fixture_stack(functions);
	struct pgm_wait_event we = { .known = known, .info = info };
	enum pgm_wait_kind k = pgm_classify_wait(s, &we, crashed);
	pgm_stack_destroy(s);
	return k;
}

#define STACK(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void stacks_name_their_primitive(void **state)
{
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "ConditionVariableSleep", "_bt_parallel_seize"),
				  0x08000007, true, false), PGM_WAIT_CONDITION_VARIABLE);
	assert_int_equal(classify(STACK("futex_wait", "do_futex_wait", "PGSemaphoreLock", "LWLockAcquire"),
				  0x01000038, true, false), PGM_WAIT_LWLOCK);
	assert_int_equal(classify(STACK("epoll_wait", "WaitLatch", "ProcSleep", "WaitOnLock"), 0x03000000, true, false),
			 PGM_WAIT_HEAVYWEIGHT_LOCK);
	assert_int_equal(classify(STACK("epoll_wait", "WaitLatch", "pg_sleep"), 0x09000002, true, false),
			 PGM_WAIT_TIMEOUT);
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "secure_read", "pq_recvbuf"), 0x06000000,
				  true, false), PGM_WAIT_SOCKET);
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "ExecAppendAsyncEventWait"),
				  0x08000004, true, false), PGM_WAIT_LATCH);
	/* a Gather leader waits on its workers' tuple queues */
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "gather_readnext"), 0x08000010,
				  true, false), PGM_WAIT_MESSAGE_QUEUE);
}

/* A latch wait is named by its event when the event is a timeout or the client. */
static void latch_waits_take_their_event(void **state)
{
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "pg_usleep_x"), 0x09000003,
				  true, false), PGM_WAIT_TIMEOUT);
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "main_loop"), 0x06000001, true,
				  false), PGM_WAIT_SOCKET);
}

/* On CPU: the stack wins over a stale wait event; no stack at all: the event decides. */
static void running_and_stackless(void **state)
{
	assert_int_equal(classify(STACK("ExecInterpExpr", "ExecAgg"), 0x08000007, true, false), PGM_WAIT_NONE);
	assert_int_equal(classify(NULL, 0x01000038, true, false), PGM_WAIT_LWLOCK);
	assert_int_equal(classify(NULL, 0x08000007, true, false), PGM_WAIT_LATCH);
	assert_int_equal(classify(NULL, 0, true, false), PGM_WAIT_NONE);
	assert_int_equal(classify(NULL, 0, false, false), PGM_WAIT_UNKNOWN);
	assert_int_equal(classify(STACK("epoll_wait", "ConditionVariableSleep"), 0x08000007, true, true),
			 PGM_WAIT_CRASHED);
}

static enum pgm_killable killable(enum pgm_wait_kind kind, int64_t holdoff, int64_t crit, bool held)
{
	struct pgm_report *r = fixture_report(NULL, 0, NULL, NULL);
	r->wait.kind = kind;
	r->interrupts.interrupt_holdoff.value = holdoff;
	r->interrupts.crit_section.value = crit;
	if (held) {
		r->interrupts.held_lwlocks = calloc(1, sizeof(*r->interrupts.held_lwlocks));
		r->interrupts.held_lwlocks[0] = (struct pgm_held_lwlock){ strdup("WALInsert"), 0x1000, strdup("exclusive") };
		r->interrupts.n_held_lwlocks = 1;
		r->cv_sleep_target_set = true;
	}
	assert_null(pgm_assess_killability(r));
	enum pgm_killable k = r->interrupts.killable;
	bool bug = false;
	for (size_t i = 0; i < r->n_diagnosis; i++)
		bug |= strcmp(r->diagnosis[i].code, "cv-sleep-holding-lwlock") == 0;
	assert_int_equal(bug, held && holdoff > 0 && kind == PGM_WAIT_CONDITION_VARIABLE && crit == 0);
	pgm_report_destroy(r);
	return k;
}

static void killability_follows_the_counters(void **state)
{
	assert_int_equal(killable(PGM_WAIT_CONDITION_VARIABLE, 0, 0, false), PGM_KILLABLE_YES);
	assert_int_equal(killable(PGM_WAIT_NONE, 0, 0, false), PGM_KILLABLE_YES);
	assert_int_equal(killable(PGM_WAIT_LWLOCK, 0, 0, false), PGM_KILLABLE_DEFERRED);
	assert_int_equal(killable(PGM_WAIT_CONDITION_VARIABLE, 1, 0, true), PGM_KILLABLE_NO);
	assert_int_equal(killable(PGM_WAIT_NONE, 1, 0, false), PGM_KILLABLE_DEFERRED);
	assert_int_equal(killable(PGM_WAIT_LATCH, 0, 1, false), PGM_KILLABLE_NO);
	assert_int_equal(killable(PGM_WAIT_LWLOCK, 1, 1, false), PGM_KILLABLE_DEFERRED);
	assert_int_equal(killable(PGM_WAIT_CRASHED, 0, 0, false), PGM_KILLABLE_NO);
}

/* A parallel scan's leader held inside the scan, seen in its own core: the worker's verdict says so, in order. */
static void another_core_tells_who_holds_the_scan(void **state)
{
	static const char *const leader_stack[] = { "__GI___libc_read", "_bt_parallel_release", "_bt_readnextpage",
						    "_bt_first", NULL };
	struct pgm_instance *inst = pgm_instance_create();
	struct pgm_report *w = fixture_cases[0].build();   /* cv-btree-scan: leader 4200 not queued */
	struct pgm_report *l = fixture_report(leader_stack, 0, NULL, NULL);
	l->pid = 4200;
	l->wait.kind = PGM_WAIT_NONE;
	free(l->source_path);
	l->source_path = strdup("core.4200");
	assert_null(pgm_instance_add_report(inst, w));
	assert_null(pgm_instance_add_report(inst, l));
	assert_null(pgm_instance_build_graph(inst));
	assert_null(pgm_explain_instance(inst));
	assert_true(w->wait.cv.btree.advancer.known);
	assert_int_equal(w->wait.cv.btree.advancer.pid, 4200);
	assert_string_equal(w->wait.cv.btree.advancer.function, "_bt_parallel_release");
	assert_string_equal(w->verdict[w->n_verdict - 2],
			    "Leader 4200 holds the scan in BTPARALLEL_ADVANCING: its core's stack is in _bt_parallel_release.");
	assert_int_equal(strncmp(w->verdict[w->n_verdict - 1], "Cancel/terminate:", 17), 0);
	/* linking again changes nothing */
	size_t n = w->n_verdict;
	assert_null(pgm_instance_build_graph(inst));
	assert_null(pgm_explain_instance(inst));
	assert_int_equal(w->n_verdict, n);
	pgm_instance_destroy(inst);
}

static void add_member(struct pgm_instance *inst, int32_t pid, int32_t leader, uint32_t info, const char *name)
{
	struct pgm_backend *b = &inst->backends[inst->n_backends++];
	b->pid = pid;
	b->leader_pid = leader;
	b->status_known = true;
	b->backend_type = strdup(leader ? "parallel worker" : "client backend");
	b->wait_event = (struct pgm_wait_event){ .known = true, .info = info };
	if (name) {
		b->wait_event.type = strdup("IPC");
		b->wait_event.name = strdup(name);
	}
}

/* One worker's core, its queue naming the other: both workers get the same cv edge, none a parallel one. */
static void both_workers_of_a_group_get_the_cv_edge(void **state)
{
	(void)state;
	struct pgm_instance *inst = pgm_instance_create();
	inst->backends = calloc(3, sizeof(*inst->backends));
	add_member(inst, 4200, 0, 0, NULL);
	add_member(inst, 4242, 4200, 0x08000007, "BtreePage");
	add_member(inst, 4243, 4200, 0x08000007, "BtreePage");
	assert_null(pgm_instance_add_report(inst, fixture_cases[0].build()));   /* cv-btree-scan of 4242 */
	assert_null(pgm_instance_build_graph(inst));
	size_t cv = 0;
	for (size_t i = 0; i < inst->graph.n_edges; i++) {
		const struct pgm_edge *e = &inst->graph.edges[i];
		assert_int_equal(e->kind, PGM_EDGE_CV);
		assert_int_equal(e->to, 4200);
		cv += e->from == 4242 || e->from == 4243;
	}
	assert_int_equal(cv, 2);
	assert_int_equal(inst->graph.n_edges, 2);
	pgm_instance_destroy(inst);
}

/* ---- buffers, storage and replication ---- */

static enum pgm_wait_kind classify_event(const char *const *functions, uint32_t info, const char *name)
{
	struct pgm_stack *s = functions ? fixture_stack(functions) : NULL;
	struct pgm_wait_event we = { .known = true, .info = info, .name = (char *)name };
	enum pgm_wait_kind k = pgm_classify_wait(s, &we, false);
	pgm_stack_destroy(s);
	return k;
}

/* The stacks the scenarios recorded (gdb), and the events alone when there is no stack. */
static void storage_waits_are_told_apart(void **state)
{
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "ProcWaitForSignal",
					"LockBufferForCleanup", "lazy_scan_heap"), 0x04000000, true, false),
			 PGM_WAIT_BUFFER_PIN);
	assert_int_equal(classify(STACK("epoll_wait", "WaitLatch", "ConditionVariableTimedSleep", "ConditionVariableSleep",
					"WaitIO", "StartBufferIO"), 0x08000002, true, false), PGM_WAIT_BUFFER_IO);
	assert_int_equal(classify(STACK("epoll_wait", "WaitLatch", "ConditionVariableSleep", "pgaio_io_wait",
					"pgaio_wref_wait", "WaitReadBuffers"), 0x0A000000, true, false), PGM_WAIT_BUFFER_IO);
	assert_int_equal(classify(STACK("epoll_wait", "WaitLatch", "ConditionVariableSleep", "ReplicationSlotAcquire",
					"ReplicationSlotDrop"), 0x08000031, true, false), PGM_WAIT_REPLICATION_SLOT);
	/* in the kernel: the innermost frame is a system call wrapper, not a sleep primitive */
	assert_int_equal(classify(STACK("__libc_pwrite64", "XLogWrite", "XLogFlush"), 0x0A000044, true, false),
			 PGM_WAIT_IO);
	assert_int_equal(classify(STACK("__libc_pwrite64", "XLogWrite", "XLogFlush"), 0, true, false), PGM_WAIT_NONE);
	/* a process read without stopping it (state D, or traced) has no stack: the event decides */
	assert_int_equal(classify(NULL, 0x0A000044, true, false), PGM_WAIT_IO);
	assert_int_equal(classify(NULL, 0x04000000, true, false), PGM_WAIT_BUFFER_PIN);
	assert_int_equal(classify_event(NULL, 0x08000002, "BufferIO"), PGM_WAIT_BUFFER_IO);
	assert_int_equal(classify_event(NULL, 0x0A000000, "AioIoCompletion"), PGM_WAIT_BUFFER_IO);
	assert_int_equal(classify_event(NULL, 0x08000031, "ReplicationSlotDrop"), PGM_WAIT_REPLICATION_SLOT);
	/* an LWLock wait reports an LWLock event even when a buffer I/O is why it waits */
	assert_int_equal(classify(STACK("futex_wait", "PGSemaphoreLock", "LWLockAcquire", "XLogFlush"), 0x01000038,
				  true, false), PGM_WAIT_LWLOCK);
}

static void storage_killability(void **state)
{
	assert_int_equal(killable(PGM_WAIT_BUFFER_PIN, 0, 0, false), PGM_KILLABLE_YES);
	assert_int_equal(killable(PGM_WAIT_BUFFER_IO, 0, 0, false), PGM_KILLABLE_YES);
	assert_int_equal(killable(PGM_WAIT_REPLICATION_SLOT, 0, 0, false), PGM_KILLABLE_YES);
	assert_int_equal(killable(PGM_WAIT_IO, 0, 0, false), PGM_KILLABLE_DEFERRED);
	assert_int_equal(killable(PGM_WAIT_BUFFER_PIN, 0, 1, false), PGM_KILLABLE_NO);
}

static bool has_edge(const struct pgm_graph *g, int32_t from, int32_t to, enum pgm_edge_kind kind)
{
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].from == from && g->edges[i].to == to && g->edges[i].kind == kind)
			return true;
	return false;
}

/* One capture of the waiter: an edge to the unknown holder, the candidates in words. */
static void pin_holder_unknown_from_one_capture(void **state)
{
	struct pgm_instance *inst = pgm_instance_create();
	struct pgm_report *w = fixture_buffer_pin();
	assert_null(pgm_instance_add_report(inst, w));
	assert_null(pgm_instance_build_graph(inst));
	assert_null(pgm_explain_instance(inst));
	assert_true(has_edge(&inst->graph, 4242, PGM_PID_UNKNOWN_HOLDER, PGM_EDGE_BUFFER_PIN));
	assert_false(w->wait.holders_known);
	assert_non_null(strstr(w->verdict[1], "candidates, holding a lock on pin: 4300 (AccessShareLock)"));
	pgm_instance_destroy(inst);
}

/* The holder's capture shows its pin: the edge, the holder in the waiter's report, twice the same. */
static void pin_holder_named_by_its_capture(void **state)
{
	struct pgm_instance *inst = pgm_instance_create();
	struct pgm_report *w = fixture_buffer_pin(), *h = fixture_buffer_pinned();
	assert_null(pgm_instance_add_report(inst, w));
	assert_null(pgm_instance_add_report(inst, h));
	for (int round = 0; round < 2; round++) {
		assert_null(pgm_instance_build_graph(inst));
		assert_null(pgm_explain_instance(inst));
	}
	assert_true(has_edge(&inst->graph, 4242, 4300, PGM_EDGE_BUFFER_PIN));
	assert_false(has_edge(&inst->graph, 4242, PGM_PID_UNKNOWN_HOLDER, PGM_EDGE_BUFFER_PIN));
	assert_int_equal(inst->graph.n_roots, 1);
	assert_int_equal(inst->graph.roots[0], 4300);
	assert_true(w->wait.holders_known);
	assert_int_equal(w->wait.n_holders, 1);
	assert_int_equal(w->wait.holders[0].pid, 4300);
	assert_string_equal(w->wait.holders[0].mode, "2 pins");
	assert_string_equal(w->verdict[1], "Pinned by 4300 (the pins are in its own capture).");
	assert_string_equal(h->verdict[1], "It pins buffer 164 (block 0 of relation pin), which PID 4242 waits to "
					   "clean up (BM_PIN_COUNT_WAITER).");
	pgm_instance_destroy(inst);
}

/* The holder's capture alone: the header names the waiter, so the edge exists without the waiter's core. */
static void pin_waiter_named_by_the_header(void **state)
{
	struct pgm_instance *inst = pgm_instance_create();
	assert_null(pgm_instance_add_report(inst, fixture_buffer_pinned()));
	assert_null(pgm_instance_build_graph(inst));
	assert_true(has_edge(&inst->graph, 4242, 4300, PGM_EDGE_BUFFER_PIN));
	pgm_instance_destroy(inst);
}

/* Shared memory names an asynchronous I/O's owner and a slot's user: one capture gives the edge. */
static void owners_in_shared_memory_give_edges(void **state)
{
	struct pgm_instance *inst = pgm_instance_create();
	struct pgm_report *io = fixture_buffer_io_aio(), *slot = fixture_replication_slot();
	slot->pid = 4243;
	assert_null(pgm_instance_add_report(inst, io));
	assert_null(pgm_instance_add_report(inst, slot));
	assert_null(pgm_instance_build_graph(inst));
	assert_true(has_edge(&inst->graph, 4242, 4100, PGM_EDGE_BUFFER_IO));
	assert_true(has_edge(&inst->graph, 4243, 4500, PGM_EDGE_SLOT));
	pgm_instance_destroy(inst);
}

/* Up to 17 the reader's InProgressBuf, in its own capture, names who does a buffer's I/O. */
static void io_doer_named_by_its_capture(void **state)
{
	struct pgm_instance *inst = pgm_instance_create();
	struct pgm_report *w = fixture_buffer_io();
	struct pgm_report *d = fixture_report(NULL, 0, NULL, NULL);
	d->pid = 4100;
	free(d->source_path);
	d->source_path = strdup("core.4100");
	d->buffers.io_known = d->buffers.io_in_progress = d->buffers.io_for_input = true;
	d->buffers.io_buffer = (struct pgm_buffer){ .known = true, .buffer = 167 };
	assert_null(pgm_instance_add_report(inst, w));
	assert_null(pgm_instance_add_report(inst, d));
	assert_null(pgm_instance_build_graph(inst));
	assert_null(pgm_explain_instance(inst));
	assert_true(has_edge(&inst->graph, 4242, 4100, PGM_EDGE_BUFFER_IO));
	assert_string_equal(w->verdict[1], "The I/O is done by 4100.");
	pgm_instance_destroy(inst);
}

/* ---- the IPC waits (report_waits.h) ---- */

/* Their function sits above the CV sleep or latch wait that the generic rules would name. */
static void ipc_stacks_name_their_kind(void **state)
{
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "ConditionVariableTimedSleep",
					"WaitForProcSignalBarrier", "dropdb"), 0x08000025, true, false),
			 PGM_WAIT_PROCSIGNAL_BARRIER);
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "SyncRepWaitForLSN",
					"RecordTransactionCommit"), 0x08000034, true, false), PGM_WAIT_SYNC_REP);
	assert_int_equal(classify(STACK("epoll_wait", "WaitEventSetWait", "WaitLatch", "shm_mq_send_bytes",
					"shm_mq_sendv"), 0x08000019, true, false), PGM_WAIT_MESSAGE_QUEUE);
	/* a stripped build knows only the exported caller */
	assert_int_equal(classify(STACK("epoll_wait", "??", "WaitLatch", "??", "shm_mq_receive"), 0, false, false),
			 PGM_WAIT_MESSAGE_QUEUE);
	/* on a CPU inside shm_mq_sendv (copying), not waiting: the IPC rules need a sleep */
	assert_int_equal(classify(STACK("__memmove_avx_unaligned", "shm_mq_sendv", "tqueueReceiveSlot"), 0, true, false),
			 PGM_WAIT_NONE);
	assert_int_equal(classify(STACK("__GI___select", "pg_usleep", "pgm_loop_forever"), 0, true, false),
			 PGM_WAIT_NONE);
}

static const struct fixture_case *waits_case(const char *name)
{
	for (size_t i = 0; i < n_fixture_waits_cases; i++)
		if (strcmp(fixture_waits_cases[i].name, name) == 0)
			return &fixture_waits_cases[i];
	fail_msg("no fixture %s", name);
	return NULL;
}

/* Running with a terminate pending: the kind, and where it runs (not libc, not postgres). */
static void a_pending_terminate_while_running_is_unserved(void **state)
{
	struct pgm_report *r = waits_case("unserved-terminate")->build();
	free(r->wait.unserved.function);
	free(r->wait.unserved.library);
	r->wait.unserved = (struct pgm_unserved_wait){ 0 };
	r->wait.kind = PGM_WAIT_NONE;
	assert_null(pgm_classify_unserved(r));
	assert_int_equal(r->wait.kind, PGM_WAIT_UNSERVED_INTERRUPT);
	assert_string_equal(r->wait.unserved.function, "pgm_loop_forever");
	assert_string_equal(r->wait.unserved.library, "pgm_loop.so");
	assert_int_equal(r->wait.unserved.frame, 2);
	assert_null(pgm_explain_report(r));
	assert_int_equal(r->interrupts.killable, PGM_KILLABLE_NO);
	pgm_report_destroy(r);
	/* no stack at all (another tracer holds the process): still unserved, where unknown */
	r = fixture_report(NULL, 0, NULL, NULL);
	r->wait.kind = PGM_WAIT_NONE;
	r->interrupts.query_cancel_pending.value = 1;
	assert_null(pgm_classify_unserved(r));
	assert_int_equal(r->wait.kind, PGM_WAIT_UNSERVED_INTERRUPT);
	assert_null(r->wait.unserved.function);
	assert_null(pgm_explain_report(r));
	assert_non_null(strstr(r->verdict[0], "does not serve a pending cancel: it runs code this capture cannot name"));
	pgm_report_destroy(r);
	/* nothing pending: just running */
	r = waits_case("unserved-terminate")->build();
	r->wait.kind = PGM_WAIT_NONE;
	r->interrupts.proc_die_pending.value = 0;
	assert_null(pgm_classify_unserved(r));
	assert_int_equal(r->wait.kind, PGM_WAIT_NONE);
	pgm_report_destroy(r);
}

static void ipc_signatures(void **state)
{
	static const struct { const char *fixture, *signature; } cases[] = {
		{ "sync-rep-no-standby", "sync_rep:no_standby" }, { "sync-rep-behind", "sync_rep:behind" },
		{ "sync-rep-not-woken", "sync_rep:not_woken" }, { "message-queue-full", "message_queue:send" },
		{ "procsignal-barrier", "procsignal_barrier:dropdb" },
		{ "unserved-terminate", "unserved_interrupt:pgm_loop.so" },
		{ "unserved-cancel-in-postgres", "unserved_interrupt:postgres:hash_search_with_hash_value" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pgm_report *r = waits_case(cases[i].fixture)->build();
		assert_null(pgm_explain_report(r));
		char *sig = NULL;
		enum pgm_batch_problem p;
		assert_null(pgm_batch_signature(r, &sig, &p));
		assert_string_equal(sig, cases[i].signature);
		assert_int_equal(p, PGM_PROBLEM_STUCK);
		free(sig);
		pgm_report_destroy(r);
	}
}

static const struct pgm_edge *edge_from(const struct pgm_graph *g, int32_t from)
{
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].from == from)
			return &g->edges[i];
	return NULL;
}

/* Each kind's edge goes to the process it waits for, and that process is the root. */
static void ipc_edges_point_at_the_other_end(void **state)
{
	static const struct { const char *fixture; int32_t to; enum pgm_edge_kind kind; } cases[] = {
		{ "procsignal-barrier", 4250, PGM_EDGE_BARRIER }, { "message-queue-full", 4200, PGM_EDGE_MESSAGE_QUEUE },
		{ "sync-rep-behind", 4300, PGM_EDGE_SYNC_REP }, { "sync-rep-no-standby", PGM_PID_UNKNOWN_HOLDER, PGM_EDGE_SYNC_REP },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pgm_instance *inst = pgm_instance_create();
		struct pgm_report *r = waits_case(cases[i].fixture)->build();
		assert_null(pgm_explain_report(r));
		assert_null(pgm_instance_add_report(inst, r));
		assert_null(pgm_instance_build_graph(inst));
		const struct pgm_edge *e = edge_from(&inst->graph, 4242);
		assert_non_null(e);
		assert_int_equal(e->to, cases[i].to);
		assert_int_equal(e->kind, cases[i].kind);
		assert_non_null(e->evidence);
		assert_int_equal(inst->graph.n_roots, 1);
		assert_int_equal(inst->graph.roots[0], cases[i].to);
		pgm_instance_destroy(inst);
	}
	/* a Gather leader: an edge to the worker that runs, none to the slot never started */
	struct pgm_instance *g = pgm_instance_create();
	struct pgm_report *leader = waits_case("message-queue-gather")->build();
	assert_null(pgm_explain_report(leader));
	assert_null(pgm_instance_add_report(g, leader));
	assert_null(pgm_instance_build_graph(g));
	assert_int_equal(g->graph.n_edges, 1);
	assert_int_equal(g->graph.edges[0].to, 4243);
	assert_int_equal(g->graph.edges[0].kind, PGM_EDGE_MESSAGE_QUEUE);
	pgm_instance_destroy(g);
	/* not woken: nobody to wait for */
	struct pgm_instance *inst = pgm_instance_create();
	struct pgm_report *r = waits_case("sync-rep-not-woken")->build();
	assert_null(pgm_explain_report(r));
	assert_null(pgm_instance_add_report(inst, r));
	assert_null(pgm_instance_build_graph(inst));
	assert_int_equal(inst->graph.n_edges, 0);
	pgm_instance_destroy(inst);
}

static const char *type_of(const char *cmdline, int32_t *leader)
{
	static char type[64];
	struct pgm_report *r = pgm_report_create();
	assert_non_null(r);
	r->cmdline = cmdline ? strdup(cmdline) : NULL;
	assert_null(pgm_identity_from_cmdline(r));
	snprintf(type, sizeof(type), "%s", r->backend_type ? r->backend_type : "(none)");
	assert_int_equal(r->type_from_cmdline, r->backend_type != NULL);
	*leader = r->leader_pid;
	pgm_report_destroy(r);
	return type;
}

/* Without memory to read, the title PostgreSQL set says the type; nothing else is guessed. */
static void backend_type_from_the_command_line(void **state)
{
	(void)state;
	int32_t leader;
	assert_string_equal(type_of("postgres: parallel worker for PID 31136", &leader), "parallel worker");
	assert_int_equal(leader, 31136);
	assert_string_equal(type_of("postgres: main: parallel worker for PID 7", &leader), "parallel worker");
	assert_int_equal(leader, 7);
	assert_string_equal(type_of("postgres: pgmortem-test postgres [local] SELECT", &leader), "client backend");
	assert_int_equal(leader, 0);
	assert_string_equal(type_of("postgres: app db 10.0.0.1(50432) idle in transaction", &leader), "client backend");
	assert_string_equal(type_of("postgres: checkpointer ", &leader), "checkpointer");
	assert_string_equal(type_of("postgres: autovacuum worker postgres", &leader), "autovacuum worker");
	assert_string_equal(type_of("postgres: walsender rep [local] streaming 0/3000060", &leader), "walsender");
	/* an extension's worker, `sleep`, no command line: not guessed */
	assert_string_equal(type_of("postgres: pg_cron launcher", &leader), "(none)");
	assert_string_equal(type_of("sleep 1000", &leader), "(none)");
	assert_string_equal(type_of(NULL, &leader), "(none)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stacks_name_their_primitive),
		cmocka_unit_test(backend_type_from_the_command_line),
		cmocka_unit_test(latch_waits_take_their_event),
		cmocka_unit_test(running_and_stackless),
		cmocka_unit_test(killability_follows_the_counters),
		cmocka_unit_test(another_core_tells_who_holds_the_scan),
		cmocka_unit_test(both_workers_of_a_group_get_the_cv_edge),
		cmocka_unit_test(storage_waits_are_told_apart),
		cmocka_unit_test(storage_killability),
		cmocka_unit_test(pin_holder_unknown_from_one_capture),
		cmocka_unit_test(pin_holder_named_by_its_capture),
		cmocka_unit_test(pin_waiter_named_by_the_header),
		cmocka_unit_test(owners_in_shared_memory_give_edges),
		cmocka_unit_test(io_doer_named_by_its_capture),
		cmocka_unit_test(ipc_stacks_name_their_kind),
		cmocka_unit_test(a_pending_terminate_while_running_is_unserved),
		cmocka_unit_test(ipc_signatures),
		cmocka_unit_test(ipc_edges_point_at_the_other_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
