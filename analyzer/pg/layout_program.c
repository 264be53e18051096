/*
 * What a program keeps for PostgreSQL: its resolved layout (with how the
 * cache served it) and one DWARF engine, attached to the program so that
 * every analysis of it shares them; and frame variables read through that
 * engine.
 */
#include <stdlib.h>
#include <string.h>

#include "pg/layout.h"
#include "pg/pg.h"
#include "pgmortem/dwarf.h"
#include "pgmortem/value.h"

/* The program's layout and how it was obtained, attached to the program. */
struct layout_slot {
	char *cache_dir;         /* NULL: no cache */
	struct pgm_pg_layout *layout;   /* NULL until first needed */
	enum pgm_pg_layout_cache_result result;
	char *note;
};

static void slot_free(void *data)
{
	struct layout_slot *slot = data;
	pgm_pg_layout_destroy(slot->layout);
	free(slot->cache_dir);
	free(slot->note);
	free(slot);
}

static void dwarf_free(void *data)
{
	pgm_dwarf_destroy(data);
}

static const char layout_key, dwarf_key;

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

struct pgm_error *pgm_pg_program_layout(struct pgm_program *prog, const struct pgm_pg_layout **ret)
{
	struct layout_slot *slot;
	struct pgm_error *err = program_slot(prog, &slot);
	if (!err && !slot->layout)
		err = pgm_pg_layout_resolve_cached(prog, slot->cache_dir, &slot->layout, &slot->result,
						   &slot->note);
	if (!err)
		*ret = slot->layout;
	return err;
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

struct pgm_error *pgm_pg_frame_pointer(struct pgm_program *prog, const struct pgm_stack *stack,
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

struct pgm_error *pgm_pg_frame_integer(struct pgm_program *prog, const struct pgm_stack *stack,
				       size_t frame, const char *name, int64_t *ret)
{
	struct pgm_dwarf *dw;
	struct pgm_error *err = pgm_pg_program_dwarf(prog, &dw);
	if (err)
		return err;
	struct pgm_variable var;
	struct pgm_value v = { 0 };
	uint64_t value = 0;
	err = pgm_frame_variable_find(dw, stack, frame, name, &var);
	if (!err)
		err = pgm_value_of_variable(dw, &var, &v);
	if (!err)
		err = pgm_value_integer(dw, &v, &value);
	pgm_value_deinit(&v);
	if (!err)
		*ret = (int64_t)value;
	return err;
}
