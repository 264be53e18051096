/*
 * bench/dwarf-resolve: how long the lazy DWARF engine takes to resolve what
 * the PostgreSQL analysis needs, from opening the executable to the last
 * answer, with a fresh engine each round (nothing cached between rounds).
 *
 *   dwarf-resolve EXE [ROUNDS [LIST]]   prints each result once, then timings
 *
 * LIST, if given, replaces the built-in names: lines "type NAME" or
 * "variable NAME" (bench/dwarf-resolve.sh makes one from pg/layout.def).
 * Names a version lacks count as failures but are part of the work.
 *
 * Not a test: timings depend on the machine.  bench/dwarf-resolve.sh runs
 * it against the PostgreSQL debug builds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgmortem/dwarf.h"

static const char *const types[] = {
	"PGPROC", "PROC_HDR", "Latch", "WaitEventSet", "ConditionVariable", "proclist_head",
	"LWLock", "BTParallelScanDescData", "ParallelIndexScanDescData", "PgBackendStatus",
	"LOCK", "PROCLOCK", "LOCKTAG", "HTAB", "HASHHDR", "BTPS_State",
};

static const struct { const char *type, *member; } members[] = {
	{ "PGPROC", "pid" }, { "PGPROC", "procLatch.owner_pid" }, { "PGPROC", "cvWaitLink.next" },
	{ "ConditionVariable", "wakeup.head" }, { "BTParallelScanDescData", "btps_cv" },
	{ "BTParallelScanDescData", "btps_pageStatus" }, { "LWLock", "state" },
	{ "PgBackendStatus", "st_procpid" }, { "PROCLOCK", "tag.myProc" },
};

static const char *const variables[] = {
	"MyProc", "ProcGlobal", "MyLatch", "cv_sleep_target", "held_lwlocks", "num_held_lwlocks",
	"InterruptPending", "QueryCancelPending", "ProcDiePending", "InterruptHoldoffCount",
	"QueryCancelHoldoffCount", "CritSectionCount", "BackendStatusArray", "debug_query_string",
	"MainLWLockArray", "LockMethodLockHash", "MyProcPid",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int report(struct pgm_error *err, const char *what, bool verbose)
{
	if (!err)
		return 0;
	if (verbose)
		fprintf(stderr, "dwarf-resolve: %s: %s\n", what, err->message);
	pgm_error_destroy(err);
	return 1;
}

/* One result, with how much of the DWARF it took so far. */
static void print_step(struct pgm_dwarf *dw, const char *kind, const char *name, uint64_t value)
{
	struct pgm_dwarf_stats st;
	pgm_dwarf_get_stats(dw, &st);
	printf("%-8s %-28s %-10" PRIu64 " units %zu, scans %zu\n", kind, name, value,
	       st.units_indexed, st.full_scans);
}

static int resolve_types(struct pgm_dwarf *dw, bool verbose)
{
	int failures = 0;
	for (size_t i = 0; i < N(types); i++) {
		struct pgm_type t;
		uint64_t size = 0;
		struct pgm_error *err = pgm_type_find(dw, types[i], NULL, &t);
		if (!err)
			err = pgm_type_size(dw, &t, &size);
		failures += report(err, types[i], verbose);
		if (verbose && !err)
			print_step(dw, "type", types[i], size);
	}
	for (size_t i = 0; i < N(members); i++) {
		struct pgm_type t;
		struct pgm_member m;
		struct pgm_error *err = pgm_type_find(dw, members[i].type, NULL, &t);
		if (!err)
			err = pgm_type_member(dw, &t, members[i].member, &m);
		failures += report(err, members[i].member, verbose);
		if (verbose && !err)
			print_step(dw, "member", members[i].member, m.offset);
	}
	return failures;
}

static int resolve_variables(struct pgm_dwarf *dw, bool verbose)
{
	int failures = 0;
	for (size_t i = 0; i < N(variables); i++) {
		struct pgm_variable v;
		uint64_t addr = 0;
		struct pgm_error *err = pgm_variable_find(dw, variables[i], NULL, &v);
		failures += report(err, variables[i], verbose);
		if (verbose && !err && pgm_location_is_memory(&v.loc, &addr))
			print_step(dw, "variable", variables[i], addr);
	}
	return failures;
}

