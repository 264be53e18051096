/*
 * Harness: recognising and decompressing compressed cores (batch/compress.c).
 *
 * The first byte picks what to do with the rest, the stream: 0-2 decompress
 * it as zstd, lz4 or xz whatever its magic says (the decoders see every
 * kind of garbage, not only streams with the right magic), 3 probes it as
 * `pgmortem batch` does on each file and decompresses it if the probe says
 * it is a compressed core.  The output cap is small so a decompression bomb
 * ends quickly at the cap, which is the behaviour under test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "pgmortem/batch.h"

#define CAP (4u << 20)

static void decompress(int fd, enum pgm_compression c)
{
	int out;
	struct pgm_error *err = pgm_core_decompress(fd, c, CAP, &out);
	if (err) {
		pgm_error_destroy(err);
		return;
	}
	off_t size = lseek(out, 0, SEEK_END);
	if (size < 0 || size > (off_t)CAP)
		abort();   /* the cap is a promise */
	close(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int fd = fuzz_input_fd(data + 1, size - 1);
	static const enum pgm_compression codecs[] = {
		PGM_COMPRESSION_ZSTD, PGM_COMPRESSION_LZ4, PGM_COMPRESSION_XZ,
	};
	unsigned op = data[0] % 4;
	if (op < 3) {
		decompress(fd, codecs[op]);
		return 0;
	}
	enum pgm_compression c;
	struct pgm_error *err = pgm_core_probe(fd, &c);
	if (err)
		pgm_error_destroy(err);
	else if (c != PGM_COMPRESSION_NONE)
		decompress(fd, c);
	return 0;
}
