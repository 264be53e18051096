/*
 * Batch pieces without cores: recognising cores by content (raw and
 * compressed), decompressing with a cap, signatures of hand-built reports,
 * the process pool's outcomes (exit, crash, timeout, flood), and JUnit
 * escaping.  Files are memfds; nothing touches the disk.
 */
#include <elf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#ifdef PGM_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef PGM_HAVE_LZ4
#include <lz4frame.h>
#endif
#ifdef PGM_HAVE_LZMA
#include <lzma.h>
#endif

#include "analysis/analysis.h"
#include "pgmortem/batch.h"

/* ---- files in memory ---- */

static int memfile(const void *data, size_t len)
{
	int fd = memfd_create("test", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* An ELF header of type `type` followed by `extra` bytes of a pattern. */
static uint8_t *elf_image(uint16_t type, size_t extra, size_t *len)
{
	*len = sizeof(Elf64_Ehdr) + extra;
	uint8_t *b = calloc(1, *len);
	assert_non_null(b);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	for (size_t i = 0; i < extra; i++)
		b[sizeof(*eh) + i] = (i / 8192) % 3 ? (uint8_t)(i * 7) : 0;   /* zero pages too */
	return b;
}

static struct pgm_error *probe_bytes(const void *data, size_t len, enum pgm_compression *c)
{
	int fd = memfile(data, len);
	struct pgm_error *err = pgm_core_probe(fd, c);
	close(fd);
	return err;
}

static void expect_not_core(const void *data, size_t len, const char *message)
{
	enum pgm_compression c;
	struct pgm_error *err = probe_bytes(data, len, &c);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	assert_string_equal(err->message, message);
	pgm_error_destroy(err);
}

static void test_probe_raw(void **state)
{
	(void)state;
	size_t len;
	enum pgm_compression c = PGM_COMPRESSION_XZ;
	uint8_t *core = elf_image(ET_CORE, 0, &len), *exe = elf_image(ET_EXEC, 0, &len);
	assert_null(probe_bytes(core, len, &c));
	assert_int_equal(c, PGM_COMPRESSION_NONE);
	/* the words pgm_target_core_open() refuses them with, as `analyze` prints them */
	expect_not_core(exe, len, "not a core file (ELF type ET_EXEC, an executable)");
	expect_not_core(core, 20, "truncated in the ELF header (file has 20 of 64 bytes)");
	expect_not_core("just text\n", 10, "not an ELF file (no ELF magic)");
	expect_not_core("", 0, "empty file, not a core");
	free(core);
	free(exe);
}

/* ---- compressed: each format the build has ---- */

typedef uint8_t *compress_fn(const uint8_t *in, size_t len, size_t *out_len);

#ifdef PGM_HAVE_ZSTD
static uint8_t *zstd_compress(const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(len);
	uint8_t *out = malloc(cap);
	*out_len = ZSTD_compress(out, cap, in, len, 3);
	assert_false(ZSTD_isError(*out_len));
	return out;
}
#endif
#ifdef PGM_HAVE_LZ4
static uint8_t *lz4_compress(const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = LZ4F_compressFrameBound(len, NULL);
	uint8_t *out = malloc(cap);
	*out_len = LZ4F_compressFrame(out, cap, in, len, NULL);
	assert_false(LZ4F_isError(*out_len));
	return out;
}
#endif
#ifdef PGM_HAVE_LZMA
static uint8_t *xz_compress(const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = lzma_stream_buffer_bound(len);
	uint8_t *out = malloc(cap);
	*out_len = 0;
	assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in, len, out, out_len, cap), LZMA_OK);
	return out;
}
#endif

static const struct { enum pgm_compression c; compress_fn *fn; } codecs[] = {
#ifdef PGM_HAVE_ZSTD
	{ PGM_COMPRESSION_ZSTD, zstd_compress },
#endif
#ifdef PGM_HAVE_LZ4
	{ PGM_COMPRESSION_LZ4, lz4_compress },
#endif
#ifdef PGM_HAVE_LZMA
	{ PGM_COMPRESSION_XZ, xz_compress },
#endif
	{ PGM_COMPRESSION_NONE, NULL },
};

