/*
 * pgmortem — the target: the memory, threads and notes of one process.
 *
 * One interface, several backends: a core file (target_core.c), a live
 * process (target_live.c), and an in-memory target for unit tests
 * (target_memory.c).  Everything above this layer (debuginfo, the pg model,
 * analysis) sees only struct pgm_target.
 *
 * A target owns everything it points to; pgm_target_destroy() frees it.
 * Fields are filled by the backend's constructor and read-only afterwards.
 * Only x86_64 is supported for now; `regs` uses the kernel's
 * struct user_regs_struct order, which NT_PRSTATUS and PTRACE_GETREGS share.
 */
#ifndef PGMORTEM_TARGET_H
#define PGMORTEM_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"

struct pgm_target;
struct pgm_read_log;
struct pgm_bundle_origin;

enum pgm_target_kind {
	PGM_TARGET_CORE,
	PGM_TARGET_LIVE,
	PGM_TARGET_MEMORY,
	PGM_TARGET_BUNDLE,    /* one capture of a support bundle (pgmortem/bundle_file.h) */
};

/* x86_64 general registers, in struct user_regs_struct order. */
struct pgm_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

struct pgm_thread {
	int32_t tid;
	int cursig;           /* pr_cursig from NT_PRSTATUS, 0 if none */
	struct pgm_regs regs;
};

/* PGM_MAP_* flags of a mapping */
enum {
	PGM_MAP_READ = 1,
	PGM_MAP_WRITE = 2,
	PGM_MAP_EXEC = 4,
	PGM_MAP_CAPTURED = 8,         /* contents fully present in the capture */
	PGM_MAP_PARTIAL = 16,         /* some of the range is present */
};

/*
 * One address range of the process.  For a core: the union of PT_LOAD
 * segments and NT_FILE entries, split so that each range is one or the other
 * kind; `path` is the NT_FILE name (e.g. "/dev/shm/PostgreSQL.4952892",
 * "/dev/zero (deleted)") or NULL for anonymous memory.
 */
struct pgm_mapping {
	uint64_t start, end;   /* [start, end) */
	uint64_t file_offset;  /* offset into `path`, from NT_FILE */
	const char *path;      /* owned by the target; NULL if anonymous */
	unsigned flags;        /* PGM_MAP_* */
};

struct pgm_siginfo {
	int signo, code, errnum;
	uint64_t addr;          /* fault address for SIGSEGV/SIGBUS/SIGILL/SIGFPE */
	int32_t sender_pid;     /* for kill()-sent signals (si_code <= 0) */
	int32_t sender_uid;
};

struct pgm_target_ops {
	/*
	 * Read exactly `len` bytes at `addr` into `buf`.  On failure returns
	 * PGM_ERR_NOT_CAPTURED or PGM_ERR_FAULT naming the first address that
	 * could not be read; `buf` contents are then unspecified.
	 */
	struct pgm_error *(*read)(struct pgm_target *t, uint64_t addr, void *buf, size_t len);
	void (*destroy)(struct pgm_target *t);
	/* See pgm_target_check(); NULL if the capture cannot change. */
	struct pgm_error *(*check)(struct pgm_target *t);
};

struct pgm_target {
	const struct pgm_target_ops *ops;
	enum pgm_target_kind kind;
	char *path;              /* the core's path, "/proc/PID", or a label */
	int32_t pid;             /* process id, 0 if unknown */
	char *cmdline;           /* "postgres: parallel worker for PID 14495", may be NULL */
	char *fname;             /* pr_fname / comm, may be NULL */
	char *exe_path;          /* executable as the process knew it, may be NULL */

	struct pgm_thread *threads;
	size_t n_threads;

	struct pgm_mapping *mappings;  /* sorted by start, non-overlapping */
	size_t n_mappings;

	uint8_t *auxv;           /* raw NT_AUXV / /proc/PID/auxv, may be NULL */
	size_t auxv_len;

	/*
	 * A signal killed the process and the capture records it (a kernel
	 * core).  False for captures taken on demand (gcore, a live process):
	 * gdb writes an NT_SIGINFO for those too, but it is the SIGSTOP of its
	 * own attach or whatever stopped the thread under the debugger.
	 */
	bool has_siginfo;
	struct pgm_siginfo siginfo;

	void *elf;               /* core: the core's Elf * (for libdwfl); else NULL */
	int fd;                  /* core: the core's fd, else -1 */

	/*
	 * Problems that leave the target usable but incomplete, in the order
	 * found, e.g. "core file truncated: ...".  Empty for a clean capture;
	 * a CLI that shows any of them should exit "partial".
	 */
	char **warnings;
	size_t n_warnings;

	/* What reads return, while recording (pgm_target_record_start); else NULL. */
	struct pgm_read_log *read_log;
	/* A bundle's capture: where it came from (pgmortem/bundle_file.h); else NULL. */
	const struct pgm_bundle_origin *origin;
};

/* Reads `len` bytes at `addr`; see pgm_target_ops.read. */
struct pgm_error *pgm_target_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len);
struct pgm_error *pgm_target_read_u64(struct pgm_target *t, uint64_t addr, uint64_t *ret);
struct pgm_error *pgm_target_read_u32(struct pgm_target *t, uint64_t addr, uint32_t *ret);
/*
 * Reads a NUL-terminated string of at most `max` bytes (terminator excluded)
 * at `addr`.  The caller owns *ret and frees it with free().  A string that
 * does not end within `max` bytes is returned truncated, with *truncated set.
 */
struct pgm_error *pgm_target_read_string(struct pgm_target *t, uint64_t addr, size_t max,
					 char **ret, bool *truncated);
/*
 * The same string as text any output can carry (valid UTF-8, control
 * characters escaped as "\xNN"; the rule is pgm_text_from_bytes' in
 * util/text.h).  For names and query texts meant for people.
 */
