/*
 * The bundle backend: one capture of a bundle as a target.
 *
 * Memory is the memory part's ranges, served in place from the bundle's
 * decompressed bytes.  A byte the bundle lacks fails the way the original
 * read of it failed (the faults part, by address), else with "not in this
 * bundle", a NOT_CAPTURED error naming the mapping: the original analysis
 * never read it, so the bundle never kept it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgmortem/bundle_file.h"
#include "target/bundle_json.h"
#include "target/target_internal.h"
#include "util/text.h"

#define MAX_THREADS 65536
#define MAX_MAPPINGS (1u << 20)
#define MAX_WARNINGS 4096
#define MAX_AUXV 65536

struct bundle_target {
	struct pgm_target base;
	struct pgm_bundle_file *file;
	struct pgm_bundle_origin origin;
	size_t n_ranges;
	uint64_t *starts, *ends;          /* sorted, disjoint */
	const uint8_t **data;             /* into the bundle's memory part */
	struct pgm_read_failure *faults;  /* sorted by address */
	size_t n_faults;
};

static struct bundle_target *to_bundle(struct pgm_target *t)
{
	return (struct bundle_target *)t;
}

/* ---- reads ---- */

/* Index of the last range starting at or below addr, or n if none. */
static size_t range_at(const struct bundle_target *bt, uint64_t addr)
{
	size_t lo = 0, hi = bt->n_ranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bt->starts[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : bt->n_ranges;
}

static struct pgm_error *absent(struct bundle_target *bt, const struct pgm_mapping *m, uint64_t addr)
{
	size_t lo = 0, hi = bt->n_faults;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bt->faults[mid].address == addr)
			return pgm_error_clone(bt->faults[mid].err);
		if (bt->faults[mid].address < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct pgm_error *err = pgm_error_not_captured(addr, m->path, m->start);
	if (err == &pgm_enomem)
		return err;
	free(err->message);
	int r = m->path ? asprintf(&err->message, "not in this bundle at 0x%" PRIx64 " (mapping %s at 0x%" PRIx64 ")",
				   addr, m->path, m->start)
			: asprintf(&err->message, "not in this bundle at 0x%" PRIx64 " (anonymous mapping at 0x%" PRIx64 ")",
				   addr, m->start);
	if (r < 0) {
		err->message = NULL;
		pgm_error_destroy(err);
		return &pgm_enomem;
	}
	return err;
}

static struct pgm_error *bundle_serve(struct pgm_target *t, size_t index, uint64_t addr, uint8_t *buf,
				      size_t len)
{
	struct bundle_target *bt = to_bundle(t);
	while (len) {
		size_t i = range_at(bt, addr);
		if (i == bt->n_ranges || addr >= bt->ends[i])
			return absent(bt, &t->mappings[index], addr);
		size_t n = bt->ends[i] - addr < len ? bt->ends[i] - addr : len;
		memcpy(buf, bt->data[i] + (addr - bt->starts[i]), n);
		buf += n;
		addr += n;
		len -= n;
	}
	return NULL;
}

static struct pgm_error *bundle_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len)
{
	return pgm_target_read_split(t, addr, buf, len, bundle_serve);
}

static void bundle_destroy(struct pgm_target *t)
{
	struct bundle_target *bt = to_bundle(t);
	for (size_t i = 0; i < t->n_mappings; i++)
		free((char *)t->mappings[i].path);
	for (size_t i = 0; i < bt->n_faults; i++)
		pgm_error_destroy(bt->faults[i].err);
	free(bt->faults);
	free(bt->starts);
	free(bt->ends);
	free(bt->data);
	pgm_target_free_fields(t);
	pgm_bundle_file_release(bt->file);
	free(bt);
}

static const struct pgm_target_ops bundle_ops = {
	.read = bundle_read,
	.destroy = bundle_destroy,
};

/* ---- the memory part ---- */

static bool get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *ret)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return false;
		uint8_t b = p[(*pos)++];
		if (shift == 63 && b > 1)
			return false;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/* One record at *pos: its range and where its bytes are; false if malformed. */
