/*
 * pgm_analyze: the wait analysis of one process.  The stack and the wait
 * event say which primitive it sleeps in (analysis); pg/ then decodes that
 * primitive's facts into the report; analysis derives the words last.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "pg/pg.h"
#include "pgmortem/bundle_file.h"
#include "pg/storage.h"
#include "pgmortem/analyze.h"
#include "pipeline/analyze_waits.h"
#include "pipeline/is_postgres.h"
#include "util/text.h"

/* A fatal signal the kernel delivered for a fault. */
static bool is_fault(const struct pgm_target *t)
{
	if (!t->has_siginfo)
		return false;
	int s = t->siginfo.signo;
	bool fault = s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE;
	return fault && t->siginfo.code > 0;
}

/* Sent with kill() or tgkill() (si_code <= 0): by whom, 0 if unknown. */
static int32_t sender(const struct pgm_target *t)
{
	return t->has_siginfo && t->siginfo.code <= 0 ? t->siginfo.sender_pid : 0;
}

static const char *source_kind(const struct pgm_target *t)
{
	enum pgm_target_kind k = t->origin ? t->origin->kind : t->kind;
	return k == PGM_TARGET_LIVE ? "live" : k == PGM_TARGET_CORE ? "core" : "memory";
}

static struct pgm_error *fill_source(struct pgm_program *prog, struct pgm_report *r)
{
	struct pgm_target *t = pgm_program_target(prog);
	const struct pgm_module *main = pgm_program_main_module(prog);
	r->pid = t->pid;
	r->on_demand = !t->has_siginfo;
	r->signal_sender = sender(t);
	/* abort() (a failed Assert, an elog PANIC) raises SIGABRT at itself: a crash too */
	r->crashed = is_fault(t) || (r->signal_sender && r->signal_sender == t->pid);
	if (t->has_siginfo) {
		r->signal = t->siginfo.signo;
		r->has_fault_address = is_fault(t);
		r->fault_address = t->siginfo.addr;
	}
	r->debuginfo = main && main->has_dwarf;
	struct pgm_error *err;
	if ((err = pgm_model_strdup(&r->source_kind, source_kind(t))) ||
	    (err = pgm_model_strdup(&r->source_path, t->path ? t->path : "")) ||
	    (err = pgm_model_strdup(&r->cmdline, t->cmdline)) ||
	    (err = pgm_model_strdup(&r->executable, main ? (main->path ? main->path : main->name) : NULL)) ||
	    (t->origin && (err = pgm_model_strdup(&r->bundle_path, t->origin->bundle_path))))
		return err;
	r->bundle_redacted = t->origin && t->origin->redacted;
	if (main && main->build_id_len && !(r->build_id = pgm_hex_dup(main->build_id, main->build_id_len)))
		return &pgm_enomem;
	return NULL;
}

static struct pgm_error *fill_stacks(struct pgm_program *prog, struct pgm_report *r)
{
	struct pgm_target *t = pgm_program_target(prog);
	r->stacks = calloc(t->n_threads ? t->n_threads : 1, sizeof(*r->stacks));
	if (!r->stacks)
		return &pgm_enomem;
	for (size_t i = 0; i < t->n_threads; i++) {
		struct pgm_error *err = pgm_program_unwind(prog, i, &r->stacks[r->n_stacks]);
		if (err == &pgm_enomem)
			return err;
		if (err) {
			struct pgm_error *e2 = pgm_report_add_diagnosis(r, "unwind-failed",
				"thread %d could not be unwound: %s", t->threads[i].tid, err->message);
			pgm_error_destroy(err);
			if (e2)
				return e2;
			continue;
		}
		r->n_stacks++;
	}
	return NULL;
}

static const struct pgm_stack *main_stack(const struct pgm_report *r)
{
	return r->n_stacks ? r->stacks[0] : NULL;
}

/* The wait from the stack and the event, unless the process died of its signal (one decision with batch). */
static struct pgm_error *classify(struct pgm_report *r)
{
	r->wait.kind = pgm_classify_wait(main_stack(r), &r->wait_event, r->crashed);
	if (!pgm_died_of_signal(r))
		return NULL;
	r->wait.kind = PGM_WAIT_CRASHED;
	const char *site = pgm_crash_site(main_stack(r));
	r->crash_in_callee = pgm_crash_site_has_unnamed_callee(main_stack(r), site);
	return site && !r->crash_function ? pgm_model_strdup(&r->crash_function, site) : NULL;
}

