/*
 * The wait analysis of one core through libpgmortem: prints the backend's
 * pid, what it waits on and the verdict lines `pgmortem analyze` prints
 * first.  Build it against the installed library:
 *
 *   cc verdict.c $(pkg-config --cflags --libs pgmortem) -o verdict
 *   ./verdict CORE [EXE]
 *
 * EXE is the postgres executable when the path the core recorded is gone.
 * Exits 0 with a report, 2 when the core cannot be analyzed (the reason on
 * stderr), 64 on a usage error.
 */
#include <stdio.h>

#include <pgmortem/analyze.h>
#include <pgmortem/error.h>
#include <pgmortem/program.h>
#include <pgmortem/report.h>
#include <pgmortem/target.h>

static void print_report(const struct pgm_report *r)
{
	printf("pid %d\n", (int)r->pid);
	printf("wait %s\n", pgm_wait_kind_name(r->wait.kind));
	for (size_t i = 0; i < r->n_verdict; i++)
		printf("verdict %s\n", r->verdict[i]);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s CORE [EXE]\n", argv[0]);
		return 64;
	}
	struct pgm_program_options popts = { .exe = argc == 3 ? argv[2] : NULL };
	struct pgm_analyze_options aopts = { 0 };
	struct pgm_target *target = NULL;
	struct pgm_program *prog = NULL;
	struct pgm_report *report = NULL;

	/* Each step runs only if the one before succeeded; each owns what it returns. */
	struct pgm_error *err = pgm_target_core_open(argv[1], NULL, &target);
	if (!err)
		err = pgm_program_create(target, &popts, &prog);
	if (!err)
		err = pgm_analyze(prog, &aopts, &report);
	if (!err)
		print_report(report);
	else
		fprintf(stderr, "verdict: %s: %s\n", argv[1], err->message);

	pgm_report_destroy(report);
	pgm_program_destroy(prog);   /* before the target it borrows */
	pgm_target_destroy(target);
	int status = err ? 2 : 0;
	pgm_error_destroy(err);
	return status;
}
