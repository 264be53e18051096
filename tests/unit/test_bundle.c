/*
 * Unit tests for support bundles (pgmortem/bundle_file.h, pgmortem/bundle.h)
 * on an in-memory target: the read log keeps what reads returned and where
 * they failed; a bundle written from it serves those bytes, fails the same
 * reads the same way and says "not in this bundle" for anything else;
 * redaction overwrites private texts; and a damaged bundle (every single
 * flipped bit, every truncation, a part swapped for another) is refused
 * with one PGM_ERR_FORMAT naming what is wrong, never used.
 *
 * Bundles are files: they are written to a private temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmortem/bundle.h"
#include "pgmortem/bundle_file.h"
#include "pgmortem/program.h"
#include "pgmortem/target.h"

#define A 0x10000ull           /* captured, 8 KiB */
#define B 0x30000ull           /* captured page, then an uncaptured page C */
#define C 0x31000ull
#define SHM "/dev/shm/PostgreSQL.4952892"
#define QUERY "select secret from payroll"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/pgm-test-bundle.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static char *path_of(const char *name)
{
	static char p[2][128];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void ok(struct pgm_error *err)
{
	if (err)
		fail_msg("unexpected error: %s", err->message);
}

static struct pgm_target *make_target(void)
{
	static uint8_t a[0x2000], b[0x1000];
	struct pgm_target *t;
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 7 + 1);
	memcpy(a + 0x200, QUERY, sizeof(QUERY));
	memset(b, 0xab, sizeof(b));
	ok(pgm_target_memory_create(4242, &t));
	ok(pgm_target_memory_add(t, A, a, sizeof(a), NULL));
	ok(pgm_target_memory_add(t, B, b, sizeof(b), NULL));
	ok(pgm_target_memory_add(t, C, NULL, 0x1000, SHM));
	struct pgm_thread th = { .tid = 4242, .regs = { .rip = 0x401000, .rsp = A + 0x1000 } };
	ok(pgm_target_memory_add_thread(t, &th));
	return t;
}

/* The reads of an "analysis": some bytes, a text, a read failing part way. */
static void analyze(struct pgm_target *t)
{
	uint8_t buf[32];
	char *text;
	ok(pgm_target_read(t, A + 0x10, buf, 16));
	ok(pgm_target_read(t, A + 0x18, buf, 16));      /* overlaps the first */
	ok(pgm_target_read_private_text(t, A + 0x200, 256, &text));
	assert_string_equal(text, QUERY);
	free(text);
	struct pgm_error *err = pgm_target_read(t, C - 0x10, buf, 32);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_int_equal(err->address, C);
	pgm_error_destroy(err);
}

static void log_keeps_reads_and_failures(void **state)
{
	(void)state;
	struct pgm_target *t = make_target();
	ok(pgm_target_record_start(t));
	analyze(t);
	struct pgm_read_log *log = pgm_target_record_stop(t);
	assert_non_null(log);
	assert_null(pgm_target_record_stop(t));
	size_t n, n_priv, n_fail;
	struct pgm_error *err;
	const struct pgm_read_range *r = pgm_read_log_ranges(log, &n, &err);
	ok(err);
	/* [A+0x10, A+0x28) merged, the text's chunk, and the head of the failed read */
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, A + 0x10);
	assert_int_equal(r[0].end, A + 0x28);
	assert_memory_equal(r[0].data, (uint8_t[]){ (uint8_t)(0x10 * 7 + 1) }, 1);
	assert_int_equal(r[1].start, A + 0x200);
	assert_int_equal(r[2].start, C - 0x10);
	assert_int_equal(r[2].end, C);
	const struct pgm_read_range *p = pgm_read_log_private(log, &n_priv);
	assert_int_equal(n_priv, 1);
	assert_int_equal(p[0].start, A + 0x200);
	assert_true(p[0].end >= A + 0x200 + sizeof(QUERY));
	const struct pgm_read_failure *f = pgm_read_log_failures(log, &n_fail);
	assert_int_equal(n_fail, 1);
	assert_int_equal(f[0].address, C);
	assert_null(pgm_read_log_overflow(log));
	pgm_read_log_destroy(log);
	pgm_target_destroy(t);
}

