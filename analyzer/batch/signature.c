/*
 * Signatures: what makes two cores "the same problem", so a batch can say
 * "37 cores: condition_variable:_bt_parallel_seize" instead of 37 reports.
 *
 * A wait is named by its kind and the innermost PostgreSQL function that
 * is not wait plumbing (latch, semaphore, socket and condition-variable
 * internals); a crash by its signal and the innermost PostgreSQL function
 * that is not error reporting.  Library frames (libc) are never the site:
 * they say how a process sleeps or dies, not where.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "pgmortem/batch.h"
#include "pgmortem/render.h"

/* A cleanup lock's wait: the site is the caller that needs the lock (lazy_scan_heap …). */
static const char *const pin_plumbing[] = {
	"WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch", "ProcWaitForSignal", "LockBufferForCleanup",
	NULL,
};

static bool in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static bool is_pg_frame(const struct pgm_frame *f)
{
	return f->function && !f->signal_frame && f->module && f->module->is_main;
}

/* The innermost PostgreSQL frame whose function is not in `skip` (or wait plumbing when NULL), or NULL. */
static const char *site(const struct pgm_stack *s, const char *const *skip)
{
	for (size_t i = 0; s && i < s->n_frames; i++) {
		const char *fn = s->frames[i].function;
		if (is_pg_frame(&s->frames[i]) && !(skip ? in_list(fn, skip) : pgm_is_wait_plumbing(fn)))
			return fn;
	}
	return NULL;
}

/* The innermost named frame at all, for stacks without the executable. */
static const char *any_function(const struct pgm_stack *s)
{
	for (size_t i = 0; s && i < s->n_frames; i++)
		if (s->frames[i].function && !s->frames[i].signal_frame)
			return s->frames[i].function;
	return NULL;
}

/* Buffers, storage and replication: each is a wait on another process or the kernel. */
static bool is_stuck_storage(enum pgm_wait_kind k)
{
	return k == PGM_WAIT_BUFFER_PIN || k == PGM_WAIT_BUFFER_IO || k == PGM_WAIT_IO ||
	       k == PGM_WAIT_REPLICATION_SLOT;
}

/* ---- the IPC kinds (pgmortem/report_waits.h): each a hang, named by what it waits for ---- */

static bool is_ipc_kind(enum pgm_wait_kind k)
{
	return k == PGM_WAIT_SYNC_REP || k == PGM_WAIT_MESSAGE_QUEUE || k == PGM_WAIT_PROCSIGNAL_BARRIER ||
	       k == PGM_WAIT_UNSERVED_INTERRUPT;
}

/* The function that called `callee`, e.g. dropdb for WaitForProcSignalBarrier. */
static const char *caller_of(const struct pgm_stack *s, const char *callee)
{
	int f = s ? pgm_stack_find_function(s, callee) : -1;
	for (size_t i = f < 0 ? 0 : (size_t)f + 1; f >= 0 && i < s->n_frames; i++)
		if (s->frames[i].function)
			return s->frames[i].function;
	return NULL;
}

/* sync_rep:no_standby, message_queue:send, procsignal_barrier:dropdb, unserved_interrupt:pgm_loop.so */
static char *ipc_signature(const struct pgm_report *r, const struct pgm_stack *s)
{
	const char *kind = pgm_wait_kind_name(r->wait.kind), *what = NULL;
	char *sig = NULL;
	switch (r->wait.kind) {
	case PGM_WAIT_SYNC_REP: what = pgm_syncrep_why_name(r->wait.syncrep.why); break;
	case PGM_WAIT_MESSAGE_QUEUE: what = pgm_mq_op_name(r->wait.mq.op); break;
	case PGM_WAIT_PROCSIGNAL_BARRIER: what = caller_of(s, "WaitForProcSignalBarrier"); break;
	case PGM_WAIT_UNSERVED_INTERRUPT:
		if (!r->wait.unserved.library)
			return asprintf(&sig, "%s:postgres:%s", kind, r->wait.unserved.function ? r->wait.unserved.function
												: "?") < 0 ? NULL : sig;
		what = r->wait.unserved.library;
		break;
	default: break;
	}
	return asprintf(&sig, "%s:%s", kind, what ? what : "?") < 0 ? NULL : sig;
}

