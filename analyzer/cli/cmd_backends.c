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
#include "pg/layout.h"
#include "pgmortem/analyze.h"
#include "render/backends_render.h"

static const char usage_text[] =
	"usage: pgmortem backends CORE... [-e EXE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                        [--locks] [--format text|json|dot] [--no-cache]\n"
	"       pgmortem locks CORE...     (the same with --locks)\n"
	"\n"
	"Every backend of the PostgreSQL instance a core belongs to, from the main shared\n"
	"memory in the core: what pg_stat_activity showed (pid, type, state, wait event,\n"
	"parallel leader, query), pg_blocking_pids() of every heavyweight-lock waiter, and\n"
	"the wait-for graph: who everyone ultimately waits on, and deadlocks.  With --locks,\n"
	"every heavyweight lock as pg_locks showed it (shared lock table and fast path).\n"
	"\n"
	"Several cores of one instance (same cluster, postmaster and shared memory segment)\n"
	"are merged: each adds its process's private state, so the holder of an LWLock is\n"
	"named when its core is given.  Cores of different instances are shown apart.\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE        the postgres executable (default: found from the core)\n"
	"      --debug-dir DIR  where separate debuginfo lives (repeatable)\n"
	"      --sysroot DIR    prefix for the paths recorded in the core\n"
	"      --locks          the lock table too\n"
	"      --format FMT     text (default), json (\"schema\": 1) or dot (the wait-for graph)\n"
	"      --cache-dir DIR  layout cache (default: ${XDG_CACHE_HOME:-~/.cache}/pgmortem/layouts)\n"
	"      --no-cache       resolve PostgreSQL layouts from DWARF only\n"
	"\n"
	"Exit codes: 0 complete, 1 partial (entries skipped or memory missing),\n"
	"2 nothing usable (not a core, unreadable), 64 usage error.\n";

enum { OPT_LOCKS = 0x200 };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	CLI_CACHE_LONGOPTS,
	{ "locks", no_argument, NULL, OPT_LOCKS },
	{ NULL, 0, NULL, 0 },
};

/* ---- several cores, grouped by instance ---- */

static int open_core(struct cli_core *c, const struct cli_common *common)
{
	struct pgm_program_options popts;
	cli_program_options(common, &popts);
	popts.symbols_only_libraries = true;   /* the analysis needs only PostgreSQL's DWARF */
	struct pgm_error *err = pgm_target_core_open(c->path, common->sysroot, &c->target);
	if (!err)
		err = pgm_program_create(c->target, &popts, &c->program);
	if (!err)
		err = pgm_program_set_layout_cache(c->program, common->layout_cache);
	if (!err)
		err = pgm_instance_identify(c->program, &c->id);
	if (!err)
		err = pgm_analyze(c->program, NULL, &c->report);
	if (!err && (err = pgm_target_check(c->target))) {
		pgm_report_destroy(c->report);
		c->report = NULL;
	}
	if (err) {
		cli_report_error(c->path, err);
		pgm_error_destroy(err);
		return EXIT_UNUSABLE;
	}
	return EXIT_COMPLETE;
}

/* The cores of group g become one instance, read from its first core. */
static int build_instance(struct cli_instances *s, size_t first, bool locks)
{
	struct cli_core *base = &s->cores[first];
	struct pgm_instance_options opts = { .locks = locks };
	struct pgm_instance *inst = NULL;
	struct pgm_error *err = pgm_instance_read(base->program, &opts, &inst);
	for (size_t i = first; !err && i < s->n_cores; i++) {
		struct cli_core *c = &s->cores[i];
		if (c->group != base->group || !c->report)
			continue;
		err = pgm_instance_add_report(inst, c->report);
		c->report = NULL;
	}
	if (!err)
		err = pgm_instance_link(inst, base->program);
	if (!err)
		err = pgm_target_check(base->target);
	if (err) {
		cli_report_error(base->path, err);
		pgm_error_destroy(err);
		pgm_instance_destroy(inst);
		return EXIT_UNUSABLE;
	}
	s->instances[s->n_instances++] = inst;
	return EXIT_COMPLETE;
}

/* Cores join the group of the first earlier core of the same instance; unknown identities stay alone. */
static void group_cores(struct cli_instances *s)
{
	int groups = 0;
	for (size_t i = 0; i < s->n_cores; i++) {
		s->cores[i].group = -1;
		for (size_t k = 0; k < i && s->cores[i].group < 0; k++)
			if (s->cores[k].program && pgm_instance_id_equal(&s->cores[i].id, &s->cores[k].id))
				s->cores[i].group = s->cores[k].group;
		if (s->cores[i].group < 0)
			s->cores[i].group = groups++;
	}
}

int cli_instances_open(char **paths, size_t n, const struct cli_common *common, bool locks,
		       struct cli_instances *s)
{
	int rc = EXIT_COMPLETE;
	memset(s, 0, sizeof(*s));
	s->cores = calloc(n, sizeof(*s->cores));
	s->instances = calloc(n, sizeof(*s->instances));
	if (!s->cores || !s->instances)
		return fputs("pgmortem: out of memory\n", stderr), EXIT_UNUSABLE;
	s->n_cores = n;
	for (size_t i = 0; i < n; i++) {
		s->cores[i].path = paths[i];
		if (open_core(&s->cores[i], common) != EXIT_COMPLETE)
			rc = EXIT_UNUSABLE;
	}
	group_cores(s);
	/* decided before any report moves into its instance */
	bool *first = calloc(n + 1, sizeof(*first));
	if (!first)
		return fputs("pgmortem: out of memory\n", stderr), EXIT_UNUSABLE;
	for (size_t i = 0; i < n; i++) {
		first[i] = s->cores[i].report != NULL;   /* the first usable core of its group */
		for (size_t k = 0; k < i && first[i]; k++)
			first[i] = s->cores[k].group != s->cores[i].group || !s->cores[k].report;
	}
	for (size_t i = 0; i < n; i++)
		if (first[i] && build_instance(s, i, locks) != EXIT_COMPLETE)
			rc = EXIT_UNUSABLE;
	free(first);
	return rc;
}

void cli_instances_close(struct cli_instances *s)
{
	for (size_t i = 0; i < s->n_instances; i++)
		pgm_instance_destroy(s->instances[i]);
	for (size_t i = 0; i < s->n_cores; i++) {
		pgm_report_destroy(s->cores[i].report);
		pgm_instance_id_deinit(&s->cores[i].id);
		pgm_program_destroy(s->cores[i].program);
		pgm_target_destroy(s->cores[i].target);
	}
	free(s->instances);
	free(s->cores);
}

/* ---- the command ---- */

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
	int opt;
	while ((opt = getopt_long(argc, argv, "e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == OPT_LOCKS) {
			locks = true;
			continue;
		}
		if (cli_parse_common(&common, opt, optarg, formats) <= 0)
			return cli_usage_error(cmd, "invalid option");
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "expected one or more CORE files");
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
