/*
 * Live-process backend: attach (the freeze is in live_ptrace.c), reads from
 * the frozen copies first and from the running process otherwise, facts.
 *
 * Reads of the process use process_vm_readv; where that is refused (seccomp
 * in some containers) /proc/PID/mem, opened at attach.  A read that fails in
 * a mapping is PGM_ERR_NOT_CAPTURED naming it (for a live process: the
 * kernel would not give those bytes, e.g. a PROT_NONE guard page or a
 * device mapping), outside every mapping PGM_ERR_FAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target/live.h"
#include "target/target_internal.h"

static ssize_t read_mem_fd(struct live_target *lt, uint64_t addr, void *buf, size_t len)
{
	ssize_t r;
	do
		r = pread(lt->mem_fd, buf, len, (off_t)addr);
	while (r < 0 && errno == EINTR);
	return r;
}

struct pgm_error *live_read_process(struct live_target *lt, uint64_t addr, void *buf, size_t len,
				    size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t r;
		size_t want = len - *got;
		if (!lt->use_mem_fd) {
			struct iovec local = { (uint8_t *)buf + *got, want };
			struct iovec remote = { (void *)(uintptr_t)(addr + *got), want };
			r = process_vm_readv(lt->base.pid, &local, 1, &remote, 1, 0);
			if (r < 0 && (errno == ENOSYS || errno == EPERM) && lt->mem_fd >= 0) {
				lt->use_mem_fd = true;
				continue;
			}
		} else {
			r = read_mem_fd(lt, addr + *got, (uint8_t *)buf + *got, want);
		}
		if (r < 0 && errno == ESRCH)
			return live_no_such_process();
		if (r <= 0)
			return pgm_error_fault(addr + *got);
		*got += (size_t)r;
	}
	return NULL;
}

static struct pgm_error *read_live_piece(struct live_target *lt, size_t index, uint64_t addr,
					 uint8_t *buf, size_t len)
{
	const struct pgm_mapping *m = &lt->base.mappings[index];
	size_t got = 0;
	struct pgm_error *err = (m->flags & PGM_MAP_READ) ? live_read_process(lt, addr, buf, len, &got)
							  : pgm_error_fault(addr);
	if (!err)
		return NULL;
	struct pgm_error *nc = pgm_error_not_captured(addr + got, m->path, m->start);
	if (err->errnum == ESRCH)
		nc = pgm_error_wrap(nc, "process %d exited", (int)lt->base.pid);
	pgm_error_destroy(err);
	return nc;
}

static struct pgm_error *live_serve(struct pgm_target *t, size_t index, uint64_t addr, uint8_t *buf,
				    size_t len)
{
	struct live_target *lt = to_live(t);
	const struct live_map *lm = &lt->maps[index];
	while (len) {
		size_t n = len;
		struct pgm_error *err = NULL;
		if (lm->frozen && addr >= lm->frozen_start && addr < lm->frozen_end) {
			if (n > lm->frozen_end - addr)
				n = lm->frozen_end - addr;
			memcpy(buf, lm->frozen + (addr - lm->frozen_start), n);
		} else {
			if (lm->frozen && addr < lm->frozen_start && lm->frozen_start - addr < n)
				n = lm->frozen_start - addr;
			err = read_live_piece(lt, index, addr, buf, n);
		}
		if (err)
			return err;
		addr += n;
		buf += n;
		len -= n;
	}
	return NULL;
}

static struct pgm_error *live_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len)
{
	return pgm_target_read_split(t, addr, buf, len, live_serve);
}

static void free_facts(struct pgm_live_facts *f)
{
	free(f->state_name);
	free(f->wchan);
	free(f->kernel_stack);
	free(f->kernel_stack_why);
	free(f->tracer_comm);
	free(f->tracer_cmdline);
	free(f->frozen);
	free(f->after_resume);
	free(f->not_stopped_why);
	free(f->syscall_file);
}

static void live_destroy(struct pgm_target *t)
{
	struct live_target *lt = to_live(t);
	for (size_t i = 0; i < t->n_mappings; i++) {
		free(lt->maps[i].path);
		free(lt->maps[i].frozen);
	}
	free(lt->maps);
	free(lt->fpregs);
	if (lt->mem_fd >= 0)
		close(lt->mem_fd);
	free_facts(&lt->facts);
	pgm_target_free_fields(t);
	free(lt);
}

static const struct pgm_target_ops live_ops = {
	.read = live_read,
	.destroy = live_destroy,
};

/* ---- what the freeze covered, in words ---- */

static bool holds_a_stack(const struct pgm_target *t, const struct pgm_mapping *m)
{
	for (size_t i = 0; i < t->n_threads; i++)
		if (t->threads[i].regs.rsp >= m->start && t->threads[i].regs.rsp < m->end)
			return true;
	return false;
}

