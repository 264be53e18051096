/*
 * The IPC waits in words (pgmortem/report_waits.h): synchronous
 * replication, message queues, ProcSignal barriers, interrupts that are
 * not served, and the WaitEventSet a process sleeps in.  Pure: the facts
 * were decoded before; this file decides what they mean.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "model/model.h"

/* ---- a pending cancel or terminate that is not served ---- */

/* The C library and the loader: how a process sleeps or calls the kernel, not where it is stuck. */
static bool is_libc(const struct pgm_module *m)
{
	static const char *const prefixes[] = { "libc.so", "libc-", "ld-linux", "libpthread", "linux-vdso", "[vdso]" };
	const char *base = m->name ? strrchr(m->name, '/') : NULL;
	base = base ? base + 1 : m->name ? m->name : "";
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/*
 * Where it runs: the innermost frame in neither the executable nor libc (an
 * extension calling pg_usleep or poll is in the extension), else the
 * innermost frame of the executable.
 */
static struct pgm_error *locate(const struct pgm_stack *s, struct pgm_unserved_wait *u)
{
	int pg_frame = -1;
	for (size_t f = 0; s && f < s->n_frames; f++) {
		const struct pgm_frame *fr = &s->frames[f];
		if (fr->signal_frame || !fr->module)
			continue;
		if (fr->module->is_main) {
			if (pg_frame < 0 && fr->function)
				pg_frame = (int)f;
			continue;
		}
		if (is_libc(fr->module))
			continue;
		u->frame = (int)fr->index;
		struct pgm_error *err = pgm_model_strdup(&u->function, fr->function ? fr->function : "??");
		return err ? err : pgm_model_strdup(&u->library, base_name(fr->module->name ? fr->module->name : "?"));
	}
	if (pg_frame < 0)
		return NULL;
	u->frame = (int)s->frames[pg_frame].index;
	return pgm_model_strdup(&u->function, s->frames[pg_frame].function);
}

struct pgm_error *pgm_running_library_frame(const struct pgm_stack *s, char **ret)
{
	struct pgm_unserved_wait u = { 0 };
	*ret = NULL;
	struct pgm_error *err = locate(s, &u);
	if (!err && u.library && asprintf(ret, "%s of %s", u.function, u.library) < 0)
		err = &pgm_enomem;
	free(u.function);
	free(u.library);
	return err;
}

static bool pending(const struct pgm_counter *c)
{
	return c->known && c->value != 0;
}

struct pgm_error *pgm_classify_unserved(struct pgm_report *r)
{
	const struct pgm_interrupts *in = &r->interrupts;
	if (r->wait.kind != PGM_WAIT_NONE || !(pending(&in->proc_die_pending) || pending(&in->query_cancel_pending)))
		return NULL;
	r->wait.kind = PGM_WAIT_UNSERVED_INTERRUPT;
	return locate(r->n_stacks ? r->stacks[0] : NULL, &r->wait.unserved);
}

/* CHECK_FOR_INTERRUPTS does nothing now: the reason is not the missing call. */
static bool held_off(const struct pgm_interrupts *in)
{
	return pending(&in->interrupt_holdoff) || pending(&in->crit_section) ||
	       (!pending(&in->proc_die_pending) && pending(&in->query_cancel_holdoff));
}

static const char *pending_what(const struct pgm_interrupts *in)
{
	return pending(&in->proc_die_pending) && pending(&in->query_cancel_pending) ? "terminate and a cancel"
	       : pending(&in->proc_die_pending) ? "terminate" : "cancel";
}

/* "pgm_loop_forever of pgm_loop.so", "ProcessInterrupts in postgres" */
static void where_words(const struct pgm_unserved_wait *u, char *buf, size_t len)
{
	if (!u->function)
		snprintf(buf, len, "code this capture cannot name");
	else if (u->library)
		snprintf(buf, len, "%s of %s", u->function, u->library);
	else
		snprintf(buf, len, "%s in postgres itself", u->function);
}

/* ---- synchronous replication ---- */

static bool is_candidate(const struct pgm_walsender *w)
{
	return w->sync_standby_priority > 0;
}

static enum pgm_syncrep_why syncrep_why(const struct pgm_syncrep_wait *s)
{
	if ((s->state_known && s->state == 2) ||
	    (s->released_known && s->lsn_known && s->released_lsn >= s->lsn))
		return PGM_SYNCREP_WHY_NOT_WOKEN;
	if (!s->walsenders_known)
		return PGM_SYNCREP_WHY_UNKNOWN;
	for (size_t i = 0; i < s->n_walsenders; i++)
		if (is_candidate(&s->walsenders[i]))
			return PGM_SYNCREP_WHY_BEHIND;
	return PGM_SYNCREP_WHY_NO_STANDBY;
}

static const char *mode_verb(enum pgm_syncrep_mode m)
{
	switch (m) {
	case PGM_SYNCREP_MODE_WRITE: return "write";
	case PGM_SYNCREP_MODE_FLUSH: return "flush";
	case PGM_SYNCREP_MODE_APPLY: return "apply";
	default: return "confirm";
	}
}

static uint64_t standby_position(const struct pgm_walsender *w, enum pgm_syncrep_mode m)
{
	return m == PGM_SYNCREP_MODE_WRITE ? w->write : m == PGM_SYNCREP_MODE_APPLY ? w->apply : w->flush;
}

/* "'other' (walsender 123, streaming, flush 0/3000000)": the walsenders that are (or are not) candidates. */
static size_t walsender_list(const struct pgm_syncrep_wait *s, bool candidates, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n_walsenders; i++) {
		const struct pgm_walsender *w = &s->walsenders[i];
		if (is_candidate(w) != candidates)
			continue;
		char lsn[PGM_LSN_LEN];
		uint64_t pos = standby_position(w, s->mode);
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s'%s' (walsender %d, %s, %s %s)", n++ ? ", " : "",
			 w->application_name ? w->application_name : "?", w->pid, w->state ? w->state : "?",
			 mode_verb(s->mode), pos ? pgm_lsn_format(pos, lsn) : "none yet");
	}
	return n;
}

