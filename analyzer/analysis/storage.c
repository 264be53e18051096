/*
 * Buffers, storage and replication in words: what the waiter waits on, who
 * holds it, and what a process holds that others wait for (a pin, a slot,
 * a walsender's unconfirmed WAL).  Written here from the typed facts, read
 * by explain.c and verdict.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/storage.h"
#include "model/model.h"

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return rc < 0 ? NULL : s;
}

void pgm_buffer_words(const struct pgm_buffer *b, char *buf, size_t len)
{
	char rel[128];
	if (b->relation.known && b->relation.name)
		snprintf(rel, sizeof(rel), "relation %s", b->relation.name);
	else if (b->relation.known)
		snprintf(rel, sizeof(rel), "relation %" PRIu32, b->relation.oid);
	else
		snprintf(rel, sizeof(rel), "relation file %" PRIu32 "/%" PRIu32 "/%" PRIu32, b->tablespace,
			 b->database, b->relfilenode);
	if (!b->known)
		snprintf(buf, len, "a buffer at 0x%" PRIx64 " (not in this capture)", b->address);
	else if (!b->tag_known)
		snprintf(buf, len, "buffer %" PRId32, b->buffer);
	else if (b->fork && strcmp(b->fork, "main") == 0)
		snprintf(buf, len, "buffer %" PRId32 " (block %" PRIu32 " of %s)", b->buffer, b->block, rel);
	else
		snprintf(buf, len, "buffer %" PRId32 " (block %" PRIu32 " of the %s fork of %s)", b->buffer, b->block,
			 b->fork ? b->fork : "?", rel);
}

static char *pin_what(const struct pgm_report *r)
{
	const struct pgm_buffer_pin_wait *p = &r->wait.pin;
	char buf[384];
	if (!p->buffer.known && !r->wait.has_address)
		return format("a cleanup lock (which buffer is unknown from this capture) (%s)",
			      r->wait_event.name ? r->wait_event.name : "BufferPin");
	pgm_buffer_words(&p->buffer, buf, sizeof(buf));
	if (!p->buffer.state_known)
		return format("a cleanup lock on %s: every other pin must go", buf);
	uint32_t others = p->buffer.refcount > 0 ? p->buffer.refcount - 1 : 0;
	return format("a cleanup lock on %s: %" PRIu32 " other process%s still pin%s it", buf, others,
		      others == 1 ? "" : "es", others == 1 ? "s" : "");
}

/* "asynchronous I/O 3 (PGAIO_OP_READV, PGAIO_HS_SUBMITTED, owned by PID 123)" */
static void aio_words(const struct pgm_aio_handle *a, int32_t self, char *buf, size_t len)
{
	char owner[64] = "";
	if (a->owner_pid == self)
		snprintf(owner, sizeof(owner), ", its own%s", a->synchronous ? "" : ", executed by an I/O worker");
	else if (a->owner_pid > 0)
		snprintf(owner, sizeof(owner), ", owned by PID %" PRId32, a->owner_pid);
	snprintf(buf, len, "asynchronous I/O %" PRIu32 " (%s, %s%s%s)", a->index, a->op ? a->op : "?",
		 a->state ? a->state : "?", a->recycled ? ", since reused: that I/O is over" : "", owner);
}

static char *bufio_what(const struct pgm_report *r)
{
	const struct pgm_buffer_io_wait *w = &r->wait.bufio;
	char buf[384], aio[192] = "";
	if (w->aio.known)
		aio_words(&w->aio, r->pid, aio, sizeof(aio));
	if (!w->buffer.known)
		return w->aio.known ? format("%s", aio) : format("the I/O of a buffer (which one is unknown from this capture)");
	pgm_buffer_words(&w->buffer, buf, sizeof(buf));
	return format("the I/O in progress on %s%s%s", buf, *aio ? ": " : "", aio);
}

static char *io_what(const struct pgm_report *r)
{
	const struct pgm_io_wait *io = &r->wait.io;
	char fd[32] = "";
	const char *event = r->wait_event.name ? r->wait_event.name : "?";
	if (io->fd_known)
		snprintf(fd, sizeof(fd), " (fd %" PRId32 ")", io->fd);
	if (io->file)
		return format("a file system call (IO / %s) on %s%s", event, io->file, fd);
	return format("a file system call (IO / %s)%s", event, fd);
}

static char *slot_what(const struct pgm_report *r)
{
	const struct pgm_replication_slot *s = &r->wait.slot.slot;
	if (!s->known)
		return format("a replication slot (which one is unknown from this capture)");
	char plugin[96] = "";
	if (s->plugin)
		snprintf(plugin, sizeof(plugin), ", %s", s->plugin);
	char by[48];
	if (s->active_pid && s->active_pid != r->pid)
		snprintf(by, sizeof(by), ", in use by PID %" PRId32, s->active_pid);
	else
		snprintf(by, sizeof(by), ", in use by nobody now");
	return format("replication slot \"%s\" (%s%s)%s", s->name ? s->name : "?", s->type ? s->type : "?", plugin, by);
}

