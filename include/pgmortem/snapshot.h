/*
 * pgmortem — snapshots: an ELF core of a live process that gdb, eu-stack and
 * pgmortem read, and that keeps what gcore drops.
 *
 *   struct pgm_live_options lo = { .freeze_private = true };
 *   err = pgm_target_live_attach(pid, &lo, &t);     // private memory copied while stopped
 *   err = pgm_snapshot_write(t, "core.123", &so, &stats);   // shared memory read now
 *
 * The core (ET_CORE, x86_64) has one PT_NOTE — per thread NT_PRSTATUS and
 * NT_FPREGSET, and NT_PRPSINFO, NT_SIGINFO (signo 0: taken on demand, as
 * gcore does), NT_AUXV, NT_FILE — and one PT_LOAD per mapping, in the order
 * the kernel writes them.  Contents:
 *   - private memory as a kernel core with coredump_filter 0x33 has it
 *     (anonymous memory, file mappings with copy-on-write pages, the ELF
 *     header page of each file), from the copies made while stopped;
 *   - shared memory — PostgreSQL's main segment ("/dev/zero (deleted)",
 *     SysV) and its DSM segments ("/dev/shm/PostgreSQL.*"), which gcore
 *     and default kernel cores leave out — read from the running process
 *     after the resume (a sleeping backend does not change it);
 *   - nothing for read-only file pages (text, rodata: readers take them
 *     from the files), unreadable mappings, device mappings and [vvar].
 * A range left out (`exclude_*`, e.g. shared buffers) is a PT_LOAD with
 * p_filesz 0: mapped, not captured.  A shared read that fails part way
 * (the process exited) shortens that segment's p_filesz.
 */
#ifndef PGMORTEM_SNAPSHOT_H
#define PGMORTEM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/program.h"
#include "pgmortem/target.h"

struct pgm_snapshot_options {
	/* A range of shared memory to leave out, [start, end); both 0 for none. */
	uint64_t exclude_start, exclude_end;
};

struct pgm_snapshot_stats {
	uint64_t file_size;        /* bytes of the core file (sparse where nothing is captured) */
	uint64_t private_bytes;    /* copied while the process was stopped */
	uint64_t shared_bytes;     /* read after the resume */
	uint64_t excluded_bytes;   /* left out by exclude_* */
	uint64_t dsm_bytes;        /* of shared_bytes: /dev/shm/PostgreSQL.* segments */
	size_t n_loads;            /* PT_LOAD segments */
	size_t n_threads;
	double write_ms;           /* writing the file, after the resume */
};

/*
 * Writes the core of live target `t` (from pgm_target_live_attach, ideally
 * with freeze_private) to `path`, created with mode 0600 or truncated.
 * `opts` may be NULL.  Errors: PGM_ERR_USAGE for a target that is not live,
 * PGM_ERR_UNSUPPORTED for one without registers (traced by another
 * process: see pgmortem/live.h), PGM_ERR_OS for the file; a partial core
 * is removed.
 */
struct pgm_error *pgm_snapshot_write(struct pgm_target *t, const char *path,
				     const struct pgm_snapshot_options *opts,
				     struct pgm_snapshot_stats *ret);

/*
 * The shared buffer pool of a PostgreSQL process: [BufferBlocks,
 * BufferBlocks + NBuffers * BLCKSZ), rounded inwards to whole pages.
 * BLCKSZ is the size of PGAlignedBlock from DWARF, else 8192 (and *how
 * says so).  *how (caller frees) explains where the numbers came from.
 * PGM_ERR_LOOKUP if the globals are missing (not postgres, or not a
 * backend that attached shared memory).
 */
struct pgm_error *pgm_snapshot_buffer_range(struct pgm_program *prog, uint64_t *start,
					    uint64_t *end, char **how);

#endif
