/*
 * Where PostgreSQL's shared buffer pool lies, so a snapshot can leave it
 * out: BufferBlocks (bufmgr's base pointer, set in every backend) and
 * NBuffers pages of BLCKSZ bytes.  BLCKSZ is a compile-time constant with
 * no symbol; PGAlignedBlock (a union with `char data[BLCKSZ]`) has exactly
 * its size in DWARF.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pgmortem/dwarf.h"
#include "snapshot/snapshot_internal.h"

#define DEFAULT_BLCKSZ 8192
#define PAGE 4096u

static struct pgm_error *read_global(struct pgm_program *prog, const char *name, void *buf,
				     size_t len, uint64_t *addr)
{
	struct pgm_symbol sym;
	struct pgm_error *err = pgm_program_find_symbol(prog, name, &sym);
	if (err)
		return err;
	*addr = sym.address;
	return pgm_target_read(pgm_program_target(prog), sym.address, buf, len);
}

/* BLCKSZ from DWARF; false (and 8192) without it. */
static bool block_size(struct pgm_program *prog, uint64_t *ret)
{
	struct pgm_dwarf *dw = NULL;
	struct pgm_type type;
	uint64_t size = 0;
	struct pgm_error *err = pgm_dwarf_create(prog, &dw);
	if (!err)
		err = pgm_type_find(dw, "PGAlignedBlock", NULL, &type);
	if (!err)
		err = pgm_type_size(dw, &type, &size);
	pgm_error_destroy(err);
	pgm_dwarf_destroy(dw);
	bool ok = !err && size >= 1024 && (size & (size - 1)) == 0;
	*ret = ok ? size : DEFAULT_BLCKSZ;
	return ok;
}

struct pgm_error *pgm_snapshot_buffer_range(struct pgm_program *prog, uint64_t *start,
					    uint64_t *end, char **how)
{
	uint64_t blocks = 0, at_blocks, at_n;
	int32_t nbuffers = 0;
	struct pgm_error *err = read_global(prog, "BufferBlocks", &blocks, sizeof(blocks), &at_blocks);
	if (!err)
		err = read_global(prog, "NBuffers", &nbuffers, sizeof(nbuffers), &at_n);
	if (err)
		return pgm_error_wrap(err, "finding shared buffers");
	if (!blocks || nbuffers <= 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "finding shared buffers: BufferBlocks is 0x%" PRIx64
					", NBuffers %d (shared memory not attached?)", blocks, (int)nbuffers);
	uint64_t blcksz;
	bool from_dwarf = block_size(prog, &blcksz);
	uint64_t raw_end = blocks + (uint64_t)nbuffers * blcksz;
	*start = (blocks + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	*end = raw_end & ~(uint64_t)(PAGE - 1);
	if (asprintf(how, "BufferBlocks 0x%" PRIx64 " + NBuffers %d x BLCKSZ %" PRIu64 " (%s)",
		     blocks, (int)nbuffers, blcksz,
		     from_dwarf ? "the size of PGAlignedBlock in DWARF"
				: "assumed: PGAlignedBlock not found in DWARF") < 0)
		return &pgm_enomem;
	return NULL;
}
