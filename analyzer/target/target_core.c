/*
 * Core-file backend: the ELF header and program headers, reads, lifetime.
 *
 * The core is mmap'ed, never read whole, and every offset or size taken from
 * it is checked against the file size before use; a malformed core is one
 * PGM_ERR_FORMAT error naming the problem.  Notes are in core_notes.c, the
 * mapping table in core_maps.c, reads from files on disk in core_disk.c.
 *
 * A truncated core (the dump was cut short: disk full, a size limit, a copy
 * interrupted) is not rejected when its notes are intact: the PT_LOAD bytes
 * past the end of the file become "not captured" and one warning says so.
 * If the cut reaches the notes, nothing is usable and it is an error.
 *
 * The mapping is MAP_PRIVATE with PROT_WRITE, as libelf's own
 * ELF_C_READ_MMAP does, so handing it to elf_memory() is safe; the file
 * itself is never written.  A core truncated or rewritten by someone else
 * while it is open is caught by the SIGBUS guard (core_guard.c) and by
 * comparing fstat() with what it was at open: reads fail from then on, and
 * pgm_target_check() says so, naming the file.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <libelf.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmortem/target.h"
#include "target/core.h"
#include "target/target_internal.h"

static struct core_target *to_core(struct pgm_target *t)
{
	return (struct core_target *)t;
}

/*
 * The core is no longer the file we opened: what the guard saw, or what
 * fstat() says now.  Size and modification time are all that can be
 * checked without reading the file again.
 */
static struct pgm_error *changed_error(struct core_target *core)
{
	struct stat st;
	bool tripped = core_guard_tripped(&core->guard);
	if (fstat(core->base.fd, &st) < 0)
		return pgm_error_errno(errno, "fstat");
	if (!tripped && st.st_size == core->st.st_size &&
	    st.st_mtim.tv_sec == core->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == core->st.st_mtim.tv_nsec)
		return NULL;
	return pgm_error_create(PGM_ERR_FORMAT,
				"the core file changed while being read (%jd bytes at open, %jd now%s): "
				"truncated or rewritten by another process; analyze a copy nothing else writes to",
				(intmax_t)core->st.st_size, (intmax_t)st.st_size,
				st.st_size == core->st.st_size ? ", modified" : "");
}

static struct pgm_error *core_serve(struct pgm_target *t, size_t index, uint64_t addr,
				    uint8_t *buf, size_t len)
{
	struct core_target *core = to_core(t);
	const struct pgm_mapping *m = &t->mappings[index];
	const struct core_backing *b = &core->backing[index];
	if (b->data) {
		memcpy(buf, b->data + (addr - m->start), len);
		return core_guard_tripped(&core->guard) ? changed_error(core) : NULL;
	}
	if (b->disk != CORE_NO_DISK) {
		size_t got = core_disk_read(core, b->disk, m->file_offset + (addr - m->start),
					    buf, len);
		if (got == len)
			return NULL;
		addr += got;
	}
	return pgm_error_not_captured(addr, m->path, b->map_start);
}

static struct pgm_error *core_read(struct pgm_target *t, uint64_t addr, void *buf, size_t len)
{
	return pgm_target_read_split(t, addr, buf, len, core_serve);
}

static struct pgm_error *core_check(struct pgm_target *t)
{
	return changed_error(to_core(t));
}

static void core_destroy(struct pgm_target *t)
{
	struct core_target *core = to_core(t);
	if (t->elf)
		elf_end(t->elf);
	core_disk_close(core);
	core_guard_remove(&core->guard);
	free(core->disk);
	free(core->backing);
	free(core->files);
	free(core->names);
	free(core->loads);
	free(core->sysroot);
	if (core->map)
		munmap(core->map, core->size);
	if (t->fd >= 0)
		close(t->fd);
	pgm_target_free_fields(t);
	free(core);
}

static const struct pgm_target_ops core_ops = {
	.read = core_read,
	.destroy = core_destroy,
	.check = core_check,
};

