/*
 * What a program keeps for PostgreSQL: its resolved layout (with how the
 * cache served it, or the profile that stood in for DWARF and the
 * shared-memory index it needs) and one DWARF engine, attached to the
 * program so that every analysis of it shares them; and frame variables
 * read through that engine.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/bundle_parts.h"
#include "pg/layout.h"
#include "pg/pg.h"
#include "pg/profile.h"
#include "pgmortem/dwarf.h"
#include "pgmortem/value.h"

/* The program's layout and how it was obtained, attached to the program. */
struct layout_slot {
	char *cache_dir;         /* NULL: no cache */
	struct pgm_frame_vars *bundle_vars;   /* a bundle's frame_vars part */
	struct pgm_pg_layout *layout;   /* NULL until first needed */
	enum pgm_pg_layout_cache_result result;
	char *note;
	struct pgm_layout_origin origin;
	struct pgm_pg_shmem *shmem;     /* a profile's layout only */
};

static void slot_free(void *data)
{
	struct layout_slot *slot = data;
	pgm_pg_layout_destroy(slot->layout);
	pgm_frame_vars_destroy(slot->bundle_vars);
	pgm_pg_shmem_destroy(slot->shmem);
	pgm_layout_origin_deinit(&slot->origin);
	free(slot->cache_dir);
	free(slot->note);
	free(slot);
}

static void dwarf_free(void *data)
{
	pgm_dwarf_destroy(data);
}

static const char layout_key, dwarf_key, frame_vars_key;

static bool is_bundle(struct pgm_program *prog)
{
	return pgm_program_target(prog)->kind == PGM_TARGET_BUNDLE;
}

/* A bundle's layout and frame variables, from its parts: no DWARF, no cache. */
static struct pgm_error *load_bundle(struct pgm_program *prog, struct layout_slot *slot)
{
	struct pgm_error *err = pgm_pg_bundle_layout(prog, &slot->layout);
	if (!err && (err = pgm_frame_vars_load(prog, &slot->bundle_vars))) {
		pgm_pg_layout_destroy(slot->layout);
		slot->layout = NULL;
	}
	/* the bundle holds the layout its maker resolved (a profile's is not told apart yet) */
	if (!err && slot->layout->has_debuginfo)
		slot->origin.source = PGM_LAYOUT_DWARF;
	return err;
}

static struct pgm_error *program_slot(struct pgm_program *prog, struct layout_slot **ret)
{
	struct layout_slot *slot = pgm_program_attached(prog, &layout_key);
	if (!slot) {
		if (!(slot = calloc(1, sizeof(*slot))) || !pgm_program_attach(prog, &layout_key, slot, slot_free))
			return &pgm_enomem;
	}
	*ret = slot;
	return NULL;
}

struct pgm_error *pgm_pg_program_set_cache(struct pgm_program *prog, const char *dir)
{
	struct layout_slot *slot;
	struct pgm_error *err = program_slot(prog, &slot);
	if (err)
		return err;
	if (slot->layout)
		return pgm_error_create(PGM_ERR_USAGE, "the layout cache must be set before the first analysis");
	free(slot->cache_dir);
	slot->cache_dir = NULL;
	if (dir && !(slot->cache_dir = strdup(dir)))
		return &pgm_enomem;
	return NULL;
}

enum pgm_pg_layout_cache_result pgm_pg_program_cache_result(struct pgm_program *prog, const char **note)
{
	struct layout_slot *slot = pgm_program_attached(prog, &layout_key);
	if (note)
		*note = slot ? slot->note : NULL;
	return slot ? slot->result : PGM_LAYOUT_CACHE_OFF;
}

/*
 * The profile's layout is used only once the capture confirms it; the
 * checks read through it, with the shared-memory index it needs.
 */
static struct pgm_error *check_profile(struct pgm_program *prog, struct layout_slot *slot,
				       struct pgm_pg_layout *p, char **refused)
{
	struct pgm_layout_origin *o = &slot->origin;
	struct pgm_pg pg;
	pgm_pg_init(&pg, pgm_program_target(prog), p);
	struct pgm_error *err = pgm_pg_shmem_read(&pg, &slot->shmem);
	if (err)
		return err;
	pg.shmem = slot->shmem;
	char **checks = NULL;
	size_t n = 0;
	if ((err = pgm_pg_profile_check(&pg, &checks, &n, refused)))
		return err;
	for (size_t i = 0; i < n; i++) {
		char **c = !err ? pgm_model_grow((void **)&o->checks, &o->n_checks, sizeof(*c)) : NULL;
		if (c)
			*c = checks[i];
		else
			free(checks[i]), err = &pgm_enomem;
	}
	free(checks);
	if (!err && slot->shmem->problem && !*refused &&
	    asprintf(&o->note, "the shared-memory index could not be read: %s", slot->shmem->problem) < 0)
		err = &pgm_enomem;
	return err;
}

