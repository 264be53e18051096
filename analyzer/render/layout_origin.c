/* Where PostgreSQL's layouts came from, as the report and the instance view show it. */
#include <stdio.h>

#include "render/report_render.h"

void pgm_render_layout_origin_text(FILE *out, const char *label, const struct pgm_layout_origin *o)
{
	fprintf(out, "  %-20s ", label);
	switch (o->source) {
	case PGM_LAYOUT_DWARF: fputs("from the executable's DWARF", out); break;
	case PGM_LAYOUT_PROFILE:
		fprintf(out, "profile %s (made from PostgreSQL %s)", o->profile ? o->profile : "?",
			o->made_from ? o->made_from : "?");
		break;
	default:
		fputs("none", out);
		if (o->refused)
			fprintf(out, ": profile %s refused: %s", o->profile ? o->profile : "?", o->refused);
		else if (o->note)
			fprintf(out, ": %s", o->note);
	}
	fputc('\n', out);
	for (size_t i = 0; o->source == PGM_LAYOUT_PROFILE && i < o->n_checks; i++)
		fprintf(out, "  %-20s %s\n", i ? "" : "checked", o->checks[i]);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *pgm_render_layout_origin_json(const struct pgm_layout_origin *o)
{
	json_object *j = json_object_new_object(), *checks = json_object_new_array();
	json_object_object_add(j, "source", json_object_new_string(pgm_layout_source_name(o->source)));
	json_object_object_add(j, "profile", str_or_null(o->profile));
	json_object_object_add(j, "made_from", str_or_null(o->made_from));
	for (size_t i = 0; i < o->n_checks; i++)
		json_object_array_add(checks, json_object_new_string(o->checks[i]));
	json_object_object_add(j, "checks", checks);
	json_object_object_add(j, "refused", str_or_null(o->refused));
	json_object_object_add(j, "note", str_or_null(o->note));
	return j;
}
