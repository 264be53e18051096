/* pgmortem batch: many cores, one command. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "pg/layout.h"
#include "pgmortem/batch.h"
#include "pgmortem/render.h"

static const char usage_text[] =
	"usage: pgmortem batch PATH... [-j N] [--timeout SECONDS] [-o FILE.jsonl]\n"
	"                      [--junit FILE] [--summary text|json|none]\n"
	"                      [-e EXE] [--sysroot DIR] [--debug-dir DIR]...\n"
	"                      [--cache-dir DIR | --no-cache] [--max-size SIZE]\n"
	"       pgmortem batch --from-jsonl FILE.jsonl... [--junit FILE] [--summary FMT]\n"
	"       pgmortem batch --layout-from DEBUG_EXE [--debug-dir DIR]... [PATH...]\n"
	"\n"
	"Analyzes every core under PATH... (files, and directories walked recursively)\n"
	"in parallel, and groups identical problems.  Files are recognised by content:\n"
	"ELF cores, and zstd, lz4 or xz compressed ones (systemd-coredump), which are\n"
	"decompressed in memory; a support bundle (pgmortem bundle) is one input per\n"
	"capture, its record's \"bundle_capture\" saying which.  A file named on the command line that is not a core\n"
	"is reported as failed; one found in a directory is skipped.  Each core is\n"
	"analyzed in its own process: a crash or hang while analyzing one core is that\n"
	"core's result, not the batch's.\n"
	"\n"
	"Output: one JSON object per core (JSON Lines, in input order) on stdout or -o:\n"
	"  {\"path\", \"status\": \"analyzed\"|\"failed\"|\"timeout\"|\"crashed\", \"error\",\n"
	"   \"signature\", \"problem\": \"crash\"|\"blocker\"|\"stuck\"|null, \"seconds\", \"analysis\": {...}}\n"
	"(status \"crashed\": pgmortem's analysis of the core died, a bug to report)\n"
	"and the cores grouped by signature on stderr.  A signature is the signal and\n"
	"crashing function (crash:SIGSEGV:MemoryContextReset) or the wait and the\n"
	"innermost PostgreSQL wait site (condition_variable:_bt_parallel_seize,\n"
	"heavyweight_lock:ProcSleep relation, lwlock:BufferContent,\n"
	"buffer_pin:lazy_scan_heap, io:WALWrite).  A problem is a crash, a wait on a\n"
	"condition variable, LWLock, heavyweight lock, buffer pin, buffer or file I/O, or\n"
	"replication slot, or a blocker: a process that waits on nothing while others of\n"
	"its instance wait on it (the core's wait-for graph, as 'pgmortem backends' shows it).\n"
	"\n"
	"Options:\n"
	"  -j, --jobs N         cores analyzed at once (default: the number of CPUs)\n"
	"      --timeout S      time limit per core in seconds, 0 for none (default 60)\n"
	"  -o, --output FILE    write the JSON Lines to FILE instead of stdout\n"
	"      --junit FILE     also write JUnit XML: a failure per core with a problem,\n"
	"                       an error per core that could not be analyzed\n"
	"      --summary FMT    the grouped summary on stderr: text (default), json, none\n"
	"  -e, --exe EXE        the postgres executable, if it moved since the crash\n"
	"      --sysroot DIR    prefix for the paths recorded in the cores\n"
	"      --debug-dir DIR  where separate debuginfo lives (repeatable)\n"
	"      --debuginfod URL fetch missing debuginfo from URL (default: DEBUGINFOD_URLS)\n"
	"      --cache-dir DIR  layout cache (default: ${XDG_CACHE_HOME:-~/.cache}/pgmortem/layouts);\n"
	"                       DIR/debuginfo keeps uncompressed copies of compressed debuginfo\n"
	"      --no-cache       resolve PostgreSQL layouts from DWARF for every core, and\n"
	"                       inflate compressed debuginfo every time\n"
	"      --max-size SIZE  cap on a decompressed core, e.g. 8G (default: 64G or the\n"
	"                       available memory divided by -j, the smaller)\n"
	"      --layout-from EXE\n"
	"                       first store the layout of EXE (a build with DWARF) in the\n"
	"                       cache, for cores of a stripped build with the same build-id\n"
	"                       (repeatable; PATH... may then be empty)\n"
	"      --from-jsonl     PATH... are JSON Lines of earlier batch runs (shards run\n"
	"                       elsewhere): summarise, write JUnit and exit as if run here\n"
	"\n"
	"Example:\n"
	"  pgmortem batch /var/lib/systemd/coredump --junit cores.xml -o cores.jsonl\n"
	"\n"
	"Exit codes: 0 no core shows a problem, 1 some cores show crashes, blockers or stuck\n"
	"waits, 2 some cores could not be analyzed (failed, timed out, or the analysis\n"
	"died; this wins over 1), 64 usage error.\n";

enum {
	OPT_TIMEOUT = 0x200, OPT_JUNIT, OPT_SUMMARY, OPT_MAX_SIZE,
	OPT_FROM_JSONL, OPT_LAYOUT_FROM,
};

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	CLI_CACHE_LONGOPTS,
	{ "jobs", required_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "from-jsonl", no_argument, NULL, OPT_FROM_JSONL },
	{ "layout-from", required_argument, NULL, OPT_LAYOUT_FROM },
	{ NULL, 0, NULL, 0 },
};

enum summary_format { SUMMARY_TEXT, SUMMARY_JSON, SUMMARY_NONE };

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct batch_args {
	struct cli_common common;
	unsigned jobs;
	double timeout;
	const char *output, *junit;
	enum summary_format summary;
	bool from_jsonl;
	uint64_t max_size;
	const char *layout_from[CLI_MAX_DEBUG_DIRS];
	size_t n_layout_from;
};

/* State shared by the pool's callbacks. */
struct batch {
	struct batch_args *args;
	struct pgm_batch_inputs inputs;
	struct pgm_batch_analyze_options analyze;
	size_t *pending;          /* pool job -> input index */
	struct pgm_batch_records records;   /* by input index; NULL until done */
	size_t emitted;           /* records written so far, in input order */
	size_t finished, problems, unanalyzed;
	FILE *out;
	bool out_failed;
	bool progress;
};


