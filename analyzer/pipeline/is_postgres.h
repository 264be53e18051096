/* Whether a capture is of a PostgreSQL process at all (pipeline/is_postgres.c). */
#ifndef PGMORTEM_PIPELINE_IS_POSTGRES_H
#define PGMORTEM_PIPELINE_IS_POSTGRES_H

#include "pg/pg.h"
#include "pgmortem/program.h"

/*
 * NULL for a PostgreSQL process; otherwise an error (PGM_ERR_UNSUPPORTED)
 * saying plainly that it is not one, naming its executable and command
 * line.  Every postgres executable, stripped or not, defines PostgresMain
 * and MyProcPid (extensions link against them): a layout from DWARF or a
 * profile, either symbol in the main executable, or a command line that
 * starts "postgres" (the title a backend sets) is enough.
 */
struct pgm_error *pgm_require_postgres(struct pgm_program *prog, const struct pgm_pg *pg);

/*
 * "15.18 (Debian 15.18-0+deb12u1)" as the executable states it, for when
 * memory cannot say (no layout); NULL if unknown.  The caller frees it.
 */
char *pgm_exe_pg_version(struct pgm_program *prog);

#endif
