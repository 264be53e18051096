/*
 * Layout profiles: what the analysis needs from DWARF that every build of
 * one PostgreSQL major version on x86_64 shares, for stripped builds with
 * no debuginfo anywhere.
 *
 * PostgreSQL keeps its shared structures' layouts stable within a major
 * version (extensions compiled against one minor run on the others), so a
 * profile made from any DWARF build of that major describes every build
 * of it: struct sizes and member offsets, enumerators (wait event names
 * among them), the lock word's bits, and for each global of layout.def
 * how a build without debuginfo finds it:
 *
 *   "export"   in the executable's .dynsym (MyProc, ProcGlobal, MyProcPid,
 *              InterruptPending, …): its address from there;
 *   "strings"  a constant array of strings (lock_mode_names, …), found by
 *              its contents: consecutive pointers, relocated to strings
 *              equal to these;
 *   "bytes"    other constant data (LockConflicts), found by its bytes;
 *   "private"  a file-static in writable memory (cv_sleep_target,
 *              held_lwlocks, …): unknown without debuginfo, unless
 *              layout.def's PGM_SHMEM names its shared-memory index entry.
 *
 *   {"format": "pgmortem-profile", "version": 1, "arch": "x86_64",
 *    "major": 15,
 *    "made_from": [{"version": "15.18", "version_num": 150018, "build_id": "b770…"}],
 *    "lwlock_bits": {"has_waiters": …, "locked": …, "exclusive": …, "shared_mask": …},
 *    "structs": {…}, "members": {…}, "enums": {…},      (pg/layout_json.h)
 *    "globals": {"MyProc": {"find": "export", "size": 8, "elements": 0},
 *                "LockConflicts": {"find": "bytes", "size": 36, "elements": 9, "bytes": "0000…"},
 *                "lock_mode_names": {"find": "strings", …, "strings": ["INVALID", …]},
 *                "cv_sleep_target": {"find": "private", "size": 8, "elements": 0}, …}}
 *
 * A profile file is untrusted input like a cache file: every value is
 * checked, and a file that is not a profile for this major is ignored with
 * a note.  Entries of layout.def a profile lacks (it was made by an older
 * pgmortem) stay unresolved and are counted in the origin's note.
 */
#ifndef PGMORTEM_PG_PROFILE_H
#define PGMORTEM_PG_PROFILE_H

#include <stddef.h>

#include "debuginfo/elf_file.h"
#include "pg/layout.h"
#include "pgmortem/error.h"
#include "pgmortem/program.h"

#define PGM_PG_PROFILE_FORMAT "pgmortem-profile"
#define PGM_PG_PROFILE_VERSION 1
#define PGM_PG_PROFILE_MAX_SIZE (8u << 20)
#define PGM_PG_PROFILE_MAX_CONTENT 65536   /* bytes of one constant global recorded */

/*
 * The version an executable states in its read-only data, as `postgres
 * --version` prints it ("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"):
 * *version "15.18 (Debian 15.18-0+deb12u1)" (the caller frees it),
 * *version_num 150018.  PGM_ERR_LOOKUP if the file states none.
 */
struct pgm_error *pgm_pg_exe_version(struct pgm_elf_file *f, char **version, int *version_num);

/*
 * Makes a profile from executables with DWARF (debug builds, or builds
 * whose separate debuginfo `debug_dirs` hold), all of one major version:
 * each must yield the same profile, or the error names the first
 * difference.  *json is the profile's text, *summary one line for people;
 * the caller frees both.  PGM_ERR_NO_DEBUGINFO when an executable's DWARF
 * describes none of PostgreSQL's structures.
 */
struct pgm_error *pgm_pg_profile_make(const char *const *exes, size_t n_exes,
				      const char *const *debug_dirs, size_t n_debug_dirs,
				      char **json, char **summary);

/*
 * Where profiles are looked for, in order: the colon-separated entries of
 * $PGMORTEM_PROFILE_PATH (directories, or profile files used whatever
 * their name), ${XDG_DATA_HOME:-~/.local/share}/pgmortem/profiles,
 * share/pgmortem/profiles beside the running pgmortem's bin/, the
 * installed datadir, and the source tree a build runs from.  In a
 * directory the profile of major M is postgresql-M.json.
 */
#define PGM_PG_PROFILE_PATH_ENV "PGMORTEM_PROFILE_PATH"

/*
 * The layout of prog's executable (which has no DWARF) from the profile of
 * its major version, with exported globals placed from .dynsym and
 * constants by their contents, both with the module's load bias; *checked
 * says in words what was checked against the executable.  *ret NULL and
 * *note saying why when there is none: not a PostgreSQL executable, no
 * profile for its major, a profile that does not fit it (an export
 * missing or of another size).  The caller frees *ret (pgm_pg_layout_destroy),
 * *checked and *note.  Only out of memory is an error.
 */
struct pgm_error *pgm_pg_profile_layout(struct pgm_program *prog, struct pgm_pg_layout **ret, char **checked,
					char **note);

/*
 * Cross-checks of a profile's layout against the capture (pg/profile_check.c),
 * run before any decoder trusts it: MyProcPid and MyProc->pid are the
 * process's pid, ShmemIndex's "Proc Header" is *ProcGlobal, and every live
 * PGPROC's pid is one PgBackendStatus entry's and the other way round.
 * *checks (the caller frees each and the array) lists in words those that
 * passed; *refused (the caller frees it) names the first that failed, and
 * then the layout must not be used.  Only out of memory is an error.
 */
struct pgm_pg;
struct pgm_error *pgm_pg_profile_check(const struct pgm_pg *pg, char ***checks, size_t *n_checks,
				       char **refused);

#endif
