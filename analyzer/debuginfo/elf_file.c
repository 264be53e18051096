/* One ELF file on its own (debuginfo/elf_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

/* An allocated section whose contents the file holds. */
struct section {
	const char *name;
	uint64_t vaddr;
	const uint8_t *bytes;
	size_t len;
	bool writable;
};

struct pgm_elf_file {
	char *path;
	int fd;
	Elf *elf;
	char *build_id;
	struct pgm_elf_relative *relative;   /* loaded on first use */
	size_t n_relative;
	bool relative_loaded;
	struct section *sections;            /* loaded on first use */
	size_t n_sections;
	bool sections_loaded;
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
	free(f->relative);
	free(f->sections);
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

/* ---- what a stripped executable still tells ---- */

static struct pgm_error *dynsym_exports(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, pgm_elf_export_fn *fn,
					void *arg)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = data ? data->d_size / sh->sh_entsize : 0;
	for (size_t k = 0; k < n; k++) {
		GElf_Sym sym;
		const char *name;
		if (!gelf_getsym(data, (int)k, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
		    sym.st_shndx == SHN_UNDEF || !(name = elf_strptr(e, sh->sh_link, sym.st_name)))
			continue;
		struct pgm_error *err = fn(arg, name, sym.st_value, sym.st_size);
		if (err)
			return err;
	}
	return NULL;
}

struct pgm_error *pgm_elf_file_exports(struct pgm_elf_file *f, pgm_elf_export_fn *fn, void *arg)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(f->elf, scn));) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM && sh.sh_entsize)
			return dynsym_exports(f->elf, scn, &sh, fn, arg);
	}
	return NULL;
}

/* A section's contents, only when the file holds all of them. */
static const uint8_t *section_bytes(Elf_Scn *scn, const GElf_Shdr *sh)
{
	if (sh->sh_type != SHT_PROGBITS || !(sh->sh_flags & SHF_ALLOC) || (sh->sh_flags & SHF_COMPRESSED))
		return NULL;
	Elf_Data *data = elf_rawdata(scn, NULL);
	return data && data->d_buf && data->d_size == sh->sh_size ? data->d_buf : NULL;
}

/* The sections pgm_elf_file_sections() shows, listed once: lookups by address are frequent. */
static struct pgm_error *load_sections(struct pgm_elf_file *f)
{
	size_t shstrndx, n = 0;
	if (f->sections_loaded)
		return NULL;
	if (elf_getshdrstrndx(f->elf, &shstrndx) < 0 || elf_getshdrnum(f->elf, &n) < 0)
		return pgm_error_wrap(pgm_error_libelf("elf_getshdrnum"), "%s", f->path);
	if (!(f->sections = calloc(n + 1, sizeof(*f->sections))))
		return &pgm_enomem;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(f->elf, scn)) && f->n_sections < n;) {
		GElf_Shdr sh;
		struct section *s = &f->sections[f->n_sections];
		if (!gelf_getshdr(scn, &sh) || !(s->bytes = section_bytes(scn, &sh)) ||
		    !(s->name = elf_strptr(f->elf, shstrndx, sh.sh_name)))
			continue;
		s->vaddr = sh.sh_addr;
		s->len = sh.sh_size;
		s->writable = (sh.sh_flags & SHF_WRITE) != 0;
		f->n_sections++;
	}
	f->sections_loaded = true;
	return NULL;
}

struct pgm_error *pgm_elf_file_sections(struct pgm_elf_file *f, pgm_elf_section_fn *fn, void *arg)
{
	struct pgm_error *err = load_sections(f);
	for (size_t i = 0; !err && i < f->n_sections; i++) {
		const struct section *s = &f->sections[i];
		err = fn(arg, s->name, s->vaddr, s->bytes, s->len, s->writable);
	}
	return err;
}

