/*
 * Renderers of the instance view (pgmortem/instance.h): the backends table
 * (pg_stat_activity), the lock table (pg_locks), the wait-for graph.  Text
 * for people, JSON ("schema": 1) for programs, DOT for Graphviz.
 */
#ifndef PGMORTEM_RENDER_BACKENDS_H
#define PGMORTEM_RENDER_BACKENDS_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "pgmortem/instance.h"

struct pgm_instance_style {
	bool color;              /* ANSI colors: only on a TTY and without NO_COLOR */
	bool locks;              /* the lock table */
	bool brief;              /* a section of another report: no query column, no lock table */
};

void pgm_render_instance_text(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *style);
/* The instance as a json-c object (without the per-core reports); the caller owns it. */
json_object *pgm_render_instance_json_object(const struct pgm_instance *inst, bool locks);
/* The wait-for graph as a Graphviz digraph. */
void pgm_render_graph_dot(FILE *out, const struct pgm_instance *inst);

#endif