struct list {
	char **types, **variables;
	size_t n_types, n_variables;
};

static bool read_list(const char *path, struct list *l)
{
	FILE *f = fopen(path, "r");
	char kind[16], name[256];
	if (!f)
		return false;
	while (fscanf(f, "%15s %255s", kind, name) == 2) {
		bool is_type = strcmp(kind, "type") == 0;
		char ***a = is_type ? &l->types : &l->variables;
		size_t *n = is_type ? &l->n_types : &l->n_variables;
		*a = realloc(*a, (*n + 1) * sizeof(**a));
		(*a)[(*n)++] = strdup(name);
	}
	fclose(f);
	return true;
}

/* Resolves a list: types with their sizes, variables with their addresses. */
static int resolve_list(struct pgm_dwarf *dw, const struct list *l, bool verbose)
{
	int failures = 0;
	for (size_t i = 0; i < l->n_types; i++) {
		struct pgm_type t;
		uint64_t size = 0;
		struct pgm_error *err = pgm_type_find(dw, l->types[i], NULL, &t);
		if (!err)
			err = pgm_type_size(dw, &t, &size);
		failures += report(err, l->types[i], verbose);
	}
	for (size_t i = 0; i < l->n_variables; i++) {
		struct pgm_variable v;
		failures += report(pgm_variable_find(dw, l->variables[i], NULL, &v), l->variables[i],
				   verbose);
	}
	return failures;
}

static int round_trip(const char *exe, const struct list *l, bool verbose, double *ms,
		      struct pgm_dwarf_stats *stats)
{
	double start = now_ms();
	struct pgm_dwarf *dw;
	struct pgm_error *err = pgm_dwarf_open_file(exe, NULL, 0, &dw);
	if (err) {
		fprintf(stderr, "dwarf-resolve: %s\n", err->message);
		pgm_error_destroy(err);
		return -1;
	}
	int failures = l ? resolve_list(dw, l, verbose)
			 : resolve_types(dw, verbose) + resolve_variables(dw, verbose);
	*ms = now_ms() - start;
	pgm_dwarf_get_stats(dw, stats);
	pgm_dwarf_destroy(dw);
	return failures;
}

int main(int argc, char **argv)
{
	struct list list = { 0 };
	if (argc < 2 || (argc > 3 && !read_list(argv[3], &list))) {
		fprintf(stderr, "usage: dwarf-resolve EXE [ROUNDS [LIST]]\n");
		return 64;
	}
	int rounds = argc > 2 && atoi(argv[2]) > 0 ? atoi(argv[2]) : 10;
	double best = 1e9, total = 0, ms;
	struct pgm_dwarf_stats stats;
	int failures = 0;
	for (int r = 0; r < rounds; r++) {
		int f = round_trip(argv[1], argc > 3 ? &list : NULL, r == 0, &ms, &stats);
		if (f < 0)
			return 2;
		failures = f;
		total += ms;
		best = ms < best ? ms : best;
	}
	if (argc > 3)
		printf("resolved %zu types and enums, %zu variables; %d not in this build\n",
		       list.n_types, list.n_variables, failures);
	else
		printf("resolved %zu types, %zu members, %zu variables; %d failed\n", N(types),
		       N(members), N(variables), failures);
	printf("units indexed %zu of %zu, names cached %zu, full scans %zu\n", stats.units_indexed,
	       stats.units_total, stats.names, stats.full_scans);
	printf("time per round (open + resolve): best %.2f ms, mean %.2f ms over %d rounds\n", best,
	       total / rounds, rounds);
	for (size_t i = 0; i < list.n_types; i++)
		free(list.types[i]);
	for (size_t i = 0; i < list.n_variables; i++)
		free(list.variables[i]);
	free(list.types);
	free(list.variables);
	return failures && argc <= 3 ? 1 : 0;
}