static struct pgm_error *syncrep_line(struct pgm_report *r)
{
	const struct pgm_syncrep_wait *s = &r->wait.syncrep;
	const char *names = s->standby_names ? s->standby_names : "(unknown)";
	char list[768], lsn[PGM_LSN_LEN];
	size_t n;
	switch (s->why) {
	case PGM_SYNCREP_WHY_NO_STANDBY:
		if (!s->n_walsenders)
			return pgm_report_add_verdict(r, "No standby is connected (no walsender), and "
				"synchronous_standby_names is '%s': nothing will confirm it until a matching standby connects.", names);
		n = walsender_list(s, false, list, sizeof(list));
		return pgm_report_add_verdict(r, "No connected standby matches synchronous_standby_names '%s': %s %s "
			"not a synchronous candidate.", names, list, n > 1 ? "are" : "is");
	case PGM_SYNCREP_WHY_BEHIND:
		n = walsender_list(s, true, list, sizeof(list));
		return pgm_report_add_verdict(r, "Synchronous standby%s behind it: %s.", n > 1 ? "s" : "", list);
	case PGM_SYNCREP_WHY_NOT_WOKEN:
		return pgm_report_add_verdict(r, "Its wait is over (syncRepState %s, walsenders released up to %s) "
			"but it has not woken up.", s->state_known ? pgm_syncrep_state_name(s->state) : "unknown",
			s->released_known ? pgm_lsn_format(s->released_lsn, lsn) : "an unknown LSN");
	case PGM_SYNCREP_WHY_UNKNOWN:
		break;
	}
	return NULL;
}

/* ---- message queues ---- */

static void wait_event_words(const struct pgm_wait_event *we, const char *task, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s", !we->known ? "its wait unknown" : we->type ? "waits on " : "running / no wait event",
		 we->type ? we->type : "", we->type ? " / " : "", we->type ? we->name : "",
		 task ? "; live: " : "", task ? task : "");
}

