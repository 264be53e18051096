/*
 * pg: buffers, storage and replication.  Decoders of the waits that involve
 * a shared buffer (a cleanup lock waiting for pins, a buffer's I/O), a file
 * system call, or a replication slot, and of what a process holds of them
 * (its pins, the I/O it does, a walsender's positions).  Same contract as
 * pg/pg.h: facts into the model, failures recorded in the report, only out
 * of memory returned.
 *
 * Who pins a buffer, or does its I/O up to 15, is private to that process
 * (PrivateRefCountArray and its overflow hash, InProgressBuf): each
 * report records its own (pgm_report.buffers) and the instance joins them
 * (analysis/).  A replication slot's user and an asynchronous I/O's owner
 * (18) are in shared memory: one capture names them.
 */
#ifndef PGMORTEM_PG_STORAGE_H
#define PGMORTEM_PG_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg/pg.h"
#include "pgmortem/error.h"
#include "pgmortem/program.h"
#include "pgmortem/report.h"

/* ---- the relcache: relation oids and names by file number (pg/relmap.c) ---- */

struct pgm_pg_relmap_entry {
	uint32_t database;       /* 0 for shared catalogs */
	uint32_t relfilenode;
	uint64_t rel;            /* the RelationData */
};

/* The relations a process has open (RelationIdCache), read once per decoder. */
struct pgm_pg_relmap {
	struct pgm_pg_relmap_entry *entries;
	size_t n;
};

/*
 * Walks the process's RelationIdCache (bounded; a damaged chain is noted in
 * r->diagnosis under "relcache-unreadable" and the rest still read).  A map
 * that could not be read is empty: buffers then keep unnamed relations.
 */
struct pgm_error *pgm_pg_relmap_read(const struct pgm_pg *pg, struct pgm_report *r, struct pgm_pg_relmap *map);
void pgm_pg_relmap_free(struct pgm_pg_relmap *map);

/*
 * The entries of a process-local dynahash table (pgm_pg_hash_entries), a
 * damaged chain or header noted in r->diagnosis under `code`.  *ret is the
 * caller's to free(); empty when the table could not be read.
 */
struct pgm_error *pgm_pg_private_hash(const struct pgm_pg *pg, uint64_t htab, size_t max, struct pgm_report *r,
				      const char *code, uint64_t **ret, size_t *n);

/* ---- shared buffers (pg/buffer.c) ---- */

/* Address of the BufferDesc of buf_id (0-based), checked against NBuffers. */
struct pgm_error *pgm_pg_buffer_desc(const struct pgm_pg *pg, int64_t buf_id, uint64_t *ret);
/*
 * The BufferDesc at `desc` into *b (deinit with the model's
 * pgm_buffer_deinit): tag, state word, pin-count waiter, and the relation
 * through `map` (NULL: unnamed).  Returns the first read failure; what was
 * read before it stays in *b.
 */
struct pgm_error *pgm_pg_read_buffer(const struct pgm_pg *pg, uint64_t desc, const struct pgm_pg_relmap *map,
				     struct pgm_buffer *b);
/* The BufferDesc whose I/O condition variable (BufferIOCVArray) is `cv`; PGM_ERR_LOOKUP if none. */
struct pgm_error *pgm_pg_buffer_of_io_cv(const struct pgm_pg *pg, uint64_t cv, uint64_t *desc);

/*
 * The buffers the process pins (PrivateRefCountArray, then the overflow
 * hash) and, up to 15, the buffer whose I/O it does (InProgressBuf), into
 * r->buffers.
 */
struct pgm_error *pgm_pg_read_buffer_usage(const struct pgm_pg *pg, struct pgm_report *r);

/*
 * A cleanup-lock wait (LockBufferForCleanup): PinCountWaitBuf into
 * r->wait.pin, this process's own pins on it, and the processes holding a
 * lock on its relation (pg_locks) as candidates for the other pins.
 */
struct pgm_error *pgm_pg_read_pin_wait(const struct pgm_pg *pg, struct pgm_report *r);

/*
 * A buffer I/O wait: the buffer at `desc` (WaitIO's argument; 0: found from
 * the condition variable `cv` it sleeps on) into r->wait.bufio, and the I/O
 * it waits for (the buffer's io_wref, or the AIO handle whose CV is `cv`).
 * The owner of an asynchronous I/O becomes the holder.
 */
struct pgm_error *pgm_pg_read_buffer_io_wait(const struct pgm_pg *pg, uint64_t desc, uint64_t cv,
					     struct pgm_report *r);

/* ---- asynchronous I/O, 18 (pg/aio.c) ---- */

/* Reports whether this build has asynchronous I/O (pgaio_ctl). */
bool pgm_pg_has_aio(const struct pgm_pg *pg);
/*
 * The handle io_handles[index] into *a; `generation` is the one the waiter
 * referred to (UINT64_MAX: any), to tell whether the handle was recycled.
 */
struct pgm_error *pgm_pg_read_aio_handle(const struct pgm_pg *pg, uint32_t index, uint64_t generation,
					 struct pgm_aio_handle *a);
/* The index of the handle whose condition variable is `cv`; PGM_ERR_LOOKUP if none. */
struct pgm_error *pgm_pg_aio_handle_of_cv(const struct pgm_pg *pg, uint64_t cv, uint32_t *index);
/* The first buffer (1-based Buffer) of a handle's I/O, from its handle data; 0 if none. */
struct pgm_error *pgm_pg_aio_first_buffer(const struct pgm_pg *pg, uint32_t index, int32_t *buffer);

/* ---- file system calls (pg/io.c) ---- */

/*
 * An IO wait: the descriptor and the file, from the frames DWARF describes
 * (a `file` of fd.c's File* functions, an `fd` parameter, XLogWrite's
 * openLogFile) or, without a stack, from the wait event (the open WAL
 * segment for WAL events), into r->wait.io.
 */
struct pgm_error *pgm_pg_read_io_wait(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r);

/* ---- replication slots and walsenders (pg/slot.c) ---- */

/* The ReplicationSlot at `slot` into *s (deinit with pgm_replication_slot_deinit). */
struct pgm_error *pgm_pg_read_slot(const struct pgm_pg *pg, uint64_t slot, struct pgm_replication_slot *s);
/*
 * A slot wait (ReplicationSlotAcquire): the slot whose active_cv is `cv`
 * (else the one named `name`, ReplicationSlotAcquire's argument; NULL if
 * unknown) into r->wait.slot, its active_pid as the holder.
 */
struct pgm_error *pgm_pg_read_slot_wait(const struct pgm_pg *pg, uint64_t cv, const char *name,
					struct pgm_report *r);

/*
 * A walsender's own entry: MyWalSnd's state and positions, its slot and
 * got_STOPPING, into r->walsender.  Nothing for other processes.
 *
 * pgm_pg_read_walsnd decodes one WalSnd (state, sent/write/flush/apply) at
 * `walsnd`, wherever it is: MyWalSnd here, or an entry of the
 * WalSndCtl->walsnds array that the sync-rep reader walks (pg/walsender.c),
 * so that both describe a walsender the same way.
 */
struct pgm_error *pgm_pg_read_walsender(const struct pgm_pg *pg, struct pgm_report *r);
struct pgm_error *pgm_pg_read_walsnd(const struct pgm_pg *pg, uint64_t walsnd, struct pgm_my_walsender *ws);

#endif
