/*
 * The verdict: lines in words, first in the report, always in this order:
 *   who it is and what it waits on;
 *   who is queued with it and who can release it;
 *   who blocks it (locks; pins, the I/O, the slot's user);
 *   what it holds that others may wait for (LWLocks; pins, an I/O);
 *   a walsender's positions;
 *   who holds a parallel scan it waits on (told by another core);
 *   whether a cancel or terminate will be served.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/storage.h"

static char *who(const struct pgm_report *r)
{
	char *s = NULL;
	const char *type = r->backend_type ? r->backend_type : "process";
	int rc = r->leader_pid ? asprintf(&s, "PID %d, %s of %d", r->pid, type, r->leader_pid)
			       : asprintf(&s, "PID %d, %s", r->pid, type);
	return rc < 0 ? NULL : s;
}

static char *cv_what(const struct pgm_report *r)
{
	const struct pgm_cv_wait *cv = &r->wait.cv;
	const struct pgm_btree_scan *b = &cv->btree;
	const char *index = b->index.name;
	char *s = NULL;
	int rc;
	if (cv->owner == PGM_CV_OWNER_BTREE_SCAN && b->state_known && b->page_status_name)
		rc = asprintf(&s, "the condition variable of a parallel btree scan%s%s (%s)",
			      index ? " of index " : "", index ? index : "", b->page_status_name);
	else if (cv->owner == PGM_CV_OWNER_BTREE_SCAN && index)   /* the scan descriptor named it */
		rc = asprintf(&s, "the condition variable of a parallel btree scan of index %s"
			      " (its scan state is not in this capture)", index);
	else if (cv->owner == PGM_CV_OWNER_BTREE_SCAN && r->wait.has_address && r->wait.address)
		rc = asprintf(&s, "the condition variable of a parallel btree scan at 0x%" PRIx64
			      " (its scan state is not in this capture)", r->wait.address);
	else if (cv->owner == PGM_CV_OWNER_BTREE_SCAN)
		rc = asprintf(&s, "the condition variable of a parallel btree scan (its scan state is not "
			      "in this capture)");
	else if (r->wait.has_address && r->wait.address)   /* never a value that was not read */
		rc = asprintf(&s, "the condition variable at 0x%" PRIx64, r->wait.address);
	else
		rc = asprintf(&s, "a condition variable (which one is unknown from this capture)");
	return rc < 0 ? NULL : s;
}

/*
 * "crashed: SIGSEGV at address 0x0, in pg_add_s64_overflow" or "was killed
 * by SIGSEGV, sent by PID 30880 while it was running (not a fault), in
 * agg_retrieve_direct": how it died comes first, then where.
 */
static char *crash_what(const struct pgm_report *r)
{
	char *s = NULL, how[96] = "", callee[320];
	const char *name = sigabbrev_np(r->signal), *where = r->crash_function;
	if (where && r->crash_in_callee) {   /* never name a function it was not in */
		snprintf(callee, sizeof(callee), "a function without a symbol that %s called", where);
		where = callee;
	}
	if (r->has_fault_address)
		snprintf(how, sizeof(how), " at address 0x%" PRIx64, r->fault_address);
	else if (r->crashed && r->signal_sender == r->pid)
		snprintf(how, sizeof(how), ", raised by itself (abort())");
	int rc = r->crashed
		? asprintf(&s, "crashed: SIG%s%s%s%s", name ? name : "?", how, where ? ", in " : "", where ? where : "")
		: r->signal_sender
		? asprintf(&s, "was killed by SIG%s, sent by PID %d while it was running (not a fault)%s%s",
			   name ? name : "?", r->signal_sender, where ? ", in " : "", where ? where : "")
		: asprintf(&s, "was killed by SIG%s while it was running%s%s", name ? name : "?",
			   where ? ", in " : "", where ? where : "");
	return rc < 0 ? NULL : s;
}

static char *event_what(const struct pgm_report *r, const char *prefix)
{
	char *s = NULL;
	int rc = r->wait_event.type ? asprintf(&s, "%s (%s / %s)", prefix, r->wait_event.type, r->wait_event.name)
				    : asprintf(&s, "%s", prefix);
	return rc < 0 ? NULL : s;
}