/* A stripped build without DWARF: the profile of its major version, if the capture confirms it. */
static struct pgm_error *try_profile(struct pgm_program *prog, struct layout_slot *slot)
{
	struct pgm_layout_origin *o = &slot->origin;
	struct pgm_pg_layout *p = NULL;
	char *checked = NULL, *refused = NULL;
	struct pgm_error *err = pgm_pg_profile_layout(prog, &p, &checked, &o->note);
	if (err || !p)
		return err;
	char **c = pgm_model_grow((void **)&o->checks, &o->n_checks, sizeof(*c));
	if (!c)
		err = &pgm_enomem;
	else
		*c = checked, checked = NULL;
	if (!err && (!(o->profile = strdup(p->profile)) || !(o->made_from = strdup(p->made_from))))
		err = &pgm_enomem;
	if (!err)
		err = check_profile(prog, slot, p, &refused);
	free(checked);
	if (err || refused) {
		pgm_pg_layout_destroy(p);
		pgm_pg_shmem_destroy(slot->shmem);
		slot->shmem = NULL;
		o->refused = refused;
		return err;
	}
	pgm_pg_layout_destroy(slot->layout);
	slot->layout = p;
	o->source = PGM_LAYOUT_PROFILE;
	return NULL;
}

/*
 * Whether a layout lacks a pointer the shared-memory index stands in for:
 * a profile's always; one stored from a profile's (a bundle) too.
 */
static bool needs_index(const struct pgm_pg_layout *l)
{
	bool needs = l->has_debuginfo && !l->globals[PGM_G_ShmemSegHdr].found;
	for (size_t i = 0; i < PGM_SH_COUNT; i++)
		needs |= l->has_debuginfo && !l->globals[pgm_pg_shmem_global(i)].found;
	return needs;
}

static struct pgm_error *resolve(struct pgm_program *prog, struct layout_slot *slot)
{
	struct pgm_error *err = pgm_pg_layout_resolve_cached(prog, slot->cache_dir, &slot->layout, &slot->result,
							     &slot->note);
	if (err)
		return err;
	if (!slot->layout->has_debuginfo)
		return try_profile(prog, slot);
	slot->origin.source = PGM_LAYOUT_DWARF;
	if (!needs_index(slot->layout))
		return NULL;
	struct pgm_pg pg;
	pgm_pg_init(&pg, pgm_program_target(prog), slot->layout);
	return pgm_pg_shmem_read(&pg, &slot->shmem);
}

struct pgm_error *pgm_pg_program_layout(struct pgm_program *prog, const struct pgm_pg_layout **ret)
{
	struct layout_slot *slot;
	struct pgm_error *err = program_slot(prog, &slot);
	if (!err && !slot->layout && is_bundle(prog))
		err = load_bundle(prog, slot);
	else if (!err && !slot->layout)
		err = resolve(prog, slot);
	if (!err)
		*ret = slot->layout;
	return err;
}

struct pgm_error *pgm_pg_program_init(struct pgm_program *prog, struct pgm_pg *pg)
{
	const struct pgm_pg_layout *layout;
	struct pgm_error *err = pgm_pg_program_layout(prog, &layout);
	if (err)
		return err;
	pgm_pg_init(pg, pgm_program_target(prog), layout);
	pg->shmem = ((struct layout_slot *)pgm_program_attached(prog, &layout_key))->shmem;
	return NULL;
}

const struct pgm_layout_origin *pgm_pg_program_origin(struct pgm_program *prog)
{
	const struct pgm_pg_layout *layout;
	struct pgm_error *err = pgm_pg_program_layout(prog, &layout);
	if (err) {
		pgm_error_destroy(err);
		return NULL;
	}
	return &((struct layout_slot *)pgm_program_attached(prog, &layout_key))->origin;
}

/* One DWARF engine per program, so frame lookups reuse the CUs already read. */
struct pgm_error *pgm_pg_program_dwarf(struct pgm_program *prog, struct pgm_dwarf **ret)
{
	struct pgm_dwarf *dw = pgm_program_attached(prog, &dwarf_key);
	if (!dw) {
		struct pgm_error *err = pgm_dwarf_create(prog, &dw);
		if (err)
			return err;
		if (!pgm_program_attach(prog, &dwarf_key, dw, dwarf_free))
			return &pgm_enomem;
	}
	*ret = dw;
	return NULL;
}

/* What the analyses of prog asked, noted for the bundle writer. */
static struct pgm_frame_vars *noted_vars(struct pgm_program *prog)
{
	struct pgm_frame_vars *vars = pgm_program_attached(prog, &frame_vars_key);
	if (!vars && (vars = pgm_frame_vars_create()) &&
	    !pgm_program_attach(prog, &frame_vars_key, vars, pgm_frame_vars_destroy))
		vars = NULL;
	return vars;
}

