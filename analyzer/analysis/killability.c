/*
 * Can a cancel or terminate be served?  PostgreSQL's signal handlers only set
 * flags (QueryCancelPending, ProcDiePending, InterruptPending) and the latch;
 * the flags are acted on at the next CHECK_FOR_INTERRUPTS(), which does
 * nothing while InterruptHoldoffCount or CritSectionCount is non-zero (and
 * ignores a cancel while QueryCancelHoldoffCount is).  Latch-based sleeps
 * (condition variables, latches, sockets, pg_sleep, heavyweight locks) wake
 * for the signal and check; an LWLock sleep on a semaphore does not.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

static bool latch_based(enum pgm_wait_kind k)
{
	return k == PGM_WAIT_CONDITION_VARIABLE || k == PGM_WAIT_LATCH || k == PGM_WAIT_SOCKET ||
	       k == PGM_WAIT_TIMEOUT || k == PGM_WAIT_HEAVYWEIGHT_LOCK ||
	       k == PGM_WAIT_BUFFER_PIN || k == PGM_WAIT_BUFFER_IO || k == PGM_WAIT_REPLICATION_SLOT ||
	       k == PGM_WAIT_SYNC_REP || k == PGM_WAIT_MESSAGE_QUEUE || k == PGM_WAIT_PROCSIGNAL_BARRIER;
}

static struct pgm_error *set_verdict(struct pgm_interrupts *in, enum pgm_killable k, const char *text)
{
	in->killable = k;
	free(in->verdict);
	in->verdict = strdup(text);
	return in->verdict ? NULL : &pgm_enomem;
}

char *pgm_held_lwlocks_text(const struct pgm_interrupts *in)
{
	size_t len = 1;
	for (size_t i = 0; i < in->n_held_lwlocks; i++)
		len += strlen(in->held_lwlocks[i].name ? in->held_lwlocks[i].name : "?") +
		       strlen(in->held_lwlocks[i].mode ? in->held_lwlocks[i].mode : "?") + 6;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < in->n_held_lwlocks; i++)
		p += sprintf(p, "%s%s (%s)", i ? ", " : "",
			     in->held_lwlocks[i].name ? in->held_lwlocks[i].name : "?",
			     in->held_lwlocks[i].mode ? in->held_lwlocks[i].mode : "?");
	return s;
}

static struct pgm_error *held_off_while_sleeping(struct pgm_report *r)
{
	struct pgm_interrupts *in = &r->interrupts;
	char *held = pgm_held_lwlocks_text(in);
	if (!held)
		return &pgm_enomem;
	char *text = NULL;
	int rc = asprintf(&text,
		"no: it sleeps with interrupts held off (InterruptHoldoffCount=%" PRId64 "%s%s); "
		"pg_cancel_backend and pg_terminate_backend return true, the signal wakes it, "
		"and it goes back to sleep without acting on it",
		in->interrupt_holdoff.value, in->n_held_lwlocks ? ", holding LWLocks " : "", held);
	struct pgm_error *err = rc < 0 ? &pgm_enomem : set_verdict(in, PGM_KILLABLE_NO, text);
	free(text);
	if (!err && r->cv_sleep_target_set && in->n_held_lwlocks && r->wait.kind == PGM_WAIT_CONDITION_VARIABLE)
		err = pgm_report_add_diagnosis(r, "cv-sleep-holding-lwlock",
			"sleeping on a condition variable while holding %s with interrupts held off: "
			"the pattern of PostgreSQL bug #15290 (parallel btree scans in 10.0-10.4, fixed in 10.5); "
			"only the LWLock's release or a restart ends it", held);
	free(held);
	return err;
}

static bool counters_known(const struct pgm_interrupts *in)
{
	return in->interrupt_holdoff.known && in->crit_section.known;
}

struct pgm_error *pgm_assess_killability(struct pgm_report *r)
{
	struct pgm_interrupts *in = &r->interrupts;
	enum pgm_wait_kind k = r->wait.kind;
	if (k == PGM_WAIT_CRASHED)
		return set_verdict(in, PGM_KILLABLE_NO, "no: the process died of a signal; nothing is left to cancel");
	if (!counters_known(in))
		return set_verdict(in, PGM_KILLABLE_UNKNOWN,
				   "unknown: the interrupt counters could not be read from this capture");
	struct pgm_error *err = NULL;
	if (pgm_waits_killability(r, &err))
		return err;
	if (in->crit_section.value > 0)
		return set_verdict(in, latch_based(k) ? PGM_KILLABLE_NO : PGM_KILLABLE_DEFERRED,
			latch_based(k) ? "no: it sleeps inside a critical section (CritSectionCount > 0); "
					 "interrupts are ignored until the section ends"
				       : "deferred: inside a critical section (CritSectionCount > 0); "
					 "acted on once the section ends");
	if (in->interrupt_holdoff.value > 0 && latch_based(k))
		return held_off_while_sleeping(r);
	if (k == PGM_WAIT_IO)
		return set_verdict(in, PGM_KILLABLE_DEFERRED,
			"deferred: it is inside a system call on a file; the signal is acted on when the call "
			"returns, and while the kernel blocks it (state D) not even SIGKILL ends it");
	if (k == PGM_WAIT_LWLOCK)
		return set_verdict(in, PGM_KILLABLE_DEFERRED,
			"deferred: an LWLock sleep is not interrupted by signals; a cancel or terminate is "
			"acted on after the lock is acquired and released");
	if (in->interrupt_holdoff.value > 0)
		return set_verdict(in, PGM_KILLABLE_DEFERRED,
			"deferred: interrupts are held off (InterruptHoldoffCount > 0); acted on once they resume");
	if (in->query_cancel_holdoff.known && in->query_cancel_holdoff.value > 0)
		return set_verdict(in, PGM_KILLABLE_DEFERRED,
			"terminate: honoured at the next wakeup; cancel: deferred while QueryCancelHoldoffCount > 0");
	return set_verdict(in, PGM_KILLABLE_YES, latch_based(k)
		? "yes: the signal sets its latch and it acts on it when it wakes"
		: "yes: acted on at its next CHECK_FOR_INTERRUPTS()");
}
