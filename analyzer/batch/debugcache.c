/*
 * Uncompressed copies of compressed separate debuginfo, for batches.
 *
 * Debian's libc6-dbg ships its .debug_* sections zlib-compressed, and libdw
 * inflates a section whole the first time anything reads it: for every
 * core, in every child, the same 10 MB of libc DWARF.  Measured on 50 cores
 * of one build with a warm layout cache, that was half of all CPU time.  A
 * copy with the sections stored plainly, kept by build-id where the
 * program layer looks first (a debug_dirs entry), is mmapped instead.
 *
 * Best effort: a copy that cannot be made is simply not made.  A copy is
 * verified (its build-id) before it is renamed into place.
 */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmortem/batch.h"
#include "util/text.h"

static int mkdir_p(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int rc = mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
		*s = '/';
		if (rc)
			return -1;
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static bool has_compressed_sections(Elf *e)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
			return true;
	}
	return false;
}

static bool file_is_compressed(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool yes = e && has_compressed_sections(e);
	elf_end(e);
	close(fd);
	return yes;
}

static bool copy_fd(int from, int to)
{
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(to, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return false;
			off += w;
		}
	}
}

/* Decompresses every SHF_COMPRESSED section of the ELF file open at fd, in place. */
static bool decompress_in_place(int fd, const struct pgm_module *m)
{
	Elf *e = elf_begin(fd, ELF_C_RDWR, NULL);
	bool ok = e != NULL;
	for (Elf_Scn *scn = NULL; ok && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		ok = gelf_getshdr(scn, &sh) != NULL;
		if (ok && (sh.sh_flags & SHF_COMPRESSED))
			ok = elf_compress(scn, 0, 0) >= 0;
	}
	ok = ok && elf_update(e, ELF_C_WRITE) >= 0;
	const void *id;
	ssize_t n = ok ? dwelf_elf_gnu_build_id(e, &id) : -1;
	ok = ok && n == (ssize_t)m->build_id_len && memcmp(id, m->build_id, m->build_id_len) == 0;
	elf_end(e);
	return ok;
}

/* Writes the uncompressed copy of m's debuginfo as `target`, atomically. */
static bool store(const struct pgm_module *m, const char *target)
{
	char *dir = strdup(target), *tmp = NULL;
	if (!dir)
		return false;
	*strrchr(dir, '/') = '\0';
	int src = -1, fd = -1;
	bool ok = mkdir_p(dir) == 0 && asprintf(&tmp, "%s.XXXXXX", target) >= 0 &&
		  (fd = mkstemp(tmp)) >= 0 && (src = open(m->debug_path, O_RDONLY | O_CLOEXEC)) >= 0 &&
		  copy_fd(src, fd) && decompress_in_place(fd, m);
	if (src >= 0)
		close(src);
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	if (ok)
		ok = rename(tmp, target) == 0;
	if (!ok && fd >= 0)
		unlink(tmp);
	free(tmp);
	free(dir);
	return ok;
}

size_t pgm_batch_cache_debuginfo(struct pgm_program *prog, const char *dir)
{
	size_t n_mod, stored = 0, dir_len = strlen(dir);
	const struct pgm_module *mods = pgm_program_modules(prog, &n_mod);
	elf_version(EV_CURRENT);
	for (size_t i = 0; i < n_mod; i++) {
		const struct pgm_module *m = &mods[i];
		if (!m->debug_path || m->build_id_len < 2 ||
		    (strncmp(m->debug_path, dir, dir_len) == 0 && m->debug_path[dir_len] == '/'))
			continue;
		char hex[2 * sizeof(m->build_id) + 1], *target;
		pgm_hex_format(m->build_id, m->build_id_len, hex);
		if (asprintf(&target, "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2) < 0)
			continue;
		if (access(target, F_OK) != 0 && file_is_compressed(m->debug_path) && store(m, target))
			stored++;
		free(target);
	}
	return stored;
}
