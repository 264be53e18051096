/*
 * The buffer I/O wait (pg/storage.h): a process that needs a buffer whose
 * read or write another process has started (BM_IO_IN_PROGRESS) sleeps on
 * the buffer's I/O condition variable (WaitIO) until it ends.  From 18 the
 * I/O may be asynchronous: the buffer's io_wref names the AIO handle, and
 * the waiter sleeps on the handle's own condition variable instead.
 *
 * Who does a synchronous I/O is private to that process (InProgressBuf up
 * to 15, a resource owner from 16): the instance names it.  The owner of an
 * asynchronous one is in the handle, in shared memory.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/model.h"
#include "pg/storage.h"

#define INVALID_AIO_INDEX UINT32_MAX

/* The buffer's io_wref, when this build has one and it names a handle. */
static struct pgm_error *read_wref(const struct pgm_pg *pg, uint64_t desc, uint32_t *index, uint64_t *generation)
{
	uint64_t i, hi, lo;
	*index = INVALID_AIO_INDEX;
	if (!pgm_pg_has_member(pg, PGM_M_BufferDesc_io_wref_aio_index))
		return NULL;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, desc, PGM_M_BufferDesc_io_wref_aio_index, &i)) ||
	    (err = pgm_pg_read_member(pg, desc, PGM_M_BufferDesc_io_wref_generation_upper, &hi)) ||
	    (err = pgm_pg_read_member(pg, desc, PGM_M_BufferDesc_io_wref_generation_lower, &lo)))
		return err;
	*index = (uint32_t)i;
	*generation = hi << 32 | (lo & 0xFFFFFFFFU);
	return NULL;
}

/* The condition variable it sleeps on: a buffer's (BufferIOCVArray) or an AIO handle's. */
static void place_cv(const struct pgm_pg *pg, uint64_t cv, uint64_t *desc, uint32_t *aio)
{
	struct pgm_error *err;
	if (!cv)
		return;
	if (!*desc && (err = pgm_pg_buffer_of_io_cv(pg, cv, desc)))
		pgm_error_destroy(err);   /* not a buffer's: perhaps a handle's */
	if (pgm_pg_has_aio(pg) && (err = pgm_pg_aio_handle_of_cv(pg, cv, aio))) {
		pgm_error_destroy(err);
		*aio = INVALID_AIO_INDEX;
	}
}

static struct pgm_error *read_handle(const struct pgm_pg *pg, uint32_t index, uint64_t generation,
				     struct pgm_report *r)
{
	struct pgm_aio_handle *a = &r->wait.bufio.aio;
	struct pgm_error *err = pgm_pg_read_aio_handle(pg, index, generation, a);
	if (err)
		return pgm_pg_note_failure(r, "aio-unknown", "the asynchronous I/O handle", a->address, err);
	if (a->recycled || a->owner_pid <= 0 || a->owner_pid == r->pid)
		return NULL;
	r->wait.holders_known = true;
	return pgm_wait_add_holder(&r->wait, a->owner_pid, a->owner_procno, PGM_HOLDER_IO, a->op, NULL);
}

struct pgm_error *pgm_pg_read_buffer_io_wait(const struct pgm_pg *pg, uint64_t desc, uint64_t cv,
					     struct pgm_report *r)
{
	struct pgm_buffer_io_wait *w = &r->wait.bufio;
	uint32_t aio = INVALID_AIO_INDEX, wref = INVALID_AIO_INDEX;
	uint64_t generation = UINT64_MAX;
	int32_t first = 0;
	struct pgm_error *err = NULL;
	place_cv(pg, cv, &desc, &aio);
	if (!desc && aio != INVALID_AIO_INDEX && (err = pgm_pg_aio_first_buffer(pg, aio, &first)) == NULL && first)
		err = pgm_pg_buffer_desc(pg, first - 1, &desc);
	if ((err = pgm_pg_note_failure(r, "buffer-io-unknown", "the buffer of the I/O", 0, err)))
		return err;
	r->wait.address = desc ? desc : cv;
	r->wait.has_address = r->wait.address != 0;
	if (desc) {
		struct pgm_pg_relmap map = { 0 };
		if ((err = pgm_pg_relmap_read(pg, r, &map)))
			return err;
		err = pgm_pg_read_buffer(pg, desc, &map, &w->buffer);
		if (!err)
			err = read_wref(pg, desc, &wref, &generation);
		pgm_pg_relmap_free(&map);
		if ((err = pgm_pg_note_failure(r, "buffer-io-unknown", "the buffer of the I/O", desc, err)))
			return err;
	}
	if (aio == INVALID_AIO_INDEX)
		aio = wref;
	else if (aio != wref)
		generation = UINT64_MAX;   /* the handle it sleeps on, not the buffer's: no generation to compare */
	return aio == INVALID_AIO_INDEX ? NULL : read_handle(pg, aio, generation, r);
}
