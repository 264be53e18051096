/*
 * pgmortem — DWARF types, global variables and frame variables, read lazily.
 *
 * A struct pgm_dwarf is the DWARF view of one program (or of one executable
 * opened by itself, for `pgmortem types`).  It never indexes all of
 * .debug_info: a name is looked up first in the compilation units (CUs)
 * already read, then in the CUs that hint symbols point at (the CU defining
 * `_bt_parallel_seize` defines BTParallelScanDescData; the CU of a
 * variable's address defines the variable), and only as a last resort by
 * reading the top-level entries of the remaining CUs, stopping at the first
 * match.  Everything read is cached per module.
 *
 * Types are small values (a DIE and its module) valid while the pgm_dwarf
 * lives; nothing needs freeing unless a function says so.  Names returned as
 * `const char *` point into the DWARF data and live as long as the
 * pgm_dwarf.  Not thread-safe: one pgm_dwarf per thread.
 *
 * Errors: PGM_ERR_LOOKUP for a name that is not there ("type 'PGPROCX' not
 * found in /usr/lib/postgresql/15/bin/postgres"), PGM_ERR_NO_DEBUGINFO when
 * the module has no DWARF at all (the message names the build-id and how to
 * provide debuginfo), PGM_ERR_DWARF for libdw failures, PGM_ERR_FORMAT for
 * malformed DWARF, PGM_ERR_OPTIMIZED_OUT for a frame variable without a
 * location at the frame's pc.
 */
#ifndef PGMORTEM_DWARF_H
#define PGMORTEM_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>

#include "pgmortem/dwarf_expr.h"
#include "pgmortem/error.h"
#include "pgmortem/program.h"
#include "pgmortem/stack.h"

struct pgm_dwarf;
struct pgm_dwarf_module;

/* ---- lifecycle ---- */

/*
 * The DWARF view of `prog`'s modules; borrows prog (and its target, used to
 * read memory for DW_OP_deref and values), which must outlive it.  Reads no
 * DWARF yet.  Free with pgm_dwarf_destroy().
 */
struct pgm_error *pgm_dwarf_create(struct pgm_program *prog, struct pgm_dwarf **ret);

/*
 * One executable or shared object by itself, without a process: types and
 * variable addresses (at the file's own addresses) only.  Separate
 * debuginfo is searched by build-id and .gnu_debuglink in `debug_dirs` and
 * the standard places.
 */
struct pgm_error *pgm_dwarf_open_file(const char *path, const char *const *debug_dirs,
				      size_t n_debug_dirs, struct pgm_dwarf **ret);

void pgm_dwarf_destroy(struct pgm_dwarf *dw);

/* What the lazy index has read so far, for benchmarks and diagnostics. */
struct pgm_dwarf_stats {
	size_t modules;
	size_t units_total;      /* CUs listed (0 until something needed the list) */
	size_t units_indexed;    /* CUs whose top-level entries were read */
	size_t names;            /* names cached */
	size_t full_scans;       /* lookups that fell back to scanning CUs */
};
void pgm_dwarf_get_stats(const struct pgm_dwarf *dw, struct pgm_dwarf_stats *ret);

/* ---- types ---- */

enum pgm_type_kind {
	PGM_TYPE_VOID,
	PGM_TYPE_INT,        /* including char and _Bool; see pgm_type_encoding */
	PGM_TYPE_FLOAT,
	PGM_TYPE_POINTER,
	PGM_TYPE_ARRAY,
	PGM_TYPE_STRUCT,
	PGM_TYPE_UNION,
	PGM_TYPE_ENUM,
	PGM_TYPE_TYPEDEF,
	PGM_TYPE_QUALIFIED,  /* const, volatile, restrict, _Atomic */
	PGM_TYPE_FUNCTION,
	PGM_TYPE_OTHER,
};

enum pgm_int_encoding {
	PGM_INT_SIGNED,
	PGM_INT_UNSIGNED,
	PGM_INT_SIGNED_CHAR,
	PGM_INT_UNSIGNED_CHAR,
	PGM_INT_BOOL,
};

/*
 * A type: a DWARF DIE, plus `pointers` levels of pointer on top of it for
 * the pointer types a cast needs but the DWARF may lack
 * ("(BTParallelScanDescData *)0x7f…").  die.addr == NULL with pointers == 0
 * is void.
 */