/* cv_sleep_target is set by ConditionVariablePrepareToSleep and cleared on wakeup. */
static struct pgm_error *decode_cv(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t cv = 0, scan = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_cv_sleep_target, &cv);
	if (err || cv == 0) {
		struct pgm_error *e2 = err ? pgm_report_add_diagnosis(r, "cv-target-unknown",
			"the stack sleeps in ConditionVariableSleep, but on which condition variable is unknown: %s",
			err->message) : pgm_report_add_diagnosis(r, "cv-target-unknown",
			"the stack sleeps in ConditionVariableSleep but cv_sleep_target is NULL");
		pgm_error_destroy(err);
		return e2;
	}
	r->cv_sleep_target_set = true;
	r->wait.address = cv;
	r->wait.has_address = true;
	if ((err = pgm_pg_read_cv(pg, cv, r->procno, r)))
		return err;
	/* the CV is not captured (a DSM segment): its queue still is, in the PGPROCs' links */
	if (!r->wait.cv.header_known && (err = pgm_pg_read_cv_queue_from_links(pg, r->procno, r)))
		return err;
	int f = pgm_stack_find_function(main_stack(r), "_bt_parallel_seize");
	if (f < 0)
		return NULL;
	err = pgm_pg_frame_pointer(prog, main_stack(r), (size_t)f, "scan", &scan);
	if (err == &pgm_enomem)
		return err;
	/* optimized out or unreadable: the CV's address alone still places the scan state */
	pgm_error_destroy(err);
	err = pgm_pg_read_btree_scan(pg, err ? 0 : scan, cv, r);
	if (!err || err == &pgm_enomem)
		return err;
	struct pgm_error *e2 = pgm_report_add_diagnosis(r, "cv-owner-unknown",
		"the condition variable could not be tied to the btree scan: %s", err->message);
	pgm_error_destroy(err);
	return e2;
}

/* MyProc->waitLock, set by JoinWaitQueue/ProcSleep while the backend sleeps. */
static struct pgm_error *decode_hwlock(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t proc = 0;
	struct pgm_error *err = pgm_pg_my_proc(pg, &proc);
	if (!err && proc == 0)
		err = pgm_error_create(PGM_ERR_LOOKUP, "MyProc is NULL");
	if (!err)
		err = pgm_pg_read_hwlock_wait(pg, proc, &r->wait);
	return pgm_pg_note_failure(r, "hwlock-unknown", "the heavyweight lock", r->wait.address, err);
}

/*
 * Without debuginfo no frame names the lock (pg->shmem is read for a
 * profile's layout only): the one LWLock whose wait queue holds us.
 */
static struct pgm_error *lwlock_by_queue(const struct pgm_pg *pg, struct pgm_report *r, struct pgm_error *why,
					 uint64_t *lock)
{
	if (!pg->shmem || why == &pgm_enomem || !r->wait_event.known || r->procno < 0)
		return why;
	struct pgm_error *err = pgm_pg_find_waited_lwlock(pg, r->procno, r->wait_event.info & 0xFFFF, lock);
	if (err)
		return pgm_error_destroy(why), err;
	pgm_error_destroy(why);
	return pgm_report_add_diagnosis(r, "lwlock-found-by-queue", "no debuginfo names LWLockAcquire's lock: "
		"it is the one %s LWLock of the main segment whose wait queue holds this process",
		r->wait_event.name ? r->wait_event.name : "");
}