static struct pgm_error *map_file(struct core_target *core, const char *path)
{
	/* O_NONBLOCK: a FIFO given as the core must fail, not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return pgm_error_errno(errno, "open");
	core->base.fd = fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return pgm_error_errno(errno, "fstat");
	if (!S_ISREG(st.st_mode))
		return pgm_error_create(PGM_ERR_FORMAT, "not a regular file");
	if (st.st_size == 0)
		return pgm_error_create(PGM_ERR_FORMAT, "empty file, not a core");
	void *map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return pgm_error_errno(errno, "mmap");
	core->map = map;
	core->size = st.st_size;
	core->st = st;
	return core_guard_add(&core->guard, map, core->size);
}

static const char *machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386: return "i386";
	case EM_AARCH64: return "aarch64";
	case EM_ARM: return "arm";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390x";
	case EM_RISCV: return "riscv";
	default: return "unknown";
	}
}

struct pgm_error *pgm_core_check_header(const void *buf, size_t len)
{
	const uint8_t *id = buf;
	if (len == 0)
		return pgm_error_create(PGM_ERR_FORMAT, "empty file, not a core");
	if (len < SELFMAG || memcmp(id, ELFMAG, SELFMAG) != 0)
		return pgm_error_create(PGM_ERR_FORMAT, "not an ELF file (no ELF magic)");
	if (len < sizeof(Elf64_Ehdr))
		return pgm_error_create(PGM_ERR_FORMAT, "truncated in the ELF header (file has %zu of %zu bytes)",
					len, sizeof(Elf64_Ehdr));
	/* e_type sits at the same offset in both classes */
	uint16_t type;
	memcpy(&type, id + offsetof(Elf64_Ehdr, e_type), sizeof(type));
	if (id[EI_DATA] == ELFDATA2MSB)
		type = (uint16_t)(type >> 8 | type << 8);
	if (type != ET_CORE)
		return pgm_error_create(PGM_ERR_FORMAT, "not a core file (ELF type %s)",
					type == ET_EXEC ? "ET_EXEC, an executable"
					: type == ET_DYN ? "ET_DYN, a shared object or PIE"
					: type == ET_REL ? "ET_REL, an object file"
							 : "unknown");
	return NULL;
}

/* A core, but one of a machine or ELF flavour pgmortem does not read. */
static struct pgm_error *check_ident(const struct core_target *core)
{
	const uint8_t *id = core->map;
	if (id[EI_CLASS] == ELFCLASS32)
		return pgm_error_create(PGM_ERR_UNSUPPORTED,
					"32-bit (ELFCLASS32) core: architecture not supported, only x86_64");
	if (id[EI_CLASS] != ELFCLASS64)
		return pgm_error_create(PGM_ERR_FORMAT, "bad ELF class %u", id[EI_CLASS]);
	if (id[EI_DATA] == ELFDATA2MSB)
		return pgm_error_create(PGM_ERR_UNSUPPORTED,
					"big-endian core: architecture not supported, only x86_64");
	if (id[EI_DATA] != ELFDATA2LSB)
		return pgm_error_create(PGM_ERR_FORMAT, "bad ELF data encoding %u", id[EI_DATA]);
	return NULL;
}