static bool next_record(const uint8_t *p, size_t len, size_t *pos, uint64_t *prev_end, uint64_t *start,
			uint64_t *size)
{
	uint64_t gap;
	if (!get_varint(p, len, pos, &gap) || !get_varint(p, len, pos, size))
		return false;
	if (*size == 0 || *size > len - *pos || gap > UINT64_MAX - *prev_end)
		return false;
	*start = *prev_end + gap;
	if (*size > UINT64_MAX - *start)
		return false;
	*prev_end = *start + *size;
	*pos += *size;
	return true;
}

static struct pgm_error *load_memory(struct bundle_target *bt, const uint8_t *p, size_t len)
{
	size_t pos = 0, n = 0;
	uint64_t prev = 0, start, size;
	while (pos < len) {
		if (!next_record(p, len, &pos, &prev, &start, &size))
			return pgm_error_create(PGM_ERR_FORMAT, "record %zu is malformed or runs past the part", n);
		n++;
	}
	bt->starts = malloc((n ? n : 1) * sizeof(*bt->starts));
	bt->ends = malloc((n ? n : 1) * sizeof(*bt->ends));
	bt->data = malloc((n ? n : 1) * sizeof(*bt->data));
	if (!bt->starts || !bt->ends || !bt->data)
		return &pgm_enomem;
	pos = 0;
	prev = 0;
	for (size_t i = 0; i < n; i++) {
		next_record(p, len, &pos, &prev, &start, &size);
		bt->starts[i] = start;
		bt->ends[i] = prev;
		bt->data[i] = p + pos - size;
	}
	bt->n_ranges = n;
	return NULL;
}

/* ---- the faults part ---- */

static int cmp_fault(const void *a, const void *b)
{
	const struct pgm_read_failure *x = a, *y = b;
	return x->address < y->address ? -1 : x->address > y->address;
}

static struct pgm_error *load_fault(json_object *o, struct pgm_read_failure *f)
{
	json_object *e;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "error", &e))
		return pgm_error_create(PGM_ERR_FORMAT, "a fault without an error");
	struct pgm_error *err = pgm_bjson_get_hex(o, "address", &f->address);
	return err ? err : pgm_bjson_get_error(e, &f->err);
}

static struct pgm_error *load_faults(struct bundle_target *bt, json_object *a)
{
	size_t n = json_object_array_length(a);
	struct pgm_error *err = NULL;
	if (n > PGM_READ_LOG_MAX_FAILURES)
		err = pgm_error_create(PGM_ERR_FORMAT, "more than %u faults", PGM_READ_LOG_MAX_FAILURES);
	else if (!(bt->faults = calloc(n ? n : 1, sizeof(*bt->faults))))
		err = &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++)
		if (!(err = load_fault(json_object_array_get_idx(a, i), &bt->faults[i])))
			bt->n_faults++;
	if (!err)
		qsort(bt->faults, bt->n_faults, sizeof(*bt->faults), cmp_fault);
	return err;
}

/* ---- the process part ---- */

static struct pgm_error *load_thread(json_object *o, struct pgm_thread *th)
{
	json_object *regs;
	size_t n;
	int64_t tid, cursig;
	uint64_t r[PGM_BUNDLE_NREGS];
	struct pgm_error *err;
	if ((err = pgm_bjson_get_int(o, "tid", 0, INT32_MAX, &tid)) ||
	    (err = pgm_bjson_get_int(o, "cursig", 0, 1024, &cursig)) ||
	    (err = pgm_bjson_get_array(o, "regs", PGM_BUNDLE_NREGS, &regs, &n)))
		return err;
	if (n != PGM_BUNDLE_NREGS)
		return pgm_error_create(PGM_ERR_FORMAT, "bad \"regs\"");
	for (size_t i = 0; i < n; i++)
		if (!pgm_bjson_hex_value(json_object_array_get_idx(regs, i), &r[i]))
			return pgm_error_create(PGM_ERR_FORMAT, "bad register %zu", i);
	th->tid = (int32_t)tid;
	th->cursig = (int)cursig;
	memcpy(&th->regs, r, sizeof(r));
	return NULL;
}

