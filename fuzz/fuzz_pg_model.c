/*
 * Harness: the PostgreSQL model decoders (analyzer/pg/ and the analysis
 * above them) reading garbage from a process's memory.
 *
 * The structure of a real capture stays fixed and the fuzzer supplies its
 * memory.  The harness holds a few real support bundles (fuzz/pg-model/,
 * one capture each, on PostgreSQL 15 and 18): each brings its threads,
 * mappings, unwound stacks, frame variables and the resolved layout, so the
 * decoders run exactly as on the real capture; only what they read from
 * memory changes.  A bundle's memory part is a list of address ranges; laid
 * end to end, in address order, they are the bundle's "image".
 *
 * Byte 0 of the input picks the bundle (modulo their number); the rest
 * overlays its image from the start: byte k of the rest replaces byte k of
 * the image, and the image keeps its own bytes past the input's end.  A
 * read outside the ranges fails as it did on the real capture ("not in
 * this bundle"), so a garbage pointer leads nowhere readable.  The seeds
 * (fuzz/corpus/pg_model, made by fuzz/pg-model-seeds) are each bundle's
 * image unchanged, so every seed replays the real analysis.
 *
 * Each input: the analysis (wait, LWLock, CV, waitset, PGPROC lists,
 * verdict), rendered as text and JSON, then the instance view with its lock
 * table (backends, pg_locks, blockers, LWLock holders, the wait-for graph),
 * rendered likewise.  Besides "no crash, no leak, no UB, bounded time" the
 * harness checks pgmortem/analyze.h's contract: memory that does not
 * decode is an unknown fact in the report, never an error; only out of
 * memory is.  And every JSON document is strict JSON in valid UTF-8, with
 * whatever bytes the garbage put in names and query texts.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "pgmortem/analyze.h"
#include "pgmortem/bundle_file.h"
#include "render/backends_render.h"
#include "render/report_render.h"

#ifndef PGM_FUZZ_PG_MODEL_DIR
#error "meson defines PGM_FUZZ_PG_MODEL_DIR: the directory of the harness's bundles"
#endif

/*
 * The bundles, in the order byte 0 picks them; fixed, so that an input
 * (a seed, a regression) means the same thing in every build.
 */
static const char *const bundle_names[] = {
	"pg15-lock-queue-kernel.pgmb",           /* the lock table, a heavyweight lock wait */
	"pg15-lwlock-wait-kernel.pgmb",          /* an LWLock wait, its queue and holder */
	"pg15-parallel-scan-stall-kernel.pgmb",  /* a CV in DSM, the parallel btree scan */
	"pg18-leader-waits-workers-kernel.pgmb", /* the leader's WaitEventSet, PostgreSQL 18 */
	"pg18-row-lock-kernel.pgmb",             /* a transaction id lock, PostgreSQL 18 */
};
#define N_BUNDLES (sizeof(bundle_names) / sizeof(bundle_names[0]))

/* A bundle's memory ranges and where each starts in its image. */
struct image {
	struct pgm_bundle_file *file;
	size_t n_ranges;
	uint64_t *start, *end, *offset;
	uint64_t size;
};

static struct image images[N_BUNDLES];

/* The input of the current call: the overlay of the image the reads see. */
static struct {
	const struct image *image;
	const uint8_t *bytes;
	size_t len;
	struct pgm_error *(*read)(struct pgm_target *t, uint64_t addr, void *buf, size_t len);
} overlay;

