/*
 * Harness: support bundles (pgmortem/bundle_file.h) and everything that
 * reads them: the container (header, zstd frames, manifest, hashes), each
 * capture's parts (process, memory, faults, modules, stacks, layout,
 * frame_vars), and the analysis and instance view replayed from them.
 *
 * Byte 0 of the input chooses how the rest is used:
 *   even  the rest is a whole bundle file, opened as is: the container's
 *         checks (a mutated part almost always fails its sha256 here);
 *   odd   the rest is a list of parts, each "NAME\0", u32 capture, u32
 *         length (little-endian), the bytes; the harness writes them as a
 *         valid bundle (compressed, hashed; bit 1 of byte 0: redacted), so
 *         the fuzzer reaches every part's decoder past the hashes.
 * Then, for each capture that opens: reads at the edges of its mappings,
 * a program, the analysis rendered as text and JSON, and the instance with
 * its lock table.  Besides "no crash, no leak, no UB": every refusal is a
 * PGM_ERR_FORMAT (or out of memory) with a message.
 *
 * The input file through fuzz.h's fuzz_input_path; seeds: fuzz/corpus/bundle
 * (fuzz/bundle-seeds makes them from corpus/), dictionary: fuzz/dict/bundle.dict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "pgmortem/analyze.h"
#include "pgmortem/bundle_file.h"
#include "render/report_render.h"


#define MAX_PARTS 64
#define MAX_CAPTURES 4        /* analyzed per input, so that an input stays quick */
#define MAX_MAPPINGS_READ 64

static void refused(struct pgm_error *err)
{
	if (err != &pgm_enomem && (err->code != PGM_ERR_FORMAT || !err->message || !*err->message))
		abort();   /* a bundle is refused as malformed, with a reason */
	pgm_error_destroy(err);
}

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Odd mode: the parts listed in data, written as a valid bundle; NULL if the list is malformed. */
static const char *assembled(const uint8_t *data, size_t size, int redacted)
{
	static char path[64];
	struct pgm_bundle_part_in parts[MAX_PARTS];
	size_t n = 0, pos = 0, captures = 1;
	while (pos < size && n < MAX_PARTS) {
		const uint8_t *nul = memchr(data + pos, 0, size - pos);
		if (!nul || (size_t)(nul - data) + 9 > size)
			return NULL;
		size_t at = (size_t)(nul - data) + 1, len = u32(data + at + 4), cap = u32(data + at) % MAX_CAPTURES;
		if (len > size - at - 8)
			return NULL;
		parts[n++] = (struct pgm_bundle_part_in){ (const char *)data + pos, cap, data + at + 8, len };
		captures = cap + 1 > captures ? cap + 1 : captures;
		pos = at + 8 + len;
	}
	char manifest[256] = "";
	snprintf(manifest, sizeof(manifest), "{\"redacted\": %s, \"captures\": [{}%s%s%s]}",
		 redacted ? "true" : "false", captures > 1 ? ",{}" : "", captures > 2 ? ",{}" : "",
		 captures > 3 ? ",{}" : "");
	snprintf(path, sizeof(path), "/dev/shm/pgm-fuzz-bundle-%d.pgmb", (int)getpid());
	uint64_t written;
	struct pgm_error *err = pgm_bundle_file_write(path, manifest, parts, n, &written);
	if (err) {
		pgm_error_destroy(err);   /* a part name the format does not allow, or no room */
		return NULL;
	}
	return path;
}

static void read_edges(struct pgm_target *t)
{
	uint8_t buf[16];
	for (size_t i = 0; i < t->n_mappings && i < MAX_MAPPINGS_READ; i++) {
		const uint64_t at[] = { t->mappings[i].start, t->mappings[i].end - 8, t->mappings[i].end - 4 };
		for (size_t k = 0; k < 3; k++)
			pgm_error_destroy(pgm_target_read(t, at[k], buf, 8));
	}
}

static void render(const struct pgm_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return;
	struct pgm_text_style st = { 0 };
	pgm_render_report_text(out, r, &st);
	pgm_render_report_json(out, r);
	fclose(out);
	free(buf);
}

static void analyze(struct pgm_target *t, int symbols_only)
{
	struct pgm_program_options opts = { .symbols_only_libraries = symbols_only };
	struct pgm_program *prog;
	struct pgm_report *r = NULL;
	struct pgm_instance *inst = NULL;
	struct pgm_instance_options io = { .locks = true };
	read_edges(t);
	struct pgm_error *err = pgm_program_create(t, &opts, &prog);
	if (err)
		return refused(err);
	if (!(err = pgm_analyze(prog, NULL, &r)))
		render(r);
	if (!err && !(err = pgm_instance_read(prog, &io, &inst)) && !(err = pgm_instance_add_report(inst, r)))
		r = NULL, err = pgm_instance_link(inst, prog);
	if (err)
		refused(err);
	pgm_instance_destroy(inst);
	pgm_report_destroy(r);
	pgm_program_destroy(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *path = data[0] & 1 ? assembled(data + 1, size - 1, data[0] & 2) : fuzz_input_path(data + 1, size - 1);
	struct pgm_bundle_file *b;
	if (!path)
		return 0;
	struct pgm_error *err = pgm_bundle_file_open(path, &b);
	if (data[0] & 1)
		unlink(path);
	if (err)
		return refused(err), 0;
	for (size_t i = 0; i < pgm_bundle_file_captures(b) && i < MAX_CAPTURES; i++) {
		struct pgm_target *t;
		if ((err = pgm_target_bundle_open(b, i, &t))) {
			refused(err);
			continue;
		}
		analyze(t, data[0] & 4);
		pgm_target_destroy(t);
	}
	pgm_bundle_file_release(b);
	return 0;
}
