/*
 * Unit tests for the DWARF expression interpreter, over hand-built byte
 * arrays: each opcode family, pieces, values, and every way an expression
 * can be malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dwarf.h>

#include "pgmortem/dwarf_expr.h"

/* A target with one captured 64-byte region and one uncaptured page. */
#define MEM_BASE 0x1000
#define HOLE_BASE 0x9000

struct fake_target {
	struct pgm_target base;
	uint8_t mem[64];
};

static struct pgm_error *fake_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len)
{
	struct fake_target *f = (struct fake_target *)t;
	if (addr >= MEM_BASE && addr + len <= MEM_BASE + sizeof(f->mem)) {
		memcpy(buf, f->mem + (addr - MEM_BASE), len);
		return NULL;
	}
	if (addr >= HOLE_BASE && addr < HOLE_BASE + 0x1000)
		return pgm_error_not_captured(addr, "/dev/shm/PostgreSQL.1", HOLE_BASE);
	return pgm_error_fault(addr);
}

static void fake_destroy(struct pgm_target *t)
{
	(void)t;
}

static const struct pgm_target_ops fake_ops = { fake_read, fake_destroy, NULL };

struct fixture {
	struct fake_target target;
	uint64_t regs[17];
	struct pgm_expr_context ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->target.base.ops = &fake_ops;
	for (int i = 0; i < 64; i++)
		f->target.mem[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 17; i++)
		f->regs[i] = 0x100 * (uint64_t)(i + 1);
	f->regs[6] = MEM_BASE + 32;                    /* rbp points into memory */
	f->ctx.regs = f->regs;
	f->ctx.n_regs = 17;
	f->ctx.regs_valid = 0x1ffff & ~(1u << 3);      /* rbx was not recovered */
	f->ctx.target = &f->target.base;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Decodes and evaluates `bytes`; asserts success. */
static struct pgm_location eval_ok(struct fixture *f, const uint8_t *bytes, size_t len)
{
	struct pgm_expr_op *ops;
	size_t n;
	struct pgm_location loc;
	struct pgm_error *err = pgm_expr_decode(bytes, len, &ops, &n);
	assert_null(err);
	err = pgm_expr_eval_location(ops, n, &f->ctx, &loc);
	if (err)
		fail_msg("unexpected error: %s", err->message);
	free(ops);
	return loc;
}

/* Evaluates an expression ending in DW_OP_stack_value; returns its value. */
static uint64_t value_of(struct fixture *f, const uint8_t *bytes, size_t len)
{
	struct pgm_location loc = eval_ok(f, bytes, len);
	assert_int_equal(loc.n_pieces, 1);
	assert_int_equal(loc.pieces[0].kind, PGM_LOC_VALUE);
	return loc.pieces[0].value;
}

/* Decodes and evaluates `bytes`; returns the error message (caller frees). */
static char *eval_err(struct fixture *f, const uint8_t *bytes, size_t len, enum pgm_error_code code)
{
	struct pgm_expr_op *ops;
	size_t n;
	struct pgm_location loc;
	struct pgm_error *err = pgm_expr_decode(bytes, len, &ops, &n);
	if (!err) {
		err = pgm_expr_eval_location(ops, n, &f->ctx, &loc);
		free(ops);
	}
	assert_non_null(err);
	assert_int_equal(err->code, code);
	char *msg = strdup(err->message);
	pgm_error_destroy(err);
	return msg;
}

#define VALUE(...) value_of(*state, (const uint8_t[]){ __VA_ARGS__ }, \
			    sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define EVAL(...) eval_ok(*state, (const uint8_t[]){ __VA_ARGS__ }, \
			  sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define ERROR(code, ...) eval_err(*state, (const uint8_t[]){ __VA_ARGS__ }, \
				  sizeof((const uint8_t[]){ __VA_ARGS__ }), code)

static void constants(void **state)
{
	assert_int_equal(VALUE(DW_OP_lit0 + 17, DW_OP_stack_value), 17);
	assert_int_equal(VALUE(DW_OP_const1u, 200, DW_OP_stack_value), 200);
	assert_int_equal(VALUE(DW_OP_const1s, 0xff, DW_OP_stack_value), (uint64_t)-1);
	assert_int_equal(VALUE(DW_OP_const2u, 0x34, 0x12, DW_OP_stack_value), 0x1234);
	assert_int_equal(VALUE(DW_OP_const2s, 0xfe, 0xff, DW_OP_stack_value), (uint64_t)-2);
	assert_int_equal(VALUE(DW_OP_const4u, 1, 2, 3, 4, DW_OP_stack_value), 0x04030201);
	assert_int_equal(VALUE(DW_OP_const4s, 0xfd, 0xff, 0xff, 0xff, DW_OP_stack_value), (uint64_t)-3);
	assert_int_equal(VALUE(DW_OP_const8u, 1, 0, 0, 0, 0, 0, 0, 0x80, DW_OP_stack_value),
			 0x8000000000000001ull);
	assert_int_equal(VALUE(DW_OP_constu, 0xe5, 0x8e, 0x26, DW_OP_stack_value), 624485);
	assert_int_equal(VALUE(DW_OP_consts, 0xc0, 0xbb, 0x78, DW_OP_stack_value), (uint64_t)-123456);
}

static void arithmetic(void **state)
{
	assert_int_equal(VALUE(DW_OP_lit5, DW_OP_lit3, DW_OP_minus, DW_OP_stack_value), 2);
	assert_int_equal(VALUE(DW_OP_lit5, DW_OP_lit3, DW_OP_plus, DW_OP_stack_value), 8);
	assert_int_equal(VALUE(DW_OP_lit5, DW_OP_lit3, DW_OP_mul, DW_OP_stack_value), 15);
	assert_int_equal(VALUE(DW_OP_const1s, 0xf9, DW_OP_lit2, DW_OP_div, DW_OP_stack_value),
			 (uint64_t)-3);
	assert_int_equal(VALUE(DW_OP_lit7, DW_OP_lit3, DW_OP_mod, DW_OP_stack_value), 1);
	assert_int_equal(VALUE(DW_OP_lit1, DW_OP_lit4, DW_OP_shl, DW_OP_stack_value), 16);
	assert_int_equal(VALUE(DW_OP_const1s, 0xf0, DW_OP_lit2, DW_OP_shra, DW_OP_stack_value),
			 (uint64_t)-4);
	assert_int_equal(VALUE(DW_OP_lit16, DW_OP_lit2, DW_OP_shr, DW_OP_stack_value), 4);
	assert_int_equal(VALUE(DW_OP_lit12, DW_OP_lit10, DW_OP_and, DW_OP_stack_value), 8);
	assert_int_equal(VALUE(DW_OP_lit12, DW_OP_lit3, DW_OP_or, DW_OP_stack_value), 15);
	assert_int_equal(VALUE(DW_OP_lit12, DW_OP_lit10, DW_OP_xor, DW_OP_stack_value), 6);
	assert_int_equal(VALUE(DW_OP_lit5, DW_OP_neg, DW_OP_stack_value), (uint64_t)-5);
	assert_int_equal(VALUE(DW_OP_lit5, DW_OP_neg, DW_OP_abs, DW_OP_stack_value), 5);
	assert_int_equal(VALUE(DW_OP_lit0, DW_OP_not, DW_OP_stack_value), ~(uint64_t)0);
	assert_int_equal(VALUE(DW_OP_lit1, DW_OP_plus_uconst, 0x80, 0x01, DW_OP_stack_value), 129);
	assert_int_equal(VALUE(DW_OP_lit1, DW_OP_lit2, DW_OP_lt, DW_OP_stack_value), 1);
	assert_int_equal(VALUE(DW_OP_const1s, 0xff, DW_OP_lit2, DW_OP_gt, DW_OP_stack_value), 0);
	assert_int_equal(VALUE(DW_OP_lit2, DW_OP_lit2, DW_OP_eq, DW_OP_stack_value), 1);
	assert_int_equal(VALUE(DW_OP_lit2, DW_OP_lit2, DW_OP_ne, DW_OP_stack_value), 0);
	assert_int_equal(VALUE(DW_OP_lit2, DW_OP_lit3, DW_OP_le, DW_OP_stack_value), 1);
	assert_int_equal(VALUE(DW_OP_lit2, DW_OP_lit3, DW_OP_ge, DW_OP_stack_value), 0);
}

static void stack_operations(void **state)
{
	assert_int_equal(VALUE(DW_OP_lit3, DW_OP_dup, DW_OP_plus, DW_OP_stack_value), 6);
	assert_int_equal(VALUE(DW_OP_lit3, DW_OP_lit4, DW_OP_drop, DW_OP_stack_value), 3);
	assert_int_equal(VALUE(DW_OP_lit3, DW_OP_lit4, DW_OP_over, DW_OP_stack_value), 3);
	assert_int_equal(VALUE(DW_OP_lit3, DW_OP_lit4, DW_OP_swap, DW_OP_stack_value), 3);
	assert_int_equal(VALUE(DW_OP_lit1, DW_OP_lit2, DW_OP_lit3, DW_OP_pick, 2, DW_OP_stack_value), 1);
	/* rot: (1 2 3 -- 3 1 2) */
	assert_int_equal(VALUE(DW_OP_lit1, DW_OP_lit2, DW_OP_lit3, DW_OP_rot, DW_OP_stack_value), 2);
	assert_int_equal(VALUE(DW_OP_lit1, DW_OP_lit2, DW_OP_lit3, DW_OP_rot, DW_OP_drop,
			       DW_OP_drop, DW_OP_stack_value), 3);
}

static void registers_and_frame(void **state)
{
	struct fixture *f = *state;
	struct pgm_location loc = EVAL(DW_OP_breg6, 0x70);   /* rbp - 16 */
	uint64_t addr;
	assert_true(pgm_location_is_memory(&loc, &addr));
	assert_int_equal(addr, MEM_BASE + 16);

	loc = EVAL(DW_OP_reg0 + 5);
	assert_int_equal(loc.pieces[0].kind, PGM_LOC_REGISTER);
	assert_int_equal(loc.pieces[0].regno, 5);
	loc = EVAL(DW_OP_regx, 12);
	assert_int_equal(loc.pieces[0].regno, 12);
	assert_int_equal(VALUE(DW_OP_bregx, 4, 8, DW_OP_stack_value), f->regs[4] + 8);

	/* rbx (DWARF 3) is not valid in this frame: not available, not an error */
	loc = EVAL(DW_OP_breg3, 0, DW_OP_deref);
	assert_int_equal(loc.pieces[0].kind, PGM_LOC_UNAVAILABLE);
	assert_string_equal(pgm_location_unavailable(&loc), "register rbx not available in this frame");

	loc = EVAL(DW_OP_fbreg, 8);
	assert_int_equal(loc.pieces[0].kind, PGM_LOC_UNAVAILABLE);
	f->ctx.has_frame_base = true;
	f->ctx.frame_base = 0x7000;
	loc = EVAL(DW_OP_fbreg, 0x78);                       /* -8 */
	assert_true(pgm_location_is_memory(&loc, &addr));
	assert_int_equal(addr, 0x7000 - 8);

	loc = EVAL(DW_OP_call_frame_cfa);
	assert_non_null(strstr(pgm_location_unavailable(&loc), "CFA"));
	f->ctx.has_cfa = true;
	f->ctx.cfa = 0x7ff0;
	assert_int_equal(VALUE(DW_OP_call_frame_cfa, DW_OP_stack_value), 0x7ff0);

	f->ctx.bias = 0x10000;
	loc = EVAL(DW_OP_addr, 0x68, 0x0b, 0x85, 0, 0, 0, 0, 0);
	assert_true(pgm_location_is_memory(&loc, &addr));
	assert_int_equal(addr, 0x850b68 + 0x10000);
}

static void memory(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(VALUE(DW_OP_const2u, 0x00, 0x10, DW_OP_deref, DW_OP_stack_value),
			 0x0807060504030201ull);
	assert_int_equal(VALUE(DW_OP_const2u, 0x04, 0x10, DW_OP_deref_size, 2, DW_OP_stack_value),
			 0x0605);
	/* a read the capture cannot serve makes the value unavailable, with where */
	struct pgm_location loc = EVAL(DW_OP_const2u, 0x10, 0x90, DW_OP_deref);
	assert_non_null(strstr(pgm_location_unavailable(&loc), "not captured at 0x9010"));

	/* reading a memory location into bytes */
	loc = EVAL(DW_OP_const2u, 0x02, 0x10);
	uint8_t buf[4];
	assert_null(pgm_location_read(&loc, &f->ctx, buf, NULL, sizeof(buf)));
	assert_int_equal(buf[0], 3);
	assert_int_equal(buf[3], 6);
}

static void pieces_and_values(void **state)
{
	struct fixture *f = *state;
	/* low half in rax, high half in memory at rbp+0, a hole, then a constant */
	struct pgm_location loc = EVAL(DW_OP_reg0, DW_OP_piece, 4,
				       DW_OP_breg6, 0, DW_OP_piece, 4,
				       DW_OP_piece, 2,
				       DW_OP_lit7, DW_OP_stack_value, DW_OP_piece, 2);
	assert_int_equal(loc.n_pieces, 4);
	assert_int_equal(loc.pieces[0].kind, PGM_LOC_REGISTER);
	assert_int_equal(loc.pieces[1].kind, PGM_LOC_MEMORY);
	assert_int_equal(loc.pieces[2].kind, PGM_LOC_UNAVAILABLE);
	assert_int_equal(loc.pieces[3].kind, PGM_LOC_VALUE);
	uint8_t buf[12], valid[12];
	assert_null(pgm_location_read(&loc, &f->ctx, buf, valid, sizeof(buf)));
	assert_int_equal(buf[0], 0x00);              /* rax = 0x100 */
	assert_int_equal(buf[1], 0x01);
	assert_int_equal(buf[4], 33);                /* mem[32] */
	assert_int_equal(valid[8], 0);
	assert_int_equal(valid[9], 0);
	assert_int_equal(valid[10], 1);
	assert_int_equal(buf[10], 7);
	/* without a validity mask a partly unknown object is an error */
	struct pgm_error *err = pgm_location_read(&loc, &f->ctx, buf, NULL, sizeof(buf));
	assert_int_equal(err->code, PGM_ERR_OPTIMIZED_OUT);
	pgm_error_destroy(err);

	loc = EVAL(DW_OP_implicit_value, 3, 0xaa, 0xbb, 0xcc);
	assert_int_equal(loc.pieces[0].kind, PGM_LOC_IMPLICIT);
	assert_int_equal(loc.pieces[0].block_len, 3);
	assert_int_equal(loc.pieces[0].block[2], 0xcc);

	loc = EVAL(DW_OP_implicit_pointer, 0x10, 0, 0, 0, 0);
	assert_non_null(strstr(pgm_location_unavailable(&loc), "implicit pointer"));

	/* an empty expression: optimized out */
	struct pgm_location empty;
	assert_null(pgm_expr_eval_location(NULL, 0, &f->ctx, &empty));
	assert_int_equal(empty.n_pieces, 0);
	assert_string_equal(pgm_location_unavailable(&empty), "optimized out");
}

static bool entry_rdi(const struct pgm_expr_context *ctx, unsigned regno, uint64_t *ret)
{
	(void)ctx;
	if (regno != 5)
		return false;
	*ret = 0x4242;
	return true;
}

static void entry_values(void **state)
{
	struct fixture *f = *state;
	struct pgm_location loc = EVAL(DW_OP_entry_value, 1, DW_OP_reg5, DW_OP_stack_value);
	assert_string_equal(pgm_location_unavailable(&loc),
			    "entry value of rdi not recoverable at this pc");
	loc = EVAL(DW_OP_GNU_entry_value, 2, DW_OP_breg5, 0, DW_OP_stack_value);
	assert_non_null(strstr(pgm_location_unavailable(&loc), "memory location"));
	f->ctx.entry_value = entry_rdi;
	assert_int_equal(VALUE(DW_OP_entry_value, 1, DW_OP_reg5, DW_OP_lit1, DW_OP_plus,
			       DW_OP_stack_value), 0x4243);
}

static void branches(void **state)
{
	/* if (1) 7 else 9 */
	assert_int_equal(VALUE(DW_OP_lit1, DW_OP_bra, 4, 0, DW_OP_lit9, DW_OP_skip, 1, 0,
			       DW_OP_lit7, DW_OP_stack_value), 7);
	assert_int_equal(VALUE(DW_OP_lit0, DW_OP_bra, 4, 0, DW_OP_lit9, DW_OP_skip, 1, 0,
			       DW_OP_lit7, DW_OP_stack_value), 9);
	char *msg = ERROR(PGM_ERR_LIMIT, DW_OP_skip, 0xfd, 0xff);    /* jumps to itself */
	assert_non_null(strstr(msg, "steps"));
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_lit0, DW_OP_skip, 0x01, 0x00, DW_OP_const2u, 1, 2);
	assert_non_null(strstr(msg, "middle of an operation"));
	free(msg);
}

static void malformed(void **state)
{
	char *msg = ERROR(PGM_ERR_FORMAT, DW_OP_lit1, DW_OP_plus);
	assert_string_equal(msg, "dwarf expression: stack underflow at DW_OP_plus (offset 1)");
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_lit1, 0x01);
	assert_string_equal(msg, "dwarf expression: unknown opcode 0x01 at offset 1");
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_const4u, 1, 2);
	assert_string_equal(msg, "dwarf expression: truncated operand of DW_OP_const4u at offset 0");
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_constu, 0x80, 0x80);
	assert_non_null(strstr(msg, "truncated operand of DW_OP_constu"));
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_implicit_value, 5, 1, 2);
	assert_non_null(strstr(msg, "truncated operand of DW_OP_implicit_value"));
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_lit1, DW_OP_lit0, DW_OP_div);
	assert_non_null(strstr(msg, "division by zero at DW_OP_div"));
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_lit1, DW_OP_pick, 1);
	assert_non_null(strstr(msg, "stack underflow at DW_OP_pick"));
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_reg0, DW_OP_lit1);
	assert_non_null(strstr(msg, "after a complete location"));
	free(msg);
	msg = ERROR(PGM_ERR_FORMAT, DW_OP_entry_value, 1, 0x01, DW_OP_stack_value);
	assert_non_null(strstr(msg, "unknown opcode 0x01"));
	free(msg);
}