/* "slot 1 running as 124: waits on IPC / MessageQueueSend; slot 2 not started" */
static struct pgm_error *workers_line(struct pgm_report *r)
{
	const struct pgm_mq_wait *m = &r->wait.mq;
	char list[1024] = "";
	if (!m->workers_known)
		return NULL;
	for (size_t i = 0; i < m->n_workers; i++) {
		const struct pgm_bgworker *w = &m->workers[i];
		char state[256] = "", words[224];
		if (w->pid > 0) {
			wait_event_words(&w->wait_event, w->task_state, words, sizeof(words));
			snprintf(state, sizeof(state), " as %d: %s", w->pid, words);
		}
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%sslot %d %s%s%s", i ? "; " : "", w->slot,
			 pgm_bgworker_state_name(w), state, w->terminate ? " (asked to terminate)" : "");
	}
	return pgm_report_add_verdict(r, "Background-worker slots of the group: %s.", *list ? list : "none in use");
}

static struct pgm_error *mq_line(struct pgm_report *r)
{
	const struct pgm_mq_wait *m = &r->wait.mq;
	const char *end = m->op == PGM_MQ_OP_SEND ? "receiver" : "sender";
	struct pgm_error *err = NULL;
	char state[256];
	if (m->counterpart_pid) {
		wait_event_words(&m->counterpart_wait_event, m->counterpart_task_state, state, sizeof(state));
		err = pgm_report_add_verdict(r, "Its %s is %s %d: %s.", end,
					     m->counterpart_is_leader ? "leader" : "process", m->counterpart_pid, state);
	} else if (m->op != PGM_MQ_OP_UNKNOWN && !m->gather) {
		err = pgm_report_add_verdict(r, "Its %s is not known from this capture.", end);
	}
	if (!err && m->mq.known && m->mq.detached)
		err = pgm_report_add_verdict(r, "The queue is detached: its other end has gone.");
	return err ? err : workers_line(r);
}

static char *mq_what(const struct pgm_report *r)
{
	const struct pgm_mq_wait *m = &r->wait.mq;
	const struct pgm_shm_mq *q = &m->mq;
	char *s = NULL;
	int rc;
	if (m->gather)
		rc = asprintf(&s, "its parallel workers' tuple queues (Gather): none has a tuple for it");
	else if (m->op == PGM_MQ_OP_SEND && q->known)
		rc = asprintf(&s, "a full message queue at 0x%" PRIx64 " (%" PRIu64 " of its %" PRIu64 " bytes unread)",
			      r->wait.address, q->bytes_written - q->bytes_read, q->ring_size);
	else if (m->op == PGM_MQ_OP_RECEIVE && q->known)
		rc = asprintf(&s, "an empty message queue at 0x%" PRIx64 " (%" PRIu64 " bytes written, all read)",
			      r->wait.address, q->bytes_written);
	else if (m->op == PGM_MQ_OP_ATTACH)
		rc = asprintf(&s, "the other end of a message queue to attach");
	else
		rc = asprintf(&s, "a message queue to %s%s", m->op == PGM_MQ_OP_RECEIVE ? "receive from" : "send to",
			      r->wait.has_address ? " (the queue is not in this capture)" : "");
	return rc < 0 ? NULL : s;
}

/* ---- ProcSignal barriers ---- */

static struct pgm_error *barrier_line(struct pgm_report *r)
{
	const struct pgm_barrier_wait *b = &r->wait.barrier;
	if (!b->laggards_known)
		return NULL;
	if (!b->n_laggards)
		return pgm_report_add_verdict(r, "Every process has absorbed it now: the wait ends at its next check.");
	char list[1024] = "";
	for (size_t i = 0; i < b->n_laggards; i++) {
		const struct pgm_barrier_laggard *l = &b->laggards[i];
		char state[256];
		wait_event_words(&l->wait_event, l->task_state, state, sizeof(state));
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%d (%s%s)", i ? ", " : "", l->pid, state,
			 l->waited_on ? "; the one it sleeps on now" : "");
	}
	return pgm_report_add_verdict(r, "Not absorbed by %s.", list);
}

