/*
 * pgmortem — DWARF location expressions, decoded and evaluated by our own
 * interpreter.
 *
 * libdw finds the expression that applies at a pc (DW_FORM_exprloc or a
 * location list entry); everything after that is ours, so that every way an
 * evaluation can fail is ours to report: a frame whose callee-saved register
 * was not recovered, an entry value nobody recorded, a read the core cannot
 * serve.  The answer is then "not available", never a guessed value.
 *
 * Two kinds of outcome:
 *  - an error (PGM_ERR_FORMAT, PGM_ERR_LIMIT): the expression itself is
 *    malformed or runaway, e.g. "dwarf expression: stack underflow at
 *    DW_OP_plus (offset 3)";
 *  - a location, some of whose pieces may be PGM_LOC_UNAVAILABLE with a
 *    reason: the expression is fine but this frame or capture cannot
 *    supply what it needs.
 *
 * Pure: no libdw calls, no global state; the context carries registers and a
 * memory reader.  Only x86_64 (8-byte addresses, little-endian) for now.
 */
#ifndef PGMORTEM_DWARF_EXPR_H
#define PGMORTEM_DWARF_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/target.h"

/* Bounds that keep a hostile or corrupt expression from running away. */
#define PGM_EXPR_MAX_OPS 4096        /* decoded operations per expression */
#define PGM_EXPR_MAX_STACK 64        /* evaluation stack depth */
#define PGM_EXPR_MAX_STEPS 10000     /* executed operations (DW_OP_skip/bra loops) */
#define PGM_EXPR_MAX_DEPTH 4         /* nested entry-value sub-expressions */
#define PGM_LOC_MAX_PIECES 16

/*
 * One decoded operation, in the shape libdw's Dwarf_Op has, so expressions
 * from libdw (location lists) and from raw bytes evaluate alike.
 * `number`/`number2` are the operands (sign-extended for signed ones; for
 * DW_OP_skip/bra the signed 16-bit displacement).  `block` points at the
 * data of DW_OP_implicit_value / DW_OP_entry_value / DW_OP_const_type
 * (borrowed from the DWARF section or the caller's buffer).  `offset` is
 * the operation's byte offset in the expression: branch targets and error
 * messages use it.
 */
struct pgm_expr_op {
	uint8_t atom;
	uint64_t number;
	uint64_t number2;
	const uint8_t *block;
	size_t block_len;
	size_t offset;
};

enum pgm_loc_kind {
	PGM_LOC_MEMORY,       /* in target memory at `address` */
	PGM_LOC_REGISTER,     /* in DWARF register `regno` of the frame */
	PGM_LOC_VALUE,        /* no storage; the value is `value` (DW_OP_stack_value) */
	PGM_LOC_IMPLICIT,     /* no storage; the bytes are `block` (DW_OP_implicit_value) */
	PGM_LOC_UNAVAILABLE,  /* cannot be known at this pc; `reason` says why */
};

struct pgm_loc_piece {
	enum pgm_loc_kind kind;
	uint64_t size;          /* bytes covered; 0 = the whole object (no DW_OP_piece) */
	uint64_t address;       /* MEMORY */
	unsigned regno;         /* REGISTER */
	uint64_t value;         /* VALUE */
	const uint8_t *block;   /* IMPLICIT: borrowed */
	size_t block_len;
	char reason[96];        /* UNAVAILABLE: "register rbx not saved in this frame" */
};

/*
 * Where an object lives: one piece for a simple location, several for a
 * composite (DW_OP_piece).  No pieces at all means the object was optimized
 * out entirely (an empty expression).
 */
struct pgm_location {
	struct pgm_loc_piece pieces[PGM_LOC_MAX_PIECES];
	size_t n_pieces;
};

struct pgm_expr_context;

/*
 * Recovers the value a register had on entry to the current function
 * (DW_OP_entry_value(DW_OP_regN)), usually from the caller's call-site
 * parameters.  Returns true and sets *ret when known; false otherwise (the
 * evaluation then reports the value as not available).
 */
typedef bool pgm_expr_entry_value_fn(const struct pgm_expr_context *ctx, unsigned regno,
				     uint64_t *ret);

struct pgm_expr_context {
	const uint64_t *regs;       /* DWARF registers 0..n_regs-1, or NULL */
	unsigned n_regs;
	uint32_t regs_valid;        /* bit n: regs[n] is known in this frame */
	bool has_cfa;
	uint64_t cfa;               /* DW_OP_call_frame_cfa */
	bool has_frame_base;
	uint64_t frame_base;        /* DW_OP_fbreg, already evaluated by the caller */
	uint64_t bias;              /* load bias added to DW_OP_addr operands */
	struct pgm_target *target;  /* for DW_OP_deref, or NULL */
	pgm_expr_entry_value_fn *entry_value;  /* or NULL */
	void *arg;                  /* for entry_value */
	unsigned depth;             /* nesting of entry-value evaluation; start at 0 */
};

/*
 * Decodes `len` bytes of a DWARF expression (8-byte addresses, 4-byte
 * section offsets).  The caller owns *ret and frees it with free(); blocks
 * point into `bytes`, which must outlive the ops.  An empty expression
 * gives *n == 0 and *ret == NULL.  Errors: unknown opcode, truncated
 * operand, more than PGM_EXPR_MAX_OPS operations.
 */
struct pgm_error *pgm_expr_decode(const uint8_t *bytes, size_t len, struct pgm_expr_op **ret,
				  size_t *n);

/*
 * Evaluates a location description.  See the header comment for what is an
 * error and what is an unavailable piece.
 */
struct pgm_error *pgm_expr_eval_location(const struct pgm_expr_op *ops, size_t n,
					 const struct pgm_expr_context *ctx,
					 struct pgm_location *ret);

/*
 * Evaluates a DWARF expression for its value (CFA rules, DW_AT_frame_base
 * when it is a computation rather than a register).  *available is false,
 * with the reason in `reason`, when the frame cannot supply an input.
 */
struct pgm_error *pgm_expr_eval_value(const struct pgm_expr_op *ops, size_t n,
				      const struct pgm_expr_context *ctx, uint64_t *ret,
				      bool *available, char reason[96]);

/* "DW_OP_plus", "DW_OP_breg6", or NULL for an opcode we do not know. */
const char *pgm_expr_op_name(uint8_t atom);

/* True if the location is a single piece of kind MEMORY. */
bool pgm_location_is_memory(const struct pgm_location *loc, uint64_t *address);

/*
 * The first unavailable piece's reason, "optimized out" for an empty
 * location, or NULL if every piece is available.
 */
const char *pgm_location_unavailable(const struct pgm_location *loc);

/*
 * Copies `size` bytes of the object at `loc` into `buf`, reading memory
 * pieces from `target` and register pieces from ctx->regs.  `valid`, if not
 * NULL, gets one byte per byte of buf: 1 where the byte is known, 0 where
 * its piece is unavailable, unreadable or absent.  Fails only if nothing at
 * all could be read: then the error says why (a read failure keeps its
 * address and mapping).
 */
struct pgm_error *pgm_location_read(const struct pgm_location *loc,
				    const struct pgm_expr_context *ctx, void *buf,
				    uint8_t *valid, size_t size);

#endif
