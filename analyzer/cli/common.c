/* Options and error reporting shared by the subcommands. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pgmortem/analyze.h"
#include "pgmortem/bundle_file.h"

void cli_common_init(struct cli_common *common)
{
	memset(common, 0, sizeof(*common));
	common->format = CLI_FORMAT_TEXT;
	common->renders_program_warnings = true;
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
			cli_usage_error(NULL, "at most %d --debug-dir options", CLI_MAX_DEBUG_DIRS);
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
			cli_error("--debuginfod: cannot set DEBUGINFOD_URLS");
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
			char list[64] = "";
			for (const char *const *f = allowed_formats; *f; f++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 f == allowed_formats ? "" : f[1] ? ", " : " or ", *f);
			cli_usage_error(NULL, "--format %s: the formats are %s", arg, list);
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
		cli_error("warning: %s", p->failure);
	if (!tty || p->done)
		return;
	fprintf(stderr, "pgmortem: debuginfod: fetching the %s of %s: %.1f MB", p->what,
		base_name(p->module), (double)p->bytes / 1e6);
	if (p->total > 0)
		fprintf(stderr, " of %.1f MB", (double)p->total / 1e6);
}

bool cli_take_option(struct cli_common *common, int opt, const char *arg,
		     const char *const *allowed_formats, char **argv)
{
	int handled = opt == '?' || opt == ':' ? 0 : cli_parse_common(common, opt, arg, allowed_formats);
	if (handled == 0)
		cli_option_error(opt, argv);
	return handled > 0;
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

/*
 * The command every message names: set once by main() before the command
 * runs, like getopt's opterr, so that each of the many error sites need not
 * carry it.
 */
static const char *command;

void cli_set_command(const char *name)
{
	command = name;
}

