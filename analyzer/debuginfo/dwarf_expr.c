/*
 * Our own DWARF expression interpreter: a decoder for raw bytes, an
 * evaluator for location descriptions and values, and the reader that turns
 * a location into bytes.  See dwarf_expr.h for the contract.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "pgmortem/dwarf_expr.h"

enum shape {
	NONE, ADDR, U1, S1, U2, S2, U4, S4, U8, ULEB, SLEB, ULEB_SLEB, ULEB_ULEB,
	BLOCK, OFFSET, OFFSET_SLEB, ULEB_BLOCK1, U1_ULEB,
	UNKNOWN,
};

struct op_info {
	const char *name;
	enum shape shape;
};

static const char *const lit_names[32] = {
	"DW_OP_lit0", "DW_OP_lit1", "DW_OP_lit2", "DW_OP_lit3", "DW_OP_lit4", "DW_OP_lit5",
	"DW_OP_lit6", "DW_OP_lit7", "DW_OP_lit8", "DW_OP_lit9", "DW_OP_lit10", "DW_OP_lit11",
	"DW_OP_lit12", "DW_OP_lit13", "DW_OP_lit14", "DW_OP_lit15", "DW_OP_lit16", "DW_OP_lit17",
	"DW_OP_lit18", "DW_OP_lit19", "DW_OP_lit20", "DW_OP_lit21", "DW_OP_lit22", "DW_OP_lit23",
	"DW_OP_lit24", "DW_OP_lit25", "DW_OP_lit26", "DW_OP_lit27", "DW_OP_lit28", "DW_OP_lit29",
	"DW_OP_lit30", "DW_OP_lit31",
};
static const char *const reg_names[32] = {
	"DW_OP_reg0", "DW_OP_reg1", "DW_OP_reg2", "DW_OP_reg3", "DW_OP_reg4", "DW_OP_reg5",
	"DW_OP_reg6", "DW_OP_reg7", "DW_OP_reg8", "DW_OP_reg9", "DW_OP_reg10", "DW_OP_reg11",
	"DW_OP_reg12", "DW_OP_reg13", "DW_OP_reg14", "DW_OP_reg15", "DW_OP_reg16", "DW_OP_reg17",
	"DW_OP_reg18", "DW_OP_reg19", "DW_OP_reg20", "DW_OP_reg21", "DW_OP_reg22", "DW_OP_reg23",
	"DW_OP_reg24", "DW_OP_reg25", "DW_OP_reg26", "DW_OP_reg27", "DW_OP_reg28", "DW_OP_reg29",
	"DW_OP_reg30", "DW_OP_reg31",
};
static const char *const breg_names[32] = {
	"DW_OP_breg0", "DW_OP_breg1", "DW_OP_breg2", "DW_OP_breg3", "DW_OP_breg4", "DW_OP_breg5",
	"DW_OP_breg6", "DW_OP_breg7", "DW_OP_breg8", "DW_OP_breg9", "DW_OP_breg10", "DW_OP_breg11",
	"DW_OP_breg12", "DW_OP_breg13", "DW_OP_breg14", "DW_OP_breg15", "DW_OP_breg16", "DW_OP_breg17",
	"DW_OP_breg18", "DW_OP_breg19", "DW_OP_breg20", "DW_OP_breg21", "DW_OP_breg22", "DW_OP_breg23",
	"DW_OP_breg24", "DW_OP_breg25", "DW_OP_breg26", "DW_OP_breg27", "DW_OP_breg28", "DW_OP_breg29",
	"DW_OP_breg30", "DW_OP_breg31",
};

static struct op_info op_info(uint8_t atom)
{
	if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31)
		return (struct op_info){ lit_names[atom - DW_OP_lit0], NONE };
	if (atom >= DW_OP_reg0 && atom <= DW_OP_reg31)
		return (struct op_info){ reg_names[atom - DW_OP_reg0], NONE };
	if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31)
		return (struct op_info){ breg_names[atom - DW_OP_breg0], SLEB };
	switch (atom) {
#define OP(name, code, shape) case code: return (struct op_info){ "DW_OP_" #name, shape };
#include "debuginfo/dwarf_expr_ops.def"
#undef OP
	default:
		return (struct op_info){ NULL, UNKNOWN };
	}
}

const char *pgm_expr_op_name(uint8_t atom)
{
	return op_info(atom).name;
}

/* x86_64 DWARF register names, for messages people read. */
static const char *reg_name(unsigned regno)
{
	static const char *const names[17] = {
		"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
		"r10", "r11", "r12", "r13", "r14", "r15", "rip",
	};
	if (regno < 17)
		return names[regno];
	if (regno >= 17 && regno <= 32)
		return "xmm";
	return "register";
}

