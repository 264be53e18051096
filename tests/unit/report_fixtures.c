/* Hand-built reports, one per wait kind (report_fixtures.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "report_fixtures.h"

#define S(x) ((char *)strdup(x))

struct pgm_stack *fixture_stack(const char *const *functions)
{
	struct pgm_stack *s = calloc(1, sizeof(*s));
	size_t n = 0;
	while (functions && functions[n])
		n++;
	s->tid = 4242;
	s->frames = calloc(n + 1, sizeof(*s->frames));
	for (size_t i = 0; i < n; i++) {
		struct pgm_frame *f = &s->frames[i];
		f->index = f->physical = (unsigned)i;
		f->pc = 0x5500000000 + 0x100 * i;
		f->function = S(functions[i]);
	}
	s->n_frames = s->n_physical = n;
	return s;
}

static void counters(struct pgm_report *r, int64_t holdoff, int64_t crit)
{
	struct pgm_interrupts *in = &r->interrupts;
	in->interrupt_pending = in->query_cancel_pending = in->proc_die_pending = (struct pgm_counter){ true, 0 };
	in->query_cancel_holdoff = (struct pgm_counter){ true, 0 };
	in->interrupt_holdoff = (struct pgm_counter){ true, holdoff };
	in->crit_section = (struct pgm_counter){ true, crit };
	in->held_lwlocks_known = true;
}

struct pgm_report *fixture_report(const char *const *functions, uint32_t info, const char *type, const char *name)
{
	struct pgm_report *r = pgm_report_create();
	r->source_kind = S("core");
	r->source_path = S("core.4242");
	r->pid = 4242;
	r->procno = 12;
	r->on_demand = true;
	r->cmdline = S("postgres: app db [local] SELECT");
	r->pg_version = S("15.18");
	r->executable = S("/usr/lib/postgresql/15/bin/postgres");
	r->build_id = S("b770e42f00000000000000000000000000000001");
	r->debuginfo = true;
	r->layout.source = PGM_LAYOUT_DWARF;
	r->is_backend = true;
	r->backend_type = S("client backend");
	r->database_oid = 5;
	r->query = S("select 1;");
	r->wait_event = (struct pgm_wait_event){ .known = true, .info = info, .type = type ? S(type) : NULL,
						 .name = name ? S(name) : NULL };
	r->stacks = calloc(1, sizeof(*r->stacks));
	r->stacks[0] = fixture_stack(functions);
	r->n_stacks = 1;
	counters(r, 0, 0);
	return r;
}

static const char *const cv_stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
	"ConditionVariableTimedSleep", "ConditionVariableSleep", "_bt_parallel_seize", "_bt_first", "btgettuple", NULL };

static void add_group(struct pgm_report *r, enum pgm_queued worker_queued, uint32_t leader_info)
{
	r->group = calloc(3, sizeof(*r->group));
	r->n_group = 3;
	r->group[0] = (struct pgm_group_member){ .pid = 4200, .procno = 3, .is_leader = true,
		.wait_event = { .known = true, .info = leader_info }, .queued_on_same = PGM_QUEUED_NO };
	r->group[1] = (struct pgm_group_member){ .pid = 4242, .procno = 12, .is_self = true,
		.wait_event = { .known = true, .info = 0x08000007, .type = S("IPC"), .name = S("BtreePage") },
		.queued_on_same = PGM_QUEUED_YES };
	r->group[2] = (struct pgm_group_member){ .pid = 4243, .procno = 13,
		.wait_event = { .known = true, .info = 0x08000007, .type = S("IPC"), .name = S("BtreePage") },
		.queued_on_same = worker_queued };
}

static struct pgm_report *cv_worker(void)
{
	struct pgm_report *r = fixture_report(cv_stack, 0x08000007, "IPC", "BtreePage");
	free(r->backend_type);
	r->backend_type = S("parallel worker");
	r->leader_pid = 4200;
	r->cv_sleep_target_set = true;
	r->wait.kind = PGM_WAIT_CONDITION_VARIABLE;
	r->wait.address = 0x7fb8c6b121e8;
	r->wait.has_address = true;
	return r;
}

static struct pgm_report *cv_btree_scan(void)
{
	struct pgm_report *r = cv_worker();
	struct pgm_cv_wait *cv = &r->wait.cv;
	cv->header_known = true;
	cv->wakeup_head = 13;
	cv->wakeup_tail = 12;
	cv->owner = PGM_CV_OWNER_BTREE_SCAN;
	cv->btree = (struct pgm_btree_scan){ .address = 0x7fb8c6b121d8, .state_known = true, .page_status = 1,
		.page_status_name = S("BTPARALLEL_ADVANCING"), .scan_page = 0xFFFFFFFF,
		.index = { true, 16400, S("t_a") }, .heap = { true, 16397, S("t") } };
	pgm_wait_add_waiter(&r->wait, 13, 4243, false);
	pgm_wait_add_waiter(&r->wait, 12, 4242, true);
	r->wait.waiters_known = true;
	add_group(r, PGM_QUEUED_YES, 0);
	return r;
}

/* The leader's core was given too: it holds the scan, in _bt_parallel_release. */
static struct pgm_report *cv_btree_scan_advancer(void)
{
	struct pgm_report *r = cv_btree_scan();
	r->wait.cv.btree.advancer = (struct pgm_scan_advancer){ .known = true, .pid = 4200, .is_leader = true,
		.function = S("_bt_parallel_release"), .frame = 2, .core = S("core.4200") };
	return r;
}

