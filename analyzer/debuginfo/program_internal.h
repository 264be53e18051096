/*
 * Internals of struct pgm_program shared by program.c (modules and files),
 * symbols.c (symbol lookup), unwind.c (physical frames) and stack.c (inline
 * frames, names, lines).  Nothing outside analyzer/debuginfo includes this.
 */
#ifndef PGMORTEM_DEBUGINFO_PROGRAM_INTERNAL_H
#define PGMORTEM_DEBUGINFO_PROGRAM_INTERNAL_H

#include <time.h>

#include <elfutils/libdwfl.h>

#include "pgmortem/program.h"
#include "pgmortem/stack.h"

/*
 * Name -> symbol-table index of one module, open addressing.  Names point
 * into the module's ELF string table, which lives as long as the Dwfl.
 */
struct symbol_index {
	bool built;
	size_t cap;              /* power of two, 0 until built */
	const char **names;
	uint32_t *ndx;
};

/*
 * The module's functions sorted by address, built on the first lookup by
 * address: libdwfl's own lookup scans every symbol on every call.
 */
struct address_index {
	bool built;
	size_t n;
	struct symbol_at { uint64_t value, size; uint32_t ndx; } *syms;
};

/* What program.c keeps per module beside the public struct pgm_module. */
struct module_state {
	struct pgm_program *prog;   /* the Dwfl_Module's userdata points here */
	size_t index;               /* into prog->modules */
	struct symbol_index symbols;
	struct address_index by_address;
	char *name, *path, *debug_path;   /* owned copies behind the pgm_module */
	char *debuginfo_from;       /* owned copy behind pgm_module.debuginfo_from */
	bool from_debuginfod;       /* its debug file came from debuginfod */
	char *debuginfod_server;    /* ... fetched from this server, NULL if from the cache */
	bool debuginfod_warned;     /* a failed fetch of it was said once; not again */
	uint8_t *image;             /* the vDSO's ELF image read from a core, for libdwfl */
};

/* The debuginfod fetch in progress (debuginfod.c). */
struct debuginfod_fetch {
	struct module_state *ms;    /* NULL when no lookup is in progress */
	const char *what;           /* "debuginfo" or "executable" */
	bool asked;                 /* a server was contacted (not the client's cache) */
	bool timed_out;             /* abandoned: no data for debuginfod_timeout seconds */
	long bytes, total;
	struct timespec last;       /* when data last arrived */
	struct timespec told;       /* when fetch_progress was last called */
};

struct unwind_walk;
struct pgm_program_bundle;

struct pgm_program {
	/* libdwfl keeps a pointer to this and to debuginfo_path: both live here. */
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;
	char *exe, *sysroot;
	struct pgm_target *target;
	Dwfl *dwfl;
	uint64_t entry;             /* AT_ENTRY, 0 if unknown */

	struct pgm_module *modules; /* sorted by start */
	struct module_state *states;   /* parallel to modules */
	size_t n_modules;
	const struct pgm_module *main;

	char **warnings;
	size_t n_warnings;

	bool symbols_only_libraries;   /* pgm_program_options */
	void (*fetch_progress)(void *arg, const struct pgm_fetch_progress *p);
	void *fetch_progress_arg;
	void *debuginfod;           /* our debuginfod_client *, NULL if DEBUGINFOD_URLS is unset */
	char *debuginfod_urls;
	long debuginfod_timeout;    /* seconds without data before a fetch is abandoned */
	bool debuginfod_down;       /* a server failed: ask no more */
	struct debuginfod_fetch fetch;
	struct program_attachment *attachments;  /* pgm_program_attach, newest first */
	bool attached;              /* dwfl_attach_state done */
	struct unwind_walk *walk;   /* the unwind in progress, for memory_read */
	struct pgm_program_bundle *bundle;   /* made on a bundle's target; then dwfl is NULL */
};

/* Appends a formatted warning; false only when out of memory. */
bool pgm_program_warn(struct pgm_program *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether frames in `m` are named and expanded from its DWARF. */
bool pgm_program_frames_use_dwarf(const struct pgm_program *prog, const struct pgm_module *m);
/* The module whose Dwfl_Module is `mod`, or NULL. */
const struct pgm_module *pgm_program_module_of(struct pgm_program *prog, Dwfl_Module *mod);
/*
 * The function symbol gdb names the code at addr after, by gdb's rule for
 * minimal symbols: the nearest address at or below addr; among several
 * names there the last by strcmp, sized ones first; a sized symbol must
 * contain addr, a sizeless one is used only when no sized symbol encloses
 * addr.  NULL if none; *offset is addr's offset into it.
 */
const char *pgm_program_symbol_at(struct pgm_program *prog, Dwfl_Module *mod, uint64_t addr,
				  GElf_Sym *sym, uint64_t *offset);
/*
 * The address of the symbol `name`, looked up in module m first (a static
 * of the caller's own file), then everywhere.  A versioned .symtab name
 * "sem_wait@@GLIBC_2.34" answers to "sem_wait", as gdb's does.
 */
bool pgm_program_symbol_address(struct pgm_program *prog, const struct pgm_module *m,
				const char *name, uint64_t *ret);

/* The name a core's vDSO module is reported under when we report modules. */
#define PGM_VDSO_NAME "[vdso]"

/*
 * Finding files (program_files.c).  debuginfo_path: libdwfl's search path
 * string for these options and target (NULL: a lone file; the caller frees
 * it).  find_elf and
 * find_debuginfo: the Dwfl_Callbacks.  module_build_id: the build-id the
 * process ran, as libdwfl knows it (0 if unknown).  file_build_id_matches:
 * whether the ELF file at fd has that build-id; its own, in hex or "none",
 * goes to have_hex (129 bytes).
 */
char *pgm_program_debuginfo_path(const struct pgm_program_options *opts,
				 const struct pgm_target *t);
int pgm_program_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			 char **file_name, Elf **elfp);
int pgm_program_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			       GElf_Addr base, const char *file_name, const char *debuglink_file,
			       GElf_Word debuglink_crc, char **debuginfo_file_name);
