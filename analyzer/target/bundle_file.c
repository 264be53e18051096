/*
 * The bundle container (pgmortem/bundle_file.h): a header, zstd frames and a
 * JSON manifest that hashes every part.  Reading checks every size against
 * the file and the bounds before allocating, and every hash, before any
 * part is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "pgmortem/bundle_file.h"
#include "target/bundle_json.h"
#include "target/target_internal.h"
#include "util/file.h"
#include "util/text.h"

#define FORMAT_NAME "pgmortem-bundle"
#define MAX_PART_NAME 32
#define COMPRESSION_LEVEL 19

struct part {
	char name[MAX_PART_NAME + 1];
	size_t capture;
	uint8_t *data;
	size_t len;
};

struct pgm_bundle_file {
	int refs;
	char *path;
	char *manifest;
	struct part *parts;
	size_t n_parts;
	size_t n_captures;
	bool redacted;
};

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned n = 32;
	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
		memset(out, 0, 32);   /* never matches a real digest's hex */
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A malformed bundle: one error naming the part. */
#define bad(...) pgm_error_create(PGM_ERR_FORMAT, __VA_ARGS__)

/* ---- reading ---- */

static struct pgm_error *read_whole(const char *path, uint8_t **ret, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return pgm_error_errno(errno, "open");
	struct stat st;
	struct pgm_error *err = NULL;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) < 0)
		err = pgm_error_errno(errno, "fstat");
	else if (!S_ISREG(st.st_mode))
		err = bad("not a regular file");
	else if (st.st_size > PGM_BUNDLE_MAX_FILE)
		err = bad("%" PRId64 " bytes: a bundle is at most %u MiB", (int64_t)st.st_size,
			  PGM_BUNDLE_MAX_FILE >> 20);
	else if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1)))
		err = &pgm_enomem;
	size_t got = 0;
	while (!err && got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			err = r < 0 ? pgm_error_errno(errno, "read") : bad("the file shrank while read");
		else
			got += (size_t)r;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*ret = buf;
	*len = got;
	return NULL;
}