/* ---- the child: analyze one core, write its record ---- */

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Fault injection for tests, git's GIT_TEST_* style: PGMORTEM_TEST_BATCH_FAULT
 * = "KIND:TEXT" makes the child for a path containing TEXT misbehave
 * (KIND: segv, abort, hang, garbage) so the parent's handling can be tested.
 */
static void test_fault(const char *path, int out_fd)
{
	const char *spec = getenv("PGMORTEM_TEST_BATCH_FAULT"), *colon;
	if (!spec || !(colon = strchr(spec, ':')) || !strstr(path, colon + 1))
		return;
	size_t k = (size_t)(colon - spec);
	if (strncmp(spec, "segv", k) == 0)
		raise(SIGSEGV);
	if (strncmp(spec, "abort", k) == 0)
		abort();
	if (strncmp(spec, "hang", k) == 0)
		for (;;)
			pause();
	if (strncmp(spec, "garbage", k) == 0) {
		cli_error("writing garbage as asked");
		_exit(write(out_fd, "{\"status\"", 9) < 0);
	}
}

static int job(void *arg, size_t index, int out_fd)
{
	struct batch *b = arg;
	json_object *rec = NULL;
	test_fault(b->inputs.items[b->pending[index]].path, out_fd);
	struct pgm_error *err = pgm_batch_analyze(&b->inputs.items[b->pending[index]], &b->analyze, &rec);
	if (err) {
		cli_error("%s", err->message);
		return 3;
	}
	const char *s = json_object_to_json_string_ext(rec, JSON_FLAGS);
	int rc = s && write_all(out_fd, s, strlen(s)) == 0 ? 0 : 3;
	json_object_put(rec);
	return rc;
}

/* ---- the parent: records ---- */

/* A record's fields in order; `always` ones are null when the child left them out. */
static const struct { const char *key; bool always; } record_keys[] = {
	{ "status", true }, { "error", true }, { "signature", true }, { "problem", true },
	{ "seconds", true }, { "compression", false }, { "bundle_capture", false }, { "layout_cache", false },
	{ "layout_cache_note", false }, { "warnings", false }, { "analysis", false },
};

