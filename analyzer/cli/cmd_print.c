/* pgmortem print: values of globals, statics and frame variables in a core, as gdb prints them. */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "pg/pg.h"
#include "pgmortem/bundle_file.h"
#include "pgmortem/print.h"
#include "pgmortem/value.h"

static const char usage_text[] =
	"usage: pgmortem print CORE EXPR... [-e EXE] [--thread N] [--debug-dir DIR]...\n"
	"                      [--sysroot DIR] [--format text|json]\n"
	"\n"
	"Evaluates each EXPR in the process CORE captured and prints its value the\n"
	"way gdb's `print` does: structs member by member, enums by name, strings,\n"
	"pointers in hex.  A member in memory the core does not contain prints as\n"
	"<not captured at 0x... (mapping ...)> and the rest carries on.\n"
	"\n"
	"EXPR is a small C expression, in quotes for the shell ('->' and '*' are\n"
	"redirection and globbing to it):\n"
	"  'MyProc->pid'   '*MyLatch'   'ProcGlobal->allProcs[3].pid'   'held_lwlocks[0].lock'\n"
	"  '&x'   '(BTParallelScanDescData *)0x7f...'   '(char *)p + 16'\n"
	"  condition_variable.c:cv_sleep_target   a file-static of one file\n"
	"  'frame 14 query_string'   a parameter or local of frame 14 (gdb's\n"
	"                            numbering, inline frames included)\n"
	"\n"
	"CORE may be a support bundle (pgmortem bundle; its first capture): it answers\n"
	"the globals of pgmortem's layout table and the frame variables its analysis\n"
	"read, as integers (no types without the binaries); other expressions say so.\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE       the executable, if the core's recorded path is gone\n"
	"  --thread N          frames of thread N (index, default 0)\n"
	"  --debug-dir DIR     also look for separate debuginfo in DIR; repeatable\n"
	"  --debuginfod URL    fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n"
	"  --sysroot DIR       find the process's files under DIR\n"
	"  --format FORMAT     text (default) or json (\"schema\": 1)\n"
	"  --help              this text\n"
	"\n"
	"Examples:\n"
	"  pgmortem print core.14502 'MyProc->pid' 'ProcGlobal->allProcs[3].pid'\n"
	"  pgmortem print core.14502 'frame 6 scan' --format json\n"
	"\n"
	"Exit codes: 0 every expression evaluated, 1 some failed (stderr says why),\n"
	"2 nothing usable (unreadable core, no debuginfo), 64 usage error.\n";

enum { OPT_THREAD = 0x200 };

struct print_args {
	struct cli_common common;
	const char *core;
	char **exprs;
	size_t n_exprs;
	size_t thread;
};

static int parse_args(int argc, char **argv, struct print_args *a)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS, { "thread", required_argument, NULL, OPT_THREAD }, { 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	int opt;
	char *end;
	cli_common_init(&a->common);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return EXIT_COMPLETE;
		}
		if (opt == OPT_THREAD) {
			a->thread = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage_error("print", "--thread %s: not a thread number", optarg);
			continue;
		}
		if (!cli_take_option(&a->common, opt, optarg, formats, argv))
			return EXIT_USAGE;
	}
	if (argc - optind < 2)
		return cli_usage_error("print", "a core file and at least one expression are required");
	a->core = argv[optind];
	a->exprs = argv + optind + 1;
	a->n_exprs = (size_t)(argc - optind - 1);
	return -1;
}

/* "frame 14 query_string" -> frame 14, "query_string"; else frame -1. */
static const char *split_frame(const char *expr, long *frame)
{
	const char *p = expr;
	char *end;
	*frame = -1;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "frame", 5) != 0 || !isspace((unsigned char)p[5]))
		return expr;
	long n = strtol(p + 5, &end, 10);
	if (end == p + 5 || n < 0 || !isspace((unsigned char)*end))
		return expr;
	*frame = n;
	while (isspace((unsigned char)*end))
		end++;
	return end;
}

struct session {
	struct cli_dwarf d;
	struct pgm_stack *stack;        /* unwound on first use */
	struct pgm_error *stack_err;
	size_t thread;
};

