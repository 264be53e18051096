/*
 * What a PostgreSQL executable tells without debuginfo (pg/profile_exe.c),
 * for the profile maker and loader.  File addresses throughout: the
 * caller adds the load bias.
 */
#ifndef PGMORTEM_PG_PROFILE_EXE_H
#define PGMORTEM_PG_PROFILE_EXE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debuginfo/elf_file.h"
#include "pg/layout.h"
#include "pgmortem/error.h"

/* layout.def's globals that the executable's .dynsym defines. */
struct pgm_pg_exports {
	bool found[PGM_G_COUNT];
	uint64_t vaddr[PGM_G_COUNT];
	uint64_t size[PGM_G_COUNT];
};
struct pgm_error *pgm_pg_exe_exports(struct pgm_elf_file *f, struct pgm_pg_exports *ret);

/*
 * Where an array of n pointers to these strings (NULL entries: NULL
 * pointers) lies; PGM_ERR_LOOKUP if nowhere.  Arrays with no non-NULL
 * entry are never found.
 */
struct pgm_error *pgm_pg_exe_find_strings(struct pgm_elf_file *f, const char *const *strings, size_t n,
					  uint64_t *ret);
/* Where these bytes lie in a read-only section; PGM_ERR_LOOKUP if nowhere. */
struct pgm_error *pgm_pg_exe_find_bytes(struct pgm_elf_file *f, const uint8_t *bytes, size_t len, uint64_t *ret);

#endif