struct pgm_type {
	Dwarf_Die die;
	struct pgm_dwarf_module *module;
	unsigned pointers;
};

/*
 * Finds a type by name: "PGPROC", "struct PGPROC", "union X", "enum X",
 * "unsigned int", with optional trailing '*'s ("PGPROC *").  A bare name
 * finds a typedef or a struct/union/enum tag; a complete definition wins
 * over a declaration.  `hint` is optional: a function or variable whose CU
 * defines the type, or a source file name ("nbtree.c"); it is tried before
 * the built-in hints and the scan.  With two different definitions of one
 * name in different CUs (file-private structs), the hinted CU's wins.
 */
struct pgm_error *pgm_type_find(struct pgm_dwarf *dw, const char *name, const char *hint,
				struct pgm_type *ret);

enum pgm_type_kind pgm_type_kind(const struct pgm_type *type);
/* The type's own name ("PGPROC", "int"), NULL for anonymous and derived types. */
const char *pgm_type_tag_name(const struct pgm_type *type);
/* Strips typedefs and qualifiers (not pointers). */
void pgm_type_strip(const struct pgm_type *type, struct pgm_type *ret);
/* For a struct/union/enum declared only in this CU, its definition elsewhere. */
struct pgm_error *pgm_type_complete(struct pgm_dwarf *dw, const struct pgm_type *type,
				    struct pgm_type *ret);
struct pgm_error *pgm_type_size(struct pgm_dwarf *dw, const struct pgm_type *type, uint64_t *ret);
/* Integer encoding of a (stripped) INT or ENUM type. */
enum pgm_int_encoding pgm_type_encoding(const struct pgm_type *type);
/* What a pointer points to (typedefs stripped first); PGM_ERR_USAGE if not a pointer. */
struct pgm_error *pgm_type_pointee(struct pgm_dwarf *dw, const struct pgm_type *type,
				   struct pgm_type *ret);
/*
 * Element type and count of an array; *has_count is false for a flexible
 * or unbounded array.  Multi-dimensional arrays are arrays of arrays.
 */
struct pgm_error *pgm_type_array(struct pgm_dwarf *dw, const struct pgm_type *type,
				 struct pgm_type *elem, uint64_t *count, bool *has_count);
/*
 * The C spelling of the type, with `name` declared if non-NULL:
 * "PGPROC *", "char [64]", "char name[64]", "void (*fn)(int)".  The caller
 * frees *ret with free().
 */
struct pgm_error *pgm_type_to_string(const struct pgm_type *type, const char *name, char **ret);
/* The file declaring the type (DW_AT_decl_file), or NULL if unknown. */
const char *pgm_type_decl_file(const struct pgm_type *type);

/* ---- members ---- */

struct pgm_member {
	const char *name;        /* NULL for an anonymous struct/union member */
	uint64_t offset;         /* bytes from the start of the outermost struct;
				    for a bit-field, of its storage unit */
	uint64_t size;           /* bytes of the member's type (storage unit for bit-fields) */
	unsigned bit_offset;     /* bit-fields: bits from `offset` (LSB first), else 0 */
	unsigned bit_size;       /* bit-fields: width in bits, else 0 */
	struct pgm_type type;
};

/*
 * Finds a member by path: "pid", "wakeup.head", "myProcLocks[3].next",
 * "procLocks.head.next".  Members of anonymous structs and unions are
 * found by their own names, as in C.  Offsets accumulate along the path;
 * constant array indexes add element * size.  PGM_ERR_LOOKUP names the
 * component that is missing.
 */
struct pgm_error *pgm_type_member(struct pgm_dwarf *dw, const struct pgm_type *type,
				  const char *path, struct pgm_member *ret);
/* True if pgm_type_member() would succeed: for version differences. */
bool pgm_type_has_member(struct pgm_dwarf *dw, const struct pgm_type *type, const char *path);
/*
 * The direct members of a struct or union, in declaration order (anonymous
 * members are not expanded).  The caller frees *ret with free().
 */
struct pgm_error *pgm_type_members(struct pgm_dwarf *dw, const struct pgm_type *type,
				   struct pgm_member **ret, size_t *n);

/* ---- enums ---- */

struct pgm_enumerator {
	const char *name;
	int64_t value;           /* as the enum's signedness says; unsigned fits */
};