static struct pgm_error *session_stack(struct session *s, const struct pgm_stack **ret)
{
	if (!s->stack && !s->stack_err) {
		if (s->thread >= pgm_program_target(s->d.program)->n_threads)
			s->stack_err = pgm_error_create(PGM_ERR_USAGE, "no thread %zu in the core", s->thread);
		else
			s->stack_err = pgm_program_unwind(s->d.program, s->thread, &s->stack);
	}
	*ret = s->stack;
	return s->stack_err ? pgm_error_create(s->stack_err->code, "%s", s->stack_err->message) : NULL;
}

/* Evaluates one expression; the caller owns *ret. */
static struct pgm_error *evaluate(struct session *s, const char *expr, struct pgm_value *ret)
{
	long frame;
	const char *rest = split_frame(expr, &frame);
	struct pgm_value_scope scope = { s->d.dwarf, s->d.program, NULL, -1 };
	if (frame >= 0) {
		struct pgm_error *err = session_stack(s, &scope.stack);
		if (err)
			return err;
		if ((size_t)frame >= scope.stack->n_frames)
			return pgm_error_create(PGM_ERR_USAGE, "no frame %ld (the stack has %zu)", frame,
						scope.stack->n_frames);
		scope.frame = frame;
	}
	return pgm_value_eval(&scope, rest, ret);
}

static struct json_object *json_entry(struct session *s, const char *expr,
				      const struct pgm_value *v, const struct pgm_error *err)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "expression", json_object_new_string(expr));
	if (err) {
		json_object_object_add(o, "error", json_object_new_string(err->message));
		return o;
	}
	char *type, addr[32];
	if (!pgm_type_to_string(&v->type, NULL, &type)) {
		json_object_object_add(o, "type", json_object_new_string(type));
		free(type);
	}
	snprintf(addr, sizeof(addr), "0x%" PRIx64, v->address);
	json_object_object_add(o, "address", v->kind == PGM_VALUE_MEMORY ? json_object_new_string(addr)
									   : NULL);
	struct pgm_print_context ctx = { s->d.dwarf };
	json_object_object_add(o, "value", pgm_print_value_json(&ctx, v));
	return o;
}

/* Prints every expression; returns how many failed. */
static size_t print_all(struct session *s, char **exprs, size_t n, enum cli_format format,
			struct json_object *values)
{
	size_t failed = 0;
	struct pgm_print_context ctx = { s->d.dwarf };
	for (size_t i = 0; i < n; i++) {
		struct pgm_value v;
		struct pgm_error *err = evaluate(s, exprs[i], &v);
		if (!err && s->d.target && (err = pgm_target_check(s->d.target)))
			pgm_value_deinit(&v);
		if (format == CLI_FORMAT_JSON) {
			json_object_array_add(values, json_entry(s, exprs[i], &v, err));
		} else if (err) {
			cli_report_error(exprs[i], err);
		} else {
			printf("%s = ", exprs[i]);
			pgm_print_value_text(stdout, &ctx, &v);
			putchar('\n');
		}
		failed += err != NULL;
		if (err)
			pgm_error_destroy(err);
		else
			pgm_value_deinit(&v);
	}
	return failed;
}

/* ---- a bundle: globals of pgmortem's layout table and the frame variables it kept ---- */

static const char bundle_limits[] =
	"a bundle answers the globals of pgmortem's layout table (MyProcPid, "
	"InterruptHoldoffCount, ProcGlobal, ...) and the frame variables its analysis "
	"read, from the memory that analysis read; anything else needs the core and the binaries";

/* A global of layout.def by name: its address and size; or the frame variable the analysis kept. */
static struct pgm_error *bundle_value(struct pgm_program *prog, size_t thread, const char *expr,
				      uint64_t *addr, uint64_t *size, uint64_t *value)
{
	const struct pgm_pg_layout *l;
	long frame;
	const char *name = split_frame(expr, &frame);
	struct pgm_error *err = pgm_pg_program_layout(prog, &l);
	if (err)
		return err;
	if (frame >= 0) {
		struct pgm_stack *stack;
		if (thread >= pgm_program_target(prog)->n_threads)
			return pgm_error_create(PGM_ERR_USAGE, "no thread %zu in the bundle's capture", thread);
		if ((err = pgm_program_unwind(prog, thread, &stack)))
			return err;
		*addr = 0;
		*size = 8;
		err = pgm_pg_frame_pointer(prog, stack, (size_t)frame, name, value);
		pgm_stack_destroy(stack);
		return err;
	}
	for (size_t g = 0; g < PGM_G_COUNT; g++) {
		if (strcmp(pgm_pg_global_name(g), name) || !l->globals[g].found)
			continue;
		struct pgm_pg pg;
		pgm_pg_init(&pg, pgm_program_target(prog), l);
		*addr = l->globals[g].address;
		*size = l->globals[g].size;
		if (*size > 8)
			return pgm_error_create(PGM_ERR_UNSUPPORTED, "%s is %" PRIu64 " bytes: %s", name, *size,
						bundle_limits);
		return pgm_pg_read_global(&pg, g, value);
	}
	return pgm_error_create(PGM_ERR_LOOKUP, "%s", bundle_limits);
}