/* ---- decoding ---- */

struct cursor {
	const uint8_t *p, *end;
};

static bool read_fixed(struct cursor *c, size_t size, uint64_t *ret)
{
	if ((size_t)(c->end - c->p) < size)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += size;
	*ret = v;
	return true;
}

static bool read_uleb(struct cursor *c, uint64_t *ret)
{
	uint64_t v = 0;
	for (unsigned shift = 0; c->p < c->end; shift += 7) {
		uint8_t b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

static bool read_sleb(struct cursor *c, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (c->p < c->end) {
		uint8_t b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~(uint64_t)0 << shift;
			*ret = v;
			return true;
		}
	}
	return false;
}

static bool read_block(struct cursor *c, uint64_t len, struct pgm_expr_op *op)
{
	if ((uint64_t)(c->end - c->p) < len)
		return false;
	op->block = c->p;
	op->block_len = len;
	c->p += len;
	return true;
}

static bool sign_extend(uint64_t *v, unsigned bytes)
{
	unsigned bits = bytes * 8;
	if (*v & ((uint64_t)1 << (bits - 1)))
		*v |= ~(uint64_t)0 << bits;
	return true;
}

/* Reads the operands of one operation; false if they run past the end. */
static bool decode_operands(struct cursor *c, enum shape shape, struct pgm_expr_op *op)
{
	uint64_t len;
	switch (shape) {
	case NONE: return true;
	case ADDR: case U8: return read_fixed(c, 8, &op->number);
	case U1: return read_fixed(c, 1, &op->number);
	case S1: return read_fixed(c, 1, &op->number) && sign_extend(&op->number, 1);
	case U2: return read_fixed(c, 2, &op->number);
	case S2: return read_fixed(c, 2, &op->number) && sign_extend(&op->number, 2);
	case U4: case OFFSET: return read_fixed(c, 4, &op->number);
	case S4: return read_fixed(c, 4, &op->number) && sign_extend(&op->number, 4);
	case ULEB: return read_uleb(c, &op->number);
	case SLEB: return read_sleb(c, &op->number);
	case ULEB_SLEB: return read_uleb(c, &op->number) && read_sleb(c, &op->number2);
	case ULEB_ULEB: return read_uleb(c, &op->number) && read_uleb(c, &op->number2);
	case OFFSET_SLEB: return read_fixed(c, 4, &op->number) && read_sleb(c, &op->number2);
	case U1_ULEB: return read_fixed(c, 1, &op->number) && read_uleb(c, &op->number2);
	case BLOCK:
		return read_uleb(c, &len) && (op->number = len, read_block(c, len, op));
	case ULEB_BLOCK1:
		return read_uleb(c, &op->number) && read_fixed(c, 1, &len) &&
		       (op->number2 = len, read_block(c, len, op));
	case UNKNOWN: break;
	}
	return false;
}

struct pgm_error *pgm_expr_decode(const uint8_t *bytes, size_t len, struct pgm_expr_op **ret,
				  size_t *n)
{
	struct cursor c = { bytes, bytes + len };
	struct pgm_expr_op *ops = NULL;
	size_t count = 0, cap = 0;
	*ret = NULL;
	*n = 0;
	while (c.p < c.end) {
		size_t offset = (size_t)(c.p - bytes);
		struct op_info info = op_info(*c.p);
		if (!info.name) {
			free(ops);
			return pgm_error_create(PGM_ERR_FORMAT,
						"dwarf expression: unknown opcode 0x%02x at offset %zu",
						*c.p, offset);
		}
		if (count == PGM_EXPR_MAX_OPS) {
			free(ops);
			return pgm_error_create(PGM_ERR_LIMIT,
						"dwarf expression: more than %d operations",
						PGM_EXPR_MAX_OPS);
		}
		if (count == cap) {
			cap = cap ? 2 * cap : 8;
			struct pgm_expr_op *grown = realloc(ops, cap * sizeof(*ops));
			if (!grown) {
				free(ops);
				return &pgm_enomem;
			}
			ops = grown;
		}
		struct pgm_expr_op *op = &ops[count++];
		memset(op, 0, sizeof(*op));
		op->atom = *c.p++;
		op->offset = offset;
		if (!decode_operands(&c, info.shape, op)) {
			free(ops);
			return pgm_error_create(PGM_ERR_FORMAT,
						"dwarf expression: truncated operand of %s at offset %zu",
						info.name, offset);
		}
	}
	*ret = ops;
	*n = count;
	return NULL;
}

/* ---- evaluation ---- */

enum pending { PEND_NONE, PEND_REG, PEND_VALUE, PEND_IMPLICIT, PEND_UNAVAIL };

struct eval {
	const struct pgm_expr_context *ctx;
	const struct pgm_expr_op *ops;
	size_t n;
	size_t pc;                 /* index of the operation being executed */
	uint64_t stack[PGM_EXPR_MAX_STACK];
	size_t sp;
	enum pending pending;      /* what the current piece's location is so far */
	struct pgm_loc_piece cur;
	struct pgm_location *loc;
};

static struct pgm_error *eval_error(const struct eval *e, const char *what)
{
	const struct pgm_expr_op *op = &e->ops[e->pc];
	const char *name = pgm_expr_op_name(op->atom);
	return pgm_error_create(PGM_ERR_FORMAT, "dwarf expression: %s at %s (offset %zu)", what,
				name ? name : "unknown opcode", op->offset);
}

static struct pgm_error *need(const struct eval *e, size_t count)
{
	return e->sp < count ? eval_error(e, "stack underflow") : NULL;
}

static struct pgm_error *push(struct eval *e, uint64_t v)
{
	if (e->sp == PGM_EXPR_MAX_STACK)
		return eval_error(e, "stack overflow");
	e->stack[e->sp++] = v;
	return NULL;
}

static uint64_t *top(struct eval *e, size_t depth)
{
	return &e->stack[e->sp - 1 - depth];
}

/* The current piece cannot be known; the rest of it is skipped. */
static void unavailable(struct eval *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unavailable(struct eval *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->cur.reason, sizeof(e->cur.reason), fmt, ap);
	va_end(ap);
	e->pending = PEND_UNAVAIL;
}

static bool reg_value(struct eval *e, unsigned regno, uint64_t *ret)
{
	const struct pgm_expr_context *ctx = e->ctx;
	if (!ctx->regs || regno >= ctx->n_regs || regno >= 32 || !(ctx->regs_valid & (1u << regno))) {
		unavailable(e, "register %s not available in this frame", reg_name(regno));
		return false;
	}
	*ret = ctx->regs[regno];
	return true;
}

static struct pgm_error *deref(struct eval *e, size_t size)
{
	if (size == 0 || size > 8)
		return eval_error(e, "bad dereference size");
	struct pgm_error *err = need(e, 1);
	if (err)
		return err;
	uint64_t addr = *top(e, 0), v = 0;
	if (!e->ctx->target) {
		unavailable(e, "no memory to dereference 0x%" PRIx64, addr);
		return NULL;
	}
	err = pgm_target_read(e->ctx->target, addr, &v, size);
	if (err) {
		unavailable(e, "%s", err->message);
		pgm_error_destroy(err);
		return NULL;
	}
	*top(e, 0) = v;
	return NULL;
}

static struct pgm_error *exec_stack_op(struct eval *e, const struct pgm_expr_op *op)
{
	struct pgm_error *err;
	uint64_t t;
	switch (op->atom) {
	case DW_OP_dup:
		return need(e, 1) ?: push(e, *top(e, 0));
	case DW_OP_drop:
		if ((err = need(e, 1)))
			return err;
		e->sp--;
		return NULL;
	case DW_OP_over:
		return need(e, 2) ?: push(e, *top(e, 1));
	case DW_OP_pick:
		if (op->number >= e->sp)
			return eval_error(e, "stack underflow");
		return push(e, *top(e, op->number));
	case DW_OP_swap:
		if ((err = need(e, 2)))
			return err;
		t = *top(e, 0), *top(e, 0) = *top(e, 1), *top(e, 1) = t;
		return NULL;
	case DW_OP_rot:
		if ((err = need(e, 3)))
			return err;
		t = *top(e, 0), *top(e, 0) = *top(e, 1), *top(e, 1) = *top(e, 2), *top(e, 2) = t;
		return NULL;
	}
	return eval_error(e, "internal: not a stack operation");
}

static struct pgm_error *exec_unary(struct eval *e, const struct pgm_expr_op *op)
{
	struct pgm_error *err = need(e, 1);
	if (err)
		return err;
	uint64_t *v = top(e, 0);
	switch (op->atom) {
	case DW_OP_abs: *v = (int64_t)*v < 0 ? -*v : *v; break;
	case DW_OP_neg: *v = -*v; break;
	case DW_OP_not: *v = ~*v; break;
	case DW_OP_plus_uconst: *v += op->number; break;
	}
	return NULL;
}

static struct pgm_error *exec_binary(struct eval *e, const struct pgm_expr_op *op)
{
	struct pgm_error *err = need(e, 2);
	if (err)
		return err;
	uint64_t b = *top(e, 0), a = *top(e, 1), r;
	switch (op->atom) {
	case DW_OP_and: r = a & b; break;
	case DW_OP_or: r = a | b; break;
	case DW_OP_xor: r = a ^ b; break;
	case DW_OP_plus: r = a + b; break;
	case DW_OP_minus: r = a - b; break;
	case DW_OP_mul: r = a * b; break;
	case DW_OP_div:
	case DW_OP_mod:
		if (b == 0)
			return eval_error(e, "division by zero");
		if (op->atom == DW_OP_mod)
			r = a % b;
		else if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
			r = a;
		else
			r = (uint64_t)((int64_t)a / (int64_t)b);
		break;
	case DW_OP_shl: r = b >= 64 ? 0 : a << b; break;
	case DW_OP_shr: r = b >= 64 ? 0 : a >> b; break;
	case DW_OP_shra: r = (uint64_t)((int64_t)a >> (b >= 64 ? 63 : b)); break;
	case DW_OP_eq: r = a == b; break;
	case DW_OP_ne: r = a != b; break;
	case DW_OP_lt: r = (int64_t)a < (int64_t)b; break;
	case DW_OP_le: r = (int64_t)a <= (int64_t)b; break;
	case DW_OP_gt: r = (int64_t)a > (int64_t)b; break;
	case DW_OP_ge: r = (int64_t)a >= (int64_t)b; break;
	default: return eval_error(e, "internal: not a binary operation");
	}
	e->sp--;
	*top(e, 0) = r;
	return NULL;
}

static size_t uleb_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80)
		v >>= 7, n++;
	return n;
}

