/* pgmortem profile: a layout profile of a PostgreSQL major version, from DWARF builds of it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pg/profile.h"

static const char usage_text[] =
	"usage: pgmortem profile EXE... [--debug-dir DIR]... -o FILE\n"
	"\n"
	"Makes a layout profile of a PostgreSQL major version from executables\n"
	"with DWARF (debug builds, or builds whose separate debuginfo is in a\n"
	"--debug-dir): what the analysis reads from DWARF that every build of that\n"
	"major shares on x86_64 (struct layouts, enumerators and wait event names,\n"
	"the lock word's bits) and how a build without debuginfo finds each global\n"
	"(its .dynsym, the contents of constants, or the shared-memory index).\n"
	"With several EXEs (all of one major) each must yield the same profile.\n"
	"\n"
	"pgmortem uses a profile for a stripped postgres with no debuginfo\n"
	"anywhere, after checking it against the executable and the capture.  It\n"
	"looks in $" PGM_PG_PROFILE_PATH_ENV " (directories or files, colon-separated),\n"
	"~/.local/share/pgmortem/profiles, then the profiles shipped with pgmortem;\n"
	"in a directory, the profile of major M is postgresql-M.json.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE   write the profile to FILE ('-': standard output)\n"
	"  --debug-dir DIR     also look for separate debuginfo in DIR; repeatable\n"
	"  --help              this text\n"
	"\n"
	"Example:\n"
	"  pgmortem profile /usr/local/pgsql-16/bin/postgres \\\n"
	"      -o ~/.local/share/pgmortem/profiles/postgresql-16.json\n"
	"\n"
	"Exit codes: 0 written, 2 no profile (no DWARF, builds that differ, unwritable\n"
	"FILE), 64 usage error.\n";

struct profile_args {
	struct cli_common common;
	const char *output;
	const char *const *exes;
	size_t n_exes;
};

static int parse_args(int argc, char **argv, struct profile_args *a)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	int opt;
	cli_common_init(&a->common);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return EXIT_COMPLETE;
		}
		if (opt == 'o')
			a->output = optarg;
		else if (opt != OPT_DEBUG_DIR || cli_parse_common(&a->common, opt, optarg, NULL) <= 0)
			return cli_usage_error("profile", "bad option");
	}
	if (optind >= argc)
		return cli_usage_error("profile", "profile: name at least one executable with DWARF");
	if (!a->output)
		return cli_usage_error("profile", "profile: say where to write it (-o FILE)");
	a->exes = (const char *const *)&argv[optind];
	a->n_exes = (size_t)(argc - optind);
	return -1;
}

/* Written beside FILE, then renamed over it: a reader never sees half a profile. */
static int write_profile(const char *path, const char *text)
{
	char *tmp = NULL;
	FILE *f = NULL;
	bool ok = strcmp(path, "-") == 0 ? fputs(text, stdout) >= 0 && fputc('\n', stdout) != EOF
		: asprintf(&tmp, "%s.tmp%d", path, (int)getpid()) >= 0 && (f = fopen(tmp, "we")) &&
		  fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f) != 0)
		ok = false;
	if (ok && tmp && rename(tmp, path) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "pgmortem: profile: cannot write %s: %s\n", path, strerror(errno));
	if (tmp && !ok)
		unlink(tmp);
	free(tmp);
	return ok ? EXIT_COMPLETE : EXIT_UNUSABLE;
}

int cmd_profile(int argc, char **argv)
{
	struct profile_args a = { 0 };
	int status = parse_args(argc, argv, &a);
	if (status >= 0)
		return status;
	/* libdwfl takes a relative directory as one beside the executable: make them absolute */
	char *dirs[CLI_MAX_DEBUG_DIRS];
	for (size_t i = 0; i < a.common.n_debug_dirs; i++)
		if (!(dirs[i] = realpath(a.common.debug_dirs[i], NULL)) && !(dirs[i] = strdup(a.common.debug_dirs[i])))
			return EXIT_UNUSABLE;
	char *json = NULL, *summary = NULL;
	struct pgm_error *err = pgm_pg_profile_make(a.exes, a.n_exes, (const char *const *)dirs,
						   a.common.n_debug_dirs, &json, &summary);
	for (size_t i = 0; i < a.common.n_debug_dirs; i++)
		free(dirs[i]);
	if (err) {
		cli_report_error("profile", err);
		status = err->code == PGM_ERR_USAGE ? EXIT_USAGE : EXIT_UNUSABLE;
		pgm_error_destroy(err);
		return status;
	}
	status = write_profile(a.output, json);
	if (status == EXIT_COMPLETE && strcmp(a.output, "-") != 0)
		printf("%s: %s\n", a.output, summary);
	free(json);
	free(summary);
	return status;
}
