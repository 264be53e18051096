/*
 * Shared buffers: their descriptors, the pins a process holds, and the
 * cleanup-lock wait (pg/storage.h).
 *
 * BufferDescriptors is an array of NBuffers descriptors padded to
 * BufferDescPadded; Buffer numbers are buf_id + 1.  The tag names a file:
 * up to 15 through a RelFileNode (tag.rnode), from 16 flat (tag.spcOid,
 * tag.dbOid, tag.relNumber); whichever members DWARF has decide.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "pg/storage.h"

/*
 * The state word's layout is made of macros (buf_internals.h), invisible to
 * DWARF: refcount in the low 18 bits, the usage count in the next 4, flags
 * above.  It is the same from 9.6 to 18; for other versions the flags stay
 * unknown rather than guessed.
 */
#define BUF_REFCOUNT_MASK ((1U << 18) - 1)
#define BUF_USAGECOUNT_SHIFT 18
#define BUF_USAGECOUNT_MASK 0xFU
#define BM_LOCKED (1U << 22)
#define BM_DIRTY (1U << 23)
#define BM_VALID (1U << 24)
#define BM_TAG_VALID (1U << 25)
#define BM_IO_IN_PROGRESS (1U << 26)
#define BM_IO_ERROR (1U << 27)
#define BM_PIN_COUNT_WAITER (1U << 29)
#define STATE_LAYOUT_FIRST 90600
#define STATE_LAYOUT_LAST 189999

#define INVALID_PROCNO_VALUE 0x7FFFFFFF   /* INVALID_PROC_NUMBER / INVALID_PGPROCNO (INT_MAX) */

/* A per-buffer shared array: its base (global g), element size (struct s), NBuffers. */
static struct pgm_error *buffer_array(const struct pgm_pg *pg, enum pgm_pg_global_id g, enum pgm_pg_struct_id s,
				      uint64_t *base, uint64_t *stride, int64_t *n)
{
	struct pgm_error *err;
	if ((err = pgm_pg_read_global_signed(pg, PGM_G_NBuffers, n)) || (err = pgm_pg_read_global(pg, g, base)) ||
	    (err = pgm_pg_struct_size(pg, s, stride)))
		return err;
	if (*n <= 0 || *n > (1LL << 30) || *stride == 0)
		return pgm_error_create(PGM_ERR_FORMAT, "implausible NBuffers %" PRId64, *n);
	return NULL;
}

struct pgm_error *pgm_pg_buffer_desc(const struct pgm_pg *pg, int64_t buf_id, uint64_t *ret)
{
	int64_t n;
	uint64_t base, stride;
	struct pgm_error *err = buffer_array(pg, PGM_G_BufferDescriptors, PGM_S_BufferDescPadded, &base, &stride, &n);
	if (err)
		return err;
	if (buf_id < 0 || buf_id >= n)
		return pgm_error_create(PGM_ERR_FORMAT, "buffer id %" PRId64 " is not below NBuffers %" PRId64,
					buf_id, n);
	*ret = base + (uint64_t)buf_id * stride;
	return NULL;
}

struct pgm_error *pgm_pg_buffer_of_io_cv(const struct pgm_pg *pg, uint64_t cv, uint64_t *desc)
{
	int64_t n;
	uint64_t base, stride;
	struct pgm_error *err = buffer_array(pg, PGM_G_BufferIOCVArray, PGM_S_ConditionVariableMinimallyPadded,
					     &base, &stride, &n);
	if (err)
		return err;
	if (cv < base || (cv - base) % stride || (cv - base) / stride >= (uint64_t)n)
		return pgm_error_create(PGM_ERR_LOOKUP, "0x%" PRIx64 " is not a buffer's I/O condition variable", cv);
	return pgm_pg_buffer_desc(pg, (int64_t)((cv - base) / stride), desc);
}

/* "main", "fsm", "vm", "init" from the process's forkNames[]. */
static struct pgm_error *fork_name(const struct pgm_pg *pg, uint64_t fork, char **ret)
{
	const struct pgm_pg_global *g = &pg->layout->globals[PGM_G_forkNames];
	if (g->found && fork < g->elements) {
		struct pgm_error *err = pgm_pg_read_name_array(pg, PGM_G_forkNames, fork, ret);
		if (!err || err == &pgm_enomem)
			return err;
		pgm_error_destroy(err);   /* unreadable table: the number still says which fork */
	}
	return asprintf(ret, "fork %" PRIu64, fork) < 0 ? (*ret = NULL, &pgm_enomem) : NULL;
}

