/*
 * Typed values: addresses with a type, or bytes with a validity mask, and
 * the operations C has on them (members, elements, dereference, address,
 * casts).  Memory is read only when a scalar is asked for, so a read the
 * capture cannot serve affects that scalar only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/dwarf_internal.h"
#include "pgmortem/value.h"

#define MAX_BYTES_VALUE (1u << 20)   /* bound on register/implicit values we copy */

void pgm_value_deinit(struct pgm_value *v)
{
	free(v->bytes);
	free(v->valid);
	v->bytes = v->valid = NULL;
}

static uint64_t type_size(struct pgm_dwarf *dw, const struct pgm_type *type)
{
	uint64_t size = 0;
	pgm_error_destroy(pgm_type_size(dw, type, &size));
	return size;
}

void pgm_value_at(struct pgm_dwarf *dw, const struct pgm_type *type, uint64_t address,
		  struct pgm_value *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->type = *type;
	ret->kind = PGM_VALUE_MEMORY;
	ret->address = address;
	ret->size = type_size(dw, type);
}

static void unavailable(struct pgm_value *v, const struct pgm_type *type, const char *reason)
{
	memset(v, 0, sizeof(*v));
	v->type = *type;
	v->kind = PGM_VALUE_UNAVAILABLE;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

/* A BYTES value of `size` bytes copied from `bytes` (and `valid`, may be NULL). */
static struct pgm_error *bytes_value(const struct pgm_type *type, const uint8_t *bytes,
				     const uint8_t *valid, size_t size, struct pgm_value *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->type = *type;
	ret->kind = PGM_VALUE_BYTES;
	ret->size = size;
	ret->bytes = malloc(size ? size : 1);
	if (!ret->bytes)
		return &pgm_enomem;
	memcpy(ret->bytes, bytes, size);
	if (valid && memchr(valid, 0, size)) {
		if (!(ret->valid = malloc(size))) {
			pgm_value_deinit(ret);
			return &pgm_enomem;
		}
		memcpy(ret->valid, valid, size);
	}
	return NULL;
}

struct pgm_error *pgm_value_copy(const struct pgm_value *v, struct pgm_value *ret)
{
	if (v->kind != PGM_VALUE_BYTES) {
		*ret = *v;
		return NULL;
	}
	struct pgm_error *err = bytes_value(&v->type, v->bytes, v->valid, v->size, ret);
	if (!err) {
		ret->bit_offset = v->bit_offset;
		ret->bit_size = v->bit_size;
		memcpy(ret->reason, v->reason, sizeof(ret->reason));
	}
	return err;
}

struct pgm_error *pgm_value_scalar(struct pgm_dwarf *dw, const struct pgm_type *type,
				   uint64_t bits, struct pgm_value *ret)
{
	uint64_t size = type_size(dw, type);
	if (size == 0 || size > 8)
		return pgm_error_create(PGM_ERR_USAGE, "not a scalar type");
	return bytes_value(type, (const uint8_t *)&bits, NULL, size, ret);
}

struct pgm_error *pgm_value_of_variable(struct pgm_dwarf *dw, const struct pgm_variable *var,
					struct pgm_value *ret)
{
	uint64_t address;
	if (pgm_location_is_memory(&var->loc, &address)) {
		pgm_value_at(dw, &var->type, address, ret);
		return NULL;
	}
	const char *why = pgm_location_unavailable(&var->loc);
	uint64_t size = type_size(dw, &var->type);
	if (var->loc.n_pieces == 0 || size == 0 || size > MAX_BYTES_VALUE) {
		unavailable(ret, &var->type, var->loc.n_pieces ? why ?: "no size" : "optimized out");
		return NULL;
	}
	uint8_t *bytes = calloc(1, size), *valid = calloc(1, size);
	struct pgm_error *err = bytes && valid ? NULL : &pgm_enomem;
	struct pgm_error *rerr = err ? NULL : pgm_location_read(&var->loc, &var->ctx, bytes, valid, size);
	if (!err && rerr)
		unavailable(ret, &var->type, rerr->message);
	else if (!err)
		err = bytes_value(&var->type, bytes, valid, size, ret);
	if (!err && !rerr && ret->valid && why)
		snprintf(ret->reason, sizeof(ret->reason), "%s", why);
	pgm_error_destroy(rerr);
	free(bytes);
	free(valid);
	return err;
}

struct pgm_error *pgm_value_read(struct pgm_dwarf *dw, const struct pgm_value *v, void *buf)
{
	switch (v->kind) {
	case PGM_VALUE_MEMORY: {
		struct pgm_target *t = pgm_dwarf_target(dw);
		if (!t)
			return pgm_error_create(PGM_ERR_USAGE, "no process memory to read (types only)");
		return pgm_target_read(t, v->address, buf, v->size);
	}
	case PGM_VALUE_BYTES:
		if (v->valid && memchr(v->valid, 0, v->size))
			return pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "%s",
						v->reason[0] ? v->reason : "optimized out");
		memcpy(buf, v->bytes, v->size);
		return NULL;
	case PGM_VALUE_UNAVAILABLE:
		break;
	}
	return pgm_error_create(PGM_ERR_OPTIMIZED_OUT, "%s", v->reason);
}

