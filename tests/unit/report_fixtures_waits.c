/*
 * Hand-built reports of the IPC waits (pgmortem/report_waits.h), one per
 * verdict they tell apart; the facts are the ones the scenarios recorded
 * (tests/scenarios: sync-rep, worker-queue-full, barrier-held,
 * unserved-terminate, quiet, parallel-scan-stall).
 */
#include <stdlib.h>
#include <string.h>

#include "report_fixtures.h"

#define S(x) ((char *)strdup(x))

static const struct pgm_module postgres_module = { .name = "/usr/lib/postgresql/15/bin/postgres", .is_main = true };
static const struct pgm_module libc_module = { .name = "/lib/x86_64-linux-gnu/libc.so.6" };
static const struct pgm_module ext_module = { .name = "/var/tmp/pgmortem-pg/ext/15/pgm_loop.so" };

static void set_modules(struct pgm_report *r, const struct pgm_module *const *modules)
{
	for (size_t i = 0; i < r->stacks[0]->n_frames && modules[i]; i++)
		r->stacks[0]->frames[i].module = modules[i];
}

static void add_events(struct pgm_waitset *ws, const uint32_t (*ev)[3], size_t n, const char *const *targets)
{
	ws->events = calloc(n, sizeof(*ws->events));
	for (size_t i = 0; i < n; i++)
		ws->events[i] = (struct pgm_waitset_event){ .pos = (int32_t)ev[i][0], .events = ev[i][1],
			.fd = (int32_t)ev[i][2], .fd_target = targets ? S(targets[i]) : NULL };
	ws->n_events = n;
}

/* WaitLatch's set as the frame gives it: latch and postmaster death, a timeout. */
static void latch_set(struct pgm_report *r, int64_t timeout, const char *const *targets)
{
	static const uint32_t ev[2][3] = { { 0, PGM_WL_LATCH_SET, 7 }, { 1, PGM_WL_POSTMASTER_DEATH, 3 } };
	struct pgm_waitset *ws = &r->waitset;
	*ws = (struct pgm_waitset){ .sleeping = true, .source = PGM_WAITSET_FRAME, .address = 0x55c476f11468,
		.set_known = true, .epoll_fd = 8, .exit_on_postmaster_death = true, .latch_pos = 0,
		.timeout_known = true, .timeout_ms = timeout, .remaining_known = timeout >= 0,
		.remaining_ms = timeout >= 0 ? timeout - 3452 : 0,
		.latch = { .known = true, .address = 0x7f0ae01f96f4, .maybe_sleeping = true, .is_shared = true,
			   .owner_pid = 4242 } };
	if (targets)
		ws->epoll_fd_target = S("anon_inode:[eventpoll]");
	add_events(ws, ev, 2, targets);
}

static struct pgm_report *sleeping_in(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"pg_sleep", "ExecInterpExpr", NULL };
	static const char *const targets[] = { "anon_inode:[signalfd]", "pipe:[693911]" };
	struct pgm_report *r = fixture_report(stack, 0x09000002, "Timeout", "PgSleep");
	r->wait.kind = PGM_WAIT_TIMEOUT;
	latch_set(r, 600000, targets);
	return r;
}

/* A client read with MyLatch set: the client's set does not wait for it. */
static struct pgm_report *latch_set_unconsumed(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "secure_read",
		"pq_recvbuf", "pq_getbyte", "PostgresMain", NULL };
	static const uint32_t ev[2][3] = { { 0, PGM_WL_SOCKET_READABLE, 9 }, { 1, PGM_WL_POSTMASTER_DEATH, 3 } };
	struct pgm_report *r = fixture_report(stack, 0x06000000, "Client", "ClientRead");
	r->wait.kind = PGM_WAIT_SOCKET;
	struct pgm_waitset *ws = &r->waitset;
	*ws = (struct pgm_waitset){ .sleeping = true, .source = PGM_WAITSET_FEBE_WAIT_SET, .address = 0x55c476f40f88,
		.set_known = true, .epoll_fd = 4, .latch_pos = -1,
		.latch = { .known = true, .address = 0x7f0ae01f9384, .is_set = true, .is_shared = true,
			   .owner_pid = 4242, .from_my_latch = true } };
	add_events(ws, ev, 2, NULL);
	pgm_report_add_diagnosis(r, "waitset-from-global", "WaitEventSetWait's set is not available in frame 2; "
				 "the set its caller sleeps in (FeBeWaitSet) stands in");
	return r;
}