static char *wait_signature(const struct pgm_report *r, const struct pgm_stack *s)
{
	const char *kind = pgm_wait_kind_name(r->wait.kind);
	const char *where = site(s, NULL);
	const char *event = r->wait_event.known ? r->wait_event.name : NULL;
	char *sig = NULL;
	int rc;
	switch (r->wait.kind) {
	case PGM_WAIT_HEAVYWEIGHT_LOCK: {
		const char *locktype = r->wait.hwlock.tag_known ? r->wait.hwlock.tag.locktype : NULL;
		if (!locktype)
			locktype = event;
		rc = asprintf(&sig, "%s:%s%s%s", kind, where ? where : "?", locktype ? " " : "",
			      locktype ? locktype : "");
		break;
	}
	case PGM_WAIT_LWLOCK:
	case PGM_WAIT_LATCH:
	case PGM_WAIT_SOCKET:
	case PGM_WAIT_TIMEOUT:
	case PGM_WAIT_BUFFER_IO:       /* BufferIO, AioIoCompletion */
	case PGM_WAIT_IO:              /* DataFileRead, WALWrite, … */
	case PGM_WAIT_REPLICATION_SLOT:
		rc = asprintf(&sig, "%s:%s", kind, event ? event : where ? where : "?");
		break;
	case PGM_WAIT_BUFFER_PIN:      /* lazy_scan_heap: who needed the cleanup lock */
		where = site(s, pin_plumbing);
		rc = asprintf(&sig, "%s:%s", kind, where ? where : event ? event : "?");
		break;
	default:
		if (!where)
			where = any_function(s);
		rc = asprintf(&sig, "%s:%s", kind, where ? where : "?");
		break;
	}
	return rc < 0 ? NULL : sig;
}

/* The same signal and site as analyze's verdict names (pgm_crash_site). */
static char *crash_signature(const struct pgm_report *r, const struct pgm_stack *s)
{
	char name[32], *sig;
	const char *where = pgm_crash_site(s);
	if (asprintf(&sig, "crash:%s:%s", pgm_signal_name(r->signal, name, sizeof(name)),
		     where ? where : "?") < 0)
		return NULL;
	return sig;
}

struct pgm_error *pgm_batch_signature(const struct pgm_report *r, char **sig,
				      enum pgm_batch_problem *problem)
{
	const struct pgm_stack *s = r->n_stacks ? r->stacks[0] : NULL;
	enum pgm_wait_kind k = r->wait.kind;
	if (pgm_died_of_signal(r)) {
		*problem = PGM_PROBLEM_CRASH;
		*sig = crash_signature(r, s);
	} else {
		bool stuck = k == PGM_WAIT_CONDITION_VARIABLE || k == PGM_WAIT_LWLOCK ||
			     k == PGM_WAIT_HEAVYWEIGHT_LOCK || is_stuck_storage(k) || is_ipc_kind(k);
		*problem = stuck ? PGM_PROBLEM_STUCK : PGM_PROBLEM_NONE;
		*sig = is_ipc_kind(k) ? ipc_signature(r, s) : wait_signature(r, s);
	}
	return *sig ? NULL : &pgm_enomem;
}

const char *pgm_batch_problem_name(enum pgm_batch_problem p)
{
	switch (p) {
	case PGM_PROBLEM_CRASH: return "crash";
	case PGM_PROBLEM_STUCK: return "stuck";
	case PGM_PROBLEM_BLOCKER: return "blocker";
	case PGM_PROBLEM_NONE: break;
	}
	return NULL;
}
