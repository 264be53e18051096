/*
 * Asynchronous I/O handles, PostgreSQL 18 (pg/storage.h).
 *
 * pgaio_ctl->io_handles is an array of io_handle_count PgAioHandles in the
 * main shared memory.  A buffer whose read or write runs asynchronously
 * names its handle in io_wref (index and the handle's generation, split in
 * two halves); the handle records its state, operation and owner (the
 * process that defined and submitted it).  A handle is reused for later
 * I/Os: a generation that moved on means the I/O waited for is over.  The
 * handle's data (handle_data[iovec_off ..]) holds the Buffers of a buffer
 * I/O.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "pg/storage.h"

#define MAX_AIO_HANDLES (1U << 24)

bool pgm_pg_has_aio(const struct pgm_pg *pg)
{
	return pgm_pg_has_global(pg, PGM_G_pgaio_ctl) && pgm_pg_has_member(pg, PGM_M_PgAioHandle_state);
}

static struct pgm_error *handle_addr(const struct pgm_pg *pg, uint32_t index, uint64_t *ret)
{
	uint64_t ctl = 0, count, handles, size;
	struct pgm_error *err;
	if (!pgm_pg_has_aio(pg))
		return pgm_error_create(PGM_ERR_LOOKUP, "this build has no asynchronous I/O (pgaio_ctl)");
	if ((err = pgm_pg_read_global(pg, PGM_G_pgaio_ctl, &ctl)))
		return err;
	if (ctl == 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "pgaio_ctl is NULL");
	if ((err = pgm_pg_read_member(pg, ctl, PGM_M_PgAioCtl_io_handle_count, &count)) ||
	    (err = pgm_pg_read_member(pg, ctl, PGM_M_PgAioCtl_io_handles, &handles)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_PgAioHandle, &size)))
		return err;
	if (count > MAX_AIO_HANDLES || index >= count)
		return pgm_error_create(PGM_ERR_FORMAT, "AIO handle %" PRIu32 " is not below io_handle_count %" PRIu64,
					index, count);
	*ret = handles + (uint64_t)index * size;
	return NULL;
}

/* "PGAIO_HS_SUBMITTED" for a value of enum `id`, "N" when unnamed. */
static struct pgm_error *enum_text(const struct pgm_pg *pg, enum pgm_pg_enum_id id, uint64_t v, char **ret)
{
	const char *name = pgm_pg_enum_name(pg->layout, id, (int64_t)v);
	if (name)
		return pgm_model_strdup(ret, name);
	return asprintf(ret, "%" PRIu64, v) < 0 ? (*ret = NULL, &pgm_enomem) : NULL;
}

static bool synchronous_flag(const struct pgm_pg *pg, uint64_t flags)
{
	int64_t bit;
	return pgm_pg_enum_value(pg->layout, PGM_E_PgAioHandleFlags, "PGAIO_HF_SYNCHRONOUS", &bit) &&
	       (flags & (uint64_t)bit);
}

struct pgm_error *pgm_pg_read_aio_handle(const struct pgm_pg *pg, uint32_t index, uint64_t generation,
					 struct pgm_aio_handle *a)
{
	uint64_t h, state, op, flags, gen;
	int64_t owner;
	struct pgm_error *err = handle_addr(pg, index, &h);
	a->index = index;
	a->owner_procno = -1;
	if (err)
		return err;
	a->address = h;
	if ((err = pgm_pg_read_member(pg, h, PGM_M_PgAioHandle_state, &state)) ||
	    (err = pgm_pg_read_member(pg, h, PGM_M_PgAioHandle_op, &op)) ||
	    (err = pgm_pg_read_member(pg, h, PGM_M_PgAioHandle_flags, &flags)) ||
	    (err = pgm_pg_read_member(pg, h, PGM_M_PgAioHandle_generation, &gen)) ||
	    (err = pgm_pg_read_member_signed(pg, h, PGM_M_PgAioHandle_owner_procno, &owner)))
		return err;
	a->known = true;
	a->recycled = generation != UINT64_MAX && gen != generation;
	a->synchronous = synchronous_flag(pg, flags);
	a->owner_procno = (int32_t)owner;
	a->owner_pid = owner >= 0 ? pgm_pg_procno_pid(pg, (int32_t)owner) : 0;
	if ((err = enum_text(pg, PGM_E_PgAioHandleState, state, &a->state)))
		return err;
	return enum_text(pg, PGM_E_PgAioOp, op, &a->op);
}

struct pgm_error *pgm_pg_aio_handle_of_cv(const struct pgm_pg *pg, uint64_t cv, uint32_t *index)
{
	uint64_t first, size, cv_off, count = 0, ctl = 0;
	struct pgm_error *err = handle_addr(pg, 0, &first);
	if (!err)
		err = pgm_pg_struct_size(pg, PGM_S_PgAioHandle, &size);
	if (!err)
		err = pgm_pg_member_offset(pg, PGM_M_PgAioHandle_cv, &cv_off);
	if (!err && !(err = pgm_pg_read_global(pg, PGM_G_pgaio_ctl, &ctl)))
		err = pgm_pg_read_member(pg, ctl, PGM_M_PgAioCtl_io_handle_count, &count);
	if (err)
		return err;
	uint64_t base = first + cv_off;
	if (size == 0 || cv < base || (cv - base) % size || (cv - base) / size >= count)
		return pgm_error_create(PGM_ERR_LOOKUP, "0x%" PRIx64 " is not an AIO handle's condition variable", cv);
	*index = (uint32_t)((cv - base) / size);
	return NULL;
}

struct pgm_error *pgm_pg_aio_first_buffer(const struct pgm_pg *pg, uint32_t index, int32_t *buffer)
{
	uint64_t h, ctl, data, off, len, v;
	*buffer = 0;
	struct pgm_error *err = handle_addr(pg, index, &h);
	if (!err && !(err = pgm_pg_read_global(pg, PGM_G_pgaio_ctl, &ctl)) &&
	    !(err = pgm_pg_read_member(pg, ctl, PGM_M_PgAioCtl_handle_data, &data)) &&
	    !(err = pgm_pg_read_member(pg, h, PGM_M_PgAioHandle_iovec_off, &off)))
		err = pgm_pg_read_member(pg, h, PGM_M_PgAioHandle_handle_data_len, &len);
	if (err || len == 0 || data == 0)
		return err;
	if ((err = pgm_target_read_u64(pg->target, data + off * 8, &v)))
		return err;
	if (v > 0 && v <= INT32_MAX)
		*buffer = (int32_t)v;
	return NULL;
}