struct pgm_error *pgm_target_read_text(struct pgm_target *t, uint64_t addr, size_t max, char **ret);

/*
 * The same, for texts that identify people or data (query texts,
 * application names, client addresses, user and database names): while
 * recording, the bytes read are marked private in the read log, so that a
 * redacted bundle leaves them out.
 */
struct pgm_error *pgm_target_read_private_text(struct pgm_target *t, uint64_t addr, size_t max,
					       char **ret);

/*
 * ---- The read log ----
 *
 * pgm_target_read() is the single entry of every read of a target's
 * memory.  While recording, it copies what each read returned into the
 * target's read log (the first value read of a byte wins, for live
 * processes whose memory changes), and remembers the error of each read
 * that failed at the address it failed at, so that a replay of the same
 * reads gets the same bytes and the same errors.  A bundle is written
 * from the log: the memory the analysis read, and nothing else.
 *
 * The log is bounded (PGM_READ_LOG_MAX_* distinct bytes, failures and
 * private texts); past a bound it stops growing and says so
 * (pgm_read_log_overflow).
 */
#define PGM_READ_LOG_MAX_BYTES (256u << 20)
#define PGM_READ_LOG_MAX_FAILURES 4096u
#define PGM_READ_LOG_MAX_PRIVATE (1u << 20)

/* One range of bytes read; `data` holds end - start bytes. */
struct pgm_read_range {
	uint64_t start, end;
	uint8_t *data;
};

/* A read that failed: the first address it could not read, and why. */
struct pgm_read_failure {
	uint64_t address;
	struct pgm_error *err;
};

/* Starts recording reads of t (PGM_ERR_USAGE if it already is). */
struct pgm_error *pgm_target_record_start(struct pgm_target *t);
/*
 * Stops recording and hands over the log (the caller frees it with
 * pgm_read_log_destroy); NULL if t was not recording.
 */
struct pgm_read_log *pgm_target_record_stop(struct pgm_target *t);
void pgm_read_log_destroy(struct pgm_read_log *log);
/*
 * The bytes read, as ranges sorted by start, neither overlapping nor
 * adjacent; owned by the log.  NULL with *n = 0 when empty; &pgm_enomem
 * through *err if merging ran out of memory.
 */
const struct pgm_read_range *pgm_read_log_ranges(struct pgm_read_log *log, size_t *n,
						 struct pgm_error **err);
/*
 * The ranges marked private (pgm_target_read_private_text), without data,
 * sorted by start; they may overlap (each text keeps its own start).
 */
const struct pgm_read_range *pgm_read_log_private(struct pgm_read_log *log, size_t *n);
/* The failed reads, in the order they happened; owned by the log. */
const struct pgm_read_failure *pgm_read_log_failures(const struct pgm_read_log *log, size_t *n);
/* NULL, or the error saying which bound the log reached (PGM_ERR_LIMIT). */
const struct pgm_error *pgm_read_log_overflow(const struct pgm_read_log *log);

/*
 * Whether everything read so far can be trusted: an error if the capture
 * changed under the reader (a core truncated or rewritten by another
 * process while open; reads fail from then on), NULL otherwise.  Cheap (one
 * fstat): call it once the results are computed and before showing them.
 */
struct pgm_error *pgm_target_check(struct pgm_target *t);

/* The mapping containing addr, or NULL. */
const struct pgm_mapping *pgm_target_find_mapping(const struct pgm_target *t, uint64_t addr);

/* Value of auxv entry `type` (AT_*), false if absent. */
bool pgm_target_auxv(const struct pgm_target *t, uint64_t type, uint64_t *ret);

/* Frees the target and everything it owns.  NULL is allowed. */
void pgm_target_destroy(struct pgm_target *t);

/*
 * Whether the first `len` bytes of a file (all of it if shorter than an ELF
 * header) can start a core: NULL, or the PGM_ERR_FORMAT error saying what
 * the file is instead ("empty file, not a core", "not an ELF file (no ELF
 * magic)", "not a core file (ELF type ET_DYN, a shared object or PIE)").
 * pgm_target_core_open() refuses with the same words.
 */
struct pgm_error *pgm_core_check_header(const void *buf, size_t len);

/*
 * Core-file backend: mmaps the core and parses program headers and notes
 * (NT_PRSTATUS per thread, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE).
 * A malformed file is one PGM_ERR_FORMAT error naming the problem.
 * Reads inside an NT_FILE mapping of an ELF file that the core did not
 * capture (read-only text and rodata) are served from that file on disk,
 * looked up under `sysroot` if non-NULL; anything else is NOT_CAPTURED.
 */
struct pgm_error *pgm_target_core_open(const char *path, const char *sysroot,
				       struct pgm_target **ret);

/*
 * Live-process backend: pgm_target_live_attach() in pgmortem/live.h (it
 * stops the process for milliseconds and returns it running).
 */

/*
 * In-memory backend for tests: starts empty; add regions and threads.
 * Regions are copied.  A region added with data == NULL is mapped but not
 * captured (reads there give PGM_ERR_NOT_CAPTURED with `path`).
 */
struct pgm_error *pgm_target_memory_create(int32_t pid, struct pgm_target **ret);
struct pgm_error *pgm_target_memory_add(struct pgm_target *t, uint64_t start, const void *data,
					size_t len, const char *path);
struct pgm_error *pgm_target_memory_add_thread(struct pgm_target *t, const struct pgm_thread *th);
/* Replaces the target's auxv with a copy of `len` bytes (AT_* pairs of u64). */
struct pgm_error *pgm_target_memory_set_auxv(struct pgm_target *t, const void *auxv, size_t len);

#endif