static struct pgm_error *read_frame_pointer(struct pgm_program *prog, const struct pgm_stack *stack,
					    size_t frame, const char *name, uint64_t *ret)
{
	struct pgm_dwarf *dw;
	struct pgm_error *err = pgm_pg_program_dwarf(prog, &dw);
	if (err)
		return err;
	struct pgm_variable var;
	uint8_t valid[8];
	uint64_t value = 0;
	err = pgm_frame_variable_find(dw, stack, frame, name, &var);
	if (!err)
		err = pgm_location_read(&var.loc, &var.ctx, &value, valid, sizeof(value));
	if (!err && memchr(valid, 0, sizeof(valid)))
		err = pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "%s is not available in frame %zu", name, frame);
	if (!err)
		*ret = value;
	return err;
}

struct pgm_error *pgm_pg_frame_pointer(struct pgm_program *prog, const struct pgm_stack *stack,
				       size_t frame, const char *name, uint64_t *ret)
{
	uint64_t value = 0;
	struct pgm_error *err;
	if (is_bundle(prog)) {
		const struct pgm_pg_layout *layout;
		struct layout_slot *slot;
		if ((err = pgm_pg_program_layout(prog, &layout)))
			return err;
		slot = pgm_program_attached(prog, &layout_key);
		err = pgm_frame_vars_answer(slot->bundle_vars, stack->tid, frame, name, &value);
	} else {
		err = read_frame_pointer(prog, stack, frame, name, &value);
	}
	/* noted on a bundle's program too: a bundle made from a bundle keeps them */
	struct pgm_frame_vars *vars = err == &pgm_enomem ? NULL : noted_vars(prog);
	if (!vars || pgm_frame_vars_note(vars, stack->tid, frame, name, value, err) == &pgm_enomem) {
		pgm_error_destroy(err);
		return &pgm_enomem;
	}
	if (!err)
		*ret = value;
	return err;
}

struct pgm_error *pgm_pg_bundle_encode_frame_vars(struct pgm_program *prog, char **ret)
{
	return pgm_frame_vars_encode(pgm_program_attached(prog, &frame_vars_key), ret);
}

static struct pgm_error *read_frame_int(struct pgm_program *prog, const struct pgm_stack *stack, size_t frame,
					const char *name, int64_t *ret)
{
	struct pgm_dwarf *dw;
	struct pgm_error *err = pgm_pg_program_dwarf(prog, &dw);
	if (err)
		return err;
	struct pgm_variable var;
	struct pgm_type t;
	uint8_t valid[8] = { 0 };
	uint64_t size = 0;
	int64_t value = 0;
	if (!(err = pgm_frame_variable_find(dw, stack, frame, name, &var))) {
		pgm_type_strip(&var.type, &t);
		if (pgm_type_kind(&t) != PGM_TYPE_INT && pgm_type_kind(&t) != PGM_TYPE_ENUM)
			err = pgm_error_create(PGM_ERR_USAGE, "%s in frame %zu is not an integer", name, frame);
	}
	if (!err && !(err = pgm_type_size(dw, &t, &size)) && (size == 0 || size > 8))
		err = pgm_error_create(PGM_ERR_USAGE, "%s in frame %zu has size %" PRIu64, name, frame, size);
	if (!err)
		err = pgm_location_read(&var.loc, &var.ctx, &value, valid, size);
	if (!err && memchr(valid, 0, size))
		err = pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "%s is not available in frame %zu", name, frame);
	if (err)
		return err;
	/* sign-extend from the variable's size (little-endian) */
	if (size < 8 && pgm_type_encoding(&t) != PGM_INT_UNSIGNED && (value >> (size * 8 - 1)) & 1)
		value = (int64_t)((uint64_t)value | ~((1ULL << (size * 8)) - 1));
	*ret = value;
	return NULL;
}

/* The same bookkeeping as pgm_pg_frame_pointer: a bundle answers, every program notes. */
struct pgm_error *pgm_pg_frame_int(struct pgm_program *prog, const struct pgm_stack *stack, size_t frame,
				   const char *name, int64_t *ret)
{
	uint64_t value = 0;
	struct pgm_error *err;
	if (is_bundle(prog)) {
		const struct pgm_pg_layout *layout;
		struct layout_slot *slot;
		if ((err = pgm_pg_program_layout(prog, &layout)))
			return err;
		slot = pgm_program_attached(prog, &layout_key);
		err = pgm_frame_vars_answer(slot->bundle_vars, stack->tid, frame, name, &value);
	} else {
		int64_t v = 0;
		err = read_frame_int(prog, stack, frame, name, &v);
		value = (uint64_t)v;
	}
	struct pgm_frame_vars *vars = err == &pgm_enomem ? NULL : noted_vars(prog);
	if (!vars || pgm_frame_vars_note(vars, stack->tid, frame, name, value, err) == &pgm_enomem) {
		pgm_error_destroy(err);
		return &pgm_enomem;
	}
	if (!err)
		*ret = (int64_t)value;
	return err;
}
