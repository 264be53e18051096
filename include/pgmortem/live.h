/*
 * pgmortem — a live process as a target, frozen for as short a time as possible.
 *
 *   struct pgm_target *t;
 *   err = pgm_target_live_attach(pid, &opts, &t);  // stopped and resumed inside
 *   const struct pgm_live_facts *f = pgm_target_live_facts(t);
 *   ... pgm_program_create(t, ...), pgm_analyze(), pgm_snapshot_write() ...
 *   pgm_target_destroy(t);
 *
 * pgm_target_live_attach() does the whole freeze itself: PTRACE_SEIZE every
 * thread (/proc/PID/task), PTRACE_INTERRUPT them, wait for each stop, read
 * the registers (PTRACE_GETREGS, PTRACE_GETFPREGS), copy the "frozen set" of
 * memory, and PTRACE_DETACH every thread — then returns.  The process is
 * never left stopped when it returns, on any path.  Nothing is ever written
 * to the process (no POKE*, no SETREGS).  facts.freeze_ms is the time from
 * the first PTRACE_INTERRUPT to the last PTRACE_DETACH (CLOCK_MONOTONIC).
 *
 * The frozen set is what must be consistent with the registers: each
 * thread's stack from its stack pointer (minus the red zone) to the end of
 * the stack's mapping, and the executable's writable data (.data, .bss,
 * the globals the analysis starts from).  With `freeze_private` (snapshots)
 * every private mapping a core would hold is copied too (heap, anonymous
 * memory, file mappings with copy-on-write pages; see facts.frozen_bytes).
 * Unwinding later runs over the frozen stack, so it is the stack of the
 * instant of the stop.  Every other read (the heap for live analysis,
 * shared memory always) goes to the running process afterwards, through
 * process_vm_readv (or /proc/PID/mem where that is refused): facts.after_resume
 * says which data that was.  A sleeping backend does not change it.
 *
 * While the threads are stopped, SIGINT, SIGTERM, SIGHUP, SIGQUIT and
 * SIGTSTP are blocked in the calling thread; one that arrives ends the copy
 * early (an error), and takes effect right after the detach.  SIGKILL cannot be blocked: when the tracer dies for any reason
 * the kernel detaches its tracees and wakes the stopped ones (exit_ptrace),
 * so the process runs on; tests/integration/live-safety checks this.  Like
 * gdb's or gcore's attach, the stop interrupts a blocking system call, which
 * the process sees as EINTR or a restart (PostgreSQL retries both).
 *
 * A process in uninterruptible sleep (state D: blocked in the kernel,
 * typically on I/O) is not stopped either: ptrace could stop it only when
 * the kernel lets it go, which may be never.  It is read like a traced one,
 * without registers; facts.syscall_* and the kernel stack say where it is.
 *
 * A process that already has a tracer (gdb) cannot be stopped by us: the
 * target then has no threads (no registers, no stack), every read goes to
 * the process directly, and facts.tracer_* name who holds it.  That is not
 * an error: the analysis of globals (wait event, CV, interrupts, group)
 * still works.  The tracer can hand in what it knows: with
 * options.given_regs (a gdb session passes the registers of its current
 * thread, see share/pgmortem.gdb) that thread is the target's one thread
 * and its stack unwinds, read from the process like everything else —
 * consistent because the tracer keeps the process stopped; a thread found
 * running gets a warning.  Permission problems are PGM_ERR_PERMISSION
 * naming the cause: another uid, kernel.yama.ptrace_scope, missing
 * CAP_SYS_PTRACE.
 */
#ifndef PGMORTEM_LIVE_H
#define PGMORTEM_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/target.h"

struct pgm_live_options {
	/* Copy all private memory while stopped (what a snapshot needs). */
	bool freeze_private;
	/* Tests only: sleep this long while the threads are stopped. */
	unsigned debug_pause_stopped_ms;
	/*
	 * Registers handed in from outside (by the tracer that holds the
	 * process, e.g. gdb's `info registers`), NULL if none.  Used only when
	 * another tracer prevents the freeze, as thread `given_tid`'s registers
	 * (0: the main thread, tid = pid); when pgmortem can stop the process
	 * itself they are ignored and its own are read.  Not kept: copied.
	 */
	const struct pgm_regs *given_regs;
	int32_t given_tid;
};

/* Facts about a live process that no core can hold. */
struct pgm_live_facts {
	char state;              /* /proc/PID/stat: R S D T t Z …, before the stop */
	char *state_name;        /* "S (sleeping)" from /proc/PID/status */
	char *wchan;             /* /proc/PID/wchan, NULL if unreadable or "0" */
	char *kernel_stack;      /* /proc/PID/stack (root only), NULL if unreadable */
	char *kernel_stack_why;  /* why kernel_stack is NULL */
	/*
	 * How long since the task last ran on a CPU, from /proc/PID/sched
	 * (se.exec_start against our own): for a sleeping task, the time in its
	 * current sleep.  Negative if /proc/PID/sched is not available.
	 */
	double off_cpu_s;
	double age_s;            /* since the process started (/proc/PID/stat starttime) */
	double cpu_s;            /* utime + stime */
	uint64_t voluntary_switches, involuntary_switches;
	int32_t ppid;
	uint32_t uid;

