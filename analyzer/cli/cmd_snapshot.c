/* pgmortem snapshot PID -o FILE: a core that keeps what gcore drops. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pgmortem/live.h"
#include "pgmortem/snapshot.h"
#include "render/live_render.h"

static const char usage_text[] =
	"usage: pgmortem snapshot PID -o FILE [--no-buffers] [-e EXE] [--debug-dir DIR]...\n"
	"                         [--format text|json]\n"
	"\n"
	"Writes an ELF core of the running process PID that gdb, eu-stack and pgmortem\n"
	"read. Unlike gcore and default kernel cores it holds PostgreSQL's shared memory:\n"
	"the main segment and the dynamic shared memory segments (/dev/shm/PostgreSQL.*)\n"
	"where parallel query state lives, so 'pgmortem analyze FILE' can decode the\n"
	"condition variable and the parallel scan a worker waits on.\n"
	"\n"
	"How the process is touched:\n"
	"  Every thread is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT) while its registers\n"
	"  and its private memory (stack, heap, data) are copied, then detached; shared\n"
	"  memory is read after the resume. The freeze time is printed. Nothing is\n"
	"  written to the process; SIGINT, SIGTERM and SIGHUP end the freeze at once and\n"
	"  take effect after the detach, and if pgmortem is killed the kernel detaches\n"
	"  and resumes the process.\n"
	"  A process already traced (gdb) cannot be stopped by pgmortem, so there are no\n"
	"  registers for a core: nothing is written (exit code 2); 'pgmortem live PID'\n"
	"  still decodes its memory.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE    the core to write (mode 0600; replaced if it exists)\n"
	"      --no-buffers     leave out the shared buffer pool (BufferBlocks, NBuffers x\n"
	"                       BLCKSZ): mapped but not captured, for size and privacy\n"
	"  -e, --exe EXE        the postgres executable (to find the buffer pool)\n"
	"      --debug-dir DIR  where separate debuginfo lives (repeatable)\n"
	"      --debuginfod URL fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n"
	"      --sysroot DIR    prefix for the paths the process mapped\n"
	"      --format FMT     text (default) or json: what was written, freeze_ms\n"
	"\n"
	"Example:\n"
	"  pgmortem snapshot 14527 -o core.14527 --no-buffers && pgmortem core.14527\n"
	"\n"
	"Exit codes: 0 written, 2 not written (no such process, permission denied, traced\n"
	"by another process, write failed), 64 usage error.\n";

enum { OPT_NO_BUFFERS = 0x200, OPT_DEBUG_PAUSE };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "output", required_argument, NULL, 'o' },
	{ "no-buffers", no_argument, NULL, OPT_NO_BUFFERS },
	{ "debug-pause-stopped", required_argument, NULL, OPT_DEBUG_PAUSE },
	{ NULL, 0, NULL, 0 },
};

struct snap_args {
	int32_t pid;
	const char *output;
	bool no_buffers;
	struct pgm_live_options lopts;
};

/* The buffer pool's range, through the program's symbols and DWARF. */
static struct pgm_error *exclude_buffers(struct pgm_target *t, const struct cli_common *common,
					 struct pgm_snapshot_options *so, char **how)
{
	struct pgm_program *prog = NULL;
	struct pgm_program_options popts;
	cli_program_options(common, &popts);
	struct pgm_error *err = pgm_program_create(t, &popts, &prog);
	if (!err)
		err = pgm_snapshot_buffer_range(prog, &so->exclude_start, &so->exclude_end, how);
	pgm_program_destroy(prog);
	return err;
}

static int fail(const char *context, struct pgm_error *err, struct pgm_target *t)
{
	cli_report_error(context, err);
	pgm_error_destroy(err);
	pgm_target_destroy(t);
	return EXIT_UNUSABLE;
}

static int run(const struct snap_args *a, const struct cli_common *common)
{
	struct pgm_target *t = NULL;
	struct pgm_snapshot_options so = { 0 };
	struct pgm_snapshot_stats st;
	char context[32], *how = NULL;
	snprintf(context, sizeof(context), "process %d", (int)a->pid);
	struct pgm_error *err = pgm_target_live_attach(a->pid, &a->lopts, &t);
	if (!err && a->no_buffers && (err = exclude_buffers(t, common, &so, &how)))
		err = pgm_error_wrap(err, "--no-buffers");
	if (!err)
		err = pgm_snapshot_write(t, a->output, &so, &st);
	if (err) {
		free(how);
		return fail(context, err, t);
	}
	const struct pgm_live_facts *f = pgm_target_live_facts(t);
	if (common->format == CLI_FORMAT_JSON)
		pgm_render_snapshot_json(stdout, a->output, f, &st, how);
	else
		pgm_render_snapshot_text(stdout, a->output, f, &st, how);
	int rc = f->stopped ? EXIT_COMPLETE : EXIT_PARTIAL;
	free(how);
	pgm_target_destroy(t);
	return rc;
}

int cmd_snapshot(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct cli_common common;
	struct snap_args a = { .lopts = { .freeze_private = true } };
	cli_common_init(&common);
	common.renders_program_warnings = false;   /* its program only finds the buffer pool: warnings unshown */
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":e:o:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == 'o')
			a.output = optarg;
		else if (opt == OPT_NO_BUFFERS)
			a.no_buffers = true;
		else if (opt == OPT_DEBUG_PAUSE) {
			if (!cli_parse_ms(optarg, &a.lopts.debug_pause_stopped_ms))
				return cli_usage_error("snapshot", "--debug-pause-stopped needs milliseconds");
		} else if (!cli_take_option(&common, opt, optarg, formats, argv))
			return EXIT_USAGE;
	}
	if (optind != argc - 1)
		return cli_usage_error("snapshot", optind == argc ? "no process id given" : "one process id at a time");
	if (!cli_parse_pid(argv[optind], &a.pid))
		return cli_usage_error("snapshot", "'%s' is not a process id", argv[optind]);
	if (!a.output)
		return cli_usage_error("snapshot", "-o FILE is required");
	return run(&a, &common);
}
