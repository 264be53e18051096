/*
 * The instance pipeline: its tables decoded from one core (pg/), the
 * LWLocks each analyzed core holds, then the wait-for graph and every
 * report's words (analysis/).
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "pg/pg.h"
#include "pgmortem/analyze.h"
#include "pipeline/is_postgres.h"
#include "util/text.h"


/* The identity of the instance pg reads, with the build-id of prog's executable. */
static struct pgm_error *identify(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_instance_id *id)
{
	const struct pgm_module *main = pgm_program_main_module(prog);
	char *build_id = pgm_hex_dup(main ? main->build_id : NULL, main ? main->build_id_len : 0);
	struct pgm_error *err = build_id ? pgm_pg_identify(pg, build_id, id) : &pgm_enomem;
	free(build_id);
	return err;
}

struct pgm_error *pgm_instance_identify(struct pgm_program *prog, struct pgm_instance_id *id)
{
	struct pgm_pg pg;
	struct pgm_error *err = pgm_pg_program_init(prog, &pg);
	if (!err)
		err = pgm_require_postgres(prog, &pg);
	return err ? err : identify(prog, &pg, id);
}

struct pgm_error *pgm_instance_read(struct pgm_program *prog, const struct pgm_instance_options *opts,
				    struct pgm_instance **ret)
{
	struct pgm_instance *inst = pgm_instance_create();
	if (!inst)
		return &pgm_enomem;
	struct pgm_target *t = pgm_program_target(prog);
	struct pgm_pg pg;
	struct pgm_error *err = pgm_pg_program_init(prog, &pg);
	if (!err)
		err = pgm_require_postgres(prog, &pg);
	if (!err)
		err = identify(prog, &pg, &inst->id);
	if (!err)
		err = pgm_model_strdup(&inst->source_path, t->path ? t->path : "");
	const struct pgm_layout_origin *origin;
	if (!err)
		err = (origin = pgm_pg_program_origin(prog)) ? pgm_layout_origin_copy(&inst->layout, origin) : &pgm_enomem;
	if (!err)
		err = pgm_pg_read_instance(&pg, opts && opts->locks, inst);
	if (!err && !inst->pg_version)   /* no layout to read it with: the executable says it */
		inst->pg_version = pgm_exe_pg_version(prog);
	if (!err)
		err = pgm_explain_instance(inst);
	if (err) {
		pgm_instance_destroy(inst);
		return err;
	}
	*ret = inst;
	return NULL;
}

struct pgm_error *pgm_instance_link(struct pgm_instance *inst, struct pgm_program *prog)
{
	struct pgm_pg pg;
	struct pgm_error *err = pgm_pg_program_init(prog, &pg);
	if (!err && pg.layout->has_debuginfo)
		for (size_t i = 0; !err && i < inst->n_reports; i++)
			err = pgm_pg_read_lwlock_holds(&pg, inst->reports[i], inst);
	/* the graph's evidence quotes lock waits in words: describe them first */
	if (!err)
		err = pgm_explain_instance(inst);
	if (!err)
		err = pgm_instance_build_graph(inst);
	return err ? err : pgm_explain_instance(inst);
}