/* A gcore: the CV lies in a DSM segment the capture lacks. */
static struct pgm_report *cv_btree_missing(void)
{
	struct pgm_report *r = cv_worker();
	r->wait.cv.owner = PGM_CV_OWNER_BTREE_SCAN;
	r->wait.cv.btree.address = 0x7fb8c6b121d8;
	struct pgm_error fail = { .code = PGM_ERR_NOT_CAPTURED, .mapping = (char *)"/dev/shm/PostgreSQL.1409672000" };
	pgm_report_add_missing(r, "the condition variable", 0x7fb8c6b121e8, &fail, PGM_MISSING_DSM_SEGMENT);
	pgm_report_add_missing(r, "the parallel btree scan state (BTParallelScanDescData)", 0x7fb8c6b121d8, &fail,
			       PGM_MISSING_DSM_SEGMENT);
	add_group(r, PGM_QUEUED_UNKNOWN, 0);
	return r;
}

/* A gcore: the scan state is in a DSM segment it lacks, but the scan descriptor (private) names the index. */
static struct pgm_report *cv_btree_missing_index(void)
{
	struct pgm_report *r = cv_btree_missing();
	r->wait.cv.btree.index = (struct pgm_relation){ true, 16400, S("t_a") };
	r->wait.cv.btree.heap = (struct pgm_relation){ true, 16397, S("t") };
	return r;
}

/* PostgreSQL bug #15290: asleep on a CV with interrupts held off, holding an LWLock. */
static struct pgm_report *cv_bug_15290(void)
{
	struct pgm_report *r = cv_btree_scan();
	counters(r, 1, 0);
	r->interrupts.held_lwlocks = calloc(1, sizeof(*r->interrupts.held_lwlocks));
	r->interrupts.held_lwlocks[0] = (struct pgm_held_lwlock){ S("BufferContent"), 0x7fb8c0001234, S("shared") };
	r->interrupts.n_held_lwlocks = 1;
	return r;
}

static const char *const lwlock_stack[] = { "futex_wait", "do_futex_wait", "__new_sem_wait_slow64",
	"PGSemaphoreLock", "LWLockAcquire", "heap_fetch", "heapam_fetch_row_version", NULL };

