/* The layout cache of a program, as the library's callers set and read it (pgmortem/analyze.h). */
#include "pg/layout.h"
#include "pgmortem/analyze.h"

struct pgm_error *pgm_program_set_layout_cache(struct pgm_program *prog, const char *dir)
{
	return pgm_pg_program_set_cache(prog, dir);
}

const char *pgm_program_layout_cache_result(struct pgm_program *prog, const char **note)
{
	return pgm_pg_layout_cache_result_name(pgm_pg_program_cache_result(prog, note));
}