static struct pgm_error *check_ehdr(const struct core_target *core, Elf64_Ehdr *eh)
{
	struct pgm_error *err = pgm_core_check_header(core->map, core->size);
	if (!err)
		err = check_ident(core);
	if (err)
		return err;
	memcpy(eh, core->map, sizeof(*eh));
	if (eh->e_machine != EM_X86_64)
		return pgm_error_create(PGM_ERR_UNSUPPORTED,
					"architecture %s (e_machine %u) not supported, only x86_64",
					machine_name(eh->e_machine), eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return pgm_error_create(PGM_ERR_FORMAT, "program header entries are %u bytes, expected %zu",
					eh->e_phentsize, sizeof(Elf64_Phdr));
	return NULL;
}

/*
 * With more than 0xfffe segments, e_phnum is PN_XNUM and the real count is
 * in section header 0's sh_info (the kernel does this for processes with
 * that many mappings).
 */
static struct pgm_error *phdr_count(const struct core_target *core, const Elf64_Ehdr *eh,
				    uint64_t *ret)
{
	uint64_t n = eh->e_phnum;
	if (n == PN_XNUM) {
		Elf64_Shdr sh;
		if (eh->e_shoff == 0 || eh->e_shoff > core->size ||
		    core->size - eh->e_shoff < sizeof(sh))
			return pgm_error_create(PGM_ERR_FORMAT,
						"e_phnum is PN_XNUM but section header 0 at offset 0x%" PRIx64
						" is not in the file", eh->e_shoff);
		memcpy(&sh, core->map + eh->e_shoff, sizeof(sh));
		n = sh.sh_info;
	}
	if (n == 0)
		return pgm_error_create(PGM_ERR_FORMAT, "no program headers");
	if (n > CORE_MAX_COUNT)
		return pgm_error_create(PGM_ERR_FORMAT, "%" PRIu64 " program headers (limit %u)", n,
					CORE_MAX_COUNT);
	if (eh->e_phoff > core->size || (core->size - eh->e_phoff) / sizeof(Elf64_Phdr) < n)
		return pgm_error_create(PGM_ERR_FORMAT,
					"truncated in the program headers: %" PRIu64 " entries at offset 0x%" PRIx64
					" extend past the end of the file at 0x%zx", n, eh->e_phoff, core->size);
	*ret = n;
	return NULL;
}

static struct pgm_error *add_load(struct core_target *core, size_t i, const Elf64_Phdr *ph)
{
	if (ph->p_filesz > ph->p_memsz)
		return pgm_error_create(PGM_ERR_FORMAT,
					"PT_LOAD %zu at 0x%" PRIx64 ": p_filesz 0x%" PRIx64 " exceeds p_memsz 0x%" PRIx64,
					i, ph->p_vaddr, ph->p_filesz, ph->p_memsz);
	if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr ||
	    (ph->p_memsz && ph->p_vaddr + ph->p_memsz == 0))
		return pgm_error_create(PGM_ERR_FORMAT,
					"PT_LOAD %zu at 0x%" PRIx64 ": 0x%" PRIx64 " bytes run past the address space",
					i, ph->p_vaddr, ph->p_memsz);
	if (ph->p_offset + ph->p_filesz < ph->p_offset)
		return pgm_error_create(PGM_ERR_FORMAT,
					"PT_LOAD %zu at 0x%" PRIx64 ": p_offset 0x%" PRIx64 " + p_filesz 0x%" PRIx64
					" overflows", i, ph->p_vaddr, ph->p_offset, ph->p_filesz);
	if (ph->p_memsz == 0)
		return NULL;
	uint64_t present = ph->p_filesz;
	if (ph->p_offset >= core->size)
		present = 0;
	else if (core->size - ph->p_offset < present)
		present = core->size - ph->p_offset;
	core->loads[core->n_loads++] = (struct core_load){
		.vaddr = ph->p_vaddr,
		.memsz = ph->p_memsz,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz,
		.present = present,
		.flags = (ph->p_flags & PF_R ? PGM_MAP_READ : 0) | (ph->p_flags & PF_W ? PGM_MAP_WRITE : 0) |
			 (ph->p_flags & PF_X ? PGM_MAP_EXEC : 0),
	};
	return NULL;
}

static struct pgm_error *note_segment(struct core_target *core, const Elf64_Phdr *ph)
{
	if (ph->p_offset > core->size || core->size - ph->p_offset < ph->p_filesz)
		return pgm_error_create(PGM_ERR_FORMAT,
					"truncated in PT_NOTE at offset 0x%zx (the notes span 0x%" PRIx64 "-0x%" PRIx64 ")",
					core->size, ph->p_offset, ph->p_offset + ph->p_filesz);
	return core_parse_notes(core, ph->p_offset, ph->p_filesz, ph->p_align);
}

static struct pgm_error *read_phdrs(struct core_target *core, const Elf64_Ehdr *eh)
{
	uint64_t n = 0;
	struct pgm_error *err = phdr_count(core, eh, &n);
	if (err)
		return err;
	if (!(core->loads = calloc(n, sizeof(*core->loads))))
		return &pgm_enomem;
	bool have_notes = false;
	for (uint64_t i = 0; i < n && !err; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, core->map + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD)
			err = add_load(core, i, &ph);
		else if (ph.p_type == PT_NOTE) {
			err = note_segment(core, &ph);
			have_notes = true;
		}
	}
	if (!err && !have_notes)
		err = pgm_error_create(PGM_ERR_FORMAT, "no PT_NOTE segment");
	return err;
}

