/*
 * Renderers of the analysis report: the only code that prints a report.
 * Text is for people (verdict first, details after); JSON is for programs.
 */
#ifndef PGMORTEM_RENDER_REPORT_H
#define PGMORTEM_RENDER_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "pgmortem/report.h"

struct pgm_text_style {
	bool color;        /* ANSI colors: only on a TTY and without NO_COLOR */
	bool full_stack;   /* every frame, not just the interesting ones */
	/*
	 * Several reports in one output: bit c set when the hint of missing cause
	 * c was printed already, so each "next time" hint is said once; NULL:
	 * each report says its own.
	 */
	unsigned *hints_said;
};

void pgm_render_report_text(FILE *out, const struct pgm_report *r, const struct pgm_text_style *style);
void pgm_render_report_json(FILE *out, const struct pgm_report *r);
/* How to capture memory of this cause next time, in words; NULL when there is nothing to say. */
const char *pgm_missing_hint(enum pgm_missing_cause cause);
/*
 * Where the layouts came from (render/layout_origin.c): one line of text
 * under `label` (and, for a profile, the checks it passed), and its JSON
 * object ({"source", "profile", "made_from", "checks", "refused", "note"}).
 */
void pgm_render_layout_origin_text(FILE *out, const char *label, const struct pgm_layout_origin *o);
json_object *pgm_render_layout_origin_json(const struct pgm_layout_origin *o);
/* The report as a json-c object; the caller owns it (json_object_put). */
json_object *pgm_render_report_json_object(const struct pgm_report *r);

/* A section title ("\nWait"), bold with color. */
void pgm_render_heading(FILE *out, const struct pgm_text_style *st, const char *title);
/* The IPC waits' sections (walsenders, worker slots, laggards) and "Sleeping in" (report_waits.c). */
void pgm_render_waits_text(FILE *out, const struct pgm_report *r, const struct pgm_text_style *st);
/* Their JSON: lists into `wait`, "sleeping_in" and "task" into `backend`. */
void pgm_render_waits_json(json_object *backend, json_object *wait, const struct pgm_report *r);

#endif
