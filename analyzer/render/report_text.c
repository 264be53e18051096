/* The report as text for people: the verdict first, then the evidence. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "analysis/storage.h"
#include "render/report_render.h"
#include "render/wait_fields.h"
#include "pgmortem/render.h"

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RED "\033[31m"
#define RESET "\033[0m"

void pgm_render_heading(FILE *out, const struct pgm_text_style *st, const char *title)
{
	fprintf(out, "\n%s%s%s\n", st->color ? BOLD : "", title, st->color ? RESET : "");
}

static void print_field(void *arg, const struct pgm_field *f)
{
	FILE *out = arg;
	fprintf(out, "  %-20s ", f->key);
	switch (f->type) {
	case PGM_FIELD_STR: fputs(f->str, out); break;
	case PGM_FIELD_INT: fprintf(out, "%" PRId64, f->i); break;
	case PGM_FIELD_UINT: fprintf(out, "%" PRIu64, f->u); break;
	case PGM_FIELD_BOOL: fputs(f->b ? "true" : "false", out); break;
	case PGM_FIELD_ADDR: fprintf(out, "0x%" PRIx64, f->u); break;
	}
	if (f->note)
		fprintf(out, " (%s)", f->note);
	fputc('\n', out);
}

static void print_wait_event(FILE *out, const char *label, const struct pgm_wait_event *we)
{
	if (!we->known)
		fprintf(out, "  %-20s unknown\n", label);
	else if (!we->type)
		fprintf(out, "  %-20s none\n", label);
	else
		fprintf(out, "  %-20s %s / %s\n", label, we->type, we->name);
}

/* ---- buffers, storage and replication ---- */

static void print_candidates(FILE *out, const struct pgm_wait *w)
{
	fprintf(out, "  %-20s", "candidates");
	if (!w->pin.n_candidates)
		fputs(" none (no other process holds a lock on the relation)", out);
	for (size_t i = 0; i < w->pin.n_candidates; i++)
		fprintf(out, " %d (%s)%s", w->pin.candidates[i].pid, w->pin.candidates[i].mode ? w->pin.candidates[i].mode : "?",
			i + 1 < w->pin.n_candidates ? "," : "");
	fputc('\n', out);
}

static void print_buffer_line(FILE *out, const char *label, const struct pgm_buffer *b, const char *what,
			      int32_t self)
{
	char words[384];
	pgm_buffer_words(b, words, sizeof(words));
	fprintf(out, "  %-20s %s%s", label, what, words);
	if (b->state_known)
		fprintf(out, "; shared refcount %" PRIu32 "%s", b->refcount, b->io_in_progress ? ", I/O in progress" : "");
	if (b->state_known && b->pin_count_waiter && b->waiter_pid == self)
		fputs("; this process waits to clean it up", out);
	else if (b->state_known && b->pin_count_waiter && b->waiter_pid > 0)
		fprintf(out, "; PID %d waits to clean it up", b->waiter_pid);
	fputc('\n', out);
}

/* The pins and the I/O the process holds: private, so only its own capture shows them. */
static void print_buffers(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	const struct pgm_buffer_usage *u = &r->buffers;
	if (!u->n_pins && !u->io_in_progress)
		return;
	pgm_render_heading(out, st, "Buffers");
	for (size_t i = 0; i < u->n_pins; i++) {
		char what[32];
		snprintf(what, sizeof(what), "%d pin%s on ", u->pins[i].refcount, u->pins[i].refcount == 1 ? "" : "s");
		print_buffer_line(out, i ? "" : "pinned", &u->pins[i].buffer, what, r->pid);
	}
	if (u->pins_truncated)
		fprintf(out, "  %-20s more than %d: the rest are not shown\n", "", PGM_MAX_PINS);
	if (u->io_in_progress)
		print_buffer_line(out, "I/O in progress", &u->io_buffer, u->io_for_input ? "read of " : "write of ", r->pid);
}

static void print_walsender(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	if (!r->walsender.known)
		return;
	pgm_render_heading(out, st, "Walsender");
	pgm_my_walsender_fields(&r->walsender, print_field, out);
}