static struct json_object *bundle_json(const char *expr, uint64_t addr, uint64_t size, uint64_t value,
				       const struct pgm_error *err)
{
	struct json_object *o = json_object_new_object();
	char hex[32];
	json_object_object_add(o, "expression", json_object_new_string(expr));
	if (err) {
		json_object_object_add(o, "error", json_object_new_string(err->message));
		return o;
	}
	snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
	json_object_object_add(o, "address", addr ? json_object_new_string(hex) : NULL);
	json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
	json_object_object_add(o, "value", json_object_new_uint64(value));
	return o;
}

/* Without types, a value is its bytes as an integer: hex for pointer-sized ones. */
static int print_bundle(const struct print_args *a, struct pgm_program *prog)
{
	size_t failed = 0;
	struct json_object *values = json_object_new_array();
	for (size_t i = 0; i < a->n_exprs; i++) {
		uint64_t addr = 0, size = 0, value = 0;
		struct pgm_error *err = bundle_value(prog, a->thread, a->exprs[i], &addr, &size, &value);
		if (a->common.format == CLI_FORMAT_JSON)
			json_object_array_add(values, bundle_json(a->exprs[i], addr, size, value, err));
		else if (err)
			cli_report_error(a->exprs[i], err);
		else
			printf(size == 8 ? "%s = 0x%" PRIx64 "\n" : "%s = %" PRIu64 "\n", a->exprs[i], value);
		failed += err != NULL;
		pgm_error_destroy(err);
	}
	if (a->common.format == CLI_FORMAT_JSON) {
		struct json_object *doc = json_object_new_object();
		json_object_object_add(doc, "schema", json_object_new_int(1));
		json_object_object_add(doc, "values", json_object_get(values));
		puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	}
	json_object_put(values);
	return failed == 0 ? EXIT_COMPLETE : failed < a->n_exprs ? EXIT_PARTIAL : EXIT_UNUSABLE;
}

/* The first capture of the bundle at a->core. */
static int run_bundle(const struct print_args *a)
{
	struct cli_targets targets = { 0 };
	struct pgm_program *prog = NULL;
	int rc = cli_open_path(a->core, &a->common, &targets);
	struct pgm_error *err = targets.n ? pgm_program_create(targets.items[0].target, NULL, &prog) : NULL;
	if (err) {
		cli_report_error(a->core, err);
		pgm_error_destroy(err);
		rc = EXIT_UNUSABLE;
	} else if (prog) {
		rc = print_bundle(a, prog);
	}
	pgm_program_destroy(prog);
	for (size_t i = 0; i < targets.n; i++)
		pgm_target_destroy(targets.items[i].target);
	free(targets.items);
	return rc;
}

int cmd_print(int argc, char **argv)
{
	struct print_args a = { 0 };
	int status = parse_args(argc, argv, &a);
	if (status >= 0)
		return status;
	if (pgm_bundle_file_is_bundle(a.core))
		return run_bundle(&a);
	struct session s = { .thread = a.thread };
	if (!cli_dwarf_open(a.core, &a.common, &s.d))
		return EXIT_UNUSABLE;
	struct json_object *doc = json_object_new_object(), *values = json_object_new_array();
	size_t failed = print_all(&s, a.exprs, a.n_exprs, a.common.format, values);
	if (a.common.format == CLI_FORMAT_JSON && doc) {
		json_object_object_add(doc, "schema", json_object_new_int(1));
		json_object_object_add(doc, "values", json_object_get(values));
		puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(values);
	json_object_put(doc);
	pgm_stack_destroy(s.stack);
	pgm_error_destroy(s.stack_err);
	cli_dwarf_close(&s.d);
	return failed == 0 ? EXIT_COMPLETE : failed < a.n_exprs ? EXIT_PARTIAL : EXIT_UNUSABLE;
}
