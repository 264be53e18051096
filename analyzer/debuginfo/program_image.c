/*
 * Modules read from the process image: the ELF header, program headers and
 * build-id note at a module's load address, read through the target (a
 * core's memory and the files it names, or a live process's memory).
 *
 * Two uses.  A live process's modules come from /proc/PID/maps, which
 * gives no build-ids, so its files could not be checked; the build-id the
 * process ran is read from its memory instead.  And libdwfl finds a core's
 * modules by sniffing its segments for ELF headers, then refuses the whole
 * core ("dwfl_core_file_report: address out of range") when what it
 * sniffed does not add up; gdb takes the modules from the NT_FILE note
 * instead, and so do we then: every ELF file the core maps from offset 0
 * is a module loaded at that mapping, its extent and build-id read from
 * its program headers (p_vaddr, never p_offset, locates the note).
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/program_internal.h"

#define PAGE 4096u
#define MAX_PHDRS 512u
#define MAX_NOTES 4096u

struct module_image {
	uint64_t low, high;          /* as libdwfl wants them: low = first PT_LOAD's aligned start */
	uint8_t build_id[64];
	size_t build_id_len;         /* 0 if none */
	uint64_t build_id_addr;
};

static bool read_phdrs(struct pgm_target *t, uint64_t at, Elf64_Ehdr *eh, Elf64_Phdr **ret)
{
	if (pgm_target_read(t, at, eh, sizeof(*eh)) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS ||
	    eh->e_phoff > PAGE * 16)
		return false;
	Elf64_Phdr *ph = calloc(eh->e_phnum, sizeof(*ph));
	if (!ph || pgm_target_read(t, at + eh->e_phoff, ph, eh->e_phnum * sizeof(*ph))) {
		free(ph);
		return false;
	}
	*ret = ph;
	return true;
}

/* The first GNU build-id note of a PT_NOTE's contents. */
static void find_build_id(const uint8_t *p, size_t n, uint64_t addr, struct module_image *img)
{
	size_t pos = 0;
	while (n - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + pos, sizeof(nh));
		size_t name = (nh.n_namesz + 3u) & ~3u, desc = (nh.n_descsz + 3u) & ~3u;
		size_t body = pos + sizeof(nh);
		if (name > n - body || desc > n - body - name)
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(p + body, "GNU", 4) == 0 && nh.n_descsz >= 1 &&
		    nh.n_descsz <= sizeof(img->build_id)) {
			memcpy(img->build_id, p + body + name, nh.n_descsz);
			img->build_id_len = nh.n_descsz;
			img->build_id_addr = addr + body + name;
			return;
		}
		pos = body + name + desc;
	}
}

static void read_build_id(struct pgm_target *t, const Elf64_Phdr *ph, size_t n, uint64_t bias,
			  struct module_image *img)
{
	uint8_t buf[MAX_NOTES];
	for (size_t i = 0; i < n && !img->build_id_len; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_filesz == 0 || ph[i].p_filesz > sizeof(buf))
			continue;
		if (!pgm_target_read(t, ph[i].p_vaddr + bias, buf, ph[i].p_filesz))
			find_build_id(buf, ph[i].p_filesz, ph[i].p_vaddr + bias, img);
	}
}

/*
 * The image whose file offset 0 is mapped at `at`: the load bias follows
 * from the PT_LOAD that maps offset 0, the extent from all PT_LOADs.
 */
