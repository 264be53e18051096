/*
 * An IO wait (pg/storage.h): the process is in a system call on a file, the
 * wait event says which kind (DataFileRead, WALWrite, …).  Which file comes
 * from the frames DWARF describes: fd.c's File* functions take a virtual
 * file descriptor (an index into the private VfdCache, whose entries keep
 * the kernel fd and the path relative to the data directory), the fsync
 * helpers an fd; XLogWrite writes the segment open in openLogFile.  A live
 * process adds the kernel's view (its system call and /proc/PID/fd), which
 * the target layer records.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/model.h"
#include "pg/storage.h"

#define MAX_FRAMES 24          /* the call is near the top: deeper frames are the query */
#define MAX_VFDS (1U << 20)    /* far above any max_files_per_process */
#define MAX_PATH 1024

struct frame_rule {
	const char *function;
	const char *param;
	bool vfd;                /* param is a File (VfdCache index), else a kernel fd */
};

static const struct frame_rule frame_rules[] = {
	{ "FileRead", "file", true }, { "FileReadV", "file", true }, { "FileWrite", "file", true },
	{ "FileWriteV", "file", true }, { "FileSync", "file", true }, { "FilePrefetch", "file", true },
	{ "FileWriteback", "file", true }, { "FileZero", "file", true }, { "FileFallocate", "file", true },
	{ "FileTruncate", "file", true },
	{ "issue_xlog_fsync", "fd", false }, { "pg_fsync", "fd", false }, { "pg_fdatasync", "fd", false },
	{ "pg_fsync_no_writethrough", "fd", false }, { "pg_fsync_writethrough", "fd", false },
	{ "pg_pwritev_with_retry", "fd", false }, { "pg_pwrite_zeros", "fd", false },
};

static struct pgm_error *vfd_addr(const struct pgm_pg *pg, int64_t file, uint64_t *ret)
{
	uint64_t cache, n, size;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_VfdCache, &cache)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_SizeVfdCache, &n)) || (err = pgm_pg_struct_size(pg, PGM_S_Vfd, &size)))
		return err;
	if (cache == 0 || n > MAX_VFDS || file <= 0 || (uint64_t)file >= n)
		return pgm_error_create(PGM_ERR_FORMAT, "virtual file %" PRId64 " is not in VfdCache (%" PRIu64
					" entries)", file, n);
	*ret = cache + (uint64_t)file * size;
	return NULL;
}

/* The kernel fd and path of a virtual file descriptor. */
static struct pgm_error *read_vfd(const struct pgm_pg *pg, int64_t file, struct pgm_io_wait *io)
{
	uint64_t v, name;
	int64_t fd;
	struct pgm_error *err;
	if ((err = vfd_addr(pg, file, &v)) || (err = pgm_pg_read_member_signed(pg, v, PGM_M_Vfd_fd, &fd)) ||
	    (err = pgm_pg_read_member(pg, v, PGM_M_Vfd_fileName, &name)))
		return err;
	io->fd_known = fd >= 0;
	io->fd = (int32_t)fd;
	return name ? pgm_target_read_text(pg->target, name, MAX_PATH, &io->file) : NULL;
}

/* "pg_wal/000000010000000000000003": the segment XLogWrite has open. */
static struct pgm_error *wal_segment(const struct pgm_pg *pg, struct pgm_io_wait *io)
{
	int64_t fd;
	uint64_t segno, tli, segsize;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global_signed(pg, PGM_G_openLogFile, &fd)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_openLogSegNo, &segno)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_openLogTLI, &tli)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_wal_segment_size, &segsize)))
		return err;
	if (fd < 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "no WAL segment is open (openLogFile is %" PRId64 ")", fd);
	if (segsize == 0 || (segsize & (segsize - 1)) || segsize > (1ULL << 30))
		return pgm_error_create(PGM_ERR_FORMAT, "implausible wal_segment_size %" PRIu64, segsize);
	uint64_t per_id = 0x100000000ULL / segsize;
	io->fd_known = true;
	io->fd = (int32_t)fd;
	return asprintf(&io->file, "pg_wal/%08" PRIX32 "%08" PRIX32 "%08" PRIX32, (uint32_t)tli,
			(uint32_t)(segno / per_id), (uint32_t)(segno % per_id)) < 0 ? (io->file = NULL, &pgm_enomem) : NULL;
}

