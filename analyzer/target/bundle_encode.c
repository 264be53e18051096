/*
 * The target's parts of a bundle, written from a target and its read log:
 * process (identity, threads, mappings, notes), memory (the bytes read) and
 * faults (the reads that failed).  target_bundle.c reads them back.
 */
#include <stdlib.h>
#include <string.h>

#include "pgmortem/bundle_file.h"
#include "target/bundle_json.h"
#include "target/target_internal.h"
#include "util/text.h"

#define REDACTED "<redacted>"

_Static_assert(sizeof(struct pgm_regs) == PGM_BUNDLE_NREGS * sizeof(uint64_t),
	       "struct pgm_regs is a flat array of u64");

static const char *kind_name(enum pgm_target_kind k)
{
	return k == PGM_TARGET_LIVE ? "live" : k == PGM_TARGET_MEMORY ? "memory" : "core";
}

static json_object *thread_json(const struct pgm_thread *th)
{
	uint64_t regs[PGM_BUNDLE_NREGS];
	memcpy(regs, &th->regs, sizeof(regs));
	json_object *o = json_object_new_object(), *r = json_object_new_array();
	for (size_t i = 0; i < PGM_BUNDLE_NREGS; i++)
		json_object_array_add(r, pgm_bjson_hex(regs[i]));
	json_object_object_add(o, "tid", json_object_new_int(th->tid));
	json_object_object_add(o, "cursig", json_object_new_int(th->cursig));
	json_object_object_add(o, "regs", r);
	return o;
}

static json_object *mapping_json(const struct pgm_mapping *m)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "start", pgm_bjson_hex(m->start));
	json_object_object_add(o, "end", pgm_bjson_hex(m->end));
	json_object_object_add(o, "file_offset", pgm_bjson_hex(m->file_offset));
	json_object_object_add(o, "path", pgm_bjson_str(m->path));
	json_object_object_add(o, "flags", json_object_new_int((int)m->flags));
	return o;
}

static json_object *siginfo_json(const struct pgm_siginfo *si)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "signo", json_object_new_int(si->signo));
	json_object_object_add(o, "code", json_object_new_int(si->code));
	json_object_object_add(o, "errnum", json_object_new_int(si->errnum));
	json_object_object_add(o, "addr", pgm_bjson_hex(si->addr));
	json_object_object_add(o, "sender_pid", json_object_new_int(si->sender_pid));
	json_object_object_add(o, "sender_uid", json_object_new_int(si->sender_uid));
	return o;
}

/* "postgres: alice shop 10.0.0.7(5432) SELECT" -> "postgres: <redacted>" */
static char *redact_cmdline(const char *cmdline)
{
	const char *sep = strstr(cmdline, ": ");
	size_t keep = sep ? (size_t)(sep - cmdline) + 2 : 0;
	char *s = malloc(keep + sizeof(REDACTED));
	if (s) {
		memcpy(s, cmdline, keep);
		strcpy(s + keep, REDACTED);
	}
	return s;
}

static struct pgm_error *add_cmdline(json_object *o, const char *cmdline, bool redact)
{
	char *r = cmdline && redact ? redact_cmdline(cmdline) : NULL;
	if (cmdline && redact && !r)
		return &pgm_enomem;
	json_object_object_add(o, "cmdline", pgm_bjson_str(r ? r : cmdline));
	free(r);
	return NULL;
}

static json_object *list(void *items, size_t n, size_t size, json_object *(*one)(const void *))
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, one((const char *)items + i * size));
	return a;
}

static json_object *thread_one(const void *p) { return thread_json(p); }
static json_object *mapping_one(const void *p) { return mapping_json(p); }
static json_object *string_one(const void *p) { return json_object_new_string(*(char *const *)p); }

