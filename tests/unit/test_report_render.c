/*
 * The product's main output, checked whole: the text report (color off)
 * and the JSON of one hand-built report per wait kind, explained by
 * analysis/ and rendered by render/, against files in golden/ that were
 * read line by line when they were written.  A change to the output shows
 * as a diff of those files; PGM_UPDATE_GOLDEN=1 rewrites them (then read
 * the diff before committing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "render/report_render.h"
#include "util/text.h"
#include "report_fixtures.h"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void compare_golden(const char *name, const char *ext, const char *got)
{
	const char *dir = getenv("PGM_GOLDEN_DIR");
	assert_non_null(dir);
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	const char *update = getenv("PGM_UPDATE_GOLDEN");
	if (update && *update == '1') {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
		return;
	}
	char *want = read_all(path);
	if (!want)
		fail_msg("%s is missing (PGM_UPDATE_GOLDEN=1 writes it)", path);
	if (strcmp(want, got) != 0) {
		fprintf(stderr, "--- %s\n%s--- rendered\n%s", path, want, got);
		free(want);
		fail_msg("%s differs from what the renderer prints", path);
	}
	free(want);
}

static char *render_text(const struct pgm_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct pgm_text_style st = { .color = false };
	pgm_render_report_text(m, r, &st);
	fclose(m);
	return buf;
}

static char *render_json(const struct pgm_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	pgm_render_report_json(m, r);
	fclose(m);
	return buf;
}

static void each_kind_renders_as_its_golden_file(void **state)
{
	for (size_t i = 0; i < fixture_count(); i++) {
		struct pgm_report *r = fixture_at(i)->build();
		assert_null(pgm_explain_report(r));
		char *text = render_text(r), *json = render_json(r);
		compare_golden(fixture_at(i)->name, "txt", text);
		compare_golden(fixture_at(i)->name, "json", json);
		free(text);
		free(json);
		pgm_report_destroy(r);
	}
}

/* Explaining twice gives the same words: nothing is appended or read back. */
static void explaining_is_idempotent(void **state)
{
	for (size_t i = 0; i < fixture_count(); i++) {
		struct pgm_report *r = fixture_at(i)->build();
		assert_null(pgm_explain_report(r));
		char *once = render_text(r);
		assert_null(pgm_explain_report(r));
		char *twice = render_text(r);
		assert_string_equal(once, twice);
		free(once);
		free(twice);
		pgm_report_destroy(r);
	}
}

/* The verdict opens the report and the killability line closes the verdict. */
static void verdict_first_killability_last(void **state)
{
	for (size_t i = 0; i < fixture_count(); i++) {
		struct pgm_report *r = fixture_at(i)->build();
		assert_null(pgm_explain_report(r));
		assert_true(r->n_verdict >= 2);
		char *text = render_text(r);
		assert_int_equal(strncmp(text, r->verdict[0], strlen(r->verdict[0])), 0);
		assert_int_equal(strncmp(r->verdict[r->n_verdict - 1], "Cancel/terminate: ", 18), 0);
		assert_null(strstr(text, "\033["));
		free(text);
		pgm_report_destroy(r);
	}
}

/* Strings from a target are sanitized where they are read; a report then carries only clean text. */
static void target_bytes_become_clean_text(void **state)
{
	char *t = pgm_text_from_bytes("ok \xc3\xa9 \xff\x1b[31m\tq\n", 64);
	assert_string_equal(t, "ok \xc3\xa9 \\xff\\x1b[31m\tq\n");
	assert_true(pgm_text_is_clean(t));
	assert_false(pgm_text_is_clean("\xc0\xaf"));        /* overlong '/' */
	assert_false(pgm_text_is_clean("\xed\xa0\x80"));    /* a surrogate */
	free(t);
	t = pgm_text_from_bytes("\xf0\x9f\x98\x80 cut \xe2\x82", 64);   /* a sequence cut short */
	assert_string_equal(t, "\xf0\x9f\x98\x80 cut \\xe2\\x82");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_kind_renders_as_its_golden_file),
		cmocka_unit_test(explaining_is_idempotent),
		cmocka_unit_test(verdict_first_killability_last),
		cmocka_unit_test(target_bytes_become_clean_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
