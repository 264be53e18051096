/* pgmortem analyze CORE: why is this backend stuck, verdict first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pg/layout.h"
#include "pgmortem/analyze.h"
#include "render/report_render.h"

static const char usage_text[] =
	"usage: pgmortem analyze CORE [-e EXE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                        [--format text|json] [--full-stack] [--no-cache]\n"
	"       pgmortem CORE ...          (the same)\n"
	"\n"
	"Explains why the PostgreSQL process in CORE is stuck: what it waits on (condition\n"
	"variable, LWLock, heavyweight lock, latch, socket, timeout), who is queued with it,\n"
	"who can release it, and whether pg_cancel_backend / pg_terminate_backend can work.\n"
	"Everything is decoded from the core's memory with layouts from the executable's\n"
	"DWARF debuginfo; memory the core lacks is named, never guessed.\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE        the postgres executable (default: found from the core)\n"
	"      --debug-dir DIR  where separate debuginfo lives (repeatable)\n"
	"      --sysroot DIR    prefix for the paths recorded in the core\n"
	"      --format FMT     text (default) or json (\"schema\": 1)\n"
	"      --full-stack     print every frame of the stack\n"
	"      --cache-dir DIR  layout cache (default: ${XDG_CACHE_HOME:-~/.cache}/pgmortem/layouts)\n"
	"      --no-cache       resolve PostgreSQL layouts from DWARF, neither reading nor writing the cache\n"
	"\n"
	"Example:\n"
	"  pgmortem analyze core.14527 -e /usr/lib/postgresql/15/bin/postgres\n"
	"\n"
	"Exit codes: 0 complete, 1 partial (memory, debuginfo or frames missing),\n"
	"2 nothing usable (not a core, unreadable), 64 usage error.\n";

enum { OPT_FULL_STACK = 0x200, OPT_NO_CACHE, OPT_CACHE_DIR };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "full-stack", no_argument, NULL, OPT_FULL_STACK },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ NULL, 0, NULL, 0 },
};

static bool report_is_partial(const struct pgm_report *r)
{
	if (r->n_missing || !r->debuginfo || !r->n_stacks)
		return true;
	for (size_t i = 0; i < r->n_stacks; i++)
		if (r->stacks[i]->stop_reason)
			return true;
	return false;
}

static int run(const char *path, const struct cli_common *common, bool full_stack)
{
	struct pgm_target *t = NULL;
	struct pgm_program *prog = NULL;
	struct pgm_report *r = NULL;
	struct pgm_program_options popts;
	cli_program_options(common, &popts);
	struct pgm_error *err = pgm_target_core_open(path, common->sysroot, &t);
	if (!err)
		err = pgm_program_create(t, &popts, &prog);
	if (!err)
		err = pgm_analyze(prog, NULL, &r);
	if (err) {
		cli_report_error(path, err);
		pgm_error_destroy(err);
		pgm_program_destroy(prog);
		pgm_target_destroy(t);
		return EXIT_UNUSABLE;
	}
	if (common->format == CLI_FORMAT_JSON) {
		pgm_render_report_json(stdout, r);
	} else {
		struct pgm_text_style st = { .color = common->color, .full_stack = full_stack };
		pgm_render_report_text(stdout, r, &st);
	}
	int rc = report_is_partial(r) ? EXIT_PARTIAL : EXIT_COMPLETE;
	pgm_report_destroy(r);
	pgm_program_destroy(prog);
	pgm_target_destroy(t);
	return rc;
}

int cmd_analyze(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct cli_common common;
	bool full_stack = false, no_cache = false;
	const char *cache_dir = NULL;
	cli_common_init(&common);
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, "e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == OPT_FULL_STACK || opt == OPT_NO_CACHE || opt == OPT_CACHE_DIR) {
			full_stack |= opt == OPT_FULL_STACK;
			no_cache |= opt == OPT_NO_CACHE;
			cache_dir = opt == OPT_CACHE_DIR ? optarg : cache_dir;
			continue;
		}
		int handled = cli_parse_common(&common, opt, optarg, formats);
		if (handled < 0 || handled == 0)
			return cli_usage_error("analyze", "invalid option");
	}
	if (optind != argc - 1)
		return cli_usage_error("analyze", "expected exactly one CORE file");
	char *dir = no_cache ? NULL : cli_layout_cache_dir(cache_dir);
	pgm_pg_layout_set_cache_dir(dir);
	int rc = run(argv[optind], &common, full_stack);
	pgm_pg_layout_set_cache_dir(NULL);
	free(dir);
	return rc;
}