/* Seconds printed to the millisecond: 0.106, not 0.10609824899984233. */
static json_object *milliseconds(double seconds)
{
	char text[32];
	snprintf(text, sizeof(text), "%.3f", seconds);
	return json_object_new_double_s(seconds, text);
}

/* {"path", then the child's fields in a fixed order, with "seconds"}; takes `from`. */
static json_object *make_record(const char *path, json_object *from, double seconds)
{
	json_object *o = json_object_new_object(), *v;
	json_object_object_add(o, "path", json_object_new_string(path));
	for (size_t i = 0; i < sizeof(record_keys) / sizeof(record_keys[0]); i++) {
		const char *key = record_keys[i].key;
		if (strcmp(key, "seconds") == 0)
			json_object_object_add(o, key, milliseconds(seconds));
		else if (json_object_object_get_ex(from, key, &v))
			json_object_object_add(o, key, json_object_get(v));
		else if (record_keys[i].always)
			json_object_object_add(o, key, NULL);
	}
	json_object_put(from);
	return o;
}

static json_object *status_record(const char *status, const char *error)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "error", json_object_new_string(error));
	return o;
}

/* The child's output, if it is one complete JSON object with a status. */
static json_object *parse_output(const struct pgm_batch_result *r)
{
	if (r->output_truncated || r->output_len == 0 || r->output_len > INT32_MAX)
		return NULL;
	json_tokener *tok = json_tokener_new();
	json_object *o = tok ? json_tokener_parse_ex(tok, r->output, (int)r->output_len) : NULL;
	bool ok = o && json_tokener_get_error(tok) == json_tokener_success &&
		  json_tokener_get_parse_end(tok) == r->output_len &&
		  json_object_is_type(o, json_type_object);
	json_object *status;
	ok = ok && json_object_object_get_ex(o, "status", &status) &&
	     json_object_is_type(status, json_type_string);
	json_tokener_free(tok);
	if (!ok)
		json_object_put(o);
	return ok ? o : NULL;
}

/* The last line of the child's stderr, for the error message. */
static const char *last_line(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == '\n')
		n--;
	size_t start = n;
	while (start && s[start - 1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(n - start), s + start);
	return buf;
}

static json_object *outcome_record(const struct batch *b, const struct pgm_batch_result *r)
{
	char msg[512], line[256], sig[32];
	json_object *o = r->outcome == PGM_BATCH_EXITED ? parse_output(r) : NULL;
	if (o)
		return o;
	last_line(r->stderr_tail, line, sizeof(line));
	if (r->outcome == PGM_BATCH_TIMEOUT) {
		snprintf(msg, sizeof(msg), "the analysis did not finish within %g s and was killed (--timeout)",
			 b->args->timeout);
		return status_record("timeout", msg);
	}
	if (r->outcome == PGM_BATCH_KILLED)
		snprintf(msg, sizeof(msg), "the analysis died of %s%s%s",
			 pgm_signal_name(r->signo, sig, sizeof(sig)), *line ? ": " : "", line);
	else
		snprintf(msg, sizeof(msg), "the analysis exited with status %d without a complete result%s%s",
			 r->exit_code, *line ? ": " : "", line);
	return status_record("crashed", msg);
}

static void write_record(struct batch *b, json_object *rec)
{
	const char *s = json_object_to_json_string_ext(rec, JSON_FLAGS);
	if (!s || fprintf(b->out, "%s\n", s) < 0)
		b->out_failed = true;
}

/*
 * Once written, a record keeps only what the summary and JUnit read: a
 * thousand full analyses would otherwise sit in memory until the end.
 */
static void slim(json_object *rec)
{
	json_object *analysis, *verdict;
	if (!json_object_object_get_ex(rec, "analysis", &analysis) || !analysis)
		return;
	json_object *keep = json_object_new_object();
	if (keep && json_object_object_get_ex(analysis, "verdict", &verdict))
		json_object_object_add(keep, "verdict", json_object_get(verdict));
	json_object_object_add(rec, "analysis", keep);
}

/* Writes the records that are complete, in input order. */
static void emit_ready(struct batch *b)
{
	while (b->emitted < b->records.n && b->records.items[b->emitted]) {
		write_record(b, b->records.items[b->emitted]);
		slim(b->records.items[b->emitted++]);
	}
	fflush(b->out);
}

