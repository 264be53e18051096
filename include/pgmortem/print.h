/*
 * pgmortem — renderers for DWARF layouts (`pgmortem types`) and values
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

struct json_object;

/* pahole -C style text. */
void pgm_print_layout_text(FILE *out, const struct pgm_layout *layout);

/*
 * {name, kind, typedef, size, decl_file, members: [{name, type, declarator,
 * offset, size, bit_offset, bit_size, members?}], enumerators: [{name,
 * value}]}; the caller owns the result (json_object_put); NULL when out of
 * memory.
 */
struct json_object *pgm_print_layout_json(const struct pgm_layout *layout);

#endif
