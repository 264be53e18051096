/*
 * pgmortem — the program: the modules of a target, their symbols and debuginfo.
 *
 * Built from a target through libdwfl: modules are reported from the core's
 * NT_FILE and link map (or /proc/PID/maps for a live process), their ELF files
 * found by build-id, path and `sysroot`, separate debuginfo by build-id and
 * .gnu_debuglink under `debug_dirs` and the standard places, then from the
 * debuginfod servers of DEBUGINFOD_URLS.  DWARF is read lazily, a CU at a
 * time, only when something asks for it.
 *
 * The program borrows the target (which must outlive it) and owns everything
 * else; pgm_program_destroy() frees it.  Not thread-safe: one program per
 * thread.
 */
#ifndef PGMORTEM_PROGRAM_H
#define PGMORTEM_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/target.h"

struct pgm_program;

/*
 * A debuginfod download, for a progress line: called about once a second
 * while bytes arrive and once more with `done` set.  `failure` is set on
 * that last call when the fetch failed: one line naming the server and what
 * happened (the same line is one of the program's warnings).
 */
struct pgm_fetch_progress {
	const char *module;    /* the module's name */
	const char *what;      /* "debuginfo" or "executable" */
	const char *servers;   /* DEBUGINFOD_URLS */
	long bytes, total;     /* total is -1 when the server did not say */
	bool done;
	const char *failure;   /* NULL unless done and failed */
};

/*
 * Where files come from, in the order tried for each module: `exe` (main
 * module only), `sysroot` + the module's path, the .build-id trees of
 * `debug_dirs` and /usr/lib/debug, then the module's path itself (not when
 * `sysroot` is set).  A candidate whose build-id differs from the one the
 * process ran is skipped with a warning.  Separate debuginfo is looked up by
 * build-id and .gnu_debuglink in `debug_dirs`, then next to the file, in its
 * .debug/ and under (sysroot)/usr/lib/debug.
 */
struct pgm_program_options {
	const char *exe;                 /* override the executable, NULL to find it */
	const char *const *debug_dirs;   /* extra places for separate debuginfo */
	size_t n_debug_dirs;
	const char *sysroot;             /* prefix for module paths, NULL for / */
	/*
	 * Name frames outside the executable from their symbol tables, without
	 * reading their DWARF: no inline frames or lines there, but no
	 * decompressing libc's debuginfo either.  For analyses, which need only
	 * PostgreSQL's DWARF; `stack` leaves it off to match gdb frame by frame.
	 */
	bool symbols_only_libraries;
	/*
	 * Progress of debuginfod downloads (DEBUGINFOD_URLS), NULL for none.
	 * A download that stalls for DEBUGINFOD_TIMEOUT seconds (default
	 * PGM_DEBUGINFOD_TIMEOUT_DEFAULT) is abandoned.
	 */
	void (*fetch_progress)(void *arg, const struct pgm_fetch_progress *p);
	void *fetch_progress_arg;
};

#define PGM_DEBUGINFOD_TIMEOUT_DEFAULT 10

/* Where a module's DWARF came from. */
enum pgm_debuginfo_source {
	PGM_DEBUGINFO_NONE,        /* no DWARF was found */
	PGM_DEBUGINFO_EMBEDDED,    /* in the module's own ELF file (a debug build) */
	PGM_DEBUGINFO_BESIDE,      /* a separate file beside it: its directory or .debug/ */
	PGM_DEBUGINFO_DEBUG_DIR,   /* a separate file under a debug directory */
	PGM_DEBUGINFO_DEBUGINFOD,  /* a separate file from a debuginfod server or its cache */
};

/* "none", "embedded", "beside", "debug_dir", "debuginfod". */
const char *pgm_debuginfo_source_name(enum pgm_debuginfo_source source);

/*
 * One loaded object.  Filled by pgm_program_create() and read-only after;
 * finding the files opens them but reads no DWARF.  The Dwfl_Module's
 * userdata slot belongs to program.c (it points back at the program).
 */
