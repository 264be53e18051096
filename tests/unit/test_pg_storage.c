/*
 * pg/buffer.c, aio.c, slot.c over an in-memory target with a hand-built
 * layout: both buffer-tag layouts (RelFileNode up to 15, flat from 16),
 * the state word's bits, the pin-count waiter, private pins, a slot found
 * from the condition variable it sleeps on, a recycled AIO handle, and
 * damaged shared memory (bounds, a slot array that is too large).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "pg/storage.h"

enum {
	GLOBALS = 0x10000,
	PROCS = 0x20000, PROC_SIZE = 0x100, N_PROCS = 4,
	PROC_HDR_ADDR = 0x30000,
	BUFS = 0x40000, BUF_SIZE = 64, N_BUFS = 4,
	NAMES = 0x50000,
	SLOTS = 0x60000, SLOT_SIZE = 0x100, N_SLOTS = 2, SLOT_ARRAY_OFF = 8,
	WALSND = 0x70000,
	AIO_CTL = 0x80000, AIO_HANDLES = 0x81000, AIO_SIZE = 0x40, N_AIO = 4,
};

/* global slots in the globals page */
enum { G_PROCGLOBAL = 0, G_NBUFFERS = 8, G_BUFDESCS = 16, G_FORKNAMES = 24 /* char *[4] */, G_PINWAIT = 56,
       G_REFARRAY = 64 /* 8 entries of 8 */, G_OVERFLOWED = 128, G_RELCACHE = 136, G_SLOTCTL = 144,
       G_MAXSLOTS = 152, G_MYWALSND = 160, G_MYSLOT = 168, G_STOPPING = 176, G_AIO = 184, G_VERSION = 192 };

struct fixture {
	struct pgm_target *t;
	struct pgm_pg_layout *l;
	struct pgm_pg pg;
	uint8_t globals[0x100];
	uint8_t procs[N_PROCS * PROC_SIZE];
	uint8_t bufs[N_BUFS * BUF_SIZE];
	uint8_t slots[SLOT_ARRAY_OFF + N_SLOTS * SLOT_SIZE];
	uint8_t walsnd[64];
	uint8_t aio[N_AIO * AIO_SIZE];
};

static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

/*
 * The synthetic layout, one table per kind of entry.  BufferDesc: tag @0
 * (spc, db, rel, fork, block: 4 bytes each; the first three named by the
 * 15 or the 16+ members), buf_id @20, state @24, waiter @28.
 * ReplicationSlot: in_use @0, active_pid @4, database @8, persistency @12,
 * xmin @16, catalog_xmin @20, restart_lsn @24, confirmed_flush @32,
 * active_cv @40, name @64, plugin @128.  WalSnd: pid, state, sentPtr,
 * write, flush, apply.  PgAioCtl: io_handle_count, io_handles,
 * handle_data; PgAioHandle: state @0, op @1, flags @2, owner_procno @4,
 * generation @8, cv @16.
 */
struct member_entry {
	enum pgm_pg_member_id id;
	uint64_t offset, size;
};

