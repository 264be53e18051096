/* The report as JSON ("schema": 1): the stable interface for programs. */
#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "render/report_render.h"
#include "render/wait_fields.h"
#include "pgmortem/render.h"

static json_object *hex(uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *counter(const struct pgm_counter *c)
{
	return c->known ? json_object_new_int64(c->value) : NULL;
}

static void add_field(void *arg, const struct pgm_field *x)
{
	json_object *v = NULL;
	switch (x->type) {
	case PGM_FIELD_STR: v = str_or_null(x->str); break;
	case PGM_FIELD_INT: v = json_object_new_int64(x->i); break;
	case PGM_FIELD_UINT: v = json_object_new_uint64(x->u); break;
	case PGM_FIELD_BOOL: v = json_object_new_boolean(x->b); break;
	case PGM_FIELD_ADDR: v = hex(x->u); break;
	}
	json_object_object_add(arg, x->key, v);
}

static json_object *object_json(const struct pgm_wait *w)
{
	json_object *o = json_object_new_object();
	pgm_wait_fields(w, add_field, o);
	return o;
}

static json_object *wait_event_json(const struct pgm_wait_event *we)
{
	if (!we->known)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", str_or_null(we->type));
	json_object_object_add(o, "name", str_or_null(we->name));
	json_object_object_add(o, "info", json_object_new_int64(we->info));
	return o;
}

static json_object *missing_json(const struct pgm_report *r)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < r->n_missing; i++) {
		const struct pgm_missing *m = &r->missing[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "what", json_object_new_string(m->what));
		json_object_object_add(o, "address", hex(m->address));
		json_object_object_add(o, "mapping", str_or_null(m->mapping));
		json_object_object_add(o, "hint", str_or_null(pgm_missing_hint(m->cause)));
		json_object_array_add(a, o);
	}
	return a;
}

/* ---- buffers, storage and replication ---- */

static json_object *candidates_json(const struct pgm_wait *w)
{
	if (w->kind != PGM_WAIT_BUFFER_PIN || !w->pin.candidates_known)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < w->pin.n_candidates; i++) {
		json_object *x = json_object_new_object();
		json_object_object_add(x, "pid", json_object_new_int(w->pin.candidates[i].pid));
		json_object_object_add(x, "mode", str_or_null(w->pin.candidates[i].mode));
		json_object_array_add(a, x);
	}
	return a;
}

static json_object *buffer_json(const struct pgm_buffer *b)
{
	json_object *o = json_object_new_object();
	pgm_buffer_fields(b, add_field, o);
	return o;
}

/* What the process holds of the shared buffers: its pins, the I/O it does. */
static json_object *buffers_json(const struct pgm_report *r)
{
	const struct pgm_buffer_usage *u = &r->buffers;
	if (!u->pins_known && !u->io_known)
		return NULL;
	json_object *o = json_object_new_object(), *pins = NULL;
	if (u->pins_known) {
		pins = json_object_new_array();
		for (size_t i = 0; i < u->n_pins; i++) {
			json_object *x = buffer_json(&u->pins[i].buffer);
			json_object_object_add(x, "private_refcount", json_object_new_int(u->pins[i].refcount));
			json_object_array_add(pins, x);
		}
	}
	json_object_object_add(o, "pins", pins);
	json_object_object_add(o, "pins_truncated", json_object_new_boolean(u->pins_truncated));
	json_object *io = NULL;
	if (u->io_known && u->io_in_progress) {
		io = buffer_json(&u->io_buffer);
		json_object_object_add(io, "for_input", json_object_new_boolean(u->io_for_input));
	}
	json_object_object_add(o, "io_in_progress", io);
	return o;
}

static json_object *walsender_json(const struct pgm_my_walsender *ws)
{
	if (!ws->known)
		return NULL;
	json_object *o = json_object_new_object();
	pgm_my_walsender_fields(ws, add_field, o);
	return o;
}

