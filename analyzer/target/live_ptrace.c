/*
 * The freeze: every thread seized, interrupted, its registers read, the
 * frozen set copied, every thread detached — in one function, so that no
 * path leaves the process stopped (see include/pgmortem/live.h).
 *
 * Only PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_GETREGS, PTRACE_GETFPREGS and
 * PTRACE_DETACH are used: nothing is written to the process.  SEIZE (not
 * ATTACH) sends no SIGSTOP, so nothing is left pending when we go, and a
 * process stopped by a signal before (state T) stays stopped after.
 *
 * Stops are awaited with SIGCHLD blocked and sigtimedwait(), bounded by
 * LIVE_STOP_TIMEOUT_MS: a thread in uninterruptible sleep (D) reaches its
 * stop only when the kernel lets it go.  Such a thread cannot be detached
 * until it stops; it stays seized until pgmortem exits, when the kernel
 * detaches it, so the caller should exit promptly on that error.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

#include "target/live.h"
#include "target/target_internal.h"

_Static_assert(sizeof(struct user_regs_struct) == sizeof(struct pgm_regs),
	       "struct pgm_regs must match struct user_regs_struct");
_Static_assert(sizeof(struct user_fpregs_struct) == LIVE_FPREGS_SIZE,
	       "user_fpregs_struct is 512 bytes");

struct freeze_thread {
	pid_t tid;
	bool seized, stopped, gone;
	int inject;              /* signal to hand back on detach (signal-delivery-stop) */
};

struct freeze {
	struct live_target *lt;
	const struct pgm_live_options *opts;
	struct freeze_thread *th;
	size_t n, cap;
	struct timespec t0, t1;
	struct timespec t_stopped, t_copy0, t_copy1;   /* phases, for the facts */
	sigset_t old_mask;
	bool masked;
	int caught;              /* stop signal taken by the debug pause, raised after detach */
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static bool known_tid(const struct freeze *fz, pid_t tid)
{
	for (size_t i = 0; i < fz->n; i++)
		if (fz->th[i].tid == tid)
			return true;
	return false;
}

/* Seizes threads of /proc/PID/task not seized yet; *added counts them. */
static struct pgm_error *seize_new_threads(struct freeze *fz, size_t *added)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)fz->lt->base.pid);
	DIR *dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? live_no_such_process() : pgm_error_errno(errno, "open %s", path);
	struct pgm_error *err = NULL;
	struct dirent *de;
	*added = 0;
	while (!err && (de = readdir(dir))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || known_tid(fz, tid))
			continue;
		if (fz->n == fz->cap) {
			size_t cap = fz->cap ? 2 * fz->cap : 8;
			struct freeze_thread *grown = realloc(fz->th, cap * sizeof(*grown));
			if (!grown) {
				err = &pgm_enomem;
				break;
			}
			fz->th = grown;
			fz->cap = cap;
		}
		struct freeze_thread *t = &fz->th[fz->n];
		*t = (struct freeze_thread){ .tid = tid };
		if (ptrace(PTRACE_SEIZE, tid, 0, 0) == 0) {
			t->seized = true;
			fz->n++;
			(*added)++;
		} else if (errno != ESRCH) {   /* ESRCH: the thread just exited */
			err = live_permission_error(fz->lt->base.pid, fz->lt->facts.uid, "PTRACE_SEIZE", errno);
		}
	}
	closedir(dir);
	return err;
}

/* Signals that end or suspend pgmortem: held back while the target is stopped. */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };

static void stop_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(set, stop_signals[i]);
}

/* A stop signal that arrived while blocked, or 0. */
static int pending_stop_signal(void)
{
	sigset_t pending;
	if (sigpending(&pending) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (sigismember(&pending, stop_signals[i]))
			return stop_signals[i];
	return 0;
}

static void block_signals(struct freeze *fz)
{
	sigset_t set;
	stop_signal_set(&set);
	sigaddset(&set, SIGCHLD);
	fz->masked = sigprocmask(SIG_BLOCK, &set, &fz->old_mask) == 0;
}

static void restore_signals(struct freeze *fz)
{
	if (!fz->masked)
		return;
	/* The SIGCHLDs of the stops are ours: drop them before unblocking. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&chld, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &fz->old_mask, NULL);
	fz->masked = false;
	/* A signal the pause consumed is delivered now, after the detach. */
	if (fz->caught)
		raise(fz->caught);
}

/* Collects the stop of thread t if it happened; true once it is settled. */
static bool reap(struct freeze_thread *t)
{
	int status;
	pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);
	if (r == 0)
		return false;
	if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
		t->gone = true;
		return true;
	}
	if (WIFSTOPPED(status)) {
		t->stopped = true;
		/* event 0: a signal-delivery-stop; that signal must go on. */
		if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP)
			t->inject = WSTOPSIG(status);
		return true;
	}
	return false;
}

