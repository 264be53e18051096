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
#include "pgmortem/analyze.h"
#include "pipeline/analyze_waits.h"
#include "util/text.h"

/* A fatal signal the kernel delivered (not one sent with kill). */
static bool is_crash(const struct pgm_target *t)
{
	if (!t->has_siginfo)
		return false;
	int s = t->siginfo.signo;
	bool fault = s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE;
	return fault && t->siginfo.code > 0;
}

static const char *source_kind(const struct pgm_target *t)
{
	return t->kind == PGM_TARGET_LIVE ? "live" : t->kind == PGM_TARGET_CORE ? "core" : "memory";
}

static struct pgm_error *fill_source(struct pgm_program *prog, struct pgm_report *r)
{
	struct pgm_target *t = pgm_program_target(prog);
	const struct pgm_module *main = pgm_program_main_module(prog);
	r->pid = t->pid;
	r->on_demand = !t->has_siginfo;
	r->crashed = is_crash(t);
	if (t->has_siginfo) {
		r->signal = t->siginfo.signo;
		r->has_fault_address = r->crashed;
		r->fault_address = t->siginfo.addr;
	}
	r->debuginfo = main && main->has_dwarf;
	struct pgm_error *err;
	if ((err = pgm_model_strdup(&r->source_kind, source_kind(t))) ||
	    (err = pgm_model_strdup(&r->source_path, t->path ? t->path : "")) ||
	    (err = pgm_model_strdup(&r->cmdline, t->cmdline)) ||
	    (err = pgm_model_strdup(&r->executable, main ? (main->path ? main->path : main->name) : NULL)))
		return err;
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

static struct pgm_error *set_crash_function(struct pgm_report *r)
{
	const struct pgm_stack *s = main_stack(r);
	for (size_t f = 0; s && f < s->n_frames; f++)
		if (s->frames[f].function)
			return pgm_model_strdup(&r->crash_function, s->frames[f].function);
	return NULL;
}

/* cv_sleep_target is set by ConditionVariablePrepareToSleep and cleared on wakeup. */
static struct pgm_error *decode_cv(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t cv = 0, scan = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_cv_sleep_target, &cv);
	if (err || cv == 0) {
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, "cv-target-unknown",
			"the stack sleeps in ConditionVariableSleep but cv_sleep_target is %s",
			err ? err->message : "NULL");
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

/* The `lock` parameter of the LWLockAcquire frame; it may be optimized out. */
static struct pgm_error *decode_lwlock(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t lock = 0, proc = 0;
	int f = pgm_stack_find_function(main_stack(r), "LWLockAcquire");
	struct pgm_error *err = f < 0 ? pgm_error_create(PGM_ERR_LOOKUP, "no LWLockAcquire frame on the stack")
				      : pgm_pg_frame_pointer(prog, main_stack(r), (size_t)f, "lock", &lock);
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

static struct pgm_error *decode_wait(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	switch (r->wait.kind) {
	case PGM_WAIT_CONDITION_VARIABLE: return decode_cv(prog, pg, r);
	case PGM_WAIT_HEAVYWEIGHT_LOCK: return decode_hwlock(pg, r);
	case PGM_WAIT_LWLOCK: return decode_lwlock(prog, pg, r);
	default: return pgm_decode_ipc_wait(prog, pg, r);
	}
}

static struct pgm_error *decode_backend(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pgm_error *err;
	uint64_t proc = 0;
	if (!pg->layout->has_debuginfo) {
		r->wait.kind = pgm_classify_wait(main_stack(r), &r->wait_event, r->crashed);
		return pgm_report_add_diagnosis(r, "no-debuginfo",
			"the executable has no DWARF debuginfo: the wait is told from the stack alone; "
			"for its object, queue and interrupt state pass --debug-dir, or -e a debug build "
			"of the same version");
	}
	if ((err = pgm_pg_read_identity(pg, r)) || (err = pgm_pg_read_interrupts(pg, r)))
		return err;
	r->wait.kind = pgm_classify_wait(main_stack(r), &r->wait_event, r->crashed);
	if ((err = pgm_classify_unserved(r)) || (err = decode_wait(prog, pg, r)) ||
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
	const struct pgm_pg_layout *layout = NULL;
	struct pgm_error *err = fill_source(prog, r);
	if (!err)
		err = fill_stacks(prog, r);
	if (!err && r->crashed)
		err = set_crash_function(r);
	if (!err)
		err = pgm_pg_program_layout(prog, &layout);
	if (!err) {
		struct pgm_pg pg;
		pgm_pg_init(&pg, pgm_program_target(prog), layout);
		r->pg_version = pgm_pg_version_string(&pg);
		err = decode_backend(prog, &pg, r);
	}
	if (!err)
		err = pgm_explain_report(r);
	if (err) {
		pgm_report_destroy(r);
		return err;
	}
	*ret = r;
	return NULL;
}
