/*
 * pgm_analyze: the wait analysis of one process.  Decoding (pg/) reads the
 * facts; the functions of analysis/ decide what they mean.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "pg/pg.h"
#include "pgmortem/analyze.h"

static char *hex_build_id(const struct pgm_module *m)
{
	if (!m || !m->build_id_len)
		return NULL;
	char *s = malloc(m->build_id_len * 2 + 1);
	for (size_t i = 0; s && i < m->build_id_len; i++)
		sprintf(s + 2 * i, "%02x", m->build_id[i]);
	return s;
}

/* A fatal signal the kernel delivered (not one sent with kill). */
static bool is_crash(const struct pgm_target *t)
{
	if (!t->has_siginfo)
		return false;
	int s = t->siginfo.signo;
	bool fault = s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE;
	return fault && t->siginfo.code > 0;
}

static struct pgm_error *fill_source(struct pgm_program *prog, struct pgm_report *r)
{
	struct pgm_target *t = pgm_program_target(prog);
	const struct pgm_module *main = pgm_program_main_module(prog);
	r->source_kind = strdup(t->kind == PGM_TARGET_LIVE ? "live" : t->kind == PGM_TARGET_CORE ? "core" : "memory");
	r->source_path = strdup(t->path ? t->path : "");
	r->cmdline = t->cmdline ? strdup(t->cmdline) : NULL;
	r->pid = t->pid;
	r->on_demand = !t->has_siginfo;
	if (t->has_siginfo) {
		r->signal = t->siginfo.signo;
		r->has_fault_address = is_crash(t);
		r->fault_address = t->siginfo.addr;
	}
	r->executable = main && (main->path || main->name) ? strdup(main->path ? main->path : main->name) : NULL;
	r->build_id = hex_build_id(main);
	r->debuginfo = main && main->has_dwarf;
	if (!r->source_kind || !r->source_path)
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

static void set_crash_function(struct pgm_report *r)
{
	if (!r->n_stacks)
		return;
	const struct pgm_stack *s = r->stacks[0];
	for (size_t f = 0; f < s->n_frames; f++)
		if (s->frames[f].function) {
			r->crash_function = strdup(s->frames[f].function);
			return;
		}
}

static struct pgm_error *analyze_backend(struct pgm_program *prog, const struct pgm_pg *pg,
					 struct pgm_report *r, bool crashed);

struct pgm_error *pgm_analyze(struct pgm_program *prog, const struct pgm_analyze_options *opts,
			      struct pgm_report **ret)
{
	(void)opts;
	struct pgm_report *r = pgm_report_create();
	if (!r)
		return &pgm_enomem;
	const struct pgm_pg_layout *layout = NULL;
	struct pgm_target *t = pgm_program_target(prog);
	struct pgm_error *err = fill_source(prog, r);
	if (!err)
		err = fill_stacks(prog, r);
	if (!err)
		err = pgm_pg_program_layout(prog, &layout);
	if (!err) {
		struct pgm_pg pg;
		pgm_pg_init(&pg, t, layout);
		r->pg_version = pgm_pg_version_string(&pg);
		err = analyze_backend(prog, &pg, r, is_crash(t));
	}
	if (err) {
		pgm_report_destroy(r);
		return err;
	}
	*ret = r;
	return NULL;
}

/* ---- per wait kind ---- */

static struct pgm_error *analyze_cv(struct pgm_program *prog, const struct pgm_pg *pg,
				    struct pgm_report *r, bool *cv_set);
static struct pgm_error *analyze_hwlock(const struct pgm_pg *pg, struct pgm_report *r);
static struct pgm_error *analyze_lwlock(struct pgm_program *prog, const struct pgm_pg *pg,
					struct pgm_report *r);

static const struct pgm_stack *main_stack(const struct pgm_report *r)
{
	return r->n_stacks ? r->stacks[0] : NULL;
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

static struct pgm_error *analyze_backend(struct pgm_program *prog, const struct pgm_pg *pg,
					 struct pgm_report *r, bool crashed)
{
	struct pgm_error *err;
	if (!pg->layout->has_debuginfo) {
		/* the stack alone still tells the wait primitive; the rest needs layouts */
		r->wait.kind = pgm_classify_wait(main_stack(r), &r->wait_event, crashed);
		if (crashed)
			set_crash_function(r);
		if ((err = pgm_report_add_diagnosis(r, "no-debuginfo",
			"the executable has no DWARF debuginfo: the wait is told from the stack alone; "
			"for its object, queue and interrupt state pass --debug-dir, or -e a debug build "
			"of the same version")) ||
		    (err = pgm_assess_killability(r, false)))
			return err;
		return pgm_compose_verdict(r);
	}
	if ((err = pgm_pg_read_identity(pg, r)) || (err = pgm_pg_read_interrupts(pg, r)))
		return err;
	if (crashed)
		set_crash_function(r);
	r->wait.kind = pgm_classify_wait(main_stack(r), &r->wait_event, crashed);
	bool cv_set = false;
	if (r->wait.kind == PGM_WAIT_CONDITION_VARIABLE && (err = analyze_cv(prog, pg, r, &cv_set)))
		return err;
	if (r->wait.kind == PGM_WAIT_HEAVYWEIGHT_LOCK && (err = analyze_hwlock(pg, r)))
		return err;
	if (r->wait.kind == PGM_WAIT_LWLOCK && (err = analyze_lwlock(prog, pg, r)))
		return err;
	uint64_t proc = 0;
	struct pgm_error *e2 = pgm_pg_my_proc(pg, &proc);
	if (!e2 && proc)
		e2 = pgm_pg_read_group(pg, proc, r);
	if (e2 == &pgm_enomem)
		return e2;
	pgm_error_destroy(e2);
	mark_group_queue(r);
	if ((err = pgm_assess_killability(r, cv_set)))
		return err;
	return pgm_compose_verdict(r);
}

/* cv_sleep_target is set by ConditionVariablePrepareToSleep and cleared on wakeup. */
static struct pgm_error *analyze_cv(struct pgm_program *prog, const struct pgm_pg *pg,
				    struct pgm_report *r, bool *cv_set)
{
	uint64_t cv = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_cv_sleep_target, &cv);
	if (err || cv == 0) {
		pgm_error_destroy(err);
		return pgm_report_add_diagnosis(r, "cv-target-unknown",
			"the stack sleeps in ConditionVariableSleep but cv_sleep_target is %s",
			err ? "unreadable" : "NULL");
	}
	*cv_set = true;
	r->wait.address = cv;
	r->wait.has_address = true;
	if ((err = pgm_pg_read_cv(pg, cv, r->procno, r)))
		return err;
	int f = pgm_stack_find_function(main_stack(r), "_bt_parallel_seize");
	if (f < 0)
		return (r->wait.object_kind = strdup("condition variable")) ? NULL : &pgm_enomem;
	uint64_t scan = 0;
	err = pgm_pg_frame_pointer(prog, main_stack(r), (size_t)f, "scan", &scan);
	if (err == &pgm_enomem)
		return err;
	pgm_error_destroy(err);
	err = pgm_pg_read_btree_scan(pg, err ? 0 : scan, cv, r);
	if (err == &pgm_enomem)
		return err;
	if (err) {
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, "cv-owner-unknown",
			"the condition variable could not be tied to the btree scan: %s", err->message);
		pgm_error_destroy(err);
		return e2;
	}
	return (r->wait.object_kind = strdup("btree parallel scan condition variable")) ? NULL : &pgm_enomem;
}

