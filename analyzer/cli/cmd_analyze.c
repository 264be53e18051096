/* pgmortem analyze CORE: why is this backend stuck, verdict first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pgmortem/analyze.h"
#include "render/backends_render.h"
#include "render/report_render.h"

static const char usage_text[] =
	"usage: pgmortem analyze CORE... [-e EXE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                        [--format text|json] [--full-stack] [--no-cache]\n"
	"       pgmortem CORE ...          (the same)\n"
	"\n"
	"Explains why the PostgreSQL process in CORE is stuck: what it waits on (condition\n"
	"variable, LWLock, heavyweight lock, latch, socket, timeout), who is queued with it,\n"
	"who can release it, and whether pg_cancel_backend / pg_terminate_backend can work;\n"
	"then, briefly, every backend of the instance and who waits on whom.  Several cores\n"
	"of one instance are merged: each adds its process's private state, so the holder\n"
	"of an LWLock is named when its core is given (see also 'pgmortem backends').\n"
	"Everything is decoded from the core's memory with layouts from the executable's\n"
	"DWARF debuginfo; memory the core lacks is named, never guessed.  A support\n"
	"bundle (pgmortem bundle) is accepted wherever a core is, recognised by content.\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE        the postgres executable (default: found from the core)\n"
	"      --debug-dir DIR  where separate debuginfo lives (repeatable)\n"
	"      --debuginfod URL fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n"
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
	"2 nothing usable (not a core, unreadable, not PostgreSQL), 64 usage error.\n";

enum { OPT_FULL_STACK = 0x200 };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	CLI_CACHE_LONGOPTS,
	{ "full-stack", no_argument, NULL, OPT_FULL_STACK },
	{ NULL, 0, NULL, 0 },
};

/* The report and, after it, the short instance section (every backend, who waits on whom). */
static void render_text(const struct pgm_instance *inst, const struct cli_common *common, bool full_stack)
{
	unsigned hints_said = 0;   /* each "next time" hint once, in the first report that needs it */
	struct pgm_text_style st = { .color = common->color, .full_stack = full_stack, .hints_said = &hints_said };
	struct pgm_instance_style ist = { .color = common->color, .brief = true };
	for (size_t i = 0; i < inst->n_reports; i++) {
		if (i)
			fputs("\n", stdout);
		if (inst->n_reports > 1)
			printf("==> %s <==\n", inst->reports[i]->source_path);
		pgm_render_report_text(stdout, inst->reports[i], &st);
	}
	fputs("\n", stdout);
	pgm_render_instance_text(stdout, inst, &ist);
}

/*
 * One core: its report with an "instance" member.  Several: {"schema",
 * "instances": [instance + "reports"]}, one entry per instance.
 */
static void render_json(const struct cli_instances *s)
{
	json_object *root;
	if (s->n_instances == 1 && s->instances[0]->n_reports == 1) {
		root = pgm_render_report_json_object(s->instances[0]->reports[0]);
		json_object_object_add(root, "instance", pgm_render_instance_json_object(s->instances[0], false));
	} else {
		json_object *a = json_object_new_array();
		root = json_object_new_object();
		json_object_object_add(root, "schema", json_object_new_int(PGM_REPORT_SCHEMA));
		for (size_t i = 0; i < s->n_instances; i++) {
			json_object *o = pgm_render_instance_json_object(s->instances[i], false), *r = json_object_new_array();
			for (size_t k = 0; k < s->instances[i]->n_reports; k++)
				json_object_array_add(r, pgm_render_report_json_object(s->instances[i]->reports[k]));
			json_object_object_add(o, "reports", r);
			json_object_array_add(a, o);
		}
		json_object_object_add(root, "instances", a);
	}
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static int run(char **paths, size_t n, const struct cli_common *common, bool full_stack)
{
	struct cli_instances s;
	int rc = cli_instances_open(paths, n, common, false, &s);
	if (common->format == CLI_FORMAT_JSON && s.n_instances) {
		render_json(&s);
	} else {
		for (size_t i = 0; i < s.n_instances; i++) {
			if (i)
				fputs("\n\n", stdout);
			render_text(s.instances[i], common, full_stack);
		}
	}
	for (size_t i = 0; rc == EXIT_COMPLETE && i < s.n_instances; i++)
		for (size_t k = 0; k < s.instances[i]->n_reports; k++)
			if (cli_report_is_partial(s.instances[i]->reports[k]))
				rc = EXIT_PARTIAL;
	if (rc == EXIT_UNUSABLE && s.n_instances)
		rc = EXIT_PARTIAL;
	cli_instances_close(&s);
	return rc;
}

int cmd_analyze(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct cli_common common;
	bool full_stack = false;
	cli_common_init(&common);
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == OPT_FULL_STACK) {
			full_stack = true;
			continue;
		}
		if (!cli_take_option(&common, opt, optarg, formats, argv))
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("analyze", "no core file given");
	char *dir = cli_common_layout_cache(&common);
	int rc = run(argv + optind, (size_t)(argc - optind), &common, full_stack);
	free(dir);
	return rc;
}