static void write_bundle(const char *name, bool redact)
{
	struct pgm_target *t = make_target();
	struct pgm_program *prog;
	ok(pgm_target_record_start(t));
	ok(pgm_program_create(t, NULL, &prog));
	analyze(t);
	struct pgm_bundle_capture cap = { t, prog };
	struct pgm_bundle_options opts = { .redact = redact };
	struct pgm_bundle_stats st;
	ok(pgm_bundle_write(path_of(name), &cap, 1, &opts, &st));
	assert_true(st.memory_bytes > 0);
	assert_int_equal(st.n_faults, 1);
	assert_int_equal(st.n_redacted, redact ? 1 : 0);
	struct stat sb;
	assert_int_equal(stat(path_of(name), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	pgm_program_destroy(prog);
	pgm_target_destroy(t);
}

static struct pgm_target *open_capture(const char *name)
{
	struct pgm_bundle_file *b;
	struct pgm_target *t;
	ok(pgm_bundle_file_open(path_of(name), &b));
	assert_int_equal(pgm_bundle_file_captures(b), 1);
	ok(pgm_target_bundle_open(b, 0, &t));
	pgm_bundle_file_release(b);   /* the target keeps it */
	return t;
}

static void bundle_replays_the_reads(void **state)
{
	(void)state;
	write_bundle("plain.pgmb", false);
	struct pgm_target *orig = make_target(), *t = open_capture("plain.pgmb");
	assert_int_equal(t->kind, PGM_TARGET_BUNDLE);
	assert_int_equal(t->origin->kind, PGM_TARGET_MEMORY);
	assert_int_equal(t->pid, 4242);
	assert_int_equal(t->n_threads, 1);
	assert_memory_equal(&t->threads[0].regs, &orig->threads[0].regs, sizeof(struct pgm_regs));
	assert_int_equal(t->n_mappings, orig->n_mappings);
	uint8_t want[16], got[16];
	ok(pgm_target_read(orig, A + 0x12, want, 16));
	ok(pgm_target_read(t, A + 0x12, got, 16));
	assert_memory_equal(want, got, 16);
	char *text;
	ok(pgm_target_read_text(t, A + 0x200, 256, &text));
	assert_string_equal(text, QUERY);
	free(text);
	/* the same failure, word for word, as the original */
	struct pgm_error *e1 = pgm_target_read(orig, C - 8, got, 16), *e2 = pgm_target_read(t, C - 8, got, 16);
	assert_non_null(e1);
	assert_non_null(e2);
	assert_int_equal(e2->code, e1->code);
	assert_string_equal(e2->message, e1->message);
	pgm_error_destroy(e1);
	pgm_error_destroy(e2);
	/* never read: not in this bundle, naming the mapping; unmapped: a fault */
	e2 = pgm_target_read(t, A + 0x1000, got, 8);
	assert_non_null(e2);
	assert_int_equal(e2->code, PGM_ERR_NOT_CAPTURED);
	assert_non_null(strstr(e2->message, "not in this bundle at 0x11000"));
	pgm_error_destroy(e2);
	e2 = pgm_target_read(t, 0x50000, got, 8);
	assert_non_null(e2);
	assert_int_equal(e2->code, PGM_ERR_FAULT);
	pgm_error_destroy(e2);
	pgm_target_destroy(orig);
	pgm_target_destroy(t);
}

static void redaction_overwrites_private_texts(void **state)
{
	(void)state;
	write_bundle("redacted.pgmb", true);
	struct pgm_bundle_file *b;
	const uint8_t *mem;
	size_t len;
	ok(pgm_bundle_file_open(path_of("redacted.pgmb"), &b));
	assert_true(pgm_bundle_file_redacted(b));
	assert_true(pgm_bundle_file_part(b, "memory", 0, &mem, &len));
	assert_null(memmem(mem, len, "secret", 6));
	pgm_bundle_file_release(b);
	struct pgm_target *t = open_capture("redacted.pgmb");
	char *text;
	ok(pgm_target_read_text(t, A + 0x200, 256, &text));
	assert_string_equal(text, "<redacted>");
	free(text);
	assert_true(t->origin->redacted);
	pgm_target_destroy(t);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	uint8_t *buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* Damaged copies live in one memfd, opened as /proc/self/fd/N: no file system work per copy. */
static const char *spill_memfd(const uint8_t *buf, size_t len)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("bad.pgmb", MFD_CLOEXEC);
		assert_true(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
	return path;
}

static void spill(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static const char *const part_names[] = { "process", "memory", "faults", "modules", "stacks", "layout", "frame_vars" };

/* Either a PGM_ERR_FORMAT error, or the very same parts as the good bundle. */
static void refused_or_same(const char *path, struct pgm_bundle_file *good)
{
	struct pgm_bundle_file *b;
	struct pgm_error *err = pgm_bundle_file_open(path, &b);
	if (err) {
		assert_int_equal(err->code, PGM_ERR_FORMAT);
		assert_true(strncmp(err->message, "header", 6) == 0 || strncmp(err->message, "manifest", 8) == 0 ||
			    strncmp(err->message, "part", 4) == 0 || strstr(err->message, "bytes"));
		pgm_error_destroy(err);
		return;
	}
	for (size_t i = 0; i < sizeof(part_names) / sizeof(part_names[0]); i++) {
		const uint8_t *x, *y;
		size_t nx, ny;
		assert_true(pgm_bundle_file_part(good, part_names[i], 0, &x, &nx));
		assert_true(pgm_bundle_file_part(b, part_names[i], 0, &y, &ny));
		assert_int_equal(nx, ny);
		assert_memory_equal(x, y, nx);
	}
	pgm_bundle_file_release(b);
}

static void every_damage_is_refused(void **state)
{
	(void)state;
	write_bundle("good.pgmb", false);
	size_t len;
	uint8_t *buf = slurp(path_of("good.pgmb"), &len);
	struct pgm_bundle_file *good;
	ok(pgm_bundle_file_open(path_of("good.pgmb"), &good));
	/* one bit of every byte, a different bit from byte to byte */
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= (uint8_t)(1 << (i % 8));
		refused_or_same(spill_memfd(buf, len), good);
		buf[i] ^= (uint8_t)(1 << (i % 8));
	}
	for (size_t cut = 0; cut < len; cut++) {
		struct pgm_bundle_file *b;
		struct pgm_error *err = pgm_bundle_file_open(spill_memfd(buf, cut), &b);
		assert_non_null(err);
		assert_int_equal(err->code, PGM_ERR_FORMAT);
		pgm_error_destroy(err);
	}
	pgm_bundle_file_release(good);
	free(buf);
}

/* A part replaced by another of the same size: only its hash tells. */
static void swapped_part_is_a_hash_mismatch(void **state)
{
	(void)state;
	char a[4096], b[4096];
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	const char *manifest = "{\"redacted\": false, \"captures\": [{}]}";
	struct pgm_bundle_part_in pa = { "process", 0, a, sizeof(a) }, pb = { "process", 0, b, sizeof(b) };
	uint64_t sa, sb;
	ok(pgm_bundle_file_write(path_of("a.pgmb"), manifest, &pa, 1, &sa));
	ok(pgm_bundle_file_write(path_of("b.pgmb"), manifest, &pb, 1, &sb));
	size_t la, lb;
	uint8_t *fa = slurp(path_of("a.pgmb"), &la), *fb = slurp(path_of("b.pgmb"), &lb);
	assert_int_equal(la, lb);
	/* the part's frame sits right after the header; the manifests differ only in the hash */
	size_t frame = 64;
	while (frame < la && fa[frame] == fb[frame])
		frame++;
	size_t end = frame;
	while (end < la && fa[end] != fb[end])
		end++;
	memcpy(fa + frame, fb + frame, end - frame);
	spill(path_of("swapped.pgmb"), fa, la);
	struct pgm_bundle_file *bf;
	struct pgm_error *err = pgm_bundle_file_open(path_of("swapped.pgmb"), &bf);
	assert_non_null(err);
	assert_string_equal(err->message, "part process of capture 0: sha256 mismatch (corrupt or tampered)");
	pgm_error_destroy(err);
	free(fa);
	free(fb);
}

/*
 * The fuzzing harness (fuzz/fuzz_bundle.c) over its seeds, as fuzz/replay.c
 * runs it when not fuzzing: real bundles, whole and as parts.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_harness_replays_seeds(void **state)
{
	(void)state;
	const char *dir_path = getenv("PGM_FUZZ_BUNDLE_SEEDS");
	if (!dir_path)
		skip();
	DIR *d = opendir(dir_path);
	assert_non_null(d);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir_path, e->d_name);
		uint8_t *buf = slurp(path, &len);
		assert_int_equal(LLVMFuzzerTestOneInput(buf, len), 0);
		free(buf);
		n++;
	}
	closedir(d);
	assert_true(n >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_keeps_reads_and_failures),
		cmocka_unit_test(bundle_replays_the_reads),
		cmocka_unit_test(redaction_overwrites_private_texts),
		cmocka_unit_test(every_damage_is_refused),
		cmocka_unit_test(swapped_part_is_a_hash_mismatch),
		cmocka_unit_test(fuzz_harness_replays_seeds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
