/*
 * The layout cache's file format: a hand-built layout survives the round
 * trip (global addresses rebased to another load bias), and damaged, stale
 * or foreign files are rejected with PGM_ERR_FORMAT, never half-used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg/layout.h"

#define BUILD_ID "b770e42fe81fece62388ea25a5cc7f1475e5fdb8"
#define BIAS1 0x555555554000ull
#define BIAS2 0x7f0000000000ull
#define EXE_SIZE 0x1000000ull

static struct pgm_pg_layout *sample(uint64_t bias)
{
	struct pgm_pg_layout *l = pgm_pg_layout_create_empty();
	assert_non_null(l);
	l->has_debuginfo = true;
	pgm_pg_layout_set_struct(l, PGM_S_PGPROC, 880);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_pid, 32, 4);
	pgm_pg_layout_set_member(l, PGM_M_PGPROC_cvWaitLink_next, 864, 4);
	pgm_pg_layout_set_global(l, PGM_G_MyProc, bias + 0x9a8f28, 8);
	pgm_pg_layout_set_global(l, PGM_G_BuiltinTrancheNames, bias + 0x8000, 8 * 50);
	l->globals[PGM_G_BuiltinTrancheNames].elements = 50;
	assert_null(pgm_pg_layout_add_enumerator(l, PGM_E_BTPS_State, "BTPARALLEL_NOT_INITIALIZED", 0));
	assert_null(pgm_pg_layout_add_enumerator(l, PGM_E_BTPS_State, "BTPARALLEL_ADVANCING", 1));
	assert_non_null(l->enums[PGM_E_BTPS_State].decl_file = strdup("nbtree.c"));
	assert_null(pgm_pg_layout_add_enumerator(l, PGM_E_LWLockMode, "LW_EXCLUSIVE", -3));
	return l;
}

static char *to_json(const struct pgm_pg_layout *l, uint64_t bias)
{
	char *text = NULL;
	assert_null(pgm_pg_layout_to_json(l, BUILD_ID, bias, &text));
	assert_non_null(text);
	return text;
}

static struct pgm_error *from_json(const char *text, uint64_t bias, struct pgm_pg_layout **ret)
{
	*ret = NULL;
	return pgm_pg_layout_from_json(text, strlen(text), BUILD_ID, bias, bias, bias + EXE_SIZE, ret);
}

static void test_round_trip_rebases_globals(void **state)
{
	(void)state;
	struct pgm_pg_layout *l = sample(BIAS1), *back;
	char *text = to_json(l, BIAS1);
	assert_null(from_json(text, BIAS2, &back));
	assert_true(back->has_debuginfo);
	assert_true(back->structs[PGM_S_PGPROC].found);
	assert_int_equal(back->structs[PGM_S_PGPROC].size, 880);
	assert_false(back->structs[PGM_S_LOCK].found);
	assert_true(back->members[PGM_M_PGPROC_cvWaitLink_next].found);
	assert_int_equal(back->members[PGM_M_PGPROC_cvWaitLink_next].offset, 864);
	assert_int_equal(back->members[PGM_M_PGPROC_cvWaitLink_next].size, 4);
	assert_false(back->members[PGM_M_PGPROC_waitLock].found);
	assert_int_equal(back->globals[PGM_G_MyProc].address, BIAS2 + 0x9a8f28);
	assert_int_equal(back->globals[PGM_G_BuiltinTrancheNames].elements, 50);
	assert_false(back->globals[PGM_G_cv_sleep_target].found);
	assert_string_equal(pgm_pg_enum_name(back, PGM_E_BTPS_State, 1), "BTPARALLEL_ADVANCING");
	assert_string_equal(back->enums[PGM_E_BTPS_State].decl_file, "nbtree.c");
	int64_t v;
	assert_true(pgm_pg_enum_value(back, PGM_E_LWLockMode, "LW_EXCLUSIVE", &v));
	assert_int_equal(v, -3);
	assert_false(back->enums[PGM_E_BackendType].found);

	char *again = to_json(back, BIAS2);
	assert_string_equal(text, again);
	free(again);
	free(text);
	pgm_pg_layout_destroy(back);
	pgm_pg_layout_destroy(l);
}

/* Replaces the first `from` in text by `to`; the test fails if absent. */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	assert_non_null(at);
	char *out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

static void expect_rejected(const char *text, const char *why)
{
	struct pgm_pg_layout *l;
	struct pgm_error *err = from_json(text, BIAS1, &l);
	if (!err)
		fail_msg("accepted a cache file that %s", why);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	assert_null(l);
	pgm_error_destroy(err);
}

static void test_corrupt_files_rejected(void **state)
{
	(void)state;
	struct pgm_pg_layout *l = sample(BIAS1);
	char *text = to_json(l, BIAS1);
	static const struct { const char *from, *to, *why; } edits[] = {
		{ "\"version\":1", "\"version\":2", "has another format version" },
		{ "\"format\":\"pgmortem-layout\"", "\"format\":\"x\"", "is not a layout cache" },
		{ BUILD_ID, "00000000000000000000000000000000000000ff", "is for another build-id" },
		{ "\"has_debuginfo\":true", "\"has_debuginfo\":false", "was made without DWARF" },
		{ "\"producer\":\"", "\"producer\":\"0", "was written by another pgmortem build" },
		{ "\"PGPROC\":{\"size\":880}", "\"PGPROC\":{\"size\":\"880\"}", "has a string size" },
		{ "\"PGPROC\":{\"size\":880}", "\"PGPROC\":{\"size\":0}", "has a zero struct size" },
		{ "\"PGPROC\":{\"size\":880}", "\"PGPROC\":{\"size\":99999999999}", "has a huge struct size" },
		{ "\"PGPROC\":{\"size\":880}", "\"PGPROC\":null", "has members of a missing struct" },
		{ "\"offset\":864", "\"offset\":878", "has a member past its struct" },
		{ "\"offset\":864", "\"offset\":-8", "has a negative offset" },
		{ "\"vaddr\":10129192", "\"vaddr\":99999999999", "has a global outside the executable" },
		{ "[\"BTPARALLEL_ADVANCING\",1]", "[\"BTPARALLEL_ADVANCING\",\"1\"]", "has a string enumerator value" },
		{ "[\"BTPARALLEL_ADVANCING\",1]", "[\"\",1]", "has an empty enumerator name" },
		{ "\"MyProc\":", "\"NotMyProc\":", "lacks an entry of the current table" },
		{ "\"structs\":{", "\"structs\":[{", "has a malformed section" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *bad = edit(text, edits[i].from, edits[i].to);
		expect_rejected(bad, edits[i].why);
		free(bad);
	}
	for (size_t cut = 0; cut < strlen(text); cut += 97) {
		char *trunc = strndup(text, cut);
		expect_rejected(trunc, "is truncated");
		free(trunc);
	}
	char *trailing = malloc(strlen(text) + sizeof("garbage"));
	assert_non_null(trailing);
	sprintf(trailing, "%sgarbage", text);
	expect_rejected(trailing, "has trailing garbage");
	free(trailing);
	expect_rejected("", "is empty");
	expect_rejected("[1,2,3]", "is an array");
	free(text);
	pgm_pg_layout_destroy(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_rebases_globals),
		cmocka_unit_test(test_corrupt_files_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