static struct pgm_error *load_threads(json_object *p, struct pgm_target *t)
{
	json_object *a;
	size_t n;
	struct pgm_error *err = pgm_bjson_get_array(p, "threads", MAX_THREADS, &a, &n);
	if (!err && !(t->threads = calloc(n ? n : 1, sizeof(*t->threads))))
		err = &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		err = json_object_is_type(o, json_type_object) ? load_thread(o, &t->threads[i])
							       : pgm_error_create(PGM_ERR_FORMAT, "bad thread");
		if (!err)
			t->n_threads++;
	}
	return err;
}

static struct pgm_error *load_mapping(json_object *o, const struct pgm_mapping *prev, struct pgm_mapping *m)
{
	int64_t flags;
	char *path = NULL;
	struct pgm_error *err;
	if (!json_object_is_type(o, json_type_object))
		return pgm_error_create(PGM_ERR_FORMAT, "bad mapping");
	if ((err = pgm_bjson_get_hex(o, "start", &m->start)) || (err = pgm_bjson_get_hex(o, "end", &m->end)) ||
	    (err = pgm_bjson_get_hex(o, "file_offset", &m->file_offset)) ||
	    (err = pgm_bjson_get_int(o, "flags", 0, 31, &flags)) || (err = pgm_bjson_get_str(o, "path", &path)))
		return err;
	m->path = path;
	m->flags = (unsigned)flags;
	if (m->start >= m->end || (prev && m->start < prev->end))
		return pgm_error_create(PGM_ERR_FORMAT, "mapping 0x%" PRIx64 "-0x%" PRIx64 " is empty, "
					"unsorted or overlaps the one before", m->start, m->end);
	return NULL;
}

static struct pgm_error *load_mappings(json_object *p, struct pgm_target *t)
{
	json_object *a;
	size_t n;
	struct pgm_error *err = pgm_bjson_get_array(p, "mappings", MAX_MAPPINGS, &a, &n);
	if (!err && !(t->mappings = calloc(n ? n : 1, sizeof(*t->mappings))))
		err = &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++) {
		err = load_mapping(json_object_array_get_idx(a, i), i ? &t->mappings[i - 1] : NULL,
				   &t->mappings[i]);
		if (!err || t->mappings[i].path)
			t->n_mappings++;   /* so that destroy frees its path */
	}
	return err;
}

static struct pgm_error *load_auxv(json_object *p, struct pgm_target *t)
{
	char *hex;
	struct pgm_error *err = pgm_bjson_get_str(p, "auxv", &hex);
	size_t n = hex ? strlen(hex) : 0;
	if (!err && (!hex || n % 2 || n / 2 > MAX_AUXV))
		err = pgm_error_create(PGM_ERR_FORMAT, "bad \"auxv\"");
	if (!err && n && !(t->auxv = malloc(n / 2)))
		err = &pgm_enomem;
	if (!err && !pgm_hex_parse(hex, t->auxv, n / 2))
		err = pgm_error_create(PGM_ERR_FORMAT, "bad \"auxv\"");
	if (!err)
		t->auxv_len = n / 2;
	free(hex);
	return err;
}

static struct pgm_error *add_warning(void *arg, const char *s)
{
	return pgm_target_warn(arg, "%s", s) ? &pgm_enomem : NULL;
}

static struct pgm_error *load_warnings(json_object *p, struct pgm_target *t)
{
	return pgm_bjson_each_string(p, "warnings", MAX_WARNINGS, add_warning, t);
}

static struct pgm_error *load_siginfo(json_object *p, struct pgm_target *t)
{
	json_object *o;
	int64_t v[5];
	static const char *const keys[] = { "signo", "code", "errnum", "sender_pid", "sender_uid" };
	struct pgm_error *err = pgm_bjson_get_bool(p, "has_siginfo", &t->has_siginfo);
	if (err)
		return err;
	if (!json_object_object_get_ex(p, "siginfo", &o) || !json_object_is_type(o, json_type_object))
		return pgm_error_create(PGM_ERR_FORMAT, "bad \"siginfo\"");
	for (size_t i = 0; i < 5; i++)
		if ((err = pgm_bjson_get_int(o, keys[i], INT32_MIN, INT32_MAX, &v[i])))
			return err;
	t->siginfo = (struct pgm_siginfo){ (int)v[0], (int)v[1], (int)v[2], 0, (int32_t)v[3], (int32_t)v[4] };
	return pgm_bjson_get_hex(o, "addr", &t->siginfo.addr);
}