struct pgm_error *pgm_elf_file_bytes(struct pgm_elf_file *f, uint64_t vaddr, const uint8_t **ret,
				     size_t *len, const char **section)
{
	struct pgm_error *err = load_sections(f);
	if (err)
		return err;
	for (size_t i = 0; i < f->n_sections; i++) {
		const struct section *s = &f->sections[i];
		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->len)
			continue;
		*ret = s->bytes + (vaddr - s->vaddr);
		*len = s->len - (vaddr - s->vaddr);
		if (section)
			*section = s->name;
		return NULL;
	}
	return pgm_error_create(PGM_ERR_LOOKUP, "%s: no section holds 0x%" PRIx64, f->path, vaddr);
}

static int cmp_relative(const void *a, const void *b)
{
	uint64_t x = ((const struct pgm_elf_relative *)a)->offset, y = ((const struct pgm_elf_relative *)b)->offset;
	return (x > y) - (x < y);
}

static struct pgm_error *add_relative(struct pgm_elf_file *f, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = data && sh->sh_entsize ? data->d_size / sh->sh_entsize : 0;
	struct pgm_elf_relative *v = realloc(f->relative, (f->n_relative + n + 1) * sizeof(*v));
	if (!v)
		return &pgm_enomem;
	f->relative = v;
	for (size_t k = 0; k < n; k++) {
		GElf_Rela r;
		if (gelf_getrela(data, (int)k, &r) && GELF_R_TYPE(r.r_info) == R_X86_64_RELATIVE)
			v[f->n_relative++] = (struct pgm_elf_relative){ r.r_offset, (uint64_t)r.r_addend };
	}
	return NULL;
}

struct pgm_error *pgm_elf_file_relative(struct pgm_elf_file *f, const struct pgm_elf_relative **ret,
					size_t *n)
{
	for (Elf_Scn *scn = NULL; !f->relative_loaded && (scn = elf_nextscn(f->elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !(sh.sh_flags & SHF_ALLOC))
			continue;
		struct pgm_error *err = add_relative(f, scn, &sh);
		if (err)
			return err;
	}
	bool sorted = true;   /* linkers sort them (-z combreloc): then there is nothing to do */
	for (size_t i = 1; !f->relative_loaded && sorted && i < f->n_relative; i++)
		sorted = f->relative[i - 1].offset <= f->relative[i].offset;
	if (!f->relative_loaded && !sorted)
		qsort(f->relative, f->n_relative, sizeof(*f->relative), cmp_relative);
	f->relative_loaded = true;
	*ret = f->relative;
	*n = f->n_relative;
	return NULL;
}

struct pgm_error *pgm_elf_file_pointer(struct pgm_elf_file *f, uint64_t vaddr, uint64_t *ret)
{
	const struct pgm_elf_relative *rel;
	size_t n, lo = 0;
	struct pgm_error *err = pgm_elf_file_relative(f, &rel, &n);
	if (err)
		return err;
	for (size_t hi = n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		if (rel[mid].offset < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && rel[lo].offset == vaddr) {
		*ret = rel[lo].addend;
		return NULL;
	}
	const uint8_t *bytes;
	size_t len;
	if ((err = pgm_elf_file_bytes(f, vaddr, &bytes, &len, NULL)))
		return err;
	if (len < 8)
		return pgm_error_create(PGM_ERR_LOOKUP, "%s: no pointer at 0x%" PRIx64, f->path, vaddr);
	memcpy(ret, bytes, 8);   /* x86_64: little-endian, as the file is */
	return NULL;
}

struct pgm_error *pgm_elf_file_string(struct pgm_elf_file *f, uint64_t vaddr, size_t max, const char **ret)
{
	const uint8_t *bytes;
	size_t len;
	struct pgm_error *err = pgm_elf_file_bytes(f, vaddr, &bytes, &len, NULL);
	if (err)
		return err;
	if (!memchr(bytes, 0, len < max ? len : max))
		return pgm_error_create(PGM_ERR_LOOKUP, "%s: no string at 0x%" PRIx64, f->path, vaddr);
	*ret = (const char *)bytes;
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