struct pgm_error *pgm_bundle_encode_process(const struct pgm_target *t, bool redact, char **ret)
{
	json_object *o = json_object_new_object();
	char *auxv = pgm_hex_dup(t->auxv, t->auxv_len);
	if (!o || !auxv) {
		json_object_put(o);
		free(auxv);
		return &pgm_enomem;
	}
	json_object_object_add(o, "kind", json_object_new_string(kind_name(t->kind)));
	json_object_object_add(o, "path", pgm_bjson_str(t->path));
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	struct pgm_error *err = add_cmdline(o, t->cmdline, redact);
	json_object_object_add(o, "fname", pgm_bjson_str(t->fname));
	json_object_object_add(o, "exe_path", pgm_bjson_str(t->exe_path));
	json_object_object_add(o, "has_siginfo", json_object_new_boolean(t->has_siginfo));
	json_object_object_add(o, "siginfo", siginfo_json(&t->siginfo));
	json_object_object_add(o, "threads", list(t->threads, t->n_threads, sizeof(*t->threads), thread_one));
	json_object_object_add(o, "mappings", list(t->mappings, t->n_mappings, sizeof(*t->mappings), mapping_one));
	json_object_object_add(o, "auxv", json_object_new_string(auxv));
	json_object_object_add(o, "warnings", list(t->warnings, t->n_warnings, sizeof(*t->warnings), string_one));
	free(auxv);
	if (err) {
		json_object_put(o);
		return err;
	}
	return pgm_bjson_finish(o, ret);
}

/* ---- memory ---- */

struct out {
	uint8_t *buf;
	size_t len, cap;
};

static bool out_reserve(struct out *o, size_t more)
{
	if (o->cap - o->len >= more)
		return true;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap - o->len < more)
		cap *= 2;
	uint8_t *b = realloc(o->buf, cap);
	if (!b)
		return false;
	o->buf = b;
	o->cap = cap;
	return true;
}

static bool put_varint(struct out *o, uint64_t v)
{
	if (!out_reserve(o, 10))
		return false;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		o->buf[o->len++] = byte | (v ? 0x80 : 0);
	} while (v);
	return true;
}

/*
 * Overwrites the bytes of r (already copied to `dst`) that private ranges
 * cover: "<redacted>" from each range's start, cut to leave a NUL, then
 * NULs (only NULs for an empty text).  Ranges are applied by start, so a
 * later text keeps its own mark.
 */
static size_t redact_range(const struct pgm_read_range *r, uint8_t *dst,
			   const struct pgm_read_range *priv, size_t n_priv)
{
	size_t hits = 0;
	for (size_t i = 0; i < n_priv && priv[i].start < r->end; i++) {
		uint64_t lo = priv[i].start > r->start ? priv[i].start : r->start;
		uint64_t hi = priv[i].end < r->end ? priv[i].end : r->end;
		if (lo >= hi)
			continue;
		size_t mark = priv[i].end - priv[i].start - 1;
		if (mark > strlen(REDACTED))
			mark = strlen(REDACTED);
		/* an empty text stays empty: only what follows its NUL (older texts) goes */
		if (priv[i].start >= r->start && r->data[priv[i].start - r->start] == 0)
			mark = 0;
		for (uint64_t x = lo; x < hi; x++)
			dst[x - r->start] = x - priv[i].start < mark ? (uint8_t)REDACTED[x - priv[i].start] : 0;
		hits++;
	}
	return hits;
}

struct pgm_error *pgm_bundle_encode_memory(struct pgm_read_log *log, bool redact, uint8_t **ret,
					   size_t *len, size_t *n_redacted)
{
	size_t n, n_priv = 0;
	struct pgm_error *err;
	const struct pgm_read_range *r = pgm_read_log_ranges(log, &n, &err);
	const struct pgm_read_range *priv = redact ? pgm_read_log_private(log, &n_priv) : NULL;
	struct out o = { 0 };
	uint64_t prev_end = 0;
	*n_redacted = 0;
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		uint64_t size = r[i].end - r[i].start;
		if (!put_varint(&o, r[i].start - prev_end) || !put_varint(&o, size) || !out_reserve(&o, size)) {
			free(o.buf);
			return &pgm_enomem;
		}
		memcpy(o.buf + o.len, r[i].data, size);
		*n_redacted += redact_range(&r[i], o.buf + o.len, priv, n_priv);
		o.len += size;
		prev_end = r[i].end;
	}
	*ret = o.buf ? o.buf : malloc(1);
	*len = o.len;
	return *ret ? NULL : &pgm_enomem;
}

struct pgm_error *pgm_bundle_encode_faults(const struct pgm_read_log *log, char **ret)
{
	size_t n;
	const struct pgm_read_failure *f = pgm_read_log_failures(log, &n);
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "address", pgm_bjson_hex(f[i].address));
		json_object_object_add(o, "error", pgm_bjson_error(f[i].err));
		json_object_array_add(a, o);
	}
	return pgm_bjson_finish(a, ret);
}