static struct pgm_error *load_identity(json_object *p, struct bundle_target *bt)
{
	struct pgm_target *t = &bt->base;
	char *kind = NULL;
	int64_t pid;
	struct pgm_error *err;
	if ((err = pgm_bjson_get_str(p, "kind", &kind)) || (err = pgm_bjson_get_str(p, "path", &t->path)) ||
	    (err = pgm_bjson_get_int(p, "pid", 0, INT32_MAX, &pid)) ||
	    (err = pgm_bjson_get_str(p, "cmdline", &t->cmdline)) || (err = pgm_bjson_get_str(p, "fname", &t->fname)) ||
	    (err = pgm_bjson_get_str(p, "exe_path", &t->exe_path))) {
		free(kind);
		return err;
	}
	t->pid = (int32_t)pid;
	bt->origin.kind = !kind || !strcmp(kind, "core") ? PGM_TARGET_CORE
			  : !strcmp(kind, "live") ? PGM_TARGET_LIVE : PGM_TARGET_MEMORY;
	if (!kind || (strcmp(kind, "live") && strcmp(kind, "core") && strcmp(kind, "memory")))
		err = pgm_error_create(PGM_ERR_FORMAT, "bad \"kind\"");
	if (!err && !t->path && !(t->path = strdup("?")))
		err = &pgm_enomem;
	free(kind);
	return err;
}

static struct pgm_error *load_process(struct bundle_target *bt, json_object *p)
{
	struct pgm_error *err;
	if (!(err = load_identity(p, bt)) && !(err = load_threads(p, &bt->base)) &&
	    !(err = load_mappings(p, &bt->base)) && !(err = load_auxv(p, &bt->base)) &&
	    !(err = load_siginfo(p, &bt->base)))
		err = load_warnings(p, &bt->base);
	return err;
}

/* ---- opening ---- */

static struct pgm_error *load_json(struct bundle_target *bt, const char *name, json_type type,
				   struct pgm_error *(*fn)(struct bundle_target *bt, json_object *o))
{
	json_object *o;
	struct pgm_error *err = pgm_bjson_part(&bt->base, name, type, &o);
	if (err)
		return err;
	err = pgm_bjson_part_error(&bt->base, name, fn(bt, o));
	json_object_put(o);
	return err;
}

static struct pgm_error *load_memory_part(struct bundle_target *bt)
{
	const uint8_t *data;
	size_t len;
	struct pgm_error *err = pgm_target_bundle_part(&bt->base, "memory", &data, &len)
					? load_memory(bt, data, len)
					: pgm_error_create(PGM_ERR_FORMAT, "missing");
	return pgm_bjson_part_error(&bt->base, "memory", err);
}

struct pgm_error *pgm_target_bundle_open(struct pgm_bundle_file *b, size_t capture, struct pgm_target **ret)
{
	if (capture >= pgm_bundle_file_captures(b))
		return pgm_error_create(PGM_ERR_USAGE, "no capture %zu in this bundle", capture);
	struct bundle_target *bt = calloc(1, sizeof(*bt));
	if (!bt)
		return &pgm_enomem;
	pgm_bundle_file_retain(b);
	bt->file = b;
	bt->base.ops = &bundle_ops;
	bt->base.kind = PGM_TARGET_BUNDLE;
	bt->base.fd = -1;
	bt->base.origin = &bt->origin;
	bt->origin = (struct pgm_bundle_origin){
		.bundle_path = pgm_bundle_file_path(b),
		.capture = capture,
		.redacted = pgm_bundle_file_redacted(b),
	};
	struct pgm_error *err = load_json(bt, "process", json_type_object, load_process);
	if (!err)
		err = load_memory_part(bt);
	if (!err)
		err = load_json(bt, "faults", json_type_array, load_faults);
	if (err) {
		bundle_destroy(&bt->base);
		return err;
	}
	*ret = &bt->base;
	return NULL;
}

bool pgm_target_bundle_part(const struct pgm_target *t, const char *name, const uint8_t **data,
			    size_t *len)
{
	if (t->kind != PGM_TARGET_BUNDLE)
		return false;
	const struct bundle_target *bt = (const struct bundle_target *)t;
	return pgm_bundle_file_part(bt->file, name, bt->origin.capture, data, len);
}
