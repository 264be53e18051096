/*
 * Unit tests for the core-file parser, on small synthetic cores built in
 * memory and handed over as memfd files (/proc/self/fd/N): a valid core,
 * kernel and gcore flavours of the signal notes, reads served from an ELF
 * "file on disk" (another memfd), and one malformation per check, each of
 * which must be one PGM_ERR_FORMAT naming the problem, never a crash; and
 * a core cut or rewritten while open (the SIGBUS guard), in one thread and
 * in several at once.
 *
 * The synthetic core is laid out like a kernel core: ELF header, program
 * headers, notes, then segment data page-aligned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmortem/program.h"
#include "pgmortem/stack.h"
#include "pgmortem/target.h"

#define TEXT 0x400000ull              /* r-x, first page captured */
#define STACK 0x7ffd00000000ull       /* two adjacent rw segments */
#define DSM 0x7f0000000000ull         /* file-backed, not captured */
#define EXECFN (STACK + 0x1000)
#define DSM_NAME "/dev/shm/PostgreSQL.4952892"
#define EXE_NAME "/usr/lib/postgresql/15/bin/postgres"

enum { L_TEXT, L_STACK, L_STACK2, L_DSM, N_LOADS };

static const struct {
	uint64_t vaddr, memsz, filesz;
	uint32_t flags;
} loads[N_LOADS] = {
	[L_TEXT] = { TEXT, 0x2000, 0x1000, PF_R | PF_X },
	[L_STACK] = { STACK, 0x2000, 0x2000, PF_R | PF_W },
	[L_STACK2] = { STACK + 0x2000, 0x1000, 0x1000, PF_R | PF_W },
	[L_DSM] = { DSM, 0x10000, 0, PF_R | PF_W },
};

struct blob {
	uint8_t *data;
	size_t len;
};

/* How to build a core. */
struct spec {
	const char *text_name;      /* NT_FILE name of the text mapping */
	const uint8_t *text_head;   /* captured first text page, NULL: a pattern */
	int signal;                 /* 0: gcore-like; else the kernel's fatal signal */
	int si_code;
	bool no_file_note;
	size_t prstatus_size;       /* 0: sizeof(struct elf_prstatus) */
	size_t auxv_size;           /* 0: the whole auxv */
};

/* Where the interesting bytes of a built core are. */
struct layout {
	size_t phoff, note_off, note_len, data_off;
	size_t prstatus, prpsinfo, file, auxv;  /* note header offsets */
	size_t load_data[N_LOADS];
};

static size_t put(struct blob *b, const void *p, size_t n)
{
	size_t at = b->len;
	b->data = realloc(b->data, b->len + n);
	assert_non_null(b->data);
	if (p)
		memcpy(b->data + at, p, n);
	else
		memset(b->data + at, 0, n);
	b->len += n;
	return at;
}

static void pad(struct blob *b, size_t align)
{
	if (b->len % align)
		put(b, NULL, align - b->len % align);
}

static size_t put_note(struct blob *b, const char *name, uint32_t type, const void *desc,
		       size_t descsz)
{
	Elf64_Nhdr nh = { .n_namesz = strlen(name) + 1, .n_descsz = descsz, .n_type = type };
	size_t at = put(b, &nh, sizeof(nh));
	put(b, name, nh.n_namesz);
	pad(b, 4);
	put(b, desc, descsz);
	pad(b, 4);
	return at;
}

static void put_prstatus(struct blob *notes, const struct spec *s, int32_t tid, size_t *at)
{
	struct elf_prstatus st;
	memset(&st, 0, sizeof(st));
	st.pr_pid = tid;
	st.pr_cursig = s->signal;
	st.pr_info.si_signo = s->signal;  /* the kernel sets it, gdb does not */
	struct pgm_regs regs = { .rip = TEXT + 0x10 + tid, .rsp = STACK + 0x1f00 };
	memcpy(&st.pr_reg, &regs, sizeof(regs));
	uint8_t raw[sizeof(st) + 64] = { 0 };
	memcpy(raw, &st, sizeof(st));
	size_t n = put_note(notes, "CORE", NT_PRSTATUS, raw,
			    s->prstatus_size ? s->prstatus_size : sizeof(st));
	if (*at == SIZE_MAX)
		*at = n;
}

static void put_signal(struct blob *notes, const struct spec *s)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = s->signal ? s->signal : SIGSTOP;  /* gcore: its attach's SIGSTOP */
	si.si_code = s->signal ? s->si_code : 0x80;
	if (si.si_code <= 0) {
		si.si_pid = 555;
		si.si_uid = 26;
	} else {
		si.si_addr = (void *)0xdead;
	}
	put_note(notes, "CORE", NT_SIGINFO, &si, sizeof(si));
}

static size_t put_file_note(struct blob *notes, const struct spec *s)
{
	struct blob d = { 0 };
	uint64_t head[2] = { 2, 0x1000 };
	uint64_t entries[6] = { TEXT, TEXT + 0x2000, 0, DSM, DSM + 0x10000, 0 };
	put(&d, head, sizeof(head));
	put(&d, entries, sizeof(entries));
	put(&d, s->text_name, strlen(s->text_name) + 1);
	put(&d, DSM_NAME, sizeof(DSM_NAME));
	size_t at = put_note(notes, "CORE", NT_FILE, d.data, d.len);
	free(d.data);
	return at;
}