static void show_progress(struct batch *b)
{
	if (!b->progress)
		return;
	const int width = 30;
	size_t n = b->records.n ? b->records.n : 1;
	int done = (int)(b->finished * (size_t)width / n);
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu cores, %zu problems, %zu not analyzed", done,
		"==============================", width - done, "", b->finished, b->records.n,
		b->problems, b->unanalyzed);
	fflush(stderr);
}

static void done(void *arg, size_t index, const struct pgm_batch_result *r)
{
	struct batch *b = arg;
	size_t in = b->pending[index];
	json_object *rec = make_record(b->inputs.items[in].path, outcome_record(b, r), r->seconds), *v;
	b->records.items[in] = rec;
	b->finished++;
	b->problems += json_object_object_get_ex(rec, "problem", &v) && v;
	b->unanalyzed += json_object_object_get_ex(rec, "status", &v) &&
			 strcmp(json_object_get_string(v), "analyzed") != 0;
	emit_ready(b);
	show_progress(b);
}

/* ---- options ---- */

static bool parse_size(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (errno || end == s || *end || v == 0 || v > (UINT64_MAX >> shift))
		return false;
	*ret = (uint64_t)v << shift;
	return true;
}

static int parse_option(struct batch_args *a, int opt, const char *arg, char **argv)
{
	static const char *const formats[] = { "text", NULL };
	char *end;
	switch (opt) {
	case 'j':
		errno = 0;
		long j = strtol(arg, &end, 10);
		if (errno || *end || j < 1 || j > 1024)
			return cli_usage_error("batch", "-j wants a number from 1 to 1024");
		a->jobs = (unsigned)j;
		return 0;
	case OPT_TIMEOUT:
		errno = 0;
		a->timeout = strtod(arg, &end);
		if (errno || *end || !(a->timeout >= 0))
			return cli_usage_error("batch", "--timeout wants seconds, 0 for none");
		return 0;
	case 'o': a->output = arg; return 0;
	case OPT_JUNIT: a->junit = arg; return 0;
	case OPT_FROM_JSONL: a->from_jsonl = true; return 0;
	case OPT_LAYOUT_FROM:
		if (a->n_layout_from == CLI_MAX_DEBUG_DIRS)
			return cli_usage_error("batch", "at most %d --layout-from options", CLI_MAX_DEBUG_DIRS);
		a->layout_from[a->n_layout_from++] = arg;
		return 0;
	case OPT_MAX_SIZE:
		return parse_size(arg, &a->max_size) ? 0 : cli_usage_error("batch", "--max-size %s: not a size such as 8G", arg);
	case OPT_SUMMARY:
		a->summary = strcmp(arg, "text") == 0 ? SUMMARY_TEXT : strcmp(arg, "json") == 0 ? SUMMARY_JSON
			   : strcmp(arg, "none") == 0 ? SUMMARY_NONE : (enum summary_format)-1;
		return (int)a->summary >= 0 ? 0 : cli_usage_error("batch", "--summary is text, json or none");
	}
	return cli_take_option(&a->common, opt, arg, formats, argv) ? 0 : EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct batch_args *a)
{
	memset(a, 0, sizeof(*a));
	cli_common_init(&a->common);
	a->common.renders_program_warnings = false;   /* they go into the records; a server failure also to stderr */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	a->jobs = cpus > 0 ? (unsigned)cpus : 1;
	a->timeout = 60;
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":e:j:o:", longopts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return fputs(usage_text, stdout), EXIT_COMPLETE;
		if (opt == OPT_FORMAT)
			return cli_usage_error("batch", "batch writes JSON Lines; --format does not apply");
		int rc = parse_option(a, opt, optarg, argv);
		if (rc)
			return rc;
	}
	if (optind == argc && !a->n_layout_from)
		return cli_usage_error("batch", "no core file or directory given");
	if (a->common.no_cache && (a->common.cache_dir || a->n_layout_from))
		return cli_usage_error("batch", "--no-cache excludes --cache-dir and --layout-from");
	return -1;
}

/* ---- running ---- */

