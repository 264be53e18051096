/* Unit tests for the in-memory target and the backend-independent helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <elf.h>

#include "pgmortem/target.h"

static struct pgm_target *new_target(void)
{
	struct pgm_target *t;
	assert_null(pgm_target_memory_create(4242, &t));
	assert_int_equal(t->kind, PGM_TARGET_MEMORY);
	assert_int_equal(t->pid, 4242);
	return t;
}

static void add(struct pgm_target *t, uint64_t start, const void *data, size_t len,
		const char *path)
{
	struct pgm_error *err = pgm_target_memory_add(t, start, data, len, path);
	if (err)
		fail_msg("pgm_target_memory_add: %s", err->message);
}

static void reads_across_adjacent_regions(void **state)
{
	struct pgm_target *t = new_target();
	/* Added out of order: the target keeps mappings sorted. */
	add(t, 0x1010, "ghijklmnopqrstuv", 16, NULL);
	add(t, 0x1000, "0123456789abcdef", 16, "/usr/lib/libx.so");
	char buf[9] = { 0 };
	assert_null(pgm_target_read(t, 0x100c, buf, 8));
	assert_string_equal(buf, "cdefghij");
	uint32_t u32;
	assert_null(pgm_target_read_u32(t, 0x1000, &u32));
	assert_memory_equal(&u32, "0123", 4);
	uint64_t u64;
	assert_null(pgm_target_read_u64(t, 0x100e, &u64));
	assert_memory_equal(&u64, "efghijkl", 8);
	assert_null(pgm_target_read(t, 0x5000, buf, 0));
	pgm_target_destroy(t);
}

static void not_captured_carries_address_and_mapping(void **state)
{
	struct pgm_target *t = new_target();
	uint8_t page[0x100] = { 1 };
	add(t, 0x1f00, page, sizeof(page), NULL);
	add(t, 0x2000, NULL, 0x1000, "/dev/shm/PostgreSQL.4952892");
	uint8_t buf[0x20];
	struct pgm_error *err = pgm_target_read(t, 0x2100, buf, 8);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_int_equal(err->address, 0x2100);
	assert_int_equal(err->map_start, 0x2000);
	assert_string_equal(err->mapping, "/dev/shm/PostgreSQL.4952892");
	assert_non_null(strstr(err->message, "0x2100"));
	pgm_error_destroy(err);

	/* A read that starts captured names the first byte it could not serve. */
	err = pgm_target_read(t, 0x1ff0, buf, 0x20);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_int_equal(err->address, 0x2000);
	pgm_error_destroy(err);
	pgm_target_destroy(t);
}

static void anonymous_not_captured_has_no_mapping_name(void **state)
{
	struct pgm_target *t = new_target();
	add(t, 0x9000, NULL, 0x1000, NULL);
	uint8_t b;
	struct pgm_error *err = pgm_target_read(t, 0x9abc, &b, 1);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_null(err->mapping);
	assert_non_null(strstr(err->message, "anonymous"));
	pgm_error_destroy(err);
	const struct pgm_mapping *m = pgm_target_find_mapping(t, 0x9000);
	assert_false(m->flags & PGM_MAP_CAPTURED);
	pgm_target_destroy(t);
}

static void fault_outside_any_mapping(void **state)
{
	struct pgm_target *t = new_target();
	add(t, 0x1000, "abcd", 4, NULL);
	uint8_t buf[8];
	struct pgm_error *err = pgm_target_read(t, 0x800, buf, 4);
	assert_int_equal(err->code, PGM_ERR_FAULT);
	assert_int_equal(err->address, 0x800);
	assert_true(pgm_error_is_read_failure(err));
	pgm_error_destroy(err);

	/* Running off the end of a region into a gap faults at the gap. */
	err = pgm_target_read(t, 0x1002, buf, 4);
	assert_int_equal(err->code, PGM_ERR_FAULT);
	assert_int_equal(err->address, 0x1004);
	pgm_error_destroy(err);

	/* A read wrapping around the address space is a fault, not a crash. */
	err = pgm_target_read(t, UINT64_MAX - 1, buf, 8);
	assert_int_equal(err->code, PGM_ERR_FAULT);
	pgm_error_destroy(err);
	pgm_target_destroy(t);
}

static void read_string_crosses_chunks_and_regions(void **state)
{
	struct pgm_target *t = new_target();
	char text[200];
	memset(text, 'x', sizeof(text));
	memcpy(text + 150, "end", 4);
	/* The string starts unaligned and crosses a region boundary at 100. */
	add(t, 0x4003, text, 100, NULL);
	add(t, 0x4003 + 100, text + 100, 100, NULL);
	char *s;
	bool truncated;
	assert_null(pgm_target_read_string(t, 0x4003, 1000, &s, &truncated));
	assert_false(truncated);
	assert_int_equal(strlen(s), 153);
	assert_string_equal(s + 150, "end");
	free(s);

	assert_null(pgm_target_read_string(t, 0x4003, 10, &s, &truncated));
	assert_true(truncated);
	assert_string_equal(s, "xxxxxxxxxx");
	free(s);

	/* Exactly max bytes before the terminator is still truncated. */
	assert_null(pgm_target_read_string(t, 0x4003, 153, &s, &truncated));
	assert_true(truncated);
	assert_int_equal(strlen(s), 153);
	free(s);
	pgm_target_destroy(t);
}

