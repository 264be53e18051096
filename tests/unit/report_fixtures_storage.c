/*
 * Hand-built reports of the buffer, I/O and replication kinds (report_fixtures.h):
 * the facts pg/buffer.c, buffer_io.c, io.c and slot.c decode, on the stacks the
 * scenarios recorded with gdb (tests/scenarios/cases/buffer-pin.sh, …).
 */
#include <stdlib.h>
#include <string.h>

#include "report_fixtures.h"

#define S(x) ((char *)strdup(x))

/* The wait's kind and object address; a query when given. */
static void waiting(struct pgm_report *r, enum pgm_wait_kind kind, uint64_t address, const char *query)
{
	r->wait.kind = kind;
	r->wait.address = address;
	r->wait.has_address = address != 0;
	if (query) {
		free(r->query);
		r->query = S(query);
	}
}

/* Block 0 of relation pin (oid 16397), the VACUUM waiter (pid 4242, procno 12) recorded in its header. */
static struct pgm_buffer pin_buffer(void)
{
	return (struct pgm_buffer){
		.known = true, .buffer = 164, .address = 0x7f59897535c0, .tag_known = true,
		.tablespace = 1663, .database = 5, .relfilenode = 16397, .fork = S("main"), .block = 0,
		.relation = { .known = true, .oid = 16397, .name = S("pin") },
		.state_known = true, .state = 0xb3840002, .refcount = 2, .usage_count = 1,
		.dirty = true, .valid = true, .tag_valid = true, .pin_count_waiter = true,
		.waiter_known = true, .waiter_procno = 12, .waiter_pid = 4242,
	};
}

static const char *const pin_stack[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
	"ProcWaitForSignal", "LockBufferForCleanup", "lazy_scan_heap", "heap_vacuum_rel", NULL };

static struct pgm_report *pin_waiter(void)
{
	struct pgm_report *r = fixture_report(pin_stack, 0x04000000, "BufferPin", "BufferPin");
	waiting(r, PGM_WAIT_BUFFER_PIN, 0x7f59897535c0, "vacuum (freeze) pin;");
	r->wait.pin.buffer = pin_buffer();
	r->wait.pin.own_pins = 1;
	r->buffers.pins_known = true;
	r->buffers.pins = calloc(1, sizeof(*r->buffers.pins));
	r->buffers.pins[0] = (struct pgm_pin){ .refcount = 1, .buffer = pin_buffer() };
	r->buffers.n_pins = 1;
	return r;
}

/* One capture: the pins' holders are private; who has the relation locked may hold them. */
struct pgm_report *fixture_buffer_pin(void)
{
	struct pgm_report *r = pin_waiter();
	struct pgm_buffer_pin_wait *p = &r->wait.pin;
	p->candidates_known = true;
	p->candidates = calloc(1, sizeof(*p->candidates));
	p->candidates[0] = (struct pgm_pin_candidate){ .pid = 4300, .mode = S("AccessShareLock") };
	p->n_candidates = 1;
	return r;
}

/* With the holder's capture: the instance names it (what analysis/graph_storage.c adds). */
struct pgm_report *fixture_buffer_pin_holder(void)
{
	struct pgm_report *r = fixture_buffer_pin();
	r->wait.holders_known = true;
	r->wait.holders = calloc(1, sizeof(*r->wait.holders));
	r->wait.holders[0] = (struct pgm_holder){ .pid = 4300, .procno = 19, .how = PGM_HOLDER_PIN,
						  .mode = S("2 pins"), .core = S("core.4300") };
	r->wait.n_holders = 1;
	return r;
}

/* The cursor's process: idle in transaction, holding the pin the VACUUM waits out. */
struct pgm_report *fixture_buffer_pinned(void)
{
	static const char *const idle[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "secure_read",
		"pq_recvbuf", "pq_getbyte", "SocketBackend", "ReadCommand", "PostgresMain", NULL };
	struct pgm_report *r = fixture_report(idle, 0x06000000, "Client", "ClientRead");
	waiting(r, PGM_WAIT_SOCKET, 0, "fetch 1 from c;");
	r->pid = 4300;
	r->procno = 19;
	free(r->source_path);
	r->source_path = S("core.4300");
	r->buffers.pins_known = true;
	r->buffers.pins = calloc(1, sizeof(*r->buffers.pins));
	r->buffers.pins[0] = (struct pgm_pin){ .refcount = 2, .buffer = pin_buffer() };
	r->buffers.n_pins = 1;
	return r;
}

static struct pgm_buffer io_buffer(uint32_t state, uint32_t refcount)
{
	return (struct pgm_buffer){
		.known = true, .buffer = 167, .address = 0x7f8f2e74b680, .tag_known = true,
		.tablespace = 1663, .database = 5, .relfilenode = 16402, .fork = S("main"), .block = 0,
		.relation = { .known = true, .oid = 16402, .name = S("bio") },
		.state_known = true, .state = state, .refcount = refcount, .usage_count = 2,
		.tag_valid = true, .io_in_progress = true, .waiter_known = true, .waiter_procno = -1,
	};
}