static void runaway(void **state)
{
	uint8_t *lits = malloc(PGM_EXPR_MAX_STACK + 1);
	memset(lits, DW_OP_lit1, PGM_EXPR_MAX_STACK + 1);
	char *msg = eval_err(*state, lits, PGM_EXPR_MAX_STACK + 1, PGM_ERR_FORMAT);
	assert_non_null(strstr(msg, "stack overflow"));
	free(msg);
	free(lits);

	size_t len = PGM_EXPR_MAX_OPS + 1;
	uint8_t *nops = malloc(len);
	memset(nops, DW_OP_nop, len);
	msg = eval_err(*state, nops, len, PGM_ERR_LIMIT);
	assert_non_null(strstr(msg, "more than 4096 operations"));
	free(msg);
	free(nops);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(pgm_expr_op_name(DW_OP_breg6), "DW_OP_breg6");
	assert_string_equal(pgm_expr_op_name(DW_OP_lit31), "DW_OP_lit31");
	assert_string_equal(pgm_expr_op_name(DW_OP_GNU_entry_value), "DW_OP_GNU_entry_value");
	assert_null(pgm_expr_op_name(0x01));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(constants, setup, teardown),
		cmocka_unit_test_setup_teardown(arithmetic, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(registers_and_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(memory, setup, teardown),
		cmocka_unit_test_setup_teardown(pieces_and_values, setup, teardown),
		cmocka_unit_test_setup_teardown(entry_values, setup, teardown),
		cmocka_unit_test_setup_teardown(branches, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(runaway, setup, teardown),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