static struct pgm_error *run_pool(struct batch *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->inputs.n; i++) {
		if (b->inputs.items[i].error)
			b->records.items[i] = make_record(b->inputs.items[i].path,
							  status_record("failed", b->inputs.items[i].error->message), 0);
		else
			b->pending[n++] = i;
	}
	emit_ready(b);
	b->finished = b->unanalyzed = b->inputs.n - n;
	show_progress(b);
	struct pgm_batch_pool_options po = {
		.jobs = b->args->jobs, .timeout = b->args->timeout, .max_output = 256u << 20,
		.job = job, .done = done, .arg = b,
	};
	fflush(NULL);
	struct pgm_error *err = pgm_batch_run(n, &po);
	/* jobs the pool could not start (fork failed) still get a record */
	for (size_t i = 0; err && i < b->inputs.n; i++)
		if (!b->records.items[i])
			b->records.items[i] = make_record(b->inputs.items[i].path,
							  status_record("failed", err->message), 0);
	emit_ready(b);
	if (b->progress)
		fputs("\r\033[K", stderr);
	return err;
}

static int exit_code(const struct pgm_batch_records *recs)
{
	bool problem = false, unanalyzed = false;
	for (size_t i = 0; i < recs->n; i++) {
		json_object *v;
		const char *status = json_object_object_get_ex(recs->items[i], "status", &v)
				     ? json_object_get_string(v) : "failed";
		unanalyzed |= strcmp(status, "analyzed") != 0;
		problem |= json_object_object_get_ex(recs->items[i], "problem", &v) && v;
	}
	return unanalyzed ? EXIT_UNUSABLE : problem ? 1 : EXIT_COMPLETE;
}

static bool write_junit(const char *path, const struct pgm_batch_records *recs, double seconds)
{
	FILE *f = fopen(path, "we");
	if (!f) {
		cli_error("%s: %s", path, strerror(errno));
		return false;
	}
	pgm_batch_render_junit(f, recs, seconds);
	if (fclose(f) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int finish(struct batch *b, double t0)
{
	const struct batch_args *a = b->args;
	bool ok = !b->out_failed;
	if (b->out_failed)
		cli_error("%s: write failed", a->output ? a->output : "stdout");
	if (a->summary == SUMMARY_TEXT)
		pgm_batch_render_summary_text(stderr, &b->records, a->common.color && isatty(STDERR_FILENO));
	else if (a->summary == SUMMARY_JSON)
		pgm_batch_render_summary_json(stderr, &b->records);
	if (a->junit)
		ok &= write_junit(a->junit, &b->records, wall() - t0);
	int rc = exit_code(&b->records);
	return ok ? rc : EXIT_UNUSABLE;
}

/* ---- --from-jsonl: records written by earlier runs ---- */

static bool add_line(struct pgm_batch_records *recs, size_t *cap, const char *line, size_t len)
{
	json_object *o = json_tokener_parse(line), *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "path", &v) || !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(o, "status", &v) || !json_object_is_type(v, json_type_string)) {
		json_object_put(o);
		return len == 0;   /* blank lines are fine */
	}
	if (recs->n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		json_object **items = realloc(recs->items, *cap * sizeof(*items));
		if (!items)
			return json_object_put(o), false;
		recs->items = items;
	}
	recs->items[recs->n++] = o;
	return true;
}

static bool read_jsonl(const char *path, struct pgm_batch_records *recs, size_t *cap)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL;
	size_t size = 0, lineno = 0;
	ssize_t len;
	bool ok = f != NULL;
	if (!f)
		cli_error("%s: %s", path, strerror(errno));
	while (ok && (len = getline(&line, &size, f)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!(ok = add_line(recs, cap, line, (size_t)len)))
			cli_error("%s:%zu: not a pgmortem batch record", path, lineno);
	}
	free(line);
	if (f && f != stdin)
		fclose(f);
	return ok;
}

static int run_from_jsonl(struct batch_args *a, char **paths, size_t n_paths)
{
	struct batch b = { .args = a };
	size_t cap = 0;
	int rc = EXIT_UNUSABLE;
	bool ok = true;
	for (size_t i = 0; i < n_paths && ok; i++)
		ok = read_jsonl(paths[i], &b.records, &cap);
	if (ok)
		rc = finish(&b, wall());
	for (size_t i = 0; i < b.records.n; i++)
		json_object_put(b.records.items[i]);
	free(b.records.items);
	return rc;
}

