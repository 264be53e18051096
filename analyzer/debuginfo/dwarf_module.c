/*
 * The DWARF engine's modules: creating the context from a program or a
 * lone file, and the cheap per-module indexes the lazy lookups start from
 * (ELF symbols with the source file of each local, the list of CUs).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dwarf.h>
#include <gelf.h>

#include "debuginfo/dwarf_internal.h"
#include "debuginfo/program_internal.h"

struct pgm_error *pgm_dwarf_err(const char *call)
{
	return pgm_error_libdw(call);
}

bool pgm_dwarf_same_file(const char *path, const char *file)
{
	if (!path || !file)
		return false;
	const char *a = strrchr(path, '/'), *b = strrchr(file, '/');
	return strcmp(a ? a + 1 : path, b ? b + 1 : file) == 0;
}

static void hex_build_id(const uint8_t *id, size_t len, char *out, size_t out_len)
{
	out[0] = '\0';
	for (size_t i = 0; i < len && 2 * i + 2 < out_len; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static void module_init(struct pgm_dwarf *dw, struct pgm_dwarf_module *m, Dwfl_Module *mod,
			const char *name, bool is_main)
{
	memset(m, 0, sizeof(*m));
	m->dw = dw;
	m->mod = mod;
	m->name = name;
	m->is_main = is_main;
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);
	if (len > 0)
		hex_build_id(id, (size_t)len, m->build_id, sizeof(m->build_id));
}

struct pgm_error *pgm_dwarf_create(struct pgm_program *prog, struct pgm_dwarf **ret)
{
	size_t n;
	const struct pgm_module *mods = pgm_program_modules(prog, &n);
	struct pgm_dwarf *dw = calloc(1, sizeof(*dw));
	if (!dw || !(dw->modules = calloc(n ? n : 1, sizeof(*dw->modules)))) {
		free(dw);
		return &pgm_enomem;
	}
	dw->prog = prog;
	dw->target = pgm_program_target(prog);
	dw->dwfl = pgm_program_dwfl(prog);
	/* The executable first: PostgreSQL's types and globals live there. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			if (mods[i].dwfl_module && mods[i].is_main == (pass == 0))
				module_init(dw, &dw->modules[dw->n_modules++], mods[i].dwfl_module,
					    mods[i].name, mods[i].is_main);
	*ret = dw;
	return NULL;
}

/* Holds what libdwfl's offline callbacks point at for a lone file. */
struct offline {
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;
};

/* The debug directories as for a program: relative ones made absolute, build-ids checked. */
static struct pgm_error *offline_callbacks(const char *const *dirs, size_t n, struct offline **ret)
{
	struct offline *o = calloc(1, sizeof(*o));
	const struct pgm_program_options opts = { .debug_dirs = dirs, .n_debug_dirs = n };
	if (!o || !(o->debuginfo_path = pgm_program_debuginfo_path(&opts, NULL))) {
		free(o);
		return &pgm_enomem;
	}
	o->callbacks.find_elf = dwfl_build_id_find_elf;
	o->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	o->callbacks.section_address = dwfl_offline_section_address;
	o->callbacks.debuginfo_path = &o->debuginfo_path;
	*ret = o;
	return NULL;
}

/*
 * Why `path` is no ELF file, in the words a core is refused with; libdwfl
 * says "not a valid ELF file" or ENOENT for an empty one.  The caller names
 * the file.
 */
static struct pgm_error *check_elf_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return pgm_error_errno(errno, "open");
	struct stat st;
	unsigned char magic[SELFMAG];
	struct pgm_error *err = NULL;
	if (fstat(fd, &st) < 0)
		err = pgm_error_errno(errno, "fstat");
	else if (!S_ISREG(st.st_mode))
		err = pgm_error_create(PGM_ERR_FORMAT, "not a regular file");
	else if (st.st_size == 0)
		err = pgm_error_create(PGM_ERR_FORMAT, "empty file, not an executable");
	else if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
		 memcmp(magic, ELFMAG, SELFMAG) != 0)
		err = pgm_error_create(PGM_ERR_FORMAT, "not an ELF file (no ELF magic)");
	close(fd);
	return err;
}

