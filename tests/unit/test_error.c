/* Unit tests for the error type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pgmortem/error.h"

static void not_captured_names_address_and_mapping(void **state)
{
	struct pgm_error *err = pgm_error_not_captured(0x7fc2594741e8, "/dev/shm/PostgreSQL.4952892",
						       0x7fc259474000);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_int_equal(err->address, 0x7fc2594741e8);
	assert_string_equal(err->mapping, "/dev/shm/PostgreSQL.4952892");
	assert_non_null(strstr(err->message, "0x7fc2594741e8"));
	assert_non_null(strstr(err->message, "/dev/shm/PostgreSQL.4952892"));
	assert_true(pgm_error_is_read_failure(err));
	pgm_error_destroy(err);
}

static void wrap_prepends_context(void **state)
{
	struct pgm_error *err = pgm_error_create(PGM_ERR_FORMAT, "bad note");
	err = pgm_error_wrap(err, "core %s", "x.core");
	assert_string_equal(err->message, "core x.core: bad note");
	assert_false(pgm_error_is_read_failure(err));
	pgm_error_destroy(err);
}

static void enomem_is_static_and_destroy_is_safe(void **state)
{
	pgm_error_destroy(&pgm_enomem);
	pgm_error_destroy(NULL);
	assert_int_equal(pgm_enomem.code, PGM_ERR_NOMEM);
	assert_ptr_equal(pgm_error_wrap(&pgm_enomem, "x"), &pgm_enomem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_captured_names_address_and_mapping),
		cmocka_unit_test(wrap_prepends_context),
		cmocka_unit_test(enomem_is_static_and_destroy_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