/*
 * <cache>/debuginfo, first among the debug directories, when caching: where
 * uncompressed copies of compressed debuginfo are kept (debugcache.c).
 */
static char *debuginfo_cache_dir(const struct batch_args *a, const char **dirs)
{
	const char *layouts = a->common.layout_cache;
	char *dir = NULL;
	if (layouts && asprintf(&dir, "%s/debuginfo", layouts) < 0)
		dir = NULL;
	dirs[0] = dir;
	for (size_t i = 0; i < a->common.n_debug_dirs; i++)
		dirs[i + 1] = a->common.debug_dirs[i];
	return dir;
}

static int run(struct batch_args *a, char **paths, size_t n_paths)
{
	if (a->from_jsonl)
		return run_from_jsonl(a, paths, n_paths);
	double t0 = wall();
	struct batch b = { .args = a, .out = stdout, .progress = isatty(STDERR_FILENO) };
	const char *dirs[CLI_MAX_DEBUG_DIRS + 1];
	char *dbg = debuginfo_cache_dir(a, dirs);
	cli_program_options(&a->common, &b.analyze.program);
	b.analyze.program.symbols_only_libraries = true;   /* analyses need only PostgreSQL's DWARF */
	if (dbg) {
		b.analyze.program.debug_dirs = dirs;
		b.analyze.program.n_debug_dirs = a->common.n_debug_dirs + 1;
		b.analyze.debuginfo_cache = dbg;
	}
	b.analyze.layout_cache = a->common.layout_cache;
	b.analyze.decompress_cap = a->max_size ? a->max_size : pgm_core_default_cap(a->jobs);
	struct pgm_error *err = pgm_batch_collect((const char *const *)paths, n_paths, &b.inputs);
	if (err) {
		cli_report_error(NULL, err);
		return EXIT_UNUSABLE;
	}
	int rc = EXIT_UNUSABLE;
	b.records.n = b.inputs.n;
	b.records.items = calloc(b.inputs.n + 1, sizeof(*b.records.items));
	b.pending = calloc(b.inputs.n + 1, sizeof(*b.pending));
	if (!b.records.items || !b.pending) {
		cli_report_error(NULL, &pgm_enomem);
		goto out_free;
	}
	if (a->output && !(b.out = fopen(a->output, "we"))) {
		cli_error("%s: %s", a->output, strerror(errno));
		goto out_free;
	}
	err = run_pool(&b);
	if (err) {
		cli_report_error(NULL, err);
		pgm_error_destroy(err);
	}
	if (a->output && fclose(b.out) != 0)
		b.out_failed = true;
	rc = finish(&b, t0);
out_free:
	for (size_t i = 0; b.records.items && i < b.records.n; i++)
		json_object_put(b.records.items[i]);
	free(b.records.items);
	free(b.pending);
	free(dbg);
	pgm_batch_inputs_deinit(&b.inputs);
	return rc;
}

/* --layout-from: one cache entry per executable, before any core. */
static int prime(const struct batch_args *a, const char *dir)
{
	if (a->n_layout_from && !dir)
		return cli_usage_error("batch", "--layout-from needs a cache directory (set HOME or --cache-dir)");
	for (size_t i = 0; i < a->n_layout_from; i++) {
		char *id;
		struct pgm_error *err = pgm_pg_layout_cache_prime(dir, a->layout_from[i], a->common.debug_dirs,
								  a->common.n_debug_dirs, &id);
		if (err) {
			cli_report_error("--layout-from", err);
			pgm_error_destroy(err);
			return EXIT_UNUSABLE;
		}
		cli_error("layout of %s stored for build-id %s in %s",
			a->layout_from[i], id, dir);
		free(id);
	}
	return EXIT_COMPLETE;
}

int cmd_batch(int argc, char **argv)
{
	struct batch_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	char *dir = cli_common_layout_cache(&a.common);
	rc = prime(&a, dir);
	if (rc != EXIT_COMPLETE || optind == argc)
		return free(dir), rc;
	rc = run(&a, argv + optind, (size_t)(argc - optind));
	free(dir);
	return rc;
}