static void print_wait(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	const struct pgm_wait *w = &r->wait;
	pgm_render_heading(out, st, "Wait");
	print_wait_event(out, "wait event", &r->wait_event);
	fprintf(out, "  %-20s %s\n", "primitive", pgm_wait_kind_name(w->kind));
	if (w->has_address && w->address)   /* a NULL pointer read is no object's address */
		fprintf(out, "  %-20s 0x%" PRIx64 "\n", "object address", w->address);
	if (w->description)
		fprintf(out, "  %-20s %s\n", "object", w->description);
	pgm_wait_fields(w, print_field, out);
	if (w->waiters_known) {
		fprintf(out, "  %-20s", "queue");
		if (!w->n_waiters)
			fputs(" empty", out);
		for (size_t i = 0; i < w->n_waiters; i++)
			fprintf(out, " %d (procno %d)%s%s", w->waiters[i].pid, w->waiters[i].procno,
				w->waiters[i].is_self ? " [this process]" : "", i + 1 < w->n_waiters ? "," : "");
		fputc('\n', out);
	}
	if (w->kind == PGM_WAIT_BUFFER_PIN && w->pin.candidates_known)
		print_candidates(out, w);
	for (size_t i = 0; w->holders_known && i < w->n_holders; i++)
		fprintf(out, "  %-20s %d%s%s%s%s\n", i ? "" : "held by", w->holders[i].pid,
			w->holders[i].mode ? " " : "", w->holders[i].mode ? w->holders[i].mode : "",
			w->holders[i].evidence ? " — " : "", w->holders[i].evidence ? w->holders[i].evidence : "");
}

static void print_group(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	static const char *const queued[] = { "queue unknown", "queued on the same CV", "NOT queued" };
	if (!r->n_group)
		return;
	pgm_render_heading(out, st, "Parallel group");
	/* "the same CV" only means something when this process sleeps on one */
	bool on_cv = r->wait.kind == PGM_WAIT_CONDITION_VARIABLE;
	for (size_t i = 0; i < r->n_group; i++) {
		const struct pgm_group_member *g = &r->group[i];
		const char *event = g->wait_event.type ? g->wait_event.name : "running / no wait event";
		if (on_cv)
			fprintf(out, "  %-7s %-8d %-28s %s%s\n", g->is_leader ? "leader" : "worker", g->pid, event,
				queued[g->queued_on_same], g->is_self ? "  [this process]" : "");
		else
			fprintf(out, "  %-7s %-8d %s%s\n", g->is_leader ? "leader" : "worker", g->pid, event,
				g->is_self ? "  [this process]" : "");
	}
}

static void print_counter(FILE *out, const char *name, const struct pgm_counter *c)
{
	if (c->known)
		fprintf(out, "  %-24s %" PRId64 "\n", name, c->value);
	else
		fprintf(out, "  %-24s unknown\n", name);
}

static void print_interrupts(FILE *out, const struct pgm_interrupts *in, const struct pgm_text_style *st)
{
	pgm_render_heading(out, st, "Interrupts");
	fprintf(out, "  %-24s %s\n", "killable", pgm_killable_name(in->killable));
	print_counter(out, "InterruptPending", &in->interrupt_pending);
	print_counter(out, "QueryCancelPending", &in->query_cancel_pending);
	print_counter(out, "ProcDiePending", &in->proc_die_pending);
	print_counter(out, "InterruptHoldoffCount", &in->interrupt_holdoff);
	print_counter(out, "QueryCancelHoldoffCount", &in->query_cancel_holdoff);
	print_counter(out, "CritSectionCount", &in->crit_section);
	if (!in->held_lwlocks_known)
		fprintf(out, "  %-24s unknown\n", "held LWLocks");
	else if (!in->n_held_lwlocks)
		fprintf(out, "  %-24s none\n", "held LWLocks");
	for (size_t i = 0; i < in->n_held_lwlocks; i++)
		fprintf(out, "  %-24s %s (%s) at 0x%" PRIx64 "\n", i ? "" : "held LWLocks",
			in->held_lwlocks[i].name ? in->held_lwlocks[i].name : "unknown (lock not captured)",
			in->held_lwlocks[i].mode, in->held_lwlocks[i].address);
}

