/*
 * pgmortem backends CORE...: every backend of the instance, as
 * pg_stat_activity showed it; pgmortem locks CORE...: pg_locks too.  With
 * several cores, those of one instance are merged (their private state
 * names LWLock holders) and those of different instances shown apart.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pgmortem/analyze.h"
#include "render/backends_render.h"

/* The options both commands take; backends adds --locks. */
#define COMMON_OPTIONS \
	"  -e, --exe EXE        the postgres executable (default: found from the core)\n" \
	"      --debug-dir DIR  where separate debuginfo lives (repeatable)\n" \
	"      --debuginfod URL fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n" \
	"      --sysroot DIR    prefix for the paths recorded in the core\n"
#define FORMAT_CACHE_OPTIONS \
	"      --format FMT     text (default), json (\"schema\": 1) or dot (the wait-for graph)\n" \
	"      --cache-dir DIR  layout cache (default: ${XDG_CACHE_HOME:-~/.cache}/pgmortem/layouts)\n" \
	"      --no-cache       resolve PostgreSQL layouts from DWARF only\n"
#define MERGED \
	"Several cores of one instance (same cluster, postmaster and shared memory segment)\n" \
	"are merged: each adds its process's private state, so the holder of an LWLock is\n" \
	"named when its core is given.  Cores of different instances are shown apart.\n" \
	"A support bundle (pgmortem bundle) stands for the cores it was made from.\n"
#define EXIT_CODES \
	"Exit codes: 0 complete, 1 partial (entries skipped or memory missing),\n" \
	"2 nothing usable (not a core, unreadable), 64 usage error.\n"

static const char usage_text[] =
	"usage: pgmortem backends CORE... [-e EXE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                        [--locks] [--format text|json|dot] [--no-cache]\n"
	"\n"
	"Every backend of the PostgreSQL instance a core belongs to, from the main shared\n"
	"memory in the core: what pg_stat_activity showed (pid, type, state, wait event,\n"
	"parallel leader, query), pg_blocking_pids() of every heavyweight-lock waiter, and\n"
	"the wait-for graph: who everyone ultimately waits on, and deadlocks.  With --locks,\n"
	"every heavyweight lock as pg_locks showed it (shared lock table and fast path):\n"
	"the same as 'pgmortem locks'.\n"
	"\n"
	MERGED
	"\n"
	"Options:\n"
	COMMON_OPTIONS
	"      --locks          the lock table too\n"
	FORMAT_CACHE_OPTIONS
	"\n"
	EXIT_CODES;

static const char locks_usage_text[] =
	"usage: pgmortem locks CORE... [-e EXE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                     [--format text|json|dot] [--no-cache]\n"
	"\n"
	"Every heavyweight lock of the PostgreSQL instance a core belongs to, as pg_locks\n"
	"showed it (shared lock table and fast path), after every backend as\n"
	"'pgmortem backends' shows them: what pg_stat_activity showed, pg_blocking_pids()\n"
	"of every waiter, and who everyone ultimately waits on.\n"
	"\n"
	MERGED
	"\n"
	"Options:\n"
	COMMON_OPTIONS
	FORMAT_CACHE_OPTIONS
	"\n"
	EXIT_CODES;

enum { OPT_LOCKS = 0x200 };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	CLI_CACHE_LONGOPTS,
	{ "locks", no_argument, NULL, OPT_LOCKS },
	{ NULL, 0, NULL, 0 },
};

static void render(const struct cli_instances *s, const struct cli_common *common, bool locks)
{
	if (common->format == CLI_FORMAT_JSON) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < s->n_instances; i++)
			json_object_array_add(a, pgm_render_instance_json_object(s->instances[i], locks));
		json_object *o = a;
		if (s->n_instances == 1)
			o = json_object_get(json_object_array_get_idx(a, 0)), json_object_put(a);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return;
	}
	struct pgm_instance_style st = { .color = common->color, .locks = locks };
	for (size_t i = 0; i < s->n_instances; i++) {
		if (i)
			fputs("\n\n", stdout);
		if (common->format == CLI_FORMAT_DOT)
			pgm_render_graph_dot(stdout, s->instances[i]);
		else
			pgm_render_instance_text(stdout, s->instances[i], &st);
	}
}

static int run(int argc, char **argv, bool locks, const char *cmd)
{
	static const char *const formats[] = { "text", "json", "dot", NULL };
	struct cli_common common;
	cli_common_init(&common);
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(locks ? locks_usage_text : usage_text, stdout), EXIT_COMPLETE;
		if (opt == OPT_LOCKS) {
			locks = true;
			continue;
		}
		if (!cli_take_option(&common, opt, optarg, formats, argv))
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "no core file given");
	char *dir = cli_common_layout_cache(&common);
	struct cli_instances s;
	int rc = cli_instances_open(argv + optind, (size_t)(argc - optind), &common, locks, &s);
	render(&s, &common, locks);
	for (size_t i = 0; rc == EXIT_COMPLETE && i < s.n_instances; i++)
		if (s.instances[i]->n_problems)
			rc = EXIT_PARTIAL;
	if (rc == EXIT_UNUSABLE && s.n_instances)
		rc = EXIT_PARTIAL;
	cli_instances_close(&s);
	free(dir);
	return rc;
}

int cmd_backends(int argc, char **argv)
{
	return run(argc, argv, false, "backends");
}

int cmd_locks(int argc, char **argv)
{
	return run(argc, argv, true, "locks");
}