static size_t sleb_size(uint64_t u)
{
	int64_t v = (int64_t)u;
	size_t n = 1;
	while (v >= 64 || v < -64)
		v >>= 7, n++;
	return n;
}

/*
 * Encoded size of an operation.  Ops from libdw carry no length, so the end
 * of an expression (a valid branch target) is recomputed from the last op.
 */
static size_t op_size(const struct pgm_expr_op *op)
{
	switch (op_info(op->atom).shape) {
	case NONE: case UNKNOWN: return 1;
	case ADDR: case U8: return 9;
	case U1: case S1: return 2;
	case U2: case S2: return 3;
	case U4: case S4: case OFFSET: return 5;
	case ULEB: return 1 + uleb_size(op->number);
	case SLEB: return 1 + sleb_size(op->number);
	case ULEB_SLEB: return 1 + uleb_size(op->number) + sleb_size(op->number2);
	case ULEB_ULEB: return 1 + uleb_size(op->number) + uleb_size(op->number2);
	case OFFSET_SLEB: return 5 + sleb_size(op->number2);
	case U1_ULEB: return 2 + uleb_size(op->number2);
	case BLOCK: return 1 + uleb_size(op->block_len) + op->block_len;
	case ULEB_BLOCK1: return 2 + uleb_size(op->number) + op->block_len;
	}
	return 1;
}

