/*
 * Harness: a core file's ELF header, program headers and notes, then what
 * the layers above ask of the target: threads and their registers, auxv,
 * the mapping table, and reads at the edges of every mapping.
 *
 * The input is the whole core file, handed to pgm_target_core_open()
 * through a memfd (/proc/self/fd/N) as a real file would be.  Files named
 * by NT_FILE are looked up under a sysroot that does not exist, so the run
 * never depends on what this machine has on disk.  Seeds: trimmed real
 * cores (fuzz/make-seeds); dictionary: fuzz/dict/core.dict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "pgmortem/target.h"

#define SYSROOT "/nonexistent/pgmortem-fuzz-sysroot"
/* reads per input stay bounded whatever the mapping count */
#define MAX_MAPPINGS_READ 256

static volatile uint64_t sink;

static void read_at(struct pgm_target *t, uint64_t addr, size_t len)
{
	uint8_t buf[64];
	struct pgm_error *err = pgm_target_read(t, addr, buf, len);
	if (!err)
		for (size_t i = 0; i < len; i++)
			sink += buf[i];
	pgm_error_destroy(err);
}

static void read_mapping(struct pgm_target *t, const struct pgm_mapping *m)
{
	read_at(t, m->start, 16);
	read_at(t, m->end - 8, 16);              /* across the end, into the next one or nothing */
	read_at(t, m->start + (m->end - m->start) / 2, 64);
	char *s;
	bool truncated;
	struct pgm_error *err = pgm_target_read_string(t, m->start, 64, &s, &truncated);
	if (!err)
		free(s);
	pgm_error_destroy(err);
	sink += pgm_target_find_mapping(t, m->end - 1) == m;
}

static void exercise(struct pgm_target *t)
{
	for (size_t i = 0; i < t->n_threads; i++)
		sink += t->threads[i].regs.rip + t->threads[i].regs.rsp + (uint64_t)t->threads[i].cursig;
	static const uint64_t auxv_types[] = { 3 /* AT_PHDR */, 9 /* AT_ENTRY */, 31 /* AT_EXECFN */, 33 };
	for (size_t i = 0; i < sizeof(auxv_types) / sizeof(auxv_types[0]); i++) {
		uint64_t v;
		if (pgm_target_auxv(t, auxv_types[i], &v))
			sink += v;
	}
	for (size_t i = 0; i < t->n_mappings && i < MAX_MAPPINGS_READ; i++)
		read_mapping(t, &t->mappings[i]);
	for (size_t i = 0; i < t->n_warnings; i++)
		sink += t->warnings[i][0];
	if (t->has_siginfo)
		sink += t->siginfo.addr;
	pgm_error_destroy(pgm_target_check(t));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(data, size);
	struct pgm_target *t;
	struct pgm_error *err = pgm_target_core_open(path, SYSROOT, &t);
	if (err) {
		if (!err->message || !err->message[0])
			abort();   /* every refusal must say why */
		pgm_error_destroy(err);
		return 0;
	}
	exercise(t);
	pgm_target_destroy(t);
	return 0;
}