static struct pgm_error *read_tag(const struct pgm_pg *pg, uint64_t desc, struct pgm_buffer *b)
{
	bool flat = pgm_pg_has_member(pg, PGM_M_BufferDesc_tag_relNumber);
	uint64_t spc, db, rel, fork, block;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, desc, flat ? PGM_M_BufferDesc_tag_spcOid : PGM_M_BufferDesc_tag_spcNode, &spc)) ||
	    (err = pgm_pg_read_member(pg, desc, flat ? PGM_M_BufferDesc_tag_dbOid : PGM_M_BufferDesc_tag_dbNode, &db)) ||
	    (err = pgm_pg_read_member(pg, desc, flat ? PGM_M_BufferDesc_tag_relNumber : PGM_M_BufferDesc_tag_relNode, &rel)) ||
	    (err = pgm_pg_read_member(pg, desc, PGM_M_BufferDesc_tag_forkNum, &fork)) ||
	    (err = pgm_pg_read_member(pg, desc, PGM_M_BufferDesc_tag_blockNum, &block)))
		return err;
	b->tablespace = (uint32_t)spc;
	b->database = (uint32_t)db;
	b->relfilenode = (uint32_t)rel;
	b->block = (uint32_t)block;
	b->tag_known = true;
	return fork_name(pg, fork, &b->fork);
}

static void decode_state(const struct pgm_pg *pg, uint32_t v, struct pgm_buffer *b)
{
	b->state = v;
	if (pg->version_num < STATE_LAYOUT_FIRST || pg->version_num > STATE_LAYOUT_LAST)
		return;
	b->state_known = true;
	b->refcount = v & BUF_REFCOUNT_MASK;
	b->usage_count = (v >> BUF_USAGECOUNT_SHIFT) & BUF_USAGECOUNT_MASK;
	b->locked = v & BM_LOCKED;
	b->dirty = v & BM_DIRTY;
	b->valid = v & BM_VALID;
	b->tag_valid = v & BM_TAG_VALID;
	b->io_in_progress = v & BM_IO_IN_PROGRESS;
	b->io_error = v & BM_IO_ERROR;
	b->pin_count_waiter = v & BM_PIN_COUNT_WAITER;
}

/* wait_backend_pgprocno from 14 (INT_MAX: none), wait_backend_pid before. */
static struct pgm_error *read_waiter(const struct pgm_pg *pg, uint64_t desc, struct pgm_buffer *b)
{
	int64_t v;
	b->waiter_procno = -1;
	if (!pgm_pg_has_member(pg, PGM_M_BufferDesc_wait_backend_pgprocno)) {
		struct pgm_error *err = pgm_pg_read_member_signed(pg, desc, PGM_M_BufferDesc_wait_backend_pid, &v);
		if (!err) {
			b->waiter_known = true;
			b->waiter_pid = (int32_t)v;
		}
		return err;
	}
	struct pgm_error *err = pgm_pg_read_member_signed(pg, desc, PGM_M_BufferDesc_wait_backend_pgprocno, &v);
	if (err)
		return err;
	b->waiter_known = true;
	if (v >= 0 && v != INVALID_PROCNO_VALUE) {
		b->waiter_procno = (int32_t)v;
		b->waiter_pid = pgm_pg_procno_pid(pg, (int32_t)v);
	}
	return NULL;
}

/* The relation of the tag, if the process has it open. */
static struct pgm_error *name_relation(const struct pgm_pg *pg, const struct pgm_pg_relmap *map, struct pgm_buffer *b)
{
	for (size_t i = 0; map && b->tag_known && i < map->n; i++) {
		const struct pgm_pg_relmap_entry *e = &map->entries[i];
		if (e->relfilenode != b->relfilenode || e->database != b->database)
			continue;
		struct pgm_error *err = pgm_pg_read_relation(pg, e->rel, &b->relation);
		if (err && err != &pgm_enomem) {
			/* a damaged name: the oid, if read, still identifies it */
			pgm_error_destroy(err);
			err = NULL;
		}
		return err;
	}
	return NULL;
}

struct pgm_error *pgm_pg_read_buffer(const struct pgm_pg *pg, uint64_t desc, const struct pgm_pg_relmap *map,
				     struct pgm_buffer *b)
{
	uint64_t id, state;
	b->address = desc;
	b->waiter_procno = -1;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, desc, PGM_M_BufferDesc_buf_id, &id)) ||
	    (err = pgm_pg_read_member(pg, desc, PGM_M_BufferDesc_state, &state)))
		return err;
	b->known = true;
	b->buffer = (int32_t)id + 1;
	decode_state(pg, (uint32_t)state, b);
	if ((err = read_tag(pg, desc, b)) || (err = read_waiter(pg, desc, b)))
		return err;
	return name_relation(pg, map, b);
}