	/*
	 * The system call it is in, from /proc/PID/syscall before the stop
	 * (root, or the right to ptrace it): -1 when none (running, or not
	 * readable).  For calls on a file descriptor, the descriptor and what
	 * /proc/PID/fd/N links to.
	 */
	int64_t syscall_nr;
	const char *syscall_name;    /* "pwrite64"; static, NULL when not in the table */
	int32_t syscall_fd;          /* -1 when the call takes none */
	char *syscall_file;          /* "/data/pg_wal/000000010000000000000001" */

	int32_t tracer_pid;      /* another tracer (TracerPid), 0 if none */
	char *tracer_comm;       /* its /proc/N/comm, NULL if unknown */
	char *tracer_cmdline;    /* its command line, spaces for NULs, NULL if unknown */

	bool stopped;            /* we stopped it and read registers */
	double freeze_ms;        /* first PTRACE_INTERRUPT to last PTRACE_DETACH; 0 if not stopped */
	double stop_wait_ms;     /* of it: until every thread had reached its stop (scheduling) */
	double copy_ms;          /* of it: copying the frozen set */
	uint64_t frozen_bytes;   /* memory copied while stopped */
	size_t n_threads_stopped;
	char *frozen;            /* "registers, stacks (132 KiB), executable data (410 KiB)" */
	char *after_resume;      /* what reads after the resume cover, in words */
	char *not_stopped_why;   /* "traced by PID 123 (gdb)", "in uninterruptible sleep (D)", NULL if stopped */
	bool regs_given;         /* not stopped, but the tracer's registers were used (given_regs) */
};

/*
 * Attaches to `pid`, freezes it briefly as described above and returns a
 * target that reads the frozen set from its copies and everything else from
 * the running process.  `opts` may be NULL.  Errors: PGM_ERR_OS (ESRCH: no
 * such process), PGM_ERR_PERMISSION (message names the cause), out of
 * memory.  The caller frees the target with pgm_target_destroy().
 */
struct pgm_error *pgm_target_live_attach(int32_t pid, const struct pgm_live_options *opts,
					 struct pgm_target **ret);

/* The facts of a live target; NULL for other targets.  Owned by the target. */
const struct pgm_live_facts *pgm_target_live_facts(const struct pgm_target *t);

/*
 * The floating-point registers of thread `index` (struct
 * user_fpregs_struct, 512 bytes) as PTRACE_GETFPREGS gave them; NULL if not
 * read or not a live target.
 */
const void *pgm_target_live_fpregs(const struct pgm_target *t, size_t index);

/* How a mapping of a live target is backed, for the snapshot writer. */
enum pgm_live_backing {
	PGM_LIVE_NOT_READ,       /* nothing copied; reads go to the process (if readable) */
	PGM_LIVE_FROZEN,         /* the whole mapping was copied while stopped */
	PGM_LIVE_FROZEN_PART,    /* part of it (a stack from sp, an ELF header page) */
};

/*
 * What was copied of mapping `index` (of t->mappings) while stopped:
 * [*start, *end), empty if nothing; *shared tells whether the mapping is
 * MAP_SHARED ('s' in /proc/PID/maps).
 */
enum pgm_live_backing pgm_target_live_mapping(const struct pgm_target *t, size_t index,
					      uint64_t *start, uint64_t *end, bool *shared);

/* ---- one task, by pid: state, CPU, open files (for the IPC waits of pgmortem/report_waits.h) ---- */

/* A sample of /proc/PID: where the task is and how much it has run so far. */
struct pgm_live_sample {
	char state;              /* R S D T t … */
	char *state_name;        /* "S (sleeping)" */
	char *wchan;             /* NULL when none ("0") */
	double cpu_s;            /* on a CPU since it started (schedstat, else stat's ticks); -1 unknown */
	uint64_t switches;       /* voluntary + involuntary context switches so far */
	double at_s;             /* CLOCK_MONOTONIC when taken */
};

/* Samples process `pid` now.  Deinit with pgm_live_sample_deinit() (also after an error). */
struct pgm_error *pgm_live_sample(int32_t pid, struct pgm_live_sample *ret);
void pgm_live_sample_deinit(struct pgm_live_sample *s);
/* "T (stopped)": the State line of /proc/PID/status.  The caller frees *ret. */
struct pgm_error *pgm_live_task_state(int32_t pid, char **ret);
/* What /proc/PID/fd/FD links to ("socket:[81234]", "anon_inode:[eventpoll]").  The caller frees *ret. */
struct pgm_error *pgm_live_fd_target(int32_t pid, int32_t fd, char **ret);

#endif