size_t pgm_module_build_id(Dwfl_Module *mod, const unsigned char **bits);
bool pgm_file_build_id_matches(int fd, const unsigned char *want, size_t want_len,
			       char *have_hex);

/*
 * Modules from the process image (program_image.c).  report_from_files:
 * reports a core's modules from its NT_FILE mappings and AT_SYSINFO_EHDR,
 * between dwfl_report_begin and dwfl_report_end; returns how many.
 * note_build_ids: gives each module without a build-id the one in the
 * target's memory (a live process).  vdso_elf: the find_elf answer for a
 * core's vDSO (*elfp from its memory).
 */
size_t pgm_program_report_from_files(struct pgm_program *prog);
void pgm_program_note_build_ids(struct pgm_program *prog);
int pgm_program_vdso_elf(struct module_state *ms, Dwfl_Module *mod, Elf **elfp);

/*
 * debuginfod (debuginfod.c).  init starts a client when DEBUGINFOD_URLS is
 * set (deinit ends it); fetch asks for `what` ("debuginfo" or
 * "executable") of build-id `id` for module ms: an fd and *file_name (in
 * the client's cache), or -1 with at most one warning line, after which a
 * failed server is asked no more.
 */
void pgm_debuginfod_init(struct pgm_program *prog);
void pgm_debuginfod_deinit(struct pgm_program *prog);
int pgm_debuginfod_fetch(struct pgm_program *prog, struct module_state *ms, const char *what,
			 const unsigned char *id, size_t len, char **file_name);

/*
 * One physical frame as libdwfl unwound it, before inline expansion.
 * `lookup_pc` is the address to symbolize: pc - 1 for return addresses, so
 * that a call at the very end of a function maps to that function.
 */
struct phys_frame {
	uint64_t pc, lookup_pc;
	bool activation;
	uint64_t regs[PGM_DWARF_NREGS];
	uint32_t regs_valid;
	uint64_t cfa;
	bool has_cfa;
};

/*
 * True if (pc, sp) equals that of one of the n frames already unwound: the
 * unwinder went around in a circle.
 */
bool pgm_unwind_repeats(const struct phys_frame *frames, size_t n, uint64_t pc, uint64_t sp);

/*
 * Computes the CFA of a frame from the CFI at lookup_pc when its rule is
 * register + offset and that register is known.
 */
bool pgm_unwind_cfa_from_cfi(struct pgm_program *prog, struct phys_frame *frame);

#define PGM_TAIL_CALLS_MAX 8

/*
 * The functions that tail-called from the caller's call site (the one
 * returning to return_pc, in caller_fn) down to the callee at callee_entry,
 * as the return pcs of their tail-call sites, callee side first: gdb's
 * "tail call frames".  0 when there are none, the DWARF has no call sites,
 * or several chains are possible.
 */
size_t pgm_tail_calls(struct pgm_program *prog, const struct pgm_module *caller_module,
		      Dwarf_Die *caller_fn, Dwarf_Addr caller_bias, uint64_t return_pc,
		      uint64_t callee_entry, uint64_t ret_pcs[PGM_TAIL_CALLS_MAX]);

/*
 * Turns physical frames into gdb-numbered frames with inline frames, names,
 * source lines and modules; appends to stack->frames.
 */
struct pgm_error *pgm_stack_expand(struct pgm_program *prog, const struct phys_frame *phys,
				   size_t n_phys, struct pgm_stack *stack);

/*
 * A program on a bundle's target (program_bundle.c): modules and stacks
 * from the bundle's parts, no files, no libdwfl.  pgm_program_create()
 * and pgm_program_unwind() hand over to these for such a target.
 */
struct pgm_error *pgm_program_bundle_create(struct pgm_target *target, const struct pgm_program_options *opts,
					    struct pgm_program **ret);
struct pgm_error *pgm_program_bundle_unwind(struct pgm_program *prog, size_t thread_index,
					    struct pgm_stack **ret);
void pgm_program_bundle_free(struct pgm_program_bundle *b);

#endif