static char *barrier_what(const struct pgm_report *r)
{
	const struct pgm_barrier_wait *b = &r->wait.barrier;
	char *s = NULL;
	int rc = !b->generation_known ? asprintf(&s, "a ProcSignalBarrier every process must absorb")
		: asprintf(&s, "ProcSignalBarrier generation %" PRIu64 "%s, which every process must absorb",
			   b->generation, b->generation_from_frame ? "" : " (the newest)");
	return rc < 0 ? NULL : s;
}

/* ---- the live task ---- */

/* Two samples apart: on a CPU, in short sleeps (a loop of pg_usleep), or blocked in one wait. */
static struct pgm_error *task_line(struct pgm_report *r)
{
	const struct pgm_task *t = &r->task;
	const char *state = t->state_name ? t->state_name : "?";
	if (!t->known)
		return NULL;
	if (t->cpu_s >= t->interval_s / 2)
		return pgm_report_add_verdict(r, "Live: running on a CPU (state %s; %.2f s of CPU in %.2f s).", state,
					      t->cpu_s, t->interval_s);
	if (t->cpu_s > 0 || t->switches > 0)
		return pgm_report_add_verdict(r, "Live: running, in short sleeps: %.3f s of CPU and %" PRIu64
					      " context switches in %.2f s (state now %s%s%s).", t->cpu_s, t->switches,
					      t->interval_s, state, t->wchan ? ", wchan " : "", t->wchan ? t->wchan : "");
	return pgm_report_add_verdict(r, "Live: blocked in the kernel (state %s, wchan %s): no CPU time and no "
				      "context switch in %.2f s.", state, t->wchan ? t->wchan : "none", t->interval_s);
}

static struct pgm_error *unserved_line(struct pgm_report *r)
{
	const struct pgm_interrupts *in = &r->interrupts;
	return pgm_report_add_verdict(r, "Pending: ProcDiePending=%" PRId64 ", QueryCancelPending=%" PRId64
		", InterruptPending=%" PRId64 "; held off: InterruptHoldoffCount=%" PRId64 ", QueryCancelHoldoffCount=%"
		PRId64 ", CritSectionCount=%" PRId64 ".", in->proc_die_pending.value, in->query_cancel_pending.value,
		in->interrupt_pending.value, in->interrupt_holdoff.value, in->query_cancel_holdoff.value,
		in->crit_section.value);
}

/* ---- entry points (analysis.h) ---- */

char *pgm_waits_what(const struct pgm_report *r)
{
	char *s = NULL, where[256];
	switch (r->wait.kind) {
	case PGM_WAIT_SYNC_REP: {
		const struct pgm_syncrep_wait *sr = &r->wait.syncrep;
		char lsn[PGM_LSN_LEN];
		int rc = sr->lsn_known ? asprintf(&s, "waits on a synchronous standby to %s LSN %s", mode_verb(sr->mode),
						  pgm_lsn_format(sr->lsn, lsn))
				       : asprintf(&s, "waits on a synchronous standby (SyncRepWaitForLSN)");
		return rc < 0 ? NULL : s;
	}
	case PGM_WAIT_MESSAGE_QUEUE:
	case PGM_WAIT_PROCSIGNAL_BARRIER: {
		char *x = r->wait.kind == PGM_WAIT_MESSAGE_QUEUE ? mq_what(r) : barrier_what(r);
		int rc = x ? asprintf(&s, "waits on %s", x) : -1;
		free(x);
		return rc < 0 ? NULL : s;
	}
	case PGM_WAIT_UNSERVED_INTERRUPT:
		where_words(&r->wait.unserved, where, sizeof(where));
		return asprintf(&s, "does not serve a pending %s: it runs %s, %s", pending_what(&r->interrupts), where,
				held_off(&r->interrupts) ? "with interrupts held off"
							 : "which does not reach CHECK_FOR_INTERRUPTS()") < 0 ? NULL : s;
	default:
		return NULL;
	}
}