static json_object *wait_json(const struct pgm_report *r)
{
	const struct pgm_wait *w = &r->wait;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(pgm_wait_kind_name(w->kind)));
	json_object_object_add(o, "address", w->has_address ? hex(w->address) : NULL);
	json_object_object_add(o, "object_kind", str_or_null(w->object_kind));
	json_object_object_add(o, "description", str_or_null(w->description));
	json_object_object_add(o, "object", object_json(w));
	json_object *ws = NULL;
	if (w->waiters_known) {
		ws = json_object_new_array();
		for (size_t i = 0; i < w->n_waiters; i++) {
			json_object *x = json_object_new_object();
			json_object_object_add(x, "procno", json_object_new_int(w->waiters[i].procno));
			json_object_object_add(x, "pid", json_object_new_int(w->waiters[i].pid));
			json_object_object_add(x, "self", json_object_new_boolean(w->waiters[i].is_self));
			json_object_array_add(ws, x);
		}
	}
	json_object_object_add(o, "waiters", ws);
	json_object *hs = NULL;
	if (w->holders_known) {
		hs = json_object_new_array();
		for (size_t i = 0; i < w->n_holders; i++) {
			json_object *x = json_object_new_object();
			json_object_object_add(x, "pid", json_object_new_int(w->holders[i].pid));
			json_object_object_add(x, "mode", str_or_null(w->holders[i].mode));
			json_object_object_add(x, "evidence", str_or_null(w->holders[i].evidence));
			json_object_array_add(hs, x);
		}
	}
	json_object_object_add(o, "holders", hs);
	if (w->kind == PGM_WAIT_BUFFER_PIN)
		json_object_object_add(o, "candidates", candidates_json(w));
	json_object_object_add(o, "missing", missing_json(r));
	return o;
}

static json_object *interrupts_json(const struct pgm_interrupts *in)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "InterruptPending", counter(&in->interrupt_pending));
	json_object_object_add(o, "QueryCancelPending", counter(&in->query_cancel_pending));
	json_object_object_add(o, "ProcDiePending", counter(&in->proc_die_pending));
	json_object_object_add(o, "InterruptHoldoffCount", counter(&in->interrupt_holdoff));
	json_object_object_add(o, "QueryCancelHoldoffCount", counter(&in->query_cancel_holdoff));
	json_object_object_add(o, "CritSectionCount", counter(&in->crit_section));
	json_object *held = NULL;
	if (in->held_lwlocks_known) {
		held = json_object_new_array();
		for (size_t i = 0; i < in->n_held_lwlocks; i++) {
			json_object *x = json_object_new_object();
			json_object_object_add(x, "name", str_or_null(in->held_lwlocks[i].name));
			json_object_object_add(x, "mode", str_or_null(in->held_lwlocks[i].mode));
			json_object_object_add(x, "address", hex(in->held_lwlocks[i].address));
			json_object_array_add(held, x);
		}
	}
	json_object_object_add(o, "held_lwlocks", held);
	json_object_object_add(o, "killable", json_object_new_string(pgm_killable_name(in->killable)));
	json_object_object_add(o, "verdict", str_or_null(in->verdict));
	return o;
}