static void read_string_stops_before_uncaptured(void **state)
{
	struct pgm_target *t = new_target();
	/* "ok" ends two bytes before an uncaptured page: it must still read. */
	add(t, 0x7ffc, "x\0ok", 4, NULL);
	add(t, 0x8000, NULL, 0x1000, "/dev/zero (deleted)");
	char *s;
	bool truncated;
	assert_null(pgm_target_read_string(t, 0x7ffc, 100, &s, &truncated));
	assert_string_equal(s, "x");
	free(s);

	/* No terminator before the uncaptured page: the read fails there. */
	struct pgm_error *err = pgm_target_read_string(t, 0x7ffe, 100, &s, &truncated);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_int_equal(err->address, 0x8000);
	pgm_error_destroy(err);
	pgm_target_destroy(t);
}

static void find_mapping_bounds_and_overlaps(void **state)
{
	struct pgm_target *t = new_target();
	add(t, 0x3000, NULL, 0x1000, "/c");
	add(t, 0x1000, NULL, 0x1000, "/a");
	add(t, 0x2000, NULL, 0x800, "/b");
	assert_int_equal(t->n_mappings, 3);
	for (size_t i = 1; i < t->n_mappings; i++)
		assert_true(t->mappings[i - 1].end <= t->mappings[i].start);
	assert_string_equal(pgm_target_find_mapping(t, 0x1000)->path, "/a");
	assert_string_equal(pgm_target_find_mapping(t, 0x1fff)->path, "/a");
	assert_string_equal(pgm_target_find_mapping(t, 0x2000)->path, "/b");
	assert_null(pgm_target_find_mapping(t, 0x2800));
	assert_string_equal(pgm_target_find_mapping(t, 0x3fff)->path, "/c");
	assert_null(pgm_target_find_mapping(t, 0x4000));
	assert_null(pgm_target_find_mapping(t, 0));

	struct pgm_error *err = pgm_target_memory_add(t, 0x27ff, NULL, 2, NULL);
	assert_int_equal(err->code, PGM_ERR_USAGE);
	pgm_error_destroy(err);
	err = pgm_target_memory_add(t, UINT64_MAX - 1, NULL, 4, NULL);
	assert_int_equal(err->code, PGM_ERR_USAGE);
	pgm_error_destroy(err);
	err = pgm_target_memory_add(t, 0x9000, NULL, 0, NULL);
	assert_int_equal(err->code, PGM_ERR_USAGE);
	pgm_error_destroy(err);
	/* Touching regions are fine. */
	add(t, 0x2800, NULL, 0x800, "/b2");
	assert_string_equal(pgm_target_find_mapping(t, 0x2800)->path, "/b2");
	pgm_target_destroy(t);
}

static void auxv_lookup_stops_at_null(void **state)
{
	struct pgm_target *t = new_target();
	uint64_t auxv[] = { AT_PHDR, 0x555500000040, AT_ENTRY, 0x555500001000,
			    AT_NULL, 0, AT_EXECFN, 0x7ffc00000000 };
	uint64_t v;
	assert_false(pgm_target_auxv(t, AT_PHDR, &v));
	assert_null(pgm_target_memory_set_auxv(t, auxv, sizeof(auxv)));
	assert_true(pgm_target_auxv(t, AT_PHDR, &v));
	assert_int_equal(v, 0x555500000040);
	assert_true(pgm_target_auxv(t, AT_ENTRY, &v));
	assert_int_equal(v, 0x555500001000);
	assert_false(pgm_target_auxv(t, AT_EXECFN, &v));
	assert_false(pgm_target_auxv(t, AT_BASE, &v));
	/* A trailing partial entry is ignored rather than read past. */
	assert_null(pgm_target_memory_set_auxv(t, auxv, 24));
	assert_true(pgm_target_auxv(t, AT_PHDR, &v));
	assert_false(pgm_target_auxv(t, AT_ENTRY, &v));
	pgm_target_destroy(t);
}

static void threads_are_copied(void **state)
{
	struct pgm_target *t = new_target();
	struct pgm_thread th = { .tid = 7, .cursig = 11 };
	th.regs.rip = 0x1234;
	assert_null(pgm_target_memory_add_thread(t, &th));
	th.tid = 8;
	assert_null(pgm_target_memory_add_thread(t, &th));
	assert_int_equal(t->n_threads, 2);
	assert_int_equal(t->threads[0].tid, 7);
	assert_int_equal(t->threads[0].regs.rip, 0x1234);
	assert_int_equal(t->threads[1].tid, 8);
	assert_int_equal(t->n_warnings, 0);
	pgm_target_destroy(t);
	pgm_target_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_across_adjacent_regions),
		cmocka_unit_test(not_captured_carries_address_and_mapping),
		cmocka_unit_test(anonymous_not_captured_has_no_mapping_name),
		cmocka_unit_test(fault_outside_any_mapping),
		cmocka_unit_test(read_string_crosses_chunks_and_regions),
		cmocka_unit_test(read_string_stops_before_uncaptured),
		cmocka_unit_test(find_mapping_bounds_and_overlaps),
		cmocka_unit_test(auxv_lookup_stops_at_null),
		cmocka_unit_test(threads_are_copied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