/* One warning for all segments cut short, naming the first missing byte. */
static struct pgm_error *warn_truncated(struct core_target *core)
{
	size_t cut = 0;
	uint64_t need = 0, first = 0, first_off = UINT64_MAX;
	for (size_t i = 0; i < core->n_loads; i++) {
		const struct core_load *l = &core->loads[i];
		if (l->present == l->filesz)
			continue;
		cut++;
		if (l->offset + l->filesz > need)
			need = l->offset + l->filesz;
		if (l->offset + l->present < first_off) {
			first_off = l->offset + l->present;
			first = l->vaddr + l->present;
		}
	}
	if (!cut)
		return NULL;
	return pgm_target_warn(&core->base,
			       "core file truncated: %zu of %zu PT_LOAD segments cut short (file has 0x%zx bytes, "
			       "they need 0x%" PRIx64 "); memory from 0x%" PRIx64 " on is not captured",
			       cut, core->n_loads, core->size, need, first);
}

/*
 * The executable as the kernel named it: the NT_FILE mapping holding the
 * program headers (AT_PHDR) or entry point, absolute and resolved; else the
 * string execve() was given (AT_EXECFN, on the captured stack).
 */
static struct pgm_error *find_exe(struct core_target *core)
{
	struct pgm_target *t = &core->base;
	const uint64_t types[] = { AT_PHDR, AT_ENTRY };
	uint64_t addr;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const struct pgm_mapping *m;
		if (pgm_target_auxv(t, types[i], &addr) && (m = pgm_target_find_mapping(t, addr)) &&
		    m->path)
			return (t->exe_path = strdup(m->path)) ? NULL : &pgm_enomem;
	}
	if (!pgm_target_auxv(t, AT_EXECFN, &addr))
		return NULL;
	char *s;
	bool truncated;
	struct pgm_error *err = pgm_target_read_string(t, addr, PATH_MAX, &s, &truncated);
	if (err)
		return err == &pgm_enomem ? err : (pgm_error_destroy(err), NULL);
	if (truncated || !*s)
		free(s);
	else
		t->exe_path = s;
	return NULL;
}

static struct pgm_error *open_elf(struct core_target *core)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)core->map, core->size);
	if (!elf)
		return pgm_error_wrap(pgm_error_libelf("elf_memory"), "handing the core to libelf");
	core->base.elf = elf;
	if (elf_kind(elf) != ELF_K_ELF)
		return pgm_error_create(PGM_ERR_FORMAT, "libelf does not recognize the core as ELF");
	return NULL;
}

static struct pgm_error *core_parse(struct core_target *core, const char *path)
{
	Elf64_Ehdr eh;
	struct pgm_error *err;
	if ((err = map_file(core, path)) || (err = check_ehdr(core, &eh)) ||
	    (err = read_phdrs(core, &eh)) || (err = core_finish_notes(core)) ||
	    (err = core_index_disk_files(core)) || (err = core_build_mappings(core)) ||
	    (err = warn_truncated(core)) || (err = find_exe(core)) || (err = open_elf(core)))
		return err;
	return changed_error(core);
}

struct pgm_error *pgm_target_core_open(const char *path, const char *sysroot,
				       struct pgm_target **ret)
{
	struct core_target *core = calloc(1, sizeof(*core));
	if (!core)
		return &pgm_enomem;
	core->base.ops = &core_ops;
	core->base.kind = PGM_TARGET_CORE;
	core->base.fd = -1;
	struct pgm_error *err = NULL;
	if (!(core->base.path = strdup(path)) || (sysroot && !(core->sysroot = strdup(sysroot))))
		err = &pgm_enomem;
	if (!err)
		err = core_parse(core, path);
	if (err) {
		core_destroy(&core->base);
		return err;
	}
	*ret = &core->base;
	return NULL;
}