struct pgm_error *pgm_dwarf_open_file(const char *path, const char *const *debug_dirs,
				      size_t n_debug_dirs, struct pgm_dwarf **ret)
{
	struct offline *o;
	struct pgm_error *err = check_elf_file(path);
	if (!err)
		err = offline_callbacks(debug_dirs, n_debug_dirs, &o);
	if (err)
		return err;
	struct pgm_dwarf *dw = calloc(1, sizeof(*dw));
	if (!dw || !(dw->modules = calloc(1, sizeof(*dw->modules)))) {
		free(dw);
		free(o->debuginfo_path);
		free(o);
		return &pgm_enomem;
	}
	dw->offline = o;
	dw->owns_dwfl = true;
	if (!(dw->dwfl = dwfl_begin(&o->callbacks))) {
		err = pgm_error_libdwfl("dwfl_begin");
		goto out_destroy;
	}
	Dwfl_Module *mod = dwfl_report_offline(dw->dwfl, path, path, -1);
	if (!mod) {
		err = pgm_error_libdwfl("dwfl_report_offline");
		goto out_destroy;
	}
	dwfl_report_end(dw->dwfl, NULL, NULL);
	module_init(dw, &dw->modules[0], mod, path, true);
	dw->n_modules = 1;
	*ret = dw;
	return NULL;

out_destroy:
	pgm_dwarf_destroy(dw);
	return err;
}

static void module_free(struct pgm_dwarf_module *m)
{
	free(m->syms);
	free(m->sorted);
	strmap_free(&m->sym_names);
	free(m->by_addr);
	free(m->groups);
	free(m->units);
	strmap_free(&m->names);
	free(m->entries);
}

void pgm_dwarf_destroy(struct pgm_dwarf *dw)
{
	if (!dw)
		return;
	for (size_t i = 0; i < dw->n_modules; i++)
		module_free(&dw->modules[i]);
	free(dw->modules);
	if (dw->owns_dwfl) {
		struct offline *o = dw->offline;
		if (dw->dwfl)
			dwfl_end(dw->dwfl);
		free(o->debuginfo_path);
		free(o);
	}
	free(dw);
}

struct pgm_target *pgm_dwarf_target(struct pgm_dwarf *dw)
{
	return dw->target;
}

void pgm_dwarf_get_stats(const struct pgm_dwarf *dw, struct pgm_dwarf_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->modules = dw->n_modules;
	ret->full_scans = dw->full_scans;
	for (size_t i = 0; i < dw->n_modules; i++) {
		const struct pgm_dwarf_module *m = &dw->modules[i];
		ret->units_total += m->n_units;
		ret->units_indexed += m->units_indexed;
		ret->names += m->names.count;
	}
}

struct pgm_dwarf_module *pgm_dwarf_module_order(struct pgm_dwarf *dw, size_t i)
{
	return i < dw->n_modules ? &dw->modules[i] : NULL;
}

struct pgm_error *dmod_no_debuginfo(const struct pgm_dwarf_module *m, const char *what)
{
	const char *id = m->build_id[0] ? m->build_id : "unknown";
	GElf_Addr bias;
	if (!dwfl_module_getelf(m->mod, &bias))
		return pgm_error_create(PGM_ERR_NO_DEBUGINFO,
					"%s (build-id %s) was not found, so %s cannot be resolved; "
					"pass %s--sysroot DIR holding the files the process ran, or "
					"--debug-dir DIR holding DIR/.build-id/%.2s/%s",
					m->name, id, what, m->is_main ? "-e EXE (the executable), " : "",
					id, m->build_id[0] ? id + 2 : "");
	if (!m->build_id[0])
		return pgm_error_create(PGM_ERR_NO_DEBUGINFO,
					"%s has no DWARF debuginfo, so %s cannot be resolved "
					"(its build-id is unknown); install the matching debug "
					"symbols or point --debug-dir at them",
					m->name, what);
	return pgm_error_create(PGM_ERR_NO_DEBUGINFO,
				"%s (build-id %s) has no DWARF debuginfo, so %s cannot be "
				"resolved; install the matching debug symbols (Debian: the "
				"-dbgsym package from the debian-debug archive), fetch them "
				"with --debuginfod URL or DEBUGINFOD_URLS, or pass --debug-dir "
				"DIR containing DIR/.build-id/%.2s/%s.debug",
				m->name, id, what, id, id + 2);
}

struct pgm_error *dmod_dwarf(struct pgm_dwarf_module *m)
{
	if (!m->dwarf_tried) {
		m->dwarf_tried = true;
		m->dbg = dwfl_module_getdwarf(m->mod, &m->bias);
	}
	return m->dbg ? NULL : dmod_no_debuginfo(m, "types and variables");
}

struct pgm_error *pgm_dwarf_symbolize(struct pgm_dwarf *dw, uint64_t addr, const char **name,
				      uint64_t *offset)
{
	for (size_t i = 0; i < dw->n_modules; i++) {
		struct pgm_dwarf_module *m = &dw->modules[i];
		Dwarf_Addr start, end;
		if (!dwfl_module_info(m->mod, NULL, &start, &end, NULL, NULL, NULL, NULL) ||
		    addr < start || addr >= end)
			continue;
		const struct dsym *s = dmod_symbol_at(m, addr);
		if (!s)
			break;
		*name = s->name;
		*offset = addr - s->addr;
		return NULL;
	}
	return pgm_error_create(PGM_ERR_LOOKUP, "no symbol at 0x%" PRIx64, addr);
}
