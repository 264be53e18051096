/*
 * LWLocks: tranche names and the lock word, read from the process.
 *
 * Tranche ids below LWTRANCHE_FIRST_USER_DEFINED name built-in locks: up to
 * 17, individual locks (IndividualLWLockNames) come first and the built-in
 * tranches (BuiltinTrancheNames) after them; from 18 BuiltinTrancheNames
 * covers both.  Which layout applies is told by whether
 * IndividualLWLockNames exists.  Extension tranches are named only if the
 * process registered them (LWLockTrancheNames), else "extension", as
 * PostgreSQL itself says.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

static struct pgm_error *builtin_name(const struct pgm_pg *pg, uint64_t id, char **ret)
{
	const struct pgm_pg_global *ind = &pg->layout->globals[PGM_G_IndividualLWLockNames];
	if (ind->found && ind->elements) {
		if (id < ind->elements)
			return pgm_pg_read_name_array(pg, PGM_G_IndividualLWLockNames, id, ret);
		id -= ind->elements;
	}
	return pgm_pg_read_name_array(pg, PGM_G_BuiltinTrancheNames, id, ret);
}

static struct pgm_error *extension_name(const struct pgm_pg *pg, uint64_t id, char **ret)
{
	uint64_t allocated = 0, names = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_LWLockTrancheNamesAllocated, &allocated)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_LWLockTrancheNames, &names))) {
		pgm_error_destroy(err);
		allocated = 0;
	}
	if (id < allocated && names) {
		uint64_t ptr;
		err = pgm_target_read_u64(pg->target, names + id * 8, &ptr);
		if (!err && ptr) {
			bool truncated;
			return pgm_target_read_string(pg->target, ptr, 256, ret, &truncated);
		}
		pgm_error_destroy(err);
	}
	*ret = strdup("extension");
	return *ret ? NULL : &pgm_enomem;
}

struct pgm_error *pgm_pg_lwlock_tranche_name(const struct pgm_pg *pg, uint32_t tranche, char **ret)
{
	int64_t first_user;
	if (!pgm_pg_enum_value(pg->layout, PGM_E_BuiltinTrancheIds, "LWTRANCHE_FIRST_USER_DEFINED",
			       &first_user))
		return pgm_error_create(PGM_ERR_LOOKUP, "enum BuiltinTrancheIds is not in this build's debuginfo");
	if (tranche < first_user)
		return builtin_name(pg, tranche, ret);
	return extension_name(pg, tranche - (uint64_t)first_user, ret);
}

const char *pgm_pg_lwlock_mode_name(const struct pgm_pg *pg, uint64_t mode)
{
	const char *e = pgm_pg_enum_name(pg->layout, PGM_E_LWLockMode, (int64_t)mode);
	if (!e)
		return "unknown";
	if (strcmp(e, "LW_EXCLUSIVE") == 0)
		return "exclusive";
	if (strcmp(e, "LW_SHARED") == 0)
		return "shared";
	if (strcmp(e, "LW_WAIT_UNTIL_FREE") == 0)
		return "wait-until-free";
	return e;
}
