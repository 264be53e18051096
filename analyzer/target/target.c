/* Backend-independent target helpers: typed reads, mapping lookup, auxv. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgmortem/target.h"
#include "util/text.h"
#include "target/target_internal.h"

struct pgm_error *pgm_target_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return NULL;
	if (addr + len < addr)
		return pgm_error_fault(addr);
	struct pgm_error *err = t->ops->read(t, addr, buf, len);
	if (t->read_log)
		pgm_read_log_note(t, addr, buf, len, err);
	return err;
}

struct pgm_error *pgm_target_check(struct pgm_target *t)
{
	return t->ops->check ? t->ops->check(t) : NULL;
}

struct pgm_error *pgm_target_read_u64(struct pgm_target *t, uint64_t addr, uint64_t *ret)
{
	return pgm_target_read(t, addr, ret, sizeof(*ret));
}

struct pgm_error *pgm_target_read_u32(struct pgm_target *t, uint64_t addr, uint32_t *ret)
{
	return pgm_target_read(t, addr, ret, sizeof(*ret));
}

/*
 * Strings are read in small chunks so that a string ending just before an
 * uncaptured page still reads; only a failure before the terminator counts.
 */
/*
 * A chunk that fails as a whole may still hold the string's end just before
 * the failing address: read it byte by byte up to the terminator.  Returns
 * NULL with *len shortened to what was read if a NUL was found, else the
 * original error.
 */
static struct pgm_error *read_bytewise(struct pgm_target *t, uint64_t addr, char *buf, size_t *len,
				       struct pgm_error *chunk_err)
{
	for (size_t i = 0; i < *len; i++) {
		struct pgm_error *err = pgm_target_read(t, addr + i, buf + i, 1);
		if (err) {
			pgm_error_destroy(err);
			return chunk_err;
		}
		if (buf[i] == '\0') {
			*len = i + 1;
			pgm_error_destroy(chunk_err);
			return NULL;
		}
	}
	pgm_error_destroy(chunk_err);
	return NULL;
}

struct pgm_error *pgm_target_read_string(struct pgm_target *t, uint64_t addr, size_t max,
					 char **ret, bool *truncated)
{
	enum { CHUNK = 64 };
	if (max == SIZE_MAX)
		return pgm_error_create(PGM_ERR_USAGE, "string length limit too large");
	char *buf = malloc(max + 1);
	if (!buf)
		return &pgm_enomem;
	size_t len = 0;
	*truncated = false;
	while (len < max) {
		size_t want = CHUNK - ((addr + len) % CHUNK);
		if (want > max - len)
			want = max - len;
		struct pgm_error *err = pgm_target_read(t, addr + len, buf + len, want);
		if (err)
			err = read_bytewise(t, addr + len, buf + len, &want, err);
		if (err) {
			free(buf);
			return err;
		}
		char *nul = memchr(buf + len, '\0', want);
		if (nul) {
			*ret = buf;
			return NULL;
		}
		len += want;
	}
	buf[max] = '\0';
	*truncated = true;
	*ret = buf;
	return NULL;
}

/* The text at addr, and how far its reads went (for the read log's private marks). */
static struct pgm_error *read_text(struct pgm_target *t, uint64_t addr, size_t max, char **ret,
				   uint64_t *read_end)
{
	enum { CHUNK = 64 };   /* pgm_target_read_string's */
	char *raw;
	bool truncated;
	struct pgm_error *err = pgm_target_read_string(t, addr, max, &raw, &truncated);
	if (err) {
		bool part = pgm_error_is_read_failure(err) && err->address > addr && err->address - addr <= max;
		*read_end = part ? err->address : addr;
		return err;
	}
	size_t len = truncated ? max : strlen(raw) + 1;
	uint64_t end = (addr + len + CHUNK - 1) / CHUNK * CHUNK;
	*read_end = end - addr < max ? end : addr + max;
	*ret = pgm_text_from_bytes(raw, max);
	free(raw);
	return *ret ? NULL : &pgm_enomem;
}

struct pgm_error *pgm_target_read_text(struct pgm_target *t, uint64_t addr, size_t max, char **ret)
{
	uint64_t end;
	return read_text(t, addr, max, ret, &end);
}

struct pgm_error *pgm_target_read_private_text(struct pgm_target *t, uint64_t addr, size_t max,
					       char **ret)
{
	uint64_t end;
	struct pgm_error *err = read_text(t, addr, max, ret, &end);
	pgm_read_log_note_private(t, addr, end);
	return err;
}

const struct pgm_mapping *pgm_target_find_mapping(const struct pgm_target *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n_mappings;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pgm_mapping *m = &t->mappings[mid];
		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

bool pgm_target_auxv(const struct pgm_target *t, uint64_t type, uint64_t *ret)
{
	for (size_t off = 0; off + 16 <= t->auxv_len; off += 16) {
		uint64_t a_type, a_val;
		memcpy(&a_type, t->auxv + off, 8);
		memcpy(&a_val, t->auxv + off + 8, 8);
		if (a_type == 0)
			break;
		if (a_type == type) {
			*ret = a_val;
			return true;
		}
	}
	return false;
}

void pgm_target_destroy(struct pgm_target *t)
{
	if (t)
		t->ops->destroy(t);
}

struct pgm_error *pgm_target_read_split(struct pgm_target *t, uint64_t addr, void *buf,
					size_t len, pgm_target_serve_fn *serve)
{
	uint8_t *out = buf;
	while (len > 0) {
		const struct pgm_mapping *m = pgm_target_find_mapping(t, addr);
		if (!m)
			return pgm_error_fault(addr);
		size_t n = len;
		if (m->end - addr < n)
			n = m->end - addr;
		struct pgm_error *err = serve(t, m - t->mappings, addr, out, n);
		if (err)
			return err;
		addr += n;
		out += n;
		len -= n;
	}
	return NULL;
}

struct pgm_error *pgm_target_warn(struct pgm_target *t, const char *fmt, ...)
{
	char **warnings = realloc(t->warnings, (t->n_warnings + 1) * sizeof(*warnings));
	if (!warnings)
		return &pgm_enomem;
	t->warnings = warnings;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&warnings[t->n_warnings], fmt, ap);
	va_end(ap);
	if (r < 0)
		return &pgm_enomem;
	t->n_warnings++;
	return NULL;
}

void pgm_target_free_fields(struct pgm_target *t)
{
	free(t->path);
	free(t->cmdline);
	free(t->fname);
	free(t->exe_path);
	free(t->threads);
	free(t->mappings);
	free(t->auxv);
	for (size_t i = 0; i < t->n_warnings; i++)
		free(t->warnings[i]);
	free(t->warnings);
	pgm_read_log_destroy(t->read_log);
}
