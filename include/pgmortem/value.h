/*
 * pgmortem — typed values of a program: a variable, a member of it, what a
 * pointer points to, a cast of an address; and the small C-like expression
 * language of `pgmortem print` ("MyProc->pid", "ProcGlobal->allProcs[3]",
 * "(BTParallelScanDescData *)0x7f…", "frame 14 query_string").
 *
 * A value in memory is only an address and a type: nothing is read until
 * someone asks (pgm_value_read), so a struct whose members lie partly in
 * memory the core lacks still prints member by member.  A value without an
 * address (a register, a DW_OP_stack_value, the result of arithmetic) holds
 * its bytes, with a per-byte mask of what is known.
 *
 * Values own their bytes: pgm_value_deinit() frees them; copying a value
 * needs pgm_value_copy().
 */
#ifndef PGMORTEM_VALUE_H
#define PGMORTEM_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/dwarf.h"
#include "pgmortem/stack.h"

enum pgm_value_kind {
	PGM_VALUE_MEMORY,       /* at `address` in the target */
	PGM_VALUE_BYTES,        /* `bytes` (some maybe unknown, see `valid`) */
	PGM_VALUE_UNAVAILABLE,  /* nothing known; `reason` says why */
};

struct pgm_value {
	struct pgm_type type;
	enum pgm_value_kind kind;
	uint64_t address;       /* MEMORY */
	uint8_t *bytes;         /* BYTES: owned */
	uint8_t *valid;         /* BYTES: owned, one flag per byte, NULL if all known */
	size_t size;            /* bytes of the type (the storage unit for bit-fields) */
	unsigned bit_offset;    /* bit-fields: bits from the start, LSB first */
	unsigned bit_size;      /* bit-fields: width, else 0 */
	char reason[96];        /* UNAVAILABLE, or why some bytes are unknown */
};

/* Where identifiers of an expression are looked up. */
struct pgm_value_scope {
	struct pgm_dwarf *dwarf;
	struct pgm_program *program;       /* for symbolizing function pointers; may be NULL */
	const struct pgm_stack *stack;     /* for frame variables; may be NULL */
	long frame;                        /* frame index, or -1 for globals only */
};

void pgm_value_deinit(struct pgm_value *v);
struct pgm_error *pgm_value_copy(const struct pgm_value *v, struct pgm_value *ret);

/* A value of `type` at `address` (void and incomplete types get size 0). */
void pgm_value_at(struct pgm_dwarf *dw, const struct pgm_type *type, uint64_t address,
		  struct pgm_value *ret);
/* A value of an integer or pointer type holding `bits` (truncated to its size). */
struct pgm_error *pgm_value_scalar(struct pgm_dwarf *dw, const struct pgm_type *type,
				   uint64_t bits, struct pgm_value *ret);
/* A variable's value: memory, or the bytes its location yields (registers, pieces). */
struct pgm_error *pgm_value_of_variable(struct pgm_dwarf *dw, const struct pgm_variable *var,
					struct pgm_value *ret);

/*
 * Reads the value's bytes into buf (v->size bytes).  A value in memory the
 * capture lacks fails with PGM_ERR_NOT_CAPTURED / PGM_ERR_FAULT; unknown
 * bytes of a BYTES value fail with PGM_ERR_OPTIMIZED_OUT.
 */
struct pgm_error *pgm_value_read(struct pgm_dwarf *dw, const struct pgm_value *v, void *buf);
/*
 * The value's bytes fetched once: a BYTES value (or a copy of one).  For
 * code that reads many members of one struct; fails like pgm_value_read.
 */
struct pgm_error *pgm_value_load(struct pgm_dwarf *dw, const struct pgm_value *v,
				 struct pgm_value *ret);
/*
 * An integer, enum, bool, char or pointer as 64 bits: sign-extended for
 * signed types, bit-fields extracted.
 */
struct pgm_error *pgm_value_integer(struct pgm_dwarf *dw, const struct pgm_value *v,
				    uint64_t *ret);

struct pgm_error *pgm_value_member(struct pgm_dwarf *dw, const struct pgm_value *v,
				   const char *name, struct pgm_value *ret);
/* The member `m` (from pgm_type_members of v's type): anonymous members too. */
struct pgm_error *pgm_value_field(struct pgm_dwarf *dw, const struct pgm_value *v,
				  const struct pgm_member *m, struct pgm_value *ret);
/* Element i of an array, or *(p + i) for a pointer. */
struct pgm_error *pgm_value_index(struct pgm_dwarf *dw, const struct pgm_value *v, int64_t i,
				  struct pgm_value *ret);
struct pgm_error *pgm_value_deref(struct pgm_dwarf *dw, const struct pgm_value *v,
				  struct pgm_value *ret);
struct pgm_error *pgm_value_address_of(struct pgm_dwarf *dw, const struct pgm_value *v,
				       struct pgm_value *ret);
struct pgm_error *pgm_value_cast(struct pgm_dwarf *dw, const struct pgm_value *v,
				 const struct pgm_type *type, struct pgm_value *ret);

/*
 * Evaluates an expression of the print language:
 *   identifiers    globals, file-statics ("condition_variable.c:cv_sleep_target"
 *                  picks one file's), frame parameters and locals when
 *                  scope->frame >= 0 (they win over globals, as in C)
 *   numbers        decimal, 0x hex
 *   postfix        s.m  p->m  a[i]
 *   prefix         *p  &x  -n  (type)x  (type *)0x7f…
 *   binary         + - on integers and pointers (pointer arithmetic scales)
 * The caller owns *ret (pgm_value_deinit).
 */
struct pgm_error *pgm_value_eval(const struct pgm_value_scope *scope, const char *expr,
				 struct pgm_value *ret);

#endif
