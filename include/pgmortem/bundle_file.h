/*
 * pgmortem — support bundles: the file format, and reading one.
 *
 * A bundle holds what pgmortem's analysis of one or more captures (cores of
 * one instance, or live processes) read, so that the same analysis runs
 * again anywhere, with no binaries and no debuginfo: the bytes of memory the
 * analysis read and nothing else, the registers and the stacks already
 * unwound (with file:line and inline frames), the frame variables it asked
 * for, the resolved PostgreSQL layout, and a manifest.  pgmortem/bundle.h
 * makes bundles; this header is the format and its reader.
 *
 * ---- Format, version 1 (PGM_BUNDLE_VERSION) ----
 *
 * All integers little-endian.  The file is a 64-byte header, then parts,
 * each one zstd frame, then the manifest, one zstd frame:
 *
 *   0   magic "PGMBNDL\0"
 *   8   u32 format version (1)
 *   12  u32 header size (64)
 *   16  u64 offset of the manifest's frame
 *   24  u64 size of the manifest's frame
 *   32  u8[32] sha256 of the manifest (decompressed)
 *
 * The manifest is a JSON object:
 *
 *   {"format": "pgmortem-bundle", "version": 1,
 *    "pgmortem": "0.1.0", "created": "2026-…Z", "host": "db1",
 *    "redacted": false, "redactions": [],
 *    "captures": [{"index": 0, "kind": "core", "path": "core.kernel.3983",
 *                  "captured_at": "…Z", "pid": 3983, "postgres": "15.18",
 *                  "build_id": "…", "modules": [{"name": "…", "build_id": "…"}, …]}, …],
 *    "parts": [{"name": "memory", "capture": 0, "offset": 64, "size": 1234,
 *               "raw_size": 56789, "sha256": "…"}, …]}
 *
 * Each part belongs to one capture ("capture": its index) and is decoded by
 * the layer that wrote it:
 *
 *   process      (target)    JSON: kind, path, pid, cmdline, threads and
 *                            their registers, mappings, auxv, siginfo
 *   memory       (target)    the bytes read, as records: varint gap from the
 *                            end of the previous record (from 0 for the
 *                            first), varint length (> 0), the bytes
 *   faults       (target)    JSON: each read that failed, at the address it
 *                            failed, with its error
 *   modules      (debuginfo) JSON: the modules as the original program had
 *                            them, and its warnings
 *   stacks       (debuginfo) JSON: every thread's unwound frames, as the
 *                            analysis (symbols only outside the executable)
 *                            and as `stack` (DWARF everywhere) unwound them
 *   layout       (pg)        JSON: the resolved layout, in the layout
 *                            cache's format with absolute addresses
 *   frame_vars   (pg)        JSON: the frame variables the analysis asked
 *                            for, with their values or errors
 *
 * ---- Reading: untrusted input ----
 *
 * A bundle comes from outside.  pgm_bundle_file_open() checks everything
 * before anything uses it: the file and every size are bounded before
 * allocating (PGM_BUNDLE_MAX_*); each frame must lie inside the file and
 * decompress to exactly its declared size; every part's sha256 must match
 * the manifest's and the manifest's the header's.  A problem is one
 * PGM_ERR_FORMAT error naming the part ("part memory of capture 1: sha256
 * mismatch (corrupt or tampered)"); the caller adds the file name.  No name
 * or path stored in a bundle is ever used to open or write a file.
 */
#ifndef PGMORTEM_BUNDLE_FILE_H
#define PGMORTEM_BUNDLE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/target.h"

#define PGM_BUNDLE_MAGIC "PGMBNDL"        /* 8 bytes with its NUL */
#define PGM_BUNDLE_VERSION 1
#define PGM_BUNDLE_HEADER_SIZE 64

#define PGM_BUNDLE_MAX_FILE (256u << 20)      /* bytes of a bundle file */
#define PGM_BUNDLE_MAX_PART (512u << 20)      /* bytes of one part, decompressed */
#define PGM_BUNDLE_MAX_TOTAL (1u << 30)       /* bytes of all parts, decompressed */
#define PGM_BUNDLE_MAX_MANIFEST (4u << 20)    /* bytes of the manifest */
#define PGM_BUNDLE_MAX_PARTS 4096
#define PGM_BUNDLE_MAX_CAPTURES 256

