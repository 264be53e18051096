/* Not a PostgreSQL process or core: said plainly, before any analysis (pipeline/is_postgres.h). */
#include "pipeline/is_postgres.h"

#include "pg/layout.h"

static bool main_defines(struct pgm_program *prog, const char *name)
{
	struct pgm_symbol sym;
	struct pgm_error *err = pgm_program_find_symbol(prog, name, &sym);
	bool found = !err && sym.module && sym.module->is_main;
	pgm_error_destroy(err);
	return found;
}

struct pgm_error *pgm_require_postgres(struct pgm_program *prog, const struct pgm_pg *pg)
{
	if (pg->layout->has_debuginfo || main_defines(prog, "PostgresMain") || main_defines(prog, "MyProcPid"))
		return NULL;
	const struct pgm_module *main = pgm_program_main_module(prog);
	const struct pgm_target *t = pgm_program_target(prog);
	const char *exe = main ? (main->path ? main->path : main->name) : NULL;
	/* a core's stack is one command away; a live process's is in no file yet */
	const char *hint = t->kind == PGM_TARGET_LIVE ? "" : "; 'pgmortem stack' shows its stack";
	if (t->cmdline)
		return pgm_error_create(PGM_ERR_UNSUPPORTED, "not a PostgreSQL process: %s (command line '%s') "
					"defines neither PostgresMain nor MyProcPid%s", exe ? exe : "its executable",
					t->cmdline, hint);
	return pgm_error_create(PGM_ERR_UNSUPPORTED, "not a PostgreSQL process: %s defines neither PostgresMain "
				"nor MyProcPid%s", exe ? exe : "its executable", hint);
}
