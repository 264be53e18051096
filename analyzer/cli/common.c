/* Options and error reporting shared by the subcommands. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

void cli_common_init(struct cli_common *common)
{
	memset(common, 0, sizeof(*common));
	common->format = CLI_FORMAT_TEXT;
	const char *no_color = getenv("NO_COLOR");
	common->color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

static bool format_allowed(const char *name, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(*allowed, name) == 0)
			return true;
	return false;
}

int cli_parse_common(struct cli_common *common, int opt, const char *arg,
		     const char *const *allowed_formats)
{
	switch (opt) {
	case 'e':
		common->exe = arg;
		return 1;
	case OPT_DEBUG_DIR:
		if (common->n_debug_dirs == CLI_MAX_DEBUG_DIRS) {
			fprintf(stderr, "pgmortem: at most %d --debug-dir options\n", CLI_MAX_DEBUG_DIRS);
			return -1;
		}
		common->debug_dirs[common->n_debug_dirs++] = arg;
		return 1;
	case OPT_SYSROOT:
		common->sysroot = arg;
		return 1;
	case OPT_DEBUGINFOD:
		/* libdebuginfod reads its servers from the environment only */
		if (setenv("DEBUGINFOD_URLS", arg, 1) != 0) {
			fprintf(stderr, "pgmortem: --debuginfod: cannot set DEBUGINFOD_URLS\n");
			return -1;
		}
		return 1;
	case OPT_CACHE_DIR:
		common->cache_dir = arg;
		return 1;
	case OPT_NO_CACHE:
		common->no_cache = true;
		return 1;
	case OPT_FORMAT:
		if (!format_allowed(arg, allowed_formats)) {
			fprintf(stderr, "pgmortem: unknown --format '%s'\n", arg);
			return -1;
		}
		common->format = strcmp(arg, "json") == 0 ? CLI_FORMAT_JSON
			       : strcmp(arg, "dot") == 0  ? CLI_FORMAT_DOT
							  : CLI_FORMAT_TEXT;
		return 1;
	default:
		return 0;
	}
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path ? path : "?";
}

/* A progress line, redrawn in place, on a terminal only; a failure always. */
static void fetch_progress(void *arg, const struct pgm_fetch_progress *p)
{
	const struct cli_common *common = arg;
	bool tty = isatty(STDERR_FILENO);
	if (tty)
		fputs("\r\033[K", stderr);
	if (p->failure && !common->renders_program_warnings)
		fprintf(stderr, "pgmortem: warning: %s\n", p->failure);
	if (!tty || p->done)
		return;
	fprintf(stderr, "pgmortem: debuginfod: fetching the %s of %s: %.1f MB", p->what,
		base_name(p->module), (double)p->bytes / 1e6);
	if (p->total > 0)
		fprintf(stderr, " of %.1f MB", (double)p->total / 1e6);
}

void cli_program_options(const struct cli_common *common, struct pgm_program_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->fetch_progress = fetch_progress;
	opts->fetch_progress_arg = (void *)common;
	opts->exe = common->exe;
	opts->debug_dirs = common->debug_dirs;
	opts->n_debug_dirs = common->n_debug_dirs;
	opts->sysroot = common->sysroot;
}

void cli_report_error(const char *context, const struct pgm_error *err)
{
	if (context)
		fprintf(stderr, "pgmortem: %s: %s\n", context, err->message);
	else
		fprintf(stderr, "pgmortem: %s\n", err->message);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("pgmortem: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'pgmortem %s%s--help' for more information\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

char *cli_layout_cache_dir(const char *override)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	int rc;
	if (override)
		return strdup(override);
	if (xdg && *xdg == '/')
		rc = asprintf(&dir, "%s/pgmortem/layouts", xdg);
	else if (home && *home)
		rc = asprintf(&dir, "%s/.cache/pgmortem/layouts", home);
	else
		return NULL;
	return rc < 0 ? NULL : dir;
}

char *cli_common_layout_cache(struct cli_common *common)
{
	char *dir = common->no_cache ? NULL : cli_layout_cache_dir(common->cache_dir);
	common->layout_cache = dir;
	return dir;
}
