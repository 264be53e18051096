/*
 * Internals of the live-process backend, shared by its files:
 *   target_live.c  attach orchestration, reads (frozen copies, then the process), destroy
 *   live_proc.c    everything read from /proc/PID: maps, smaps, status, stat, auxv, …
 *   live_ptrace.c  the freeze: seize, interrupt, registers, copies, detach
 */
#ifndef PGMORTEM_TARGET_LIVE_INTERNAL_H
#define PGMORTEM_TARGET_LIVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/live.h"
#include "pgmortem/target.h"

/* Wait this long for a thread to reach its stop before giving up. */
#define LIVE_STOP_TIMEOUT_MS 1000
/* x86_64 red zone below the stack pointer, which leaf functions may use. */
#define LIVE_RED_ZONE 128
#define LIVE_FPREGS_SIZE 512
/*
 * A private mapping larger than this with less than 1/16 of it resident is
 * reserved address space (ASan's shadow, a JVM heap reserve): not copied.
 */
#define LIVE_SPARSE_LIMIT (1ull << 30)

/* Per mapping, parallel to base.mappings. */
struct live_map {
	char *path;              /* owned; base.mappings[i].path points here */
	bool shared;             /* 's' in the perms column */
	bool dump_whole;         /* anonymous, or file-backed with copy-on-write pages */
	uint64_t rss;            /* resident bytes (smaps Rss), if smaps was read */
	uint64_t frozen_start, frozen_end;   /* copied while stopped, empty if equal */
	uint8_t *frozen;         /* frozen_end - frozen_start bytes */
};

struct live_target {
	struct pgm_target base;
	struct pgm_live_facts facts;
	struct live_map *maps;
	uint8_t (*fpregs)[LIVE_FPREGS_SIZE];   /* per thread, NULL if none */
	int mem_fd;              /* /proc/PID/mem, -1 if not open */
	bool use_mem_fd;         /* process_vm_readv was refused: read the file */
	bool smaps_read;         /* dump_whole is known */
};

static inline struct live_target *to_live(struct pgm_target *t)
{
	return (struct live_target *)t;
}

/* live_proc.c */
/* Reads a whole /proc file (up to 16 MiB), NUL-terminated; *len excludes the NUL. */
struct pgm_error *live_read_file(const char *path, char **ret, size_t *len);
struct pgm_error *live_read_identity(struct live_target *lt);
struct pgm_error *live_read_maps(struct live_target *lt);
/* Marks mappings a kernel core dumps whole (Anonymous: > 0 in smaps). */
struct pgm_error *live_read_smaps(struct live_target *lt);
/* State, tracer, times, wchan, kernel stack: before the stop. */
struct pgm_error *live_read_facts(struct live_target *lt);
/* live_syscall.c: the system call it sleeps in and the file behind its fd (before the stop). */
void live_read_syscall(struct live_target *lt);
/* PGM_ERR_OS with errnum ESRCH: "no such process" (callers name the pid). */
struct pgm_error *live_no_such_process(void);
/* Why `pid` may not be traced or read: uid, yama, capabilities. */
struct pgm_error *live_permission_error(int32_t pid, uint32_t uid, const char *what, int errnum);

/* live_ptrace.c: stop, read registers and the frozen set, detach. */
struct pgm_error *live_freeze(struct live_target *lt, const struct pgm_live_options *opts);
/*
 * For a process someone else traces: copies what the freeze would (but the
 * stacks, without registers to find them) while it runs or its tracer holds it.
 */
struct pgm_error *live_copy_unstopped(struct live_target *lt, const struct pgm_live_options *opts);

/* target_live.c: read from the process itself, bypassing the copies. */
struct pgm_error *live_read_process(struct live_target *lt, uint64_t addr, void *buf, size_t len,
				    size_t *got);

#endif