static bool varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *ret)
{
	*ret = 0;
	for (unsigned shift = 0; *pos < len && shift < 64; shift += 7) {
		uint8_t b = p[(*pos)++];
		*ret |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* The ranges of the memory part, as bundle_file.h describes its records. */
static void load_image(struct image *im, const uint8_t *p, size_t len)
{
	size_t pos = 0, cap = 0;
	uint64_t prev_end = 0, gap, size;
	while (pos < len) {
		if (!varint(p, len, &pos, &gap) || !varint(p, len, &pos, &size) || size > len - pos)
			abort();   /* the bundle's own reader accepted it: this parser is wrong */
		if (im->n_ranges == cap) {
			cap = cap ? 2 * cap : 64;
			im->start = realloc(im->start, cap * sizeof(*im->start));
			im->end = realloc(im->end, cap * sizeof(*im->end));
			im->offset = realloc(im->offset, cap * sizeof(*im->offset));
			if (!im->start || !im->end || !im->offset)
				abort();
		}
		im->start[im->n_ranges] = prev_end + gap;
		im->end[im->n_ranges] = prev_end = prev_end + gap + size;
		im->offset[im->n_ranges++] = im->size;
		im->size += size;
		pos += size;
	}
}

static void load_bundles(void)
{
	for (size_t i = 0; i < N_BUNDLES; i++) {
		char path[4096];
		const uint8_t *mem;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", PGM_FUZZ_PG_MODEL_DIR, bundle_names[i]);
		struct pgm_error *err = pgm_bundle_file_open(path, &images[i].file);
		if (err) {
			fprintf(stderr, "fuzz_pg_model: %s: %s\n", path, err->message);
			abort();
		}
		if (!pgm_bundle_file_part(images[i].file, "memory", 0, &mem, &len))
			abort();
		load_image(&images[i], mem, len);
	}
}

/* The first range that ends after addr, or n_ranges. */
static size_t first_range(const struct image *im, uint64_t addr)
{
	size_t lo = 0, hi = im->n_ranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (im->end[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The bundle's read, then the input's bytes over the part of the image it covered. */
static struct pgm_error *overlay_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len)
{
	struct pgm_error *err = overlay.read(t, addr, buf, len);
	if (err)
		return err;
	const struct image *im = overlay.image;
	uint64_t end = addr + len;
	for (size_t i = first_range(im, addr); i < im->n_ranges && im->start[i] < end; i++) {
		uint64_t from = im->start[i] > addr ? im->start[i] : addr;
		uint64_t to = im->end[i] < end ? im->end[i] : end;
		uint64_t at = im->offset[i] + (from - im->start[i]);
		if (at >= overlay.len)
			break;
		uint64_t n = to - from < overlay.len - at ? to - from : overlay.len - at;
		memcpy((uint8_t *)buf + (from - addr), overlay.bytes + at, n);
	}
	return NULL;
}

/* Only out of memory may fail an analysis (pgmortem/analyze.h). */
static void must_not_fail(struct pgm_error *err)
{
	if (err && err != &pgm_enomem && err->code != PGM_ERR_NOMEM) {
		fprintf(stderr, "fuzz_pg_model: the analysis failed (code %d): %s\n", err->code,
			err->message ? err->message : "(no message)");
		abort();
	}
	pgm_error_destroy(err);
}

/* A JSON document as a strict parser that validates UTF-8 reads it, or abort. */
static void check_json(const char *what, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (!o || jerr != json_tokener_success) {
		fprintf(stderr, "fuzz_pg_model: the %s JSON does not parse: %s\n", what,
			json_tokener_error_desc(jerr));
		abort();
	}
	json_object_put(o);
	json_tokener_free(tok);
}

static FILE *sink(char **buf, size_t *len)
{
	FILE *out = open_memstream(buf, len);
	if (!out)
		abort();
	return out;
}

static void render_report(const struct pgm_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = sink(&buf, &len);
	struct pgm_text_style st = { 0 };
	pgm_render_report_text(out, r, &st);
	fclose(out);
	free(buf);
	json_object *o = pgm_render_report_json_object(r);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	check_json("report", text, strlen(text));
	json_object_put(o);
}

static void render_instance(const struct pgm_instance *inst)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = sink(&buf, &len);
	struct pgm_instance_style st = { .locks = true };
	pgm_render_instance_text(out, inst, &st);
	pgm_render_graph_dot(out, inst);
	fclose(out);
	free(buf);
	json_object *o = pgm_render_instance_json_object(inst, true);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	check_json("instance", text, strlen(text));
	json_object_put(o);
}

static void analyze(struct pgm_target *t)
{
	struct pgm_program_options opts = { .symbols_only_libraries = true };
	struct pgm_instance_options io = { .locks = true };
	struct pgm_program *prog;
	struct pgm_report *r = NULL;
	struct pgm_instance *inst = NULL;
	struct pgm_error *err = pgm_program_create(t, &opts, &prog);
	if (err) {
		if (err != &pgm_enomem && (!err->message || !*err->message))
			abort();   /* a refusal says why */
		pgm_error_destroy(err);
		return;
	}
	if ((err = pgm_analyze(prog, NULL, &r)))
		return must_not_fail(err), pgm_program_destroy(prog);
	render_report(r);
	err = pgm_instance_read(prog, &io, &inst);
	if (!err && !(err = pgm_instance_add_report(inst, r))) {
		r = NULL;   /* the instance owns it now */
		if (!(err = pgm_instance_link(inst, prog)))
			render_instance(inst);
	}
	must_not_fail(err);
	pgm_instance_destroy(inst);
	pgm_report_destroy(r);
	pgm_program_destroy(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!images[0].file)
		load_bundles();
	if (size < 1)
		return 0;
	const struct image *im = &images[data[0] % N_BUNDLES];
	struct pgm_target *t;
	struct pgm_error *err = pgm_target_bundle_open(im->file, 0, &t);
	if (err) {
		pgm_error_destroy(err);   /* out of memory: the bundle itself opened at load */
		return 0;
	}
	struct pgm_target_ops ops = *t->ops;
	overlay.image = im;
	overlay.bytes = data + 1;
	overlay.len = size - 1;
	overlay.read = ops.read;
	ops.read = overlay_read;
	t->ops = &ops;
	analyze(t);
	pgm_target_destroy(t);
	overlay.image = NULL;
	return 0;
}
