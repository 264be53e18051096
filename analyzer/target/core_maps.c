/*
 * The mapping table of a core: the union of PT_LOAD segments and NT_FILE
 * entries, cut wherever one of them starts or ends or where a segment's
 * file data stops, so that every pgm_mapping is uniformly captured or not
 * and belongs to at most one segment and one file.
 *
 * Both inputs are needed: a kernel core has a PT_LOAD for every mapping but
 * keeps only the first page of read-only file mappings (p_filesz <
 * p_memsz), and gcore leaves such mappings out of the PT_LOADs altogether;
 * NT_FILE names the files in both cases.  Permissions come from p_flags; a
 * range only NT_FILE knows has none recorded (flags 0).
 *
 * Sorting dominates: O(n log n) in the number of segments and entries.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pgmortem/target.h"
#include "target/core.h"

static int cmp_load(const void *a, const void *b)
{
	const struct core_load *x = a, *y = b;
	return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

static int cmp_file(const void *a, const void *b)
{
	const struct core_file *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static struct pgm_error *sort_inputs(struct core_target *core)
{
	if (core->n_loads)
		qsort(core->loads, core->n_loads, sizeof(*core->loads), cmp_load);
	for (size_t i = 1; i < core->n_loads; i++)
		if (core->loads[i].vaddr < core->loads[i - 1].vaddr + core->loads[i - 1].memsz)
			return pgm_error_create(PGM_ERR_FORMAT, "PT_LOAD segments overlap at 0x%" PRIx64,
						core->loads[i].vaddr);
	if (core->n_files)
		qsort(core->files, core->n_files, sizeof(*core->files), cmp_file);
	for (size_t i = 1; i < core->n_files; i++)
		if (core->files[i].start < core->files[i - 1].end)
			return pgm_error_create(PGM_ERR_FORMAT, "NT_FILE entries overlap at 0x%" PRIx64,
						core->files[i].start);
	return NULL;
}

/* Every address where coverage may change, sorted, without duplicates. */
static struct pgm_error *boundaries(const struct core_target *core, uint64_t **ret, size_t *n_ret)
{
	uint64_t *b = malloc((3 * core->n_loads + 2 * core->n_files + 1) * sizeof(*b));
	if (!b)
		return &pgm_enomem;
	size_t n = 0;
	for (size_t i = 0; i < core->n_loads; i++) {
		const struct core_load *l = &core->loads[i];
		b[n++] = l->vaddr;
		b[n++] = l->vaddr + l->present;
		b[n++] = l->vaddr + l->memsz;
	}
	for (size_t i = 0; i < core->n_files; i++) {
		b[n++] = core->files[i].start;
		b[n++] = core->files[i].end;
	}
	if (n)
		qsort(b, n, sizeof(*b), cmp_u64);
	size_t unique = 0;
	for (size_t i = 0; i < n; i++)
		if (unique == 0 || b[i] != b[unique - 1])
			b[unique++] = b[i];
	*ret = b;
	*n_ret = unique;
	return NULL;
}

/* A range between two adjacent boundaries, or several merged. */
struct piece {
	uint64_t start, end;
	const struct core_load *load;
	const struct core_file *file;
	bool captured;
};

/* The segment covering addr; *i only moves forward, as addr does. */
static const struct core_load *load_at(const struct core_target *core, size_t *i, uint64_t addr)
{
	while (*i < core->n_loads && core->loads[*i].vaddr + core->loads[*i].memsz <= addr)
		(*i)++;
	if (*i < core->n_loads && core->loads[*i].vaddr <= addr)
		return &core->loads[*i];
	return NULL;
}

static const struct core_file *file_at(const struct core_target *core, size_t *i, uint64_t addr)
{
	while (*i < core->n_files && core->files[*i].end <= addr)
		(*i)++;
	if (*i < core->n_files && core->files[*i].start <= addr)
		return &core->files[*i];
	return NULL;
}

static void emit(struct core_target *core, const struct piece *p)
{
	struct pgm_target *t = &core->base;
	struct pgm_mapping *m = &t->mappings[t->n_mappings];
	struct core_backing *b = &core->backing[t->n_mappings++];
	*m = (struct pgm_mapping){
		.start = p->start,
		.end = p->end,
		.flags = (p->load ? p->load->flags : 0) | (p->captured ? PGM_MAP_CAPTURED : 0),
	};
	*b = (struct core_backing){
		.disk = CORE_NO_DISK,
		.map_start = p->file ? p->file->start : p->load->vaddr,
	};
	if (p->captured)
		b->data = core->map + p->load->offset + (p->start - p->load->vaddr);
	if (!p->file)
		return;
	m->path = p->file->name;
	m->file_offset = p->file->offset + (p->start - p->file->start);
	b->disk = p->file->disk;
	/* The core's copy of the file's start tells whether the disk file matches. */
	struct core_disk *d = &core->disk[b->disk];
	if (p->captured && m->file_offset == 0 && !d->head) {
		d->head = b->data;
		d->head_len = p->end - p->start;
	}
}

static bool same_kind(const struct piece *a, const struct piece *b)
{
	return a->end == b->start && a->load == b->load && a->file == b->file &&
	       a->captured == b->captured;
}

struct pgm_error *core_build_mappings(struct core_target *core)
{
	uint64_t *b;
	size_t n;
	struct pgm_error *err = sort_inputs(core);
	if (err || (err = boundaries(core, &b, &n)))
		return err;
	/* n boundaries delimit at most n - 1 pieces; +1 keeps calloc(0) away. */
	core->base.mappings = calloc(n + 1, sizeof(*core->base.mappings));
	core->backing = calloc(n + 1, sizeof(*core->backing));
	if (!core->base.mappings || !core->backing) {
		free(b);
		return &pgm_enomem;
	}
	struct piece cur = { 0 };
	bool open = false;
	size_t il = 0, jf = 0;
	for (size_t k = 0; k + 1 < n; k++) {
		struct piece p = { .start = b[k], .end = b[k + 1] };
		p.load = load_at(core, &il, p.start);
		p.file = file_at(core, &jf, p.start);
		if (!p.load && !p.file)
			continue;
		p.captured = p.load && p.start < p.load->vaddr + p.load->present;
		if (open && same_kind(&cur, &p)) {
			cur.end = p.end;
			continue;
		}
		if (open)
			emit(core, &cur);
		cur = p;
		open = true;
	}
	if (open)
		emit(core, &cur);
	free(b);
	return NULL;
}
