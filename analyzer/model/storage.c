/* The buffer, I/O and replication facts of the model: copies and frees (model/model.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

const char *pgm_lsn_format(uint64_t lsn, char *buf)
{
	snprintf(buf, PGM_LSN_LEN, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
	return buf;
}

void pgm_buffer_deinit(struct pgm_buffer *b)
{
	free(b->fork);
	free(b->relation.name);
	memset(b, 0, sizeof(*b));
}

struct pgm_error *pgm_buffer_copy(struct pgm_buffer *dst, const struct pgm_buffer *src)
{
	*dst = *src;
	dst->fork = dst->relation.name = NULL;
	struct pgm_error *err = pgm_model_strdup(&dst->fork, src->fork);
	if (!err)
		err = pgm_model_strdup(&dst->relation.name, src->relation.name);
	if (err)
		pgm_buffer_deinit(dst);
	return err;
}

void pgm_replication_slot_deinit(struct pgm_replication_slot *s)
{
	free(s->name);
	free(s->type);
	free(s->plugin);
	free(s->persistency);
	memset(s, 0, sizeof(*s));
}

static void aio_handle_deinit(struct pgm_aio_handle *a)
{
	free(a->state);
	free(a->op);
	memset(a, 0, sizeof(*a));
}

void pgm_storage_wait_deinit(struct pgm_wait *w)
{
	pgm_buffer_deinit(&w->pin.buffer);
	for (size_t i = 0; i < w->pin.n_candidates; i++)
		free(w->pin.candidates[i].mode);
	free(w->pin.candidates);
	pgm_buffer_deinit(&w->bufio.buffer);
	aio_handle_deinit(&w->bufio.aio);
	free(w->io.file);
	free(w->io.source);
	pgm_replication_slot_deinit(&w->slot.slot);
	memset(&w->pin, 0, sizeof(w->pin));
	memset(&w->io, 0, sizeof(w->io));
}

void pgm_buffer_usage_deinit(struct pgm_buffer_usage *u)
{
	for (size_t i = 0; i < u->n_pins; i++)
		pgm_buffer_deinit(&u->pins[i].buffer);
	free(u->pins);
	pgm_buffer_deinit(&u->io_buffer);
	memset(u, 0, sizeof(*u));
}

void pgm_my_walsender_deinit(struct pgm_my_walsender *ws)
{
	free(ws->state);
	free(ws->slot);
	memset(ws, 0, sizeof(*ws));
}

struct pgm_error *pgm_pin_add_candidate(struct pgm_buffer_pin_wait *p, int32_t pid, const char *mode)
{
	struct pgm_pin_candidate *c = pgm_model_grow((void **)&p->candidates, &p->n_candidates, sizeof(*c));
	if (!c)
		return &pgm_enomem;
	c->pid = pid;
	return pgm_model_strdup(&c->mode, mode);
}

struct pgm_error *pgm_buffer_usage_add_pin(struct pgm_buffer_usage *u, int32_t refcount, struct pgm_buffer *b)
{
	struct pgm_pin *p = pgm_model_grow((void **)&u->pins, &u->n_pins, sizeof(*p));
	if (!p)
		return &pgm_enomem;
	p->refcount = refcount;
	p->buffer = *b;
	memset(b, 0, sizeof(*b));
	return NULL;
}
