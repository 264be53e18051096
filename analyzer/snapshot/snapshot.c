/*
 * The snapshot writer: which bytes of each mapping go into the core, the
 * file layout, and writing it.  See include/pgmortem/snapshot.h.
 *
 * Layout: ELF header, program headers (PT_NOTE first, then the PT_LOADs in
 * address order), the notes, then each captured segment at a page-aligned
 * offset.  Segment contents are written first and the headers last, so a
 * shared read that fails part way only shortens that segment's p_filesz.
 * All memory is read through the target: private memory comes from the
 * copies made while stopped, shared memory from the running process.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pgmortem/live.h"
#include "snapshot/snapshot_internal.h"

#define PAGE 4096u
#define CHUNK (1u << 20)

enum seg_source { SEG_NONE, SEG_PRIVATE, SEG_SHARED };

struct seg {
	uint64_t vaddr, memsz, filesz, offset;
	uint32_t flags;          /* PF_* */
	enum seg_source src;
	bool dsm;
};

struct seg_list {
	struct seg *s;
	size_t n, cap;
};

static struct pgm_error *seg_add(struct seg_list *l, const struct pgm_mapping *m, uint64_t from,
				 uint64_t to, uint64_t captured, enum seg_source src)
{
	if (to <= from)
		return NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct seg *grown = realloc(l->s, cap * sizeof(*grown));
		if (!grown)
			return &pgm_enomem;
		l->s = grown;
		l->cap = cap;
	}
	l->s[l->n++] = (struct seg){
		.vaddr = from,
		.memsz = to - from,
		.filesz = src == SEG_NONE ? 0 : captured,
		.flags = (m->flags & PGM_MAP_READ ? PF_R : 0) | (m->flags & PGM_MAP_WRITE ? PF_W : 0) |
			 (m->flags & PGM_MAP_EXEC ? PF_X : 0),
		.src = src,
		.dsm = m->path && strncmp(m->path, "/dev/shm/PostgreSQL.", 20) == 0,
	};
	return NULL;
}

/* Shared memory worth having: anonymous, SysV, /dev/shm, files; not devices. */
static bool shared_dumpable(const char *path)
{
	if (!path)
		return true;
	if (path[0] == '[')
		return false;
	if (strncmp(path, "/dev/", 5) == 0)
		return strncmp(path, "/dev/zero", 9) == 0 || strncmp(path, "/dev/shm/", 9) == 0;
	return true;
}

static struct pgm_error *plan_shared(struct seg_list *l, const struct pgm_mapping *m,
				     const struct pgm_snapshot_options *o, uint64_t *excluded)
{
	uint64_t xs = o->exclude_start, xe = o->exclude_end;
	if (xs >= xe || xe <= m->start || xs >= m->end)
		return seg_add(l, m, m->start, m->end, m->end - m->start, SEG_SHARED);
	if (xs < m->start)
		xs = m->start;
	if (xe > m->end)
		xe = m->end;
	*excluded += xe - xs;
	struct pgm_error *err = seg_add(l, m, m->start, xs, xs - m->start, SEG_SHARED);
	if (!err)
		err = seg_add(l, m, xs, xe, 0, SEG_NONE);
	if (!err)
		err = seg_add(l, m, xe, m->end, m->end - xe, SEG_SHARED);
	return err;
}

static struct pgm_error *plan(const struct pgm_target *t, const struct pgm_snapshot_options *o,
			      struct seg_list *l, uint64_t *excluded)
{
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < t->n_mappings; i++) {
		const struct pgm_mapping *m = &t->mappings[i];
		uint64_t fs, fe;
		bool shared;
		enum pgm_live_backing b = pgm_target_live_mapping(t, i, &fs, &fe, &shared);
		if (shared && (m->flags & PGM_MAP_READ) && shared_dumpable(m->path))
			err = plan_shared(l, m, o, excluded);
		else if (b == PGM_LIVE_NOT_READ)
			err = seg_add(l, m, m->start, m->end, 0, SEG_NONE);
		else {
			err = seg_add(l, m, m->start, fs, 0, SEG_NONE);
			if (!err)
				err = seg_add(l, m, fs, m->end, fe - fs, SEG_PRIVATE);
		}
	}
	return err;
}

static void assign_offsets(struct seg_list *l, uint64_t data_start)
{
	uint64_t off = (data_start + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	for (size_t i = 0; i < l->n; i++) {
		struct seg *s = &l->s[i];
		s->offset = off;
		off += (s->filesz + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	}
}

static struct pgm_error *pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return pgm_error_errno(errno, "write");
		p += w;
		off += (uint64_t)w;
		len -= (size_t)w;
	}
	return NULL;
}

/*
 * Copies one segment into the file; a read failure (the process exited, a
 * hole in a mapping) ends the segment there.
 */