struct pgm_error *pgm_waits_lines(struct pgm_report *r)
{
	struct pgm_error *err = NULL;
	switch (r->wait.kind) {
	case PGM_WAIT_SYNC_REP: err = syncrep_line(r); break;
	case PGM_WAIT_MESSAGE_QUEUE: err = mq_line(r); break;
	case PGM_WAIT_PROCSIGNAL_BARRIER: err = barrier_line(r); break;
	case PGM_WAIT_UNSERVED_INTERRUPT: err = unserved_line(r); break;
	default: break;
	}
	return err ? err : task_line(r);
}

static struct pgm_error *set_killable(struct pgm_interrupts *in, enum pgm_killable k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct pgm_error *set_killable(struct pgm_interrupts *in, enum pgm_killable k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(in->verdict);
	int rc = vasprintf(&in->verdict, fmt, ap);
	va_end(ap);
	in->killable = k;
	if (rc < 0)
		return in->verdict = NULL, &pgm_enomem;
	return NULL;
}

bool pgm_waits_killability(struct pgm_report *r, struct pgm_error **err)
{
	struct pgm_interrupts *in = &r->interrupts;
	char where[256];
	switch (r->wait.kind) {
	case PGM_WAIT_UNSERVED_INTERRUPT:
		where_words(&r->wait.unserved, where, sizeof(where));
		*err = set_killable(in, PGM_KILLABLE_NO,
			"no: a %s is pending and not served while it runs %s%s; pg_cancel_backend and "
			"pg_terminate_backend return true and nothing happens. SIGKILL ends it, and the postmaster "
			"then restarts every backend", pending_what(in), where, held_off(in) ? " with interrupts held off" : "");
		return true;
	case PGM_WAIT_SYNC_REP:
		/*
		 * The commit holds interrupts off (CommitTransaction), so
		 * CHECK_FOR_INTERRUPTS would do nothing; SyncRepWaitForLSN reads
		 * ProcDiePending and QueryCancelPending itself on every wakeup.
		 */
		*err = set_killable(in, PGM_KILLABLE_YES,
			"yes, but the commit stays: the transaction is already committed locally; a cancel ends the "
			"wait with a WARNING and the commit may be missing on the standby, a terminate does the same "
			"and closes the connection");
		return true;
	default:
		return false;
	}
}

/* "a set latch nobody consumes", and a wakeup that did not arrive */
static struct pgm_error *latch_findings(struct pgm_report *r)
{
	const struct pgm_waitset *ws = &r->waitset;
	if (!ws->sleeping || !ws->latch.known || !ws->latch.is_set)
		return NULL;
	bool waits_for_latch = false;
	for (size_t i = 0; i < ws->n_events; i++)
		waits_for_latch |= (ws->events[i].events & PGM_WL_LATCH_SET) != 0;
	if (ws->set_known && !waits_for_latch)
		return pgm_report_add_diagnosis(r, "latch-set-unconsumed",
			"its latch at 0x%" PRIx64 " is set, but the WaitEventSet it sleeps in does not wait for the latch: "
			"nobody consumes the wakeup until this wait ends%s", ws->latch.address,
			ws->timeout_known && ws->timeout_ms < 0 ? " (no timeout: possibly never)" : "");
	return pgm_report_add_diagnosis(r, "latch-set-while-sleeping",
		"its latch at 0x%" PRIx64 " is set while it sleeps in epoll_wait%s: the wakeup was lost, "
		"or arrived at the instant of the capture", ws->latch.address,
		ws->set_known ? " on a set that waits for the latch" : "");
}

struct pgm_error *pgm_explain_waits(struct pgm_report *r)
{
	if (r->wait.kind == PGM_WAIT_SYNC_REP)
		r->wait.syncrep.why = syncrep_why(&r->wait.syncrep);
	return latch_findings(r);
}