char *pgm_storage_what(const struct pgm_report *r)
{
	switch (r->wait.kind) {
	case PGM_WAIT_BUFFER_PIN: return pin_what(r);
	case PGM_WAIT_BUFFER_IO: return bufio_what(r);
	case PGM_WAIT_IO: return io_what(r);
	case PGM_WAIT_REPLICATION_SLOT: return slot_what(r);
	default: return NULL;
	}
}

/* ---- object kind, description, holders' evidence ---- */

static const char *object_kind(enum pgm_wait_kind k)
{
	switch (k) {
	case PGM_WAIT_BUFFER_PIN: return "buffer cleanup lock";
	case PGM_WAIT_BUFFER_IO: return "buffer I/O";
	case PGM_WAIT_IO: return "file I/O";
	case PGM_WAIT_REPLICATION_SLOT: return "replication slot";
	default: return NULL;
	}
}

static struct pgm_error *replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
	return s ? NULL : &pgm_enomem;
}

static char *holder_evidence(const struct pgm_wait *w, const struct pgm_holder *h)
{
	char buf[384];
	switch (h->how) {
	case PGM_HOLDER_PIN:
		pgm_buffer_words(&w->pin.buffer, buf, sizeof(buf));
		return format("pins %s, as PrivateRefCount in its capture%s%s shows", buf, h->core ? " " : "",
			      h->core ? h->core : "");
	case PGM_HOLDER_IO:
		pgm_buffer_words(&w->bufio.buffer, buf, sizeof(buf));
		if (w->bufio.aio.known)
			return format("owns asynchronous I/O %" PRIu32 " (%s) on %s%s", w->bufio.aio.index,
				      w->bufio.aio.state ? w->bufio.aio.state : "?", buf,
				      w->bufio.aio.synchronous ? " and executes it itself" : "");
		return format("does the I/O on %s (InProgressBuf in its capture%s%s)", buf, h->core ? " " : "",
			      h->core ? h->core : "");
	case PGM_HOLDER_SLOT:
		return format("uses replication slot \"%s\" (its active_pid)",
			      w->slot.slot.name ? w->slot.slot.name : "?");
	default:
		return NULL;
	}
}

struct pgm_error *pgm_describe_storage_wait(struct pgm_wait *w)
{
	const char *kind = object_kind(w->kind);
	if (!kind)
		return NULL;
	struct pgm_error *err = replace(&w->object_kind, strdup(kind));
	char buf[384];
	if (!err && w->kind == PGM_WAIT_BUFFER_PIN && w->pin.buffer.known) {
		pgm_buffer_words(&w->pin.buffer, buf, sizeof(buf));
		err = replace(&w->description, format("cleanup lock on %s", buf));
	} else if (!err && w->kind == PGM_WAIT_BUFFER_IO && w->bufio.buffer.known) {
		pgm_buffer_words(&w->bufio.buffer, buf, sizeof(buf));
		err = replace(&w->description, format("I/O in progress on %s", buf));
	} else if (!err && w->kind == PGM_WAIT_IO && w->io.file) {
		err = replace(&w->description, format("%s", w->io.file));
	} else if (!err && w->kind == PGM_WAIT_REPLICATION_SLOT && w->slot.slot.known) {
		err = replace(&w->description, format("replication slot \"%s\"", w->slot.slot.name ? w->slot.slot.name : "?"));
	}
	for (size_t i = 0; !err && i < w->n_holders; i++) {
		char *ev = holder_evidence(w, &w->holders[i]);
		if (ev || w->holders[i].how == PGM_HOLDER_PIN || w->holders[i].how == PGM_HOLDER_IO ||
		    w->holders[i].how == PGM_HOLDER_SLOT)
			err = replace(&w->holders[i].evidence, ev);
	}
	return err;
}

/* ---- verdict lines ---- */

static struct pgm_error *add_line(struct pgm_report *r, char *line)
{
	if (!line)
		return &pgm_enomem;
	struct pgm_error *err = pgm_report_add_verdict(r, "%s", line);
	free(line);
	return err;
}

/* "2656, 2700" */
static void holder_list(const struct pgm_wait *w, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < w->n_holders; i++) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s%" PRId32, i ? ", " : "", w->holders[i].pid);
	}
}

static struct pgm_error *pin_holders_line(struct pgm_report *r)
{
	const struct pgm_buffer_pin_wait *p = &r->wait.pin;
	char list[512];
	if (r->wait.holders_known && r->wait.n_holders) {
		holder_list(&r->wait, list, sizeof(list));
		return add_line(r, format("Pinned by %s (the pins are in %s own capture%s).", list,
					  r->wait.n_holders == 1 ? "its" : "their", r->wait.n_holders == 1 ? "" : "s"));
	}
	list[0] = '\0';
	for (size_t i = 0; i < p->n_candidates; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%" PRId32 " (%s)", i ? ", " : "", p->candidates[i].pid,
			 p->candidates[i].mode ? p->candidates[i].mode : "?");
	}
	const char *rel = p->buffer.relation.name;
	if (!p->candidates_known)
		return add_line(r, format("Who pins it cannot be named from this process's capture alone (pins are "
					  "private to each backend): add the other backends' cores, or live --instance."));
	return add_line(r, format("Who pins it cannot be named from this process's capture alone (pins are private "
				  "to each backend); %s%s%s: %s.", p->n_candidates ? "candidates, holding a lock on " :
				  "no other process holds a lock on ", rel ? rel : "the relation",
				  p->n_candidates ? "" : " (the pin may be a cursor's in another database, or a bgwriter's)",
				  p->n_candidates ? list : "none"));
}