static struct pgm_report *lwlock(void)
{
	struct pgm_report *r = fixture_report(lwlock_stack, 0x01000038, "LWLock", "BufferContent");
	r->wait.kind = PGM_WAIT_LWLOCK;
	r->wait.address = 0x7ff78d153764;
	r->wait.has_address = true;
	r->wait.lwlock = (struct pgm_lwlock_wait){ .tranche_id = 56, .tranche = S("BufferContent"), .state_known = true,
		.exclusive = true, .has_waiters = true, .mode = S("shared") };
	pgm_wait_add_waiter(&r->wait, 12, 4242, true);
	r->wait.waiters_known = true;
	return r;
}

static struct pgm_report *lwlock_holder(void)
{
	struct pgm_report *r = lwlock();
	struct pgm_holder *h;
	pgm_wait_add_holder(&r->wait, 4100, 7, PGM_HOLDER_LWLOCK, "exclusive", &h);
	h->core = S("core.4100");
	r->wait.holders_known = true;
	return r;
}

static const char *const lock_stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
	"ProcSleep", "WaitOnLock", "LockAcquireExtended", "LockRelationOid", NULL };

static struct pgm_report *hwlock_relation(void)
{
	struct pgm_report *r = fixture_report(lock_stack, 0x03000000, "Lock", "relation");
	r->wait.kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	r->wait.address = 0x7f00aa001000;
	r->wait.has_address = true;
	r->wait.hwlock = (struct pgm_hwlock_wait){ .tag_known = true, .mode = S("AccessExclusiveLock"),
		.tag = { .locktype = S("relation"), .has_database = true, .database = 5, .has_relation = true,
			 .relation = 16384 } };
	pgm_wait_add_holder(&r->wait, 4100, 7, PGM_HOLDER_HOLDS, "AccessShareLock", NULL);
	pgm_wait_add_holder(&r->wait, 4101, 8, PGM_HOLDER_QUEUED_AHEAD, "AccessExclusiveLock", NULL);
	r->wait.holders_known = true;
	pgm_wait_add_waiter(&r->wait, 8, 4101, false);
	pgm_wait_add_waiter(&r->wait, 12, 4242, true);
	r->wait.waiters_known = true;
	return r;
}

static struct pgm_report *hwlock_transaction(void)
{
	struct pgm_report *r = fixture_report(lock_stack, 0x03000004, "Lock", "transactionid");
	r->wait.kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	r->wait.hwlock = (struct pgm_hwlock_wait){ .tag_known = true, .mode = S("ShareLock"),
		.tag = { .locktype = S("transactionid"), .has_transactionid = true, .transactionid = 735 } };
	pgm_wait_add_holder(&r->wait, 4100, 7, PGM_HOLDER_HOLDS, "ExclusiveLock", NULL);
	r->wait.holders_known = true;
	return r;
}

static struct pgm_report *latch(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"gather_readnext", "ExecGather", NULL };
	struct pgm_report *r = fixture_report(stack, 0x08000010, "IPC", "ExecuteGather");
	r->wait.kind = PGM_WAIT_LATCH;
	return r;
}

static struct pgm_report *socket_wait(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "secure_read",
		"pq_recvbuf", "pq_getbyte", "PostgresMain", NULL };
	struct pgm_report *r = fixture_report(stack, 0x06000000, "Client", "ClientRead");
	r->wait.kind = PGM_WAIT_SOCKET;
	return r;
}

static struct pgm_report *timeout(void)
{
	static const char *const stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"pg_sleep", "ExecInterpExpr", NULL };
	struct pgm_report *r = fixture_report(stack, 0x09000002, "Timeout", "PgSleep");
	r->wait.kind = PGM_WAIT_TIMEOUT;
	return r;
}

static struct pgm_report *running(void)
{
	static const char *const stack[] = { "pg_add_s64_overflow", "int8pl", "ExecInterpExpr", "ExecAgg", NULL };
	struct pgm_report *r = fixture_report(stack, 0, NULL, NULL);
	r->wait.kind = PGM_WAIT_NONE;
	return r;
}

