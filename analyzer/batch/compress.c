/*
 * Recognising cores by content, and decompressing systemd-coredump's
 * compressed cores (zstd, lz4 frames, xz) into a memfd, streaming and capped.
 *
 * Each format is one `struct codec`: begin, step (consume input, produce
 * output) and end.  One driver feeds it from the file and hands the output
 * to a sink: the header probe (stops after an ELF header) or the memfd.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef PGM_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef PGM_HAVE_LZ4
#include <lz4frame.h>
#endif
#ifdef PGM_HAVE_LZMA
#include <lzma.h>
#endif

#include "pgmortem/batch.h"
#include "pgmortem/target.h"

#define IN_CHUNK (256u << 10)
#define OUT_CHUNK (1u << 20)
#define PAGE 4096u
#define XZ_MEMLIMIT (1u << 30)   /* decoder memory: xz -9 needs 65 MiB */

const char *pgm_compression_name(enum pgm_compression c)
{
	switch (c) {
	case PGM_COMPRESSION_NONE: return "none";
	case PGM_COMPRESSION_ZSTD: return "zstd";
	case PGM_COMPRESSION_LZ4: return "lz4";
	case PGM_COMPRESSION_XZ: return "xz";
	}
	return "unknown";
}

/* ---- codecs ---- */

struct codec {
	const char *name;
	struct pgm_error *(*begin)(void **state);
	/*
	 * Consumes from in[*in_pos..in_len), produces into out[*out_pos..out_len).
	 * Sets *at_end when the data so far ends cleanly (a complete frame or
	 * stream, all output flushed).  Called with in_len 0 once the input
	 * has ended, to flush.
	 */
	struct pgm_error *(*step)(void *state, const uint8_t *in, size_t in_len, size_t *in_pos,
				  uint8_t *out, size_t out_len, size_t *out_pos, bool *at_end);
	void (*end)(void *state);
};

#ifdef PGM_HAVE_ZSTD
static struct pgm_error *zstd_begin(void **state)
{
	return (*state = ZSTD_createDStream()) ? NULL : &pgm_enomem;
}

static struct pgm_error *zstd_step(void *state, const uint8_t *in, size_t in_len, size_t *in_pos,
				   uint8_t *out, size_t out_len, size_t *out_pos, bool *at_end)
{
	ZSTD_inBuffer ib = { in, in_len, *in_pos };
	ZSTD_outBuffer ob = { out, out_len, *out_pos };
	size_t rc = ZSTD_decompressStream(state, &ob, &ib);
	*in_pos = ib.pos;
	*out_pos = ob.pos;
	if (ZSTD_isError(rc))
		return pgm_error_create(PGM_ERR_FORMAT, "zstd: %s", ZSTD_getErrorName(rc));
	/* 0: a frame ended and is flushed; another may follow (concatenated frames) */
	*at_end = rc == 0;
	return NULL;
}

static void zstd_end(void *state)
{
	ZSTD_freeDStream(state);
}
#endif

#ifdef PGM_HAVE_LZ4
static struct pgm_error *lz4_begin(void **state)
{
	LZ4F_dctx *d;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return &pgm_enomem;
	*state = d;
	return NULL;
}

static struct pgm_error *lz4_step(void *state, const uint8_t *in, size_t in_len, size_t *in_pos,
				  uint8_t *out, size_t out_len, size_t *out_pos, bool *at_end)
{
	size_t src = in_len - *in_pos, dst = out_len - *out_pos;
	size_t rc = LZ4F_decompress(state, out + *out_pos, &dst, in + *in_pos, &src, NULL);
	*in_pos += src;
	*out_pos += dst;
	if (LZ4F_isError(rc))
		return pgm_error_create(PGM_ERR_FORMAT, "lz4: %s", LZ4F_getErrorName(rc));
	*at_end = rc == 0;
	return NULL;
}

static void lz4_end(void *state)
{
	LZ4F_freeDecompressionContext(state);
}
#endif