static bool read_image(struct pgm_target *t, uint64_t at, struct module_image *img)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	if (!read_phdrs(t, at, &eh, &ph))
		return false;
	memset(img, 0, sizeof(*img));
	bool have_bias = false, have_low = false;
	uint64_t bias = 0, end = 0;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		uint64_t align = p->p_align > 1 && !(p->p_align & (p->p_align - 1)) ? p->p_align : 1;
		if (!have_bias && p->p_offset < PAGE) {
			bias = at - (p->p_vaddr & ~(uint64_t)(PAGE - 1));
			have_bias = true;
		}
		if (!have_low) {
			img->low = p->p_vaddr & ~(align - 1);
			have_low = true;
		}
		if (p->p_vaddr + p->p_memsz > end)
			end = p->p_vaddr + p->p_memsz;
	}
	if (have_bias)
		read_build_id(t, ph, eh.e_phnum, bias, img);
	free(ph);
	img->low += bias;
	img->high = ((end + PAGE - 1) & ~(uint64_t)(PAGE - 1)) + bias;
	return have_bias && have_low && img->high > img->low;
}

struct reported {
	struct { uint64_t low, high; const char *name; } *ranges;
	size_t n;
};

/*
 * Reports the image unless it overlaps one already reported or its file
 * was: a file mapped again from its start (a process reading its own
 * executable) is data, the first mapping is the module.
 */
static bool report_image(struct pgm_program *prog, struct reported *done, const char *name,
			 const struct module_image *img)
{
	for (size_t i = 0; i < done->n; i++)
		if ((img->low < done->ranges[i].high && done->ranges[i].low < img->high) ||
		    strcmp(name, done->ranges[i].name) == 0)
			return false;
	void *grown = realloc(done->ranges, (done->n + 1) * sizeof(*done->ranges));
	if (!grown)
		return false;
	done->ranges = grown;
	Dwfl_Module *mod = dwfl_report_module(prog->dwfl, name, img->low, img->high);
	if (!mod)
		return false;
	if (img->build_id_len)
		dwfl_module_report_build_id(mod, img->build_id, img->build_id_len, img->build_id_addr);
	done->ranges[done->n].low = img->low;
	done->ranges[done->n].high = img->high;
	done->ranges[done->n++].name = name;
	return true;
}

size_t pgm_program_report_from_files(struct pgm_program *prog)
{
	struct pgm_target *t = prog->target;
	struct reported done = { 0 };
	uint64_t vdso;
	struct module_image img;
	for (size_t i = 0; i < t->n_mappings; i++) {
		const struct pgm_mapping *m = &t->mappings[i];
		if (m->path && m->file_offset == 0 && read_image(t, m->start, &img) &&
		    img.low <= m->start)
			report_image(prog, &done, m->path, &img);
	}
	if (pgm_target_auxv(t, AT_SYSINFO_EHDR, &vdso) && vdso && read_image(t, vdso, &img))
		report_image(prog, &done, PGM_VDSO_NAME, &img);
	free(done.ranges);
	return done.n;
}

static int note_build_id(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			 void *arg)
{
	struct module_image img;
	const unsigned char *bits;
	GElf_Addr vaddr;
	if (dwfl_module_build_id(mod, &bits, &vaddr) <= 0 && read_image(arg, start, &img) &&
	    img.build_id_len)
		dwfl_module_report_build_id(mod, img.build_id, img.build_id_len, img.build_id_addr);
	return DWARF_CB_OK;
}

void pgm_program_note_build_ids(struct pgm_program *prog)
{
	dwfl_getmodules(prog->dwfl, note_build_id, prog->target, 0);
}

/*
 * The vDSO is no file: its ELF image is read from the capture and kept for
 * as long as the program, which is as long as libdwfl uses it.
 */
int pgm_program_vdso_elf(struct module_state *ms, Dwfl_Module *mod, Elf **elfp)
{
	Dwarf_Addr low, high;
	dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL);
	if (high <= low || high - low > 64 * PAGE)
		return -1;
	uint8_t *image = malloc(high - low);
	if (!image || pgm_target_read(ms->prog->target, low, image, high - low)) {
		free(image);
		return -1;
	}
	*elfp = elf_memory((char *)image, high - low);
	if (!*elfp) {
		free(image);
		return -1;
	}
	free(ms->image);
	ms->image = image;
	return -1;
}
