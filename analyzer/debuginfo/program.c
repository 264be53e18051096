/*
 * The program: libdwfl session, module list, file and debuginfo lookup.
 *
 * Files are found by our find_elf callback (exe, sysroot, build-id trees,
 * the recorded path) so that every candidate is checked against the
 * build-id the process ran before libdwfl sees it; a wrong file is a
 * warning, never silently used.  No DWARF is read here: whether a module
 * has any is decided from section headers.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

#include "debuginfo/program_internal.h"
#include "util/text.h"

#define DEFAULT_DEBUG_DIRS ".debug:/usr/lib/debug"

bool pgm_program_warn(struct pgm_program *prog, const char *fmt, ...)
{
	char **grown = realloc(prog->warnings, (prog->n_warnings + 1) * sizeof(*grown));
	if (!grown)
		return false;
	prog->warnings = grown;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prog->warnings[prog->n_warnings], fmt, ap);
	va_end(ap);
	if (r < 0)
		return false;
	prog->n_warnings++;
	return true;
}

/*
 * "-" turns off .gnu_debuglink CRC checks (build-ids are checked instead and
 * CRCs cost a full read of the file); the empty first entry means "next to
 * the file".
 */
static char *debuginfo_path_create(const struct pgm_program_options *opts)
{
	size_t len = sizeof("-:" DEFAULT_DEBUG_DIRS) + 1;
	for (size_t i = 0; i < opts->n_debug_dirs; i++)
		len += strlen(opts->debug_dirs[i]) + 1;
	if (opts->sysroot)
		len += strlen(opts->sysroot) + sizeof("/usr/lib/debug:");
	char *path = malloc(len);
	if (!path)
		return NULL;
	strcpy(path, "-:");
	for (size_t i = 0; i < opts->n_debug_dirs; i++) {
		strcat(path, opts->debug_dirs[i]);
		strcat(path, ":");
	}
	if (opts->sysroot) {
		strcat(path, opts->sysroot);
		strcat(path, "/usr/lib/debug:");
	}
	strcat(path, DEFAULT_DEBUG_DIRS);
	return path;
}

/* The build-id the process ran, as libdwfl read it from memory or file. */
static size_t module_build_id(Dwfl_Module *mod, const unsigned char **bits)
{
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, bits, &vaddr);
	return len > 0 ? (size_t)len : 0;
}

static bool file_build_id_matches(int fd, const unsigned char *want, size_t want_len,
				  char *have_hex)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *have = NULL;
	ssize_t have_len = elf ? dwelf_elf_gnu_build_id(elf, &have) : -1;
	bool match = have_len == (ssize_t)want_len && memcmp(have, want, want_len) == 0;
	if (have_len > 0 && have_len <= 64)
		pgm_hex_format(have, (size_t)have_len, have_hex);
	else
		strcpy(have_hex, "none");
	elf_end(elf);
	return match;
}

/*
 * Opens `path` if it is the file `mod` ran, by build-id when the process's
 * build-id is known.  A mismatch is remembered and warned about once.
 */
