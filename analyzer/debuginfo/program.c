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
 * libdwfl refuses some cores whole (the failure depends on how the
 * executable's segments are laid out); gdb reads them, and so do we, with
 * the modules taken from the NT_FILE note (program_image.c).
 */
static struct pgm_error *report_core_modules(struct pgm_program *prog)
{
	struct pgm_target *t = prog->target;
	if (dwfl_core_file_report(prog->dwfl, t->elf, NULL) >= 0)
		return NULL;
	char *why = strdup(dwfl_errmsg(-1));
	dwfl_report_begin(prog->dwfl);
	size_t n = pgm_program_report_from_files(prog);
	if (n == 0) {
		struct pgm_error *err = pgm_error_create(
			PGM_ERR_FORMAT, "reading the modules of %s: dwfl_core_file_report: %s, and "
			"its NT_FILE note names no ELF file mapped from its start", t->path,
			why ? why : "?");
		free(why);
		return err;
	}
	pgm_program_warn(prog, "elfutils refused this core's modules (dwfl_core_file_report: %s); "
			 "pgmortem reported %zu modules from the core's NT_FILE note and program "
			 "headers instead", why ? why : "?", n);
	free(why);
	return NULL;
}

static struct pgm_error *report_modules(struct pgm_program *prog)
{
	struct pgm_target *t = prog->target;
	struct pgm_error *err = NULL;
	dwfl_report_begin(prog->dwfl);
	if (t->elf) {
		/*
		 * No executable here: libdwfl would open it unchecked for the
		 * main module and drop the module on a mismatch; find_elf
		 * tries opts->exe first, with a build-id check.
		 */
		err = report_core_modules(prog);
	} else if (t->kind == PGM_TARGET_LIVE) {
		int r = dwfl_linux_proc_report(prog->dwfl, t->pid);
		if (r != 0)
			err = r > 0 ? pgm_error_errno(r, "reading the modules of pid %d: "
						      "dwfl_linux_proc_report", (int)t->pid)
				    : pgm_error_wrap(pgm_error_libdwfl("dwfl_linux_proc_report"),
						     "reading the modules of pid %d", (int)t->pid);
	}
	if (err)
		return err;
	if (dwfl_report_end(prog->dwfl, NULL, NULL) != 0)
		return pgm_error_wrap(pgm_error_libdwfl("dwfl_report_end"),
				      "reading the modules of %s", t->path ? t->path : "the target");
	if (t->kind == PGM_TARGET_LIVE)
		pgm_program_note_build_ids(prog);
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

/* Which of .symtab and .debug_info (with contents, compressed or not) `elf` has. */
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
		/* .zdebug_info: the older GNU compression (objcopy --compress-debug-sections=zlib-gnu) */
		const char *name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && shdr.sh_type != SHT_NOBITS &&
		    (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0))
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

const char *pgm_debuginfo_source_name(enum pgm_debuginfo_source source)
{
	static const char *const names[] = {
		[PGM_DEBUGINFO_NONE] = "none",
		[PGM_DEBUGINFO_EMBEDDED] = "embedded",
		[PGM_DEBUGINFO_BESIDE] = "beside",
		[PGM_DEBUGINFO_DEBUG_DIR] = "debug_dir",
		[PGM_DEBUGINFO_DEBUGINFOD] = "debuginfod",
	};
	return (size_t)source < sizeof(names) / sizeof(names[0]) ? names[source] : "none";
}

/* The absolute entry of the debuginfo path that `file` lies under, into dir. */
static bool under_debug_dir(const struct pgm_program *prog, const char *file, char **dir)
{
	char *dirs = strdup(prog->debuginfo_path), *save;
	bool found = false;
	for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		size_t n = strlen(d);
		found = d[0] == '/' && strncmp(file, d, n) == 0 && file[n] == '/';
		if (found)
			*dir = strdup(d);
	}
	free(dirs);
	return found;
}

