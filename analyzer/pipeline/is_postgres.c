/* Not a PostgreSQL process or core: said plainly, before any analysis (pipeline/is_postgres.h). */
#include "pipeline/is_postgres.h"

#include <string.h>

#include "debuginfo/elf_file.h"
#include "pg/layout.h"
#include "pg/profile.h"

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
	const struct pgm_target *t = pgm_program_target(prog);
	if (pg->layout->has_debuginfo || main_defines(prog, "PostgresMain") || main_defines(prog, "MyProcPid"))
		return NULL;
	/* a capture without the executable's symbols (a bundle): the title PostgreSQL sets still says it */
	if (t->cmdline && strncmp(t->cmdline, "postgres", strlen("postgres")) == 0)
		return NULL;
	const struct pgm_module *main = pgm_program_main_module(prog);
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

char *pgm_exe_pg_version(struct pgm_program *prog)
{
	const struct pgm_module *main = pgm_program_main_module(prog);
	struct pgm_elf_file *f = NULL;
	char *version = NULL;
	int num = 0;
	struct pgm_error *err = main && main->path ? pgm_elf_file_open(main->path, &f) : NULL;
	if (!err && f)
		err = pgm_pg_exe_version(f, &version, &num);
	pgm_error_destroy(err);   /* no file (a bundle), no version string: unknown, as before */
	pgm_elf_file_close(f);
	return version;
}
