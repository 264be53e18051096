/*
 * Finding a module's files: the ELF file the process ran and its separate
 * debuginfo, as libdwfl's find_elf and find_debuginfo callbacks.
 *
 * Every candidate is checked against the build-id the process ran before
 * libdwfl sees it; a wrong file is a warning, never silently used.  Local
 * places come first, in the order program.h states, and debuginfod last
 * (debuginfod.c), so that nothing is downloaded that this machine has.
 */
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

#include "debuginfo/program_internal.h"
#include "util/text.h"

#define DEFAULT_DEBUG_DIRS ".debug:/usr/lib/debug"

/*
 * Appends "DIR SUFFIX:" to *path.  libdwfl reads a relative entry as a
 * directory inside the module's own, so a relative DIR (--debug-dir) is
 * made absolute against the cwd.
 */
static bool append_dir(char **path, size_t *len, const char *dir, const char *suffix)
{
	char cwd[4096] = "";
	if (dir[0] != '/' && !getcwd(cwd, sizeof(cwd) - 1))
		return false;
	if (cwd[0])
		strcat(cwd, "/");
	size_t n = strlen(cwd) + strlen(dir) + strlen(suffix) + 2;
	char *grown = realloc(*path, *len + n);
	if (!grown)
		return false;
	*path = grown;
	*len += (size_t)sprintf(grown + *len, "%s%s%s:", cwd, dir, suffix);
	return true;
}

/*
 * "-" turns off .gnu_debuglink CRC checks (build-ids are checked instead and
 * CRCs cost a full read of the file); the empty entry after it means "next
 * to the file".  A live process's own /usr/lib/debug is read through its
 * root, which is how a container's files are seen from outside.
 */
char *pgm_program_debuginfo_path(const struct pgm_program_options *opts,
				   const struct pgm_target *t)
{
	size_t len = 2;
	char *path = strdup("-:"), root[64];
	bool ok = path != NULL;
	for (size_t i = 0; ok && i < opts->n_debug_dirs; i++)
		ok = append_dir(&path, &len, opts->debug_dirs[i], "");
	if (ok && opts->sysroot)
		ok = append_dir(&path, &len, opts->sysroot, "/usr/lib/debug");
	snprintf(root, sizeof(root), "/proc/%d/root", t ? (int)t->pid : 0);
	if (ok && t && t->kind == PGM_TARGET_LIVE && t->pid > 0)
		ok = append_dir(&path, &len, root, "/usr/lib/debug");
	char *full = ok ? realloc(path, len + sizeof(DEFAULT_DEBUG_DIRS)) : NULL;
	if (!full) {
		free(path);
		return NULL;
	}
	strcpy(full + len, DEFAULT_DEBUG_DIRS);
	return full;
}

/* The build-id the process ran, as libdwfl read it from memory or file. */
size_t pgm_module_build_id(Dwfl_Module *mod, const unsigned char **bits)
{
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, bits, &vaddr);
	return len > 0 ? (size_t)len : 0;
}

