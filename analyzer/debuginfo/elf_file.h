/*
 * One ELF file read on its own, outside any process: its build-id, the
 * address range its segments span, its data symbols; and the running
 * pgmortem's own build-id.  For callers that look at an executable without a
 * core (layout profiles, caches); a process's modules are program.h's.
 */
#ifndef PGMORTEM_DEBUGINFO_ELF_FILE_H
#define PGMORTEM_DEBUGINFO_ELF_FILE_H

#include <stdint.h>

#include "pgmortem/error.h"

struct pgm_elf_file;

/* Opens `path` read-only; close with pgm_elf_file_close(). */
struct pgm_error *pgm_elf_file_open(const char *path, struct pgm_elf_file **ret);
void pgm_elf_file_close(struct pgm_elf_file *f);

/*
 * The file's build-id in hex (owned by f) and [lo, hi), the virtual
 * addresses its PT_LOAD segments span.  PGM_ERR_FORMAT without a build-id
 * note or a PT_LOAD segment.
 */
struct pgm_error *pgm_elf_file_identity(struct pgm_elf_file *f, const char **build_id,
					uint64_t *lo, uint64_t *hi);

/*
 * Calls fn(arg, name, value) for every data object (STT_OBJECT) of .symtab
 * and .dynsym; stops at the first error fn returns and returns it.
 */
typedef struct pgm_error *pgm_elf_symbol_fn(void *arg, const char *name, uint64_t value);
struct pgm_error *pgm_elf_file_objects(struct pgm_elf_file *f, pgm_elf_symbol_fn *fn, void *arg);

/* The build-id of the running pgmortem in hex, or "pgmortem <version>" without one. */
const char *pgm_self_build_id(void);

#endif
