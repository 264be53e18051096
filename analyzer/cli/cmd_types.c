/* pgmortem types: layouts of structs, unions and enums, as pahole shows them. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "pgmortem/print.h"

static const char usage_text[] =
	"usage: pgmortem types NAME... [-e EXE | CORE] [--debug-dir DIR]... [--sysroot DIR]\n"
	"                      [--format text|json]\n"
	"\n"
	"Prints the layout of each named struct, union or enum from the DWARF of\n"
	"EXE, or of the executable CORE ran, the way `pahole -C NAME` does: each\n"
	"member with its type, offset and size (bit-fields as offset:bit), holes,\n"
	"cacheline boundaries and a size summary.  Only the compilation units that\n"
	"define the names are read.\n"
	"\n"
	"NAME is a typedef or tag (\"PGPROC\", \"struct PGPROC\", \"enum BTPS_State\"),\n"
	"optionally FILE:NAME for the definition in one source file's unit\n"
	"(\"nbtree.c:BTParallelScanDescData\") when several files define a type of\n"
	"that name.\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE       read types from EXE (with CORE: the executable to use)\n"
	"  --debug-dir DIR     also look for separate debuginfo in DIR; repeatable\n"
	"  --sysroot DIR       find CORE's executable and libraries under DIR\n"
	"  --format FORMAT     text (default) or json (\"schema\": 1)\n"
	"  --help              this text\n"
	"\n"
	"Examples:\n"
	"  pgmortem types PGPROC -e /usr/lib/postgresql/15/bin/postgres\n"
	"  pgmortem types BTParallelScanDescData BTPS_State core.14502\n"
	"\n"
	"Exit codes: 0 every name shown, 1 some names not found (stderr says which),\n"
	"2 nothing shown (no debuginfo, unreadable input), 64 usage error.\n";

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Positional arguments: names, and at most one existing file, the core. */
static int split_positionals(int argc, char **argv, const char **core, char ***names, size_t *n)
{
	*names = calloc((size_t)argc, sizeof(**names));
	*n = 0;
	if (!*names)
		return EXIT_UNUSABLE;
	for (int i = optind; i < argc; i++) {
		if (!is_file(argv[i])) {
			(*names)[(*n)++] = argv[i];
		} else if (*core) {
			free(*names);
			return cli_usage_error("types", "types: two files given ('%s', '%s'); one core at most",
					       *core, argv[i]);
		} else {
			*core = argv[i];
		}
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct cli_common *common, const char **core,
		      char ***names, size_t *n)
{
	static const struct option longopts[] = { CLI_COMMON_LONGOPTS, { 0 } };
	static const char *const formats[] = { "text", "json", NULL };
	int opt;
	cli_common_init(common);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return EXIT_COMPLETE;
		}
		int r = cli_parse_common(common, opt, optarg, formats);
		if (r <= 0)
			return cli_usage_error("types", "bad option");
	}
	*core = NULL;
	int status = split_positionals(argc, argv, core, names, n);
	if (status >= 0)
		return status;
	if (!*core && !common->exe)
		status = cli_usage_error("types", "types: give an executable (-e EXE) or a core file");
	else if (*n == 0)
		status = cli_usage_error("types", "types: name at least one type");
	if (status >= 0)
		free(*names);
	return status;
}

int cli_dwarf_open(const char *core, const struct cli_common *common, struct cli_dwarf *d)
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
	}
	if (!err)
		return -1;
	cli_report_error(core ? core : common->exe, err);
	pgm_error_destroy(err);
	cli_dwarf_close(d);
	return EXIT_UNUSABLE;
}

void cli_dwarf_close(struct cli_dwarf *d)
{
	pgm_dwarf_destroy(d->dwarf);
	pgm_program_destroy(d->program);
	pgm_target_destroy(d->target);
	memset(d, 0, sizeof(*d));
}

/* "nbtree.c:BTParallelScanDescData" -> hint "nbtree.c", name after the colon. */
static struct pgm_error *layout_of(struct pgm_dwarf *dw, const char *arg, struct pgm_layout **ret)
{
	char hint[256];
	const char *colon = strchr(arg, ':'), *name = colon ? colon + 1 : arg;
	if (colon)
		snprintf(hint, sizeof(hint), "%.*s", (int)(colon - arg), arg);
	struct pgm_type type;
	struct pgm_error *err = pgm_type_find(dw, name, colon ? hint : NULL, &type);
	if (!err)
		err = pgm_type_layout(dw, &type, ret);
	return err;
}

static bool add_error(struct json_object *errors, const char *name, const struct pgm_error *err)
{
	struct json_object *e = json_object_new_object();
	if (!e || json_object_object_add(e, "name", json_object_new_string(name)) ||
	    json_object_object_add(e, "error", json_object_new_string(err->message)) ||
	    json_object_array_add(errors, e)) {
		json_object_put(e);
		return false;
	}
	return true;
}

/* Prints what it can; returns how many names failed, -1 if out of memory. */
static int show(struct pgm_dwarf *dw, char **names, size_t n, enum cli_format format,
		struct json_object *types, struct json_object *errors)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct pgm_layout *l;
		struct pgm_error *err = layout_of(dw, names[i], &l);
		if (err == &pgm_enomem)
			return -1;
		if (err) {
			failed++;
			bool ok = format == CLI_FORMAT_JSON ? add_error(errors, names[i], err)
							    : (cli_report_error(NULL, err), true);
			pgm_error_destroy(err);
			if (!ok)
				return -1;
			continue;
		}
		if (format == CLI_FORMAT_JSON) {
			struct json_object *o = pgm_print_layout_json(l);
			if (!o || json_object_array_add(types, o)) {
				json_object_put(o);
				pgm_layout_destroy(l);
				return -1;
			}
		} else {
			if (i > (size_t)failed)
				fputc('\n', stdout);
			pgm_print_layout_text(stdout, l);
		}
		pgm_layout_destroy(l);
	}
	return failed;
}

static int run(struct pgm_dwarf *dw, char **names, size_t n, enum cli_format format)
{
	struct json_object *doc = json_object_new_object(), *types = json_object_new_array(),
			   *errors = json_object_new_array();
	int failed = -1;
	if (doc && types && errors && !json_object_object_add(doc, "schema", json_object_new_int(1)))
		failed = show(dw, names, n, format, types, errors);
	if (failed >= 0 && format == CLI_FORMAT_JSON) {
		json_object_object_add(doc, "types", json_object_get(types));
		json_object_object_add(doc, "errors", json_object_get(errors));
		puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(types);
	json_object_put(errors);
	json_object_put(doc);
	if (failed < 0) {
		cli_report_error(NULL, &pgm_enomem);
		return EXIT_UNUSABLE;
	}
	return failed == 0 ? EXIT_COMPLETE : (size_t)failed < n ? EXIT_PARTIAL : EXIT_UNUSABLE;
}

int cmd_types(int argc, char **argv)
{
	struct cli_common common;
	const char *core = NULL;
	char **names = NULL;
	size_t n = 0;
	int status = parse_args(argc, argv, &common, &core, &names, &n);
	if (status >= 0)
		return status;
	struct cli_dwarf d;
	status = cli_dwarf_open(core, &common, &d);
	if (status < 0) {
		status = run(d.dwarf, names, n, common.format);
		cli_dwarf_close(&d);
	}
	free(names);
	return status;
}