static const struct member_entry tag_15[] = {
	{ PGM_M_BufferDesc_tag_spcNode, 0, 4 }, { PGM_M_BufferDesc_tag_dbNode, 4, 4 },
	{ PGM_M_BufferDesc_tag_relNode, 8, 4 },
};
static const struct member_entry tag_16[] = {
	{ PGM_M_BufferDesc_tag_spcOid, 0, 4 }, { PGM_M_BufferDesc_tag_dbOid, 4, 4 },
	{ PGM_M_BufferDesc_tag_relNumber, 8, 4 },
};
static const struct member_entry members[] = {
	{ PGM_M_PGPROC_pid, 0, 4 }, { PGM_M_PROC_HDR_allProcs, 0, 8 }, { PGM_M_PROC_HDR_allProcCount, 8, 4 },
	{ PGM_M_BufferDesc_tag_forkNum, 12, 4 }, { PGM_M_BufferDesc_tag_blockNum, 16, 4 },
	{ PGM_M_BufferDesc_buf_id, 20, 4 }, { PGM_M_BufferDesc_state, 24, 4 },
	{ PGM_M_BufferDesc_wait_backend_pgprocno, 28, 4 },
	{ PGM_M_PrivateRefCountEntry_buffer, 0, 4 }, { PGM_M_PrivateRefCountEntry_refcount, 4, 4 },
	{ PGM_M_ReplicationSlotCtlData_replication_slots, SLOT_ARRAY_OFF, SLOT_SIZE },
	{ PGM_M_ReplicationSlot_in_use, 0, 1 }, { PGM_M_ReplicationSlot_active_pid, 4, 4 },
	{ PGM_M_ReplicationSlot_database, 8, 4 }, { PGM_M_ReplicationSlot_persistency, 12, 4 },
	{ PGM_M_ReplicationSlot_xmin, 16, 4 }, { PGM_M_ReplicationSlot_catalog_xmin, 20, 4 },
	{ PGM_M_ReplicationSlot_restart_lsn, 24, 8 }, { PGM_M_ReplicationSlot_confirmed_flush, 32, 8 },
	{ PGM_M_ReplicationSlot_active_cv, 40, 12 }, { PGM_M_ReplicationSlot_name, 64, 64 },
	{ PGM_M_ReplicationSlot_plugin, 128, 64 },
	{ PGM_M_WalSnd_pid, 0, 4 }, { PGM_M_WalSnd_state, 4, 4 }, { PGM_M_WalSnd_sentPtr, 8, 8 },
	{ PGM_M_WalSnd_write, 16, 8 }, { PGM_M_WalSnd_flush, 24, 8 }, { PGM_M_WalSnd_apply, 32, 8 },
	{ PGM_M_PgAioCtl_io_handle_count, 0, 4 }, { PGM_M_PgAioCtl_io_handles, 8, 8 },
	{ PGM_M_PgAioCtl_handle_data, 16, 8 },
	{ PGM_M_PgAioHandle_state, 0, 1 }, { PGM_M_PgAioHandle_op, 1, 1 }, { PGM_M_PgAioHandle_flags, 2, 1 },
	{ PGM_M_PgAioHandle_owner_procno, 4, 4 }, { PGM_M_PgAioHandle_generation, 8, 8 },
	{ PGM_M_PgAioHandle_cv, 16, 12 },
};

static const struct { enum pgm_pg_struct_id id; uint64_t size; } structs[] = {
	{ PGM_S_PGPROC, PROC_SIZE }, { PGM_S_PROC_HDR, 16 }, { PGM_S_BufferDesc, 32 },
	{ PGM_S_BufferDescPadded, BUF_SIZE }, { PGM_S_PrivateRefCountEntry, 8 },
	{ PGM_S_ReplicationSlot, SLOT_SIZE }, { PGM_S_WalSnd, 64 }, { PGM_S_PgAioCtl, 24 },
	{ PGM_S_PgAioHandle, AIO_SIZE },
};

static const struct { enum pgm_pg_global_id id; size_t offset, size, elements; } globals[] = {
	{ PGM_G_ProcGlobal, G_PROCGLOBAL, 8, 0 }, { PGM_G_server_version_num, G_VERSION, 4, 0 },
	{ PGM_G_NBuffers, G_NBUFFERS, 4, 0 }, { PGM_G_BufferDescriptors, G_BUFDESCS, 8, 0 },
	{ PGM_G_forkNames, G_FORKNAMES, 32, 4 }, { PGM_G_PinCountWaitBuf, G_PINWAIT, 8, 0 },
	{ PGM_G_PrivateRefCountArray, G_REFARRAY, 64, 8 }, { PGM_G_PrivateRefCountOverflowed, G_OVERFLOWED, 4, 0 },
	{ PGM_G_RelationIdCache, G_RELCACHE, 8, 0 }, { PGM_G_ReplicationSlotCtl, G_SLOTCTL, 8, 0 },
	{ PGM_G_max_replication_slots, G_MAXSLOTS, 4, 0 }, { PGM_G_MyReplicationSlot, G_MYSLOT, 8, 0 },
	{ PGM_G_MyWalSnd, G_MYWALSND, 8, 0 }, { PGM_G_got_STOPPING, G_STOPPING, 4, 0 },
	{ PGM_G_pgaio_ctl, G_AIO, 8, 0 },
};