/* The leader of a stalled parallel scan (corpus parallel-scan-stall, its gcore alone): running, its workers asleep. */
static struct pgm_report *leader_running(void)
{
	static const char *const stack[] = { "_bt_parallel_release", "_bt_readpage", "_bt_first", "btgettuple", NULL };
	struct pgm_report *r = fixture_report(stack, 0, NULL, NULL);
	r->pid = 4200;
	r->wait.kind = PGM_WAIT_NONE;
	add_group(r, PGM_QUEUED_UNKNOWN, 0);
	r->group[0].is_self = true;
	r->group[1].is_self = false;
	r->group[1].queued_on_same = PGM_QUEUED_UNKNOWN;
	return r;
}

static struct pgm_report *crashed(void)
{
	static const char *const stack[] = { "slot_getsomeattrs_int", "ExecInterpExpr", "ExecScan", NULL };
	struct pgm_report *r = fixture_report(stack, 0, NULL, NULL);
	r->on_demand = false;
	r->signal = SIGSEGV;
	r->crashed = true;
	r->has_fault_address = true;
	r->fault_address = 0x18;
	r->crash_function = S("slot_getsomeattrs_int");
	r->wait.kind = PGM_WAIT_CRASHED;
	return r;
}

static const struct pgm_module fixture_postgres = { .name = "/usr/lib/postgresql/15/bin/postgres", .is_main = true };

/* Every frame in the postgres executable: where a crash's site is looked for. */
static void in_postgres(struct pgm_report *r)
{
	for (size_t i = 0; i < r->stacks[0]->n_frames; i++)
		r->stacks[0]->frames[i].module = &fixture_postgres;
}

/* Sent a SIGSEGV with kill() while running (corpus/pg15/crash): killed, not a fault; the site as batch names it. */
static struct pgm_report *killed_running(void)
{
	static const char *const stack[] = { "agg_retrieve_direct", "ExecAgg", "standard_ExecutorRun", NULL };
	struct pgm_report *r = fixture_report(stack, 0, NULL, NULL);
	r->on_demand = false;
	r->signal = SIGSEGV;
	r->signal_sender = 30880;
	in_postgres(r);
	r->wait.kind = PGM_WAIT_NONE;
	if (pgm_died_of_signal(r)) {
		r->wait.kind = PGM_WAIT_CRASHED;
		r->crash_function = S(pgm_crash_site(r->stacks[0]));
	}
	return r;
}

/* A fault in a stripped build's static function: the verdict names its caller as the caller. */
static struct pgm_report *crashed_stripped(void)
{
	struct pgm_report *r = crashed();
	r->crash_in_callee = true;
	free(r->crash_function);
	r->crash_function = S("ExecInterpExpr");
	return r;
}

/* An assertion failure: abort() raises SIGABRT at itself; the site is past ExceptionalCondition. */
static struct pgm_report *assert_abort(void)
{
	static const char *const stack[] = { "ExceptionalCondition", "heap_update", "ExecUpdate", NULL };
	struct pgm_report *r = fixture_report(stack, 0, NULL, NULL);
	r->on_demand = false;
	r->signal = SIGABRT;
	r->signal_sender = r->pid;
	r->crashed = true;
	in_postgres(r);
	r->wait.kind = PGM_WAIT_CRASHED;
	r->crash_function = S(pgm_crash_site(r->stacks[0]));
	return r;
}

static struct pgm_report *unknown(void)
{
	struct pgm_report *r = fixture_report(NULL, 0, NULL, NULL);
	r->wait_event.known = false;
	r->interrupts = (struct pgm_interrupts){ .killable = PGM_KILLABLE_UNKNOWN };
	r->wait.kind = PGM_WAIT_UNKNOWN;
	return r;
}

