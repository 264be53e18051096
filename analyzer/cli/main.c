/* pgmortem command-line entry point: dispatches to subcommands. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
	{ "bundle", cmd_bundle, "a small, private file of what the analysis read: analyzable anywhere, no binaries" },
	{ "profile", cmd_profile, "a layout profile of a PostgreSQL major version, for builds without debuginfo" },
	{ "gdb", cmd_gdb, "the helper of share/pgmortem/pgmortem.gdb: pgmortem inside gdb, no Python" },
};

static void usage(FILE *out)
{
	fputs("usage: pgmortem COMMAND [OPTIONS] ...\n"
	      "       pgmortem CORE [OPTIONS]      (pgmortem analyze CORE)\n"
	      "       pgmortem PID [OPTIONS]       (pgmortem live PID)\n\n"
	      "Explains why a PostgreSQL backend is stuck, from a core file, a support bundle\n"
	      "or a live process.\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'pgmortem COMMAND --help' for a command's options.\n"
	      "\nExit codes: 0 complete, 1 partial (some frames, modules or memory\n"
	      "missing), 2 nothing usable (bad input), 64 usage error.\n", out);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static bool is_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/*
 * What a person types without a command: a core file (any name, "core"
 * included), a pid, or options first.  "analyze", "live", or NULL for a
 * word that is neither a file nor a number.
 */
static const char *implied_command(int argc, char **argv)
{
	const char *first = argv[1], *last = argv[argc - 1];
	if (first[0] == '-')
		return is_number(last) && !exists(last) ? "live" : "analyze";
	if (is_number(first) && !exists(first))
		return "live";
	if (exists(first) || strchr(first, '/') || strchr(first, '.'))
		return "analyze";
	return NULL;
}

/* Levenshtein distance, for words of a few letters. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32];
	if (la >= 32 || lb >= 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The command a mistyped word most likely meant, NULL if none is close. */
static const char *closest_command(const char *word)
{
	const char *best = NULL;
	size_t best_d = 3;   /* two typos at most */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *name = commands[i].name;
		size_t d = strncmp(word, name, strlen(word)) == 0 && strlen(word) >= 2 ? 0 : distance(word, name);
		if (d < best_d && d < strlen(name))
			best = name, best_d = d;
	}
	return best;
}

static int run_command(const char *name, int argc, char **argv)
{
	const struct command *c = find_command(name);
	cli_set_command(c->name);
	return c->run(argc, argv);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr), EXIT_USAGE;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2))
		return usage(stdout), EXIT_COMPLETE;
	if (strcmp(argv[1], "--version") == 0)
		return puts("pgmortem " PGMORTEM_VERSION), EXIT_COMPLETE;
	if (strcmp(argv[1], "help") == 0) {
		if (!find_command(argv[2]))
			return cli_usage_error(NULL, "help: '%s' is not a command", argv[2]);
		return run_command(argv[2], 2, (char *[]){ argv[2], "--help", NULL });
	}
	if (find_command(argv[1]))
		return run_command(argv[1], argc - 1, argv + 1);
	/* argv[0] stands for the command word the person left out */
	const char *implied = implied_command(argc, argv);
	if (implied)
		return run_command(implied, argc, argv);
	const char *close = closest_command(argv[1]);
	if (close)
		return cli_usage_error(NULL, "'%s' is neither a command nor a file; did you mean '%s'?",
				       argv[1], close);
	return cli_usage_error(NULL, "'%s' is neither a command nor a file", argv[1]);
}