/* Where the module's DWARF came from (program.h). */
static void classify_debuginfo(struct module_state *ms)
{
	struct pgm_module *m = &ms->prog->modules[ms->index];
	if (!m->has_dwarf)
		m->debuginfo_source = PGM_DEBUGINFO_NONE;
	else if (!m->debug_path)
		m->debuginfo_source = PGM_DEBUGINFO_EMBEDDED;
	else if (ms->from_debuginfod)
		m->debuginfo_source = PGM_DEBUGINFO_DEBUGINFOD;
	else if (under_debug_dir(ms->prog, m->debug_path, &ms->debuginfo_from))
		m->debuginfo_source = PGM_DEBUGINFO_DEBUG_DIR;
	else
		m->debuginfo_source = PGM_DEBUGINFO_BESIDE;
	if (m->debuginfo_source == PGM_DEBUGINFO_DEBUGINFOD)
		m->debuginfo_from = ms->debuginfod_server;
	else
		m->debuginfo_from = ms->debuginfo_from;
}

/*
 * A live process's maps list every mapped file, and libdwfl makes each a
 * module: locale archives and other data files are there, found, and no
 * ELF; shared memory ("/dev/zero (deleted)", "/SYSV0052e2c1 (deleted)") has
 * no file to find.  Nothing is missing.  (A deleted executable or library
 * is read from the process's memory instead, without --sysroot.)
 */
static bool is_data_file(const struct pgm_program *prog, const char *name)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(name);
	char *path;
	unsigned char magic[SELFMAG];
	if (len >= sizeof(deleted) - 1 && strcmp(name + len - (sizeof(deleted) - 1), deleted) == 0)
		return prog->target->kind == PGM_TARGET_LIVE;
	if (name[0] != '/' || asprintf(&path, "%s%s", prog->sysroot ? prog->sysroot : "", name) < 0)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	free(path);
	if (fd < 0)
		return false;
	bool data = pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
		    memcmp(magic, ELFMAG, SELFMAG) != 0;
	close(fd);
	return data;
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
	else if (!m->has_elf && !(m->name && is_data_file(prog, m->name)))
		pgm_program_warn(prog, "cannot find %s: pass --sysroot DIR holding the files the "
				 "process ran", name);
	else if (m->is_main && !m->has_dwarf && m->build_id_len)
		/* with servers configured, they were asked: their answer is a warning of its own */
		pgm_program_warn(prog, "no debuginfo for %s (build-id %s): install its "
				 "-dbgsym/-debuginfo package, pass --debug-dir DIR holding "
				 ".build-id/%s/%s.debug, %sor -e the unstripped executable of this build",
				 name, hex, dir, hex + 2,
				 prog->debuginfod ? "" : "set DEBUGINFOD_URLS (or --debuginfod URL), ");
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
	if (!pgm_file_build_id_matches(fd, m->build_id, m->build_id_len, have)) {
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
	bool match = pgm_file_build_id_matches(fd, m->build_id, m->build_id_len, have);
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
	size_t len = pgm_module_build_id(mod, &bits);
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
	classify_debuginfo(ms);
	check_unused_exe(ms->prog, m);
	warn_missing(ms->prog, m);
	return NULL;
}

static struct pgm_error *program_init(struct pgm_program *prog, struct pgm_target *target,
				      const struct pgm_program_options *opts)
{
	prog->target = target;
	prog->symbols_only_libraries = opts->symbols_only_libraries;
	prog->fetch_progress = opts->fetch_progress;
	prog->fetch_progress_arg = opts->fetch_progress_arg;
	if ((opts->exe && !(prog->exe = strdup(opts->exe))) ||
	    (opts->sysroot && !(prog->sysroot = strdup(opts->sysroot))) ||
	    !(prog->debuginfo_path = pgm_program_debuginfo_path(opts, target)))
		return &pgm_enomem;
	prog->callbacks.find_elf = pgm_program_find_elf;
	prog->callbacks.find_debuginfo = pgm_program_find_debuginfo;
	prog->callbacks.debuginfo_path = &prog->debuginfo_path;
	pgm_target_auxv(target, AT_ENTRY, &prog->entry);
	if (!(prog->dwfl = dwfl_begin(&prog->callbacks)))
		return pgm_error_libdwfl("dwfl_begin");
	pgm_debuginfod_init(prog);
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
		free(ms->debuginfo_from);
		free(ms->debuginfod_server);
		free(ms->image);
	}
	pgm_debuginfod_deinit(prog);
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
