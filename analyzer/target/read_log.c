/*
 * The read log: what pgm_target_read() returned while recording.
 *
 * Each successful read is appended as its own chunk (a copy of its bytes);
 * from time to time, and before the ranges are handed out, the chunks are
 * merged into sorted, disjoint ranges.  Where chunks overlap, the earliest
 * read wins: new chunks are copied into the merged ranges latest first and
 * the ranges merged before last, so that every byte ends up with the value
 * the analysis saw first (a live process's memory may change between two
 * reads of it).
 */
#include <stdlib.h>
#include <string.h>

#include "pgmortem/target.h"
#include "target/target_internal.h"

/* Merge once this many chunks or bytes have come in since the last merge. */
#define MERGE_CHUNKS 8192u
#define MERGE_BYTES (16u << 20)

struct range_set {
	struct pgm_read_range *r;
	size_t n, cap;
	size_t n_merged;           /* r[0..n_merged) are merged: sorted, disjoint */
	uint64_t merged_bytes, new_bytes;
};

struct pgm_read_log {
	struct range_set read, priv;
	struct pgm_read_failure *fails;
	size_t n_fails, cap_fails;
	struct pgm_error *overflow;
};

static void set_overflow(struct pgm_read_log *log, struct pgm_error *err)
{
	if (log->overflow)
		pgm_error_destroy(err);
	else
		log->overflow = err;
}

static void set_free(struct range_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->r[i].data);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static int cmp_start(const void *a, const void *b)
{
	const struct pgm_read_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The merged range holding [start, end): the one whose start is the last <= start. */
static struct pgm_read_range *holder(struct pgm_read_range *m, size_t n, uint64_t start)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (m[mid].start <= start)
			lo = mid;
		else
			hi = mid;
	}
	return &m[lo];
}

/* The union of s's ranges, without data yet; *bytes its size. */
static struct pgm_error *union_of(const struct range_set *s, struct pgm_read_range **ret, size_t *n,
				  uint64_t *bytes)
{
	struct pgm_read_range *m = malloc((s->n ? s->n : 1) * sizeof(*m));
	if (!m)
		return &pgm_enomem;
	for (size_t i = 0; i < s->n; i++)
		m[i] = (struct pgm_read_range){ s->r[i].start, s->r[i].end, NULL };
	qsort(m, s->n, sizeof(*m), cmp_start);
	size_t k = 0;
	*bytes = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (k && m[i].start <= m[k - 1].end) {
			if (m[i].end > m[k - 1].end)
				m[k - 1].end = m[i].end;
		} else {
			m[k++] = m[i];
		}
	}
	for (size_t i = 0; i < k; i++)
		*bytes += m[i].end - m[i].start;
	*ret = m;
	*n = k;
	return NULL;
}

/* Copies chunk c into the merged ranges. */
static void place(struct pgm_read_range *m, size_t n, const struct pgm_read_range *c)
{
	struct pgm_read_range *h = holder(m, n, c->start);
	memcpy(h->data + (c->start - h->start), c->data, c->end - c->start);
}

/* Merges s's chunks into sorted, disjoint ranges with their bytes. */
static struct pgm_error *merge(struct range_set *s, struct pgm_read_log *log)
{
	if (s->n == s->n_merged)
		return NULL;
	struct pgm_read_range *m;
	size_t n;
	uint64_t bytes;
	struct pgm_error *err = union_of(s, &m, &n, &bytes);
	if (err)
		return err;
	if (bytes > PGM_READ_LOG_MAX_BYTES) {
		/* keep what was merged before; drop what came since */
		free(m);
		for (size_t i = s->n_merged; i < s->n; i++)
			free(s->r[i].data);
		s->n = s->n_merged;
		s->new_bytes = 0;
		set_overflow(log, pgm_error_create(PGM_ERR_LIMIT, "the analysis read more than %u MiB",
						   PGM_READ_LOG_MAX_BYTES >> 20));
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(m[i].data = malloc(m[i].end - m[i].start))) {
			while (i--)
				free(m[i].data);
			free(m);
			return &pgm_enomem;
		}
	}
	for (size_t i = s->n; i-- > s->n_merged;)
		place(m, n, &s->r[i]);
	for (size_t i = 0; i < s->n_merged; i++)
		place(m, n, &s->r[i]);
	set_free(s);
	s->r = m;
	s->n = s->cap = s->n_merged = n;
	s->merged_bytes = bytes;
	return NULL;
}

static struct pgm_error *set_add(struct range_set *s, uint64_t start, uint64_t end, const void *data)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct pgm_read_range *r = realloc(s->r, cap * sizeof(*r));
		if (!r)
			return &pgm_enomem;
		s->r = r;
		s->cap = cap;
	}
	uint8_t *copy = NULL;
	if (data) {
		if (!(copy = malloc(end - start)))
			return &pgm_enomem;
		memcpy(copy, data, end - start);
	}
	s->r[s->n++] = (struct pgm_read_range){ start, end, copy };
	s->new_bytes += end - start;
	return NULL;
}

static bool merge_due(const struct range_set *s)
{
	return s->n - s->n_merged >= MERGE_CHUNKS || s->new_bytes >= MERGE_BYTES;
}

