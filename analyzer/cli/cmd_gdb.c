/*
 * pgmortem gdb ACTION: the helper behind share/pgmortem.gdb, the GDB command
 * file that brings pgmortem into any gdb, one without Python included.
 *
 * The command file pipes what gdb's own CLI knows into us (`pipe` of its
 * internal command pgmortem-gdb-context): the pgmortem path to run (a line
 * the shell consumes), "pgmortem-action: ACTION", `info inferiors`,
 * `info files`, `thread`, frame 0's `info registers` for a process or core,
 * and "pgmortem-words: ..." (print's expression; the options of the others).
 * From it we decide what gdb is looking at:
 *   a core file ("Local core dump file:")  -> analyze / backends / print CORE -e EXE
 *   a native process ("1 (native)")        -> live PID with gdb's registers
 *                                             (gdb holds the ptrace; memory read directly)
 * and run that command here, so the output is exactly the standalone one.
 * Parsing registers from `info registers` text is shared with
 * `pgmortem live --registers FILE`.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pgmortem/live.h"
#include "pgmortem/snapshot.h"

static const char usage_text[] =
	"usage: pgmortem gdb [analyze|backends|print] [--full-stack] [--format text|json]\n"
	"\n"
	"The helper of the GDB command file share/pgmortem/pgmortem.gdb (`source` it in\n"
	"gdb; it needs no Python).  Reads on standard input what gdb's CLI printed:\n"
	"`info inferiors`, `info files`, `thread`, `info registers` of frame 0, a line\n"
	"\"pgmortem-action: ACTION\" (unless given here) and \"pgmortem-words: ...\" (the\n"
	"expression to print; the options of the others).  Then runs, on what gdb is\n"
	"looking at:\n"
	"  a core file       pgmortem analyze|backends|print CORE -e EXE\n"
	"  a live process    pgmortem live PID (--instance for backends) with gdb's\n"
	"                    registers of its current thread: gdb holds the process\n"
	"                    stopped, so its stack unwinds; memory is read straight\n"
	"                    from the process.  print: a snapshot of it, then print.\n"
	"\n"
	"Exit codes: those of the command run; 2 if gdb has neither a process nor a\n"
	"core file, or a kind of target pgmortem cannot read (remote); 64 usage error.\n";

/* ---- registers, as `info registers` prints them ---- */

static const struct {
	const char *name;
	size_t offset;
} reg_names[] = {
#define REG(n) { #n, offsetof(struct pgm_regs, n) }
	REG(r15), REG(r14), REG(r13), REG(r12), REG(rbp), REG(rbx), REG(r11), REG(r10),
	REG(r9), REG(r8), REG(rax), REG(rcx), REG(rdx), REG(rsi), REG(rdi), REG(orig_rax),
	REG(rip), REG(cs), REG(eflags), REG(rsp), REG(ss), REG(fs_base), REG(gs_base),
	REG(ds), REG(es), REG(fs), REG(gs),
#undef REG
};

bool cli_gdb_register_line(const char *line, struct pgm_regs *regs, unsigned *seen)
{
	char name[16];
	unsigned long long v;
	if (sscanf(line, "%15s 0x%llx", name, &v) != 2)
		return false;
	for (size_t i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++) {
		if (strcmp(name, reg_names[i].name) == 0) {
			*(uint64_t *)((char *)regs + reg_names[i].offset) = v;
			if (strcmp(name, "rip") == 0)
				*seen |= CLI_GDB_SEEN_RIP;
			else if (strcmp(name, "rsp") == 0)
				*seen |= CLI_GDB_SEEN_RSP;
			return true;
		}
	}
	return false;
}

/* ---- what gdb is looking at ---- */

enum gdb_kind { GDB_NOTHING, GDB_CORE, GDB_NATIVE, GDB_OTHER };

struct gdb_context {
	enum gdb_kind kind;
	int32_t pid, tid;
	char connection[64];
	char *core, *exe, *expr, *action;
	struct pgm_regs regs;
	unsigned seen;
};

/* "\t`PATH', file type elf64-x86-64." -> PATH */
static char *quoted_path(const char *line)
{
	const char *b = strchr(line, '`'), *e = strstr(line, "', file type");
	if (!b || !e || e <= b)
		return NULL;
	return strndup(b + 1, (size_t)(e - b - 1));
}

