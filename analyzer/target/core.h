/*
 * Internals of the core-file backend, shared by its files:
 *   target_core.c  open, ELF header and program headers, read, destroy
 *   core_notes.c   the PT_NOTE walk and the notes pgmortem uses
 *   core_maps.c    PT_LOAD + NT_FILE -> sorted, uniformly captured mappings
 *   core_disk.c    serving uncaptured file-backed ranges from ELF files on disk
 *   core_guard.c   surviving a file truncated while mapped (SIGBUS)
 *
 * Everything here points into the core's mapping (`map`, `size` bytes) only
 * after the range was checked against `size`; no parser trusts a size it
 * read from the file.
 */
#ifndef PGMORTEM_TARGET_CORE_H
#define PGMORTEM_TARGET_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "pgmortem/target.h"

/* Upper bound on counts read from the file (segments, NT_FILE entries). */
#define CORE_MAX_COUNT (1u << 20)
#define CORE_NO_DISK UINT32_MAX

/* One PT_LOAD with p_memsz > 0. */
struct core_load {
	uint64_t vaddr, memsz;
	uint64_t offset;    /* p_offset */
	uint64_t filesz;    /* p_filesz */
	uint64_t present;   /* bytes of p_filesz that the file really holds */
	unsigned flags;     /* PGM_MAP_READ/WRITE/EXEC from p_flags */
};

/* One NT_FILE entry. */
struct core_file {
	uint64_t start, end;
	uint64_t offset;    /* in bytes (the note counts pages) */
	const char *name;   /* points into core_target.names */
	uint32_t disk;      /* index into core_target.disk */
};

/*
 * One mapped file under the SIGBUS guard (see core_guard.c for why and
 * how).  After core_guard_add() succeeds, an access past the end of the
 * file as it is now reads zeros instead of killing the process, and sets
 * `tripped`: from then on nothing read through the mapping may be used.
 */
struct core_guard {
	size_t slot;           /* index + 1 in the guard's table; 0: not registered (calloc) */
	atomic_bool tripped;
};

/* Registers [map, map + size); PGM_ERR_LIMIT if too many files are mapped. */
struct pgm_error *core_guard_add(struct core_guard *g, const void *map, size_t size);
/* Unregisters g (no-op if it never was); call before munmap(). */
void core_guard_remove(struct core_guard *g);
/* True once an access in g's mapping faulted. */
bool core_guard_tripped(struct core_guard *g);

enum core_disk_state { DISK_UNTRIED, DISK_USABLE, DISK_UNUSABLE };

/* A file named by NT_FILE, opened on the first read the core cannot serve. */
struct core_disk {
	const char *name;
	enum core_disk_state state;
	uint8_t *map;
	size_t size;
	/* The core's copy of the file's first bytes, to tell whether the file
	 * on disk is still the one the process mapped; NULL if not captured. */
	const uint8_t *head;
	size_t head_len;
	struct core_guard guard;
};

/* How the bytes of one mapping are found, parallel to base.mappings. */
struct core_backing {
	const uint8_t *data;   /* in the core, or NULL if not captured */
	uint32_t disk;         /* index into core_target.disk, or CORE_NO_DISK */
	/* Start of the process's mapping (NT_FILE entry, else PT_LOAD) this
	 * piece belongs to, which errors name rather than the piece's start. */
	uint64_t map_start;
};

struct core_target {
	struct pgm_target base;
	uint8_t *map;
	size_t size;
	struct core_guard guard;
	struct stat st;                /* at open: changes mean the file was rewritten */
	char *sysroot;

	struct core_load *loads;       /* sorted by vaddr, non-overlapping */
	size_t n_loads;
	struct core_file *files;       /* sorted by start, non-overlapping */
	size_t n_files;
	char *names;                   /* NT_FILE's string table, copied */
	struct core_disk *disk;        /* one per distinct NT_FILE name */
	size_t n_disk;
	struct core_backing *backing;
	size_t threads_capacity;

	/* The kernel fills NT_PRSTATUS's pr_info; gdb leaves it zero. */
	int prstatus_signo, prstatus_code, prstatus_errno;
	bool have_prpsinfo, have_siginfo_note, have_auxv, have_nt_file;
};

/* Walks one PT_NOTE's notes at [offset, offset + size) of the file. */
struct pgm_error *core_parse_notes(struct core_target *core, uint64_t offset, uint64_t size,
				   uint64_t align);
/* Checks what the notes gave once all are read, and fills derived fields. */
struct pgm_error *core_finish_notes(struct core_target *core);

/* Sorts loads and files, rejects overlaps, builds base.mappings + backing. */
struct pgm_error *core_build_mappings(struct core_target *core);

/* Groups NT_FILE entries by name into core->disk. */
struct pgm_error *core_index_disk_files(struct core_target *core);
/*
 * Copies up to `len` bytes at `offset` of disk file `index` into buf;
 * returns how many it could (0 if the file is not a usable ELF file).
 */
size_t core_disk_read(struct core_target *core, uint32_t index, uint64_t offset, uint8_t *buf,
		      size_t len);
void core_disk_close(struct core_target *core);

#endif
