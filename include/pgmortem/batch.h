/*
 * pgmortem — batch analysis: many cores, each analyzed in its own child
 * process, results as JSON records grouped by signature.
 *
 *   collect   paths and directories -> the cores in them, recognised by content
 *   probe     raw ELF core, or zstd / lz4 / xz holding one (systemd-coredump)
 *   run       a pool of forked children with a time limit each; a crash, hang
 *             or abort while analyzing one core is that core's result
 *   analyze   in the child: open (decompressing into a memfd), analyze, and
 *             describe the result as one JSON record with a signature
 *   render    JSON Lines, a grouped summary (text or JSON), JUnit XML
 *
 * Cores are untrusted input: decompression is capped, outputs are bounded,
 * and nothing a child sends is used before it parses as a JSON object.
 */
#ifndef PGMORTEM_BATCH_H
#define PGMORTEM_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pgmortem/error.h"
#include "pgmortem/program.h"
#include "pgmortem/report.h"

struct json_object;

/* ---- recognising cores ---- */

enum pgm_compression {
	PGM_COMPRESSION_NONE,
	PGM_COMPRESSION_ZSTD,
	PGM_COMPRESSION_LZ4,
	PGM_COMPRESSION_XZ,
};

/* "none", "zstd", "lz4", "xz" */
const char *pgm_compression_name(enum pgm_compression c);

/*
 * Decides from the content of `fd` (read with pread, from offset 0) whether
 * it holds a core: an ELF header with e_type ET_CORE, raw or as the start of
 * a zstd, lz4 (frame format) or xz stream.  *ret says which.  Anything else
 * is PGM_ERR_FORMAT saying what the file is instead ("not a core file: ELF
 * executable", "not a core file: no ELF header"); a compression this build
 * cannot read is PGM_ERR_UNSUPPORTED.
 */
struct pgm_error *pgm_core_probe(int fd, enum pgm_compression *ret);

/*
 * Decompresses all of `fd` into a new anonymous memory file (memfd_create:
 * memory, never a file on disk), streaming, and returns its descriptor in
 * *ret (close-on-exec; the caller closes it).  All-zero pages are left as
 * holes.  More than `cap` bytes of output is PGM_ERR_LIMIT and nothing is
 * kept: a decompression bomb costs at most `cap` bytes of memory.
 */
struct pgm_error *pgm_core_decompress(int fd, enum pgm_compression c, uint64_t cap, int *ret);

/* The default cap: 64 GiB or the memory available now divided by `jobs`, the smaller. */
uint64_t pgm_core_default_cap(unsigned jobs);

/* ---- collecting inputs ---- */

struct pgm_batch_input {
	char *path;
	bool explicit_path;        /* named on the command line, not found in a walk */
	enum pgm_compression compression;
	struct pgm_error *error;   /* why it is not a core; NULL for a core */
	bool bundle;               /* a support bundle (pgmortem/bundle_file.h): one input per capture */
	size_t capture;            /* which capture of the bundle */
};

struct pgm_batch_inputs {
	struct pgm_batch_input *items;
	size_t n, cap;
};

/*
 * Expands `paths`: a file is taken as is; a directory is walked recursively
 * (entries in name order; symlinks followed, each directory entered once,
 * so symlink loops end).  Each file is probed: a file named explicitly is
 * always listed (with `error` set when it is not a core, so it is reported
 * as failed); one found in a walk is listed only if it is a core (a
 * compressed one included), once even if two walks reach it.  A path that
 * does not exist is listed with its error.  Only out of memory is an error.
 * pgm_batch_inputs_deinit() frees.
 */
struct pgm_error *pgm_batch_collect(const char *const *paths, size_t n_paths,
				    struct pgm_batch_inputs *ret);
void pgm_batch_inputs_deinit(struct pgm_batch_inputs *in);

/* ---- signatures ---- */

enum pgm_batch_problem {
	PGM_PROBLEM_NONE,
	PGM_PROBLEM_CRASH,     /* died of a signal while running (not in a recognised wait) */
	PGM_PROBLEM_STUCK,     /* waits on a condition variable, LWLock or heavyweight lock */
	PGM_PROBLEM_BLOCKER,   /* waits on nobody, and other processes of its instance wait on it
				  (a root of the wait-for graph); set by pgm_batch_analyze() */
};

/* "crash", "stuck", "blocker", NULL for none */
const char *pgm_batch_problem_name(enum pgm_batch_problem p);

/*
 * What groups identical problems: for a crash "crash:SIGSEGV:MemoryContextReset"
 * (the signal and the innermost PostgreSQL function, past abort() and error
 * reporting); for a wait "<wait kind>:<innermost PostgreSQL wait site>":
 * "condition_variable:_bt_parallel_seize", "heavyweight_lock:ProcSleep relation",
 * "lwlock:BufferContent", "socket:ClientRead", "none:XLogInsert".  The
 * caller frees *sig.
 */