/* A decoding failure: memory the capture lacks, or a diagnosis naming why. */
static struct pgm_error *note_failure(struct pgm_report *r, const char *code, const char *what,
				      struct pgm_error *err)
{
	struct pgm_error *e2;
	if (!err || err == &pgm_enomem)
		return err;
	if (pgm_error_is_read_failure(err))
		e2 = pgm_report_add_missing(r, what, err->address, err, NULL);
	else
		e2 = pgm_report_add_diagnosis(r, code, "%s could not be read: %s", what, err->message);
	pgm_error_destroy(err);
	return e2;
}

/* MyProc->waitLock, set by JoinWaitQueue/ProcSleep while the backend sleeps. */
static struct pgm_error *analyze_hwlock(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t proc = 0;
	struct pgm_error *err = pgm_pg_my_proc(pg, &proc);
	if (!err && proc == 0)
		err = pgm_error_create(PGM_ERR_LOOKUP, "MyProc is NULL");
	if (!err)
		err = pgm_pg_read_hwlock_wait(pg, proc, r);
	if (!r->wait.object_kind && !(r->wait.object_kind = strdup("heavyweight lock")))
		return pgm_error_destroy(err), &pgm_enomem;
	return note_failure(r, "hwlock-unknown", "the heavyweight lock", err);
}

/* The `lock` parameter of the LWLockAcquire frame; it may be optimized out. */
static struct pgm_error *analyze_lwlock(struct pgm_program *prog, const struct pgm_pg *pg,
					struct pgm_report *r)
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
	if (!(r->wait.object_kind = strdup("LWLock")))
		return &pgm_enomem;
	pgm_error_destroy(pgm_pg_my_proc(pg, &proc));
	err = pgm_pg_read_lwlock_wait(pg, lock, proc, r->procno, r);
	return note_failure(r, "lwlock-unknown", "the LWLock", err);
}