struct pgm_module {
	const char *name;        /* as reported, e.g. "/usr/lib/postgresql/15/bin/postgres" */
	const char *path;        /* the ELF file used, NULL if not found or read from memory */
	const char *debug_path;  /* separate debuginfo used, NULL if none or in `path` */
	uint64_t start, end;     /* load range in the process */
	uint64_t bias;           /* load bias */
	uint8_t build_id[64];
	size_t build_id_len;     /* 0 if unknown */
	bool has_elf;            /* an ELF image was found (a file, or memory for the vDSO) */
	bool has_symtab;         /* a .symtab (not only .dynsym), in `path` or `debug_path` */
	bool has_dwarf;          /* a .debug_info section, in `path` or `debug_path` */
	bool build_id_mismatch;  /* a file was found at the expected place but its
				    build-id differs from what the process ran; it
				    was not used */
	bool is_main;            /* the executable (holds AT_ENTRY) */
	enum pgm_debuginfo_source debuginfo_source;
	/*
	 * With the source: the debug directory (DEBUG_DIR), the server's URL
	 * (DEBUGINFOD; NULL when the file came from the client's cache), else
	 * NULL.  The file itself is `path` (EMBEDDED) or `debug_path`.
	 */
	const char *debuginfo_from;
	void *dwfl_module;       /* Dwfl_Module *, for the debuginfo layer */
};

/*
 * Reports the target's modules (a core's NT_FILE and link map, a live
 * process's /proc/PID/maps; none for an in-memory target) and finds their
 * files.  A live process's files are opened through /proc/PID/root, so a
 * process in another mount namespace (a container) is read as it sees its
 * files.  When libdwfl refuses a core's modules, they are reported from its
 * NT_FILE note and the program headers in its memory instead, with a
 * warning saying so.  Missing files and debuginfo are warnings, not errors;
 * errors are only out of memory and libdwfl failing to start.
 */
struct pgm_error *pgm_program_create(struct pgm_target *target,
				     const struct pgm_program_options *opts,
				     struct pgm_program **ret);
void pgm_program_destroy(struct pgm_program *prog);

struct pgm_target *pgm_program_target(struct pgm_program *prog);

/*
 * Per-program state of higher layers, so that what they derive from a
 * program (the DWARF engine, PostgreSQL's resolved layout) is built once
 * and lives exactly as long as the program.  `key` is the address of a
 * static object of the owning module.  attach: the program takes `data`
 * and calls destroy(data) when it is destroyed; false when out of memory
 * (then destroy(data) has been called).  attached: NULL if none.
 */
bool pgm_program_attach(struct pgm_program *prog, const void *key, void *data,
			void (*destroy)(void *data));
void *pgm_program_attached(struct pgm_program *prog, const void *key);
/* The Dwfl * handle, for the debuginfo layer only. */
void *pgm_program_dwfl(struct pgm_program *prog);

/* All modules, sorted by start address; the array is owned by prog. */
const struct pgm_module *pgm_program_modules(struct pgm_program *prog, size_t *n);
/* The executable's module, or NULL if it could not be identified. */
const struct pgm_module *pgm_program_main_module(struct pgm_program *prog);
/* The module containing addr, or NULL. */
const struct pgm_module *pgm_program_module_at(struct pgm_program *prog, uint64_t addr);

/*
 * Human-readable warnings collected while loading modules (build-id
 * mismatch, module without debuginfo and how to provide it, file not found).
 * Owned by prog.
 */
const char *const *pgm_program_warnings(struct pgm_program *prog, size_t *n);

struct pgm_symbol {
	const char *name;      /* owned by the program (points into the ELF's string table) */
	uint64_t address;      /* runtime address (bias applied) */
	uint64_t size;
	bool is_local;         /* STB_LOCAL: a file-static */
	const struct pgm_module *module;
};

/*
 * Finds a defined function or object by name, file-statics included: .symtab
 * if the module has one, else .dynsym.  The main module is searched first,
 * then the others by address.  Within a module a global wins over a local of
 * the same name (two file-statics of one name: the first in the table).  TLS
 * symbols are skipped (their value is not an address).  The first lookup in
 * a module indexes its symbols, so later ones are O(1).  PGM_ERR_LOOKUP if
 * absent.
 */
struct pgm_error *pgm_program_find_symbol(struct pgm_program *prog, const char *name,
					  struct pgm_symbol *ret);
/*
 * The symbol covering addr, and addr's offset into it; PGM_ERR_LOOKUP if
 * none (libdwfl's rule: a sized symbol must contain addr, a sizeless one
 * only precede it).
 */
struct pgm_error *pgm_program_symbolize(struct pgm_program *prog, uint64_t addr,
					struct pgm_symbol *ret, uint64_t *offset);

#endif