static void build_notes(struct blob *notes, const struct spec *s, struct layout *l)
{
	struct elf_prpsinfo ps;
	memset(&ps, 0, sizeof(ps));
	ps.pr_pid = 100;
	strcpy(ps.pr_fname, "postgres");
	strcpy(ps.pr_psargs, "postgres: parallel worker for PID 99 ");
	l->prpsinfo = put_note(notes, "CORE", NT_PRPSINFO, &ps, sizeof(ps));
	l->prstatus = SIZE_MAX;
	put_prstatus(notes, s, 100, &l->prstatus);
	put_prstatus(notes, s, 101, &l->prstatus);
	put_note(notes, "LINUX", 0x202, "xstate", 6);
	put_signal(notes, s);
	uint64_t auxv[] = { AT_PHDR, TEXT + 0x40, AT_ENTRY, TEXT + 0x100, AT_EXECFN, EXECFN,
			    AT_NULL, 0 };
	l->auxv = put_note(notes, "CORE", NT_AUXV, auxv, s->auxv_size ? s->auxv_size : sizeof(auxv));
	if (!s->no_file_note)
		l->file = put_file_note(notes, s);
}

static void fill_load(struct blob *b, const struct spec *s, int i)
{
	size_t at = put(b, NULL, loads[i].filesz);
	uint8_t *p = b->data + at;
	for (size_t k = 0; k < loads[i].filesz; k++)
		p[k] = (uint8_t)(k * 13 + i);
	if (i == L_TEXT && s->text_head)
		memcpy(p, s->text_head, loads[i].filesz);
	if (i == L_STACK)
		strcpy((char *)p + (EXECFN - STACK), EXE_NAME);
}

static struct blob build(const struct spec *s, struct layout *l)
{
	struct blob notes = { 0 }, core = { 0 };
	memset(l, 0, sizeof(*l));
	build_notes(&notes, s, l);
	size_t phnum = 1 + N_LOADS;
	l->phoff = sizeof(Elf64_Ehdr);
	l->note_off = l->phoff + phnum * sizeof(Elf64_Phdr);
	l->note_len = notes.len;
	l->prstatus += l->note_off;
	l->prpsinfo += l->note_off;
	l->auxv += l->note_off;
	if (!s->no_file_note)
		l->file += l->note_off;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_phoff = l->phoff, .e_ehsize = sizeof(eh), .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = phnum,
	};
	put(&core, &eh, sizeof(eh));
	Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = l->note_off, .p_filesz = notes.len,
			    .p_align = 4 };
	put(&core, &note, sizeof(note));
	l->data_off = (l->note_off + notes.len + 0xfff) & ~0xfffull;
	size_t off = l->data_off;
	for (int i = 0; i < N_LOADS; i++) {
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = loads[i].flags, .p_offset = off,
				  .p_vaddr = loads[i].vaddr, .p_filesz = loads[i].filesz,
				  .p_memsz = loads[i].memsz, .p_align = 0x1000 };
		put(&core, &ph, sizeof(ph));
		l->load_data[i] = off;
		off += loads[i].filesz;
	}
	put(&core, notes.data, notes.len);
	free(notes.data);
	pad(&core, 0x1000);
	for (int i = 0; i < N_LOADS; i++)
		fill_load(&core, s, i);
	return core;
}

