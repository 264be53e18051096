/*
 * Reading what a core left out from the files it names.
 *
 * Kernel cores keep only the first page of read-only file mappings and
 * gcore keeps none of the text; gdb then reads such ranges from the files,
 * and so does pgmortem, with two guards:
 *
 *   - Only ELF files (checked by magic).  PostgreSQL's dynamic shared
 *     memory (/dev/shm/PostgreSQL.NNN), its main shared memory
 *     ("/dev/zero (deleted)", "/SYSV... (deleted)") and any other data file
 *     hold what the process saw at the time only by luck; reads there stay
 *     NOT_CAPTURED, naming the file.  Deleted files are never opened: the
 *     path may now name another file.
 *   - If the core captured the file's first bytes (the kernel dumps the ELF
 *     header page by default), the file on disk must start with the same
 *     bytes, so a binary upgraded since the crash is not used.
 *
 * Files are opened on the first read that needs them, looked up under the
 * sysroot if one was given, mmap'ed read-only and kept until the target is
 * destroyed.  Like the core, each is under the SIGBUS guard: a file
 * truncated while mapped becomes unusable (its ranges read as not captured)
 * instead of ending the process.
 */
#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmortem/target.h"
#include "target/core.h"

static int cmp_name(const void *a, const void *b)
{
	const struct core_file *x = *(const struct core_file *const *)a;
	const struct core_file *y = *(const struct core_file *const *)b;
	return strcmp(x->name, y->name);
}

struct pgm_error *core_index_disk_files(struct core_target *core)
{
	if (core->n_files == 0)
		return NULL;
	struct core_file **by_name = malloc(core->n_files * sizeof(*by_name));
	core->disk = calloc(core->n_files, sizeof(*core->disk));
	if (!by_name || !core->disk) {
		free(by_name);
		return &pgm_enomem;
	}
	for (size_t i = 0; i < core->n_files; i++)
		by_name[i] = &core->files[i];
	qsort(by_name, core->n_files, sizeof(*by_name), cmp_name);
	for (size_t i = 0; i < core->n_files; i++) {
		if (i == 0 || strcmp(by_name[i]->name, by_name[i - 1]->name) != 0)
			core->disk[core->n_disk++].name = by_name[i]->name;
		by_name[i]->disk = core->n_disk - 1;
	}
	free(by_name);
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * Stripping a file (dh_strip, `strip --strip-debug`) rewrites only where
 * its section headers are (e_shoff, e_shnum, e_shstrndx), which the process
 * never used: a stripped copy of the build that ran is still that build.
 */
static bool same_bytes_but_section_table(const uint8_t *a, const uint8_t *b, size_t n)
{
	const size_t shoff = offsetof(Elf64_Ehdr, e_shoff), flags = offsetof(Elf64_Ehdr, e_flags);
	const size_t shnum = offsetof(Elf64_Ehdr, e_shnum), end = sizeof(Elf64_Ehdr);
	if (n < end || a[EI_CLASS] != ELFCLASS64)
		return memcmp(a, b, n) == 0;
	return memcmp(a, b, shoff) == 0 && memcmp(a + flags, b + flags, shnum - flags) == 0 &&
	       memcmp(a + end, b + end, n - end) == 0;
}

static bool same_head(const struct core_disk *d, const uint8_t *map, size_t size)
{
	if (!d->head)
		return true;
	size_t n = d->head_len < 4096 ? d->head_len : 4096;
	if (n > size)
		n = size;  /* the core's page runs past a short file's end */
	return same_bytes_but_section_table(d->head, map, n);
}

/* Maps d's file if it is a regular ELF file matching the core; else false. */
static bool disk_open(const struct core_target *core, struct core_disk *d)
{
	if (d->name[0] != '/' || ends_with(d->name, " (deleted)"))
		return false;
	char *path;
	if (asprintf(&path, "%s%s", core->sysroot ? core->sysroot : "", d->name) < 0)
		return false;
	/* Never open devices or FIFOs named by a core: stat first, and
	 * O_NONBLOCK in case the name changes kind in between. */
	struct stat st;
	int fd = -1;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	free(path);
	if (fd < 0)
		return false;
	void *map = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= SELFMAG)
		map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	struct pgm_error *err = core_guard_add(&d->guard, map, st.st_size);
	if (err || memcmp(map, ELFMAG, SELFMAG) != 0 || !same_head(d, map, st.st_size) ||
	    core_guard_tripped(&d->guard)) {
		pgm_error_destroy(err);
		core_guard_remove(&d->guard);
		munmap(map, st.st_size);
		return false;
	}
	d->map = map;
	d->size = st.st_size;
	return true;
}

size_t core_disk_read(struct core_target *core, uint32_t index, uint64_t offset, uint8_t *buf,
		      size_t len)
{
	struct core_disk *d = &core->disk[index];
	if (d->state == DISK_UNTRIED)
		d->state = disk_open(core, d) ? DISK_USABLE : DISK_UNUSABLE;
	if (d->state != DISK_USABLE || offset >= d->size)
		return 0;
	size_t n = len < d->size - offset ? len : d->size - offset;
	memcpy(buf, d->map + offset, n);
	if (core_guard_tripped(&d->guard)) {
		d->state = DISK_UNUSABLE;   /* the map stays until core_disk_close */
		return 0;
	}
	return n;
}

void core_disk_close(struct core_target *core)
{
	for (size_t i = 0; i < core->n_disk; i++) {
		core_guard_remove(&core->disk[i].guard);
		if (core->disk[i].map)
			munmap(core->disk[i].map, core->disk[i].size);
	}
}