static struct pgm_error *wait_for_stops(struct freeze *fz)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		size_t pending = 0;
		pid_t late = 0;
		for (size_t i = 0; i < fz->n; i++)
			if (fz->th[i].seized && !fz->th[i].stopped && !fz->th[i].gone && !reap(&fz->th[i])) {
				pending++;
				late = fz->th[i].tid;
			}
		if (!pending)
			return NULL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double left = LIVE_STOP_TIMEOUT_MS - ms_between(&start, &now);
		if (left <= 0) {
			char path[64], *wchan = NULL;
			snprintf(path, sizeof(path), "/proc/%d/wchan", (int)late);
			struct pgm_error *e = live_read_file(path, &wchan, NULL);
			pgm_error_destroy(e);
			struct pgm_error *err = pgm_error_create(PGM_ERR_OS,
				"thread %d did not stop within %d ms (uninterruptible sleep in %s?); the "
				"kernel releases it when pgmortem exits", (int)late, LIVE_STOP_TIMEOUT_MS,
				wchan && *wchan ? wchan : "the kernel");
			free(wchan);
			return err;
		}
		struct timespec ts = { 0, (long)(left * 1e6) };
		if (left >= 1000) {
			ts.tv_sec = (time_t)(left / 1000);
			ts.tv_nsec = (long)((left - ts.tv_sec * 1000.0) * 1e6);
		}
		sigtimedwait(&chld, NULL, &ts);
	}
}

static struct pgm_error *read_registers(struct freeze *fz)
{
	struct pgm_target *t = &fz->lt->base;
	size_t n = 0;
	for (size_t i = 0; i < fz->n; i++)
		n += fz->th[i].stopped;
	if (!n)   /* every thread exited while we stopped them */
		return live_no_such_process();
	t->threads = calloc(n, sizeof(*t->threads));
	fz->lt->fpregs = calloc(n, sizeof(*fz->lt->fpregs));
	if (!t->threads || !fz->lt->fpregs)
		return &pgm_enomem;
	/* The thread-group leader first, as cores list it. */
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < fz->n; i++) {
			struct freeze_thread *ft = &fz->th[i];
			if (!ft->stopped || (pass == 0) != (ft->tid == t->pid))
				continue;
			struct user_regs_struct regs;
			if (ptrace(PTRACE_GETREGS, ft->tid, 0, &regs) != 0)
				return pgm_error_errno(errno, "PTRACE_GETREGS of thread %d", (int)ft->tid);
			struct pgm_thread *th = &t->threads[t->n_threads];
			th->tid = ft->tid;
			memcpy(&th->regs, &regs, sizeof(regs));
			if (ptrace(PTRACE_GETFPREGS, ft->tid, 0, fz->lt->fpregs[t->n_threads]) != 0)
				memset(fz->lt->fpregs[t->n_threads], 0, LIVE_FPREGS_SIZE);
			t->n_threads++;
		}
	return NULL;
}

/* ---- the frozen set ---- */

static void want_range(struct live_map *lm, uint64_t start, uint64_t end)
{
	if (lm->frozen_start == lm->frozen_end) {
		lm->frozen_start = start;
		lm->frozen_end = end;
		return;
	}
	if (start < lm->frozen_start)
		lm->frozen_start = start;
	if (end > lm->frozen_end)
		lm->frozen_end = end;
}

static void want_stacks(struct live_target *lt)
{
	struct pgm_target *t = &lt->base;
	for (size_t i = 0; i < t->n_threads; i++) {
		uint64_t sp = t->threads[i].regs.rsp;
		const struct pgm_mapping *m = pgm_target_find_mapping(t, sp);
		if (!m || !(m->flags & PGM_MAP_READ))
			continue;
		uint64_t from = sp - LIVE_RED_ZONE > m->start && sp > LIVE_RED_ZONE ? sp - LIVE_RED_ZONE : m->start;
		want_range(&lt->maps[m - t->mappings], from & ~(uint64_t)15, m->end);
	}
}

