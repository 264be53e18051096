/*
 * Whether a captured process died of its signal, and where: one decision
 * for analyze's verdict and batch's signature, so both say the same.
 *
 * A kernel core always carries the fatal signal.  A process asleep in a
 * recognised wait was killed to get a core of a stuck process: its wait is
 * what matters.  Otherwise the signal is the news, whether the kernel
 * delivered it for a fault, the process raised it (abort(), a failed
 * Assert) or another process sent it.
 */
#include <string.h>

#include "analysis/analysis.h"

/* PostgreSQL's own wait machinery: a process sleeping is inside one of these. */
static const char *const wait_plumbing[] = {
	"WaitEventSetWaitBlock", "WaitEventSetWait", "WaitLatch", "WaitLatchOrSocket",
	"ConditionVariableTimedSleep", "ConditionVariableSleep", "PGSemaphoreLock",
	"pg_usleep", "secure_read", "secure_raw_read", "secure_write", "secure_raw_write",
	"be_tls_read", "be_tls_write", "pq_recvbuf", "pq_getbyte", "pq_peekbyte",
	"internal_flush", "internal_flush_buffer", "pq_flush", "socket_flush",
	NULL,
};

/* Functions that report a failure rather than cause it. */
static const char *const error_reporting[] = {
	"ExceptionalCondition", "errfinish", "elog_finish", "pg_re_throw", "errstart",
	"ThrowErrorData", "ReThrowError", "pg_unreachable",
	NULL,
};

/* How many innermost frames to look at for wait plumbing. */
#define WAIT_DEPTH 12

static bool in_list(const char *name, const char *const *list)
{
	for (; name && *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

bool pgm_is_wait_plumbing(const char *function)
{
	return in_list(function, wait_plumbing);
}

static bool is_pg_frame(const struct pgm_frame *f)
{
	return f->function && !f->signal_frame && f->module && f->module->is_main;
}

const char *pgm_crash_site(const struct pgm_stack *s)
{
	for (size_t i = 0; s && i < s->n_frames; i++)
		if (is_pg_frame(&s->frames[i]) && !in_list(s->frames[i].function, error_reporting))
			return s->frames[i].function;
	/* no PostgreSQL frame with a name (a stripped build): the innermost named one */
	for (size_t i = 0; s && i < s->n_frames; i++)
		if (s->frames[i].function && !s->frames[i].signal_frame)
			return s->frames[i].function;
	return NULL;
}

bool pgm_crash_site_has_unnamed_callee(const struct pgm_stack *s, const char *site)
{
	for (size_t i = 0; s && site && i < s->n_frames; i++) {
		const struct pgm_frame *f = &s->frames[i];
		if (f->function == site)
			return false;
		/* a frame of postgres itself without a name, inside the site: a static function of a stripped build */
		if (!f->function && !f->signal_frame && f->module && f->module->is_main)
			return true;
	}
	return false;
}

static bool stack_waits(const struct pgm_stack *s)
{
	for (size_t i = 0; s && i < s->n_frames && i < WAIT_DEPTH; i++)
		if (pgm_is_wait_plumbing(s->frames[i].function))
			return true;
	return false;
}

bool pgm_died_of_signal(const struct pgm_report *r)
{
	if (r->wait.kind == PGM_WAIT_CRASHED || r->crashed)
		return true;
	if (!r->signal || r->on_demand)
		return false;
	bool waits = r->wait.kind != PGM_WAIT_UNKNOWN && r->wait.kind != PGM_WAIT_NONE;
	return !waits && !stack_waits(r->n_stacks ? r->stacks[0] : NULL);
}