/* Index of the operation at byte offset `target`, n for the end, or -1. */
static long branch_target(const struct eval *e, const struct pgm_expr_op *op)
{
	int64_t target = (int64_t)op->offset + 3 + (int64_t)op->number;
	if (target < 0)
		return -1;
	size_t lo = 0, hi = e->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->ops[mid].offset < (uint64_t)target)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->n && e->ops[lo].offset == (uint64_t)target)
		return (long)lo;
	const struct pgm_expr_op *last = &e->ops[e->n - 1];
	return lo == e->n && last->offset + op_size(last) == (uint64_t)target ? (long)e->n : -1;
}

/* Moves e->pc for DW_OP_skip / DW_OP_bra; *jumped is false to fall through. */
static struct pgm_error *exec_branch(struct eval *e, const struct pgm_expr_op *op, bool *jumped)
{
	*jumped = false;
	if (op->atom == DW_OP_bra) {
		struct pgm_error *err = need(e, 1);
		if (err)
			return err;
		if (e->stack[--e->sp] == 0)
			return NULL;
	}
	long t = branch_target(e, op);
	if (t < 0)
		return eval_error(e, "branch into the middle of an operation or past the end");
	e->pc = (size_t)t;
	*jumped = true;
	return NULL;
}

static bool is_piece(uint8_t atom)
{
	return atom == DW_OP_piece || atom == DW_OP_bit_piece;
}