const char *pgm_missing_hint(enum pgm_missing_cause cause)
{
	switch (cause) {
	case PGM_MISSING_DSM_SEGMENT:
		return "DSM segments are left out by gcore and by kernel cores with the default coredump_filter; "
		       "pgmortem snapshot PID captures them, and for a kernel core set bit 3 (0x08) of "
		       "/proc/PID/coredump_filter before the dump";
	case PGM_MISSING_UNCAPTURED:
		break;
	}
	return NULL;
}

/* Each missing object, then each cause's hint once. */
static void print_missing(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	/* one bit per cause: the hints said in this report, or in the whole output when the caller keeps them */
	_Static_assert(PGM_MISSING_DSM_SEGMENT < 32, "a missing cause is a bit of an unsigned");
	unsigned own = 0, *said = st->hints_said ? st->hints_said : &own;
	if (!r->n_missing)
		return;
	pgm_render_heading(out, st, "Not in this capture");
	for (size_t i = 0; i < r->n_missing; i++) {
		const struct pgm_missing *m = &r->missing[i];
		fprintf(out, "  %s at 0x%" PRIx64 " lies in %s, which this capture does not contain\n",
			m->what, m->address, m->mapping ? m->mapping : "an anonymous mapping");
	}
	for (size_t i = 0; i < r->n_missing; i++) {
		enum pgm_missing_cause c = r->missing[i].cause;
		const char *hint = pgm_missing_hint(c);
		if (hint && !(*said & 1u << c))
			fprintf(out, "  next time: %s\n", hint);
		*said |= 1u << c;
	}
}

static void print_source(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	char sig[32];
	pgm_render_heading(out, st, "Process");
	fprintf(out, "  %-20s %d\n", "pid", r->pid);
	if (r->procno >= 0)
		fprintf(out, "  %-20s %d\n", "procno", r->procno);
	if (r->cmdline)
		fprintf(out, "  %-20s %s\n", "command line", r->cmdline);
	if (r->backend_type)
		fprintf(out, "  %-20s %s%s\n", "backend type", r->backend_type,
			r->type_from_cmdline ? " (from its command line)" : "");
	if (r->leader_pid)
		fprintf(out, "  %-20s %d\n", "parallel leader", r->leader_pid);
	if (r->database_oid)
		fprintf(out, "  %-20s %u\n", "database oid", r->database_oid);
	fprintf(out, "  %-20s PostgreSQL %s, %s%s\n", "server", r->pg_version ? r->pg_version : "(version unknown)",
		r->executable ? r->executable : "?", r->debuginfo ? "" : " (no debuginfo)");
	pgm_render_layout_origin_text(out, "layouts", &r->layout);
	if (r->on_demand)
		fprintf(out, "  %-20s %s (%s)\n", "capture", r->source_path, "captured on demand");
	else
		fprintf(out, "  %-20s %s (killed by %s)\n", "capture", r->source_path,
			pgm_signal_name(r->signal, sig, sizeof(sig)));
	if (r->bundle_path)
		fprintf(out, "  %-20s %s%s\n", "bundle", r->bundle_path,
			r->bundle_redacted ? " (redacted: query texts, application names, client "
					     "addresses, user and database names)" : "");
	if (r->query)
		fprintf(out, "  %-20s %s\n", "query", r->query);
}

void pgm_render_report_text(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	for (size_t i = 0; i < r->n_verdict; i++)
		fprintf(out, "%s%s%s\n", st->color && i == 0 ? BOLD : "", r->verdict[i],
			st->color && i == 0 ? RESET : "");
	for (size_t i = 0; i < r->n_diagnosis; i++)
		fprintf(out, "%s!%s %s\n", st->color ? RED : "", st->color ? RESET : "", r->diagnosis[i].message);
	print_source(out, r, st);
	if (r->is_backend) {
		print_wait(out, r, st);
		pgm_render_waits_text(out, r, st);
		print_group(out, r, st);
		print_buffers(out, r, st);
		print_walsender(out, r, st);
		print_interrupts(out, &r->interrupts, st);
	}
	print_missing(out, r, st);
	for (size_t i = 0; i < r->n_stacks; i++) {
		pgm_render_heading(out, st, "Stack");
		pgm_render_stack_text(out, r->stacks[i]);
	}
}
