/*
 * pgmortem bundle: a support bundle of cores of one instance, or of live
 * processes.  The captures are analyzed the way analyze, backends and locks
 * analyze them (cli_instances_build, with the lock table) while their
 * targets record every read; the bundle keeps what was read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "pgmortem/bundle.h"
#include "pgmortem/bundle_file.h"
#include "pgmortem/live.h"

static const char usage_text[] =
	"usage: pgmortem bundle CORE... -o FILE [--redact] [-e EXE] [--debug-dir DIR]...\n"
	"                       [--sysroot DIR] [--format text|json]\n"
	"       pgmortem bundle --pid PID [--instance] -o FILE [--redact] [--format text|json]\n"
	"\n"
	"Writes a support bundle: one small file holding what pgmortem's analysis of\n"
	"the captures read (the memory, the registers and unwound stacks, the frame\n"
	"variables, PostgreSQL's layout) and nothing else, so that every command that\n"
	"takes a core (analyze, backends, locks, stack, batch) gives the same answer\n"
	"from it on any machine, without the binaries or debuginfo.  No shared buffer\n"
	"page and no memory the analysis did not read is in it.\n"
	"\n"
	"CORE... are cores (or bundles) of one instance.  --pid analyzes the running\n"
	"process PID (stopped for milliseconds, as `pgmortem live` does), and with\n"
	"--instance every process of its instance.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE   the bundle to write (mode 0600, replaced atomically)\n"
	"  --redact            overwrite query texts, application names, client addresses,\n"
	"                      user and database names and command lines; every verdict\n"
	"                      still holds, and the manifest and reports say so\n"
	"  --pid PID           a live process instead of cores\n"
	"  --instance          with --pid: every process of PID's instance\n"
	"  -e, --exe EXE       the executable, if the core's recorded path is gone\n"
	"  --debug-dir DIR     also look for separate debuginfo in DIR; repeatable\n"
	"  --debuginfod URL    fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n"
	"  --sysroot DIR       find the process's files under DIR\n"
	"  --format FORMAT     text (default) or json (\"schema\": 1)\n"
	"  --help              this text\n"
	"\n"
	"Exit codes: 0 written, 1 written without some capture (stderr says why),\n"
	"2 nothing written, 64 usage error.\n";

enum { OPT_REDACT = 0x200, OPT_PID, OPT_INSTANCE };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "output", required_argument, NULL, 'o' },
	{ "redact", no_argument, NULL, OPT_REDACT },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "instance", no_argument, NULL, OPT_INSTANCE },
	{ NULL, 0, NULL, 0 },
};

struct bundle_args {
	struct cli_common common;
	const char *output;
	bool redact, instance;
	int32_t pid;
	char **cores;
	size_t n_cores;
};

/* Live processes, each frozen while its private memory is copied, recording from then on. */
static int attach_live(const struct bundle_args *a, struct cli_targets *out, char labels[][32])
{
	struct pgm_live_options lo = { .freeze_private = true };
	int32_t *pids = NULL;
	size_t n = a->instance ? cli_instance_pids(a->pid, &pids) : 1;
	int rc = EXIT_COMPLETE;
	if (!a->instance && (pids = malloc(sizeof(*pids))))
		pids[0] = a->pid;
	for (size_t i = 0; pids && i < n && i < PGM_BUNDLE_MAX_CAPTURES; i++) {
		struct pgm_target *t;
		snprintf(labels[i], sizeof(labels[i]), "process %d", (int)pids[i]);
		struct pgm_error *err = pgm_target_live_attach(pids[i], &lo, &t);
		if (!err && (err = pgm_target_record_start(t)))
			pgm_target_destroy(t);
		if (!err)
			err = cli_targets_add(out, t, labels[i]);
		if (err) {
			cli_report_error(labels[i], err);
			pgm_error_destroy(err);
			rc = EXIT_PARTIAL;
		}
	}
	free(pids);
	if (!out->n)
		cli_error("process %d: nothing to bundle", (int)a->pid);
	return out->n ? rc : EXIT_UNUSABLE;
}

static void print_text(const struct bundle_args *a, const struct cli_instances *s, const struct pgm_bundle_stats *st)
{
	printf("wrote %s: %.1f KiB, %zu capture%s, %.1f KiB of memory in %zu ranges, %zu failed read%s kept\n",
	       a->output, st->file_size / 1024.0, s->n_cores, s->n_cores == 1 ? "" : "s",
	       st->memory_bytes / 1024.0, st->n_ranges, st->n_faults, st->n_faults == 1 ? "" : "s");
	for (size_t i = 0; i < s->n_cores; i++) {
		const struct pgm_target *t = s->cores[i].target;
		if (!s->cores[i].program)
			continue;
		printf("  capture %zu: pid %d, %s", i, (int)t->pid, t->path);
		const struct pgm_live_facts *f = t->kind == PGM_TARGET_LIVE ? pgm_target_live_facts(t) : NULL;
		if (f && f->stopped)
			printf(" (stopped for %.3f ms: %s)", f->freeze_ms, f->frozen ? f->frozen : "");
		else if (f)
			printf(" (not stopped: %s)", f->not_stopped_why ? f->not_stopped_why : "?");
		putchar('\n');
	}
	if (a->redact)
		printf("  redacted %zu private text%s (query texts, application names, client addresses, user and "
		       "database names) and the command lines\n", st->n_redacted, st->n_redacted == 1 ? "" : "s");
}