/* "* 1    process 8116      1 (native)           /usr/bin/bash" */
static void current_inferior(const char *line, struct gdb_context *c)
{
	int pid;
	const char *conn = strchr(line + 2, '(');
	if (sscanf(line, "* %*d process %d", &pid) != 1)
		return;
	c->pid = pid;
	if (conn) {
		const char *end = strchr(conn, ')');
		size_t n = end ? (size_t)(end - conn - 1) : 0;
		snprintf(c->connection, sizeof(c->connection), "%.*s", (int)n, conn + 1);
	}
}

/* "[Current thread is 1 (Thread 0x7f7ab6171740 (LWP 8116))]" or "... (LWP 8116))]" */
static void current_thread(const char *line, struct gdb_context *c)
{
	const char *p = strstr(line, "(LWP ");
	if (p)
		c->tid = atoi(p + 5);
	else if ((p = strstr(line, "(process ")))
		c->tid = atoi(p + 9);
}

static void read_context(FILE *in, struct gdb_context *c)
{
	char *line = NULL, **next = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = 0;
		if (next) {
			if (!*next)
				*next = quoted_path(line);
			next = NULL;
		} else if (strncmp(line, "* ", 2) == 0) {
			current_inferior(line, c);
		} else if (strcmp(line, "Local core dump file:") == 0) {
			next = &c->core;
		} else if (strcmp(line, "Local exec file:") == 0) {
			next = &c->exe;
		} else if (strncmp(line, "[Current thread is ", 19) == 0) {
			current_thread(line, c);
		} else if (strncmp(line, "pgmortem-action: ", 17) == 0) {
			free(c->action);
			c->action = strdup(line + 17);
		} else if (strncmp(line, "pgmortem-words: ", 16) == 0) {
			free(c->expr);
			c->expr = strdup(line + 16);
		} else {
			cli_gdb_register_line(line, &c->regs, &c->seen);
		}
	}
	free(line);
	if (c->core)
		c->kind = GDB_CORE;
	else if (c->pid && strcmp(c->connection, "native") == 0)
		c->kind = GDB_NATIVE;
	else
		c->kind = c->pid ? GDB_OTHER : GDB_NOTHING;
}

static void trim_expr(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
}

/* ---- running the standalone command ---- */

struct gdb_args {
	const char *action;
	bool full_stack;
	const char *format;
};

/* The words after `pgmortem` / `pgmortem-backends` in gdb: their options. */
static bool options_from_words(char *words, struct gdb_args *a)
{
	char *save = NULL;
	for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "--full-stack") == 0 && strcmp(a->action, "analyze") == 0)
			a->full_stack = true;
		else if (strcmp(w, "--format") == 0 && (w = strtok_r(NULL, " \t", &save)))
			a->format = w;
		else if (strncmp(w, "--format=", 9) == 0)
			a->format = w + 9;
		else
			return false;
	}
	return !a->format || strcmp(a->format, "text") == 0 || strcmp(a->format, "json") == 0;
}

static int run_argv(int (*cmd)(int, char **), const char **argv, size_t n)
{
	argv[n] = NULL;
	fflush(stdout);
	return cmd((int)n, (char **)argv);
}

static int on_core(const struct gdb_context *c, const struct gdb_args *a)
{
	const char *argv[12];
	size_t n = 0;
	bool print = strcmp(a->action, "print") == 0;
	argv[n++] = a->action;
	argv[n++] = c->core;
	if (print)
		argv[n++] = c->expr;
	if (c->exe) {
		argv[n++] = "-e";
		argv[n++] = c->exe;
	}
	if (a->format) {
		argv[n++] = "--format";
		argv[n++] = a->format;
	}
	if (a->full_stack && strcmp(a->action, "analyze") == 0)
		argv[n++] = "--full-stack";
	return run_argv(print ? cmd_print : strcmp(a->action, "backends") == 0 ? cmd_backends
			: cmd_analyze, argv, n);
}

static bool common_from_args(const struct gdb_args *a, struct cli_common *common)
{
	cli_common_init(common);
	if (!a->format || strcmp(a->format, "text") == 0)
		return true;
	if (strcmp(a->format, "json") != 0)
		return false;
	common->format = CLI_FORMAT_JSON;
	return true;
}