/* Not sleeping: name where it is, the innermost frame with a name. */
static char *running_what(const struct pgm_report *r)
{
	const struct pgm_stack *s = r->n_stacks ? r->stacks[0] : NULL;
	char *lib = NULL;
	struct pgm_error *err = pgm_running_library_frame(s, &lib);
	if (err)
		return NULL;
	if (lib) {
		char *out = NULL;
		int rc = asprintf(&out, "nothing: it is running, in %s", lib);
		free(lib);
		return rc < 0 ? NULL : out;
	}
	for (size_t f = 0; s && f < s->n_frames; f++) {
		if (!s->frames[f].function)
			continue;
		char *out = NULL;
		return asprintf(&out, "nothing: it is running, in %s", s->frames[f].function) < 0 ? NULL : out;
	}
	return strdup("nothing: it is running");
}

/* Unknown, but a frame in an extension or library says where it is (a stripped build's stack). */
static char *unknown_what(const struct pgm_report *r)
{
	char *lib = NULL, *out = NULL;
	if (pgm_running_library_frame(r->n_stacks ? r->stacks[0] : NULL, &lib))
		return NULL;
	if (!lib)
		return event_what(r, "something this capture does not show");
	int rc = asprintf(&out, "something this capture does not show; its stack is in %s", lib);
	free(lib);
	return rc < 0 ? NULL : out;
}

static char *what(const struct pgm_report *r)
{
	switch (r->wait.kind) {
	case PGM_WAIT_CONDITION_VARIABLE: return cv_what(r);
	case PGM_WAIT_CRASHED: return crash_what(r);
	case PGM_WAIT_LWLOCK:
	case PGM_WAIT_HEAVYWEIGHT_LOCK:
		if (r->wait.description)
			return strdup(r->wait.description);
		return event_what(r, r->wait.kind == PGM_WAIT_LWLOCK ? "an LWLock" : "a heavyweight lock");
	case PGM_WAIT_SOCKET: return event_what(r, "its client socket");
	case PGM_WAIT_TIMEOUT: return event_what(r, "a timeout");
	case PGM_WAIT_LATCH: return event_what(r, "its latch");
	case PGM_WAIT_NONE: return running_what(r);
	case PGM_WAIT_BUFFER_PIN:
	case PGM_WAIT_BUFFER_IO:
	case PGM_WAIT_IO:
	case PGM_WAIT_REPLICATION_SLOT: return pgm_storage_what(r);
	case PGM_WAIT_SYNC_REP:
	case PGM_WAIT_MESSAGE_QUEUE:
	case PGM_WAIT_PROCSIGNAL_BARRIER:
	case PGM_WAIT_UNSERVED_INTERRUPT:
		return pgm_waits_what(r);
	default: return unknown_what(r);
	}
}

static bool waits_own_verb(enum pgm_wait_kind k)
{
	return k == PGM_WAIT_SYNC_REP || k == PGM_WAIT_MESSAGE_QUEUE || k == PGM_WAIT_PROCSIGNAL_BARRIER ||
	       k == PGM_WAIT_UNSERVED_INTERRUPT;
}

static struct pgm_error *what_line(struct pgm_report *r)
{
	char *w = who(r), *x = what(r);
	/* the IPC kinds' words carry their own verb */
	const char *verb = r->wait.kind == PGM_WAIT_CRASHED || waits_own_verb(r->wait.kind) ? "" : "waits on ";
	struct pgm_error *err = (!w || !x) ? &pgm_enomem : pgm_report_add_verdict(r, "%s, %s%s.", w, verb, x);
	free(w);
	free(x);
	return err;
}

/* Appends ", " separated pids of waiters other than itself. */
static void append_pids(char *buf, size_t len, const struct pgm_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->wait.n_waiters; i++) {
		if (r->wait.waiters[i].is_self)
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s%d", n++ ? ", " : "", r->wait.waiters[i].pid);
	}
}