/* .data and .bss of the executable: its writable mappings and the anonymous one after. */
static void want_exe_data(struct live_target *lt)
{
	struct pgm_target *t = &lt->base;
	if (!t->exe_path)
		return;
	for (size_t i = 0; i < t->n_mappings; i++) {
		const struct pgm_mapping *m = &t->mappings[i];
		if (!m->path || strcmp(m->path, t->exe_path) != 0 || !(m->flags & PGM_MAP_WRITE) ||
		    lt->maps[i].shared)
			continue;
		want_range(&lt->maps[i], m->start, m->end);
		const struct pgm_mapping *next = i + 1 < t->n_mappings ? &t->mappings[i + 1] : NULL;
		if (next && !next->path && next->start == m->end && (next->flags & PGM_MAP_WRITE) &&
		    !lt->maps[i + 1].shared)
			want_range(&lt->maps[i + 1], next->start, next->end);
	}
}

static bool is_special(const char *path)
{
	return path && (strcmp(path, "[vvar]") == 0 || strcmp(path, "[vvar_vclock]") == 0 ||
			strcmp(path, "[vsyscall]") == 0);
}

static bool is_sparse(const struct live_target *lt, const struct pgm_mapping *m, const struct live_map *lm)
{
	uint64_t size = m->end - m->start;
	return lt->smaps_read && size > LIVE_SPARSE_LIMIT && lm->rss < size / 16;
}

/* What a kernel core holds of private memory (coredump_filter 0x33). */
static struct pgm_error *want_private(struct live_target *lt)
{
	struct pgm_target *t = &lt->base;
	for (size_t i = 0; i < t->n_mappings; i++) {
		const struct pgm_mapping *m = &t->mappings[i];
		struct live_map *lm = &lt->maps[i];
		if (lm->shared || !(m->flags & PGM_MAP_READ) || is_special(m->path))
			continue;
		if (is_sparse(lt, m, lm)) {
			struct pgm_error *err = pgm_target_warn(t, "%" PRIu64 " MiB of reserved address space "
				"at 0x%" PRIx64 " (%" PRIu64 " MiB resident) not copied", (m->end - m->start) >> 20,
				m->start, lm->rss >> 20);
			if (err)
				return err;
			continue;
		}
		if (lm->dump_whole || (!lt->smaps_read && (!m->path || (m->flags & PGM_MAP_WRITE))))
			want_range(lm, m->start, m->end);
		else if (m->file_offset == 0)
			want_range(lm, m->start, m->start + 4096 < m->end ? m->start + 4096 : m->end);
	}
	return NULL;
}

static struct pgm_error *interrupted(int sig)
{
	return pgm_error_create(PGM_ERR_OS, "interrupted by %s while the process was stopped; it was "
				"detached and runs on", sigabbrev_np(sig) ? sigabbrev_np(sig) : "a signal");
}

/* A stop signal ends the copy early (it is delivered after the detach). */
static struct pgm_error *copy_frozen(struct live_target *lt)
{
	struct pgm_target *t = &lt->base;
	for (size_t i = 0; i < t->n_mappings; i++) {
		struct live_map *lm = &lt->maps[i];
		size_t len = lm->frozen_end - lm->frozen_start;
		if (!len)
			continue;
		int sig = pending_stop_signal();
		if (sig)
			return interrupted(sig);
		if (!(lm->frozen = malloc(len))) {
			const struct pgm_mapping *m = &t->mappings[i];
			lm->frozen_end = lm->frozen_start;
			struct pgm_error *err = pgm_target_warn(t, "%zu MiB at 0x%" PRIx64 " (%s) not copied "
				"while stopped: out of memory", len >> 20, m->start, m->path ? m->path : "anonymous");
			if (err)
				return err;
			continue;
		}
		size_t got = 0;
		struct pgm_error *err = live_read_process(lt, lm->frozen_start, lm->frozen, len, &got);
		pgm_error_destroy(err);
		lm->frozen_end = lm->frozen_start + got;
		lt->facts.frozen_bytes += got;
	}
	return NULL;
}

/* An ELF header page is only worth keeping if it is one (as the kernel does). */
static void drop_non_elf_pages(struct live_target *lt)
{
	for (size_t i = 0; i < lt->base.n_mappings; i++) {
		struct live_map *lm = &lt->maps[i];
		const struct pgm_mapping *m = &lt->base.mappings[i];
		if (!lm->frozen || lm->dump_whole || !m->path || lm->frozen_end - lm->frozen_start != 4096 ||
		    m->end - m->start == 4096)
			continue;
		if (memcmp(lm->frozen, ELFMAG, SELFMAG) != 0) {
			lt->facts.frozen_bytes -= 4096;
			free(lm->frozen);
			lm->frozen = NULL;
			lm->frozen_end = lm->frozen_start;
		}
	}
}