/* A kernel fd's file: the open WAL segment, or the virtual file that holds it. */
static struct pgm_error *name_fd(const struct pgm_pg *pg, int32_t fd, struct pgm_io_wait *io)
{
	int64_t wal = -1, vfd_fd;
	uint64_t n = 0, v, name;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_openLogFile, &wal);
	pgm_error_destroy(err);   /* not the WAL segment then: the virtual files may still name it */
	if (!err && wal == fd)
		return wal_segment(pg, io);
	if ((err = pgm_pg_read_global(pg, PGM_G_SizeVfdCache, &n)))
		return err;
	for (uint64_t i = 1; i < n && i < MAX_VFDS; i++) {
		if ((err = vfd_addr(pg, (int64_t)i, &v)) || (err = pgm_pg_read_member_signed(pg, v, PGM_M_Vfd_fd, &vfd_fd)))
			return err;
		if (vfd_fd != fd)
			continue;
		if ((err = pgm_pg_read_member(pg, v, PGM_M_Vfd_fileName, &name)))
			return err;
		return name ? pgm_target_read_text(pg->target, name, MAX_PATH, &io->file) : NULL;
	}
	return NULL;
}

static const struct frame_rule *rule_of(const char *function)
{
	for (size_t i = 0; function && i < sizeof(frame_rules) / sizeof(frame_rules[0]); i++)
		if (strcmp(frame_rules[i].function, function) == 0)
			return &frame_rules[i];
	return NULL;
}

/* io from the innermost frame that names the file; *found stays false when none does. */
static struct pgm_error *from_frames(struct pgm_program *prog, const struct pgm_pg *pg, const struct pgm_stack *s,
				     struct pgm_io_wait *io, bool *found)
{
	*found = false;
	for (size_t f = 0; s && f < s->n_frames && f < MAX_FRAMES; f++) {
		const struct frame_rule *rule = rule_of(s->frames[f].function);
		int64_t v;
		if (!rule)
			continue;
		struct pgm_error *err = pgm_pg_frame_int(prog, s, f, rule->param, &v);
		if (err == &pgm_enomem)
			return err;
		if (err) {
			pgm_error_destroy(err);   /* optimized out here: an outer frame may still tell */
			continue;
		}
		*found = true;
		if (asprintf(&io->source, "%s(%s=%" PRId64 "), frame #%zu", rule->function, rule->param, v, f) < 0)
			return io->source = NULL, &pgm_enomem;
		if (rule->vfd)
			return read_vfd(pg, v, io);
		io->fd_known = true;
		io->fd = (int32_t)v;
		return name_fd(pg, (int32_t)v, io);
	}
	return NULL;
}

static bool is_wal_event(const struct pgm_report *r)
{
	return r->wait_event.name && strncasecmp(r->wait_event.name, "WAL", 3) == 0;   /* "WALWrite"; 17+: "WalWrite" */
}

struct pgm_error *pgm_pg_read_io_wait(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pgm_io_wait *io = &r->wait.io;
	const struct pgm_stack *s = r->n_stacks ? r->stacks[0] : NULL;
	bool found;
	struct pgm_error *err = from_frames(prog, pg, s, io, &found);
	bool in_xlogwrite = s && pgm_stack_find_function(s, "XLogWrite") >= 0;
	if (!err && !found && (in_xlogwrite || (!s && is_wal_event(r)))) {
		if (!(err = pgm_model_strdup(&io->source, "openLogFile (the WAL segment XLogWrite writes)")))
			err = wal_segment(pg, io);
	}
	return pgm_pg_note_failure(r, "io-file-unknown", "the file of the I/O", 0, err);
}
