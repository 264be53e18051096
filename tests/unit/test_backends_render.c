/*
 * The text tables of `pgmortem backends` and `locks`: a column is as wide as
 * its widest cell, so a long application name, state or lock object shifts
 * the columns after it on every row alike, and no line ends in blanks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgmortem/instance.h"
#include "render/backends_render.h"

static void add_backend(struct pgm_instance *inst, int32_t pid, const char *type, const char *state,
			const char *app, const char *query)
{
	struct pgm_backend *b = &inst->backends[inst->n_backends++];
	b->pid = pid;
	b->backend_type = strdup(type);
	b->status_known = true;
	b->state = strdup(state);
	b->application_name = strdup(app);
	b->query = strdup(query);
}

static void add_lock(struct pgm_instance *inst, int32_t pid, const char *mode, bool tuple)
{
	struct pgm_lock_row *l = &inst->locks[inst->n_locks++];
	l->pid = pid;
	l->mode = strdup(mode);
	l->granted = true;
	l->virtualtransaction = strdup("3/6");
	l->tag.locktype = strdup(tuple ? "tuple" : "relation");
	l->tag.has_database = l->tag.has_relation = true;
	l->tag.database = 16384;
	l->tag.relation = 2147483647;
	l->tag.has_page = l->tag.has_tuple = tuple;
	l->tag.page = 4294967295u;
	l->tag.tuple = 65535;
}

static struct pgm_instance *instance(void)
{
	struct pgm_instance *inst = pgm_instance_create();
	assert_non_null(inst);
	inst->source_path = strdup("core.100");
	inst->backends = calloc(3, sizeof(*inst->backends));
	inst->locks = calloc(2, sizeof(*inst->locks));
	assert_non_null(inst->backends);
	assert_non_null(inst->locks);
	inst->backends_known = inst->locks_known = true;
	add_backend(inst, 100, "client backend", "active", "psql", "select 1");
	/* NAMEDATALEN - 1 characters, and the longest state pg_stat_activity has */
	add_backend(inst, 2000001, "client backend", "idle in transaction (aborted)",
		    "an-application-name-of-the-longest-length-postgresql-allows-63ch", "select 2");
	add_backend(inst, 102, "autovacuum worker", "", "", "");
	add_lock(inst, 100, "AccessShareLock", false);
	add_lock(inst, 2000001, "ShareUpdateExclusiveLock", true);
	return inst;
}

/* not inlined: GCC 12 takes the memstream's buffer for a dangling local */
__attribute__((noinline)) static char *render_style(const struct pgm_instance *inst, bool locks, bool brief)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	struct pgm_instance_style st = { .locks = locks, .brief = brief };
	pgm_render_instance_text(m, inst, &st);
	fclose(m);
	return buf;
}

static char *render(const struct pgm_instance *inst, bool locks)
{
	return render_style(inst, locks, false);
}

/* The start of the line that contains `word`. */
static const char *line_with(const char *text, const char *word)
{
	const char *p = strstr(text, word);
	assert_non_null(p);
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

static size_t column_of(const char *line, const char *word)
{
	const char *end = strchr(line, '\n'), *p = strstr(line, word);
	assert_non_null(p);
	assert_true(p < end);
	return (size_t)(p - line);
}

/* A cell that must start, on the line that holds `row`, where `title` does in the header. */
struct under {
	const char *title, *row, *cell;
};

static void expect_table(bool locks, const char *header, const struct under *u, size_t n)
{
	struct pgm_instance *inst = instance();
	char *text = render(inst, locks);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(column_of(line_with(text, u[i].row), u[i].cell),
				 column_of(line_with(text, header), u[i].title));
	assert_null(strstr(text, " \n"));
	free(text);
	pgm_instance_destroy(inst);
}

static void backends_columns_follow_the_longest_cell(void **state)
{
	(void)state;
	static const char long_row[] = "an-application-name";
	static const struct under u[] = {
		{ "APPLICATION", "psql", "psql" }, { "APPLICATION", long_row, long_row },
		{ "QUERY", "psql", "select 1" }, { "QUERY", long_row, "select 2" },
		{ "STATE", "psql", "active" }, { "STATE", long_row, "idle in transaction" },
	};
	expect_table(false, "APPLICATION", u, sizeof(u) / sizeof(u[0]));
}

static void locks_columns_follow_the_longest_cell(void **state)
{
	(void)state;
	static const char rel_row[] = "AccessShareLock", tuple_row[] = "ShareUpdateExclusiveLock";
	static const struct under u[] = {
		{ "MODE", rel_row, rel_row }, { "MODE", tuple_row, tuple_row },
		{ "VXACT", rel_row, "3/6" }, { "VXACT", tuple_row, "3/6" },
	};
	expect_table(true, "LOCKTYPE", u, sizeof(u) / sizeof(u[0]));
}

/* A PGPROC without a status entry (starting or exiting): in words in analyze's brief table, a row in backends'. */
static void brief_leaves_unlisted_processes_to_backends(void **state)
{
	(void)state;
	struct pgm_instance *inst = instance();
	struct pgm_backend *b = &inst->backends[inst->n_backends - 1];   /* the autovacuum worker's slot */
	free(b->backend_type);
	free(b->state);
	b->backend_type = b->state = NULL;
	b->status_known = false;
	char *brief = render_style(inst, false, true), *full = render(inst, false);
	assert_null(strstr(brief, "(no status entry)"));
	assert_null(strstr(brief, "102 "));
	assert_non_null(strstr(brief, "(and 1 process pg_stat_activity did not show (starting or exiting): "
				      "pgmortem backends shows them)"));
	assert_non_null(strstr(full, "102     (no status entry)"));
	assert_non_null(strstr(full, "(no status entry): a PGPROC in use that pg_stat_activity does not show"));
	free(brief);
	free(full);
	pgm_instance_destroy(inst);
}

/* Nothing decoded (no debuginfo): no empty Backends table or graph, the problem says why. */
static void nothing_decoded_prints_no_empty_tables(void **state)
{
	(void)state;
	struct pgm_instance *inst = pgm_instance_create();
	assert_non_null(inst);
	inst->source_path = strdup("core.100");
	assert_null(pgm_instance_add_problem(inst, "the executable has no DWARF debuginfo"));
	char *text = render_style(inst, false, true);
	assert_null(strstr(text, "Backends"));
	assert_null(strstr(text, "Wait-for graph"));
	assert_non_null(strstr(text, "no DWARF debuginfo"));
	free(text);
	pgm_instance_destroy(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backends_columns_follow_the_longest_cell),
		cmocka_unit_test(brief_leaves_unlisted_processes_to_backends),
		cmocka_unit_test(nothing_decoded_prints_no_empty_tables),
		cmocka_unit_test(locks_columns_follow_the_longest_cell),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