static void print_json(const struct bundle_args *a, const struct cli_instances *s, const struct pgm_bundle_stats *st)
{
	json_object *o = json_object_new_object(), *caps = json_object_new_array();
	for (size_t i = 0; i < s->n_cores; i++) {
		const struct pgm_target *t = s->cores[i].target;
		const struct pgm_live_facts *f = t->kind == PGM_TARGET_LIVE ? pgm_target_live_facts(t) : NULL;
		json_object *c = json_object_new_object();
		json_object_object_add(c, "pid", json_object_new_int(t->pid));
		json_object_object_add(c, "path", json_object_new_string(t->path));
		json_object_object_add(c, "bundled", json_object_new_boolean(s->cores[i].program != NULL));
		json_object_object_add(c, "freeze_ms", f && f->stopped ? json_object_new_double(f->freeze_ms) : NULL);
		json_object_array_add(caps, c);
	}
	json_object_object_add(o, "schema", json_object_new_int(1));
	json_object_object_add(o, "file", json_object_new_string(a->output));
	json_object_object_add(o, "size", json_object_new_uint64(st->file_size));
	json_object_object_add(o, "memory_bytes", json_object_new_uint64(st->memory_bytes));
	json_object_object_add(o, "ranges", json_object_new_uint64(st->n_ranges));
	json_object_object_add(o, "failed_reads", json_object_new_uint64(st->n_faults));
	json_object_object_add(o, "redacted", json_object_new_boolean(a->redact));
	json_object_object_add(o, "redacted_texts", json_object_new_uint64(st->n_redacted));
	json_object_object_add(o, "write_ms", json_object_new_double(st->write_ms));
	json_object_object_add(o, "captures", caps);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The bundle of every capture that could be analyzed. */
static int write_bundle(const struct bundle_args *a, struct cli_instances *s)
{
	struct pgm_bundle_capture *caps = calloc(s->n_cores + 1, sizeof(*caps));
	size_t n = 0;
	for (size_t i = 0; caps && i < s->n_cores; i++)
		if (s->cores[i].program)
			caps[n++] = (struct pgm_bundle_capture){ s->cores[i].target, s->cores[i].program };
	struct pgm_bundle_options opts = { .redact = a->redact };
	cli_program_options(&a->common, &opts.program);
	struct pgm_bundle_stats st;
	struct pgm_error *err = !caps ? &pgm_enomem : n ? pgm_bundle_write(a->output, caps, n, &opts, &st) : NULL;
	free(caps);
	if (err || !n) {
		if (err)
			cli_report_error(a->output, err);
		else
			cli_error("%s: no capture could be analyzed; nothing written", a->output);
		pgm_error_destroy(err);
		return EXIT_UNUSABLE;
	}
	if (a->common.format == CLI_FORMAT_JSON)
		print_json(a, s, &st);
	else
		print_text(a, s, &st);
	return EXIT_COMPLETE;
}

static int run(struct bundle_args *a)
{
	static char labels[PGM_BUNDLE_MAX_CAPTURES][32];
	struct cli_instances s;
	struct cli_targets targets = { 0 };
	int rc;
	a->common.record_reads = true;
	if (a->pid) {
		int rc0 = attach_live(a, &targets, labels);
		if (rc0 == EXIT_UNUSABLE)
			return rc0;
		rc = cli_instances_build(&targets, &a->common, true, &s);
		rc = rc == EXIT_COMPLETE ? rc0 : rc;
	} else {
		rc = cli_instances_open(a->cores, a->n_cores, &a->common, true, &s);
	}
	int wrc = write_bundle(a, &s);
	cli_instances_close(&s);
	if (wrc != EXIT_COMPLETE)
		return wrc;
	return rc == EXIT_COMPLETE ? EXIT_COMPLETE : EXIT_PARTIAL;
}

static int parse(int argc, char **argv, struct bundle_args *a)
{
	static const char *const formats[] = { "text", "json", NULL };
	int opt;
	while ((opt = getopt_long(argc, argv, "e:o:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == 'o')
			a->output = optarg;
		else if (opt == OPT_REDACT || opt == OPT_INSTANCE)
			*(opt == OPT_REDACT ? &a->redact : &a->instance) = true;
		else if (opt == OPT_PID) {
			if (!cli_parse_pid(optarg, &a->pid))
				return cli_usage_error("bundle", "'%s' is not a process id", optarg);
		} else if (cli_parse_common(&a->common, opt, optarg, formats) <= 0)
			return cli_usage_error("bundle", "invalid option");
	}
	a->cores = argv + optind;
	a->n_cores = (size_t)(argc - optind);
	if (!a->output)
		return cli_usage_error("bundle", "-o FILE is required");
	if (!a->pid == !a->n_cores)
		return cli_usage_error("bundle", "expected CORE files or --pid PID, not both");
	if (a->instance && !a->pid)
		return cli_usage_error("bundle", "--instance goes with --pid");
	return -1;
}

int cmd_bundle(int argc, char **argv)
{
	struct bundle_args a = { 0 };
	cli_common_init(&a.common);
	optind = 1;
	int rc = parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	char *dir = cli_common_layout_cache(&a.common);
	rc = run(&a);
	free(dir);
	return rc;
}