static void note_range(struct pgm_read_log *log, struct range_set *s, uint64_t start, uint64_t end,
		       const void *data)
{
	struct pgm_error *err = set_add(s, start, end, data);
	if (!err && merge_due(s)) {
		err = merge(s, log);
		s->new_bytes = 0;
	}
	if (err)
		set_overflow(log, err);
}

static bool failure_known(const struct pgm_read_log *log, uint64_t address)
{
	for (size_t i = 0; i < log->n_fails; i++)
		if (log->fails[i].address == address)
			return true;
	return false;
}

static void note_failure(struct pgm_read_log *log, uint64_t address, const struct pgm_error *err)
{
	if (failure_known(log, address))
		return;
	if (log->n_fails == PGM_READ_LOG_MAX_FAILURES) {
		set_overflow(log, pgm_error_create(PGM_ERR_LIMIT, "more than %u reads failed",
						   PGM_READ_LOG_MAX_FAILURES));
		return;
	}
	if (log->n_fails == log->cap_fails) {
		size_t cap = log->cap_fails ? 2 * log->cap_fails : 16;
		struct pgm_read_failure *f = realloc(log->fails, cap * sizeof(*f));
		if (!f)
			return set_overflow(log, &pgm_enomem);
		log->fails = f;
		log->cap_fails = cap;
	}
	struct pgm_error *copy = pgm_error_clone(err);
	if (copy == &pgm_enomem)
		return set_overflow(log, copy);
	log->fails[log->n_fails++] = (struct pgm_read_failure){ address, copy };
}

/*
 * A read that failed part way got the bytes before the failing address
 * from the capture: they are read again (through the backend, unlogged) so
 * that a replay fails at the same address, not before it.
 */
static void note_failed_read(struct pgm_target *t, uint64_t addr, size_t len, const struct pgm_error *err)
{
	struct pgm_read_log *log = t->read_log;
	uint64_t at = addr;
	if (pgm_error_is_read_failure(err) && err->address > addr && err->address - addr < len) {
		size_t head = err->address - addr;
		uint8_t *buf = malloc(head);
		if (!buf)
			return set_overflow(log, &pgm_enomem);
		struct pgm_error *e2 = t->ops->read(t, addr, buf, head);
		if (!e2) {
			note_range(log, &log->read, addr, err->address, buf);
			at = err->address;
		}
		pgm_error_destroy(e2);
		free(buf);
	}
	note_failure(log, at, err);
}

void pgm_read_log_note(struct pgm_target *t, uint64_t addr, const void *buf, size_t len,
		       const struct pgm_error *err)
{
	if (err == &pgm_enomem)
		return;
	if (err)
		note_failed_read(t, addr, len, err);
	else
		note_range(t->read_log, &t->read_log->read, addr, addr + len, buf);
}

/*
 * Private ranges are kept apart, not merged: two texts side by side (the
 * application names of two backends) each keep their own start, where a
 * redacted bundle says "<redacted>".
 */
void pgm_read_log_note_private(struct pgm_target *t, uint64_t start, uint64_t end)
{
	struct pgm_read_log *log = t->read_log;
	if (!log || end <= start)
		return;
	if (log->priv.n == PGM_READ_LOG_MAX_PRIVATE)
		return set_overflow(log, pgm_error_create(PGM_ERR_LIMIT, "more than %u private texts",
							  PGM_READ_LOG_MAX_PRIVATE));
	struct pgm_error *err = set_add(&log->priv, start, end, NULL);
	if (err)
		set_overflow(log, err);
}

struct pgm_error *pgm_target_record_start(struct pgm_target *t)
{
	if (t->read_log)
		return pgm_error_create(PGM_ERR_USAGE, "%s: reads are already recorded", t->path);
	t->read_log = calloc(1, sizeof(*t->read_log));
	return t->read_log ? NULL : &pgm_enomem;
}

struct pgm_read_log *pgm_target_record_stop(struct pgm_target *t)
{
	struct pgm_read_log *log = t->read_log;
	t->read_log = NULL;
	return log;
}

void pgm_read_log_destroy(struct pgm_read_log *log)
{
	if (!log)
		return;
	set_free(&log->read);
	set_free(&log->priv);
	for (size_t i = 0; i < log->n_fails; i++)
		pgm_error_destroy(log->fails[i].err);
	free(log->fails);
	pgm_error_destroy(log->overflow);
	free(log);
}

const struct pgm_read_range *pgm_read_log_ranges(struct pgm_read_log *log, size_t *n,
						 struct pgm_error **err)
{
	*err = merge(&log->read, log);
	log->read.new_bytes = 0;
	*n = *err ? 0 : log->read.n;
	return *n ? log->read.r : NULL;
}

const struct pgm_read_range *pgm_read_log_private(struct pgm_read_log *log, size_t *n)
{
	qsort(log->priv.r, log->priv.n, sizeof(*log->priv.r), cmp_start);
	*n = log->priv.n;
	return log->priv.r;
}

const struct pgm_read_failure *pgm_read_log_failures(const struct pgm_read_log *log, size_t *n)
{
	*n = log->n_fails;
	return log->fails;
}

const struct pgm_error *pgm_read_log_overflow(const struct pgm_read_log *log)
{
	return log->overflow;
}