/* Registers and frame-relative addresses. */
static struct pgm_error *exec_register(struct eval *e, const struct pgm_expr_op *op)
{
	uint64_t v;
	unsigned regno;
	int64_t offset = (int64_t)op->number;
	if (op->atom >= DW_OP_reg0 && op->atom <= DW_OP_reg31) {
		e->pending = PEND_REG;
		e->cur.regno = op->atom - DW_OP_reg0;
		return NULL;
	}
	if (op->atom == DW_OP_regx) {
		e->pending = PEND_REG;
		e->cur.regno = (unsigned)op->number;
		return NULL;
	}
	if (op->atom == DW_OP_bregx) {
		regno = (unsigned)op->number;
		offset = (int64_t)op->number2;
	} else {
		regno = op->atom - DW_OP_breg0;
	}
	if (!reg_value(e, regno, &v))
		return NULL;
	return push(e, v + (uint64_t)offset);
}

static struct pgm_error *exec_frame(struct eval *e, const struct pgm_expr_op *op)
{
	const struct pgm_expr_context *ctx = e->ctx;
	if (op->atom == DW_OP_call_frame_cfa) {
		if (!ctx->has_cfa) {
			unavailable(e, "frame address (CFA) not available in this frame");
			return NULL;
		}
		return push(e, ctx->cfa);
	}
	if (!ctx->has_frame_base) {
		unavailable(e, "frame base not available in this frame");
		return NULL;
	}
	return push(e, ctx->frame_base + op->number);
}

static struct pgm_error *eval_ops(const struct pgm_expr_op *ops, size_t n,
				  const struct pgm_expr_context *ctx, struct pgm_location *loc);

/*
 * DW_OP_entry_value: only the register form can be recovered, through the
 * context's callback (call-site parameters of the caller).
 */
static struct pgm_error *exec_entry_value(struct eval *e, const struct pgm_expr_op *op)
{
	struct pgm_expr_op *sub;
	size_t n;
	struct pgm_error *err = pgm_expr_decode(op->block, op->block_len, &sub, &n);
	if (err)
		return pgm_error_wrap(err, "in %s at offset %zu", pgm_expr_op_name(op->atom),
				      op->offset);
	unsigned regno = 0;
	bool is_reg = n == 1 && ((sub[0].atom >= DW_OP_reg0 && sub[0].atom <= DW_OP_reg31) ||
				 sub[0].atom == DW_OP_regx);
	if (is_reg)
		regno = sub[0].atom == DW_OP_regx ? (unsigned)sub[0].number
						   : (unsigned)(sub[0].atom - DW_OP_reg0);
	free(sub);
	uint64_t v;
	if (!is_reg) {
		unavailable(e, "entry value of a memory location not recoverable");
		return NULL;
	}
	if (e->ctx->depth >= PGM_EXPR_MAX_DEPTH || !e->ctx->entry_value ||
	    !e->ctx->entry_value(e->ctx, regno, &v)) {
		unavailable(e, "entry value of %s not recoverable at this pc", reg_name(regno));
		return NULL;
	}
	return push(e, v);
}