static const char *const syncrep_stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
	"SyncRepWaitForLSN", "RecordTransactionCommit", "CommitTransaction", NULL };

static struct pgm_report *syncrep(int32_t priority, int32_t state, uint64_t released)
{
	struct pgm_report *r = fixture_report(syncrep_stack, 0x08000034, "IPC", "SyncRep");
	r->wait.kind = PGM_WAIT_SYNC_REP;
	r->interrupts.interrupt_holdoff.value = 1;
	free(r->query);
	r->query = S("insert into sr values (1);");
	struct pgm_syncrep_wait *s = &r->wait.syncrep;
	*s = (struct pgm_syncrep_wait){ .lsn_known = true, .lsn = 0x14DEA88, .state_known = true, .state = state,
		.mode = PGM_SYNCREP_MODE_FLUSH, .standby_names = S("ghost"), .released_known = true,
		.released_lsn = released, .walsenders_known = true, .max_wal_senders = 4 };
	s->walsenders = calloc(1, sizeof(*s->walsenders));
	s->walsenders[0] = (struct pgm_walsender){ .slot = 0, .pid = 4300, .state = S("streaming"), .sent = 0x14DEA88,
		.write = 0x1000000, .flush = priority ? 0x1000000 : 0, .sync_standby_priority = priority,
		.application_name = S(priority ? "ghost" : "other") };
	s->n_walsenders = 1;
	latch_set(r, -1, NULL);
	r->waitset.exit_on_postmaster_death = false;
	return r;
}

static struct pgm_report *sync_rep_no_standby(void) { return syncrep(0, 1, 0); }
static struct pgm_report *sync_rep_behind(void) { return syncrep(1, 1, 0x1000000); }
static struct pgm_report *sync_rep_not_woken(void) { return syncrep(1, 2, 0x14DEA88); }

static const char *const mq_stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
	"shm_mq_send_bytes", "shm_mq_sendv", "shm_mq_send", "tqueueReceiveSlot", "ExecutePlan", NULL };

static struct pgm_report *mq_worker(void)
{
	struct pgm_report *r = fixture_report(mq_stack, 0x08000019, "IPC", "MessageQueueSend");
	free(r->backend_type);
	r->backend_type = S("parallel worker");
	r->leader_pid = 4200;
	free(r->query);
	r->query = S("select a, b from t;");
	r->wait.kind = PGM_WAIT_MESSAGE_QUEUE;
	r->wait.address = 0x7f9d5cea6200;
	r->wait.has_address = true;
	struct pgm_mq_wait *m = &r->wait.mq;
	m->op = PGM_MQ_OP_SEND;
	m->handle_known = m->counterparty_attached = true;
	m->counterpart_pid = 4200;
	m->counterpart_is_leader = true;
	m->counterpart_wait_event = (struct pgm_wait_event){ .known = true, .info = 0x06000001, .type = S("Client"),
							     .name = S("ClientWrite") };
	m->workers_known = true;
	m->workers = calloc(2, sizeof(*m->workers));
	for (int i = 0; i < 2; i++)
		m->workers[i] = (struct pgm_bgworker){ .slot = 1 + i, .pid = 4242 + i, .generation = 3,
			.type = S("parallel worker"), .wait_event = { .known = true, .info = 0x08000019, .type = S("IPC"),
								       .name = S("MessageQueueSend") } };
	m->n_workers = 2;
	latch_set(r, -1, NULL);
	return r;
}