static int open_candidate(struct module_state *ms, Dwfl_Module *mod, const char *path,
			  char **file_name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	const unsigned char *want;
	size_t want_len = module_build_id(mod, &want);
	char have_hex[129];
	if (want_len && !file_build_id_matches(fd, want, want_len, have_hex)) {
		char want_hex[129];
		pgm_hex_format(want, want_len, want_hex);
		struct pgm_module *m = &ms->prog->modules[ms->index];
		m->build_id_mismatch = true;
		pgm_program_warn(ms->prog, "%s has build-id %s but the process ran build-id %s: "
				 "not used", path, have_hex, want_hex);
		close(fd);
		return -1;
	}
	if (!(*file_name = strdup(path))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int find_elf_by_path(struct module_state *ms, Dwfl_Module *mod, const char *modname,
			    char **file_name)
{
	struct pgm_program *prog = ms->prog;
	if (prog->exe && prog->modules[ms->index].is_main) {
		int fd = open_candidate(ms, mod, prog->exe, file_name);
		if (fd >= 0)
			return fd;
	}
	if (prog->sysroot && modname[0] == '/') {
		char *path;
		if (asprintf(&path, "%s%s", prog->sysroot, modname) < 0)
			return -1;
		int fd = open_candidate(ms, mod, path, file_name);
		free(path);
		return fd;
	}
	return -1;
}

/*
 * libdwfl's find_elf callback.  Modules it already opened while reading the
 * core's link map never get here.  *userdata is our module_state once the
 * modules are listed; a call before that (libdwfl looking for phdrs) gets
 * only the build-id lookup.
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	struct module_state *ms = *userdata;
	*elfp = NULL;
	if (ms) {
		int fd = find_elf_by_path(ms, mod, modname, file_name);
		if (fd >= 0)
			return fd;
	}
	int fd = dwfl_build_id_find_elf(mod, userdata, modname, base, file_name, elfp);
	if (fd >= 0 || *elfp || !ms || ms->prog->sysroot)
		return fd;
	free(*file_name);
	*file_name = NULL;
	if (ms->prog->target->kind == PGM_TARGET_LIVE)
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
	return modname[0] == '/' ? open_candidate(ms, mod, modname, file_name) : -1;
}

static struct pgm_error *report_modules(struct pgm_program *prog)
{
	struct pgm_target *t = prog->target;
	dwfl_report_begin(prog->dwfl);
	if (t->elf) {
		/*
		 * No executable here: libdwfl would open it unchecked for the
		 * main module and drop the module on a mismatch; find_elf
		 * tries opts->exe first, with a build-id check.
		 */
		if (dwfl_core_file_report(prog->dwfl, t->elf, NULL) < 0)
			return pgm_error_libdwfl("dwfl_core_file_report");
	} else if (t->kind == PGM_TARGET_LIVE) {
		int r = dwfl_linux_proc_report(prog->dwfl, t->pid);
		if (r != 0)
			return r > 0 ? pgm_error_errno(r, "dwfl_linux_proc_report %d", (int)t->pid)
				     : pgm_error_libdwfl("dwfl_linux_proc_report");
	}
	if (dwfl_report_end(prog->dwfl, NULL, NULL) != 0)
		return pgm_error_libdwfl("dwfl_report_end");
	return NULL;
}

struct module_list {
	Dwfl_Module **mods;
	size_t n, cap;
};

static int collect_module(Dwfl_Module *mod, void **userdata, const char *name,
			  Dwarf_Addr start, void *arg)
{
	struct module_list *list = arg;
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 32;
		Dwfl_Module **grown = realloc(list->mods, cap * sizeof(*grown));
		if (!grown)
			return DWARF_CB_ABORT;
		list->mods = grown;
		list->cap = cap;
	}
	list->mods[list->n++] = mod;
	return DWARF_CB_OK;
}

static int compare_module_start(const void *a, const void *b)
{
	Dwarf_Addr sa, sb;
	dwfl_module_info(*(Dwfl_Module *const *)a, NULL, &sa, NULL, NULL, NULL, NULL, NULL);
	dwfl_module_info(*(Dwfl_Module *const *)b, NULL, &sb, NULL, NULL, NULL, NULL, NULL);
	return sa < sb ? -1 : sa > sb;
}

/* Allocates modules/states for every reported module, sorted by start. */
static struct pgm_error *list_modules(struct pgm_program *prog)
{
	struct module_list list = { 0 };
	if (dwfl_getmodules(prog->dwfl, collect_module, &list, 0) != 0) {
		free(list.mods);
		return &pgm_enomem;
	}
	qsort(list.mods, list.n, sizeof(*list.mods), compare_module_start);
	prog->modules = calloc(list.n ? list.n : 1, sizeof(*prog->modules));
	prog->states = calloc(list.n ? list.n : 1, sizeof(*prog->states));
	if (!prog->modules || !prog->states) {
		free(list.mods);
		return &pgm_enomem;
	}
	prog->n_modules = list.n;
	for (size_t i = 0; i < list.n; i++) {
		void **userdata;
		Dwarf_Addr start, end;
		const char *name = dwfl_module_info(list.mods[i], &userdata, &start, &end,
						    NULL, NULL, NULL, NULL);
		struct pgm_module *m = &prog->modules[i];
		struct module_state *ms = &prog->states[i];
		*ms = (struct module_state){ .prog = prog, .index = i };
		*userdata = ms;
		m->dwfl_module = list.mods[i];
		m->start = start;
		m->end = end;
		if (name && !(ms->name = strdup(name))) {
			free(list.mods);
			return &pgm_enomem;
		}
		m->name = ms->name;
	}
	free(list.mods);
	return NULL;
}