/* All enumerators; the caller frees *ret with free(). */
struct pgm_error *pgm_enum_enumerators(struct pgm_dwarf *dw, const struct pgm_type *type,
				       struct pgm_enumerator **ret, size_t *n);
/* The first enumerator with `value`; PGM_ERR_LOOKUP if none. */
struct pgm_error *pgm_enum_name(struct pgm_dwarf *dw, const struct pgm_type *type,
				int64_t value, const char **ret);
struct pgm_error *pgm_enum_value(struct pgm_dwarf *dw, const struct pgm_type *type,
				 const char *name, int64_t *ret);

/* ---- type declarations ---- */

/*
 * A struct, union or enum resolved into plain data, as pahole prints it:
 * what `pgmortem types` shows.  (PostgreSQL's "layout" is another thing:
 * the offsets the analysis needs, pg/layout.h.)  Owns all its strings.
 */
struct pgm_type_decl_member {
	char *name;              /* NULL for an anonymous member (see `nested`) */
	char *type_name;         /* C spelling before the name: "PGPROC *", "char" */
	char *declarator;        /* name with suffix: "pid", "name[64]", "(*fn)(int)" */
	uint64_t offset, size;
	unsigned bit_offset, bit_size;
	struct pgm_type_decl *nested;  /* a member of anonymous struct/union type, expanded */
};

struct pgm_type_decl {
	char *name;              /* "PGPROC", or NULL for an anonymous aggregate */
	char *typedef_name;      /* typedef the lookup went through, or NULL */
	enum pgm_type_kind kind; /* STRUCT, UNION or ENUM */
	uint64_t size;
	char *decl_file;         /* may be NULL */
	struct pgm_type_decl_member *members;
	size_t n_members;
	struct pgm_enumerator *enumerators;  /* ENUM; names owned */
	size_t n_enumerators;
};

struct pgm_error *pgm_type_decl(struct pgm_dwarf *dw, const struct pgm_type *type,
				struct pgm_type_decl **ret);
void pgm_type_decl_destroy(struct pgm_type_decl *decl);

/* ---- variables ---- */

struct pgm_variable {
	const char *name;
	struct pgm_type type;
	struct pgm_location loc;    /* globals: one MEMORY piece at the runtime address */
	const char *file;           /* the defining CU's name, or NULL */
	bool is_parameter;          /* frame variables: a formal parameter */
	/* How to read register pieces of `loc` (frame variables). */
	struct pgm_expr_context ctx;
};

/*
 * A global or file-static variable.  Found through the symbol table first
 * (file-statics included), then only the CU at that address is read.
 * `file_hint` ("condition_variable.c", or NULL) picks among file-statics of
 * the same name in different files.
 */
struct pgm_error *pgm_variable_find(struct pgm_dwarf *dw, const char *name, const char *file_hint,
				    struct pgm_variable *ret);

/* ---- frames ---- */

/*
 * A parameter or local variable visible in frame `frame_index` of `stack`
 * (gdb numbering, inline frames included): the innermost lexical block at
 * the frame's pc first, then outwards to the function.  Its location is
 * evaluated at that pc; a variable without one there is returned with a
 * location whose pieces say "optimized out" or why it is not available.
 * The stack must outlive the variable (register values point into it).
 */
struct pgm_error *pgm_frame_variable_find(struct pgm_dwarf *dw, const struct pgm_stack *stack,
					  size_t frame_index, const char *name,
					  struct pgm_variable *ret);

/*
 * All parameters (first, in order) and locals of the frame in scope at its
 * pc.  The caller frees *ret with free().
 */
struct pgm_error *pgm_frame_variables(struct pgm_dwarf *dw, const struct pgm_stack *stack,
				      size_t frame_index, struct pgm_variable **ret, size_t *n);

/*
 * The function or object containing addr, from the ELF symbol tables (a
 * sized symbol must contain addr, a sizeless one start at it): what gdb
 * shows as <name+offset> after a pointer.  PGM_ERR_LOOKUP if none.
 */
struct pgm_error *pgm_dwarf_symbolize(struct pgm_dwarf *dw, uint64_t addr, const char **name,
				      uint64_t *offset);

/* The target memory is read through, or NULL for a file opened by itself. */
struct pgm_target *pgm_dwarf_target(struct pgm_dwarf *dw);

#endif
