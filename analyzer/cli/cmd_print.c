/* pgmortem print: values of globals, statics and frame variables in a core, as gdb prints them. */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
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
	"EXPR is a small C expression:\n"
	"  MyProc->pid   *MyLatch   ProcGlobal->allProcs[3].pid   held_lwlocks[0].lock\n"
	"  &x   (BTParallelScanDescData *)0x7f...   (char *)p + 16\n"
	"  condition_variable.c:cv_sleep_target   a file-static of one file\n"
	"  'frame 14 query_string'   a parameter or local of frame 14 (gdb's\n"
	"                            numbering, inline frames included)\n"
	"\n"
	"Options:\n"
	"  -e, --exe EXE       the executable, if the core's recorded path is gone\n"
	"  --thread N          frames of thread N (index, default 0)\n"
	"  --debug-dir DIR     also look for separate debuginfo in DIR; repeatable\n"
	"  --sysroot DIR       find the process's files under DIR\n"
	"  --format FORMAT     text (default) or json (\"schema\": 1)\n"
	"  --help              this text\n"
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
	while ((opt = getopt_long(argc, argv, "e:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return EXIT_COMPLETE;
		}
		if (opt == OPT_THREAD) {
			a->thread = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage_error("print", "print: bad --thread '%s'", optarg);
			continue;
		}
		if (cli_parse_common(&a->common, opt, optarg, formats) <= 0)
			return cli_usage_error("print", "bad option");
	}
	if (argc - optind < 2)
		return cli_usage_error("print", "print: a core file and at least one expression are required");
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

int cmd_print(int argc, char **argv)
{
	struct print_args a = { 0 };
	int status = parse_args(argc, argv, &a);
	if (status >= 0)
		return status;
	struct session s = { .thread = a.thread };
	if ((status = cli_dwarf_open(a.core, &a.common, &s.d)) >= 0)
		return status;
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