static char *describe_frozen(struct live_target *lt)
{
	const struct pgm_target *t = &lt->base;
	uint64_t stacks = 0, exe = 0, other = 0;
	for (size_t i = 0; i < t->n_mappings; i++) {
		const struct live_map *lm = &lt->maps[i];
		uint64_t n = lm->frozen ? lm->frozen_end - lm->frozen_start : 0;
		const struct pgm_mapping *m = &t->mappings[i];
		bool exe_data = t->exe_path && ((m->path && strcmp(m->path, t->exe_path) == 0) ||
			(!m->path && i && t->mappings[i - 1].end == m->start && t->mappings[i - 1].path &&
			 strcmp(t->mappings[i - 1].path, t->exe_path) == 0));
		if (holds_a_stack(t, m))
			stacks += n;
		else if (exe_data)
			exe += n;
		else
			other += n;
	}
	char *s = NULL;
	int r = asprintf(&s, "registers of %zu thread%s, stack%s (%" PRIu64 " KiB), executable data "
			 "(%" PRIu64 " KiB)%s", t->n_threads, t->n_threads == 1 ? "" : "s",
			 t->n_threads == 1 ? "" : "s", (stacks + 1023) / 1024, (exe + 1023) / 1024,
			 other ? ", other private memory" : "");
	if (r < 0)
		return NULL;
	if (other) {
		char *s2 = NULL;
		r = asprintf(&s2, "%s (%" PRIu64 " KiB)", s, (other + 1023) / 1024);
		free(s);
		s = r < 0 ? NULL : s2;
	}
	return s;
}

static struct pgm_error *describe(struct live_target *lt, const struct pgm_live_options *opts)
{
	struct pgm_live_facts *f = &lt->facts;
	const char *after = f->regs_given
		? "everything, the stack included, while the tracer holds the process"
		: !f->stopped && f->tracer_pid
		? "everything, without stopping the process (no registers, no stack); its tracer may "
		  "hold it stopped (state t)"
		: !f->stopped
		? "everything, without stopping the process (no registers, no stack)"
		: opts->freeze_private
		? "shared memory only (the main shared memory segment, DSM segments)"
		: "the heap and other private memory, shared memory (the main segment, DSM segments); "
		  "a sleeping backend does not change them";
	if (!(f->after_resume = strdup(after)))
		return &pgm_enomem;
	if (f->stopped && !(f->frozen = describe_frozen(lt)))
		return &pgm_enomem;
	return NULL;
}

static struct pgm_error *traced_by(struct live_target *lt, const struct pgm_live_options *opts)
{
	struct pgm_live_facts *f = &lt->facts;
	const char *cmd = f->tracer_cmdline ? f->tracer_cmdline : "";
	const char *what = opts->given_regs
		? "registers of the thread it holds handed in by the tracer; stack and memory read "
		  "from the process, which the tracer keeps stopped"
		: "registers and stack are not available; decoded from memory read through /proc "
		  "without stopping it";
	int r = asprintf(&f->not_stopped_why, "traced by PID %d (%s)%s%.60s%s: %s", (int)f->tracer_pid,
			 f->tracer_comm ? f->tracer_comm : "?", *cmd ? ": " : "", cmd,
			 strlen(cmd) > 60 ? "…" : "", what);
	if (r < 0)
		return &pgm_enomem;
	return opts->given_regs ? NULL : pgm_target_warn(&lt->base, "%s", f->not_stopped_why);
}

/* Blocked in the kernel: a stop would wait for the kernel to let it go, perhaps forever. */
static struct pgm_error *in_disk_sleep(struct live_target *lt)
{
	struct pgm_live_facts *f = &lt->facts;
	if (asprintf(&f->not_stopped_why, "in uninterruptible sleep (state D%s%s): not stopped, since ptrace "
		     "could stop it only when the kernel lets it go; registers and stack are not available, "
		     "memory is read without stopping it", f->wchan ? ", in " : "", f->wchan ? f->wchan : "") < 0)
		return f->not_stopped_why = NULL, &pgm_enomem;
	return pgm_target_warn(&lt->base, "%s", f->not_stopped_why);
}

/* The state letter of thread `tid` of the process (/proc/PID/task/TID/stat), 0 if unknown. */
static char thread_state(int32_t pid, int32_t tid)
{
	char path[64], *text = NULL;
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	struct pgm_error *err = live_read_file(path, &text, &len);
	if (err) {
		pgm_error_destroy(err);
		return 0;
	}
	const char *paren = strrchr(text, ')');
	char state = paren && paren[1] == ' ' ? paren[2] : 0;
	free(text);
	return state;
}