/* Sleeps while stopped (tests); a stop signal ends it at once. */
static struct pgm_error *pause_ms(struct freeze *fz, unsigned ms)
{
	sigset_t set;
	stop_signal_set(&set);
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	int sig;
	while ((sig = sigtimedwait(&set, NULL, &ts)) < 0 && errno == EINTR)
		;
	if (sig <= 0)
		return NULL;
	fz->caught = sig;
	return interrupted(sig);
}

static void detach_all(struct freeze *fz)
{
	for (size_t i = 0; i < fz->n; i++) {
		struct freeze_thread *t = &fz->th[i];
		if (t->stopped && ptrace(PTRACE_DETACH, t->tid, 0, (void *)(intptr_t)t->inject) == 0)
			t->seized = t->stopped = false;
	}
	clock_gettime(CLOCK_MONOTONIC, &fz->t1);
}

static void interrupt_from(struct freeze *fz, size_t first)
{
	for (size_t i = first; i < fz->n; i++)
		if (ptrace(PTRACE_INTERRUPT, fz->th[i].tid, 0, 0) != 0)
			fz->th[i].gone = true;
}

/* Threads started while we were stopping the others: stop them too. */
static struct pgm_error *stop_latecomers(struct freeze *fz)
{
	for (int round = 0; round < 16; round++) {
		size_t before = fz->n, added = 0;
		struct pgm_error *err = seize_new_threads(fz, &added);
		interrupt_from(fz, before);
		struct pgm_error *werr = wait_for_stops(fz);
		if (err || werr) {
			pgm_error_destroy(err ? werr : NULL);
			return err ? err : werr;
		}
		if (!added)
			return NULL;
	}
	return pgm_error_create(PGM_ERR_LIMIT, "process %d keeps starting threads", (int)fz->lt->base.pid);
}

/* After every thread is stopped, up to the detach. */
static struct pgm_error *while_stopped(struct freeze *fz)
{
	struct live_target *lt = fz->lt;
	struct pgm_error *err = stop_latecomers(fz);
	clock_gettime(CLOCK_MONOTONIC, &fz->t_stopped);
	if (!err)
		err = read_registers(fz);
	if (err)
		return err;
	want_stacks(lt);
	want_exe_data(lt);
	if (fz->opts->freeze_private && (err = want_private(lt)))
		return err;
	clock_gettime(CLOCK_MONOTONIC, &fz->t_copy0);
	err = copy_frozen(lt);
	clock_gettime(CLOCK_MONOTONIC, &fz->t_copy1);
	if (err)
		return err;
	if (fz->opts->debug_pause_stopped_ms)
		return pause_ms(fz, fz->opts->debug_pause_stopped_ms);
	return NULL;
}

struct pgm_error *live_freeze(struct live_target *lt, const struct pgm_live_options *opts)
{
	struct freeze fz = { .lt = lt, .opts = opts };
	size_t added = 0;
	block_signals(&fz);
	struct pgm_error *err = seize_new_threads(&fz, &added);
	clock_gettime(CLOCK_MONOTONIC, &fz.t0);
	interrupt_from(&fz, 0);
	/* Always collect the stops: a thread can only be detached once stopped. */
	struct pgm_error *werr = wait_for_stops(&fz);
	if (err)
		pgm_error_destroy(werr);
	else
		err = werr;
	if (!err && fz.n == 0)
		err = live_no_such_process();
	if (!err)
		err = while_stopped(&fz);
	detach_all(&fz);
	restore_signals(&fz);
	lt->facts.freeze_ms = fz.n ? ms_between(&fz.t0, &fz.t1) : 0;
	if (!err) {
		lt->facts.stop_wait_ms = ms_between(&fz.t0, &fz.t_stopped);
		lt->facts.copy_ms = ms_between(&fz.t_copy0, &fz.t_copy1);
	}
	lt->facts.n_threads_stopped = lt->base.n_threads;
	lt->facts.stopped = !err;
	free(fz.th);
	if (!err)
		drop_non_elf_pages(lt);
	return err;
}

struct pgm_error *live_copy_unstopped(struct live_target *lt, const struct pgm_live_options *opts)
{
	want_exe_data(lt);
	struct pgm_error *err = opts->freeze_private ? want_private(lt) : NULL;
	if (!err)
		err = copy_frozen(lt);
	if (!err)
		drop_non_elf_pages(lt);
	return err;
}
