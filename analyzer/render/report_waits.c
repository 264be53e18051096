/*
 * The IPC waits' lists and the WaitEventSet as text sections and JSON
 * members (pgmortem/report_waits.h); their scalar facts are in
 * wait_fields.c with every other kind's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render/report_render.h"

/* ---- names ---- */

static const struct { uint32_t bit; const char *name; } wl_bits[] = {
	{ PGM_WL_LATCH_SET, "latch" }, { PGM_WL_SOCKET_READABLE, "socket_readable" },
	{ PGM_WL_SOCKET_WRITEABLE, "socket_writeable" }, { PGM_WL_TIMEOUT, "timeout" },
	{ PGM_WL_POSTMASTER_DEATH, "postmaster_death" }, { PGM_WL_EXIT_ON_PM_DEATH, "exit_on_postmaster_death" },
	{ PGM_WL_SOCKET_CLOSED, "socket_closed" },
};

/* What an event waits for, in words: "latch", "socket readable", "postmaster death". */
static void event_words(uint32_t events, char *buf, size_t len)
{
	uint32_t known = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(wl_bits) / sizeof(wl_bits[0]); i++) {
		if (!(events & wl_bits[i].bit))
			continue;
		known |= wl_bits[i].bit;
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s%s", used ? ", " : "", wl_bits[i].name);
	}
	if (events & ~known) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%sbits 0x%" PRIx32, used ? ", " : "", events & ~known);
	}
	for (char *c = buf; *c; c++)
		*c = *c == '_' ? ' ' : *c;
}

/* ---- text ---- */

/* InvalidXLogRecPtr (0): "-" here, null in JSON, as pg_stat_replication shows NULL. */
static const char *lsn_text(uint64_t v, char *buf)
{
	return v ? pgm_lsn_format(v, buf) : "-";
}

static void print_timeout(FILE *out, const struct pgm_waitset *ws)
{
	if (!ws->timeout_known)
		fprintf(out, "  %-20s unknown (WaitEventSetWait's timeout is optimized out)\n", "timeout");
	else if (ws->timeout_ms < 0)
		fprintf(out, "  %-20s forever\n", "timeout");
	else
		fprintf(out, "  %-20s %" PRId64 " ms", "timeout", ws->timeout_ms);
	if (ws->timeout_known && ws->timeout_ms >= 0)
		fprintf(out, ws->remaining_known ? " (%" PRId64 " ms left at its last wakeup)\n" : "\n", ws->remaining_ms);
}

static void print_latch(FILE *out, const struct pgm_latch *l)
{
	if (!l->known) {
		fprintf(out, "  %-20s unknown\n", "latch");
		return;
	}
	fprintf(out, "  %-20s 0x%" PRIx64 "%s: %s, %s, %s, owner %d\n", "latch", l->address,
		l->from_my_latch ? " (MyLatch)" : "", l->is_set ? "SET" : "not set",
		l->maybe_sleeping ? "maybe_sleeping" : "not sleeping", l->is_shared ? "shared" : "private", l->owner_pid);
}

static void print_events(FILE *out, const struct pgm_waitset *ws)
{
	for (size_t i = 0; i < ws->n_events; i++) {
		const struct pgm_waitset_event *e = &ws->events[i];
		char what[128], label[24];
		event_words(e->events, what, sizeof(what));
		snprintf(label, sizeof(label), "event %d", e->pos);
		fprintf(out, "  %-20s %s, fd %d%s%s%s%s\n", label, what, e->fd, e->fd_target ? " (" : "",
			e->fd_target ? e->fd_target : "", e->fd_target ? ")" : "",
			(e->events & PGM_WL_POSTMASTER_DEATH) && ws->exit_on_postmaster_death ? "; exits if it dies" : "");
	}
}

static void print_waitset(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	const struct pgm_waitset *ws = &r->waitset;
	if (!ws->sleeping)
		return;
	pgm_render_heading(out, st, "Sleeping in");
	if (ws->source == PGM_WAITSET_UNKNOWN)
		fprintf(out, "  %-20s unknown: %s\n", "WaitEventSet", ws->why_unknown ? ws->why_unknown : "not found");
	else
		fprintf(out, "  %-20s 0x%" PRIx64 " (%s)\n", "WaitEventSet", ws->address,
			ws->source == PGM_WAITSET_FRAME ? "WaitEventSetWait's set" : pgm_waitset_source_name(ws->source));
	if (ws->set_known)
		fprintf(out, "  %-20s %d%s%s%s\n", "epoll fd", ws->epoll_fd, ws->epoll_fd_target ? " (" : "",
			ws->epoll_fd_target ? ws->epoll_fd_target : "", ws->epoll_fd_target ? ")" : "");
	print_timeout(out, ws);
	print_events(out, ws);
	print_latch(out, &ws->latch);
}