static struct pgm_error *write_seg(struct pgm_target *t, int fd, struct seg *s, uint8_t *buf)
{
	for (uint64_t done = 0; done < s->filesz;) {
		size_t n = s->filesz - done < CHUNK ? (size_t)(s->filesz - done) : CHUNK;
		struct pgm_error *err = pgm_target_read(t, s->vaddr + done, buf, n);
		if (err && err != &pgm_enomem) {
			uint64_t upto = err->address > s->vaddr + done && err->address < s->vaddr + done + n
					? err->address - s->vaddr - done : 0;
			pgm_error_destroy(err);
			if (upto)
				err = pwrite_all(fd, buf, upto, s->offset + done);
			s->filesz = done + upto;
			return err;
		}
		if (!err)
			err = pwrite_all(fd, buf, n, s->offset + done);
		if (err)
			return err;
		done += n;
	}
	return NULL;
}

static struct pgm_error *write_headers(int fd, const struct seg_list *l, const struct snap_notes *nb,
				       uint64_t notes_off)
{
	size_t nph = l->n + 1;
	if (nph >= PN_XNUM)
		return pgm_error_create(PGM_ERR_LIMIT, "%zu mappings: more than a core's %u segments",
					l->n, PN_XNUM - 1);
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
			     ELFOSABI_NONE },
		.e_type = ET_CORE,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = (Elf64_Half)nph,
	};
	Elf64_Phdr *ph = calloc(nph, sizeof(*ph));
	if (!ph)
		return &pgm_enomem;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = nb->len, .p_align = 4 };
	for (size_t i = 0; i < l->n; i++)
		ph[i + 1] = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_flags = l->s[i].flags, .p_offset = l->s[i].offset,
			.p_vaddr = l->s[i].vaddr, .p_filesz = l->s[i].filesz, .p_memsz = l->s[i].memsz,
			.p_align = PAGE,
		};
	struct pgm_error *err = pwrite_all(fd, &eh, sizeof(eh), 0);
	if (!err)
		err = pwrite_all(fd, ph, nph * sizeof(*ph), sizeof(eh));
	if (!err)
		err = pwrite_all(fd, nb->buf, nb->len, notes_off);
	free(ph);
	return err;
}

static void count(const struct seg_list *l, struct pgm_snapshot_stats *st)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct seg *s = &l->s[i];
		if (s->src == SEG_PRIVATE)
			st->private_bytes += s->filesz;
		else if (s->src == SEG_SHARED)
			st->shared_bytes += s->filesz;
		if (s->src == SEG_SHARED && s->dsm)
			st->dsm_bytes += s->filesz;
		if (s->filesz && s->offset + s->filesz > st->file_size)
			st->file_size = s->offset + s->filesz;
	}
	st->n_loads = l->n;
}

static struct pgm_error *write_file(struct pgm_target *t, int fd, struct seg_list *l,
				    const struct snap_notes *nb, struct pgm_snapshot_stats *st)
{
	uint64_t notes_off = sizeof(Elf64_Ehdr) + (l->n + 1) * sizeof(Elf64_Phdr);
	assign_offsets(l, notes_off + nb->len);
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return &pgm_enomem;
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < l->n; i++)
		err = write_seg(t, fd, &l->s[i], buf);
	free(buf);
	if (!err)
		err = write_headers(fd, l, nb, notes_off);
	count(l, st);
	if (st->file_size < notes_off + nb->len)
		st->file_size = notes_off + nb->len;
	if (!err && ftruncate(fd, (off_t)st->file_size) != 0)
		err = pgm_error_errno(errno, "ftruncate");
	return err;
}

struct pgm_error *pgm_snapshot_write(struct pgm_target *t, const char *path,
				     const struct pgm_snapshot_options *opts,
				     struct pgm_snapshot_stats *ret)
{
	static const struct pgm_snapshot_options none;
	const struct pgm_snapshot_options *o = opts ? opts : &none;
	struct pgm_snapshot_stats st = { .n_threads = t->n_threads };
	if (t->kind != PGM_TARGET_LIVE)
		return pgm_error_create(PGM_ERR_USAGE, "snapshots are taken of live processes only");
	const struct pgm_live_facts *f = pgm_target_live_facts(t);
	if (!t->n_threads)
		return pgm_error_create(PGM_ERR_UNSUPPORTED,
			"no registers%s%s: a core without threads is of no use to gdb or pgmortem; "
			"'pgmortem live %d' decodes its memory as it is", f->not_stopped_why ? ": " : "",
			f->not_stopped_why ? f->not_stopped_why : "", (int)t->pid);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct seg_list l = { 0 };
	struct snap_notes nb = { 0 };
	struct pgm_error *err = plan(t, o, &l, &st.excluded_bytes);
	if (!err)
		err = snap_build_notes(t, &nb);
	if (!err) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd < 0) {
			err = pgm_error_errno(errno, "open %s", path);
		} else {
			err = write_file(t, fd, &l, &nb, &st);
			if (close(fd) != 0 && !err)
				err = pgm_error_errno(errno, "close %s", path);
			if (err)
				unlink(path);
		}
	}
	free(l.s);
	free(nb.buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st.write_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (!err && ret)
		*ret = st;
	return err;
}
