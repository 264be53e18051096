/* pgmortem stack: every thread's stack of a core, as gdb's bt shows it. */
#include <getopt.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "pgmortem/render.h"
#include "pgmortem/stack.h"
#include "pgmortem/target.h"

static const char usage_text[] =
	"usage: pgmortem stack CORE|BUNDLE [-e EXE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                      [--format text|json]\n"
	"\n"
	"Prints the stack of every thread in CORE the way gdb's `bt` does, inline\n"
	"frames included, after a header saying which process it was (pid, command\n"
	"line), why the core exists (the signal that killed it, or \"captured on\n"
	"demand\" for gcore), which executable and build-id it ran, and what is\n"
	"missing (files, debuginfo) with how to supply it.  Without debuginfo,\n"
	"functions are named from the symbol table (.symtab, else .dynsym) and\n"
	"unnamed code is shown as module+0xoffset.  A support bundle shows the stacks\n"
	"its maker unwound, capture after capture (JSON: one document each).\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE       the executable, if its recorded path is gone or holds\n"
	"                      another build (a file with a different build-id is\n"
	"                      refused with a warning)\n"
	"  --debug-dir DIR     also look for separate debuginfo in DIR, by build-id\n"
	"                      (DIR/.build-id/xx/yyyy.debug) or .gnu_debuglink;\n"
	"                      repeatable\n"
	"  --debuginfod URL    fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n"
	"  --sysroot DIR       find the process's executable and libraries under DIR\n"
	"                      (a copy of the crashed machine's /, a container root)\n"
	"  --format FORMAT     text (default) or json (\"schema\": 1; addresses are\n"
	"                      \"0x...\" strings)\n"
	"  --help              this text\n"
	"\n"
	"Examples:\n"
	"  pgmortem stack /var/lib/postgresql/15/main/core\n"
	"  pgmortem stack core.14502 --debug-dir ./dbgsym/usr/lib/debug\n"
	"  pgmortem stack core.14502 --format json | jq -r '.threads[0].frames[].function'\n"
	"\n"
	"Exit codes:\n"
	"  0   complete: every thread unwound to main (or its outermost frame) and\n"
	"      every frame has a function name\n"
	"  1   partial: shown, but a frame is unnamed, a module's file was not\n"
	"      found, the core is damaged, or unwinding stopped early (for example\n"
	"      at stack memory the core does not contain; the reason is printed)\n"
	"  2   nothing usable: CORE could not be read (one line on stderr says why)\n"
	"  64  usage error\n";

/* Returns an exit status to stop with, or -1 to go on with *core. */
static int parse_args(int argc, char **argv, struct cli_common *common, const char **core)
{
	static const struct option longopts[] = { CLI_COMMON_LONGOPTS, { 0 } };
	static const char *const formats[] = { "text", "json", NULL };
	int opt;
	cli_common_init(common);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return EXIT_COMPLETE;
		}
		if (!cli_take_option(common, opt, optarg, formats, argv))
			return EXIT_USAGE;
	}
	if (optind != argc - 1)
		return cli_usage_error("stack", optind == argc ? "no core file given"
							       : "one core file at a time");
	*core = argv[optind];
	return -1;
}

/* Unwinds every thread; a thread that cannot be unwound keeps its error. */
static struct pgm_error *unwind_all(struct pgm_program *prog, struct pgm_stack_report *r)
{
	size_t n = r->target->n_threads;
	r->stacks = calloc(n ? n : 1, sizeof(*r->stacks));
	r->errors = calloc(n ? n : 1, sizeof(*r->errors));
	if (!r->stacks || !r->errors)
		return &pgm_enomem;
	r->n_stacks = n;
	for (size_t i = 0; i < n; i++) {
		struct pgm_error *err = pgm_program_unwind(prog, i, &r->stacks[i]);
		if (err == &pgm_enomem)
			return err;
		r->errors[i] = err;
	}
	return NULL;
}

static bool any_stack(const struct pgm_stack_report *r)
{
	for (size_t i = 0; i < r->n_stacks; i++)
		if (r->stacks[i])
			return true;
	return false;
}

static int exit_status(const struct pgm_stack_report *r)
{
	if (r->target->n_warnings)
		return EXIT_PARTIAL;
	for (size_t i = 0; i < r->n_stacks; i++)
		if (!r->stacks[i] || !pgm_stack_is_complete(r->stacks[i]))
			return EXIT_PARTIAL;
	size_t n;
	const struct pgm_module *mods = pgm_program_modules(r->program, &n);
	for (size_t i = 0; i < n; i++)
		if (!mods[i].has_elf)
			return EXIT_PARTIAL;
	return EXIT_COMPLETE;
}

static void report_free(struct pgm_stack_report *r)
{
	for (size_t i = 0; i < r->n_stacks; i++) {
		pgm_stack_destroy(r->stacks[i]);
		pgm_error_destroy(r->errors[i]);
	}
	free(r->stacks);
	free(r->errors);
}

/* Everything after the core opened; returns the exit status. */
static int show_stacks(const char *core, struct pgm_target *target,
		       const struct cli_common *common)
{
	struct pgm_program_options opts;
	struct pgm_program *prog;
	cli_program_options(common, &opts);
	struct pgm_error *err = pgm_program_create(target, &opts, &prog);
	if (err) {
		cli_report_error(core, err);
		pgm_error_destroy(err);
		return EXIT_UNUSABLE;
	}
	struct pgm_stack_report r = { .target = target, .program = prog };
	int status;
	err = unwind_all(prog, &r);
	if (!err)
		err = pgm_target_check(target);
	if (!err && r.n_stacks && !any_stack(&r))
		err = r.errors[0], r.errors[0] = NULL;
	else if (!err && !r.n_stacks)
		err = pgm_error_create(PGM_ERR_FORMAT, "no threads in the core");
	if (err) {
		cli_report_error(core, err);
		pgm_error_destroy(err);
		status = EXIT_UNUSABLE;
	} else if (common->format == CLI_FORMAT_JSON && !pgm_render_stack_report_json(stdout, &r)) {
		cli_report_error(core, &pgm_enomem);
		status = EXIT_UNUSABLE;
	} else {
		/* with the stacks, on stderr as every command says them (a refused -e); the header keeps them */
		cli_report_warnings(core, NULL, prog);
		if (common->format != CLI_FORMAT_JSON)
			pgm_render_stack_report_text(stdout, &r);
		status = exit_status(&r);
	}
	report_free(&r);
	pgm_program_destroy(prog);
	return status;
}

int cmd_stack(int argc, char **argv)
{
	struct cli_common common;
	const char *core = NULL;
	int status = parse_args(argc, argv, &common, &core);
	if (status >= 0)
		return status;
	/* a core, or a bundle: each of its captures in turn */
	struct cli_targets targets = { 0 };
	status = cli_open_path(core, &common, &targets);
	for (size_t i = 0; i < targets.n; i++) {
		if (i && common.format != CLI_FORMAT_JSON)
			fputc('\n', stdout);
		int s = show_stacks(core, targets.items[i].target, &common);
		status = s > status ? s : status;
		pgm_target_destroy(targets.items[i].target);
	}
	free(targets.items);
	return status;
}