static void mark_main_module(struct pgm_program *prog)
{
	const char *exe_path = prog->target->exe_path;
	for (size_t i = 0; i < prog->n_modules; i++) {
		struct pgm_module *m = &prog->modules[i];
		if (prog->entry ? prog->entry >= m->start && prog->entry < m->end
				: exe_path && m->name && strcmp(exe_path, m->name) == 0) {
			m->is_main = true;
			prog->main = m;
			return;
		}
	}
}

/* Which of .symtab and .debug_info (with contents) `elf` has. */
static void elf_sections(Elf *elf, bool *symtab, bool *debug_info)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr shdr;
		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_SYMTAB)
			*symtab = true;
		const char *name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && shdr.sh_type != SHT_NOBITS && strcmp(name, ".debug_info") == 0)
			*debug_info = true;
	}
}

/* Records the separate debug file libdwfl chose, if it has anything. */
static struct pgm_error *note_debug_file(struct module_state *ms)
{
	struct pgm_module *m = &ms->prog->modules[ms->index];
	const char *debugfile = NULL;
	dwfl_module_info(m->dwfl_module, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	if (!debugfile)
		return NULL;
	int fd = open(debugfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	Elf *debug = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool symtab = false, debug_info = false;
	if (debug)
		elf_sections(debug, &symtab, &debug_info);
	elf_end(debug);
	close(fd);
	m->has_symtab |= symtab;
	m->has_dwarf |= debug_info;
	if (!(ms->debug_path = strdup(debugfile)))
		return &pgm_enomem;
	m->debug_path = ms->debug_path;
	return NULL;
}

/*
 * Finds separate debuginfo through libdwfl itself, so that what we report
 * is what later lookups use.  Loading the symbol table makes libdwfl look
 * for a debug file only when the ELF has no .symtab, and costs no DWARF.
 * A file that kept .symtab but lost .debug_info (strip -g) is rare enough
 * to pay for opening its DWARF.
 */
static struct pgm_error *find_debug_file(struct module_state *ms, Elf *elf)
{
	struct pgm_module *m = &ms->prog->modules[ms->index];
	GElf_Word crc;
	if (!m->has_symtab) {
		dwfl_module_getsymtab(m->dwfl_module);
	} else if (dwelf_elf_gnu_debuglink(elf, &crc) || m->build_id_len) {
		Dwarf_Addr bias;
		dwfl_module_getdwarf(m->dwfl_module, &bias);
	}
	return note_debug_file(ms);
}

static void warn_missing(struct pgm_program *prog, const struct pgm_module *m)
{
	char hex[129], dir[3] = "";
	pgm_hex_format(m->build_id, m->build_id_len, hex);
	if (m->build_id_len)
		memcpy(dir, hex, 2);
	const char *name = m->name ? m->name : "?";
	if (!m->has_elf && m->build_id_len)
		pgm_program_warn(prog, "cannot find %s (build-id %s): pass %s--sysroot DIR holding "
				 "the files the process ran, or --debug-dir DIR holding "
				 ".build-id/%s/%s", name, hex, m->is_main ? "-e EXE, " : "", dir,
				 hex + 2);
	else if (!m->has_elf)
		pgm_program_warn(prog, "cannot find %s: pass --sysroot DIR holding the files the "
				 "process ran", name);
	else if (m->is_main && !m->has_dwarf && m->build_id_len)
		pgm_program_warn(prog, "no debuginfo for %s (build-id %s): install its "
				 "-dbgsym/-debuginfo package, pass --debug-dir DIR holding "
				 ".build-id/%s/%s.debug, or -e the unstripped executable of this "
				 "build", name, hex, dir, hex + 2);
	else if (m->is_main && !m->has_dwarf)
		pgm_program_warn(prog, "no debuginfo for %s (no build-id): -e the unstripped "
				 "executable of this build", name);
}

/*
 * libdwfl opens the files a core names itself when their build-id matches,
 * so -e may never be consulted; a wrong -e still deserves a word.
 */
static void check_unused_exe(struct pgm_program *prog, const struct pgm_module *m)
{
	if (!prog->exe || !m->is_main || m->build_id_mismatch || !m->build_id_len ||
	    (m->path && strcmp(m->path, prog->exe) == 0))
		return;
	int fd = open(prog->exe, O_RDONLY | O_CLOEXEC);
	char have[129], want[129];
	if (fd < 0) {
		pgm_program_warn(prog, "-e %s: %s", prog->exe, strerror(errno));
		return;
	}
	if (!file_build_id_matches(fd, m->build_id, m->build_id_len, have)) {
		pgm_hex_format(m->build_id, m->build_id_len, want);
		pgm_program_warn(prog, "%s has build-id %s but the process ran build-id %s: "
				 "not used", prog->exe, have, want);
	}
	close(fd);
}

/*
 * libdwfl does not record the file name of an executable it opened itself
 * while reading the core's link map; that file is the module's own path,
 * opened because its build-id matched, so the same check recovers it.
 */
static const char *file_name(const struct pgm_module *m, const char *mainfile)
{
	if (mainfile || !m->name || m->name[0] != '/' || !m->build_id_len)
		return mainfile;
	int fd = open(m->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char have[129];
	bool match = file_build_id_matches(fd, m->build_id, m->build_id_len, have);
	close(fd);
	return match ? m->name : NULL;
}

static struct pgm_error *fill_module(struct module_state *ms)
{
	struct pgm_module *m = &ms->prog->modules[ms->index];
	Dwfl_Module *mod = m->dwfl_module;
	GElf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	const unsigned char *bits;
	size_t len = module_build_id(mod, &bits);
	if (len <= sizeof(m->build_id)) {
		memcpy(m->build_id, bits, len);
		m->build_id_len = len;
	}
	const char *mainfile = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
	mainfile = elf ? file_name(m, mainfile) : mainfile;
	if (mainfile && !(ms->path = strdup(mainfile)))
		return &pgm_enomem;
	m->path = ms->path;
	m->bias = bias;
	if (elf) {
		m->has_elf = true;
		elf_sections(elf, &m->has_symtab, &m->has_dwarf);
		if (!m->has_symtab || !m->has_dwarf) {
			struct pgm_error *err = find_debug_file(ms, elf);
			if (err)
				return err;
		}
	}
	check_unused_exe(ms->prog, m);
	warn_missing(ms->prog, m);
	return NULL;
}

static struct pgm_error *program_init(struct pgm_program *prog, struct pgm_target *target,
				      const struct pgm_program_options *opts)
{
	prog->target = target;
	prog->symbols_only_libraries = opts->symbols_only_libraries;
	if ((opts->exe && !(prog->exe = strdup(opts->exe))) ||
	    (opts->sysroot && !(prog->sysroot = strdup(opts->sysroot))) ||
	    !(prog->debuginfo_path = debuginfo_path_create(opts)))
		return &pgm_enomem;
	prog->callbacks.find_elf = find_elf;
	prog->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	prog->callbacks.debuginfo_path = &prog->debuginfo_path;
	pgm_target_auxv(target, AT_ENTRY, &prog->entry);
	if (!(prog->dwfl = dwfl_begin(&prog->callbacks)))
		return pgm_error_libdwfl("dwfl_begin");
	return NULL;
}

struct program_attachment {
	const void *key;
	void *data;
	void (*destroy)(void *data);
	struct program_attachment *next;
};

bool pgm_program_attach(struct pgm_program *prog, const void *key, void *data,
			void (*destroy)(void *data))
{
	struct program_attachment *a = malloc(sizeof(*a));
	if (!a) {
		destroy(data);
		return false;
	}
	*a = (struct program_attachment){ key, data, destroy, prog->attachments };
	prog->attachments = a;
	return true;
}

void *pgm_program_attached(struct pgm_program *prog, const void *key)
{
	for (struct program_attachment *a = prog->attachments; a; a = a->next)
		if (a->key == key)
			return a->data;
	return NULL;
}

/* Newest first: a layer attached later may use what an earlier one attached. */
static void destroy_attachments(struct pgm_program *prog)
{
	while (prog->attachments) {
		struct program_attachment *a = prog->attachments;
		prog->attachments = a->next;
		a->destroy(a->data);
		free(a);
	}
}

bool pgm_program_frames_use_dwarf(const struct pgm_program *prog, const struct pgm_module *m)
{
	return m && m->has_dwarf && (m->is_main || !prog->symbols_only_libraries);
}

struct pgm_error *pgm_program_create(struct pgm_target *target,
				     const struct pgm_program_options *opts,
				     struct pgm_program **ret)
{
	static const struct pgm_program_options no_opts;
	if (target->kind == PGM_TARGET_BUNDLE)
		return pgm_program_bundle_create(target, opts, ret);
	struct pgm_program *prog = calloc(1, sizeof(*prog));
	if (!prog)
		return &pgm_enomem;
	struct pgm_error *err = program_init(prog, target, opts ? opts : &no_opts);
	if (!err)
		err = report_modules(prog);
	if (!err)
		err = list_modules(prog);
	if (!err)
		mark_main_module(prog);
	for (size_t i = 0; !err && i < prog->n_modules; i++)
		err = fill_module(&prog->states[i]);
	if (err) {
		pgm_program_destroy(prog);
		return err;
	}
	*ret = prog;
	return NULL;
}

void pgm_program_destroy(struct pgm_program *prog)
{
	if (!prog)
		return;
	destroy_attachments(prog);   /* they may hold on to the Dwfl */
	pgm_program_bundle_free(prog->bundle);
	if (prog->dwfl)
		dwfl_end(prog->dwfl);
	for (size_t i = 0; i < prog->n_modules; i++) {
		struct module_state *ms = &prog->states[i];
		free(ms->symbols.names);
		free(ms->symbols.ndx);
		free(ms->by_address.syms);
		free(ms->name);
		free(ms->path);
		free(ms->debug_path);
	}
	for (size_t i = 0; i < prog->n_warnings; i++)
		free(prog->warnings[i]);
	free(prog->warnings);
	free(prog->states);
	free(prog->modules);
	free(prog->debuginfo_path);
	free(prog->exe);
	free(prog->sysroot);
	free(prog);
}

struct pgm_target *pgm_program_target(struct pgm_program *prog)
{
	return prog->target;
}

void *pgm_program_dwfl(struct pgm_program *prog)
{
	return prog->dwfl;
}

const struct pgm_module *pgm_program_modules(struct pgm_program *prog, size_t *n)
{
	*n = prog->n_modules;
	return prog->modules;
}

const struct pgm_module *pgm_program_main_module(struct pgm_program *prog)
{
	return prog->main;
}

const struct pgm_module *pgm_program_module_at(struct pgm_program *prog, uint64_t addr)
{
	size_t lo = 0, hi = prog->n_modules;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pgm_module *m = &prog->modules[mid];
		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

const struct pgm_module *pgm_program_module_of(struct pgm_program *prog, Dwfl_Module *mod)
{
	void **userdata;
	if (!mod)
		return NULL;
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	struct module_state *ms = *userdata;
	return ms && ms->prog == prog ? &prog->modules[ms->index] : NULL;
}

const char *const *pgm_program_warnings(struct pgm_program *prog, size_t *n)
{
	*n = prog->n_warnings;
	return (const char *const *)prog->warnings;
}