/* "pgmortem: " and the command, the start of every line on stderr. */
static void prefix(const char *cmd)
{
	if (!cmd)
		cmd = command;
	fprintf(stderr, "pgmortem: %s%s", cmd ? cmd : "", cmd ? ": " : "");
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	prefix(NULL);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_report_error(const char *context, const struct pgm_error *err)
{
	prefix(NULL);
	fprintf(stderr, "%s%s%s\n", context ? context : "", context ? ": " : "", err->message);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	if (!cmd)
		cmd = command;
	prefix(cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'pgmortem %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int cli_option_error(int opt, char **argv)
{
	const char *given = argv[optind - 1];
	if (opt == ':')
		return cli_usage_error(NULL, "option '%s' needs an argument", given);
	/* a short one may sit inside a cluster ("-xe"), and argv[optind - 1] be another word */
	if (optopt > 0 && optopt < 128 && strncmp(given, "--", 2) != 0)
		return cli_usage_error(NULL, "unknown option '-%c'", optopt);
	return cli_usage_error(NULL, "unknown option '%s'", given);
}

void cli_report_warnings(const char *context, const struct pgm_target *target,
			 struct pgm_program *program)
{
	size_t n = 0;
	const char *const *warnings = program ? pgm_program_warnings(program, &n) : NULL;
	for (size_t i = 0; target && i < target->n_warnings; i++)
		cli_error("%s: warning: %s", context, target->warnings[i]);
	for (size_t i = 0; i < n; i++)
		cli_error("%s: warning: %s", context, warnings[i]);
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

/* ---- numbers ---- */

bool cli_parse_pid(const char *s, int32_t *ret)
{
	char *end;
	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return false;
	long v = strtol(s, &end, 10);
	if (*end || v <= 0 || v > 0x3fffffff)
		return false;
	*ret = (int32_t)v;
	return true;
}

bool cli_parse_ms(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 600000)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* ---- the DWARF view of `types` and `print` ---- */

bool cli_dwarf_open(const char *core, const struct cli_common *common, struct cli_dwarf *d)
{
	struct pgm_error *err;
	memset(d, 0, sizeof(*d));
	if (!core) {
		err = pgm_dwarf_open_file(common->exe, common->debug_dirs, common->n_debug_dirs,
					  &d->dwarf);
	} else {
		struct pgm_program_options opts;
		cli_program_options(common, &opts);
		err = pgm_target_core_open(core, common->sysroot, &d->target);
		if (!err)
			err = pgm_program_create(d->target, &opts, &d->program);
		if (!err)
			err = pgm_dwarf_create(d->program, &d->dwarf);
		if (!err)
			err = pgm_target_check(d->target);
		cli_report_warnings(core, d->target, d->program);
	}
	if (!err)
		return true;
	cli_report_error(core ? core : common->exe, err);
	pgm_error_destroy(err);
	cli_dwarf_close(d);
	return false;
}

void cli_dwarf_close(struct cli_dwarf *d)
{
	pgm_dwarf_destroy(d->dwarf);
	pgm_program_destroy(d->program);
	pgm_target_destroy(d->target);
	memset(d, 0, sizeof(*d));
}

/* Something the report shows as unknown: memory, debuginfo, frames, or who is queued with it. */
bool cli_report_is_partial(const struct pgm_report *r)
{
	if (r->n_missing || !r->debuginfo || !r->n_stacks)
		return true;
	for (size_t i = 0; i < r->n_stacks; i++)
		if (r->stacks[i]->stop_reason)
			return true;
	for (size_t i = 0; r->wait.kind == PGM_WAIT_CONDITION_VARIABLE && i < r->n_group; i++)
		if (r->group[i].queued_on_same == PGM_QUEUED_UNKNOWN)
			return true;
	return false;
}

/* ---- several cores, grouped by instance ---- */

/*
 * Everything an analysis of a capture needs, in the order every command
 * does it (a bundle replays exactly these reads: pgmortem bundle records
 * them here).
 */
static int analyze_capture(struct cli_core *c, const struct cli_common *common)
{
	struct pgm_program_options popts;
	cli_program_options(common, &popts);
	popts.symbols_only_libraries = true;   /* the analysis needs only PostgreSQL's DWARF */
	struct pgm_error *err = NULL;
	if (common->record_reads && !c->target->read_log)
		err = pgm_target_record_start(c->target);
	if (!err)
		err = pgm_program_create(c->target, &popts, &c->program);
	if (!err)
		err = pgm_program_set_layout_cache(c->program, common->layout_cache);
	if (!err)
		err = pgm_instance_identify(c->program, &c->id);
	if (!err)
		err = pgm_analyze(c->program, NULL, &c->report);
	/* a core cut or rewritten while it was read: what was read from it is not to be shown */
	if (!err && (err = pgm_target_check(c->target))) {
		pgm_report_destroy(c->report);
		c->report = NULL;
	}
	cli_report_warnings(c->path, c->target, c->program);
	if (err) {
		cli_report_error(c->path, err);
		pgm_error_destroy(err);
		return EXIT_UNUSABLE;
	}
	return EXIT_COMPLETE;
}

/* The cores of group g become one instance, read from its first core. */
static int build_instance(struct cli_instances *s, size_t first, bool locks)
{
	struct cli_core *base = &s->cores[first];
	struct pgm_instance_options opts = { .locks = locks };
	struct pgm_instance *inst = NULL;
	struct pgm_error *err = pgm_instance_read(base->program, &opts, &inst);
	for (size_t i = first; !err && i < s->n_cores; i++) {
		struct cli_core *c = &s->cores[i];
		if (c->group != base->group || !c->report)
			continue;
		err = pgm_instance_add_report(inst, c->report);
		c->report = NULL;
	}
	if (!err)
		err = pgm_instance_link(inst, base->program);
	if (!err)
		err = pgm_target_check(base->target);
	if (err) {
		cli_report_error(base->path, err);
		pgm_error_destroy(err);
		pgm_instance_destroy(inst);
		return EXIT_UNUSABLE;
	}
	s->instances[s->n_instances++] = inst;
	return EXIT_COMPLETE;
}

/* Cores join the group of the first earlier core of the same instance; unknown identities stay alone. */
static void group_cores(struct cli_instances *s)
{
	int groups = 0;
	for (size_t i = 0; i < s->n_cores; i++) {
		s->cores[i].group = -1;
		for (size_t k = 0; k < i && s->cores[i].group < 0; k++)
			if (s->cores[k].program && pgm_instance_id_equal(&s->cores[i].id, &s->cores[k].id))
				s->cores[i].group = s->cores[k].group;
		if (s->cores[i].group < 0)
			s->cores[i].group = groups++;
	}
}

int cli_open_path(const char *path, const struct cli_common *common, struct cli_targets *out)
{
	struct pgm_error *err;
	if (!pgm_bundle_file_is_bundle(path)) {
		struct pgm_target *t;
		if (!(err = pgm_target_core_open(path, common->sysroot, &t)) && !(err = cli_targets_add(out, t, path)))
			return EXIT_COMPLETE;
	} else {
		struct pgm_bundle_file *b;
		if (!(err = pgm_bundle_file_open(path, &b))) {
			for (size_t i = 0; !err && i < pgm_bundle_file_captures(b); i++) {
				struct pgm_target *t;
				if (!(err = pgm_target_bundle_open(b, i, &t)))
					err = cli_targets_add(out, t, path);
			}
			pgm_bundle_file_release(b);
		}
		if (!err)
			return EXIT_COMPLETE;
	}
	cli_report_error(path, err);
	pgm_error_destroy(err);
	return EXIT_UNUSABLE;
}

struct pgm_error *cli_targets_add(struct cli_targets *l, struct pgm_target *t, const char *label)
{
	struct cli_target *grown = realloc(l->items, (l->n + 1) * sizeof(*grown));
	if (!grown) {
		pgm_target_destroy(t);
		return &pgm_enomem;
	}
	l->items = grown;
	l->items[l->n++] = (struct cli_target){ t, label };
	return NULL;
}

int cli_instances_open(char **paths, size_t n, const struct cli_common *common, bool locks,
		       struct cli_instances *s)
{
	struct cli_targets targets = { 0 };
	int rc = EXIT_COMPLETE;
	for (size_t i = 0; i < n; i++)
		if (cli_open_path(paths[i], common, &targets) != EXIT_COMPLETE)
			rc = EXIT_UNUSABLE;
	int rc2 = cli_instances_build(&targets, common, locks, s);
	return rc2 != EXIT_COMPLETE ? rc2 : rc;
}

int cli_instances_build(struct cli_targets *targets, const struct cli_common *common, bool locks,
			struct cli_instances *s)
{
	int rc = EXIT_COMPLETE;
	size_t n = targets->n;
	memset(s, 0, sizeof(*s));
	s->cores = calloc(n + 1, sizeof(*s->cores));
	s->instances = calloc(n + 1, sizeof(*s->instances));
	if (!s->cores || !s->instances) {
		for (size_t i = 0; i < n; i++)
			pgm_target_destroy(targets->items[i].target);
		free(targets->items);
		return cli_error("out of memory"), EXIT_UNUSABLE;
	}
	s->n_cores = n;
	for (size_t i = 0; i < n; i++) {
		s->cores[i].path = targets->items[i].label;
		s->cores[i].target = targets->items[i].target;
		if (analyze_capture(&s->cores[i], common) != EXIT_COMPLETE)
			rc = EXIT_UNUSABLE;
	}
	free(targets->items);
	memset(targets, 0, sizeof(*targets));
	group_cores(s);
	/* decided before any report moves into its instance */
	bool *first = calloc(n + 1, sizeof(*first));
	if (!first)
		return cli_error("out of memory"), EXIT_UNUSABLE;
	for (size_t i = 0; i < n; i++) {
		first[i] = s->cores[i].report != NULL;   /* the first usable core of its group */
		for (size_t k = 0; k < i && first[i]; k++)
			first[i] = s->cores[k].group != s->cores[i].group || !s->cores[k].report;
	}
	for (size_t i = 0; i < n; i++)
		if (first[i] && build_instance(s, i, locks) != EXIT_COMPLETE)
			rc = EXIT_UNUSABLE;
	free(first);
	return rc;
}

void cli_instances_close(struct cli_instances *s)
{
	for (size_t i = 0; i < s->n_instances; i++)
		pgm_instance_destroy(s->instances[i]);
	for (size_t i = 0; i < s->n_cores; i++) {
		pgm_report_destroy(s->cores[i].report);
		pgm_instance_id_deinit(&s->cores[i].id);
		pgm_program_destroy(s->cores[i].program);
		pgm_target_destroy(s->cores[i].target);
	}
	free(s->instances);
	free(s->cores);
}

/* ---- the command ---- */