/* One zstd frame at [off, off + size) of the file that decompresses to exactly raw bytes. */
static struct pgm_error *inflate(const uint8_t *file, size_t file_len, uint64_t off, uint64_t size,
				 uint64_t raw, uint8_t **ret)
{
	if (off < PGM_BUNDLE_HEADER_SIZE || off > file_len || size > file_len - off || size == 0)
		return bad("its frame (offset %" PRIu64 ", %" PRIu64 " bytes) lies outside the file "
			   "(truncated?)", off, size);
	const uint8_t *src = file + off;
	if (ZSTD_findFrameCompressedSize(src, size) != size)
		return bad("not one zstd frame of %" PRIu64 " bytes", size);
	unsigned long long declared = ZSTD_getFrameContentSize(src, size);
	if (declared != raw)
		return bad("its frame declares %llu bytes, the manifest %" PRIu64, declared, raw);
	uint8_t *out = malloc(raw ? raw : 1);
	if (!out)
		return &pgm_enomem;
	size_t n = ZSTD_decompress(out, raw, src, size);
	if (ZSTD_isError(n) || n != raw) {
		free(out);
		return bad("zstd: %s", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame");
	}
	*ret = out;
	return NULL;
}

static bool hash_matches(const uint8_t *data, size_t len, const uint8_t want[32])
{
	uint8_t got[32];
	sha256(data, len, got);
	return memcmp(got, want, 32) == 0;
}

static struct pgm_error *read_manifest(struct pgm_bundle_file *b, const uint8_t *file, size_t len)
{
	if (len < 8 || memcmp(file, PGM_BUNDLE_MAGIC, 8) != 0)
		return bad("header: not a pgmortem bundle (bad magic)");
	if (len < PGM_BUNDLE_HEADER_SIZE)
		return bad("header: truncated (%zu bytes of %d)", len, PGM_BUNDLE_HEADER_SIZE);
	uint32_t version = get_u32(file + 8), hsize = get_u32(file + 12);
	if (version != PGM_BUNDLE_VERSION)
		return bad("header: format version %" PRIu32 ", this pgmortem reads version %d", version,
			   PGM_BUNDLE_VERSION);
	if (hsize != PGM_BUNDLE_HEADER_SIZE)
		return bad("header: size %" PRIu32 ", expected %d", hsize, PGM_BUNDLE_HEADER_SIZE);
	uint64_t off = get_u64(file + 16), size = get_u64(file + 24);
	if (off > len || size > len - off)
		return bad("manifest: lies outside the file (truncated?)");
	unsigned long long raw = ZSTD_getFrameContentSize(file + off, size);
	if (raw == ZSTD_CONTENTSIZE_UNKNOWN || raw == ZSTD_CONTENTSIZE_ERROR || raw > PGM_BUNDLE_MAX_MANIFEST)
		return bad("manifest: not a zstd frame of at most %u bytes", PGM_BUNDLE_MAX_MANIFEST);
	uint8_t *text;
	struct pgm_error *err = inflate(file, len, off, size, raw, &text);
	if (err)
		return pgm_error_wrap(err, "manifest");
	if (!hash_matches(text, raw, file + 32)) {
		free(text);
		return bad("manifest: sha256 mismatch (corrupt or tampered)");
	}
	char *s = realloc(text, raw + 1);
	if (!s) {
		free(text);
		return &pgm_enomem;
	}
	s[raw] = '\0';
	b->manifest = s;
	return NULL;
}

static struct pgm_error *get_sha(json_object *o, uint8_t out[32])
{
	json_object *v;
	if (!json_object_object_get_ex(o, "sha256", &v) || !json_object_is_type(v, json_type_string))
		return bad("bad \"sha256\"");
	const char *s = json_object_get_string(v);
	if (strlen(s) != 64 || !pgm_hex_parse(s, out, 32))
		return bad("bad \"sha256\"");
	return NULL;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	return n && n <= MAX_PART_NAME && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

static struct pgm_error *part_name(json_object *o, struct part *p)
{
	char *name;
	struct pgm_error *err = pgm_bjson_get_str(o, "name", &name);
	if (!err && (!name || !valid_name(name)))
		err = bad("bad \"name\"");
	if (!err)
		strcpy(p->name, name);
	free(name);
	return err;
}

static bool part_exists(const struct pgm_bundle_file *b, const char *name, size_t capture)
{
	for (size_t i = 0; i < b->n_parts; i++)
		if (b->parts[i].capture == capture && strcmp(b->parts[i].name, name) == 0)
			return true;
	return false;
}

static struct pgm_error *load_part(struct pgm_bundle_file *b, json_object *o, const uint8_t *file,
				   size_t len, uint64_t *total)
{
	struct part *p = &b->parts[b->n_parts];
	int64_t capture, off, size, raw;
	uint8_t want[32];
	struct pgm_error *err;
	if (!json_object_is_type(o, json_type_object))
		return bad("part %zu: not an object", b->n_parts);
	if ((err = part_name(o, p)))
		return pgm_error_wrap(err, "part %zu", b->n_parts);
	if ((err = pgm_bjson_get_int(o, "capture", 0, (int64_t)b->n_captures - 1, &capture)) ||
	    (err = pgm_bjson_get_int(o, "offset", 0, INT64_MAX, &off)) ||
	    (err = pgm_bjson_get_int(o, "size", 0, INT64_MAX, &size)) ||
	    (err = pgm_bjson_get_int(o, "raw_size", 0, PGM_BUNDLE_MAX_PART, &raw)) || (err = get_sha(o, want)))
		return pgm_error_wrap(err, "part %s", p->name);
	if (part_exists(b, p->name, (size_t)capture))
		return bad("part %s of capture %" PRId64 ": listed twice", p->name, capture);
	if ((*total += (uint64_t)raw) > PGM_BUNDLE_MAX_TOTAL)
		return bad("parts: more than %u MiB in all", PGM_BUNDLE_MAX_TOTAL >> 20);
	p->capture = (size_t)capture;
	if ((err = inflate(file, len, (uint64_t)off, (uint64_t)size, (uint64_t)raw, &p->data)))
		return pgm_error_wrap(err, "part %s of capture %zu", p->name, p->capture);
	p->len = (size_t)raw;
	b->n_parts++;
	if (!hash_matches(p->data, p->len, want))
		return bad("part %s of capture %zu: sha256 mismatch (corrupt or tampered)", p->name, p->capture);
	return NULL;
}

static struct pgm_error *check_header_fields(json_object *m, struct pgm_bundle_file *b)
{
	json_object *v, *caps;
	int64_t version;
	size_t n;
	struct pgm_error *err;
	if (!json_object_object_get_ex(m, "format", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), FORMAT_NAME) != 0)
		return bad("manifest: not a pgmortem bundle manifest");
	if ((err = pgm_bjson_get_int(m, "version", 0, INT32_MAX, &version)) ||
	    (err = pgm_bjson_get_bool(m, "redacted", &b->redacted)) ||
	    (err = pgm_bjson_get_array(m, "captures", PGM_BUNDLE_MAX_CAPTURES, &caps, &n)))
		return pgm_error_wrap(err, "manifest");
	if (version != PGM_BUNDLE_VERSION)
		return bad("manifest: version %" PRId64 " differs from the header's", version);
	if (n == 0)
		return bad("manifest: no captures");
	b->n_captures = n;
	return NULL;
}

static struct pgm_error *load_parts(struct pgm_bundle_file *b, const uint8_t *file, size_t len)
{
	json_object *m, *parts;
	size_t n;
	uint64_t total = 0;
	struct pgm_error *err = pgm_bjson_parse((const uint8_t *)b->manifest, strlen(b->manifest),
						json_type_object, &m);
	if (err)
		return pgm_error_wrap(err, "manifest");
	if (!(err = check_header_fields(m, b)) &&
	    (err = pgm_bjson_get_array(m, "parts", PGM_BUNDLE_MAX_PARTS, &parts, &n)))
		err = pgm_error_wrap(err, "manifest");
	if (!err && !(b->parts = calloc(n ? n : 1, sizeof(*b->parts))))
		err = &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++)
		err = load_part(b, json_object_array_get_idx(parts, i), file, len, &total);
	json_object_put(m);
	return err;
}