static const struct spec plain = { .text_name = EXE_NAME };

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("pgmortem-test", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

static struct pgm_error *open_blob(const struct blob *b, const char *sysroot,
				   struct pgm_target **t)
{
	int fd = memfd_with(b->data, b->len);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	*t = NULL;
	struct pgm_error *err = pgm_target_core_open(path, sysroot, t);
	close(fd);
	return err;
}

static struct pgm_target *open_ok(const struct blob *b, const char *sysroot)
{
	struct pgm_target *t;
	struct pgm_error *err = open_blob(b, sysroot, &t);
	if (err)
		fail_msg("pgm_target_core_open: %s", err->message);
	return t;
}

static void expect_error(const struct blob *b, enum pgm_error_code code, const char *what)
{
	struct pgm_target *t;
	struct pgm_error *err = open_blob(b, NULL, &t);
	if (!err)
		fail_msg("a malformed core opened; expected \"%s\"", what);
	if (err->code != code || !strstr(err->message, what))
		fail_msg("got error %d \"%s\"; expected %d \"%s\"", err->code, err->message, code, what);
	pgm_error_destroy(err);
}

static void patch32(struct blob *b, size_t off, uint32_t v)
{
	memcpy(b->data + off, &v, 4);
}

static void patch64(struct blob *b, size_t off, uint64_t v)
{
	memcpy(b->data + off, &v, 8);
}

/* Offset of field `field` of program header `i` (0 is PT_NOTE, 1.. loads). */
#define PHDR_FIELD(l, i, field) ((l)->phoff + (i) * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, field))
/* Offset of the descriptor of the note whose header is at `at` ("CORE" name). */
#define NOTE_DESC(at) ((at) + sizeof(Elf64_Nhdr) + 8)

static void expect_read_error(struct pgm_target *t, uint64_t addr, size_t len,
			      enum pgm_error_code code, uint64_t at)
{
	uint8_t buf[64];
	struct pgm_error *err = pgm_target_read(t, addr, buf, len);
	assert_non_null(err);
	assert_int_equal(err->code, code);
	assert_int_equal(err->address, at);
	pgm_error_destroy(err);
}

static void valid_core_process_and_threads(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct pgm_target *t = open_ok(&b, NULL);
	assert_int_equal(t->kind, PGM_TARGET_CORE);
	assert_non_null(t->elf);
	assert_true(t->fd >= 0);
	assert_int_equal(t->pid, 100);
	assert_string_equal(t->fname, "postgres");
	assert_string_equal(t->cmdline, "postgres: parallel worker for PID 99");
	assert_int_equal(t->n_threads, 2);
	assert_int_equal(t->threads[0].tid, 100);
	assert_int_equal(t->threads[1].tid, 101);
	assert_int_equal(t->threads[1].regs.rip, TEXT + 0x10 + 101);
	assert_int_equal(t->threads[0].regs.rsp, STACK + 0x1f00);
	assert_int_equal(t->threads[0].cursig, 0);
	/* gcore-like: an NT_SIGINFO for SIGSTOP but pr_info empty. */
	assert_false(t->has_siginfo);
	assert_int_equal(t->siginfo.signo, 0);
	uint64_t v;
	assert_true(pgm_target_auxv(t, AT_EXECFN, &v));
	assert_int_equal(v, EXECFN);
	assert_string_equal(t->exe_path, EXE_NAME);
	assert_int_equal(t->n_warnings, 0);
	pgm_target_destroy(t);
	free(b.data);
}

static void valid_core_mappings(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct pgm_target *t = open_ok(&b, NULL);
	for (size_t i = 1; i < t->n_mappings; i++)
		assert_true(t->mappings[i - 1].end <= t->mappings[i].start);
	const struct pgm_mapping *m = pgm_target_find_mapping(t, TEXT);
	assert_int_equal(m->end, TEXT + 0x1000);
	assert_int_equal(m->flags, PGM_MAP_READ | PGM_MAP_EXEC | PGM_MAP_CAPTURED);
	assert_string_equal(m->path, EXE_NAME);
	m = pgm_target_find_mapping(t, TEXT + 0x1000);
	assert_int_equal(m->start, TEXT + 0x1000);
	assert_int_equal(m->flags, PGM_MAP_READ | PGM_MAP_EXEC);
	assert_int_equal(m->file_offset, 0x1000);
	m = pgm_target_find_mapping(t, DSM + 0x100);
	assert_string_equal(m->path, DSM_NAME);
	assert_false(m->flags & PGM_MAP_CAPTURED);
	m = pgm_target_find_mapping(t, STACK + 0x2000);
	assert_null(m->path);
	assert_true(m->flags & PGM_MAP_CAPTURED);
	assert_null(pgm_target_find_mapping(t, STACK + 0x3000));
	pgm_target_destroy(t);
	free(b.data);
}

static void valid_core_reads(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct pgm_target *t = open_ok(&b, NULL);
	/* A read spanning the two stack segments. */
	uint8_t buf[32];
	assert_null(pgm_target_read(t, STACK + 0x2000 - 16, buf, 32));
	assert_memory_equal(buf, b.data + l.load_data[L_STACK] + 0x2000 - 16, 16);
	assert_memory_equal(buf + 16, b.data + l.load_data[L_STACK2], 16);
	/* DSM: not captured, naming the segment and where it is mapped. */
	struct pgm_error *err = pgm_target_read(t, DSM + 0x1e8, buf, 8);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_string_equal(err->mapping, DSM_NAME);
	assert_int_equal(err->map_start, DSM);
	assert_int_equal(err->address, DSM + 0x1e8);
	pgm_error_destroy(err);
	/* Text past the first page: the file does not exist here. */
	err = pgm_target_read(t, TEXT + 0xff8, buf, 16);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	assert_int_equal(err->address, TEXT + 0x1000);
	assert_int_equal(err->map_start, TEXT);
	assert_string_equal(err->mapping, EXE_NAME);
	pgm_error_destroy(err);
	expect_read_error(t, 0x1000, 8, PGM_ERR_FAULT, 0x1000);
	expect_read_error(t, STACK + 0x2ff8, 16, PGM_ERR_FAULT, STACK + 0x3000);
	pgm_target_destroy(t);
	free(b.data);
}

static void kernel_core_fatal_signal(void **state)
{
	struct layout l;
	struct spec s = plain;
	s.signal = SIGSEGV;
	s.si_code = SEGV_MAPERR;
	struct blob b = build(&s, &l);
	struct pgm_target *t = open_ok(&b, NULL);
	assert_true(t->has_siginfo);
	assert_int_equal(t->siginfo.signo, SIGSEGV);
	assert_int_equal(t->siginfo.code, SEGV_MAPERR);
	assert_int_equal(t->siginfo.addr, 0xdead);
	assert_int_equal(t->threads[0].cursig, SIGSEGV);
	pgm_target_destroy(t);
	free(b.data);

	s.signal = SIGABRT;
	s.si_code = SI_TKILL;
	b = build(&s, &l);
	t = open_ok(&b, NULL);
	assert_true(t->has_siginfo);
	assert_int_equal(t->siginfo.signo, SIGABRT);
	assert_int_equal(t->siginfo.sender_pid, 555);
	assert_int_equal(t->siginfo.sender_uid, 26);
	assert_int_equal(t->siginfo.addr, 0);
	pgm_target_destroy(t);
	free(b.data);
}

static void exe_from_execfn_without_nt_file(void **state)
{
	struct layout l;
	struct spec s = plain;
	s.no_file_note = true;
	struct blob b = build(&s, &l);
	struct pgm_target *t = open_ok(&b, NULL);
	assert_string_equal(t->exe_path, EXE_NAME);
	/* Without NT_FILE the DSM range is anonymous as far as we know. */
	assert_null(pgm_target_find_mapping(t, DSM)->path);
	pgm_target_destroy(t);
	free(b.data);
}

/* An "ELF file on disk": magic, then a pattern; 0x3000 bytes. */
static uint8_t *fake_elf(bool magic)
{
	uint8_t *f = malloc(0x3000);
	for (size_t i = 0; i < 0x3000; i++)
		f[i] = (uint8_t)(i * 7 + 3);
	if (magic)
		memcpy(f, ELFMAG, SELFMAG);
	return f;
}

/* Opens a core whose text maps `file` (a memfd) as `name`; returns the target. */
static struct pgm_target *open_with_file(uint8_t *file, const uint8_t *head, const char *name,
					 const char *sysroot)
{
	struct layout l;
	struct spec s = plain;
	s.text_name = name;
	s.text_head = head;
	struct blob b = build(&s, &l);
	struct pgm_target *t = open_ok(&b, sysroot);
	free(b.data);
	return t;
}

static void uncaptured_text_served_from_elf_file(void **state)
{
	uint8_t *file = fake_elf(true);
	int fd = memfd_with(file, 0x3000);
	char name[64], short_name[16];
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	snprintf(short_name, sizeof(short_name), "/%d", fd);

	struct pgm_target *t = open_with_file(file, file, name, NULL);
	uint8_t buf[32];
	assert_null(pgm_target_read(t, TEXT + 0xff0, buf, 32));  /* core, then file */
	assert_memory_equal(buf, file + 0xff0, 32);
	assert_null(pgm_target_read(t, TEXT + 0x1ff0, buf, 16));
	assert_memory_equal(buf, file + 0x1ff0, 16);
	pgm_target_destroy(t);

	/* The same file found under a sysroot. */
	t = open_with_file(file, file, short_name, "/proc/self/fd");
	assert_null(pgm_target_read(t, TEXT + 0x1000, buf, 8));
	assert_memory_equal(buf, file + 0x1000, 8);
	pgm_target_destroy(t);

	/* A file whose start differs from the core's copy is another build. */
	uint8_t *other = fake_elf(true);
	other[0x100] ^= 1;
	t = open_with_file(file, other, name, NULL);
	expect_read_error(t, TEXT + 0x1000, 8, PGM_ERR_NOT_CAPTURED, TEXT + 0x1000);
	pgm_target_destroy(t);
	free(other);
	close(fd);
	free(file);
}

/*
 * An ELF file serving uncaptured text, truncated after it was mapped: its
 * ranges become not captured instead of SIGBUS; the core itself is fine.
 */
static void disk_file_truncated_while_mapped(void **state)
{
	uint8_t *file = fake_elf(true);
	int fd = memfd_with(file, 0x3000);
	char name[64];
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	struct pgm_target *t = open_with_file(file, file, name, NULL);
	uint8_t buf[16];
	assert_null(pgm_target_read(t, TEXT + 0x1000, buf, sizeof(buf)));
	assert_int_equal(ftruncate(fd, 0x1000), 0);
	expect_read_error(t, TEXT + 0x1800, 8, PGM_ERR_NOT_CAPTURED, TEXT + 0x1800);
	expect_read_error(t, TEXT + 0x1000, 8, PGM_ERR_NOT_CAPTURED, TEXT + 0x1000);
	assert_null(pgm_target_read(t, TEXT, buf, sizeof(buf)));   /* the core's own page */
	assert_null(pgm_target_check(t));
	pgm_target_destroy(t);
	close(fd);
	free(file);
}

static void uncaptured_non_elf_file_stays_uncaptured(void **state)
{
	uint8_t *file = fake_elf(false);
	int fd = memfd_with(file, 0x3000);
	char name[64];
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	struct pgm_target *t = open_with_file(file, file, name, NULL);
	expect_read_error(t, TEXT + 0x1000, 8, PGM_ERR_NOT_CAPTURED, TEXT + 0x1000);
	pgm_target_destroy(t);

	/* Deleted files are never opened, even if the name resolves. */
	char deleted[80];
	snprintf(deleted, sizeof(deleted), "%s (deleted)", name);
	memcpy(file, ELFMAG, SELFMAG);
	t = open_with_file(file, file, deleted, NULL);
	expect_read_error(t, TEXT + 0x1000, 8, PGM_ERR_NOT_CAPTURED, TEXT + 0x1000);
	pgm_target_destroy(t);
	close(fd);
	free(file);
}

static void truncated_in_load_is_partial(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	b.len = l.load_data[L_STACK] + 0x800;  /* cut inside the first stack segment */
	struct pgm_target *t = open_ok(&b, NULL);
	assert_int_equal(t->n_warnings, 1);
	assert_non_null(strstr(t->warnings[0], "core file truncated"));
	assert_non_null(strstr(t->warnings[0], "0x7ffd00000800"));
	uint8_t buf[16];
	assert_null(pgm_target_read(t, STACK + 0x7f0, buf, 16));
	expect_read_error(t, STACK + 0x7f8, 16, PGM_ERR_NOT_CAPTURED, STACK + 0x800);
	expect_read_error(t, STACK + 0x2000, 8, PGM_ERR_NOT_CAPTURED, STACK + 0x2000);
	assert_false(pgm_target_find_mapping(t, STACK + 0x800)->flags & PGM_MAP_CAPTURED);
	assert_true(pgm_target_find_mapping(t, STACK + 0x7ff)->flags & PGM_MAP_CAPTURED);
	pgm_target_destroy(t);
	free(b.data);
}

static void malformed_headers(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct blob x = { malloc(b.len), b.len };
#define RESET() memcpy(x.data, b.data, b.len), x.len = b.len
	RESET(); x.data[0] = 0x7e;
	expect_error(&x, PGM_ERR_FORMAT, "not an ELF file");
	RESET(); x.len = 0;
	expect_error(&x, PGM_ERR_FORMAT, "empty file");
	RESET(); x.len = 10;
	expect_error(&x, PGM_ERR_FORMAT, "truncated in the ELF header");
	RESET(); x.len = 40;
	expect_error(&x, PGM_ERR_FORMAT, "truncated in the ELF header (file has 40 of 64 bytes)");
	RESET(); x.data[EI_CLASS] = ELFCLASS32;
	expect_error(&x, PGM_ERR_UNSUPPORTED, "architecture not supported");
	RESET(); x.data[EI_CLASS] = 7;
	expect_error(&x, PGM_ERR_FORMAT, "bad ELF class 7");
	RESET(); x.data[offsetof(Elf64_Ehdr, e_type)] = ET_DYN;
	expect_error(&x, PGM_ERR_FORMAT, "not a core file (ELF type ET_DYN");
	RESET(); x.data[offsetof(Elf64_Ehdr, e_machine)] = EM_AARCH64;
	expect_error(&x, PGM_ERR_UNSUPPORTED, "architecture aarch64 (e_machine 183) not supported");
	RESET(); x.data[offsetof(Elf64_Ehdr, e_phentsize)] = 32;
	expect_error(&x, PGM_ERR_FORMAT, "program header entries are 32 bytes");
	RESET(); patch64(&x, offsetof(Elf64_Ehdr, e_phoff), b.len - 10);
	expect_error(&x, PGM_ERR_FORMAT, "truncated in the program headers");
	RESET(); x.len = l.phoff + 100;
	expect_error(&x, PGM_ERR_FORMAT, "truncated in the program headers: 5 entries at offset 0x40");
	RESET(); x.data[offsetof(Elf64_Ehdr, e_phnum)] = 0;
	expect_error(&x, PGM_ERR_FORMAT, "no program headers");
	RESET(); x.data[offsetof(Elf64_Ehdr, e_phnum)] = 0xff;
	x.data[offsetof(Elf64_Ehdr, e_phnum) + 1] = 0xff;
	expect_error(&x, PGM_ERR_FORMAT, "PN_XNUM");
#undef RESET
	free(x.data);
	free(b.data);
}

static void malformed_segments(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct blob x = { malloc(b.len), b.len };
#define RESET() memcpy(x.data, b.data, b.len), x.len = b.len
	RESET(); patch64(&x, PHDR_FIELD(&l, 1, p_filesz), 0x3000);
	expect_error(&x, PGM_ERR_FORMAT, "PT_LOAD 1 at 0x400000: p_filesz 0x3000 exceeds p_memsz 0x2000");
	RESET(); patch64(&x, PHDR_FIELD(&l, 2, p_vaddr), TEXT + 0x1000);
	expect_error(&x, PGM_ERR_FORMAT, "PT_LOAD segments overlap at 0x401000");
	RESET(); patch64(&x, PHDR_FIELD(&l, 4, p_vaddr), UINT64_MAX - 0x1000);
	expect_error(&x, PGM_ERR_FORMAT, "run past the address space");
	RESET(); patch64(&x, PHDR_FIELD(&l, 2, p_offset), UINT64_MAX - 0x100);
	expect_error(&x, PGM_ERR_FORMAT, "overflows");
	RESET(); patch32(&x, PHDR_FIELD(&l, 0, p_type), PT_NULL);
	expect_error(&x, PGM_ERR_FORMAT, "no PT_NOTE segment");
	RESET(); x.len = l.note_off + 100;
	char what[80];
	snprintf(what, sizeof(what), "truncated in PT_NOTE at offset 0x%zx", l.note_off + 100);
	expect_error(&x, PGM_ERR_FORMAT, what);
	RESET(); patch64(&x, PHDR_FIELD(&l, 0, p_offset), UINT64_MAX);
	expect_error(&x, PGM_ERR_FORMAT, "truncated in PT_NOTE");
#undef RESET
	free(x.data);
	free(b.data);
}

static void malformed_notes(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct blob x = { malloc(b.len), b.len };
	char what[128];
#define RESET() memcpy(x.data, b.data, b.len), x.len = b.len
	RESET(); patch32(&x, l.prstatus + offsetof(Elf64_Nhdr, n_descsz), 0xffffff00);
	snprintf(what, sizeof(what), "note at offset 0x%zx: data size 4294967040 exceeds", l.prstatus);
	expect_error(&x, PGM_ERR_FORMAT, what);
	RESET(); patch32(&x, l.prpsinfo + offsetof(Elf64_Nhdr, n_namesz), 0x7fffffff);
	expect_error(&x, PGM_ERR_FORMAT, "name size 2147483647 exceeds");
	RESET(); x.data[l.prpsinfo + sizeof(Elf64_Nhdr) + 4] = 'X';
	expect_error(&x, PGM_ERR_FORMAT, "name is not NUL-terminated");
	RESET(); patch64(&x, PHDR_FIELD(&l, 0, p_filesz), l.note_len - 2);
	expect_error(&x, PGM_ERR_FORMAT, "exceeds");
	RESET(); patch64(&x, PHDR_FIELD(&l, 0, p_filesz), 7);
	expect_error(&x, PGM_ERR_FORMAT, "header cut short, 7 bytes left in PT_NOTE");
	/* Both PRSTATUS notes retyped: no threads. */
	RESET(); patch32(&x, l.prstatus + offsetof(Elf64_Nhdr, n_type), 0x99);
	patch32(&x, l.prstatus + 20 + sizeof(struct elf_prstatus) + offsetof(Elf64_Nhdr, n_type), 0x99);
	expect_error(&x, PGM_ERR_FORMAT, "no NT_PRSTATUS note");
	RESET(); patch32(&x, l.prpsinfo + offsetof(Elf64_Nhdr, n_type), NT_PRSTATUS);
	snprintf(what, sizeof(what), "NT_PRSTATUS at offset 0x%zx has 136 bytes, expected 336", l.prpsinfo);
	expect_error(&x, PGM_ERR_FORMAT, what);
#undef RESET
	free(x.data);
	free(b.data);
}

static void malformed_sizes(void **state)
{
	struct layout l;
	struct spec s = plain;
	s.prstatus_size = 200;
	struct blob b = build(&s, &l);
	expect_error(&b, PGM_ERR_FORMAT, "has 200 bytes, expected 336");
	free(b.data);
	s = plain;
	s.auxv_size = 40;
	b = build(&s, &l);
	expect_error(&b, PGM_ERR_FORMAT, "NT_AUXV at offset");
	free(b.data);
}

static void malformed_nt_file(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct blob x = { malloc(b.len), b.len };
	size_t desc = NOTE_DESC(l.file), descsz;
	uint32_t sz;
	memcpy(&sz, b.data + l.file + offsetof(Elf64_Nhdr, n_descsz), 4);
	descsz = sz;
	char what[128];
#define RESET() memcpy(x.data, b.data, b.len), x.len = b.len
	RESET(); patch64(&x, desc, 4294967295u);
	snprintf(what, sizeof(what), "NT_FILE claims 4294967295 entries in a %zu-byte note", descsz);
	expect_error(&x, PGM_ERR_FORMAT, what);
	/* A note cut inside its last name. */
	RESET(); patch32(&x, l.file + offsetof(Elf64_Nhdr, n_descsz), descsz - 5);
	expect_error(&x, PGM_ERR_FORMAT, "NT_FILE name 2 of 2 is not NUL-terminated");
	RESET(); x.data[desc + descsz - 1] = 'x';
	expect_error(&x, PGM_ERR_FORMAT, "NT_FILE name 2 of 2 is not NUL-terminated");
	RESET(); patch64(&x, desc + 8, 0);
	expect_error(&x, PGM_ERR_FORMAT, "NT_FILE page size 0 is not a power of two");
	RESET(); patch64(&x, desc + 16 + 8, TEXT);
	expect_error(&x, PGM_ERR_FORMAT, "NT_FILE entry 0: start 0x400000 is not below end 0x400000");
	RESET(); patch64(&x, desc + 16 + 16, UINT64_MAX / 2);
	expect_error(&x, PGM_ERR_FORMAT, "NT_FILE entry 0: file offset of page");
	RESET(); patch64(&x, desc + 16 + 24, TEXT + 0x1000);
	patch64(&x, desc + 16 + 32, TEXT + 0x3000);
	expect_error(&x, PGM_ERR_FORMAT, "NT_FILE entries overlap at 0x401000");
	RESET(); patch32(&x, l.file + offsetof(Elf64_Nhdr, n_descsz), 8);
	expect_error(&x, PGM_ERR_FORMAT, "too short for its header");
#undef RESET
	free(x.data);
	free(b.data);
}

static void not_a_file(void **state)
{
	struct pgm_target *t;
	struct pgm_error *err = pgm_target_core_open("/nonexistent/core", NULL, &t);
	assert_int_equal(err->code, PGM_ERR_OS);
	assert_non_null(strstr(err->message, "open"));
	pgm_error_destroy(err);
	err = pgm_target_core_open("/", NULL, &t);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	assert_string_equal(err->message, "not a regular file");
	pgm_error_destroy(err);

	/* A FIFO with no writer: opening it must not wait for one. */
	char dir[] = "/tmp/pgm-test-fifo.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/core", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	err = pgm_target_core_open(path, NULL, &t);
	unlink(path);
	rmdir(dir);
	assert_int_equal(err->code, PGM_ERR_FORMAT);
	assert_string_equal(err->message, "not a regular file");
	pgm_error_destroy(err);
}

/*
 * Every single-byte corruption of the headers and notes, and every
 * truncation point, either opens or fails cleanly; under ASan this is the
 * "never crash, never read out of bounds" check.
 */
static void every_corruption_fails_cleanly(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct blob x = { malloc(b.len), b.len };
	size_t end = l.note_off + l.note_len;
	for (size_t off = 0; off < end; off++) {
		for (int v = 0; v < 3; v++) {
			memcpy(x.data, b.data, b.len);
			x.data[off] = v == 0 ? 0xff : v == 1 ? 0x00 : x.data[off] ^ 0x80;
			struct pgm_target *t;
			struct pgm_error *err = open_blob(&x, NULL, &t);
			if (err) {
				assert_true(err->message[0] != '\0');
				pgm_error_destroy(err);
				continue;
			}
			uint8_t buf[64];
			for (size_t i = 0; i < t->n_mappings; i++)
				pgm_error_destroy(pgm_target_read(t, t->mappings[i].start, buf, sizeof(buf)));
			pgm_target_destroy(t);
		}
	}
	memcpy(x.data, b.data, b.len);
	for (x.len = 0; x.len < b.len; x.len += x.len < end ? 1 : 0x101) {
		struct pgm_target *t;
		struct pgm_error *err = open_blob(&x, NULL, &t);
		if (err)
			pgm_error_destroy(err);
		else
			pgm_target_destroy(t);
	}
	free(x.data);
	free(b.data);
}

/*
 * libdwfl cannot unwind past a pc in a file it does not have: the stop
 * reason names what pgmortem was doing and the libdwfl call, and does not
 * itself begin with "unwinding stopped" (the renderers put that in front).
 */
static void unwind_stop_says_what_was_being_done(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct pgm_target *t = open_ok(&b, "/nonexistent-sysroot");
	struct pgm_program *prog;
	assert_null(pgm_program_create(t, NULL, &prog));
	struct pgm_stack *stack;
	assert_null(pgm_program_unwind(prog, 0, &stack));
	assert_non_null(stack->stop_reason);
	const char *m = stack->stop_reason->message;
	if (strncmp(m, "finding the caller of the frame at pc 0x", 40) != 0 ||
	    !strstr(m, ": dwfl_getthread_frames: ") || strstr(m, "unwinding stopped"))
		fail_msg("stop reason: %s", m);
	pgm_stack_destroy(stack);
	pgm_program_destroy(prog);
	pgm_target_destroy(t);
	free(b.data);
}

/* ---- a core that changes while open (the SIGBUS guard) ---- */

/* A core opened from a memfd kept open, so the test can cut it. */
static struct pgm_target *open_kept(const struct blob *b, int *fd)
{
	*fd = memfd_with(b->data, b->len);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", *fd);
	struct pgm_target *t;
	struct pgm_error *err = pgm_target_core_open(path, NULL, &t);
	if (err)
		fail_msg("pgm_target_core_open: %s", err->message);
	return t;
}

static void expect_changed(struct pgm_error *err)
{
	assert_non_null(err);
	if (!strstr(err->message, "changed while being read"))
		fail_msg("unexpected error: %s", err->message);
	pgm_error_destroy(err);
}

static void handler_of_sigbus(struct sigaction *sa)
{
	assert_int_equal(sigaction(SIGBUS, NULL, sa), 0);
}

static bool same_handler(const struct sigaction *a, const struct sigaction *b)
{
	return (void *)a->sa_sigaction == (void *)b->sa_sigaction &&
	       (a->sa_flags & SA_SIGINFO) == (b->sa_flags & SA_SIGINFO);
}

/*
 * Cut inside the stack segment's data after open: touching those pages
 * would raise SIGBUS; the read fails naming the change instead, every later
 * read fails too (the zeros the guard mapped are never data), and
 * pgm_target_check() says so.  Destroying the target restores SIGBUS.
 */
static void core_truncated_while_open(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct sigaction before, after;
	handler_of_sigbus(&before);
	int fd;
	struct pgm_target *t = open_kept(&b, &fd);
	uint8_t buf[32];
	assert_null(pgm_target_check(t));
	assert_null(pgm_target_read(t, STACK + 0x1000, buf, sizeof(buf)));
	assert_int_equal(ftruncate(fd, (off_t)l.load_data[L_STACK]), 0);
	expect_changed(pgm_target_read(t, STACK + 0x10, buf, sizeof(buf)));
	expect_changed(pgm_target_read(t, TEXT, buf, sizeof(buf)));
	expect_changed(pgm_target_check(t));
	pgm_target_destroy(t);
	handler_of_sigbus(&after);
	assert_true(same_handler(&before, &after));
	close(fd);
	free(b.data);
}

/* Rewritten in place with the same size: fstat's mtime gives it away. */
static void core_rewritten_while_open(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	int fd;
	struct pgm_target *t = open_kept(&b, &fd);
	/* an explicit time: a rewrite within the same clock tick as the open
	 * would keep the mtime, which is this check's known blind spot */
	struct timespec later[2] = { { 0, UTIME_OMIT }, { time(NULL) + 10, 0 } };
	assert_int_equal(futimens(fd, later), 0);
	expect_changed(pgm_target_check(t));
	pgm_target_destroy(t);
	close(fd);
	free(b.data);
}

static sigjmp_buf foreign_jmp;

static void foreign_handler(int sig, siginfo_t *si, void *uc)
{
	siglongjmp(foreign_jmp, 1);
}

/* A SIGBUS outside any core still reaches the handler installed before. */
static void foreign_sigbus_reaches_previous_handler(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct sigaction mine = { .sa_sigaction = foreign_handler, .sa_flags = SA_SIGINFO }, saved, now;
	sigemptyset(&mine.sa_mask);
	assert_int_equal(sigaction(SIGBUS, &mine, &saved), 0);
	int fd;
	struct pgm_target *t = open_kept(&b, &fd);
	int other = memfd_with(b.data, 8192);
	volatile uint8_t *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, other, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(ftruncate(other, 0), 0);
	volatile int reached = 0;
	if (sigsetjmp(foreign_jmp, 1) == 0)
		(void)p[4096];
	else
		reached = 1;
	assert_int_equal(reached, 1);
	pgm_target_destroy(t);
	handler_of_sigbus(&now);
	assert_true(same_handler(&now, &mine));
	sigaction(SIGBUS, &saved, NULL);
	munmap((void *)p, 8192);
	close(other);
	close(fd);
	free(b.data);
}

struct cut_reader {
	struct blob *b;
	struct layout *l;
	int changed;   /* reads that failed as "changed" */
};

static void *cut_and_read(void *arg)
{
	struct cut_reader *r = arg;
	int fd = memfd_with(r->b->data, r->b->len);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct pgm_target *t;
	if (pgm_target_core_open(path, NULL, &t))
		return NULL;
	(void)!ftruncate(fd, (off_t)r->l->load_data[L_STACK]);
	for (int i = 0; i < 1000; i++) {
		uint8_t buf[16];
		struct pgm_error *err = pgm_target_read(t, STACK + (uint64_t)(i % 3) * 0x1000, buf, 16);
		r->changed += err && strstr(err->message, "changed while being read");
		pgm_error_destroy(err);
	}
	pgm_target_destroy(t);
	close(fd);
	return NULL;
}

/* Several threads, each with its own core cut under it, at the same time. */
static void cores_cut_in_several_threads(void **state)
{
	struct layout l;
	struct blob b = build(&plain, &l);
	struct sigaction before, after;
	handler_of_sigbus(&before);
	pthread_t th[4];
	struct cut_reader r[4];
	for (int i = 0; i < 4; i++) {
		r[i] = (struct cut_reader){ &b, &l, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, cut_and_read, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].changed, 1000);
	}
	handler_of_sigbus(&after);
	assert_true(same_handler(&before, &after));
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_core_process_and_threads),
		cmocka_unit_test(valid_core_mappings),
		cmocka_unit_test(valid_core_reads),
		cmocka_unit_test(kernel_core_fatal_signal),
		cmocka_unit_test(exe_from_execfn_without_nt_file),
		cmocka_unit_test(uncaptured_text_served_from_elf_file),
		cmocka_unit_test(uncaptured_non_elf_file_stays_uncaptured),
		cmocka_unit_test(truncated_in_load_is_partial),
		cmocka_unit_test(malformed_headers),
		cmocka_unit_test(malformed_segments),
		cmocka_unit_test(malformed_notes),
		cmocka_unit_test(malformed_sizes),
		cmocka_unit_test(malformed_nt_file),
		cmocka_unit_test(not_a_file),
		cmocka_unit_test(every_corruption_fails_cleanly),
		cmocka_unit_test(unwind_stop_says_what_was_being_done),
		cmocka_unit_test(core_truncated_while_open),
		cmocka_unit_test(core_rewritten_while_open),
		cmocka_unit_test(disk_file_truncated_while_mapped),
		cmocka_unit_test(foreign_sigbus_reaches_previous_handler),
		cmocka_unit_test(cores_cut_in_several_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