/* Up to 17: WaitIO on the buffer's condition variable; the reader's InProgressBuf is private. */
struct pgm_report *fixture_buffer_io(void)
{
	static const char *const st[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"ConditionVariableTimedSleep", "ConditionVariableSleep", "WaitIO", "StartBufferIO", "BufferAlloc",
		"ReadBuffer_common", NULL };
	struct pgm_report *r = fixture_report(st, 0x08000002, "IPC", "BufferIO");
	waiting(r, PGM_WAIT_BUFFER_IO, 0x7f8f2e74b680, NULL);
	r->wait.bufio.buffer = io_buffer(0x86080002, 2);
	return r;
}

/* 18: the buffer's io_wref names an AIO handle, whose owner performs it synchronously. */
struct pgm_report *fixture_buffer_io_aio(void)
{
	static const char *const st[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"ConditionVariableTimedSleep", "ConditionVariableSleep", "pgaio_io_wait", "pgaio_wref_wait", "WaitIO",
		"StartBufferIO", "AsyncReadBuffers", "WaitReadBuffers", NULL };
	struct pgm_report *r = fixture_report(st, 0x0A000000, "IO", "AioIoCompletion");
	free(r->pg_version);
	r->pg_version = S("18.6");
	waiting(r, PGM_WAIT_BUFFER_IO, 0x7f65baa5ed40, NULL);
	r->wait.bufio.buffer = io_buffer(0x86080003, 3);
	r->wait.bufio.buffer.buffer = 192;
	r->wait.bufio.aio = (struct pgm_aio_handle){ .known = true, .index = 24, .address = 0x7f65bbd2b480,
		.state = S("PGAIO_HS_SUBMITTED"), .op = S("PGAIO_OP_READV"), .synchronous = true,
		.owner_procno = 1, .owner_pid = 4100 };
	r->wait.holders_known = true;
	r->wait.holders = calloc(1, sizeof(*r->wait.holders));
	r->wait.holders[0] = (struct pgm_holder){ .pid = 4100, .procno = 1, .how = PGM_HOLDER_IO,
						  .mode = S("PGAIO_OP_READV") };
	r->wait.n_holders = 1;
	return r;
}

/* A commit in XLogWrite's pwrite: the segment named through openLogFile, inside a critical section. */
struct pgm_report *fixture_io_wal_write(void)
{
	static const char *const st[] = { "__libc_pwrite64", "XLogWrite", "XLogFlush", "RecordTransactionCommit",
		"CommitTransaction", NULL };
	struct pgm_report *r = fixture_report(st, 0x0A000044, "IO", "WALWrite");
	waiting(r, PGM_WAIT_IO, 0, NULL);
	r->wait.io = (struct pgm_io_wait){ .fd_known = true, .fd = 17, .file = S("pg_wal/000000010000000000000001"),
					   .source = S("openLogFile (the WAL segment XLogWrite writes)") };
	r->interrupts.crit_section.value = 2;
	r->interrupts.interrupt_holdoff.value = 2;
	return r;
}

static struct pgm_replication_slot drop_slot(void)
{
	return (struct pgm_replication_slot){
		.known = true, .index = 0, .address = 0x7f21414cfb80, .in_use = true, .name = S("pgm_slot"),
		.type = S("logical"), .database = 5, .plugin = S("pgoutput"), .persistency = S("persistent"),
		.active_pid = 4500, .restart_lsn = 0x14DD570, .confirmed_flush = 0x14DD5A8, .catalog_xmin = 738,
	};
}

/* DROP_REPLICATION_SLOT … WAIT: the slot's active_cv, its user named by active_pid. */
struct pgm_report *fixture_replication_slot(void)
{
	static const char *const st[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch",
		"ConditionVariableTimedSleep", "ConditionVariableSleep", "ReplicationSlotAcquire",
		"ReplicationSlotDrop", "DropReplicationSlot", NULL };
	struct pgm_report *r = fixture_report(st, 0x08000031, "IPC", "ReplicationSlotDrop");
	free(r->backend_type);
	r->backend_type = S("walsender");
	waiting(r, PGM_WAIT_REPLICATION_SLOT, 0x7f21414cfb80, "DROP_REPLICATION_SLOT pgm_slot WAIT");
	r->wait.slot.slot = drop_slot();
	r->wait.holders_known = true;
	r->wait.holders = calloc(1, sizeof(*r->wait.holders));
	r->wait.holders[0] = (struct pgm_holder){ .pid = 4500, .procno = -1, .how = PGM_HOLDER_SLOT };
	r->wait.n_holders = 1;
	r->walsender = (struct pgm_my_walsender){ .known = true, .state = S("startup"),
					       .got_stopping = { true, 0 } };
	return r;
}

/* At shutdown: told to stop, it waits for its receiver to confirm what it sent. */
struct pgm_report *fixture_walsender_stopping(void)
{
	static const char *const st[] = { "epoll_wait", "WaitEventSetWaitBlock", "WaitEventSetWait", "WalSndWait",
		"WalSndLoop", "StartLogicalReplication", "exec_replication_command", NULL };
	struct pgm_report *r = fixture_report(st, 0x05000012, "Activity", "WalSenderMain");
	free(r->backend_type);
	r->backend_type = S("walsender");
	waiting(r, PGM_WAIT_LATCH, 0, "START_REPLICATION SLOT \"pgm_slot\" LOGICAL 0/0");
	r->walsender = (struct pgm_my_walsender){ .known = true, .state = S("stopping"), .sent = 0x14DD830,
		.write = 0x14DD7C0, .flush = 0x14DD5A8, .slot = S("pgm_slot"), .got_stopping = { true, 1 } };
	return r;
}