/* "Queued with 14528. Leader 14495 is not queued: it can release the wait." */
static struct pgm_error *queue_line(struct pgm_report *r)
{
	char queued[512] = "", release[512] = "";
	size_t n_release = 0;
	if (r->wait.waiters_known)
		append_pids(queued, sizeof(queued), r);
	for (size_t i = 0; i < r->n_group; i++) {
		const struct pgm_group_member *g = &r->group[i];
		if (g->is_self || g->queued_on_same != PGM_QUEUED_NO)
			continue;
		size_t used = strlen(release);
		snprintf(release + used, sizeof(release) - used, "%s%s %d", n_release++ ? ", " : "",
			 g->is_leader ? (used ? "leader" : "Leader") : (used ? "worker" : "Worker"), g->pid);
	}
	if (!*queued && !*release)
		return NULL;
	const char *rebuilt = r->wait.cv.queue_from_links ? " (as the PGPROCs' cvWaitLink chain it: the CV itself is "
							     "not in this capture)" : "";
	return pgm_report_add_verdict(r, "%s%s%s%s%s%s%s", *queued ? "Queued with " : "", queued, *queued ? rebuilt : "",
				      *queued ? "." : "", *queued && *release ? " " : "", release,
				      !*release ? "" : n_release > 1 ? " are not queued: they can release the wait."
								    : " is not queued: it can release the wait.");
}

static struct pgm_error *holders_line(struct pgm_report *r)
{
	if (r->wait.kind != PGM_WAIT_HEAVYWEIGHT_LOCK && r->wait.kind != PGM_WAIT_LWLOCK)
		return NULL;
	if (!r->wait.holders_known)
		return r->wait.kind == PGM_WAIT_LWLOCK
			? pgm_report_add_verdict(r, "The holder cannot be named from this process's capture alone "
						    "(LWLock holders are private to each backend).")
			: NULL;
	char buf[512] = "";
	for (size_t i = 0; i < r->wait.n_holders; i++) {
		const struct pgm_holder *h = &r->wait.holders[i];
		size_t used = strlen(buf);
		snprintf(buf + used, sizeof(buf) - used, "%s%d%s%s%s", i ? ", " : "", h->pid,
			 h->mode ? " (" : "", h->mode ? h->mode : "", h->mode ? ")" : "");
	}
	return *buf ? pgm_report_add_verdict(r, "Blocked by %s.", buf) : NULL;
}

/* What it holds matters to everyone queued behind it. */
static struct pgm_error *held_line(struct pgm_report *r)
{
	if (!r->interrupts.n_held_lwlocks)
		return NULL;
	char *held = pgm_held_lwlocks_text(&r->interrupts);
	if (!held)
		return &pgm_enomem;
	struct pgm_error *err = pgm_report_add_verdict(r, "It holds LWLock%s %s.",
						       r->interrupts.n_held_lwlocks > 1 ? "s" : "", held);
	free(held);
	return err;
}

static struct pgm_error *advancer_line(struct pgm_report *r)
{
	const struct pgm_scan_advancer *a = &r->wait.cv.btree.advancer;
	if (r->wait.kind != PGM_WAIT_CONDITION_VARIABLE || !a->known)
		return NULL;
	return pgm_report_add_verdict(r, "%s %d holds the scan in BTPARALLEL_ADVANCING: its core's stack is in %s.",
				      a->is_leader ? "Leader" : "Worker", a->pid, a->function);
}

static struct pgm_error *killability_line(struct pgm_report *r)
{
	return r->interrupts.verdict ? pgm_report_add_verdict(r, "Cancel/terminate: %s.", r->interrupts.verdict)
				     : NULL;
}

struct pgm_error *pgm_compose_verdict(struct pgm_report *r)
{
	static struct pgm_error *(*const lines[])(struct pgm_report *) = {
		what_line, pgm_waits_lines, queue_line, holders_line, pgm_storage_holders_line, held_line,
		pgm_storage_held_line, pgm_storage_walsender_line, advancer_line, killability_line,
	};
	pgm_report_clear_verdict(r);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct pgm_error *err = lines[i](r);
		if (err)
			return err;
	}
	return NULL;
}
