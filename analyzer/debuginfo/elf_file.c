/* One ELF file on its own (debuginfo/elf_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>

#include "debuginfo/elf_file.h"
#include "util/text.h"

struct pgm_elf_file {
	char *path;
	int fd;
	Elf *elf;
	char *build_id;
};

struct pgm_error *pgm_elf_file_open(const char *path, struct pgm_elf_file **ret)
{
	struct pgm_elf_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path)))
		return free(f), &pgm_enomem;
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (f->fd < 0) {
		struct pgm_error *err = pgm_error_errno(errno, "open %s", path);
		pgm_elf_file_close(f);
		return err;
	}
	elf_version(EV_CURRENT);
	if (!(f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL)) || elf_kind(f->elf) != ELF_K_ELF) {
		struct pgm_error *err = pgm_error_create(PGM_ERR_FORMAT, "%s: not an ELF file", path);
		pgm_elf_file_close(f);
		return err;
	}
	*ret = f;
	return NULL;
}

void pgm_elf_file_close(struct pgm_elf_file *f)
{
	if (!f)
		return;
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	free(f->build_id);
	free(f->path);
	free(f);
}

static struct pgm_error *load_range(struct pgm_elf_file *f, uint64_t *lo, uint64_t *hi)
{
	size_t phnum;
	if (elf_getphdrnum(f->elf, &phnum) < 0)
		return pgm_error_wrap(pgm_error_libelf("elf_getphdrnum"), "%s", f->path);
	*lo = UINT64_MAX;
	*hi = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		*lo = ph.p_vaddr < *lo ? ph.p_vaddr : *lo;
		*hi = ph.p_vaddr + ph.p_memsz > *hi ? ph.p_vaddr + ph.p_memsz : *hi;
	}
	if (*lo >= *hi)
		return pgm_error_create(PGM_ERR_FORMAT, "%s: no PT_LOAD segment", f->path);
	return NULL;
}

struct pgm_error *pgm_elf_file_identity(struct pgm_elf_file *f, const char **build_id,
					uint64_t *lo, uint64_t *hi)
{
	if (!f->build_id) {
		const void *id;
		ssize_t n = dwelf_elf_gnu_build_id(f->elf, &id);
		if (n <= 0)
			return pgm_error_create(PGM_ERR_FORMAT, "%s: no build-id note", f->path);
		if (!(f->build_id = pgm_hex_dup(id, (size_t)n)))
			return &pgm_enomem;
	}
	*build_id = f->build_id;
	return load_range(f, lo, hi);
}

static struct pgm_error *table_objects(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, pgm_elf_symbol_fn *fn,
				       void *arg)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data)
		return NULL;
	for (size_t k = 0; k < sh->sh_size / sh->sh_entsize; k++) {
		GElf_Sym sym;
		const char *name;
		if (!gelf_getsym(data, (int)k, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
		    !(name = elf_strptr(e, sh->sh_link, sym.st_name)))
			continue;
		struct pgm_error *err = fn(arg, name, sym.st_value);
		if (err)
			return err;
	}
	return NULL;
}

struct pgm_error *pgm_elf_file_objects(struct pgm_elf_file *f, pgm_elf_symbol_fn *fn, void *arg)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(f->elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		struct pgm_error *err = table_objects(f->elf, scn, &sh, fn, arg);
		if (err)
			return err;
	}
	return NULL;
}

/* The first loaded object is the executable; its PT_NOTE segments hold the build-id. */
static int find_own_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	char *out = arg;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const uint8_t *desc = p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);
			if (desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p + sizeof(*nh), "GNU", 4) == 0 && nh->n_descsz <= 64) {
				pgm_hex_format(desc, nh->n_descsz, out);
				return 1;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

const char *pgm_self_build_id(void)
{
	static char id[2 * 64 + 1];
	if (!id[0] && (dl_iterate_phdr(find_own_build_id, id), !id[0]))
		snprintf(id, sizeof(id), "pgmortem %s", PGMORTEM_VERSION);
	return id;
}