/* ---- a process's pins: PrivateRefCountArray, then PrivateRefCountHash ---- */

struct pin_entry {
	int32_t buffer, refcount;
};

static struct pgm_error *read_entry(const struct pgm_pg *pg, uint64_t addr, struct pin_entry *e)
{
	int64_t buffer = 0, refcount = 0;   /* on a failed read: copied out, not used */
	struct pgm_error *err = pgm_pg_read_member_signed(pg, addr, PGM_M_PrivateRefCountEntry_buffer, &buffer);
	if (!err)
		err = pgm_pg_read_member_signed(pg, addr, PGM_M_PrivateRefCountEntry_refcount, &refcount);
	e->buffer = (int32_t)buffer;
	e->refcount = (int32_t)refcount;
	return err;
}

/* The overflow hash holds entries only while PrivateRefCountOverflowed > 0. */
static struct pgm_error *hash_entries(const struct pgm_pg *pg, struct pgm_report *r, uint64_t **ents, size_t *n)
{
	int64_t overflowed = 0;
	uint64_t htab = 0;
	*ents = NULL;
	*n = 0;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_PrivateRefCountOverflowed, &overflowed);
	if (!err && overflowed > 0)
		err = pgm_pg_read_global(pg, PGM_G_PrivateRefCountHash, &htab);
	if (err || overflowed <= 0 || htab == 0)
		return pgm_pg_note_failure(r, "pins-unknown", "the overflowed private refcounts", 0, err);
	return pgm_pg_private_hash(pg, htab, PGM_MAX_PINS + 1, r, "pins-unknown", ents, n);
}

/* Every pin with a positive refcount, the array's entries first; at most max. */
static struct pgm_error *private_pins(const struct pgm_pg *pg, struct pgm_report *r, struct pin_entry *pins,
				      size_t max, size_t *n, bool *truncated)
{
	const struct pgm_pg_global *arr = &pg->layout->globals[PGM_G_PrivateRefCountArray];
	uint64_t size, *ents = NULL;
	size_t n_ents = 0;
	*n = 0;
	*truncated = false;
	struct pgm_error *err = pgm_pg_struct_size(pg, PGM_S_PrivateRefCountEntry, &size);
	if (!err && (!arr->found || !arr->elements || arr->elements > 64))
		err = pgm_error_create(PGM_ERR_LOOKUP, "PrivateRefCountArray is not in this build's debuginfo");
	for (uint64_t i = 0; !err && i < arr->elements; i++) {
		struct pin_entry e;
		if (!(err = read_entry(pg, arr->address + i * size, &e)) && e.buffer > 0 && e.refcount > 0)
			pins[(*n)++] = e;
	}
	if (!err)
		err = hash_entries(pg, r, &ents, &n_ents);
	for (size_t i = 0; !err && i < n_ents; i++) {
		struct pin_entry e;
		if ((err = read_entry(pg, ents[i], &e)) || e.buffer <= 0 || e.refcount <= 0)
			continue;
		if (*n == max)
			*truncated = true;
		else
			pins[(*n)++] = e;
	}
	free(ents);
	return err;
}

static struct pgm_error *add_pins(const struct pgm_pg *pg, struct pgm_report *r, const struct pin_entry *pins,
				  size_t n)
{
	struct pgm_pg_relmap map = { 0 };
	struct pgm_error *err = n ? pgm_pg_relmap_read(pg, r, &map) : NULL;
	for (size_t i = 0; !err && i < n; i++) {
		struct pgm_buffer b = { 0 };
		uint64_t desc = 0;
		err = pgm_pg_buffer_desc(pg, pins[i].buffer - 1, &desc);
		if (!err)
			err = pgm_pg_read_buffer(pg, desc, &map, &b);
		if (err && err != &pgm_enomem)
			err = pgm_pg_note_failure(r, "pins-unknown", "a pinned buffer's descriptor", desc, err);
		if (!err)
			err = pgm_buffer_usage_add_pin(&r->buffers, pins[i].refcount, &b);
		pgm_buffer_deinit(&b);
	}
	pgm_pg_relmap_free(&map);
	return err;
}