/* A kernel core with coredump_filter 0x3b: the queue is in it; live, the leader is stopped. */
static struct pgm_report *message_queue_full(void)
{
	struct pgm_report *r = mq_worker();
	r->wait.mq.mq = (struct pgm_shm_mq){ .known = true, .sender_pid = 4242, .receiver_pid = 4200,
		.sender_procno = 12, .receiver_procno = 3, .bytes_written = 523840, .bytes_read = 458360,
		.ring_size = 65480 };
	r->wait.mq.counterpart_task_state = S("T (stopped)");
	return r;
}

/* A gcore: the queue lies in a DSM segment it lacks; a worker's queue goes to its leader. */
static struct pgm_report *message_queue_missing(void)
{
	struct pgm_report *r = mq_worker();
	struct pgm_error fail = { .code = PGM_ERR_NOT_CAPTURED, .mapping = (char *)"/dev/shm/PostgreSQL.1744127362" };
	pgm_report_add_missing(r, "the message queue", 0x7f9d5cea6200, &fail, PGM_MISSING_DSM_SEGMENT);
	return r;
}

/* A Gather leader: one worker stopped (live T), one slot the postmaster never started. */
static struct pgm_report *message_queue_gather(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"gather_readnext", "gather_getnext", "ExecGather", NULL };
	struct pgm_report *r = fixture_report(stack, 0x08000010, "IPC", "ExecuteGather");
	free(r->query);
	r->query = S("select count(pg_sleep(0.001)) from t;");
	r->wait.kind = PGM_WAIT_MESSAGE_QUEUE;
	struct pgm_mq_wait *m = &r->wait.mq;
	m->op = PGM_MQ_OP_RECEIVE;
	m->gather = m->workers_known = true;
	m->workers = calloc(2, sizeof(*m->workers));
	m->workers[0] = (struct pgm_bgworker){ .slot = 1, .pid = 4243, .generation = 5, .type = S("parallel worker"),
		.wait_event = { .known = true, .info = 0x09000002, .type = S("Timeout"), .name = S("PgSleep") },
		.task_state = S("T (stopped)") };
	m->workers[1] = (struct pgm_bgworker){ .slot = 2, .pid = -1, .generation = 5, .type = S("parallel worker") };
	m->n_workers = 2;
	latch_set(r, -1, NULL);
	return r;
}

static struct pgm_report *procsignal_barrier(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"ConditionVariableTimedSleep", "WaitForProcSignalBarrier", "dropdb", "DropDatabase", NULL };
	struct pgm_report *r = fixture_report(stack, 0x08000025, "IPC", "ProcSignalBarrier");
	free(r->query);
	r->query = S("drop database pgm_drop;");
	r->wait.kind = PGM_WAIT_PROCSIGNAL_BARRIER;
	struct pgm_barrier_wait *b = &r->wait.barrier;
	*b = (struct pgm_barrier_wait){ .generation_known = true, .generation = 1, .generation_from_frame = true,
		.laggards_known = true, .n_slots = 38 };
	b->laggards = calloc(1, sizeof(*b->laggards));
	b->laggards[0] = (struct pgm_barrier_laggard){ .slot = 1, .pid = 4250, .generation = 0, .check_mask = 1,
		.waited_on = true, .wait_event = { .known = true, .info = 0x06000000, .type = S("Client"),
						   .name = S("ClientRead") }, .task_state = S("T (stopped)") };
	b->n_laggards = 1;
	latch_set(r, 5000, NULL);
	return r;
}

