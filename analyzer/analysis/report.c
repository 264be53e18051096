/* The report: construction, builders, destruction (pgmortem/report.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgmortem/report.h"

struct pgm_report *pgm_report_create(void)
{
	struct pgm_report *r = calloc(1, sizeof(*r));
	if (r)
		r->procno = -1;
	return r;
}

static struct pgm_error *fields_push(struct pgm_fields *f, const char *key, enum pgm_field_type type,
				     struct pgm_field **ret)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct pgm_field *items = realloc(f->items, cap * sizeof(*items));
		if (!items)
			return &pgm_enomem;
		f->items = items;
		f->cap = cap;
	}
	struct pgm_field *fl = &f->items[f->n];
	memset(fl, 0, sizeof(*fl));
	if (!(fl->key = strdup(key)))
		return &pgm_enomem;
	fl->type = type;
	f->n++;
	*ret = fl;
	return NULL;
}

struct pgm_error *pgm_fields_add_str(struct pgm_fields *f, const char *key, const char *val)
{
	struct pgm_field *fl;
	struct pgm_error *err = fields_push(f, key, PGM_FIELD_STR, &fl);
	if (!err && !(fl->str = strdup(val ? val : "")))
		err = &pgm_enomem;
	return err;
}

#define FIELD_ADDER(fn, ctype, tag, member) \
	struct pgm_error *fn(struct pgm_fields *f, const char *key, ctype val) \
	{ \
		struct pgm_field *fl; \
		struct pgm_error *err = fields_push(f, key, tag, &fl); \
		if (!err) \
			fl->member = val; \
		return err; \
	}
FIELD_ADDER(pgm_fields_add_int, int64_t, PGM_FIELD_INT, i)
FIELD_ADDER(pgm_fields_add_uint, uint64_t, PGM_FIELD_UINT, u)
FIELD_ADDER(pgm_fields_add_bool, bool, PGM_FIELD_BOOL, b)
FIELD_ADDER(pgm_fields_add_addr, uint64_t, PGM_FIELD_ADDR, u)

const struct pgm_field *pgm_fields_get(const struct pgm_fields *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].key, key) == 0)
			return &f->items[i];
	return NULL;
}

static void fields_free(struct pgm_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].key);
		free(f->items[i].str);
	}
	free(f->items);
}

/* Grows *array by one zeroed element of `size` bytes; returns it or NULL. */
static void *grow(void **array, size_t *n, size_t size)
{
	char *a = realloc(*array, (*n + 1) * size);
	if (!a)
		return NULL;
	*array = a;
	memset(a + *n * size, 0, size);
	return a + (*n)++ * size;
}

struct pgm_error *pgm_report_add_missing(struct pgm_report *r, const char *what, uint64_t address,
					 const struct pgm_error *read_failure, const char *hint)
{
	struct pgm_missing *m = grow((void **)&r->missing, &r->n_missing, sizeof(*m));
	if (!m)
		return &pgm_enomem;
	m->address = address;
	m->what = strdup(what);
	m->hint = hint ? strdup(hint) : NULL;
	m->mapping = read_failure->mapping ? strdup(read_failure->mapping) : NULL;
	if (!m->what || (hint && !m->hint) || (read_failure->mapping && !m->mapping))
		return &pgm_enomem;
	return NULL;
}

struct pgm_error *pgm_report_add_diagnosis(struct pgm_report *r, const char *code, const char *fmt, ...)
{
	struct pgm_diagnosis *d = grow((void **)&r->diagnosis, &r->n_diagnosis, sizeof(*d));
	if (!d)
		return &pgm_enomem;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&d->message, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		d->message = NULL;
		return &pgm_enomem;
	}
	return (d->code = strdup(code)) ? NULL : &pgm_enomem;
}

struct pgm_error *pgm_report_add_verdict(struct pgm_report *r, const char *fmt, ...)
{
	char **v = grow((void **)&r->verdict, &r->n_verdict, sizeof(*v));
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

struct pgm_error *pgm_wait_add_waiter(struct pgm_wait *w, int32_t procno, int32_t pid, bool is_self)
{
	struct pgm_waiter *x = grow((void **)&w->waiters, &w->n_waiters, sizeof(*x));
	if (!x)
		return &pgm_enomem;
	x->procno = procno;
	x->pid = pid;
	x->is_self = is_self;
	return NULL;
}

struct pgm_error *pgm_wait_add_holder(struct pgm_wait *w, int32_t pid, int32_t procno,
				      const char *mode, const char *evidence)
{
	struct pgm_holder *h = grow((void **)&w->holders, &w->n_holders, sizeof(*h));
	if (!h)
		return &pgm_enomem;
	h->pid = pid;
	h->procno = procno;
	h->mode = mode ? strdup(mode) : NULL;
	h->evidence = evidence ? strdup(evidence) : NULL;
	if ((mode && !h->mode) || (evidence && !h->evidence))
		return &pgm_enomem;
	return NULL;
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
	};
	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
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

static void wait_event_free(struct pgm_wait_event *we)
{
	free(we->type);
	free(we->name);
}

static void wait_free(struct pgm_wait *w)
{
	free(w->object_kind);
	free(w->description);
	fields_free(&w->object);
	free(w->waiters);
	for (size_t i = 0; i < w->n_holders; i++) {
		free(w->holders[i].mode);
		free(w->holders[i].evidence);
	}
	free(w->holders);
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

static void strings_free(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void pgm_report_destroy(struct pgm_report *r)
{
	if (!r)
		return;
	free(r->source_kind); free(r->source_path); free(r->cmdline); free(r->crash_function);
	free(r->pg_version); free(r->executable); free(r->build_id);
	free(r->backend_type); free(r->database); free(r->query);
	wait_event_free(&r->wait_event);
	wait_free(&r->wait);
	for (size_t i = 0; i < r->n_group; i++)
		wait_event_free(&r->group[i].wait_event);
	free(r->group);
	interrupts_free(&r->interrupts);
	for (size_t i = 0; i < r->n_stacks; i++)
		pgm_stack_destroy(r->stacks[i]);
	free(r->stacks);
	for (size_t i = 0; i < r->n_missing; i++) {
		free(r->missing[i].what); free(r->missing[i].mapping); free(r->missing[i].hint);
	}
	free(r->missing);
	for (size_t i = 0; i < r->n_diagnosis; i++) {
		free(r->diagnosis[i].code); free(r->diagnosis[i].message);
	}
	free(r->diagnosis);
	strings_free(r->verdict, r->n_verdict);
	free(r);
}