/* The `lock` parameter of the LWLockAcquire frame; it may be optimized out. */
static struct pgm_error *decode_lwlock(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t lock = 0, proc = 0;
	int f = pgm_stack_find_function(main_stack(r), "LWLockAcquire");
	struct pgm_error *err = f < 0 ? pgm_error_create(PGM_ERR_LOOKUP, "no LWLockAcquire frame on the stack")
				      : pgm_pg_frame_pointer(prog, main_stack(r), (size_t)f, "lock", &lock);
	if (err)
		err = lwlock_by_queue(pg, r, err, &lock);
	if (!err && lock == 0)
		err = pgm_error_create(PGM_ERR_LOOKUP, "LWLockAcquire's lock is NULL");
	if (err) {
		if (err == &pgm_enomem)
			return err;
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, "lwlock-address-unknown",
			"the LWLock's address is unknown: %s", err->message);
		pgm_error_destroy(err);
		return e2;
	}
	r->wait.address = lock;
	r->wait.has_address = true;
	err = pgm_pg_my_proc(pg, &proc);
	/* without MyProc the requested mode is unknown; the lock and its queue still are */
	pgm_error_destroy(err);
	err = pgm_pg_read_lwlock_wait(pg, lock, err ? 0 : proc, r->procno, &r->wait);
	return pgm_pg_note_failure(r, "lwlock-unknown", "the LWLock", lock, err);
}

/*
 * Which group members are queued on the same CV: from the CV's wakeup queue
 * when it was captured.  Without it, a member whose wait event differs from
 * ours is not sleeping on this CV (a CV sleeper reports the CV's event), so
 * it is "not queued"; one with the same event stays unknown.
 */
static void mark_group_queue(struct pgm_report *r)
{
	for (size_t i = 0; i < r->n_group; i++) {
		struct pgm_group_member *g = &r->group[i];
		if (r->wait.waiters_known) {
			g->queued_on_same = PGM_QUEUED_NO;
			for (size_t w = 0; w < r->wait.n_waiters; w++)
				if (r->wait.waiters[w].procno == g->procno)
					g->queued_on_same = PGM_QUEUED_YES;
		} else if (r->wait.kind == PGM_WAIT_CONDITION_VARIABLE && g->wait_event.known &&
			   r->wait_event.known && g->wait_event.info != r->wait_event.info) {
			g->queued_on_same = PGM_QUEUED_NO;
		}
	}
}

/* ---- buffers, storage and replication ---- */

/* cv_sleep_target, 0 when unset or unreadable (the decoders then use what else they have). */
static uint64_t sleep_target(const struct pgm_pg *pg)
{
	uint64_t cv = 0;
	pgm_error_destroy(pgm_pg_read_global(pg, PGM_G_cv_sleep_target, &cv));
	return cv;
}

/* A pointer argument of the innermost `function` frame, 0 when unknown (optimized out, no stack). */
static struct pgm_error *frame_arg(struct pgm_program *prog, const struct pgm_report *r, const char *function,
				   const char *name, uint64_t *ret)
{
	*ret = 0;
	int f = main_stack(r) ? pgm_stack_find_function(main_stack(r), function) : -1;
	if (f < 0)
		return NULL;
	struct pgm_error *err = pgm_pg_frame_pointer(prog, main_stack(r), (size_t)f, name, ret);
	if (err == &pgm_enomem)
		return err;
	if (err) {
		pgm_error_destroy(err);
		*ret = 0;
	}
	return NULL;
}

/* WaitIO's buffer, or the condition variable it sleeps on (a buffer's, or an AIO handle's). */
static struct pgm_error *decode_buffer_io(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t buf;
	struct pgm_error *err = frame_arg(prog, r, "WaitIO", "buf", &buf);
	return err ? err : pgm_pg_read_buffer_io_wait(pg, buf, sleep_target(pg), r);
}

/* The slot's active_cv it sleeps on, or ReplicationSlotAcquire's name. */
static struct pgm_error *decode_slot(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t name_addr;
	char *name = NULL;
	struct pgm_error *err = frame_arg(prog, r, "ReplicationSlotAcquire", "name", &name_addr);
	if (!err && name_addr && (err = pgm_target_read_text(pg->target, name_addr, 64, &name)) != &pgm_enomem) {
		pgm_error_destroy(err);   /* unreadable: the CV alone still finds the slot */
		err = NULL;
	}
	if (!err)
		err = pgm_pg_read_slot_wait(pg, sleep_target(pg), name, r);
	free(name);
	return err;
}