struct pgm_error *pgm_value_load(struct pgm_dwarf *dw, const struct pgm_value *v,
				 struct pgm_value *ret)
{
	if (v->kind != PGM_VALUE_MEMORY)
		return v->kind == PGM_VALUE_BYTES ? pgm_value_copy(v, ret) : pgm_value_read(dw, v, NULL);
	if (v->size > MAX_BYTES_VALUE)
		return pgm_error_create(PGM_ERR_LIMIT, "value of %zu bytes too large to load", v->size);
	uint8_t *buf = malloc(v->size ? v->size : 1);
	if (!buf)
		return &pgm_enomem;
	struct pgm_error *err = pgm_value_read(dw, v, buf);
	if (!err)
		err = bytes_value(&v->type, buf, NULL, v->size, ret);
	free(buf);
	if (!err) {
		ret->bit_offset = v->bit_offset;
		ret->bit_size = v->bit_size;
	}
	return err;
}

static bool is_signed(const struct pgm_type *type)
{
	struct pgm_type t;
	pgm_type_strip(type, &t);
	enum pgm_type_kind k = pgm_type_kind(&t);
	if (k != PGM_TYPE_INT && k != PGM_TYPE_ENUM)
		return false;
	enum pgm_int_encoding e = pgm_type_encoding(&t);
	return e == PGM_INT_SIGNED || e == PGM_INT_SIGNED_CHAR;
}

struct pgm_error *pgm_value_integer(struct pgm_dwarf *dw, const struct pgm_value *v,
				    uint64_t *ret)
{
	uint64_t bits = 0;
	if (v->size == 0 || v->size > 8)
		return pgm_error_create(PGM_ERR_USAGE, "not a scalar (%zu bytes)", v->size);
	struct pgm_error *err = pgm_value_read(dw, v, &bits);
	if (err)
		return err;
	unsigned width = (unsigned)v->size * 8;
	if (v->bit_size) {
		bits >>= v->bit_offset;
		width = v->bit_size;
	}
	if (width < 64) {
		bits &= ((uint64_t)1 << width) - 1;
		if (is_signed(&v->type) && (bits >> (width - 1)) & 1)
			bits |= ~(uint64_t)0 << width;
	}
	*ret = bits;
	return NULL;
}

/* The part of v at [offset, offset + size) with `type`. */
static struct pgm_error *slice(struct pgm_dwarf *dw, const struct pgm_value *v,
			       const struct pgm_type *type, uint64_t offset, uint64_t size,
			       struct pgm_value *ret)
{
	(void)dw;
	switch (v->kind) {
	case PGM_VALUE_MEMORY:
		memset(ret, 0, sizeof(*ret));
		ret->type = *type;
		ret->kind = PGM_VALUE_MEMORY;
		ret->address = v->address + offset;
		ret->size = size;
		return NULL;
	case PGM_VALUE_BYTES:
		if (offset + size > v->size)
			return pgm_error_create(PGM_ERR_USAGE, "out of the value's bounds");
		return bytes_value(type, v->bytes + offset, v->valid ? v->valid + offset : NULL,
				   size, ret);
	case PGM_VALUE_UNAVAILABLE:
		break;
	}
	unavailable(ret, type, v->reason);
	return NULL;
}

struct pgm_error *pgm_value_field(struct pgm_dwarf *dw, const struct pgm_value *v,
				  const struct pgm_member *m, struct pgm_value *ret)
{
	struct pgm_error *err = slice(dw, v, &m->type, m->offset, m->size, ret);
	if (!err) {
		ret->bit_offset = m->bit_offset;
		ret->bit_size = m->bit_size;
	}
	return err;
}