static const struct { enum pgm_pg_enum_id id; const char *name; int64_t value; } enumerators[] = {
	{ PGM_E_ReplicationSlotPersistency, "RS_PERSISTENT", 0 }, { PGM_E_ReplicationSlotPersistency, "RS_TEMPORARY", 2 },
	{ PGM_E_WalSndState, "WALSNDSTATE_STREAMING", 3 }, { PGM_E_WalSndState, "WALSNDSTATE_STOPPING", 4 },
	{ PGM_E_PgAioHandleState, "PGAIO_HS_SUBMITTED", 4 }, { PGM_E_PgAioOp, "PGAIO_OP_READV", 1 },
	{ PGM_E_PgAioHandleFlags, "PGAIO_HF_SYNCHRONOUS", 1 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void set_members(struct pgm_pg_layout *l, const struct member_entry *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pgm_pg_layout_set_member(l, m[i].id, m[i].offset, m[i].size);
}

static void make_layout(struct pgm_pg_layout *l, bool flat)
{
	set_members(l, members, N(members));
	set_members(l, flat ? tag_16 : tag_15, 3);
	for (size_t i = 0; i < N(structs); i++)
		pgm_pg_layout_set_struct(l, structs[i].id, structs[i].size);
	for (size_t i = 0; i < N(globals); i++) {
		pgm_pg_layout_set_global(l, globals[i].id, GLOBALS + globals[i].offset, globals[i].size);
		l->globals[globals[i].id].elements = globals[i].elements;
	}
	for (size_t i = 0; i < N(enumerators); i++)
		assert_null(pgm_pg_layout_add_enumerator(l, enumerators[i].id, enumerators[i].name, enumerators[i].value));
	l->has_debuginfo = true;
}

/* Buffer 2 (buf_id 1): block 7 of file 1663/5/16397, pinned twice, waited for by procno 2 (pid 1002). */
static void make_buffers(struct fixture *f)
{
	uint8_t *b = f->bufs + 1 * BUF_SIZE;
	put32(b, 0, 1663);
	put32(b, 4, 5);
	put32(b, 8, 16397);
	put32(b, 12, 0);
	put32(b, 16, 7);
	put32(b, 20, 1);
	put32(b, 24, 0xb3840002);   /* dirty, valid, tag_valid, pin_count_waiter, permanent; refcount 2 */
	put32(b, 28, 2);
	for (int i = 0; i < N_BUFS; i++)
		if (i != 1) {
			put32(f->bufs + i * BUF_SIZE, 20, (uint32_t)i);
			put32(f->bufs + i * BUF_SIZE, 28, 0x7FFFFFFF);   /* no waiter (INT_MAX up to 17) */
		}
	put32(f->globals, G_NBUFFERS, N_BUFS);
	put64(f->globals, G_BUFDESCS, BUFS);
	for (int i = 0; i < 4; i++)
		put64(f->globals, G_FORKNAMES + 8 * i, NAMES + 8 * i);
	put64(f->globals, G_PINWAIT, BUFS + 1 * BUF_SIZE);
	put32(f->globals, G_REFARRAY + 0, 2);   /* buffer 2, refcount 1 */
	put32(f->globals, G_REFARRAY + 4, 1);
	put32(f->globals, G_REFARRAY + 8, 4);   /* buffer 4, refcount 3 */
	put32(f->globals, G_REFARRAY + 12, 3);
	put32(f->globals, G_REFARRAY + 16, 3);  /* reserved entry: refcount 0, not a pin */
}

/* Slot 1 "pgm_slot" (logical, pgoutput), used by 1003; MyWalSnd streaming-then-stopping. */
static void make_slots(struct fixture *f)
{
	uint8_t *s = f->slots + SLOT_ARRAY_OFF + 1 * SLOT_SIZE;
	s[0] = 1;
	put32(s, 4, 1003);
	put32(s, 8, 5);
	put32(s, 20, 738);
	put64(s, 24, 0x14DD570);
	put64(s, 32, 0x14DD5A8);
	memcpy(s + 64, "pgm_slot", 9);
	memcpy(s + 128, "pgoutput", 9);
	put64(f->globals, G_SLOTCTL, SLOTS);
	put32(f->globals, G_MAXSLOTS, N_SLOTS);
	put64(f->globals, G_MYSLOT, SLOTS + SLOT_ARRAY_OFF + 1 * SLOT_SIZE);
	put64(f->globals, G_MYWALSND, WALSND);
	put32(f->globals, G_STOPPING, 1);
	put32(f->walsnd, 0, 1003);
	put32(f->walsnd, 4, 4);
	put64(f->walsnd, 8, 0x14DD830);
	put64(f->walsnd, 16, 0x14DD7C0);
	put64(f->walsnd, 24, 0x14DD5A8);
}

/* Handle 2: a synchronous read owned by procno 1 (pid 1001), generation 15. */
static void make_aio(struct fixture *f)
{
	uint8_t ctl[24] = { 0 };
	put32(ctl, 0, N_AIO);
	put64(ctl, 8, AIO_HANDLES);
	uint8_t *h = f->aio + 2 * AIO_SIZE;
	h[0] = 4;
	h[1] = 1;
	h[2] = 1;
	put32(h, 4, 1);
	put64(h, 8, 15);
	put64(f->globals, G_AIO, AIO_CTL);
	assert_null(pgm_target_memory_add(f->t, AIO_CTL, ctl, sizeof(ctl), "/dev/zero (deleted)"));
}

/* `tweak` (may be NULL) damages the memory before it becomes the target's. */
static struct fixture *fixture_create(bool flat, int32_t version, void (*tweak)(struct fixture *))
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_null(pgm_target_memory_create(1002, &f->t));
	f->l = pgm_pg_layout_create_empty();
	make_layout(f->l, flat);
	put64(f->globals, G_PROCGLOBAL, PROC_HDR_ADDR);
	put32(f->globals, G_VERSION, (uint32_t)version);
	for (int i = 0; i < N_PROCS; i++)
		put32(f->procs, i * PROC_SIZE, 1000 + i);
	make_buffers(f);
	make_slots(f);
	make_aio(f);
	if (tweak)
		tweak(f);
	uint8_t hdr[16] = { 0 };
	put64(hdr, 0, PROCS);
	put32(hdr, 8, N_PROCS);
	static const char names[32] = "main\0\0\0\0fsm\0\0\0\0\0vm\0\0\0\0\0\0init";
	const char *shm = "/dev/zero (deleted)";
	assert_null(pgm_target_memory_add(f->t, GLOBALS, f->globals, sizeof(f->globals), NULL));
	assert_null(pgm_target_memory_add(f->t, PROCS, f->procs, sizeof(f->procs), shm));
	assert_null(pgm_target_memory_add(f->t, PROC_HDR_ADDR, hdr, sizeof(hdr), shm));
	assert_null(pgm_target_memory_add(f->t, BUFS, f->bufs, sizeof(f->bufs), shm));
	assert_null(pgm_target_memory_add(f->t, NAMES, names, sizeof(names), "/usr/lib/postgresql/15/bin/postgres"));
	assert_null(pgm_target_memory_add(f->t, SLOTS, f->slots, sizeof(f->slots), shm));
	assert_null(pgm_target_memory_add(f->t, WALSND, f->walsnd, sizeof(f->walsnd), shm));
	assert_null(pgm_target_memory_add(f->t, AIO_HANDLES, f->aio, sizeof(f->aio), shm));
	pgm_pg_init(&f->pg, f->t, f->l);
	return f;
}

static void fixture_destroy(struct fixture *f)
{
	pgm_pg_layout_destroy(f->l);
	pgm_target_destroy(f->t);
	free(f);
}

static void check_pinned_buffer(const struct pgm_buffer *b)
{
	assert_true(b->known && b->tag_known && b->state_known);
	assert_int_equal(b->buffer, 2);
	assert_int_equal(b->tablespace, 1663);
	assert_int_equal(b->database, 5);
	assert_int_equal(b->relfilenode, 16397);
	assert_string_equal(b->fork, "main");
	assert_int_equal(b->block, 7);
	assert_int_equal(b->refcount, 2);
	assert_int_equal(b->usage_count, 1);
	assert_true(b->dirty && b->valid && b->tag_valid && b->pin_count_waiter);
	assert_false(b->io_in_progress || b->io_error || b->locked);
	assert_int_equal(b->waiter_procno, 2);
	assert_int_equal(b->waiter_pid, 1002);
	assert_false(b->relation.known);   /* no relcache here */
}

/* Up to 15 the tag is a RelFileNode, from 16 flat: which members exist decides, the facts are the same. */
static void buffer_tag_either_layout(void **state)
{
	for (int flat = 0; flat < 2; flat++) {
		struct fixture *f = fixture_create(flat, flat ? 180006 : 150018, NULL);
		struct pgm_buffer b = { 0 };
		uint64_t desc;
		assert_null(pgm_pg_buffer_desc(&f->pg, 1, &desc));
		assert_int_equal(desc, BUFS + BUF_SIZE);
		assert_null(pgm_pg_read_buffer(&f->pg, desc, NULL, &b));
		check_pinned_buffer(&b);
		pgm_buffer_deinit(&b);
		/* INT_MAX in wait_backend_pgprocno: no waiter */
		assert_null(pgm_pg_read_buffer(&f->pg, BUFS, NULL, &b));
		assert_true(b.waiter_known);
		assert_int_equal(b.waiter_procno, -1);
		assert_int_equal(b.waiter_pid, 0);
		pgm_buffer_deinit(&b);
		fixture_destroy(f);
	}
}

/* The state word's bits are macros known for 9.6-18: another version keeps the raw word only. */
static void state_bits_only_for_known_versions(void **state)
{
	struct fixture *f = fixture_create(true, 190000, NULL);
	struct pgm_buffer b = { 0 };
	assert_null(pgm_pg_read_buffer(&f->pg, BUFS + BUF_SIZE, NULL, &b));
	assert_true(b.known && b.tag_known);
	assert_false(b.state_known);
	assert_int_equal(b.state, 0xb3840002);
	assert_false(b.pin_count_waiter);
	pgm_buffer_deinit(&b);
	fixture_destroy(f);
}

static void huge_nbuffers(struct fixture *f)
{
	put32(f->globals, G_NBUFFERS, 0x7FFFFFFF);
}

static void buffer_ids_are_bounded(void **state)
{
	struct fixture *f = fixture_create(true, 180006, NULL);
	uint64_t desc;
	struct pgm_error *err = pgm_pg_buffer_desc(&f->pg, N_BUFS, &desc);
	assert_non_null(err);
	pgm_error_destroy(err);
	err = pgm_pg_buffer_desc(&f->pg, -1, &desc);
	assert_non_null(err);
	pgm_error_destroy(err);
	fixture_destroy(f);
	f = fixture_create(true, 180006, huge_nbuffers);   /* implausible: refused, not walked */
	err = pgm_pg_buffer_desc(&f->pg, 1, &desc);
	assert_non_null(err);
	pgm_error_destroy(err);
	fixture_destroy(f);
}

/* The waiter's pin wait, its own pins (the reserved entry with refcount 0 is not one). */
static void pin_wait_and_private_pins(void **state)
{
	struct fixture *f = fixture_create(false, 150018, NULL);
	struct pgm_report *r = pgm_report_create();
	r->pid = 1002;
	assert_null(pgm_pg_read_buffer_usage(&f->pg, r));
	assert_true(r->buffers.pins_known);
	assert_int_equal(r->buffers.n_pins, 2);
	assert_int_equal(r->buffers.pins[0].buffer.buffer, 2);
	assert_int_equal(r->buffers.pins[0].refcount, 1);
	assert_int_equal(r->buffers.pins[1].buffer.buffer, 4);
	assert_int_equal(r->buffers.pins[1].refcount, 3);
	assert_false(r->buffers.io_known);   /* no InProgressBuf in this layout */
	assert_null(pgm_pg_read_pin_wait(&f->pg, r));
	assert_true(r->wait.has_address);
	assert_int_equal(r->wait.address, BUFS + BUF_SIZE);
	check_pinned_buffer(&r->wait.pin.buffer);
	assert_int_equal(r->wait.pin.own_pins, 1);
	assert_false(r->wait.pin.candidates_known);   /* the relation is unnamed: no candidates to look for */
	assert_int_equal(r->n_missing, 0);
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void slot_from_its_condition_variable(void **state)
{
	struct fixture *f = fixture_create(true, 180006, NULL);
	struct pgm_report *r = pgm_report_create();
	r->pid = 1002;
	uint64_t slot = SLOTS + SLOT_ARRAY_OFF + SLOT_SIZE;
	assert_null(pgm_pg_read_slot_wait(&f->pg, slot + 40, NULL, r));
	const struct pgm_replication_slot *s = &r->wait.slot.slot;
	assert_true(s->known && s->in_use);
	assert_int_equal(s->index, 1);
	assert_string_equal(s->name, "pgm_slot");
	assert_string_equal(s->type, "logical");
	assert_string_equal(s->plugin, "pgoutput");
	assert_string_equal(s->persistency, "persistent");
	assert_int_equal(s->active_pid, 1003);
	assert_int_equal(s->restart_lsn, 0x14DD570);
	assert_int_equal(s->confirmed_flush, 0x14DD5A8);
	assert_int_equal(s->catalog_xmin, 738);
	assert_true(r->wait.holders_known);
	assert_int_equal(r->wait.n_holders, 1);
	assert_int_equal(r->wait.holders[0].pid, 1003);
	assert_int_equal(r->wait.holders[0].how, PGM_HOLDER_SLOT);
	pgm_report_destroy(r);
	/* a CV elsewhere: the name finds it; an unknown name is recorded, not guessed */
	r = pgm_report_create();
	assert_null(pgm_pg_read_slot_wait(&f->pg, 0x1234, "pgm_slot", r));
	assert_int_equal(r->wait.slot.slot.index, 1);
	pgm_report_destroy(r);
	r = pgm_report_create();
	assert_null(pgm_pg_read_slot_wait(&f->pg, 0x1234, "other", r));
	assert_false(r->wait.slot.slot.known);
	assert_int_equal(r->n_diagnosis, 1);
	assert_string_equal(r->diagnosis[0].code, "slot-unknown");
	pgm_report_destroy(r);
	fixture_destroy(f);
}

/* max_replication_slots beyond any possible value: refused with a diagnosis, nothing walked. */
static void huge_slot_count(struct fixture *f)
{
	put32(f->globals, G_MAXSLOTS, 1u << 30);
}

static void slot_array_is_bounded(void **state)
{
	struct fixture *f = fixture_create(true, 180006, huge_slot_count);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_slot_wait(&f->pg, 0x1234, "pgm_slot", r));
	assert_false(r->wait.slot.slot.known);
	assert_int_equal(r->n_diagnosis, 1);
	assert_non_null(strstr(r->diagnosis[0].message, "implausible max_replication_slots"));
	pgm_report_destroy(r);
	fixture_destroy(f);
}

static void walsender_positions(void **state)
{
	struct fixture *f = fixture_create(true, 180006, NULL);
	struct pgm_report *r = pgm_report_create();
	assert_null(pgm_pg_read_walsender(&f->pg, r));
	const struct pgm_my_walsender *ws = &r->walsender;
	assert_true(ws->known);
	assert_string_equal(ws->state, "stopping");
	assert_int_equal(ws->sent, 0x14DD830);
	assert_int_equal(ws->write, 0x14DD7C0);
	assert_int_equal(ws->flush, 0x14DD5A8);
	assert_int_equal(ws->apply, 0);
	assert_string_equal(ws->slot, "pgm_slot");
	assert_true(ws->got_stopping.known);
	assert_int_equal(ws->got_stopping.value, 1);
	char buf[PGM_LSN_LEN];
	assert_string_equal(pgm_lsn_format(ws->sent, buf), "0/14DD830");
	assert_string_equal(pgm_lsn_format(0x16B374D848ULL, buf), "16/B374D848");
	pgm_report_destroy(r);
	fixture_destroy(f);
}

/* An AIO handle: its owner, whether it was reused since, and the handle found from its CV. */
static void aio_handle_owner_and_recycling(void **state)
{
	struct fixture *f = fixture_create(true, 180006, NULL);
	struct pgm_aio_handle a = { 0 };
	assert_true(pgm_pg_has_aio(&f->pg));
	assert_null(pgm_pg_read_aio_handle(&f->pg, 2, 15, &a));
	assert_true(a.known && a.synchronous);
	assert_false(a.recycled);
	assert_string_equal(a.state, "PGAIO_HS_SUBMITTED");
	assert_string_equal(a.op, "PGAIO_OP_READV");
	assert_int_equal(a.owner_procno, 1);
	assert_int_equal(a.owner_pid, 1001);
	free(a.state);
	free(a.op);
	memset(&a, 0, sizeof(a));
	assert_null(pgm_pg_read_aio_handle(&f->pg, 2, 14, &a));
	assert_true(a.recycled);
	free(a.state);
	free(a.op);
	struct pgm_error *err = pgm_pg_read_aio_handle(&f->pg, N_AIO, UINT64_MAX, &a);
	assert_non_null(err);
	pgm_error_destroy(err);
	uint32_t index;
	assert_null(pgm_pg_aio_handle_of_cv(&f->pg, AIO_HANDLES + 2 * AIO_SIZE + 16, &index));
	assert_int_equal(index, 2);
	err = pgm_pg_aio_handle_of_cv(&f->pg, AIO_HANDLES + 2 * AIO_SIZE + 8, &index);
	assert_non_null(err);
	pgm_error_destroy(err);
	fixture_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffer_tag_either_layout),
		cmocka_unit_test(state_bits_only_for_known_versions),
		cmocka_unit_test(buffer_ids_are_bounded),
		cmocka_unit_test(pin_wait_and_private_pins),
		cmocka_unit_test(slot_from_its_condition_variable),
		cmocka_unit_test(slot_array_is_bounded),
		cmocka_unit_test(walsender_positions),
		cmocka_unit_test(aio_handle_owner_and_recycling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