static struct pgm_error *decode_wait(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	switch (r->wait.kind) {
	case PGM_WAIT_CONDITION_VARIABLE: return decode_cv(prog, pg, r);
	case PGM_WAIT_HEAVYWEIGHT_LOCK: return decode_hwlock(pg, r);
	case PGM_WAIT_LWLOCK: return decode_lwlock(prog, pg, r);
	case PGM_WAIT_BUFFER_PIN: return pgm_pg_read_pin_wait(pg, r);
	case PGM_WAIT_BUFFER_IO: return decode_buffer_io(prog, pg, r);
	case PGM_WAIT_IO: return pgm_pg_read_io_wait(prog, pg, r);
	case PGM_WAIT_REPLICATION_SLOT: return decode_slot(prog, pg, r);
	default: return pgm_decode_ipc_wait(prog, pg, r);
	}
}

/* What to install or pass, as 'pgmortem types' says it: the build-id names the debug file. */
static struct pgm_error *no_debuginfo(struct pgm_report *r)
{
	const char *id = r->build_id;
	if (!id || strlen(id) < 3)
		return pgm_report_add_diagnosis(r, "no-debuginfo",
			"%s has no DWARF debuginfo: the wait is told from the stack alone; for its object, queue "
			"and interrupt state install the matching debug symbols (Debian: the -dbgsym package), "
			"pass --debug-dir or -e a debug build of the same version, or give pgmortem a layout "
			"profile of its major version ('pgmortem profile')", r->executable ? r->executable : "the executable");
	return pgm_report_add_diagnosis(r, "no-debuginfo",
		"%s (build-id %s) has no DWARF debuginfo: the wait is told from the stack alone; for its object, "
		"queue and interrupt state install the matching debug symbols (Debian: the -dbgsym package from "
		"the debian-debug archive), pass --debug-dir DIR containing DIR/.build-id/%.2s/%s.debug or -e a "
		"debug build of the same version, or give pgmortem a layout profile of its major version "
		"('pgmortem profile')", r->executable ? r->executable : "the executable", id, id, id + 2);
}

static struct pgm_error *decode_backend(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pgm_error *err;
	uint64_t proc = 0;
	if (!pg->layout->has_debuginfo) {
		if ((err = classify(r)))
			return err;
		return no_debuginfo(r);
	}
	if ((err = pgm_pg_read_identity(pg, r)) || (err = pgm_pg_read_interrupts(pg, r)))
		return err;
	/* what it holds of buffers first: a pin wait counts its own pins */
	if ((err = pgm_pg_read_buffer_usage(pg, r)) || (err = pgm_pg_read_walsender(pg, r)))
		return err;
	if ((err = classify(r)) || (err = pgm_classify_unserved(r)) || (err = decode_wait(prog, pg, r)) ||
	    (err = pgm_decode_waitset(prog, pg, r)))
		return err;
	err = pgm_pg_my_proc(pg, &proc);
	/* no MyProc (not a backend, or unreadable: already recorded by read_identity): no group */
	pgm_error_destroy(err);
	if (!err && proc && (err = pgm_pg_read_group(pg, proc, r)))
		return err;
	mark_group_queue(r);
	return pgm_decode_live_waits(prog, r);
}

struct pgm_error *pgm_analyze(struct pgm_program *prog, const struct pgm_analyze_options *opts,
			      struct pgm_report **ret)
{
	(void)opts;
	struct pgm_report *r = pgm_report_create();
	if (!r)
		return &pgm_enomem;
	struct pgm_pg pg;
	const struct pgm_layout_origin *origin;
	struct pgm_error *err = fill_source(prog, r);
	if (!err)
		err = fill_stacks(prog, r);
	if (!err)
		err = pgm_pg_program_init(prog, &pg);
	if (!err)
		err = pgm_require_postgres(prog, &pg);
	if (!err)
		err = (origin = pgm_pg_program_origin(prog)) ? pgm_layout_origin_copy(&r->layout, origin) : &pgm_enomem;
	if (!err) {
		r->pg_version = pgm_pg_version_string(&pg);
		if (!r->pg_version)   /* no layout to read it with: the executable says it */
			r->pg_version = pgm_exe_pg_version(prog);
		err = decode_backend(prog, &pg, r);
	}
	if (!err)
		err = pgm_identity_from_cmdline(r);
	if (!err)
		err = pgm_explain_report(r);
	if (err) {
		pgm_report_destroy(r);
		return err;
	}
	*ret = r;
	return NULL;
}
