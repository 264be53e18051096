/* pgmortem command-line entry point: dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "analyze", cmd_analyze, "why the backend in a core is stuck, verdict first (the default)" },
	{ "stack", cmd_stack, "symbolized stacks of every thread, as gdb's bt shows them" },
	{ "types", cmd_types, "layouts of structs, unions and enums, as pahole shows them" },
	{ "print", cmd_print, "values of globals and frame variables in a core, as gdb prints them" },
	{ "backends", cmd_backends, "every backend of the instance, as pg_stat_activity showed it, and who waits on whom" },
	{ "locks", cmd_locks, "every heavyweight lock of the instance, as pg_locks showed it" },
	{ "batch", cmd_batch, "many cores at once, in parallel: JSON Lines, grouped problems, JUnit" },
	{ "live", cmd_live, "the same analysis of a running process, stopped for milliseconds" },
	{ "snapshot", cmd_snapshot, "write a core of a running process, with the shared memory gcore drops" },
	{ "profile", cmd_profile, "a layout profile of a PostgreSQL major version, for builds without debuginfo" },
	{ "gdb", cmd_gdb, "the helper of share/pgmortem/pgmortem.gdb: pgmortem inside gdb, no Python" },
};

static void usage(FILE *out)
{
	fputs("usage: pgmortem COMMAND [OPTIONS] ...\n\n"
	      "Explains why a PostgreSQL backend is stuck, from a core file or a live process.\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'pgmortem COMMAND --help' for a command's options.\n"
	      "\nExit codes: 0 complete, 1 partial (some frames, modules or memory\n"
	      "missing), 2 nothing usable (bad input), 64 usage error.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr), EXIT_USAGE;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout), EXIT_COMPLETE;
	if (strcmp(argv[1], "--version") == 0)
		return puts("pgmortem " PGMORTEM_VERSION), EXIT_COMPLETE;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	/* "pgmortem PID" is "pgmortem live PID" */
	if (argv[1][0] && strspn(argv[1], "0123456789") == strlen(argv[1]))
		return cmd_live(argc, argv);
	/* "pgmortem CORE" is "pgmortem analyze CORE": a path, not a command word */
	if (strchr(argv[1], '/') || strchr(argv[1], '.'))
		return cmd_analyze(argc, argv);
	return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
}
