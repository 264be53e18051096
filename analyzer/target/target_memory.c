/*
 * In-memory target for unit tests: regions of bytes at chosen addresses,
 * plus threads and an auxv, so decoders run without a core or a process.
 *
 * Each mapping has a copy of its bytes in `data` (parallel to
 * base.mappings), or NULL for a region that is mapped but not captured.
 * Insertion keeps mappings sorted; that is O(n) per region, which is fine
 * for the handful of regions a test builds.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pgmortem/target.h"
#include "target/target_internal.h"

struct memory_target {
	struct pgm_target base;
	uint8_t **data;      /* per mapping: its bytes, or NULL if not captured */
	size_t capacity;     /* of base.mappings and data */
};

static struct memory_target *to_memory(struct pgm_target *t)
{
	return (struct memory_target *)t;
}

static struct pgm_error *memory_serve(struct pgm_target *t, size_t index, uint64_t addr,
				      uint8_t *buf, size_t len)
{
	const struct pgm_mapping *m = &t->mappings[index];
	const uint8_t *data = to_memory(t)->data[index];
	if (!data)
		return pgm_error_not_captured(addr, m->path, m->start);
	memcpy(buf, data + (addr - m->start), len);
	return NULL;
}

static struct pgm_error *memory_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len)
{
	return pgm_target_read_split(t, addr, buf, len, memory_serve);
}

static void memory_destroy(struct pgm_target *t)
{
	struct memory_target *mt = to_memory(t);
	for (size_t i = 0; i < t->n_mappings; i++) {
		free(mt->data[i]);
		free((char *)t->mappings[i].path);
	}
	free(mt->data);
	pgm_target_free_fields(t);
	free(mt);
}

static const struct pgm_target_ops memory_ops = {
	.read = memory_read,
	.destroy = memory_destroy,
};

struct pgm_error *pgm_target_memory_create(int32_t pid, struct pgm_target **ret)
{
	struct memory_target *mt = calloc(1, sizeof(*mt));
	if (!mt)
		return &pgm_enomem;
	mt->base.ops = &memory_ops;
	mt->base.kind = PGM_TARGET_MEMORY;
	mt->base.pid = pid;
	mt->base.fd = -1;
	if (!(mt->base.path = strdup("memory"))) {
		free(mt);
		return &pgm_enomem;
	}
	*ret = &mt->base;
	return NULL;
}

static struct pgm_error *memory_reserve(struct memory_target *mt)
{
	if (mt->base.n_mappings < mt->capacity)
		return NULL;
	size_t capacity = mt->capacity ? 2 * mt->capacity : 8;
	struct pgm_mapping *mappings = realloc(mt->base.mappings, capacity * sizeof(*mappings));
	if (!mappings)
		return &pgm_enomem;
	mt->base.mappings = mappings;
	uint8_t **data = realloc(mt->data, capacity * sizeof(*data));
	if (!data)
		return &pgm_enomem;
	mt->data = data;
	mt->capacity = capacity;
	return NULL;
}

/* Index where a region [start, end) goes, or an error if it overlaps one. */
static struct pgm_error *memory_slot(const struct pgm_target *t, uint64_t start, uint64_t end,
				     size_t *ret)
{
	size_t i = 0;
	while (i < t->n_mappings && t->mappings[i].end <= start)
		i++;
	if (i < t->n_mappings && t->mappings[i].start < end)
		return pgm_error_create(PGM_ERR_USAGE,
					"region 0x%" PRIx64 "-0x%" PRIx64 " overlaps mapping at 0x%" PRIx64,
					start, end, t->mappings[i].start);
	*ret = i;
	return NULL;
}

struct pgm_error *pgm_target_memory_add(struct pgm_target *t, uint64_t start, const void *data,
					size_t len, const char *path)
{
	if (t->kind != PGM_TARGET_MEMORY)
		return pgm_error_create(PGM_ERR_USAGE, "not an in-memory target");
	struct memory_target *mt = to_memory(t);
	if (len == 0 || start + len < start)
		return pgm_error_create(PGM_ERR_USAGE, "bad region 0x%" PRIx64 " of %zu bytes",
					start, len);
	size_t at = 0;
	struct pgm_error *err = memory_slot(t, start, start + len, &at);
	if (err || (err = memory_reserve(mt)))
		return err;
	uint8_t *copy = NULL;
	char *path_copy = NULL;
	if ((data && !(copy = malloc(len))) || (path && !(path_copy = strdup(path)))) {
		free(copy);
		return &pgm_enomem;
	}
	if (copy)
		memcpy(copy, data, len);
	size_t tail = t->n_mappings - at;
	memmove(&t->mappings[at + 1], &t->mappings[at], tail * sizeof(t->mappings[0]));
	memmove(&mt->data[at + 1], &mt->data[at], tail * sizeof(mt->data[0]));
	t->mappings[at] = (struct pgm_mapping){
		.start = start,
		.end = start + len,
		.path = path_copy,
		.flags = PGM_MAP_READ | PGM_MAP_WRITE | (copy ? PGM_MAP_CAPTURED : 0),
	};
	mt->data[at] = copy;
	t->n_mappings++;
	return NULL;
}

struct pgm_error *pgm_target_memory_add_thread(struct pgm_target *t, const struct pgm_thread *th)
{
	if (t->kind != PGM_TARGET_MEMORY)
		return pgm_error_create(PGM_ERR_USAGE, "not an in-memory target");
	struct pgm_thread *threads = realloc(t->threads, (t->n_threads + 1) * sizeof(*threads));
	if (!threads)
		return &pgm_enomem;
	threads[t->n_threads++] = *th;
	t->threads = threads;
	return NULL;
}

struct pgm_error *pgm_target_memory_set_auxv(struct pgm_target *t, const void *auxv, size_t len)
{
	if (t->kind != PGM_TARGET_MEMORY)
		return pgm_error_create(PGM_ERR_USAGE, "not an in-memory target");
	uint8_t *copy = NULL;
	if (len && !(copy = malloc(len)))
		return &pgm_enomem;
	if (len)
		memcpy(copy, auxv, len);
	free(t->auxv);
	t->auxv = copy;
	t->auxv_len = len;
	return NULL;
}