/* print on a live process: a snapshot of it (with gdb's registers), printed like a core. */
static int print_live(const struct gdb_context *c, const struct gdb_args *a,
		      const struct pgm_live_options *lopts_in)
{
	struct pgm_live_options lopts = *lopts_in;
	lopts.freeze_private = true;
	char path[] = "/tmp/pgmortem-gdb.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		cli_error("print: mkstemp %s: %s", path, strerror(errno));
		return EXIT_UNUSABLE;
	}
	close(fd);
	struct pgm_target *t = NULL;
	struct pgm_snapshot_options so = { 0 };
	struct pgm_snapshot_stats st;
	struct pgm_error *err = pgm_target_live_attach(c->pid, &lopts, &t);
	if (!err)
		err = pgm_snapshot_write(t, path, &so, &st);
	pgm_target_destroy(t);
	int rc;
	if (err) {
		char context[32];
		snprintf(context, sizeof(context), "process %d", (int)c->pid);
		cli_report_error(context, err);
		pgm_error_destroy(err);
		rc = EXIT_UNUSABLE;
	} else {
		struct gdb_context core = *c;
		core.core = path;
		rc = on_core(&core, a);
	}
	unlink(path);
	return rc;
}

static int on_process(const struct gdb_context *c, const struct gdb_args *a)
{
	struct cli_common common;
	struct pgm_live_options lopts = { 0 };
	if (!common_from_args(a, &common))
		return cli_usage_error("gdb", "--format must be text or json");
	if (c->exe)
		common.exe = c->exe;
	if ((c->seen & CLI_GDB_SEEN_RIP) && (c->seen & CLI_GDB_SEEN_RSP)) {
		lopts.given_regs = &c->regs;
		lopts.given_tid = c->tid;
	} else {
		cli_error("gdb gave no registers (rip, rsp): no stack");
	}
	if (strcmp(a->action, "print") == 0)
		return print_live(c, a, &lopts);
	fflush(stdout);
	if (strcmp(a->action, "backends") == 0) {
		/* the table needs no stack, and gdb's registers are not those of the other processes */
		lopts.given_regs = NULL;
		return cli_live_instance(c->pid, &common, &lopts, a->full_stack);
	}
	return cli_live_run(c->pid, &common, &lopts, a->full_stack);
}

static int parse_args(int argc, char **argv, struct gdb_args *a)
{
	static const struct option longopts[] = {
		{ "full-stack", no_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (opt == 'h')
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == 'F')
			a->full_stack = true;
		else if (opt == 'f')
			a->format = optarg;
		else
			return cli_option_error(opt, argv);
	}
	if (optind < argc - 1)
		return cli_usage_error("gdb", "expected one of analyze, backends, print");
	a->action = optind < argc ? argv[optind] : NULL;
	return -1;
}

int cmd_gdb(int argc, char **argv)
{
	struct gdb_args a = { 0 };
	struct gdb_context c = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	read_context(stdin, &c);
	if (c.expr)
		trim_expr(c.expr);
	if (!a.action)
		a.action = c.action;
	if (!a.action || (strcmp(a.action, "analyze") && strcmp(a.action, "backends") &&
			  strcmp(a.action, "print")))
		rc = cli_usage_error("gdb", "expected one of analyze, backends, print, not '%s'",
				     a.action ? a.action : "");
	else if (strcmp(a.action, "print") == 0 && (!c.expr || !*c.expr))
		rc = cli_usage_error("gdb", "print needs an expression: pgmortem-print EXPR");
	else if (strcmp(a.action, "print") && c.expr && !options_from_words(c.expr, &a))
		rc = cli_usage_error("gdb", "%s takes only --format text|json%s", a.action,
				     strcmp(a.action, "analyze") == 0 ? " and --full-stack" : "");
	else if (c.kind == GDB_CORE) {
		rc = on_core(&c, &a);
	} else if (c.kind == GDB_NATIVE) {
		rc = on_process(&c, &a);
	} else {
		if (c.kind == GDB_NOTHING)
			cli_error("neither a process nor a core file in gdb: 'attach PID' or "
				  "'core-file CORE' first");
		else
			cli_error("gdb's process %d is on a '%s' connection: pgmortem reads "
				  "only a local process or a core file", (int)c.pid, c.connection);
		rc = EXIT_UNUSABLE;
	}
	free(c.core);
	free(c.exe);
	free(c.expr);
	free(c.action);
	return rc;
}