/* Up to 15: the buffer whose I/O this process does (StartBufferIO sets it). */
static struct pgm_error *in_progress_io(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t buf = 0, input = 0;
	struct pgm_buffer_usage *u = &r->buffers;
	if (!pgm_pg_has_global(pg, PGM_G_InProgressBuf))
		return NULL;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_InProgressBuf, &buf);
	if (!err)
		err = pgm_pg_read_global(pg, PGM_G_IsForInput, &input);
	if (err)
		return pgm_pg_note_failure(r, "buffer-io-unknown", "InProgressBuf", 0, err);
	u->io_known = true;
	u->io_in_progress = buf != 0;
	u->io_for_input = input != 0;
	if (!buf)
		return NULL;
	struct pgm_pg_relmap map = { 0 };
	err = pgm_pg_relmap_read(pg, r, &map);
	if (!err)
		err = pgm_pg_note_failure(r, "buffer-io-unknown", "the buffer of the I/O in progress", buf,
					  pgm_pg_read_buffer(pg, buf, &map, &u->io_buffer));
	pgm_pg_relmap_free(&map);
	return err;
}

struct pgm_error *pgm_pg_read_buffer_usage(const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pin_entry *pins = calloc(PGM_MAX_PINS + 64, sizeof(*pins));
	size_t n = 0;
	bool truncated = false;
	if (!pins)
		return &pgm_enomem;
	struct pgm_error *err = private_pins(pg, r, pins, PGM_MAX_PINS + 64, &n, &truncated);
	if (!err) {
		r->buffers.pins_known = true;
		r->buffers.pins_truncated = truncated || n > PGM_MAX_PINS;
		err = add_pins(pg, r, pins, n > PGM_MAX_PINS ? PGM_MAX_PINS : n);
	} else {
		err = pgm_pg_note_failure(r, "pins-unknown", "the private buffer refcounts", 0, err);
	}
	free(pins);
	return err ? err : in_progress_io(pg, r);
}

/* ---- the cleanup-lock wait ---- */

static int32_t own_pins(const struct pgm_report *r, int32_t buffer)
{
	if (!r->buffers.pins_known)
		return -1;
	for (size_t i = 0; i < r->buffers.n_pins; i++)
		if (r->buffers.pins[i].buffer.buffer == buffer)
			return r->buffers.pins[i].refcount;
	return 0;
}

/* Who holds a lock on the relation (pg_locks): the processes that may pin its buffer. */
static struct pgm_error *candidates(const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pgm_buffer_pin_wait *p = &r->wait.pin;
	struct pgm_instance *scratch = pgm_instance_create();
	if (!scratch)
		return &pgm_enomem;
	struct pgm_error *err = pgm_pg_read_locks(pg, scratch);
	p->candidates_known = !err && scratch->locks_known;
	for (size_t i = 0; !err && p->candidates_known && i < scratch->n_locks; i++) {
		const struct pgm_lock_row *l = &scratch->locks[i];
		bool seen = false;
		/* a prepared transaction (pid 0) holds locks but no pins */
		if (!l->granted || !l->tag.has_relation || l->tag.relation != p->buffer.relation.oid ||
		    l->tag.database != p->buffer.database || l->pid == r->pid || l->pid == 0)
			continue;
		for (size_t k = 0; k < p->n_candidates; k++)
			seen |= p->candidates[k].pid == l->pid;
		if (!seen)
			err = pgm_pin_add_candidate(p, l->pid, l->mode);
	}
	pgm_instance_destroy(scratch);
	return err;
}

struct pgm_error *pgm_pg_read_pin_wait(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t buf = 0;
	struct pgm_buffer_pin_wait *p = &r->wait.pin;
	p->own_pins = -1;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_PinCountWaitBuf, &buf);
	if (!err && buf == 0)
		err = pgm_error_create(PGM_ERR_LOOKUP, "PinCountWaitBuf is NULL: the cleanup lock is not being waited for");
	if (err)
		return pgm_pg_note_failure(r, "buffer-pin-unknown", "the buffer waited for", 0, err);
	r->wait.address = buf;
	r->wait.has_address = true;
	struct pgm_pg_relmap map = { 0 };
	if ((err = pgm_pg_relmap_read(pg, r, &map)))
		return err;
	err = pgm_pg_note_failure(r, "buffer-pin-unknown", "the buffer waited for", buf,
				  pgm_pg_read_buffer(pg, buf, &map, &p->buffer));
	pgm_pg_relmap_free(&map);
	p->own_pins = own_pins(r, p->buffer.buffer);
	if (!err && p->buffer.relation.known)
		err = candidates(pg, r);
	return err;
}