/* Only regular files are opened: opening a FIFO blocks, a tape rewinds. */
bool pgm_bundle_file_is_bundle(const char *path)
{
	char magic[8];
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	bool yes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		   read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		   memcmp(magic, PGM_BUNDLE_MAGIC, sizeof(magic)) == 0;
	close(fd);
	return yes;
}

struct pgm_error *pgm_bundle_file_open(const char *path, struct pgm_bundle_file **ret)
{
	struct pgm_bundle_file *b = calloc(1, sizeof(*b));
	uint8_t *file = NULL;
	size_t len = 0;
	if (!b || !(b->path = strdup(path))) {
		free(b);
		return &pgm_enomem;
	}
	b->refs = 1;
	struct pgm_error *err = read_whole(path, &file, &len);
	if (!err)
		err = read_manifest(b, file, len);
	if (!err)
		err = load_parts(b, file, len);
	free(file);
	if (err) {
		pgm_bundle_file_release(b);
		return err;
	}
	*ret = b;
	return NULL;
}

void pgm_bundle_file_retain(struct pgm_bundle_file *b)
{
	b->refs++;
}

void pgm_bundle_file_release(struct pgm_bundle_file *b)
{
	if (!b || --b->refs > 0)
		return;
	for (size_t i = 0; i < b->n_parts; i++)
		free(b->parts[i].data);
	free(b->parts);
	free(b->manifest);
	free(b->path);
	free(b);
}

size_t pgm_bundle_file_captures(const struct pgm_bundle_file *b)
{
	return b->n_captures;
}

const char *pgm_bundle_file_manifest(const struct pgm_bundle_file *b)
{
	return b->manifest;
}

bool pgm_bundle_file_redacted(const struct pgm_bundle_file *b)
{
	return b->redacted;
}

const char *pgm_bundle_file_path(const struct pgm_bundle_file *b)
{
	return b->path;
}

bool pgm_bundle_file_part(const struct pgm_bundle_file *b, const char *name, size_t capture,
			  const uint8_t **data, size_t *len)
{
	for (size_t i = 0; i < b->n_parts; i++) {
		if (b->parts[i].capture == capture && strcmp(b->parts[i].name, name) == 0) {
			*data = b->parts[i].data;
			*len = b->parts[i].len;
			return true;
		}
	}
	return false;
}

/* ---- writing ---- */

struct frame {
	void *data;
	size_t size;
};

static struct pgm_error *deflate_part(const void *data, size_t len, struct frame *f)
{
	size_t cap = ZSTD_compressBound(len);
	if (!(f->data = malloc(cap)))
		return &pgm_enomem;
	size_t n = ZSTD_compress(f->data, cap, data, len, COMPRESSION_LEVEL);
	if (ZSTD_isError(n))
		return pgm_error_create(PGM_ERR_FORMAT, "zstd: %s", ZSTD_getErrorName(n));
	f->size = n;
	return NULL;
}