static struct pgm_error *io_holders_line(struct pgm_report *r)
{
	char list[512];
	if (r->wait.holders_known && r->wait.n_holders) {
		holder_list(&r->wait, list, sizeof(list));
		const struct pgm_aio_handle *a = &r->wait.bufio.aio;
		if (a->known && !a->synchronous)
			return add_line(r, format("The I/O belongs to %s; an I/O worker or the kernel executes it.", list));
		return add_line(r, format("The I/O is done by %s.", list));
	}
	if (r->wait.bufio.aio.known)
		return NULL;
	return add_line(r, format("Who does the I/O cannot be named from this process's capture alone (it is private "
				  "to the process doing it): add the other backends' cores, or live --instance."));
}

static struct pgm_error *slot_holders_line(struct pgm_report *r)
{
	const struct pgm_replication_slot *s = &r->wait.slot.slot;
	if (!s->known || !s->active_pid || s->active_pid == r->pid)
		return NULL;
	return add_line(r, format("Slot \"%s\" is used by PID %" PRId32 " (active_pid): the wait ends when that process "
				  "releases it or exits.", s->name ? s->name : "?", s->active_pid));
}

struct pgm_error *pgm_storage_holders_line(struct pgm_report *r)
{
	switch (r->wait.kind) {
	case PGM_WAIT_BUFFER_PIN: return pin_holders_line(r);
	case PGM_WAIT_BUFFER_IO: return io_holders_line(r);
	case PGM_WAIT_REPLICATION_SLOT: return slot_holders_line(r);
	default: return NULL;
	}
}

/* The pins of this process that another one waits to clean up (BM_PIN_COUNT_WAITER). */
struct pgm_error *pgm_storage_held_line(struct pgm_report *r)
{
	const struct pgm_buffer_usage *u = &r->buffers;
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < u->n_pins; i++) {
		const struct pgm_buffer *b = &u->pins[i].buffer;
		if (!b->state_known || !b->pin_count_waiter || b->waiter_pid <= 0 || b->waiter_pid == r->pid)
			continue;
		char buf[384];
		pgm_buffer_words(b, buf, sizeof(buf));
		err = add_line(r, format("It pins %s, which PID %" PRId32 " waits to clean up (BM_PIN_COUNT_WAITER).", buf,
					 b->waiter_pid));
	}
	if (!err && u->io_in_progress && u->io_buffer.known) {
		char buf[384];
		pgm_buffer_words(&u->io_buffer, buf, sizeof(buf));
		err = add_line(r, format("It is %s %s (BM_IO_IN_PROGRESS): whoever needs that buffer waits for it.",
					 u->io_for_input ? "reading" : "writing out", buf));
	}
	return err;
}

/* An LSN as pg_stat_replication shows it, "none" for its NULL. */
static const char *lsn_words(uint64_t lsn, char *buf)
{
	return lsn ? pgm_lsn_format(lsn, buf) : "none";
}

struct pgm_error *pgm_storage_walsender_line(struct pgm_report *r)
{
	const struct pgm_my_walsender *ws = &r->walsender;
	/* a walsender that has not started streaming (a replication command's) has no positions to tell */
	if (!ws->known || (!ws->sent && ws->state && strcmp(ws->state, "startup") == 0))
		return NULL;
	char sent[PGM_LSN_LEN], write[PGM_LSN_LEN], flush[PGM_LSN_LEN], replay[PGM_LSN_LEN], slot[96] = "";
	if (ws->slot)
		snprintf(slot, sizeof(slot), " of slot \"%s\"", ws->slot);
	bool stopping = (ws->state && strcmp(ws->state, "stopping") == 0) ||
			(ws->got_stopping.known && ws->got_stopping.value);
	uint64_t confirmed = ws->flush ? ws->flush : ws->write;
	struct pgm_error *err = add_line(r, format("Walsender%s, %s: sent up to %s; the receiver confirmed write %s, "
		"flush %s, replay %s.", slot, ws->state ? ws->state : "state unknown", lsn_words(ws->sent, sent),
		lsn_words(ws->write, write), lsn_words(ws->flush, flush), lsn_words(ws->apply, replay)));
	if (err || !stopping)
		return err;
	if (confirmed >= ws->sent)
		return add_line(r, format("Shutting down: everything sent is confirmed; it exits once it has sent the "
					  "rest of the WAL."));
	return add_line(r, format("Shutting down: it exits only when the receiver confirms up to %s (it has confirmed "
				  "%s); a receiver that stopped replying holds the shutdown.", sent,
				  lsn_words(confirmed, flush)));
}