static void print_walsenders(FILE *out, const struct pgm_syncrep_wait *s, const struct pgm_text_style *st)
{
	if (!s->walsenders_known)
		return;
	char title[64];
	snprintf(title, sizeof(title), "Walsenders (max_wal_senders %d)", s->max_wal_senders);
	pgm_render_heading(out, st, title);
	if (!s->n_walsenders)
		fputs("  none connected\n", out);
	else
		fprintf(out, "  %-8s %-16s %-10s %-12s %-12s %-12s %-12s %s\n", "pid", "application_name", "state",
			"sent", "write", "flush", "apply", "sync priority");
	for (size_t i = 0; i < s->n_walsenders; i++) {
		const struct pgm_walsender *w = &s->walsenders[i];
		char a[PGM_LSN_LEN], b[PGM_LSN_LEN], c[PGM_LSN_LEN], d[PGM_LSN_LEN];
		fprintf(out, "  %-8d %-16s %-10s %-12s %-12s %-12s %-12s %d\n", w->pid,
			w->application_name ? w->application_name : "?", w->state ? w->state : "?",
			lsn_text(w->sent, a), lsn_text(w->write, b), lsn_text(w->flush, c),
			lsn_text(w->apply, d), w->sync_standby_priority);
	}
}

static void print_workers(FILE *out, const struct pgm_mq_wait *m, const struct pgm_text_style *st)
{
	if (!m->workers_known)
		return;
	pgm_render_heading(out, st, "Background workers of the group");
	if (!m->n_workers)
		fputs("  no slot in use\n", out);
	for (size_t i = 0; i < m->n_workers; i++) {
		const struct pgm_bgworker *w = &m->workers[i];
		fprintf(out, "  slot %-4d pid %-8d %-12s%s %s", w->slot, w->pid, pgm_bgworker_state_name(w),
			w->terminate ? " asked to terminate" : "", w->type ? w->type : "");
		if (w->wait_event.known)
			fprintf(out, "  %s%s%s", w->wait_event.type ? w->wait_event.type : "no wait event",
				w->wait_event.type ? " / " : "", w->wait_event.type ? w->wait_event.name : "");
		fprintf(out, "%s%s\n", w->task_state ? ", live " : "", w->task_state ? w->task_state : "");
	}
}

static void print_laggards(FILE *out, const struct pgm_barrier_wait *b, const struct pgm_text_style *st)
{
	if (!b->laggards_known)
		return;
	pgm_render_heading(out, st, "Not absorbed by");
	if (!b->n_laggards)
		fputs("  nobody: every slot has absorbed it\n", out);
	for (size_t i = 0; i < b->n_laggards; i++) {
		const struct pgm_barrier_laggard *l = &b->laggards[i];
		fprintf(out, "  slot %-4d pid %-8d generation %-6" PRIu64 " %s%s%s%s%s\n", l->slot, l->pid, l->generation,
			!l->wait_event.known ? "wait unknown" : l->wait_event.type ? l->wait_event.type : "no wait event",
			l->wait_event.type ? " / " : "", l->wait_event.type ? l->wait_event.name : "",
			l->task_state ? ", live " : "", l->task_state ? l->task_state : "");
	}
}

void pgm_render_waits_text(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st)
{
	switch (r->wait.kind) {
	case PGM_WAIT_SYNC_REP: print_walsenders(out, &r->wait.syncrep, st); break;
	case PGM_WAIT_MESSAGE_QUEUE: print_workers(out, &r->wait.mq, st); break;
	case PGM_WAIT_PROCSIGNAL_BARRIER: print_laggards(out, &r->wait.barrier, st); break;
	default: break;
	}
	print_waitset(out, r, st);
}

/* ---- JSON ---- */

static json_object *hex(uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

static json_object *lsn_json(uint64_t v)
{
	char buf[PGM_LSN_LEN];
	return v ? json_object_new_string(pgm_lsn_format(v, buf)) : NULL;
}


static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *events_json(uint32_t events)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < sizeof(wl_bits) / sizeof(wl_bits[0]); i++)
		if (events & wl_bits[i].bit)
			json_object_array_add(a, json_object_new_string(wl_bits[i].name));
	return a;
}

static json_object *latch_json(const struct pgm_latch *l)
{
	if (!l->known)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "address", hex(l->address));
	json_object_object_add(o, "source", json_object_new_string(l->from_my_latch ? "MyLatch" : "set"));
	json_object_object_add(o, "is_set", json_object_new_boolean(l->is_set));
	json_object_object_add(o, "maybe_sleeping", json_object_new_boolean(l->maybe_sleeping));
	json_object_object_add(o, "is_shared", json_object_new_boolean(l->is_shared));
	json_object_object_add(o, "owner_pid", json_object_new_int(l->owner_pid));
	return o;
}