static json_object *part_entry(const struct pgm_bundle_part_in *p, uint64_t off, const struct frame *f)
{
	uint8_t digest[32];
	char hex[65];
	sha256(p->data, p->len, digest);
	pgm_hex_format(digest, 32, hex);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "capture", json_object_new_int64((int64_t)p->capture));
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)off));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
	json_object_object_add(o, "raw_size", json_object_new_int64((int64_t)p->len));
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	return o;
}

/* The manifest: format and version first, then the caller's fields, then the parts. */
static struct pgm_error *manifest_text(const char *fields, json_object *parts, char **ret)
{
	json_object *in;
	struct pgm_error *err = pgm_bjson_parse((const uint8_t *)fields, strlen(fields), json_type_object, &in);
	if (err) {
		json_object_put(parts);
		return err;
	}
	json_object *m = json_object_new_object();
	json_object_object_add(m, "format", json_object_new_string(FORMAT_NAME));
	json_object_object_add(m, "version", json_object_new_int(PGM_BUNDLE_VERSION));
	json_object_object_foreach(in, key, val)
		json_object_object_add(m, key, json_object_get(val));
	json_object_object_add(m, "parts", parts);
	json_object_put(in);
	return pgm_bjson_finish(m, ret);
}

/* Header, frames, manifest frame, into fd. */
static struct pgm_error *write_frames(int fd, const struct frame *frames, size_t n, const char *manifest)
{
	struct frame mf = { 0 };
	struct pgm_error *err = deflate_part(manifest, strlen(manifest), &mf);
	uint8_t header[PGM_BUNDLE_HEADER_SIZE] = { 0 };
	uint64_t off = PGM_BUNDLE_HEADER_SIZE;
	for (size_t i = 0; i < n; i++)
		off += frames[i].size;
	memcpy(header, PGM_BUNDLE_MAGIC, 8);
	put_u32(header + 8, PGM_BUNDLE_VERSION);
	put_u32(header + 12, PGM_BUNDLE_HEADER_SIZE);
	put_u64(header + 16, off);
	put_u64(header + 24, mf.size);
	sha256(manifest, strlen(manifest), header + 32);
	bool ok = !err && pgm_write_all(fd, header, sizeof(header));
	for (size_t i = 0; ok && i < n; i++)
		ok = pgm_write_all(fd, frames[i].data, frames[i].size);
	ok = ok && pgm_write_all(fd, mf.data, mf.size);
	free(mf.data);
	if (!err && !ok)
		err = pgm_error_errno(errno, "write");
	return err;
}

static struct pgm_error *write_file(const char *path, const struct frame *frames, size_t n,
				    const char *manifest, uint64_t *size)
{
	char *tmp;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return &pgm_enomem;
	int fd = mkostemp(tmp, O_CLOEXEC);
	struct pgm_error *err = NULL;
	if (fd < 0) {
		err = pgm_error_errno(errno, "%s", tmp);
		free(tmp);
		return err;
	}
	struct stat st;
	if (fchmod(fd, 0600) < 0)
		err = pgm_error_errno(errno, "fchmod");
	if (!err)
		err = write_frames(fd, frames, n, manifest);
	if (!err && fstat(fd, &st) < 0)
		err = pgm_error_errno(errno, "fstat");
	if (close(fd) < 0 && !err)
		err = pgm_error_errno(errno, "close");
	if (!err && rename(tmp, path) < 0)
		err = pgm_error_errno(errno, "rename to %s", path);
	if (err)
		unlink(tmp);
	else
		*size = (uint64_t)st.st_size;
	free(tmp);
	return err;
}

struct pgm_error *pgm_bundle_file_write(const char *path, const char *manifest,
					const struct pgm_bundle_part_in *parts, size_t n_parts,
					uint64_t *size)
{
	struct frame *frames = calloc(n_parts ? n_parts : 1, sizeof(*frames));
	json_object *list = json_object_new_array();
	struct pgm_error *err = frames && list ? NULL : &pgm_enomem;
	uint64_t off = PGM_BUNDLE_HEADER_SIZE;
	for (size_t i = 0; !err && i < n_parts; i++) {
		if (!(err = deflate_part(parts[i].data, parts[i].len, &frames[i]))) {
			json_object_array_add(list, part_entry(&parts[i], off, &frames[i]));
			off += frames[i].size;
		}
	}
	char *text = NULL;
	if (!err) {
		err = manifest_text(manifest, list, &text);
		list = NULL;
	}
	if (!err)
		err = write_file(path, frames, n_parts, text, size);
	json_object_put(list);
	free(text);
	for (size_t i = 0; frames && i < n_parts; i++)
		free(frames[i].data);
	free(frames);
	return err;
}