static struct pgm_error *exec_const(struct eval *e, const struct pgm_expr_op *op)
{
	if (op->atom >= DW_OP_lit0 && op->atom <= DW_OP_lit31)
		return push(e, op->atom - DW_OP_lit0);
	if (op->atom == DW_OP_addr)
		return push(e, op->number + e->ctx->bias);
	return push(e, op->number);
}

/* Operations that define the current piece's location instead of computing. */
static struct pgm_error *exec_location(struct eval *e, const struct pgm_expr_op *op)
{
	switch (op->atom) {
	case DW_OP_stack_value: {
		struct pgm_error *err = need(e, 1);
		if (err)
			return err;
		e->pending = PEND_VALUE;
		e->cur.value = *top(e, 0);
		return NULL;
	}
	case DW_OP_implicit_value:
		e->pending = PEND_IMPLICIT;
		e->cur.block = op->block;
		e->cur.block_len = op->block_len;
		return NULL;
	case DW_OP_implicit_pointer:
	case DW_OP_GNU_implicit_pointer:
		unavailable(e, "pointer to an optimized-out object (implicit pointer)");
		return NULL;
	}
	return eval_error(e, "internal: not a location operation");
}

/* Ends the current piece (DW_OP_piece or the end of the expression). */
static struct pgm_error *finish_piece(struct eval *e, uint64_t size)
{
	struct pgm_location *loc = e->loc;
	if (loc->n_pieces == PGM_LOC_MAX_PIECES)
		return eval_error(e, "too many pieces");
	struct pgm_loc_piece *p = &loc->pieces[loc->n_pieces++];
	*p = e->cur;
	p->size = size;
	switch (e->pending) {
	case PEND_REG: p->kind = PGM_LOC_REGISTER; break;
	case PEND_VALUE: p->kind = PGM_LOC_VALUE; break;
	case PEND_IMPLICIT: p->kind = PGM_LOC_IMPLICIT; break;
	case PEND_UNAVAIL: p->kind = PGM_LOC_UNAVAILABLE; break;
	case PEND_NONE:
		if (e->sp == 0) {
			p->kind = PGM_LOC_UNAVAILABLE;
			snprintf(p->reason, sizeof(p->reason), "optimized out");
		} else {
			p->kind = PGM_LOC_MEMORY;
			p->address = *top(e, 0);
		}
		break;
	}
	memset(&e->cur, 0, sizeof(e->cur));
	e->pending = PEND_NONE;
	e->sp = 0;
	return NULL;
}

static struct pgm_error *exec_unsupported(struct eval *e, const struct pgm_expr_op *op)
{
	unavailable(e, "%s not supported", pgm_expr_op_name(op->atom));
	return NULL;
}

