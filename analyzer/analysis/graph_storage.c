/*
 * Wait-for edges of buffers, storage and replication (analysis/storage.h).
 *
 * A pin is private to the process that holds it: the waiter's capture
 * names the buffer, each holder's capture its own pins, so the edge needs
 * both (several cores, or live --instance).  The buffer header still names
 * its one pin-count waiter (wait_backend_pgprocno with BM_PIN_COUNT_WAITER),
 * so a holder's capture alone gives the edge from that waiter.  The owner
 * of an asynchronous I/O and a slot's user are in shared memory: the
 * waiter's capture gives those edges.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/storage.h"
#include "model/model.h"

static struct pgm_report *report_of(const struct pgm_instance *inst, int32_t pid)
{
	for (size_t i = 0; i < inst->n_reports; i++)
		if (inst->reports[i]->pid == pid)
			return inst->reports[i];
	return NULL;
}

static bool has_holder(const struct pgm_wait *w, int32_t pid)
{
	for (size_t i = 0; i < w->n_holders; i++)
		if (w->holders[i].pid == pid)
			return true;
	return false;
}

/* A holder found in another capture, told to the waiter's report (once). */
static struct pgm_error *tell(struct pgm_report *w, const struct pgm_report *h, enum pgm_holder_how how,
			      const char *mode)
{
	if (!w || has_holder(&w->wait, h->pid))
		return NULL;
	struct pgm_holder *x;
	struct pgm_error *err = pgm_wait_add_holder(&w->wait, h->pid, h->procno, how, mode, &x);
	if (!err)
		err = pgm_model_strdup(&x->core, h->source_path);
	if (!err)
		w->wait.holders_known = true;
	return err;
}

static const struct pgm_pin *pin_on(const struct pgm_report *r, int32_t buffer)
{
	for (size_t i = 0; buffer > 0 && i < r->buffers.n_pins; i++)
		if (r->buffers.pins[i].buffer.buffer == buffer)
			return &r->buffers.pins[i];
	return NULL;
}

/* h pins buffer b, which `waiter` waits to clean up. */
static struct pgm_error *pin_edge(struct pgm_instance *inst, int32_t waiter, const struct pgm_report *h,
				  const struct pgm_pin *pin)
{
	char what[384], ev[640], mode[32];
	pgm_buffer_words(&pin->buffer, what, sizeof(what));
	snprintf(mode, sizeof(mode), "%" PRId32 " pin%s", pin->refcount, pin->refcount == 1 ? "" : "s");
	snprintf(ev, sizeof(ev), "waits for a cleanup lock on %s; %" PRId32 " pins it (%s in its capture %s)", what,
		 h->pid, mode, h->source_path ? h->source_path : "?");
	struct pgm_error *err = pgm_graph_add_edge(&inst->graph, waiter, h->pid, PGM_EDGE_BUFFER_PIN, ev);
	return err ? err : tell(report_of(inst, waiter), h, PGM_HOLDER_PIN, mode);
}

/* Pins the captures do not account for: the holders whose captures are missing. */
static struct pgm_error *unknown_pins(struct pgm_instance *inst, const struct pgm_report *w, size_t found)
{
	const struct pgm_buffer *b = &w->wait.pin.buffer;
	if (!b->state_known || b->refcount <= found + 1)
		return NULL;
	char what[384], ev[640];
	pgm_buffer_words(b, what, sizeof(what));
	snprintf(ev, sizeof(ev), "waits for a cleanup lock on %s; %zu pin%s by processes whose captures are not "
		 "here (pins are private to each backend: add their cores, or use live --instance)", what,
		 (size_t)b->refcount - 1 - found, b->refcount - 1 - found == 1 ? "" : "s");
	return pgm_graph_add_edge(&inst->graph, w->pid, PGM_PID_UNKNOWN_HOLDER, PGM_EDGE_BUFFER_PIN, ev);
}