struct pgm_error *pgm_value_member(struct pgm_dwarf *dw, const struct pgm_value *v,
				   const char *name, struct pgm_value *ret)
{
	struct pgm_member m;
	struct pgm_error *err = pgm_type_member(dw, &v->type, name, &m);
	return err ?: pgm_value_field(dw, v, &m, ret);
}

struct pgm_error *pgm_value_deref(struct pgm_dwarf *dw, const struct pgm_value *v,
				  struct pgm_value *ret)
{
	struct pgm_type t;
	pgm_type_strip(&v->type, &t);
	if (pgm_type_kind(&t) == PGM_TYPE_ARRAY)
		return pgm_value_index(dw, v, 0, ret);
	struct pgm_type target;
	uint64_t address;
	struct pgm_error *err = pgm_type_pointee(dw, &v->type, &target);
	if (err)
		return pgm_error_create(PGM_ERR_USAGE, "cannot dereference a non-pointer");
	if (pgm_type_kind(&target) == PGM_TYPE_VOID)
		return pgm_error_create(PGM_ERR_USAGE, "cannot dereference a void pointer");
	if ((err = pgm_value_integer(dw, v, &address)))
		return err;
	pgm_value_at(dw, &target, address, ret);
	return NULL;
}

struct pgm_error *pgm_value_index(struct pgm_dwarf *dw, const struct pgm_value *v, int64_t i,
				  struct pgm_value *ret)
{
	struct pgm_type t, elem;
	uint64_t count, esize;
	bool has_count;
	pgm_type_strip(&v->type, &t);
	if (pgm_type_kind(&t) == PGM_TYPE_POINTER) {
		struct pgm_value base;
		struct pgm_error *err = pgm_value_deref(dw, v, &base);
		if (err)
			return err;
		if (base.size == 0)
			return pgm_error_create(PGM_ERR_USAGE, "cannot index a pointer to an incomplete type");
		pgm_value_at(dw, &base.type, base.address + (uint64_t)i * base.size, ret);
		return NULL;
	}
	struct pgm_error *err = pgm_type_array(dw, &t, &elem, &count, &has_count);
	if (err)
		return pgm_error_create(PGM_ERR_USAGE, "cannot index a value that is not an array or pointer");
	if ((err = pgm_type_size(dw, &elem, &esize)))
		return err;
	if (i < 0 && v->kind != PGM_VALUE_MEMORY)
		return pgm_error_create(PGM_ERR_USAGE, "negative index");
	return slice(dw, v, &elem, (uint64_t)i * esize, esize, ret);
}

struct pgm_error *pgm_value_address_of(struct pgm_dwarf *dw, const struct pgm_value *v,
				       struct pgm_value *ret)
{
	if (v->kind != PGM_VALUE_MEMORY || v->bit_size)
		return pgm_error_create(PGM_ERR_USAGE, "cannot take the address of a value not in memory");
	struct pgm_type pointer = v->type;
	pointer.pointers++;
	return pgm_value_scalar(dw, &pointer, v->address, ret);
}

struct pgm_error *pgm_value_cast(struct pgm_dwarf *dw, const struct pgm_value *v,
				 const struct pgm_type *type, struct pgm_value *ret)
{
	struct pgm_type to, from;
	pgm_type_strip(type, &to);
	pgm_type_strip(&v->type, &from);
	enum pgm_type_kind kt = pgm_type_kind(&to), kf = pgm_type_kind(&from);
	uint64_t bits;
	struct pgm_error *err;
	if (kt == PGM_TYPE_STRUCT || kt == PGM_TYPE_UNION || kt == PGM_TYPE_ARRAY) {
		if (v->kind != PGM_VALUE_MEMORY)
			return pgm_error_create(PGM_ERR_USAGE, "cannot reinterpret a value not in memory");
		pgm_value_at(dw, type, v->address, ret);
		return NULL;
	}
	if (kf == PGM_TYPE_ARRAY && v->kind == PGM_VALUE_MEMORY)
		bits = v->address;   /* arrays decay to their address */
	else if ((err = pgm_value_integer(dw, v, &bits)))
		return err;
	return pgm_value_scalar(dw, type, bits, ret);
}