struct pgm_error *pgm_batch_signature(const struct pgm_report *r, char **sig,
				      enum pgm_batch_problem *problem);

/* ---- analyzing one core (in a child) ---- */

struct pgm_batch_analyze_options {
	struct pgm_program_options program;
	uint64_t decompress_cap;     /* bytes; see pgm_core_decompress */
	const char *debuginfo_cache; /* see pgm_batch_cache_debuginfo; NULL for none */
	const char *layout_cache;    /* see pgm_program_set_layout_cache; NULL for none */
};

/*
 * Opens and analyzes one core and describes it as a record (the caller owns
 * it): {"status": "analyzed", "signature", "problem", "layout_cache",
 * "analysis": <the analyze JSON>} or {"status": "failed", "error"}.  The
 * record's "analysis.source.path" is input->path, also for a decompressed
 * core.  Only out of memory is an error.
 */
struct pgm_error *pgm_batch_analyze(const struct pgm_batch_input *input,
				    const struct pgm_batch_analyze_options *opts,
				    struct json_object **ret);

/*
 * Keeps uncompressed copies of the compressed separate debuginfo files prog
 * used (libc6-dbg's zlib-compressed DWARF is inflated whole by libdw in every
 * process that reads it) as <dir>/.build-id/xx/yyyy.debug, where programs
 * created with `dir` first among their debug_dirs find them.  Copies are
 * verified (build-id) and renamed into place; best effort.  Returns how
 * many were written.
 */
size_t pgm_batch_cache_debuginfo(struct pgm_program *prog, const char *dir);

/* ---- the process pool ---- */

enum pgm_batch_outcome {
	PGM_BATCH_EXITED,       /* the child exited; see exit_code and output */
	PGM_BATCH_TIMEOUT,      /* killed by the parent after the time limit */
	PGM_BATCH_KILLED,       /* died of a signal (crash, abort, OOM killer) */
};

struct pgm_batch_result {
	enum pgm_batch_outcome outcome;
	int exit_code;          /* EXITED */
	int signo;              /* KILLED: the signal */
	char *output;           /* what the child wrote to its result pipe, NUL-terminated */
	size_t output_len;
	bool output_truncated;  /* it wrote more than max_output */
	char *stderr_tail;      /* the end of the child's stderr, NUL-terminated, may be "" */
	double seconds;         /* wall time */
};

/*
 * Runs in the child for job `index`: writes its result to `out_fd` and
 * returns the child's exit code.  Anything it prints to stderr is kept
 * (the last few KiB) for the parent.
 */
typedef int pgm_batch_job_fn(void *arg, size_t index, int out_fd);
/* Called in the parent as job `index` ends; `r` and its strings are borrowed. */
typedef void pgm_batch_done_fn(void *arg, size_t index, const struct pgm_batch_result *r);

struct pgm_batch_pool_options {
	unsigned jobs;            /* children at once, >= 1 */
	double timeout;           /* seconds per job; <= 0 for none */
	size_t max_output;        /* bytes kept per job's result */
	pgm_batch_job_fn *job;
	pgm_batch_done_fn *done;
	void *arg;
};

/*
 * Runs jobs 0 .. n-1, each in a forked child (killed with SIGKILL when it
 * overruns `timeout`, or if the parent dies).  `done` is called once per
 * job, in completion order.  Errors: out of memory, or pipe/fork failing
 * (then the jobs not yet started are not run).
 */
struct pgm_error *pgm_batch_run(size_t n, const struct pgm_batch_pool_options *opts);

/* ---- rendering ---- */

/*
 * The records of a batch, in input order, for the summary and JUnit: each a
 * {"path", "status", "error", "signature", "problem", "seconds", "analysis"}
 * object, where only "analysis.verdict" is read.
 */
struct pgm_batch_records {
	struct json_object **items;
	size_t n;
};

/*
 * Cores grouped by signature, problems first, with counts and example paths.
 * JSON: {"cores", "analyzed", "failed", "timeout", "crashed", "crashes",
 * "stuck", "groups": [{"signature" (null for unanalyzed), "status", "class":
 * "crash"|"stuck"|"unanalyzed"|"none", "count", "examples": [path…]}]}.
 */
void pgm_batch_render_summary_text(FILE *out, const struct pgm_batch_records *recs, bool color);
bool pgm_batch_render_summary_json(FILE *out, const struct pgm_batch_records *recs);
/*
 * JUnit XML: one <testsuite name="pgmortem batch">, one <testcase> per core:
 * <failure> for a crash or a stuck wait, <error> for a core that could not
 * be analyzed (failed, timeout, crashed analysis), with the verdict lines or
 * the error as message.
 */
void pgm_batch_render_junit(FILE *out, const struct pgm_batch_records *recs, double seconds);

#endif
