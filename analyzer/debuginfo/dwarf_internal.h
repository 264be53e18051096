/*
 * Internals of the DWARF engine shared by its dwarf_*.c files: the
 * per-module lazy index (symbols, CUs, names read so far) and helpers.
 * Nothing here is part of the library's API.
 */
#ifndef PGMORTEM_DWARF_INTERNAL_H
#define PGMORTEM_DWARF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "pgmortem/dwarf.h"

/* A string-keyed hash map to int32 values; keys are borrowed. */
struct strmap {
	const char **keys;
	int32_t *values;
	size_t cap;     /* power of two, or 0 */
	size_t count;
};

/* The value stored for key, or -1. */
int32_t strmap_get(const struct strmap *m, const char *key);
/* Sets key to value; false on out of memory. */
bool strmap_put(struct strmap *m, const char *key, int32_t value);
void strmap_free(struct strmap *m);

/* One ELF symbol we may look a variable or hint up by. */
struct dsym {
	const char *name;       /* in the ELF string table */
	uint64_t addr;          /* runtime address */
	uint64_t size;
	const char *file;       /* STT_FILE of a local's group, NULL for globals */
	int32_t file_group;     /* index into module->groups, or -1 */
	uint32_t section;       /* st_shndx */
	uint8_t type;           /* STT_OBJECT or STT_FUNC */
	bool local;
	int32_t next;           /* next symbol of the same name, or -1 */
};

/* The local symbols that follow one STT_FILE symbol. */
struct file_group {
	const char *name;
	uint64_t func_addr;     /* a local function in the group, 0 if none */
};

/* One compilation (or partial) unit. */
struct dunit {
	Dwarf_Off die_offset;   /* of the unit DIE */
	const char *name;       /* DW_AT_name, read on demand */
	bool name_read;
	bool indexed;           /* top-level entries are in the name cache */
};

/* A named top-level DIE from an indexed unit. */
struct dentry {
	Dwarf_Off die_offset;
	uint32_t unit;
	uint16_t tag;
	bool declaration;
	bool has_location;      /* variables: DW_AT_location present */
	int32_t next;           /* next entry of the same name, or -1 */
};

struct pgm_dwarf_module {
	struct pgm_dwarf *dw;
	Dwfl_Module *mod;
	const char *name;
	bool is_main;
	bool dwarf_tried;
	Dwarf *dbg;             /* NULL if the module has no DWARF */
	Dwarf_Addr bias;
	char build_id[129];     /* hex, "" if unknown */

	bool syms_loaded;
	struct dsym *syms;
	size_t n_syms;
	struct strmap sym_names;        /* name -> first dsym */
	uint32_t *by_addr;              /* local objects with a file, sorted by addr */
	size_t n_by_addr;
	struct file_group *groups;
	size_t n_groups;
	uint32_t *sorted;               /* every symbol by address, built on first symbolize */
	size_t n_sorted;

	bool units_listed;
	struct dunit *units;            /* in .debug_info order (sorted by offset) */
	size_t n_units;

	struct strmap names;            /* name -> first dentry */
	struct dentry *entries;
	size_t n_entries, cap_entries;
	size_t units_indexed;
	size_t scan_cursor;             /* units before it are all indexed */
};

struct pgm_dwarf {
	Dwfl *dwfl;
	bool owns_dwfl;
	void *offline;                  /* pgm_dwarf_open_file: what libdwfl's callbacks point at */
	struct pgm_program *prog;       /* NULL for pgm_dwarf_open_file */
	struct pgm_target *target;      /* NULL for pgm_dwarf_open_file */
	struct pgm_dwarf_module *modules;
	size_t n_modules;
	size_t full_scans;
};

/* ---- dwarf_module.c ---- */

/* The module's Dwarf, loading it once; PGM_ERR_NO_DEBUGINFO if it has none. */
struct pgm_error *dmod_dwarf(struct pgm_dwarf_module *m);
/* The error for a module without DWARF, naming its build-id and what to do. */
struct pgm_error *dmod_no_debuginfo(const struct pgm_dwarf_module *m, const char *what);
struct pgm_error *dmod_load_symbols(struct pgm_dwarf_module *m);
struct pgm_error *dmod_list_units(struct pgm_dwarf_module *m);
/* Index of the unit whose DIE is at `offset`, or -1. */
long dmod_unit_at(struct pgm_dwarf_module *m, Dwarf_Off die_offset);
/* Index of the unit containing the code at runtime address `addr`, or -1. */
long dmod_unit_of_code(struct pgm_dwarf_module *m, uint64_t addr);
/* The unit's DW_AT_name. */
const char *dmod_unit_name(struct pgm_dwarf_module *m, size_t unit);
/*
 * Units that may define things of source file `file` (basename compared):
 * through a local function of that file's symbol group, else by CU name.
 */
struct pgm_error *dmod_units_of_file(struct pgm_dwarf_module *m, const char *file,
				     long *units, size_t max, size_t *n);
/*
 * Units that may define the function or variable `sym`: its code's CU for a
 * function; for an object, the CUs of its file (file-statics) or of the
 * file-statics next to it in memory (globals are laid out per object file).
 */
struct pgm_error *dmod_units_of_symbol(struct pgm_dwarf_module *m, const struct dsym *sym,
				       long *units, size_t max, size_t *n);
/*
 * False only if no DIE of the module can be named `name`: the bytes
 * "name\0" occur in neither .debug_str nor .debug_info (inline names).
 * Saves reading every unit to prove that a type a version lacks is absent.
 */
bool dmod_name_may_exist(struct pgm_dwarf_module *m, const char *name);
/* The symbol containing runtime address addr, or NULL. */
const struct dsym *dmod_symbol_at(struct pgm_dwarf_module *m, uint64_t addr);
/* The module that should be searched first, then the others: index order. */
struct pgm_dwarf_module *pgm_dwarf_module_order(struct pgm_dwarf *dw, size_t i);
/* True if `path`'s basename equals `file`'s basename. */
bool pgm_dwarf_same_file(const char *path, const char *file);

/* ---- dwarf_index.c ---- */

/* Reads a unit's top-level entries into the name cache (once). */
struct pgm_error *dindex_unit(struct pgm_dwarf_module *m, size_t unit);
/* Indexes the next not-yet-indexed unit; *done when none is left. */
struct pgm_error *dindex_next(struct pgm_dwarf_module *m, bool *done);
/* First cached entry for name, or -1; follow dentry.next. */
int32_t dindex_lookup(const struct pgm_dwarf_module *m, const char *name);
/* The DIE of an entry. */
bool dindex_die(const struct pgm_dwarf_module *m, int32_t entry, Dwarf_Die *ret);
/* The hint symbols known to lead to the CU defining PostgreSQL type `name`. */
const char *const *dindex_builtin_hints(const char *name);

/* ---- dwarf_type.c ---- */

/* The DW_AT_type of die, or a void type (die.addr NULL). */
void dtype_of(struct pgm_dwarf_module *m, Dwarf_Die *die, struct pgm_type *ret);
bool dtype_is_declaration(Dwarf_Die *die);
/* Finds a complete type named `name` among types of DWARF tag `tag` (0 = any). */
struct pgm_error *dtype_find_tagged(struct pgm_dwarf *dw, const char *name, int tag,
				    const char *hint, struct pgm_type *ret);

/* ---- helpers ---- */

/* An error from libdw's current error state: "<call>: <message>". */
struct pgm_error *pgm_dwarf_err(const char *call);

#endif
