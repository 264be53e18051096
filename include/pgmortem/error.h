/*
 * pgmortem — the one error type.
 *
 * Every fallible function returns `struct pgm_error *`: NULL on success, an
 * error the caller owns otherwise, freed with pgm_error_destroy().  Results go
 * out through trailing `*ret` parameters.  Out of memory is a preallocated
 * static error (pgm_error_destroy() ignores it), so reporting it cannot fail.
 *
 * A read the capture cannot serve is an ordinary result, not a crash: its
 * code is PGM_ERR_NOT_CAPTURED (the address lies in a mapping the capture
 * lacks) or PGM_ERR_FAULT (nothing was mapped there), and `address` and
 * `mapping` say where, so reports can state exactly what is missing.
 *
 * Messages are lowercase, without a trailing period, and say what went wrong
 * first: "dwarf_child: invalid DWARF", "not captured at 0x7fc2594741e8
 * (mapping /dev/shm/PostgreSQL.4952892)".
 */
#ifndef PGMORTEM_ERROR_H
#define PGMORTEM_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum pgm_error_code {
	PGM_ERR_NOMEM = 1,
	PGM_ERR_OS,           /* a system call failed; errnum says why */
	PGM_ERR_FORMAT,       /* malformed input file (core, ELF, note, DWARF) */
	PGM_ERR_NOT_CAPTURED, /* mapped in the process, absent from the capture */
	PGM_ERR_FAULT,        /* not mapped in the process at all */
	PGM_ERR_LOOKUP,       /* symbol, type, member or variable not found */
	PGM_ERR_DWARF,        /* libdw / libdwfl / libelf reported an error */
	PGM_ERR_NO_DEBUGINFO, /* the module has no DWARF; message says how to add it */
	PGM_ERR_OPTIMIZED_OUT,/* a variable has no location at this pc */
	PGM_ERR_UNSUPPORTED,  /* valid input we do not handle (architecture, opcode) */
	PGM_ERR_LIMIT,        /* a bound on a walk or a size was exceeded (cycle, runaway) */
	PGM_ERR_USAGE,        /* bad arguments from the caller */
	PGM_ERR_PERMISSION,   /* ptrace or /proc access denied */
};

struct pgm_error {
	enum pgm_error_code code;
	int errnum;          /* errno for PGM_ERR_OS, else 0 */
	uint64_t address;    /* NOT_CAPTURED / FAULT: the address that failed */
	char *mapping;       /* NOT_CAPTURED: the mapping's file, or NULL if anonymous */
	uint64_t map_start;  /* NOT_CAPTURED: where that mapping starts */
	char *message;       /* full human-readable message, never NULL */
};

/* The preallocated out-of-memory error. */
extern struct pgm_error pgm_enomem;

struct pgm_error *pgm_error_create(enum pgm_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct pgm_error *pgm_error_vcreate(enum pgm_error_code code, const char *fmt, va_list ap);
/* PGM_ERR_OS with errnum; message is "<fmt>: strerror(errnum)". */
struct pgm_error *pgm_error_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A read at `address` the capture cannot serve; `mapping` may be NULL. */
struct pgm_error *pgm_error_not_captured(uint64_t address, const char *mapping,
					 uint64_t map_start);
/* A read at `address` where the process had nothing mapped. */
struct pgm_error *pgm_error_fault(uint64_t address);
/*
 * Adapters for elfutils, called right at the failing call because elfutils'
 * error state is overwritten by the next call: "<call>: <elfutils message>".
 */
struct pgm_error *pgm_error_libdw(const char *call);
struct pgm_error *pgm_error_libdwfl(const char *call);
struct pgm_error *pgm_error_libelf(const char *call);

/* Prepends "<context>: " to err's message; returns err (or pgm_enomem). */
struct pgm_error *pgm_error_wrap(struct pgm_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A copy of err (&pgm_enomem if out of memory); the caller owns it. */
struct pgm_error *pgm_error_clone(const struct pgm_error *err);

/* True for errors that describe memory the capture lacks or never had. */
bool pgm_error_is_read_failure(const struct pgm_error *err);

void pgm_error_destroy(struct pgm_error *err);

#endif