static void check_codec(enum pgm_compression want, compress_fn *fn)
{
	size_t len, zlen, elen;
	uint8_t *core = elf_image(ET_CORE, 3u << 20, &len), *z = fn(core, len, &zlen);
	uint8_t *exe = elf_image(ET_DYN, 100, &elen);
	enum pgm_compression c;
	int fd = memfile(z, zlen), out = -1;
	assert_null(pgm_core_probe(fd, &c));
	assert_int_equal(c, want);

	/* round trip, zero pages as holes */
	assert_null(pgm_core_decompress(fd, c, 64u << 20, &out));
	assert_int_equal(lseek(out, 0, SEEK_END), (off_t)len);
	uint8_t *back = mmap(NULL, len, PROT_READ, MAP_PRIVATE, out, 0);
	assert_true(back != MAP_FAILED);
	assert_memory_equal(back, core, len);
	munmap(back, len);
	close(out);

	/* the cap: nothing kept, PGM_ERR_LIMIT */
	struct pgm_error *err = pgm_core_decompress(fd, c, 1u << 20, &out);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_LIMIT);
	pgm_error_destroy(err);
	close(fd);

	/* a truncated stream fails; the header alone still probes as a core */
	fd = memfile(z, zlen / 2);
	assert_null(pgm_core_probe(fd, &c));
	err = pgm_core_decompress(fd, c, 64u << 20, &out);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	pgm_error_destroy(err);
	close(fd);

	/* a compressed executable is not a core */
	free(z);
	z = fn(exe, elen, &zlen);
	fd = memfile(z, zlen);
	err = pgm_core_probe(fd, &c);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "-compressed data: not a core file (ELF type ET_DYN"));
	pgm_error_destroy(err);
	close(fd);
	free(z);
	free(exe);
	free(core);
}

static void test_compressed(void **state)
{
	(void)state;
	for (size_t i = 0; codecs[i].fn; i++)
		check_codec(codecs[i].c, codecs[i].fn);
	if (!codecs[0].fn)
		skip();
}

/* ---- signatures ---- */

static struct pgm_module main_module = { .name = "postgres", .is_main = true };
static struct pgm_module libc_module = { .name = "libc.so.6" };

/* A stack from "function@module" names, innermost first; "@" alone is libc. */
static struct pgm_stack *stack_of(const char *const *names, size_t n)
{
	struct pgm_stack *s = calloc(1, sizeof(*s));
	s->frames = calloc(n, sizeof(*s->frames));
	s->n_frames = n;
	for (size_t i = 0; i < n; i++) {
		const char *at = strchr(names[i], '@');
		s->frames[i].index = (unsigned)i;
		s->frames[i].function = strndup(names[i], at ? (size_t)(at - names[i]) : strlen(names[i]));
		s->frames[i].module = at ? &libc_module : &main_module;
	}
	return s;
}

