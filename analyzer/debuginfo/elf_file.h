/*
 * One ELF file read on its own, outside any process: its build-id, the
 * address range its segments span, its data symbols; and the running
 * pgmortem's own build-id.  For callers that look at an executable without a
 * core (layout profiles, caches); a process's modules are program.h's.
 */
#ifndef PGMORTEM_DEBUGINFO_ELF_FILE_H
#define PGMORTEM_DEBUGINFO_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
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

/*
 * ---- What a stripped executable still tells (layout profiles) ----
 *
 * Everything here reads the file as it lies on disk; pointers into the
 * returned bytes are valid until pgm_elf_file_close().  The file is
 * untrusted: sizes are checked against the image before use.
 */

/* The data objects .dynsym defines (what the executable exports), with their sizes. */
typedef struct pgm_error *pgm_elf_export_fn(void *arg, const char *name, uint64_t value, uint64_t size);
struct pgm_error *pgm_elf_file_exports(struct pgm_elf_file *f, pgm_elf_export_fn *fn, void *arg);

/*
 * The allocated sections with contents in the file (SHT_PROGBITS with
 * SHF_ALLOC): fn(arg, name, vaddr, bytes, len, writable).  .data.rel.ro
 * counts as writable (it is until the loader protects it).
 */
typedef struct pgm_error *pgm_elf_section_fn(void *arg, const char *name, uint64_t vaddr,
					     const uint8_t *bytes, size_t len, bool writable);
struct pgm_error *pgm_elf_file_sections(struct pgm_elf_file *f, pgm_elf_section_fn *fn, void *arg);

/*
 * The bytes the file holds from virtual address `vaddr` to the end of the
 * section containing it (*len of them) and that section's name.
 * PGM_ERR_LOOKUP when no such section holds vaddr.
 */
struct pgm_error *pgm_elf_file_bytes(struct pgm_elf_file *f, uint64_t vaddr, const uint8_t **ret,
				     size_t *len, const char **section);

/*
 * The R_X86_64_RELATIVE relocations of the dynamic relocation sections,
 * sorted by offset: in a position-independent executable the file holds
 * no pointer values in its data, and each one is such a relocation whose
 * addend is the link-time address pointed to.  Owned by f; *n is 0 for an
 * executable without them.
 */
struct pgm_elf_relative {
	uint64_t offset;     /* where the pointer is */
	uint64_t addend;     /* what it points to */
};
struct pgm_error *pgm_elf_file_relative(struct pgm_elf_file *f, const struct pgm_elf_relative **ret,
					size_t *n);

/*
 * The pointer a position-independent executable stores at `vaddr` once
 * loaded (before the load bias): the addend of a relocation there, else
 * the file's own 8 bytes (NULL, or an absolute address).
 */
struct pgm_error *pgm_elf_file_pointer(struct pgm_elf_file *f, uint64_t vaddr, uint64_t *ret);

/* The NUL-terminated string at vaddr (at most max bytes); PGM_ERR_LOOKUP if not in the file. */
struct pgm_error *pgm_elf_file_string(struct pgm_elf_file *f, uint64_t vaddr, size_t max, const char **ret);

#endif