bool pgm_file_build_id_matches(int fd, const unsigned char *want, size_t want_len,
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
 * libdwfl knows a live process's build-ids only from the files it finds,
 * too late to check a candidate: the executable's is read from
 * /proc/PID/exe, the file that runs even if replaced on disk since.
 */
static size_t live_exe_build_id(const struct module_state *ms, unsigned char *buf, size_t size)
{
	const struct pgm_target *t = ms->prog->target;
	char path[64];
	const void *id = NULL;
	ssize_t len = -1;
	if (t->kind != PGM_TARGET_LIVE || !ms->prog->modules[ms->index].is_main)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)t->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf)
		len = dwelf_elf_gnu_build_id(elf, &id);
	if (len > 0 && (size_t)len <= size)
		memcpy(buf, id, (size_t)len);
	elf_end(elf);
	close(fd);
	return len > 0 && (size_t)len <= size ? (size_t)len : 0;
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
	unsigned char running[64];
	size_t want_len = pgm_module_build_id(mod, &want);
	if (!want_len && (want_len = live_exe_build_id(ms, running, sizeof(running))))
		want = running;
	char have_hex[129];
	if (want_len && !pgm_file_build_id_matches(fd, want, want_len, have_hex)) {
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

/* PREFIX + modname (a sysroot, a live process's root), if it is the file the process ran. */
static int open_prefixed(struct module_state *ms, Dwfl_Module *mod, const char *prefix,
			 const char *modname, char **file_name)
{
	char *path;
	if (modname[0] != '/' || asprintf(&path, "%s%s", prefix, modname) < 0)
		return -1;
	int fd = open_candidate(ms, mod, path, file_name);
	free(path);
	return fd;
}

/*
 * DIR/.build-id/NN/REST under each absolute directory of the debuginfo
 * path: the file itself, as debug directories may hold it (libdwfl's
 * dwfl_build_id_find_elf, without its debuginfod fallback, which comes
 * only after every local place).
 */
static int find_elf_by_build_id(struct module_state *ms, Dwfl_Module *mod, char **file_name)
{
	const unsigned char *id;
	size_t len = pgm_module_build_id(mod, &id);
	char hex[129], *dirs = len >= 2 ? strdup(ms->prog->debuginfo_path) : NULL, *save;
	int fd = -1;
	if (!dirs)
		return -1;
	pgm_hex_format(id, len, hex);
	for (char *d = strtok_r(dirs, ":", &save); d && fd < 0; d = strtok_r(NULL, ":", &save)) {
		char *path;
		if (d[0] != '/' || asprintf(&path, "%s/.build-id/%.2s/%s", d, hex, hex + 2) < 0)
			continue;
		fd = open_candidate(ms, mod, path, file_name);
		free(path);
	}
	free(dirs);
	return fd;
}

/*
 * In order: -e (main module), the sysroot, a live process's root (its
 * mount namespace), the build-id trees, and the module's own path (not
 * with a sysroot, nor for a live process: its path may name another file
 * here).
 */
static int find_elf_locally(struct module_state *ms, Dwfl_Module *mod, const char *modname,
			    char **file_name)
{
	struct pgm_program *prog = ms->prog;
	const struct pgm_target *t = prog->target;
	bool live = t->kind == PGM_TARGET_LIVE;
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", (int)t->pid);
	int fd = -1;
	if (prog->exe && prog->modules[ms->index].is_main)
		fd = open_candidate(ms, mod, prog->exe, file_name);
	if (fd < 0 && prog->sysroot)
		fd = open_prefixed(ms, mod, prog->sysroot, modname, file_name);
	if (fd < 0 && live && !prog->sysroot)
		fd = open_prefixed(ms, mod, root, modname, file_name);
	if (fd < 0)
		fd = find_elf_by_build_id(ms, mod, file_name);
	if (fd < 0 && !prog->sysroot && !live && modname[0] == '/')
		fd = open_candidate(ms, mod, modname, file_name);
	return fd;
}

/*
 * libdwfl's find_elf callback.  Modules it already opened while reading the
 * core's link map never get here.  *userdata is our module_state once the
 * modules are listed; a call before that (libdwfl looking for phdrs) gets
 * only libdwfl's build-id lookup.  After the local places, debuginfod; a
 * live process's vDSO and deleted files come from its memory, a core's
 * vDSO from the core.
 */
int pgm_program_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			 char **file_name, Elf **elfp)
{
	struct module_state *ms = *userdata;
	*elfp = NULL;
	if (!ms)
		return dwfl_build_id_find_elf(mod, userdata, modname, base, file_name, elfp);
	int fd = find_elf_locally(ms, mod, modname, file_name);
	if (fd < 0 && modname[0] == '/') {   /* not the vDSO: no server has that */
		const unsigned char *id;
		size_t len = pgm_module_build_id(mod, &id);
		fd = pgm_debuginfod_fetch(ms->prog, ms, "executable", id, len, file_name);
	}
	if (fd >= 0)
		return fd;
	if (ms->prog->target->kind == PGM_TARGET_LIVE)
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
	return strcmp(modname, PGM_VDSO_NAME) == 0 ? pgm_program_vdso_elf(ms, mod, elfp) : -1;
}