/* Registers from the tracer become the target's one thread (see given_regs). */
static struct pgm_error *add_given_thread(struct live_target *lt, const struct pgm_live_options *opts)
{
	struct pgm_target *t = &lt->base;
	int32_t tid = opts->given_tid ? opts->given_tid : t->pid;
	char state = thread_state(t->pid, tid);
	if (!state)
		return pgm_error_create(PGM_ERR_USAGE, "registers given for thread %d, which is not a "
					"thread of process %d", (int)tid, (int)t->pid);
	if (!(t->threads = calloc(1, sizeof(*t->threads))))
		return &pgm_enomem;
	t->threads[0].tid = tid;
	t->threads[0].regs = *opts->given_regs;
	t->n_threads = 1;
	lt->facts.regs_given = true;
	if (state == 't' || state == 'T')
		return NULL;
	return pgm_target_warn(t, "registers given for thread %d, but it is running (state %c), not "
			       "held by its tracer: the stack may not match them", (int)tid, state);
}

static struct pgm_error *open_mem(struct live_target *lt)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)lt->base.pid);
	lt->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (lt->mem_fd >= 0)
		return NULL;
	int errnum = errno;
	if (errnum == ENOENT || errnum == ESRCH)
		return live_no_such_process();
	char what[80];
	snprintf(what, sizeof(what), "opening %s", path);
	return live_permission_error(lt->base.pid, lt->facts.uid, what, errnum);
}

static struct pgm_error *live_attach(struct live_target *lt, const struct pgm_live_options *opts)
{
	struct pgm_error *err;
	if ((err = live_read_facts(lt)) || (err = live_read_identity(lt)) ||
	    (err = live_read_maps(lt)) || (err = open_mem(lt)))
		return err;
	if (opts->freeze_private && (err = live_read_smaps(lt)))
		return err;
	if (lt->facts.tracer_pid && !(err = traced_by(lt, opts)))
		err = live_copy_unstopped(lt, opts);
	else if (!lt->facts.tracer_pid && lt->facts.state == 'D' && !(err = in_disk_sleep(lt)))
		err = live_copy_unstopped(lt, opts);
	else if (!lt->facts.tracer_pid && lt->facts.state != 'D')
		err = live_freeze(lt, opts);
	if (!err && lt->facts.tracer_pid && opts->given_regs)
		err = add_given_thread(lt, opts);
	return err ? err : describe(lt, opts);
}

struct pgm_error *pgm_target_live_attach(int32_t pid, const struct pgm_live_options *opts,
					 struct pgm_target **ret)
{
	static const struct pgm_live_options defaults;
	if (pid <= 0)
		return pgm_error_create(PGM_ERR_USAGE, "bad process id %d", (int)pid);
	struct live_target *lt = calloc(1, sizeof(*lt));
	if (!lt)
		return &pgm_enomem;
	lt->base.ops = &live_ops;
	lt->base.kind = PGM_TARGET_LIVE;
	lt->base.pid = pid;
	lt->base.fd = -1;
	lt->mem_fd = -1;
	lt->facts.off_cpu_s = -1;
	lt->facts.syscall_nr = -1;
	lt->facts.syscall_fd = -1;
	struct pgm_error *err = asprintf(&lt->base.path, "/proc/%d", (int)pid) < 0 ? &pgm_enomem : NULL;
	if (!err)
		err = live_attach(lt, opts ? opts : &defaults);
	if (err) {
		live_destroy(&lt->base);
		return err;
	}
	*ret = &lt->base;
	return NULL;
}

const struct pgm_live_facts *pgm_target_live_facts(const struct pgm_target *t)
{
	return t && t->kind == PGM_TARGET_LIVE ? &((const struct live_target *)t)->facts : NULL;
}

const void *pgm_target_live_fpregs(const struct pgm_target *t, size_t index)
{
	if (!t || t->kind != PGM_TARGET_LIVE || index >= t->n_threads)
		return NULL;
	const struct live_target *lt = (const struct live_target *)t;
	return lt->fpregs ? lt->fpregs[index] : NULL;
}

enum pgm_live_backing pgm_target_live_mapping(const struct pgm_target *t, size_t index,
					      uint64_t *start, uint64_t *end, bool *shared)
{
	*start = *end = 0;
	*shared = false;
	if (!t || t->kind != PGM_TARGET_LIVE || index >= t->n_mappings)
		return PGM_LIVE_NOT_READ;
	const struct live_map *lm = &((const struct live_target *)t)->maps[index];
	const struct pgm_mapping *m = &t->mappings[index];
	*shared = lm->shared;
	if (!lm->frozen || lm->frozen_end == lm->frozen_start)
		return PGM_LIVE_NOT_READ;
	*start = lm->frozen_start;
	*end = lm->frozen_end;
	return *start == m->start && *end == m->end ? PGM_LIVE_FROZEN : PGM_LIVE_FROZEN_PART;
}
