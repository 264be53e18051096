/* pgmortem live PID: the wait analysis of a running backend, frozen for milliseconds. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pgmortem/analyze.h"
#include "pgmortem/live.h"
#include "render/live_render.h"

static const char usage_text[] =
	"usage: pgmortem live PID [-e EXE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                     [--format text|json] [--full-stack] [--instance]\n"
	"       pgmortem PID ...           (the same)\n"
	"\n"
	"Explains why the running PostgreSQL process PID is stuck, like 'pgmortem analyze'\n"
	"does for a core, plus what only a live process tells: its state, wchan, kernel\n"
	"stack and how long it has been off CPU.\n"
	"\n"
	"How the process is touched:\n"
	"  Every thread is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT) only long enough to\n"
	"  read its registers and copy its stack and the executable's globals, then\n"
	"  detached; the report says how long ('stopped for', JSON source.freeze_ms,\n"
	"  typically well under 5 ms) and which data was read after the resume (heap,\n"
	"  shared memory). Nothing is ever written to the process. SIGINT, SIGTERM and\n"
	"  SIGHUP end the freeze at once and take effect after the detach; if pgmortem\n"
	"  is killed (even SIGKILL) the kernel detaches and resumes the process. The\n"
	"  stop interrupts a blocking system call, as gdb's attach does; PostgreSQL\n"
	"  retries it.\n"
	"  A process already traced (gdb) is not stopped: the report names the tracer,\n"
	"  has no stack, and decodes what memory says (wait event, condition variable,\n"
	"  interrupts, parallel group).  Nor is one in uninterruptible sleep (state D,\n"
	"  blocked in the kernel, e.g. on I/O): ptrace could stop it only when the\n"
	"  kernel lets it go; its system call, the file behind the call's descriptor\n"
	"  (/proc/PID/syscall, /proc/PID/fd) and kernel stack say where it is.\n"
	"  Needs the permission to ptrace PID: the same uid, or root / CAP_SYS_PTRACE\n"
	"  (and kernel.yama.ptrace_scope allowing it); a refusal names the cause.\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE        the postgres executable with debuginfo (default: /proc/PID/exe)\n"
	"      --debug-dir DIR  where separate debuginfo lives (repeatable)\n"
	"      --debuginfod URL fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n"
	"      --sysroot DIR    prefix for the paths the process mapped\n"
	"      --format FMT     text (default) or json (\"schema\": 1, plus source.freeze_ms\n"
	"                       and source.live)\n"
	"      --full-stack     print every frame of the stack\n"
	"      --instance       also attach every other process of PID's instance (the\n"
	"                       postmaster's children), one after another, and merge what\n"
	"                       each holds: names LWLock holders, the backends pinning a\n"
	"                       buffer, the one doing a buffer's I/O, and who waits on whom\n"
	"      --registers FILE registers of the thread a tracer (gdb) holds stopped, as\n"
	"                       gdb's `info registers` prints them ('-': standard input):\n"
	"                       used when PID is traced, so its stack unwinds (read from\n"
	"                       the process the tracer holds); see share/pgmortem/pgmortem.gdb\n"
	"      --tid TID        the thread those registers belong to (default: PID)\n"
	"\n"
	"Example:\n"
	"  pgmortem live 14527\n"
	"  pgmortem live --instance 14527 --format json\n"
	"\n"
	"Exit codes: 0 complete, 1 partial (not stopped because traced or in D, memory, debuginfo\n"
	"or frames missing), 2 nothing usable (no such process, permission denied),\n"
	"64 usage error.\n";

enum { OPT_FULL_STACK = 0x200, OPT_DEBUG_PAUSE, OPT_INSTANCE, OPT_REGISTERS, OPT_TID };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "full-stack", no_argument, NULL, OPT_FULL_STACK },
	{ "instance", no_argument, NULL, OPT_INSTANCE },
	{ "registers", required_argument, NULL, OPT_REGISTERS },
	{ "tid", required_argument, NULL, OPT_TID },
	/* tests only: stay stopped this many ms (see tests/integration/live-safety) */
	{ "debug-pause-stopped", required_argument, NULL, OPT_DEBUG_PAUSE },
	{ NULL, 0, NULL, 0 },
};

static bool report_is_partial(const struct pgm_report *r, const struct pgm_live_facts *f)
{
	return (!f->stopped && !f->regs_given) || cli_report_is_partial(r);
}