/* Executes one operation that is neither a piece nor a branch. */
static struct pgm_error *exec_one(struct eval *e, const struct pgm_expr_op *op)
{
	uint8_t a = op->atom;
	if ((a >= DW_OP_lit0 && a <= DW_OP_lit31) || (a >= DW_OP_const1u && a <= DW_OP_consts) ||
	    a == DW_OP_addr)
		return exec_const(e, op);
	if ((a >= DW_OP_reg0 && a <= DW_OP_breg31) || a == DW_OP_regx || a == DW_OP_bregx)
		return exec_register(e, op);
	switch (a) {
	case DW_OP_dup: case DW_OP_drop: case DW_OP_over: case DW_OP_pick:
	case DW_OP_swap: case DW_OP_rot:
		return exec_stack_op(e, op);
	case DW_OP_abs: case DW_OP_neg: case DW_OP_not: case DW_OP_plus_uconst:
		return exec_unary(e, op);
	case DW_OP_deref: return deref(e, 8);
	case DW_OP_deref_size: return deref(e, op->number);
	case DW_OP_fbreg: case DW_OP_call_frame_cfa: return exec_frame(e, op);
	case DW_OP_entry_value: case DW_OP_GNU_entry_value: return exec_entry_value(e, op);
	case DW_OP_stack_value: case DW_OP_implicit_value: case DW_OP_implicit_pointer:
	case DW_OP_GNU_implicit_pointer:
		return exec_location(e, op);
	case DW_OP_nop: return NULL;
	}
	if ((a >= DW_OP_and && a <= DW_OP_xor && a != DW_OP_neg && a != DW_OP_not &&
	     a != DW_OP_plus_uconst && a != DW_OP_abs) ||
	    (a >= DW_OP_eq && a <= DW_OP_ne))
		return exec_binary(e, op);
	return exec_unsupported(e, op);
}

/* After a register, value or unavailable piece only DW_OP_piece may follow. */
static bool skipping(const struct eval *e)
{
	return e->pending != PEND_NONE;
}

static struct pgm_error *step(struct eval *e)
{
	const struct pgm_expr_op *op = &e->ops[e->pc];
	struct pgm_error *err;
	if (is_piece(op->atom)) {
		if (op->atom == DW_OP_bit_piece && (op->number % 8 || op->number2 % 8))
			return eval_error(e, "bit pieces not supported");
		uint64_t size = op->atom == DW_OP_bit_piece ? op->number / 8 : op->number;
		err = finish_piece(e, size);
		e->pc++;
		return err;
	}
	if (skipping(e)) {
		if (e->pending != PEND_UNAVAIL)
			return eval_error(e, "operation after a complete location");
		e->pc++;
		return NULL;
	}
	if (op->atom == DW_OP_skip || op->atom == DW_OP_bra) {
		bool jumped;
		if ((err = exec_branch(e, op, &jumped)))
			return err;
		if (!jumped)
			e->pc++;
		return NULL;
	}
	err = exec_one(e, op);
	e->pc++;
	return err;
}

static struct pgm_error *eval_ops(const struct pgm_expr_op *ops, size_t n,
				  const struct pgm_expr_context *ctx, struct pgm_location *loc)
{
	struct eval e = { .ctx = ctx, .ops = ops, .n = n, .loc = loc };
	memset(loc, 0, sizeof(*loc));
	if (n > PGM_EXPR_MAX_OPS)
		return pgm_error_create(PGM_ERR_LIMIT, "dwarf expression: more than %d operations",
					PGM_EXPR_MAX_OPS);
	for (unsigned steps = 0; e.pc < n; steps++) {
		if (steps == PGM_EXPR_MAX_STEPS)
			return pgm_error_create(PGM_ERR_LIMIT,
						"dwarf expression: more than %d steps (a loop?)",
						PGM_EXPR_MAX_STEPS);
		struct pgm_error *err = step(&e);
		if (err)
			return err;
	}
	if (n == 0)
		return NULL;
	/* An expression ending in DW_OP_piece is complete; otherwise one piece remains. */
	if (loc->n_pieces > 0 && e.pending == PEND_NONE && e.sp == 0)
		return NULL;
	e.pc = n - 1;
	return finish_piece(&e, 0);
}

struct pgm_error *pgm_expr_eval_location(const struct pgm_expr_op *ops, size_t n,
					 const struct pgm_expr_context *ctx,
					 struct pgm_location *ret)
{
	return eval_ops(ops, n, ctx, ret);
}