static char *signature_of(struct pgm_report *r, const char *const *names, size_t n,
			  enum pgm_batch_problem *problem)
{
	char *sig;
	r->stacks = calloc(1, sizeof(*r->stacks));
	r->stacks[0] = stack_of(names, n);
	r->n_stacks = 1;
	assert_null(pgm_batch_signature(r, &sig, problem));
	return sig;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_signatures(void **state)
{
	(void)state;
	static const char *const cv[] = { "epoll_wait@", "WaitEventSetWaitBlock", "WaitEventSetWait",
		"WaitLatch", "ConditionVariableTimedSleep", "ConditionVariableSleep", "_bt_parallel_seize", "_bt_first" };
	static const char *const lock[] = { "epoll_wait@", "WaitEventSetWait", "WaitLatch", "ProcSleep",
		"WaitOnLock", "LockAcquireExtended" };
	static const char *const assert_fail[] = { "__pthread_kill_implementation@", "raise@", "abort@",
		"ExceptionalCondition", "heap_update", "ExecUpdate" };
	enum pgm_batch_problem p;
	char *sig;

	struct pgm_report *r = pgm_report_create();
	r->wait.kind = PGM_WAIT_CONDITION_VARIABLE;
	r->on_demand = true;
	sig = signature_of(r, cv, N(cv), &p);
	assert_string_equal(sig, "condition_variable:_bt_parallel_seize");
	assert_int_equal(p, PGM_PROBLEM_STUCK);
	free(sig);
	pgm_report_destroy(r);

	/* a stuck backend killed with SIGABRT for its core: still the wait */
	r = pgm_report_create();
	r->wait.kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	r->signal = SIGABRT;
	r->wait.hwlock.tag_known = true;
	r->wait.hwlock.tag.locktype = strdup("relation");
	sig = signature_of(r, lock, N(lock), &p);
	assert_string_equal(sig, "heavyweight_lock:ProcSleep relation");
	assert_int_equal(p, PGM_PROBLEM_STUCK);
	free(sig);
	pgm_report_destroy(r);

	/* an assertion failure: the caller of ExceptionalCondition, not abort() */
	r = pgm_report_create();
	r->wait.kind = PGM_WAIT_NONE;
	r->signal = SIGABRT;
	sig = signature_of(r, assert_fail, N(assert_fail), &p);
	assert_string_equal(sig, "crash:SIGABRT:heap_update");
	assert_int_equal(p, PGM_PROBLEM_CRASH);
	free(sig);
	pgm_report_destroy(r);

	/* SIGSEGV sent to a running backend (corpus/pg15/crash): analyze's decision, batch's crash */
	static const char *const running[] = { "agg_retrieve_direct", "ExecAgg", "standard_ExecutorRun" };
	r = pgm_report_create();
	r->wait.kind = PGM_WAIT_NONE;
	r->signal = SIGSEGV;
	r->signal_sender = 30880;
	sig = signature_of(r, running, N(running), &p);
	assert_string_equal(sig, "crash:SIGSEGV:agg_retrieve_direct");
	assert_int_equal(p, PGM_PROBLEM_CRASH);
	assert_true(pgm_died_of_signal(r));
	assert_string_equal(pgm_crash_site(r->stacks[0]), "agg_retrieve_direct");
	free(sig);
	pgm_report_destroy(r);

	/* a stripped build: the innermost frame has no symbol; the site is its caller, said as such */
	static const char *const stripped[] = { "static_fn", "ExecAgg", "standard_ExecutorRun" };
	struct pgm_stack *st = stack_of(stripped, N(stripped));
	free(st->frames[0].function);
	st->frames[0].function = NULL;
	assert_string_equal(pgm_crash_site(st), "ExecAgg");
	assert_true(pgm_crash_site_has_unnamed_callee(st, pgm_crash_site(st)));
	st->frames[0].module = &libc_module;   /* an unnamed libc frame is how it died, not where */
	assert_false(pgm_crash_site_has_unnamed_callee(st, pgm_crash_site(st)));
	pgm_stack_destroy(st);

	/* the same on demand (gcore, live): nothing died */
	r = pgm_report_create();
	r->wait.kind = PGM_WAIT_NONE;
	r->on_demand = true;
	sig = signature_of(r, running, N(running), &p);
	assert_false(pgm_died_of_signal(r));
	assert_int_equal(p, PGM_PROBLEM_NONE);
	free(sig);
	pgm_report_destroy(r);

	/* idle in a client read: no problem; the wait event names it */
	r = pgm_report_create();
	r->wait.kind = PGM_WAIT_SOCKET;
	r->wait_event = (struct pgm_wait_event){ .known = true, .name = strdup("ClientRead") };
	sig = signature_of(r, lock, 1, &p);
	assert_string_equal(sig, "socket:ClientRead");
	assert_int_equal(p, PGM_PROBLEM_NONE);
	free(sig);
	pgm_report_destroy(r);
}

/* ---- the pool ---- */

struct pool_log {
	struct pgm_batch_result results[8];
	char outputs[8][64];
	int calls;
};

static int pool_job(void *arg, size_t index, int out_fd)
{
	(void)arg;
	static char big[1 << 16];
	switch (index) {
	case 0:
		return write(out_fd, "{\"ok\":0}", 8) == 8 ? 0 : 1;
	case 1:
		raise(SIGSEGV);
		return 1;
	case 2:
		fputs("first line\nlast words\n", stderr);
		return 3;
	case 3:
		for (;;)
			pause();
	default:
		memset(big, 'x', sizeof(big));
		for (int i = 0; i < 64; i++)
			if (write(out_fd, big, sizeof(big)) < 0)
				return 1;
		return 0;
	}
}

static void pool_done(void *arg, size_t index, const struct pgm_batch_result *r)
{
	struct pool_log *log = arg;
	log->results[index] = *r;
	snprintf(log->outputs[index], sizeof(log->outputs[index]), "%.20s|%s", r->output, r->stderr_tail);
	log->results[index].output = NULL;
	log->results[index].stderr_tail = NULL;
	log->calls++;
}

static void test_pool_outcomes(void **state)
{
	(void)state;
	struct pool_log log = { .calls = 0 };
	struct pgm_batch_pool_options o = {
		.jobs = 3, .timeout = 1.0, .max_output = 1 << 20, .job = pool_job, .done = pool_done, .arg = &log,
	};
	assert_null(pgm_batch_run(5, &o));
	assert_int_equal(log.calls, 5);
	assert_int_equal(log.results[0].outcome, PGM_BATCH_EXITED);
	assert_int_equal(log.results[0].exit_code, 0);
	assert_string_equal(log.outputs[0], "{\"ok\":0}|");
	assert_int_equal(log.results[1].outcome, PGM_BATCH_KILLED);
	assert_int_equal(log.results[1].signo, SIGSEGV);
	assert_int_equal(log.results[2].outcome, PGM_BATCH_EXITED);
	assert_int_equal(log.results[2].exit_code, 3);
	assert_string_equal(log.outputs[2], "|first line\nlast words\n");
	assert_int_equal(log.results[3].outcome, PGM_BATCH_TIMEOUT);
	assert_true(log.results[3].seconds >= 1.0);
	assert_int_equal(log.results[4].outcome, PGM_BATCH_EXITED);
	assert_true(log.results[4].output_truncated);
	assert_int_equal(log.results[4].output_len, 1 << 20);
}

/* ---- JUnit ---- */

static void test_junit_escaping(void **state)
{
	(void)state;
	json_object *rec = json_object_new_object();
	json_object_object_add(rec, "path", json_object_new_string("/cores/a\"b<c>&\x01\xff.core"));
	json_object_object_add(rec, "status", json_object_new_string("failed"));
	json_object_object_add(rec, "error", json_object_new_string("line one\nline <two>"));
	struct pgm_batch_records recs = { &rec, 1 };
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	pgm_batch_render_junit(f, &recs, 1.5);
	fclose(f);
	assert_non_null(strstr(buf, "name=\"/cores/a&quot;b&lt;c&gt;&amp;\xef\xbf\xbd\xef\xbf\xbd.core\""));
	assert_non_null(strstr(buf, "message=\"line one&#10;line &lt;two&gt;\""));
	assert_non_null(strstr(buf, ">line one\nline &lt;two&gt;</error>"));
	assert_non_null(strstr(buf, "tests=\"1\" failures=\"0\" errors=\"1\""));
	free(buf);
	json_object_put(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_raw),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_pool_outcomes),
		cmocka_unit_test(test_junit_escaping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