/* dir/sub/name (sub may be NULL), if it is a debug file of the build the process ran. */
static int try_debug_file(Dwfl_Module *mod, const struct stat *main_st, const char *dir,
			  const char *sub, const char *name, char **out)
{
	char *path;
	if (asprintf(&path, "%s%s%s/%s", dir, sub ? "/" : "", sub ? sub : "", name) < 0)
		return -1;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	const unsigned char *id;
	size_t len = pgm_module_build_id(mod, &id);
	char have[129];
	if (fd >= 0 && (fstat(fd, &st) != 0 || (st.st_dev == main_st->st_dev &&
						 st.st_ino == main_st->st_ino) ||
			(len && !pgm_file_build_id_matches(fd, id, len, have)))) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		*out = path;
	else
		free(path);
	return fd;
}

/*
 * The .gnu_debuglink name (else the file's name + ".debug") beside the
 * file, in its .debug/, then under each absolute debug directory D as
 * D/<the file's directory>/NAME and D/NAME: libdwfl's search, with
 * build-ids checked instead of CRCs.
 */
static int find_debuglink(struct module_state *ms, Dwfl_Module *mod, const char *file_name,
			  const char *debuglink, char **out)
{
	const char *slash = file_name ? strrchr(file_name, '/') : NULL;
	struct stat main_st = { 0 };
	if (!slash || stat(file_name, &main_st) != 0)
		return -1;
	char *dir = strndup(file_name, (size_t)(slash - file_name)), *name = NULL, *save;
	char *dirs = strdup(ms->prog->debuginfo_path);
	int fd = -1;
	if (dir && dirs && (debuglink || asprintf(&name, "%s.debug", slash + 1) >= 0)) {
		const char *link = debuglink ? debuglink : name;
		fd = try_debug_file(mod, &main_st, dir[0] ? dir : "/", NULL, link, out);
		if (fd < 0)
			fd = try_debug_file(mod, &main_st, dir, ".debug", link, out);
		for (char *d = strtok_r(dirs, ":", &save); d && fd < 0;
		     d = strtok_r(NULL, ":", &save)) {
			if (d[0] != '/')
				continue;
			fd = try_debug_file(mod, &main_st, d, dir + 1, link, out);
			if (fd < 0)
				fd = try_debug_file(mod, &main_st, d, NULL, link, out);
		}
	}
	free(dir);
	free(dirs);
	free(name);
	return fd;
}

/* An analysis reads only the executable's DWARF: no downloads for libraries then. */
static bool wants_download(const struct module_state *ms)
{
	return !ms->prog->symbols_only_libraries || ms->prog->modules[ms->index].is_main;
}

/*
 * libdwfl's find_debuginfo callback: the build-id trees (libdwfl's own
 * lookup), the .gnu_debuglink search, then debuginfod.  An alternate
 * (dwz) file is asked for by its absolute name and opened as is.
 */
int pgm_program_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			       GElf_Addr base, const char *file_name, const char *debuglink_file,
			       GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct module_state *ms = *userdata;
	if (!ms)
		return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
						    debuglink_file, debuglink_crc,
						    debuginfo_file_name);
	int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
					      debuglink_file, debuglink_crc, debuginfo_file_name);
	if (fd >= 0)
		return fd;
	if (debuglink_file && debuglink_file[0] == '/') {
		fd = open(debuglink_file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !(*debuginfo_file_name = strdup(debuglink_file))) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	/* libdwfl names no file for an executable it opened itself from a core */
	if (!file_name)
		file_name = ms->prog->modules[ms->index].path;
	fd = find_debuglink(ms, mod, file_name, debuglink_file, debuginfo_file_name);
	if (fd < 0 && wants_download(ms)) {
		const unsigned char *id;
		size_t len = pgm_module_build_id(mod, &id);
		fd = pgm_debuginfod_fetch(ms->prog, ms, "debuginfo", id, len, debuginfo_file_name);
	}
	return fd;
}