struct pgm_error *pgm_expr_eval_value(const struct pgm_expr_op *ops, size_t n,
				      const struct pgm_expr_context *ctx, uint64_t *ret,
				      bool *available, char reason[96])
{
	struct pgm_location loc;
	struct pgm_error *err = eval_ops(ops, n, ctx, &loc);
	if (err)
		return err;
	*available = false;
	if (loc.n_pieces != 1 || loc.pieces[0].size != 0) {
		snprintf(reason, 96, "%s", loc.n_pieces ? "composite value" : "empty expression");
		return NULL;
	}
	const struct pgm_loc_piece *p = &loc.pieces[0];
	switch (p->kind) {
	case PGM_LOC_MEMORY: *ret = p->address; break;
	case PGM_LOC_VALUE: *ret = p->value; break;
	case PGM_LOC_REGISTER: {
		struct eval e = { .ctx = ctx };
		if (!reg_value(&e, p->regno, ret)) {
			snprintf(reason, 96, "%s", e.cur.reason);
			return NULL;
		}
		break;
	}
	case PGM_LOC_IMPLICIT:
		snprintf(reason, 96, "implicit value where an address was expected");
		return NULL;
	case PGM_LOC_UNAVAILABLE:
		snprintf(reason, 96, "%s", p->reason);
		return NULL;
	}
	*available = true;
	return NULL;
}

/* ---- reading a location ---- */

bool pgm_location_is_memory(const struct pgm_location *loc, uint64_t *address)
{
	if (loc->n_pieces != 1 || loc->pieces[0].kind != PGM_LOC_MEMORY || loc->pieces[0].size)
		return false;
	if (address)
		*address = loc->pieces[0].address;
	return true;
}

const char *pgm_location_unavailable(const struct pgm_location *loc)
{
	if (loc->n_pieces == 0)
		return "optimized out";
	for (size_t i = 0; i < loc->n_pieces; i++)
		if (loc->pieces[i].kind == PGM_LOC_UNAVAILABLE)
			return loc->pieces[i].reason;
	return NULL;
}

/* Fills buf[0..len) from one piece; returns an error describing a failure. */
static struct pgm_error *read_piece(const struct pgm_loc_piece *p,
				    const struct pgm_expr_context *ctx, uint8_t *buf, size_t len)
{
	switch (p->kind) {
	case PGM_LOC_MEMORY:
		if (!ctx->target)
			return pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "no memory to read");
		return pgm_target_read(ctx->target, p->address, buf, len);
	case PGM_LOC_REGISTER:
		if (!ctx->regs || p->regno >= ctx->n_regs || p->regno >= 32 ||
		    !(ctx->regs_valid & (1u << p->regno)))
			return pgm_error_create(PGM_ERR_OPTIMIZED_OUT,
						"register %s not available in this frame",
						reg_name(p->regno));
		if (len > 8)
			return pgm_error_create(PGM_ERR_UNSUPPORTED,
						"%zu-byte value in register %s", len, reg_name(p->regno));
		memcpy(buf, &ctx->regs[p->regno], len);
		return NULL;
	case PGM_LOC_VALUE:
		memset(buf, 0, len);
		memcpy(buf, &p->value, len < 8 ? len : 8);
		return NULL;
	case PGM_LOC_IMPLICIT:
		memset(buf, 0, len);
		memcpy(buf, p->block, len < p->block_len ? len : p->block_len);
		return NULL;
	case PGM_LOC_UNAVAILABLE:
		return pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "%s", p->reason);
	}
	return NULL;
}

struct pgm_error *pgm_location_read(const struct pgm_location *loc,
				    const struct pgm_expr_context *ctx, void *buf,
				    uint8_t *valid, size_t size)
{
	struct pgm_error *first = NULL;
	size_t pos = 0, good = 0;
	if (valid)
		memset(valid, 0, size);
	if (loc->n_pieces == 0)
		return pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "optimized out");
	for (size_t i = 0; i < loc->n_pieces && pos < size; i++) {
		const struct pgm_loc_piece *p = &loc->pieces[i];
		size_t len = p->size ? p->size : size - pos;
		if (len > size - pos)
			len = size - pos;
		struct pgm_error *err = read_piece(p, ctx, (uint8_t *)buf + pos, len);
		if (err && !first)
			first = err;
		else if (err)
			pgm_error_destroy(err);
		else {
			good += len;
			if (valid)
				memset(valid + pos, 1, len);
		}
		pos += len;
	}
	if (good > 0 && !(good < size && !valid)) {
		pgm_error_destroy(first);
		return NULL;
	}
	if (!first)
		first = pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "optimized out");
	return first;
}