/* A stripped build without debuginfo: the stack is all there is. */
static struct pgm_report *no_debuginfo(void)
{
	struct pgm_report *r = fixture_report(cv_stack, 0, NULL, NULL);
	r->debuginfo = false;
	r->layout.source = PGM_LAYOUT_NONE;
	r->layout.note = S("no layout profile for PostgreSQL 15 (/usr/lib/postgresql/15/bin/postgres is 15.18); "
			   "make one from a debug build with 'pgmortem profile'");
	r->is_backend = false;
	free(r->backend_type);
	r->backend_type = NULL;
	r->wait_event.known = false;
	r->interrupts = (struct pgm_interrupts){ .killable = PGM_KILLABLE_UNKNOWN };
	r->wait.kind = PGM_WAIT_CONDITION_VARIABLE;
	pgm_report_add_diagnosis(r, "no-debuginfo", "the executable has no DWARF debuginfo: the wait is told "
				 "from the stack alone");
	/* the type and leader as the pipeline takes them from the command line */
	free(r->cmdline);
	r->cmdline = S("postgres: main: parallel worker for PID 31136");
	pgm_identity_from_cmdline(r);
	return r;
}

/*
 * A stripped build read through the layout profile of its major version:
 * no cv_sleep_target, so neither the CV nor its queue; the group and the
 * interrupt counters (exported) are known.
 */
static struct pgm_report *cv_profile(void)
{
	struct pgm_report *r = cv_worker();
	r->cv_sleep_target_set = false;
	r->wait.address = 0;
	r->wait.has_address = false;
	r->debuginfo = false;
	r->interrupts.held_lwlocks_known = false;
	struct pgm_layout_origin *o = &r->layout;
	o->source = PGM_LAYOUT_PROFILE;
	o->profile = S("/usr/share/pgmortem/profiles/postgresql-15.json");
	o->made_from = S("15.18");
	o->checks = calloc(2, sizeof(*o->checks));
	o->checks[o->n_checks++] = S("MyProcPid, MyProc->pid and MyBEEntry->st_procpid are the capture's pid 4242");
	o->checks[o->n_checks++] = S("ShmemIndex (57 entries) places \"Proc Header\" where ProcGlobal points");
	pgm_report_add_diagnosis(r, "cv-target-unknown", "the stack sleeps in ConditionVariableSleep, but on which "
				 "condition variable is unknown: cv_sleep_target is unknown: a file-static in the "
				 "process's private memory");
	add_group(r, PGM_QUEUED_UNKNOWN, 0);
	r->group[1].queued_on_same = PGM_QUEUED_UNKNOWN;
	return r;
}

const struct fixture_case fixture_cases[] = {
	{ "cv-btree-scan", cv_btree_scan },
	{ "cv-btree-scan-advancer", cv_btree_scan_advancer },
	{ "cv-btree-missing", cv_btree_missing },
	{ "cv-btree-missing-index", cv_btree_missing_index },
	{ "cv-bug-15290", cv_bug_15290 },
	{ "lwlock", lwlock },
	{ "lwlock-holder", lwlock_holder },
	{ "hwlock-relation", hwlock_relation },
	{ "hwlock-transaction", hwlock_transaction },
	{ "latch", latch },
	{ "socket", socket_wait },
	{ "timeout", timeout },
	{ "running", running },
	{ "leader-running", leader_running },
	{ "crashed", crashed },
	{ "killed-running", killed_running },
	{ "crashed-stripped", crashed_stripped },
	{ "assert-abort", assert_abort },
	{ "unknown", unknown },
	{ "no-debuginfo", no_debuginfo },
	/* buffers, storage and replication (report_fixtures_storage.c) */
	{ "buffer-pin", fixture_buffer_pin },
	{ "buffer-pin-holder", fixture_buffer_pin_holder },
	{ "buffer-pinned", fixture_buffer_pinned },
	{ "buffer-io", fixture_buffer_io },
	{ "buffer-io-aio", fixture_buffer_io_aio },
	{ "io-wal-write", fixture_io_wal_write },
	{ "replication-slot", fixture_replication_slot },
	{ "walsender-stopping", fixture_walsender_stopping },
	{ "cv-profile", cv_profile },
};
const size_t n_fixture_cases = sizeof(fixture_cases) / sizeof(fixture_cases[0]);

size_t fixture_count(void)
{
	return n_fixture_cases + n_fixture_waits_cases;
}

const struct fixture_case *fixture_at(size_t i)
{
	return i < n_fixture_cases ? &fixture_cases[i] : &fixture_waits_cases[i - n_fixture_cases];
}