static json_object *waitset_json(const struct pgm_waitset *ws)
{
	if (!ws->sleeping)
		return NULL;
	json_object *o = json_object_new_object(), *ev = ws->set_known ? json_object_new_array() : NULL;
	json_object_object_add(o, "source", json_object_new_string(pgm_waitset_source_name(ws->source)));
	json_object_object_add(o, "address", ws->source != PGM_WAITSET_UNKNOWN ? hex(ws->address) : NULL);
	json_object_object_add(o, "unknown_why", str_or_null(ws->why_unknown));
	json_object_object_add(o, "epoll_fd", ws->set_known ? json_object_new_int(ws->epoll_fd) : NULL);
	json_object_object_add(o, "epoll_fd_target", str_or_null(ws->epoll_fd_target));
	json_object_object_add(o, "timeout_ms", ws->timeout_known ? json_object_new_int64(ws->timeout_ms) : NULL);
	json_object_object_add(o, "remaining_ms", ws->remaining_known ? json_object_new_int64(ws->remaining_ms) : NULL);
	json_object_object_add(o, "exit_on_postmaster_death",
			       ws->set_known ? json_object_new_boolean(ws->exit_on_postmaster_death) : NULL);
	for (size_t i = 0; ev && i < ws->n_events; i++) {
		const struct pgm_waitset_event *e = &ws->events[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "pos", json_object_new_int(e->pos));
		json_object_object_add(x, "events", events_json(e->events));
		json_object_object_add(x, "fd", json_object_new_int(e->fd));
		json_object_object_add(x, "fd_target", str_or_null(e->fd_target));
		json_object_array_add(ev, x);
	}
	json_object_object_add(o, "events", ev);
	json_object_object_add(o, "latch", latch_json(&ws->latch));
	return o;
}

static json_object *walsenders_json(const struct pgm_syncrep_wait *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n_walsenders; i++) {
		const struct pgm_walsender *w = &s->walsenders[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "slot", json_object_new_int(w->slot));
		json_object_object_add(o, "pid", json_object_new_int(w->pid));
		json_object_object_add(o, "application_name", str_or_null(w->application_name));
		json_object_object_add(o, "state", str_or_null(w->state));
		json_object_object_add(o, "sent_lsn", lsn_json(w->sent));
		json_object_object_add(o, "write_lsn", lsn_json(w->write));
		json_object_object_add(o, "flush_lsn", lsn_json(w->flush));
		json_object_object_add(o, "replay_lsn", lsn_json(w->apply));
		json_object_object_add(o, "sync_priority", json_object_new_int(w->sync_standby_priority));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *workers_json(const struct pgm_mq_wait *m)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < m->n_workers; i++) {
		const struct pgm_bgworker *w = &m->workers[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "slot", json_object_new_int(w->slot));
		json_object_object_add(o, "pid", json_object_new_int(w->pid));
		json_object_object_add(o, "state", json_object_new_string(pgm_bgworker_state_name(w)));
		json_object_object_add(o, "terminate", json_object_new_boolean(w->terminate));
		json_object_object_add(o, "generation", json_object_new_uint64(w->generation));
		json_object_object_add(o, "type", str_or_null(w->type));
		json_object_object_add(o, "wait_event_type", w->wait_event.known ? str_or_null(w->wait_event.type) : NULL);
		json_object_object_add(o, "wait_event", w->wait_event.known ? str_or_null(w->wait_event.name) : NULL);
		json_object_object_add(o, "task_state", str_or_null(w->task_state));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *laggards_json(const struct pgm_barrier_wait *b)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < b->n_laggards; i++) {
		const struct pgm_barrier_laggard *l = &b->laggards[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "slot", json_object_new_int(l->slot));
		json_object_object_add(o, "pid", json_object_new_int(l->pid));
		json_object_object_add(o, "generation", json_object_new_uint64(l->generation));
		json_object_object_add(o, "check_mask", json_object_new_int64(l->check_mask));
		json_object_object_add(o, "sleeps_on_its_cv", json_object_new_boolean(l->waited_on));
		json_object_object_add(o, "wait_event_type", l->wait_event.known ? str_or_null(l->wait_event.type) : NULL);
		json_object_object_add(o, "wait_event", l->wait_event.known ? str_or_null(l->wait_event.name) : NULL);
		json_object_object_add(o, "task_state", str_or_null(l->task_state));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *task_json(const struct pgm_task *t)
{
	if (!t->known)
		return NULL;
	char state[2] = { t->state, 0 };
	json_object *o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "state_name", str_or_null(t->state_name));
	json_object_object_add(o, "wchan", str_or_null(t->wchan));
	json_object_object_add(o, "interval_s", json_object_new_double(t->interval_s));
	json_object_object_add(o, "cpu_s", json_object_new_double(t->cpu_s));
	json_object_object_add(o, "context_switches", json_object_new_uint64(t->switches));
	return o;
}

void pgm_render_waits_json(json_object *backend, json_object *wait, const struct pgm_report *r)
{
	const struct pgm_wait *w = &r->wait;
	if (w->kind == PGM_WAIT_SYNC_REP)
		json_object_object_add(wait, "walsenders", w->syncrep.walsenders_known ? walsenders_json(&w->syncrep) : NULL);
	if (w->kind == PGM_WAIT_MESSAGE_QUEUE)
		json_object_object_add(wait, "workers", w->mq.workers_known ? workers_json(&w->mq) : NULL);
	if (w->kind == PGM_WAIT_PROCSIGNAL_BARRIER)
		json_object_object_add(wait, "not_absorbed", w->barrier.laggards_known ? laggards_json(&w->barrier) : NULL);
	json_object_object_add(backend, "sleeping_in", waitset_json(&r->waitset));
	json_object_object_add(backend, "task", task_json(&r->task));
}
