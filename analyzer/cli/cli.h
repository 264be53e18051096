/*
 * pgmortem CLI internals: subcommands, shared options, exit codes.
 *
 * Only CLI code exits or chooses exit codes; the library returns errors.
 * Each subcommand lives in its own cmd_*.c and parses its own arguments
 * with getopt_long, using cli_parse_common() for the options all share.
 */
#ifndef PGMORTEM_CLI_H
#define PGMORTEM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pgmortem/dwarf.h"
#include "pgmortem/error.h"
#include "pgmortem/instance.h"
#include "pgmortem/program.h"

/* Exit codes scripts can rely on (documented in --help and README). */
enum {
	EXIT_COMPLETE = 0,  /* everything shown */
	EXIT_PARTIAL = 1,   /* shown, but some frames, modules or memory missing */
	EXIT_UNUSABLE = 2,  /* nothing usable: bad input, unreadable file */
	EXIT_USAGE = 64,    /* bad command line (sysexits EX_USAGE) */
};

enum cli_format { CLI_FORMAT_TEXT, CLI_FORMAT_JSON, CLI_FORMAT_DOT };

#define CLI_MAX_DEBUG_DIRS 16

/* Options shared by commands that read a target. */
struct cli_common {
	const char *exe;                          /* -e, --exe */
	const char *debug_dirs[CLI_MAX_DEBUG_DIRS];  /* --debug-dir, repeatable */
	size_t n_debug_dirs;
	const char *sysroot;                      /* --sysroot */
	enum cli_format format;                   /* --format */
	const char *cache_dir;                    /* --cache-dir, NULL for the default */
	bool no_cache;                            /* --no-cache */
	const char *layout_cache;                 /* set by cli_common_layout_cache() */
	bool color;                               /* TTY and no NO_COLOR */
	/*
	 * The command shows the program's warnings (on stderr through
	 * cli_report_warnings, or in its output as stack does), so a debuginfod
	 * failure, which is one of them, is not also printed when it happens.
	 * True unless a command sets it false (batch, snapshot).
	 */
	bool renders_program_warnings;
	bool record_reads;                        /* pgmortem bundle: targets record what is read */
};

/* getopt_long ids for the shared options; commands add theirs above 0x200. */
enum {
	OPT_DEBUG_DIR = 0x100,
	OPT_SYSROOT,
	OPT_FORMAT,
	OPT_HELP,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_DEBUGINFOD,
};

/*
 * The shared long options, to be spliced into a command's option table,
 * and "e:" for its short options.
 */
#define CLI_COMMON_LONGOPTS \
	{ "exe", required_argument, NULL, 'e' }, \
	{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR }, \
	{ "sysroot", required_argument, NULL, OPT_SYSROOT }, \
	{ "debuginfod", required_argument, NULL, OPT_DEBUGINFOD }, \
	{ "format", required_argument, NULL, OPT_FORMAT }, \
	{ "help", no_argument, NULL, OPT_HELP }

/* The layout cache options, for commands that analyse; cli_parse_common handles them. */
#define CLI_CACHE_LONGOPTS \
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR }, \
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE }

void cli_common_init(struct cli_common *common);
/*
 * Resolves --cache-dir / --no-cache into common->layout_cache and returns
 * it; the caller frees it with free() once the analyses are done.  NULL
 * means no cache (--no-cache, or neither XDG_CACHE_HOME nor HOME is set).
 */
char *cli_common_layout_cache(struct cli_common *common);
/*
 * Handles option `opt` with argument `arg` if it is a shared one.  Returns 1
 * if handled, 0 if not a shared option, -1 on a usage error (already
 * reported on stderr).
 */
int cli_parse_common(struct cli_common *common, int opt, const char *arg,
		     const char *const *allowed_formats);
/*
 * An option a command's getopt_long() loop did not handle itself: a shared
 * one is parsed; anything else ('?', ':', an option of no use here) is
 * reported as a usage error.  False after a usage error: exit EXIT_USAGE.
 */
bool cli_take_option(struct cli_common *common, int opt, const char *arg,
		     const char *const *allowed_formats, char **argv);
/*
 * The program options of the shared ones.  debuginfod downloads show a
 * progress line on stderr when it is a terminal, and a failed one its line
 * on stderr unless the command renders the program's warnings itself.
 */
void cli_program_options(const struct cli_common *common, struct pgm_program_options *opts);

/*
 * Every message pgmortem prints on stderr is one line that starts with
 * "pgmortem: COMMAND: ", COMMAND being the one main() dispatched to, named
 * once with cli_set_command() before the command runs.
 */
void cli_set_command(const char *name);
/* "pgmortem: COMMAND: <fmt>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "pgmortem: COMMAND: <context>: <message>" on stderr; no context, no "<context>: ". */
void cli_report_error(const char *context, const struct pgm_error *err);
/*
 * "pgmortem: COMMAND: <fmt> (see 'pgmortem COMMAND --help')" on stderr;
 * returns EXIT_USAGE.  `cmd` names the command if cli_set_command() did not.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The usage error for what getopt_long() returned '?' or ':' for: an
 * unknown option, or one that lacks its argument.  Commands set opterr to 0
 * and start their short options with ':' so that getopt prints nothing.
 */