static json_object *group_json(const struct pgm_report *r)
{
	json_object *a = json_object_new_array();
	static const char *const queued[] = { "unknown", "yes", "no" };
	for (size_t i = 0; i < r->n_group; i++) {
		const struct pgm_group_member *g = &r->group[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "pid", json_object_new_int(g->pid));
		json_object_object_add(o, "procno", json_object_new_int(g->procno));
		json_object_object_add(o, "role", json_object_new_string(g->is_leader ? "leader" : "worker"));
		json_object_object_add(o, "self", json_object_new_boolean(g->is_self));
		json_object_object_add(o, "wait_event", wait_event_json(&g->wait_event));
		json_object_object_add(o, "queued_on_same", json_object_new_string(queued[g->queued_on_same]));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *backend_json(const struct pgm_report *r)
{
	if (!r->is_backend && !r->pid)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "procno", r->procno >= 0 ? json_object_new_int(r->procno) : NULL);
	json_object_object_add(o, "backend_type", str_or_null(r->backend_type));
	json_object_object_add(o, "leader_pid", r->leader_pid ? json_object_new_int(r->leader_pid) : NULL);
	json_object_object_add(o, "database_oid", r->database_oid ? json_object_new_int64(r->database_oid) : NULL);
	json_object_object_add(o, "query", str_or_null(r->query));
	json_object_object_add(o, "wait_event", wait_event_json(&r->wait_event));
	json_object *wait = wait_json(r);
	json_object_object_add(o, "wait", wait);
	pgm_render_waits_json(o, wait, r);
	json_object_object_add(o, "group", group_json(r));
	json_object_object_add(o, "interrupts", interrupts_json(&r->interrupts));
	if (r->buffers.pins_known || r->buffers.io_known)
		json_object_object_add(o, "buffers", buffers_json(r));
	if (r->walsender.known)
		json_object_object_add(o, "walsender", walsender_json(&r->walsender));
	return o;
}

static json_object *source_json(const struct pgm_report *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", str_or_null(r->source_kind));
	json_object_object_add(o, "path", str_or_null(r->source_path));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "cmdline", str_or_null(r->cmdline));
	char sig[32];
	json_object_object_add(o, "signal", r->signal ? json_object_new_string(pgm_signal_name(r->signal, sig, sizeof(sig))) : NULL);
	json_object_object_add(o, "signal_number", r->signal ? json_object_new_int(r->signal) : NULL);
	json_object_object_add(o, "fault_address", r->has_fault_address ? hex(r->fault_address) : NULL);
	json_object_object_add(o, "on_demand", json_object_new_boolean(r->on_demand));
	json_object *b = NULL;
	if (r->bundle_path) {
		b = json_object_new_object();
		json_object_object_add(b, "path", json_object_new_string(r->bundle_path));
		json_object_object_add(b, "redacted", json_object_new_boolean(r->bundle_redacted));
	}
	json_object_object_add(o, "bundle", b);
	return o;
}

static json_object *postgres_json(const struct pgm_report *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "version", str_or_null(r->pg_version));
	json_object_object_add(o, "executable", str_or_null(r->executable));
	json_object_object_add(o, "build_id", str_or_null(r->build_id));
	json_object_object_add(o, "debuginfo", json_object_new_boolean(r->debuginfo));
	json_object_object_add(o, "layout", pgm_render_layout_origin_json(&r->layout));
	return o;
}

static json_object *diagnosis_json(const struct pgm_report *r)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < r->n_diagnosis; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(r->diagnosis[i].code));
		json_object_object_add(o, "message", json_object_new_string(r->diagnosis[i].message));
		json_object_array_add(a, o);
	}
	return a;
}

json_object *pgm_render_report_json_object(const struct pgm_report *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "schema", json_object_new_int(PGM_REPORT_SCHEMA));
	json_object *verdict = json_object_new_array();
	for (size_t i = 0; i < r->n_verdict; i++)
		json_object_array_add(verdict, json_object_new_string(r->verdict[i]));
	json_object_object_add(o, "verdict", verdict);
	json_object_object_add(o, "source", source_json(r));
	json_object_object_add(o, "postgres", postgres_json(r));
	json_object *threads = json_object_new_array();
	for (size_t i = 0; i < r->n_stacks; i++)
		json_object_array_add(threads, pgm_stack_json(r->stacks[i]));
	json_object_object_add(o, "threads", threads);
	json_object_object_add(o, "backend", backend_json(r));
	json_object_object_add(o, "diagnosis", diagnosis_json(r));
	return o;
}

void pgm_render_report_json(FILE *out, const struct pgm_report *r)
{
	json_object *o = pgm_render_report_json_object(r);
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), out);
	fputc('\n', out);
	json_object_put(o);
}