static struct pgm_error *pin_waiter_edges(struct pgm_instance *inst, struct pgm_report *w)
{
	size_t found = 0;
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < inst->n_reports; i++) {
		const struct pgm_report *h = inst->reports[i];
		const struct pgm_pin *pin = h == w ? NULL : pin_on(h, w->wait.pin.buffer.buffer);
		if (pin) {
			found++;
			err = pin_edge(inst, w->pid, h, pin);
		}
	}
	return err ? err : unknown_pins(inst, w, found);
}

/* The waiter a buffer header names, from a holder's own capture. */
static struct pgm_error *pin_holder_edges(struct pgm_instance *inst, const struct pgm_report *h)
{
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < h->buffers.n_pins; i++) {
		const struct pgm_pin *pin = &h->buffers.pins[i];
		const struct pgm_buffer *b = &pin->buffer;
		if (b->state_known && b->pin_count_waiter && b->waiter_pid > 0 && b->waiter_pid != h->pid)
			err = pin_edge(inst, b->waiter_pid, h, pin);
	}
	return err;
}

/* The process doing a buffer's I/O: the AIO owner (shared), or a capture's InProgressBuf. */
static struct pgm_error *io_edges(struct pgm_instance *inst, struct pgm_report *w)
{
	const struct pgm_buffer_io_wait *io = &w->wait.bufio;
	char what[384], ev[640];
	pgm_buffer_words(&io->buffer, what, sizeof(what));
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < w->wait.n_holders; i++) {
		if (w->wait.holders[i].how != PGM_HOLDER_IO || w->wait.holders[i].core)
			continue;
		snprintf(ev, sizeof(ev), "waits for the I/O on %s; %" PRId32 " owns its asynchronous I/O %" PRIu32 " (%s)",
			 what, w->wait.holders[i].pid, io->aio.index, io->aio.state ? io->aio.state : "?");
		err = pgm_graph_add_edge(&inst->graph, w->pid, w->wait.holders[i].pid, PGM_EDGE_BUFFER_IO, ev);
	}
	for (size_t i = 0; !err && io->buffer.known && i < inst->n_reports; i++) {
		const struct pgm_report *h = inst->reports[i];
		if (h == w || !h->buffers.io_in_progress || h->buffers.io_buffer.buffer != io->buffer.buffer)
			continue;
		snprintf(ev, sizeof(ev), "waits for the I/O on %s; %" PRId32 " does it (InProgressBuf in its capture %s)",
			 what, h->pid, h->source_path ? h->source_path : "?");
		if (!(err = pgm_graph_add_edge(&inst->graph, w->pid, h->pid, PGM_EDGE_BUFFER_IO, ev)))
			err = tell(w, h, PGM_HOLDER_IO, h->buffers.io_for_input ? "read" : "write");
	}
	return err;
}

static struct pgm_error *slot_edge(struct pgm_instance *inst, const struct pgm_report *w)
{
	const struct pgm_replication_slot *s = &w->wait.slot.slot;
	if (!s->known || s->active_pid <= 0 || s->active_pid == w->pid)
		return NULL;
	char ev[256];
	snprintf(ev, sizeof(ev), "waits for replication slot \"%s\"; %" PRId32 " uses it (active_pid)",
		 s->name ? s->name : "?", s->active_pid);
	return pgm_graph_add_edge(&inst->graph, w->pid, s->active_pid, PGM_EDGE_SLOT, ev);
}

struct pgm_error *pgm_storage_edges(struct pgm_instance *inst)
{
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < inst->n_reports; i++) {
		struct pgm_report *r = inst->reports[i];
		if (r->wait.kind == PGM_WAIT_BUFFER_PIN && r->wait.pin.buffer.known)
			err = pin_waiter_edges(inst, r);
		else if (r->wait.kind == PGM_WAIT_BUFFER_IO)
			err = io_edges(inst, r);
		else if (r->wait.kind == PGM_WAIT_REPLICATION_SLOT)
			err = slot_edge(inst, r);
		if (!err)
			err = pin_holder_edges(inst, r);
	}
	return err;
}
