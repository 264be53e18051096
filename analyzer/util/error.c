/* The one error type: construction, elfutils adapters, destruction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <libelf.h>

#include "pgmortem/error.h"

struct pgm_error pgm_enomem = {
	.code = PGM_ERR_NOMEM,
	.message = (char *)"out of memory",
};

struct pgm_error *pgm_error_vcreate(enum pgm_error_code code, const char *fmt, va_list ap)
{
	struct pgm_error *err = calloc(1, sizeof(*err));
	if (!err)
		return &pgm_enomem;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &pgm_enomem;
	}
	err->code = code;
	return err;
}

struct pgm_error *pgm_error_create(enum pgm_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct pgm_error *err = pgm_error_vcreate(code, fmt, ap);
	va_end(ap);
	return err;
}

struct pgm_error *pgm_error_errno(int errnum, const char *fmt, ...)
{
	char *what;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r < 0)
		return &pgm_enomem;
	struct pgm_error *err = pgm_error_create(PGM_ERR_OS, "%s: %s", what, strerror(errnum));
	free(what);
	if (err != &pgm_enomem)
		err->errnum = errnum;
	return err;
}

struct pgm_error *pgm_error_not_captured(uint64_t address, const char *mapping, uint64_t map_start)
{
	struct pgm_error *err;
	if (mapping)
		err = pgm_error_create(PGM_ERR_NOT_CAPTURED,
				       "not captured at 0x%" PRIx64 " (mapping %s at 0x%" PRIx64 ")",
				       address, mapping, map_start);
	else
		err = pgm_error_create(PGM_ERR_NOT_CAPTURED,
				       "not captured at 0x%" PRIx64 " (anonymous mapping at 0x%" PRIx64 ")",
				       address, map_start);
	if (err == &pgm_enomem)
		return err;
	err->address = address;
	err->map_start = map_start;
	if (mapping && !(err->mapping = strdup(mapping))) {
		pgm_error_destroy(err);
		return &pgm_enomem;
	}
	return err;
}

struct pgm_error *pgm_error_fault(uint64_t address)
{
	struct pgm_error *err = pgm_error_create(PGM_ERR_FAULT,
						 "no memory mapped at 0x%" PRIx64, address);
	if (err != &pgm_enomem)
		err->address = address;
	return err;
}

struct pgm_error *pgm_error_libdw(const char *call)
{
	return pgm_error_create(PGM_ERR_DWARF, "%s: %s", call, dwarf_errmsg(-1));
}

struct pgm_error *pgm_error_libdwfl(const char *call)
{
	return pgm_error_create(PGM_ERR_DWARF, "%s: %s", call, dwfl_errmsg(-1));
}

struct pgm_error *pgm_error_libelf(const char *call)
{
	return pgm_error_create(PGM_ERR_FORMAT, "%s: %s", call, elf_errmsg(-1));
}

struct pgm_error *pgm_error_wrap(struct pgm_error *err, const char *fmt, ...)
{
	if (!err || err == &pgm_enomem)
		return err;
	char *context, *message;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&context, fmt, ap);
	va_end(ap);
	if (r < 0)
		return err;
	if (asprintf(&message, "%s: %s", context, err->message) >= 0) {
		free(err->message);
		err->message = message;
	}
	free(context);
	return err;
}

struct pgm_error *pgm_error_clone(const struct pgm_error *err)
{
	if (err == &pgm_enomem)
		return &pgm_enomem;
	struct pgm_error *c = pgm_error_create(err->code, "%s", err->message);
	if (c == &pgm_enomem)
		return c;
	c->errnum = err->errnum;
	c->address = err->address;
	c->map_start = err->map_start;
	if (err->mapping && !(c->mapping = strdup(err->mapping))) {
		pgm_error_destroy(c);
		return &pgm_enomem;
	}
	return c;
}

bool pgm_error_is_read_failure(const struct pgm_error *err)
{
	return err && (err->code == PGM_ERR_NOT_CAPTURED || err->code == PGM_ERR_FAULT);
}

void pgm_error_destroy(struct pgm_error *err)
{
	if (!err || err == &pgm_enomem)
		return;
	free(err->mapping);
	free(err->message);
	free(err);
}
