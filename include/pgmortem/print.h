/*
 * pgmortem — renderers for DWARF type declarations (`pgmortem types`) and values
 * (`pgmortem print`).
 *
 * Renderers are the only code that prints.  Layouts print the way pahole
 * does (member lines with offset and size comments, holes, cachelines),
 * so the output can be checked against pahole.  JSON documents carry
 * "schema": 1; fields may be added, never renamed.
 */
#ifndef PGMORTEM_PRINT_H
#define PGMORTEM_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "pgmortem/dwarf.h"
#include "pgmortem/value.h"

struct json_object;

/* pahole -C style text. */
void pgm_print_type_decl_text(FILE *out, const struct pgm_type_decl *decl);

/*
 * {name, kind, typedef, size, decl_file, members: [{name, type, declarator,
 * offset, size, bit_offset, bit_size, members?}], enumerators: [{name,
 * value}]}; the caller owns the result (json_object_put); NULL when out of
 * memory.
 */
struct json_object *pgm_print_type_decl_json(const struct pgm_type_decl *decl);

/* What value printing needs: types, memory and symbols, all through the DWARF view. */
struct pgm_print_context {
	struct pgm_dwarf *dwarf;
};

/* Bounds, as gdb's defaults: `print elements 200`, `print repeats 10`. */
#define PGM_PRINT_MAX_ELEMENTS 200
#define PGM_PRINT_REPEATS 10
#define PGM_PRINT_MAX_DEPTH 20

/*
 * A value the way gdb's `print` shows it: structs member by member, enums
 * by name, char arrays and char pointers as strings, runs of equal
 * elements as <repeats N times>, pointers in hex (at the top level with
 * their type, with <symbol> when they point at one).  What cannot be read
 * prints in place as <not captured at 0x… (mapping …)> or <optimized out>,
 * and the rest carries on.
 */
void pgm_print_value_text(FILE *out, const struct pgm_print_context *ctx,
			  const struct pgm_value *v);

/*
 * The same value as JSON: numbers for integers (strings "0x…" for
 * pointers and for integers beyond 2^53), true/false, enumerator names,
 * strings for char arrays, objects for structs, arrays for arrays, and
 * {"unavailable": reason} / {"error": message, "address": "0x…"} in place
 * of what cannot be read.  The caller owns the result; NULL when out of
 * memory.
 */
struct json_object *pgm_print_value_json(const struct pgm_print_context *ctx,
					 const struct pgm_value *v);

#endif
