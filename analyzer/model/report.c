/* The report: construction, builders, destruction (pgmortem/report.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "pgmortem/report.h"

struct pgm_report *pgm_report_create(void)
{
	struct pgm_report *r = calloc(1, sizeof(*r));
	if (r)
		r->procno = -1;
	return r;
}

void *pgm_model_grow(void **array, size_t *n, size_t size)
{
	if (*n >= SIZE_MAX / size - 1)
		return NULL;
	char *a = realloc(*array, (*n + 1) * size);
	if (!a)
		return NULL;
	*array = a;
	memset(a + *n * size, 0, size);
	return a + (*n)++ * size;
}

struct pgm_error *pgm_model_strdup(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return NULL;
	return (*dst = strdup(src)) ? NULL : &pgm_enomem;
}

void pgm_lock_tag_deinit(struct pgm_lock_tag *tag)
{
	free(tag->locktype);
	free(tag->virtualxid);
	memset(tag, 0, sizeof(*tag));
}

struct pgm_error *pgm_lock_tag_copy(struct pgm_lock_tag *dst, const struct pgm_lock_tag *src)
{
	*dst = *src;
	dst->locktype = dst->virtualxid = NULL;
	struct pgm_error *err = pgm_model_strdup(&dst->locktype, src->locktype);
	if (!err)
		err = pgm_model_strdup(&dst->virtualxid, src->virtualxid);
	if (err)
		pgm_lock_tag_deinit(dst);
	return err;
}

struct pgm_error *pgm_report_add_missing(struct pgm_report *r, const char *what, uint64_t address,
					 const struct pgm_error *read_failure, enum pgm_missing_cause cause)
{
	struct pgm_missing *m = pgm_model_grow((void **)&r->missing, &r->n_missing, sizeof(*m));
	if (!m)
		return &pgm_enomem;
	m->address = address;
	m->cause = cause;
	struct pgm_error *err = pgm_model_strdup(&m->what, what);
	if (!err && read_failure)
		err = pgm_model_strdup(&m->mapping, read_failure->mapping);
	return err;
}

static bool has_diagnosis(const struct pgm_report *r, const char *code, const char *message)
{
	for (size_t i = 0; i < r->n_diagnosis; i++)
		if (strcmp(r->diagnosis[i].code, code) == 0 && strcmp(r->diagnosis[i].message, message) == 0)
			return true;
	return false;
}

struct pgm_error *pgm_report_add_diagnosis(struct pgm_report *r, const char *code, const char *fmt, ...)
{
	char *message;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return &pgm_enomem;
	if (has_diagnosis(r, code, message))
		return free(message), NULL;
	struct pgm_diagnosis *d = pgm_model_grow((void **)&r->diagnosis, &r->n_diagnosis, sizeof(*d));
	if (!d)
		return free(message), &pgm_enomem;
	d->message = message;
	return pgm_model_strdup(&d->code, code);
}

struct pgm_error *pgm_report_add_verdict(struct pgm_report *r, const char *fmt, ...)
{
	char **v = pgm_model_grow((void **)&r->verdict, &r->n_verdict, sizeof(*v));
	if (!v)
		return &pgm_enomem;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(v, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		*v = NULL;
		return &pgm_enomem;
	}
	return NULL;
}

static void strings_free(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void pgm_report_clear_verdict(struct pgm_report *r)
{
	strings_free(r->verdict, r->n_verdict);
	r->verdict = NULL;
	r->n_verdict = 0;
}

struct pgm_error *pgm_wait_add_waiter(struct pgm_wait *w, int32_t procno, int32_t pid, bool is_self)
{
	struct pgm_waiter *x = pgm_model_grow((void **)&w->waiters, &w->n_waiters, sizeof(*x));
	if (!x)
		return &pgm_enomem;
	x->procno = procno;
	x->pid = pid;
	x->is_self = is_self;
	return NULL;
}

struct pgm_error *pgm_wait_add_holder(struct pgm_wait *w, int32_t pid, int32_t procno,
				      enum pgm_holder_how how, const char *mode, struct pgm_holder **ret)
{
	struct pgm_holder *h = pgm_model_grow((void **)&w->holders, &w->n_holders, sizeof(*h));
	if (!h)
		return &pgm_enomem;
	h->pid = pid;
	h->procno = procno;
	h->how = how;
	if (ret)
		*ret = h;
	return pgm_model_strdup(&h->mode, mode);
}

const char *pgm_wait_kind_name(enum pgm_wait_kind kind)
{
	static const char *const names[] = {
		[PGM_WAIT_UNKNOWN] = "unknown",
		[PGM_WAIT_NONE] = "none",
		[PGM_WAIT_CONDITION_VARIABLE] = "condition_variable",
		[PGM_WAIT_LWLOCK] = "lwlock",
		[PGM_WAIT_HEAVYWEIGHT_LOCK] = "heavyweight_lock",
		[PGM_WAIT_LATCH] = "latch",
		[PGM_WAIT_SOCKET] = "socket",
		[PGM_WAIT_TIMEOUT] = "timeout",
		[PGM_WAIT_CRASHED] = "crashed",
		[PGM_WAIT_BUFFER_PIN] = "buffer_pin",
		[PGM_WAIT_BUFFER_IO] = "buffer_io",
		[PGM_WAIT_IO] = "io",
		[PGM_WAIT_REPLICATION_SLOT] = "replication_slot",
		[PGM_WAIT_SYNC_REP] = "sync_rep",
		[PGM_WAIT_MESSAGE_QUEUE] = "message_queue",
		[PGM_WAIT_PROCSIGNAL_BARRIER] = "procsignal_barrier",
		[PGM_WAIT_UNSERVED_INTERRUPT] = "unserved_interrupt",
	};
	return (unsigned)kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "unknown";
}

enum pgm_wait_class pgm_wait_event_class(const struct pgm_wait_event *we)
{
	return we->known ? (enum pgm_wait_class)(we->info >> 24) : PGM_WAIT_CLASS_NONE;
}

const char *pgm_killable_name(enum pgm_killable k)
{
	switch (k) {
	case PGM_KILLABLE_YES: return "yes";
	case PGM_KILLABLE_NO: return "no";
	case PGM_KILLABLE_DEFERRED: return "deferred";
	default: return "unknown";
	}
}

const char *pgm_layout_source_name(enum pgm_layout_source s)
{
	switch (s) {
	case PGM_LAYOUT_DWARF: return "dwarf";
	case PGM_LAYOUT_PROFILE: return "profile";
	default: return "none";
	}
}

void pgm_layout_origin_deinit(struct pgm_layout_origin *o)
{
	free(o->profile); free(o->made_from); free(o->refused); free(o->note);
	strings_free(o->checks, o->n_checks);
	memset(o, 0, sizeof(*o));
}

struct pgm_error *pgm_layout_origin_copy(struct pgm_layout_origin *to, const struct pgm_layout_origin *from)
{
	memset(to, 0, sizeof(*to));
	to->source = from->source;
	struct pgm_error *err;
	if ((err = pgm_model_strdup(&to->profile, from->profile)) ||
	    (err = pgm_model_strdup(&to->made_from, from->made_from)) ||
	    (err = pgm_model_strdup(&to->refused, from->refused)) ||
	    (err = pgm_model_strdup(&to->note, from->note)))
		goto out_deinit;
	for (size_t i = 0; i < from->n_checks; i++) {
		char **c = pgm_model_grow((void **)&to->checks, &to->n_checks, sizeof(*c));
		if (!c || (err = pgm_model_strdup(c, from->checks[i])))
			goto out_deinit;
	}
	return NULL;
out_deinit:
	pgm_layout_origin_deinit(to);
	return &pgm_enomem;
}

void pgm_wait_event_deinit(struct pgm_wait_event *we)
{
	free(we->type);
	free(we->name);
	memset(we, 0, sizeof(*we));
}

static void relation_free(struct pgm_relation *rel)
{
	free(rel->name);
}

static void cv_wait_free(struct pgm_cv_wait *cv)
{
	free(cv->btree.page_status_name);
	relation_free(&cv->btree.index);
	relation_free(&cv->btree.heap);
	free(cv->btree.advancer.function);
	free(cv->btree.advancer.core);
}

void pgm_wait_deinit(struct pgm_wait *w)
{
	cv_wait_free(&w->cv);
	free(w->lwlock.tranche);
	free(w->lwlock.mode);
	pgm_lock_tag_deinit(&w->hwlock.tag);
	free(w->hwlock.mode);
	pgm_storage_wait_deinit(w);
	pgm_waits_deinit(w);
	free(w->waiters);
	for (size_t i = 0; i < w->n_holders; i++) {
		free(w->holders[i].mode);
		free(w->holders[i].core);
		free(w->holders[i].evidence);
	}
	free(w->holders);
	free(w->object_kind);
	free(w->description);
	memset(w, 0, sizeof(*w));
}

static void interrupts_free(struct pgm_interrupts *in)
{
	for (size_t i = 0; i < in->n_held_lwlocks; i++) {
		free(in->held_lwlocks[i].name);
		free(in->held_lwlocks[i].mode);
	}
	free(in->held_lwlocks);
	free(in->verdict);
}

void pgm_report_destroy(struct pgm_report *r)
{
	if (!r)
		return;
	free(r->source_kind); free(r->source_path); free(r->bundle_path); free(r->cmdline); free(r->crash_function);
	free(r->pg_version); free(r->executable); free(r->build_id);
	free(r->backend_type); free(r->query);
	pgm_layout_origin_deinit(&r->layout);
	pgm_wait_event_deinit(&r->wait_event);
	pgm_wait_deinit(&r->wait);
	for (size_t i = 0; i < r->n_group; i++)
		pgm_wait_event_deinit(&r->group[i].wait_event);
	free(r->group);
	interrupts_free(&r->interrupts);
	pgm_buffer_usage_deinit(&r->buffers);
	pgm_my_walsender_deinit(&r->walsender);
	pgm_waitset_deinit(&r->waitset);
	pgm_task_deinit(&r->task);
	for (size_t i = 0; i < r->n_stacks; i++)
		pgm_stack_destroy(r->stacks[i]);
	free(r->stacks);
	for (size_t i = 0; i < r->n_missing; i++) {
		free(r->missing[i].what); free(r->missing[i].mapping);
	}
	free(r->missing);
	for (size_t i = 0; i < r->n_diagnosis; i++) {
		free(r->diagnosis[i].code); free(r->diagnosis[i].message);
	}
	free(r->diagnosis);
	strings_free(r->verdict, r->n_verdict);
	free(r);
}