static int run(int32_t pid, const struct cli_common *common, const struct pgm_live_options *lopts,
	       bool full_stack)
{
	struct pgm_target *t = NULL;
	struct pgm_program *prog = NULL;
	struct pgm_report *r = NULL;
	struct pgm_program_options popts;
	cli_program_options(common, &popts);
	popts.symbols_only_libraries = true;   /* the analysis needs only PostgreSQL's DWARF */
	char context[32];
	snprintf(context, sizeof(context), "process %d", (int)pid);
	struct pgm_error *err = pgm_target_live_attach(pid, lopts, &t);
	if (!err)
		err = pgm_program_create(t, &popts, &prog);
	if (!err)
		err = pgm_analyze(prog, NULL, &r);
	/* the target's warnings (why it was not stopped) are in the report */
	cli_report_warnings(context, NULL, prog);
	const struct pgm_live_facts *lf = t ? pgm_target_live_facts(t) : NULL;
	if (err && err->code == PGM_ERR_UNSUPPORTED && lf && lf->stopped) {
		/* refused after a look: how briefly it was stopped still matters to whoever runs it */
		struct pgm_error *e2 = pgm_error_create(err->code, "%s; it was stopped for %.3f ms", err->message,
							lf->freeze_ms);
		pgm_error_destroy(err);
		err = e2;
	}
	if (err) {
		cli_report_error(context, err);
		pgm_error_destroy(err);
		pgm_program_destroy(prog);
		pgm_target_destroy(t);
		return EXIT_UNUSABLE;
	}
	const struct pgm_live_facts *f = pgm_target_live_facts(t);
	if (common->format == CLI_FORMAT_JSON) {
		pgm_render_live_report_json(stdout, r, f);
	} else {
		struct pgm_text_style st = { .color = common->color, .full_stack = full_stack };
		pgm_render_live_report_text(stdout, r, f, &st);
	}
	int rc = report_is_partial(r, f) ? EXIT_PARTIAL : EXIT_COMPLETE;
	pgm_report_destroy(r);
	pgm_program_destroy(prog);
	pgm_target_destroy(t);
	return rc;
}

int cli_live_run(int32_t pid, const struct cli_common *common, const struct pgm_live_options *lopts,
		 bool full_stack)
{
	return run(pid, common, lopts, full_stack);
}

/* --registers FILE: gdb's `info registers` text; false (reported) if unusable. */
static bool read_registers(const char *path, struct pgm_regs *regs)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!in) {
		cli_error("--registers %s: %s", path, strerror(errno));
		return false;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned seen = 0;
	while (getline(&line, &cap, in) > 0)
		cli_gdb_register_line(line, regs, &seen);
	free(line);
	if (in != stdin)
		fclose(in);
	if ((seen & CLI_GDB_SEEN_RIP) && (seen & CLI_GDB_SEEN_RSP))
		return true;
	cli_error("--registers %s: no rip and rsp lines as gdb's `info registers` prints them", path);
	return false;
}

int cmd_live(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct cli_common common;
	struct pgm_live_options lopts = { 0 };
	bool full_stack = false, instance = false;
	struct pgm_regs regs = { 0 };
	const char *regs_path = NULL;
	cli_common_init(&common);
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == OPT_FULL_STACK || opt == OPT_INSTANCE) {
			*(opt == OPT_FULL_STACK ? &full_stack : &instance) = true;
			continue;
		}
		if (opt == OPT_REGISTERS) {
			regs_path = optarg;
			continue;
		}
		if (opt == OPT_TID) {
			if (!cli_parse_pid(optarg, &lopts.given_tid))
				return cli_usage_error("live", "--tid needs a thread id");
			continue;
		}
		if (opt == OPT_DEBUG_PAUSE) {
			if (!cli_parse_ms(optarg, &lopts.debug_pause_stopped_ms))
				return cli_usage_error("live", "--debug-pause-stopped needs milliseconds (at most 600000)");
			continue;
		}
		if (!cli_take_option(&common, opt, optarg, formats, argv))
			return EXIT_USAGE;
	}
	int32_t pid;
	if (optind != argc - 1)
		return cli_usage_error("live", optind == argc ? "no process id given" : "one process id at a time");
	if (!cli_parse_pid(argv[optind], &pid))
		return cli_usage_error("live", "'%s' is not a process id", argv[optind]);
	if (regs_path && instance)
		return cli_usage_error("live", "--registers are of one process, not of --instance");
	if (regs_path) {
		if (!read_registers(regs_path, &regs))
			return EXIT_USAGE;
		lopts.given_regs = &regs;
	}
	if (instance)
		return cli_live_instance(pid, &common, &lopts, full_stack);
	return run(pid, &common, &lopts, full_stack);
}