/* Running in an extension's loop with a terminate pending; live, it wakes and sleeps. */
static struct pgm_report *unserved_terminate(void)
{
	static const char *const stack[] = { "__GI___select", "pg_usleep", "pgm_loop_forever", "ExecInterpExpr",
		"ExecResult", NULL };
	static const struct pgm_module *const modules[] = { &libc_module, &postgres_module, &ext_module,
		&postgres_module, &postgres_module, NULL };
	struct pgm_report *r = fixture_report(stack, 0, NULL, NULL);
	set_modules(r, modules);
	free(r->query);
	r->query = S("select pgm_loop_forever();");
	r->interrupts.proc_die_pending.value = 1;
	r->interrupts.interrupt_pending.value = 1;
	r->wait.kind = PGM_WAIT_UNSERVED_INTERRUPT;
	r->wait.unserved = (struct pgm_unserved_wait){ .function = S("pgm_loop_forever"), .library = S("pgm_loop.so"),
						       .frame = 2 };
	r->task = (struct pgm_task){ .known = true, .state = 'S', .state_name = S("S (sleeping)"),
		.wchan = S("hrtimer_nanosleep"), .interval_s = 0.2, .cpu_s = 0.018, .switches = 135 };
	return r;
}

/* A cancel pending while postgres itself runs on a CPU (no library frame). */
static struct pgm_report *unserved_cancel_in_postgres(void)
{
	static const char *const stack[] = { "hash_search_with_hash_value", "BufTableLookup", "ReadBuffer_common", NULL };
	static const struct pgm_module *const modules[] = { &postgres_module, &postgres_module, &postgres_module, NULL };
	struct pgm_report *r = fixture_report(stack, 0, NULL, NULL);
	set_modules(r, modules);
	r->interrupts.query_cancel_pending.value = 1;
	r->interrupts.interrupt_pending.value = 1;
	r->interrupts.interrupt_holdoff.value = 1;
	r->wait.kind = PGM_WAIT_UNSERVED_INTERRUPT;
	r->wait.unserved = (struct pgm_unserved_wait){ .function = S("hash_search_with_hash_value"), .frame = 0 };
	r->task = (struct pgm_task){ .known = true, .state = 'R', .state_name = S("R (running)"), .interval_s = 0.2,
				     .cpu_s = 0.2, .switches = 1 };
	return r;
}

/* A gcore of the parallel-scan stall: the CV is not in it; its queue is, in the PGPROCs. */
static struct pgm_report *cv_queue_from_links(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"ConditionVariableTimedSleep", "ConditionVariableSleep", "_bt_parallel_seize", "_bt_first", NULL };
	struct pgm_report *r = fixture_report(stack, 0x08000007, "IPC", "BtreePage");
	free(r->backend_type);
	r->backend_type = S("parallel worker");
	r->leader_pid = 4200;
	r->cv_sleep_target_set = true;
	r->wait.kind = PGM_WAIT_CONDITION_VARIABLE;
	r->wait.address = 0x7f137e8251e8;
	r->wait.has_address = true;
	struct pgm_error fail = { .code = PGM_ERR_NOT_CAPTURED, .mapping = (char *)"/dev/shm/PostgreSQL.1409672000" };
	pgm_report_add_missing(r, "the condition variable", 0x7f137e8251e8, &fail, PGM_MISSING_DSM_SEGMENT);
	pgm_wait_add_waiter(&r->wait, 12, 4242, true);
	pgm_wait_add_waiter(&r->wait, 13, 4243, false);
	r->wait.waiters_known = true;
	r->wait.cv.queue_from_links = true;
	latch_set(r, -1, NULL);
	return r;
}

const struct fixture_case fixture_waits_cases[] = {
	{ "sleeping-in", sleeping_in },
	{ "latch-set-unconsumed", latch_set_unconsumed },
	{ "sync-rep-no-standby", sync_rep_no_standby },
	{ "sync-rep-behind", sync_rep_behind },
	{ "sync-rep-not-woken", sync_rep_not_woken },
	{ "message-queue-full", message_queue_full },
	{ "message-queue-missing", message_queue_missing },
	{ "message-queue-gather", message_queue_gather },
	{ "procsignal-barrier", procsignal_barrier },
	{ "unserved-terminate", unserved_terminate },
	{ "unserved-cancel-in-postgres", unserved_cancel_in_postgres },
	{ "cv-queue-from-links", cv_queue_from_links },
};
const size_t n_fixture_waits_cases = sizeof(fixture_waits_cases) / sizeof(fixture_waits_cases[0]);