int cli_option_error(int opt, char **argv);
/*
 * "pgmortem: COMMAND: <context>: warning: ..." for each warning of the target
 * and of the program (files not found, a refused -e, no debuginfo), for the
 * commands whose output does not list them itself.
 */
void cli_report_warnings(const char *context, const struct pgm_target *target,
			 struct pgm_program *program);

/*
 * The layout cache directory: `override` if non-NULL, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/pgmortem/layouts; NULL if neither is set.
 * The caller frees the result.
 */
char *cli_layout_cache_dir(const char *override);

/* Subcommands: argv[0] is the command name. */
int cmd_stack(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_types(int argc, char **argv);
int cmd_print(int argc, char **argv);
int cmd_backends(int argc, char **argv);
int cmd_locks(int argc, char **argv);

int cmd_batch(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_profile(int argc, char **argv);     /* cmd_profile.c */

struct pgm_live_options;
/* pgmortem live --instance PID (cmd_live_instance.c). */
int cli_live_instance(int32_t pid, const struct cli_common *common,
		      const struct pgm_live_options *lopts, bool full_stack);

/*
 * The processes of PID's instance: PID first, then every other child of
 * its postmaster, by pid.  *ret (malloc'ed, the caller frees it) has the
 * count returned; 0 if none were found.
 */
size_t cli_instance_pids(int32_t pid, int32_t **ret);

/* pgmortem live PID without --instance (cmd_live.c): the exit status. */
int cli_live_run(int32_t pid, const struct cli_common *common,
		 const struct pgm_live_options *lopts, bool full_stack);

/* The helper of share/pgmortem.gdb (cmd_gdb.c). */
int cmd_gdb(int argc, char **argv);
/* Which registers cli_gdb_register_line() has seen: the two a stack needs. */
enum { CLI_GDB_SEEN_RIP = 1, CLI_GDB_SEEN_RSP = 2 };
/*
 * One line of gdb's `info registers` ("rip  0x7f...  0x7f... <f+19>"): sets
 * the named register in *regs and returns true if it is one of struct
 * pgm_regs; other lines (k0, ymm, text) are ignored.
 */
struct pgm_regs;
bool cli_gdb_register_line(const char *line, struct pgm_regs *regs, unsigned *seen);

/* A process id: all digits, > 0.  False if not. */
bool cli_parse_pid(const char *s, int32_t *ret);
/* Milliseconds, at most 600000.  False if not. */
bool cli_parse_ms(const char *s, unsigned *ret);

/*
 * Several cores, analyzed and grouped by instance (common.c): cores
 * of one instance become one struct pgm_instance holding their reports.
 * Errors are reported on stderr; returns EXIT_COMPLETE, or EXIT_UNUSABLE
 * if some core could not be used (the others are still there).
 */
struct cli_core {
	const char *path;
	struct pgm_target *target;
	struct pgm_program *program;   /* NULL if the core could not be opened */
	struct pgm_instance_id id;
	struct pgm_report *report;     /* until handed to its instance */
	int group;
};
struct cli_instances {
	struct cli_core *cores;
	size_t n_cores;
	struct pgm_instance **instances;   /* one per group, in the order of their first core */
	size_t n_instances;
};
/* Each path is a core or a bundle (by content): a bundle gives each of its captures. */
int cli_instances_open(char **paths, size_t n, const struct cli_common *common, bool locks,
		       struct cli_instances *s);
/* Targets opened already (live processes), each with its label for messages. */
struct cli_target {
	struct pgm_target *target;
	const char *label;
};
struct cli_targets {
	struct cli_target *items;
	size_t n;
};
/*
 * The targets of `path`, appended to out: a core, or each capture of a
 * bundle (recognised by content).  Errors are reported on stderr; returns
 * EXIT_COMPLETE or EXIT_UNUSABLE.
 */
int cli_open_path(const char *path, const struct cli_common *common, struct cli_targets *out);
/* Appends t (destroyed if out of memory); label must outlive the instances. */
struct pgm_error *cli_targets_add(struct cli_targets *l, struct pgm_target *t, const char *label);
/* The same as cli_instances_open over opened targets, which it takes over. */
int cli_instances_build(struct cli_targets *targets, const struct cli_common *common, bool locks,
			struct cli_instances *s);
void cli_instances_close(struct cli_instances *s);
/* The DWARF view `types` and `print` read: of CORE's program, or of EXE alone. */
struct cli_dwarf {
	struct pgm_target *target;     /* NULL without a core */
	struct pgm_program *program;   /* NULL without a core */
	struct pgm_dwarf *dwarf;
};
/* Opens it; false when it cannot be (the error is reported on stderr). */
bool cli_dwarf_open(const char *core, const struct cli_common *common, struct cli_dwarf *d);
void cli_dwarf_close(struct cli_dwarf *d);

/* Exit 1 (partial) for analyze and live: memory, debuginfo or frames missing, or who is queued with it unknown. */
bool cli_report_is_partial(const struct pgm_report *r);

#endif