#ifdef PGM_HAVE_LZMA
static struct pgm_error *xz_begin(void **state)
{
	lzma_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return &pgm_enomem;
	if (lzma_stream_decoder(s, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
		free(s);
		return &pgm_enomem;
	}
	*state = s;
	return NULL;
}

static const char *xz_error(lzma_ret rc)
{
	switch (rc) {
	case LZMA_FORMAT_ERROR: return "not an xz stream";
	case LZMA_OPTIONS_ERROR: return "unsupported compression options";
	case LZMA_DATA_ERROR: return "corrupt data";
	case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
	default: return "decoder error";
	}
}

static struct pgm_error *xz_step(void *state, const uint8_t *in, size_t in_len, size_t *in_pos,
				 uint8_t *out, size_t out_len, size_t *out_pos, bool *at_end)
{
	lzma_stream *s = state;
	s->next_in = in + *in_pos;
	s->avail_in = in_len - *in_pos;
	s->next_out = out + *out_pos;
	s->avail_out = out_len - *out_pos;
	/* LZMA_FINISH once the input is exhausted: LZMA_CONCATENATED needs it to end */
	lzma_ret rc = lzma_code(s, in_len == 0 ? LZMA_FINISH : LZMA_RUN);
	*in_pos = in_len - s->avail_in;
	*out_pos = out_len - s->avail_out;
	*at_end = rc == LZMA_STREAM_END;
	if (rc == LZMA_STREAM_END)
		return NULL;
	if (rc == LZMA_MEM_ERROR)
		return &pgm_enomem;
	if (rc == LZMA_MEMLIMIT_ERROR)
		return pgm_error_create(PGM_ERR_LIMIT, "xz: the stream needs more than %u MiB to decode",
					XZ_MEMLIMIT >> 20);
	if (rc != LZMA_OK && rc != LZMA_BUF_ERROR)
		return pgm_error_create(PGM_ERR_FORMAT, "xz: %s", xz_error(rc));
	return NULL;
}

static void xz_end(void *state)
{
	lzma_end(state);
	free(state);
}
#endif

static const struct codec *codec_for(enum pgm_compression c)
{
#ifdef PGM_HAVE_ZSTD
	static const struct codec zstd = { "zstd", zstd_begin, zstd_step, zstd_end };
	if (c == PGM_COMPRESSION_ZSTD)
		return &zstd;
#endif
#ifdef PGM_HAVE_LZ4
	static const struct codec lz4 = { "lz4", lz4_begin, lz4_step, lz4_end };
	if (c == PGM_COMPRESSION_LZ4)
		return &lz4;
#endif
#ifdef PGM_HAVE_LZMA
	static const struct codec xz = { "xz", xz_begin, xz_step, xz_end };
	if (c == PGM_COMPRESSION_XZ)
		return &xz;
#endif
	(void)c;
	return NULL;
}

/* ---- the driver ---- */

/* Where output goes; put() sets *stop to end early (not an error). */
struct sink {
	struct pgm_error *(*put)(struct sink *s, const uint8_t *buf, size_t len, bool *stop);
};

/* The input has ended: flush what the decoder holds; it must end cleanly. */
static struct pgm_error *finish(const struct codec *c, void *state, uint8_t *out,
				struct sink *sink, bool *at_end, bool *stop)
{
	static const uint8_t none[1];
	while (!*at_end && !*stop) {
		size_t in_pos = 0, out_pos = 0;
		struct pgm_error *err = c->step(state, none, 0, &in_pos, out, OUT_CHUNK, &out_pos, at_end);
		if (!err && out_pos)
			err = sink->put(sink, out, out_pos, stop);
		else if (!err && !*at_end)
			err = pgm_error_create(PGM_ERR_FORMAT, "%s: the compressed stream is truncated", c->name);
		if (err)
			return err;
	}
	return NULL;
}

static struct pgm_error *feed(const struct codec *c, void *state, const uint8_t *in, size_t n,
			      uint8_t *out, struct sink *sink, bool *at_end, bool *stop)
{
	size_t in_pos = 0;
	while (in_pos < n && !*stop) {
		size_t before = in_pos, out_pos = 0;
		struct pgm_error *err = c->step(state, in, n, &in_pos, out, OUT_CHUNK, &out_pos, at_end);
		if (!err && out_pos)
			err = sink->put(sink, out, out_pos, stop);
		else if (!err && in_pos == before)
			err = pgm_error_create(PGM_ERR_FORMAT, "%s: the decoder made no progress", c->name);
		if (err)
			return err;
	}
	return NULL;
}

static struct pgm_error *drive(int fd, const struct codec *c, struct sink *sink)
{
	void *state;
	uint8_t *in = malloc(IN_CHUNK), *out = malloc(OUT_CHUNK);
	struct pgm_error *err = in && out ? c->begin(&state) : &pgm_enomem;
	if (err)
		goto out_free;
	off_t off = 0;
	bool at_end = false, stop = false;
	while (!err && !stop) {
		ssize_t n = pread(fd, in, IN_CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = pgm_error_errno(errno, "read");
		else if (n == 0)
			break;
		else
			err = feed(c, state, in, (size_t)n, out, sink, &at_end, &stop);
		off += n;
	}
	if (!err && !stop)
		err = finish(c, state, out, sink, &at_end, &stop);
	c->end(state);
out_free:
	free(in);
	free(out);
	return err;
}

/* ---- probing ---- */

struct header_sink {
	struct sink base;
	uint8_t buf[sizeof(Elf64_Ehdr)];
	size_t len;
};

static struct pgm_error *header_put(struct sink *s, const uint8_t *buf, size_t len, bool *stop)
{
	struct header_sink *h = (struct header_sink *)s;
	size_t take = sizeof(h->buf) - h->len < len ? sizeof(h->buf) - h->len : len;
	memcpy(h->buf + h->len, buf, take);
	h->len += take;
	*stop = h->len == sizeof(h->buf);
	return NULL;
}

static enum pgm_compression compression_of(const uint8_t *b, size_t len)
{
	static const uint8_t zstd[] = { 0x28, 0xb5, 0x2f, 0xfd }, lz4[] = { 0x04, 0x22, 0x4d, 0x18 };
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
	if (len >= sizeof(zstd) && memcmp(b, zstd, sizeof(zstd)) == 0)
		return PGM_COMPRESSION_ZSTD;
	if (len >= sizeof(lz4) && memcmp(b, lz4, sizeof(lz4)) == 0)
		return PGM_COMPRESSION_LZ4;
	if (len >= sizeof(xz) && memcmp(b, xz, sizeof(xz)) == 0)
		return PGM_COMPRESSION_XZ;
	return PGM_COMPRESSION_NONE;
}

/* The ELF header's verdict, in the words `pgmortem analyze` uses; `how` names the compression. */
static struct pgm_error *check_header(const uint8_t *b, size_t len, const char *how)
{
	struct pgm_error *err = pgm_core_check_header(b, len);
	return err && how ? pgm_error_wrap(err, "%s", how) : err;
}

struct pgm_error *pgm_core_probe(int fd, enum pgm_compression *ret)
{
	uint8_t b[sizeof(Elf64_Ehdr)];
	ssize_t n;
	do
		n = pread(fd, b, sizeof(b), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return pgm_error_errno(errno, "read");
	enum pgm_compression c = compression_of(b, (size_t)n);
	if (c == PGM_COMPRESSION_NONE) {
		struct pgm_error *err = check_header(b, (size_t)n, NULL);
		if (!err)
			*ret = c;
		return err;
	}
	const struct codec *codec = codec_for(c);
	if (!codec)
		return pgm_error_create(PGM_ERR_UNSUPPORTED,
					"%s-compressed file: this pgmortem was built without %s support",
					pgm_compression_name(c), pgm_compression_name(c));
	struct header_sink h = { .base = { header_put }, .len = 0 };
	struct pgm_error *err = drive(fd, codec, &h.base);
	char how[32];
	snprintf(how, sizeof(how), "%s-compressed data", pgm_compression_name(c));
	if (err)
		return pgm_error_wrap(err, "not a core file: %s", how);
	if ((err = check_header(h.buf, h.len, how)))
		return err;
	*ret = c;
	return NULL;
}

/* ---- decompressing into a memfd ---- */

struct memfd_sink {
	struct sink base;
	int fd;
	uint64_t size, cap;
};

static bool all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static struct pgm_error *write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pgm_error_errno(errno, "write to memfd");
		buf += n;
		len -= (size_t)n;
	}
	return NULL;
}

/* Zero pages become holes (cores are mostly zeros); the size is set at the end. */
static struct pgm_error *memfd_put(struct sink *s, const uint8_t *buf, size_t len, bool *stop)
{
	struct memfd_sink *m = (struct memfd_sink *)s;
	if (len > m->cap - m->size)
		return pgm_error_create(PGM_ERR_LIMIT,
			"decompressed core larger than the cap of %llu bytes (--max-size)",
			(unsigned long long)m->cap);
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < PAGE ? len - off : PAGE - (size_t)((m->size + off) % PAGE);
		if (chunk > len - off)
			chunk = len - off;
		struct pgm_error *err;
		if (all_zero(buf + off, chunk)) {
			if (lseek(m->fd, (off_t)chunk, SEEK_CUR) < 0)
				return pgm_error_errno(errno, "lseek memfd");
		} else if ((err = write_all(m->fd, buf + off, chunk))) {
			return err;
		}
		off += chunk;
	}
	m->size += len;
	*stop = false;
	return NULL;
}

struct pgm_error *pgm_core_decompress(int fd, enum pgm_compression c, uint64_t cap, int *ret)
{
	const struct codec *codec = codec_for(c);
	if (!codec)
		return pgm_error_create(PGM_ERR_UNSUPPORTED, "no %s support in this build",
					pgm_compression_name(c));
	int mfd = memfd_create("pgmortem-core", MFD_CLOEXEC);
	if (mfd < 0)
		return pgm_error_errno(errno, "memfd_create");
	struct memfd_sink m = { .base = { memfd_put }, .fd = mfd, .size = 0, .cap = cap };
	struct pgm_error *err = drive(fd, codec, &m.base);
	if (!err && ftruncate(mfd, (off_t)m.size) < 0)
		err = pgm_error_errno(errno, "ftruncate memfd");
	if (err) {
		close(mfd);
		return err;
	}
	*ret = mfd;
	return NULL;
}

/* MemAvailable from /proc/meminfo, in bytes; 0 if unknown. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long long kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb << 10;
}

uint64_t pgm_core_default_cap(unsigned jobs)
{
	const uint64_t max = 64ull << 30;
	uint64_t avail = mem_available() / (jobs ? jobs : 1);
	return avail && avail < max ? avail : max;
}