struct pgm_bundle_file;

/* A capture of a bundle, as the machine that made the bundle saw it. */
struct pgm_bundle_origin {
	const char *bundle_path;     /* the bundle file, as opened */
	size_t capture;              /* this capture's index in it */
	enum pgm_target_kind kind;   /* PGM_TARGET_CORE, _LIVE, or _MEMORY (tests) */
	bool redacted;               /* private texts were overwritten (pgmortem/bundle.h) */
};

/*
 * True if the file at `path` starts with the bundle magic: bundles are
 * recognised by content, wherever a core is accepted.  False also when it
 * cannot be read (opening it then says why).
 */
bool pgm_bundle_file_is_bundle(const char *path);

/*
 * Reads, decompresses and verifies the whole bundle (see above).  The
 * bundle is reference-counted: each target opened from it holds one
 * reference; pgm_bundle_file_release() drops the caller's.
 */
struct pgm_error *pgm_bundle_file_open(const char *path, struct pgm_bundle_file **ret);
void pgm_bundle_file_release(struct pgm_bundle_file *b);

/* How many captures the bundle holds (at least 1). */
size_t pgm_bundle_file_captures(const struct pgm_bundle_file *b);
/* The manifest, as JSON text (NUL-terminated), owned by b. */
const char *pgm_bundle_file_manifest(const struct pgm_bundle_file *b);
/* Whether the bundle was redacted (manifest "redacted"). */
bool pgm_bundle_file_redacted(const struct pgm_bundle_file *b);

/*
 * The decompressed, verified part `name` of capture `capture`: false if the
 * bundle has none.  The bytes are owned by b.
 */
bool pgm_bundle_file_part(const struct pgm_bundle_file *b, const char *name, size_t capture,
			  const uint8_t **data, size_t *len);

/*
 * The target of capture `capture`: its memory is the memory part (a read of
 * anything else fails as the original read failed, or "not in this
 * bundle"), its threads, mappings and notes the process part's;
 * t->origin says where it came from.  The target holds a reference to b.
 * PGM_ERR_FORMAT naming the part if a part does not decode.
 */
struct pgm_error *pgm_target_bundle_open(struct pgm_bundle_file *b, size_t capture,
					 struct pgm_target **ret);

/* The part `name` of a bundle target's capture; false if none or t is no bundle's. */
bool pgm_target_bundle_part(const struct pgm_target *t, const char *name, const uint8_t **data,
			    size_t *len);

/* ---- Writing (for pgmortem/bundle.h) ---- */

/* One part to write: its bytes are compressed and hashed. */
struct pgm_bundle_part_in {
	const char *name;
	size_t capture;
	const void *data;
	size_t len;
};

/*
 * Writes a bundle to `path` (mode 0600, through a temporary file in the
 * same directory renamed over it): `manifest` is a JSON object (text) of
 * the fields above other than "format", "version" and "parts", which are
 * added.  *size is the file's size.
 */
struct pgm_error *pgm_bundle_file_write(const char *path, const char *manifest,
					const struct pgm_bundle_part_in *parts, size_t n_parts,
					uint64_t *size);

/*
 * Encoders of the target's parts.  process: t's identity, threads,
 * mappings, auxv and siginfo as JSON (with `redact`, the command line
 * past its first ": " is replaced by "<redacted>").  memory: the log's
 * ranges in the memory part's encoding; with `redact`, each private range
 * is overwritten with "<redacted>" cut to its length and NULs (*n_redacted
 * counts them).  faults: the log's failed reads as JSON.  The caller frees
 * *ret.
 */
struct pgm_error *pgm_bundle_encode_process(const struct pgm_target *t, bool redact, char **ret);
struct pgm_error *pgm_bundle_encode_memory(struct pgm_read_log *log, bool redact, uint8_t **ret,
					   size_t *len, size_t *n_redacted);
struct pgm_error *pgm_bundle_encode_faults(const struct pgm_read_log *log, char **ret);

#endif
