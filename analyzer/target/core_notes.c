/*
 * The notes of a core: threads and registers (NT_PRSTATUS), the process
 * (NT_PRPSINFO), the fatal signal (NT_SIGINFO), the auxiliary vector
 * (NT_AUXV) and the file mappings (NT_FILE).  Owner "CORE" only; the
 * "LINUX" notes (FPU and xstate) are not used.
 *
 * Layouts come from the system's struct elf_prstatus, struct elf_prpsinfo
 * (<sys/procfs.h>) and siginfo_t: each note's size must equal the struct's,
 * and the bytes are copied into one before any field is read.
 *
 * Kernel cores and gcore cores, as measured here (Linux 6.18, gdb 13.1):
 *
 *   - The kernel writes NT_PRSTATUS first, one per thread, and sets both
 *     pr_cursig and pr_info.si_signo to the signal that is dumping the core
 *     in every thread; its NT_SIGINFO is that signal's siginfo (kill -SEGV:
 *     si_code 0 = SI_USER with the sender's pid and uid).
 *   - gcore writes NT_PRPSINFO first, then NT_PRSTATUS with pr_info all zero
 *     and pr_cursig = the thread's stop signal as gdb sees it, and an
 *     NT_SIGINFO from PTRACE_GETSIGINFO: after a plain attach that is the
 *     attach's SIGSTOP (si_signo 19, si_code 0x80 = SI_KERNEL) with
 *     pr_cursig 0; stopped at a breakpoint, SIGTRAP with pr_cursig 5; with
 *     a signal pending under gdb (kill -SEGV), that signal with pr_cursig 11.
 *
 * So NT_SIGINFO alone cannot tell a process killed by a signal from one
 * captured on demand, but pr_info.si_signo can: only the kernel fills it.
 * has_siginfo is true exactly when it is non-zero, and then NT_SIGINFO (if
 * present and about the same signal) supplies the details; kernels before
 * 3.7 wrote no NT_SIGINFO, and then only the signal number is known.
 */
#include <elf.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>

#include "pgmortem/target.h"
#include "target/core.h"

_Static_assert(sizeof(struct pgm_regs) == sizeof(elf_gregset_t),
	       "struct pgm_regs must match the kernel's user_regs_struct");

struct note {
	uint32_t type;
	const char *name;      /* NUL-terminated, "" if namesz is 0 */
	const uint8_t *desc;
	size_t descsz;
	uint64_t offset;       /* of the note header in the file, for messages */
};

static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

static struct pgm_error *note_error(uint64_t offset, const char *what, uint64_t size,
				    uint64_t left)
{
	return pgm_error_create(PGM_ERR_FORMAT,
				"note at offset 0x%" PRIx64 ": %s %" PRIu64 " exceeds the %" PRIu64
				" bytes left in PT_NOTE", offset, what, size, left);
}

/* Decodes the note at `pos`, before `end`; *next is where the next one starts. */
static struct pgm_error *decode_note(const struct core_target *core, uint64_t pos, uint64_t end,
				     uint64_t align, struct note *n, uint64_t *next)
{
	uint64_t left = end - pos;
	Elf64_Nhdr nh;
	if (left < sizeof(nh))
		return pgm_error_create(PGM_ERR_FORMAT,
					"note at offset 0x%" PRIx64 ": header cut short, %" PRIu64
					" bytes left in PT_NOTE", pos, left);
	memcpy(&nh, core->map + pos, sizeof(nh));
	if (nh.n_namesz > left - sizeof(nh))
		return note_error(pos, "name size", nh.n_namesz, left - sizeof(nh));
	uint64_t desc_off = align_up(sizeof(nh) + nh.n_namesz, align);
	if (desc_off > left)
		desc_off = left;  /* padding after a name that ends the segment */
	if (nh.n_descsz > left - desc_off)
		return note_error(pos, "data size", nh.n_descsz, left - desc_off);
	const char *name = (const char *)core->map + pos + sizeof(nh);
	if (nh.n_namesz && name[nh.n_namesz - 1] != '\0')
		return pgm_error_create(PGM_ERR_FORMAT,
					"note at offset 0x%" PRIx64 ": name is not NUL-terminated", pos);
	*n = (struct note){
		.type = nh.n_type,
		.name = nh.n_namesz ? name : "",
		.desc = core->map + pos + desc_off,
		.descsz = nh.n_descsz,
		.offset = pos,
	};
	uint64_t after = align_up(desc_off + nh.n_descsz, align);
	*next = pos + (after < left ? after : left);
	return NULL;
}

static struct pgm_error *expect_size(const struct note *n, const char *what, size_t want)
{
	if (n->descsz == want)
		return NULL;
	return pgm_error_create(PGM_ERR_FORMAT, "%s at offset 0x%" PRIx64 " has %zu bytes, expected %zu",
				what, n->offset, n->descsz, want);
}

static struct pgm_error *add_thread(struct core_target *core, const struct pgm_thread *th)
{
	struct pgm_target *t = &core->base;
	if (t->n_threads == core->threads_capacity) {
		size_t capacity = core->threads_capacity ? 2 * core->threads_capacity : 8;
		struct pgm_thread *threads = realloc(t->threads, capacity * sizeof(*threads));
		if (!threads)
			return &pgm_enomem;
		t->threads = threads;
		core->threads_capacity = capacity;
	}
	t->threads[t->n_threads++] = *th;
	return NULL;
}

static struct pgm_error *parse_prstatus(struct core_target *core, const struct note *n)
{
	struct elf_prstatus st;
	struct pgm_error *err = expect_size(n, "NT_PRSTATUS", sizeof(st));
	if (err)
		return err;
	memcpy(&st, n->desc, sizeof(st));
	struct pgm_thread th = { .tid = st.pr_pid, .cursig = st.pr_cursig };
	memcpy(&th.regs, &st.pr_reg, sizeof(th.regs));
	if (st.pr_info.si_signo && !core->prstatus_signo) {
		core->prstatus_signo = st.pr_info.si_signo;
		core->prstatus_code = st.pr_info.si_code;
		core->prstatus_errno = st.pr_info.si_errno;
	}
	return add_thread(core, &th);
}

static char *copy_field(const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return strndup(s, len);
}

/*
 * pr_psargs is the start of the process's argument area, NULs turned into
 * spaces, at most ELF_PRARGSZ (80) bytes (the kernel keeps 79 and a NUL;
 * gdb may fill all 80).  PostgreSQL rewrites that area with its process
 * title, so this is "postgres: user db [local] SELECT", cut at 79 bytes.
 */
static struct pgm_error *parse_prpsinfo(struct core_target *core, const struct note *n)
{
	struct elf_prpsinfo ps;
	struct pgm_error *err = expect_size(n, "NT_PRPSINFO", sizeof(ps));
	if (err || core->have_prpsinfo)
		return err;
	memcpy(&ps, n->desc, sizeof(ps));
	core->have_prpsinfo = true;
	core->base.pid = ps.pr_pid;
	if (!(core->base.fname = copy_field(ps.pr_fname, sizeof(ps.pr_fname))) ||
	    !(core->base.cmdline = copy_field(ps.pr_psargs, sizeof(ps.pr_psargs))))
		return &pgm_enomem;
	return NULL;
}

static bool is_fault_signal(int signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE;
}

static struct pgm_error *parse_siginfo(struct core_target *core, const struct note *n)
{
	siginfo_t si;
	struct pgm_error *err = expect_size(n, "NT_SIGINFO", sizeof(si));
	if (err || core->have_siginfo_note)
		return err;
	memcpy(&si, n->desc, sizeof(si));
	core->have_siginfo_note = true;
	struct pgm_siginfo *s = &core->base.siginfo;
	*s = (struct pgm_siginfo){ .signo = si.si_signo, .code = si.si_code, .errnum = si.si_errno };
	if (si.si_code <= 0) {
		s->sender_pid = si.si_pid;
		s->sender_uid = si.si_uid;
	} else if (is_fault_signal(si.si_signo)) {
		s->addr = (uint64_t)(uintptr_t)si.si_addr;
	}
	return NULL;
}

static struct pgm_error *parse_auxv(struct core_target *core, const struct note *n)
{
	if (n->descsz % 16)
		return pgm_error_create(PGM_ERR_FORMAT,
					"NT_AUXV at offset 0x%" PRIx64 " has %zu bytes, not a multiple of 16",
					n->offset, n->descsz);
	if (core->have_auxv || n->descsz == 0)
		return NULL;
	if (!(core->base.auxv = malloc(n->descsz)))
		return &pgm_enomem;
	memcpy(core->base.auxv, n->desc, n->descsz);
	core->base.auxv_len = n->descsz;
	core->have_auxv = true;
	return NULL;
}

/* NT_FILE layout: count, page size, count x {start, end, pgoff}, count names. */
static struct pgm_error *file_header(const struct note *n, uint64_t *count, uint64_t *page_size)
{
	if (n->descsz < 16)
		return pgm_error_create(PGM_ERR_FORMAT,
					"NT_FILE at offset 0x%" PRIx64 " has %zu bytes, too short for its header",
					n->offset, n->descsz);
	memcpy(count, n->desc, 8);
	memcpy(page_size, n->desc + 8, 8);
	if (*count > (n->descsz - 16) / 24)
		return pgm_error_create(PGM_ERR_FORMAT, "NT_FILE claims %" PRIu64 " entries in a %zu-byte note",
					*count, n->descsz);
	if (*count > CORE_MAX_COUNT)
		return pgm_error_create(PGM_ERR_FORMAT, "NT_FILE claims %" PRIu64 " entries (limit %u)",
					*count, CORE_MAX_COUNT);
	if (*page_size == 0 || (*page_size & (*page_size - 1)))
		return pgm_error_create(PGM_ERR_FORMAT, "NT_FILE page size %" PRIu64 " is not a power of two",
					*page_size);
	return NULL;
}

static struct pgm_error *file_entry(const uint8_t *raw, uint64_t page_size, uint64_t i,
				    struct core_file *f)
{
	uint64_t pgoff;
	memcpy(&f->start, raw, 8);
	memcpy(&f->end, raw + 8, 8);
	memcpy(&pgoff, raw + 16, 8);
	if (f->start >= f->end)
		return pgm_error_create(PGM_ERR_FORMAT,
					"NT_FILE entry %" PRIu64 ": start 0x%" PRIx64 " is not below end 0x%" PRIx64,
					i, f->start, f->end);
	if (pgoff > UINT64_MAX / page_size ||
	    pgoff * page_size + (f->end - f->start) < pgoff * page_size)
		return pgm_error_create(PGM_ERR_FORMAT,
					"NT_FILE entry %" PRIu64 ": file offset of page 0x%" PRIx64 " overflows",
					i, pgoff);
	f->offset = pgoff * page_size;
	return NULL;
}

/* Copies the string table and points each entry at its name. */
static struct pgm_error *file_names(struct core_target *core, const uint8_t *raw, size_t len,
				    uint64_t count)
{
	if (!(core->names = malloc(len + 1)))
		return &pgm_enomem;
	memcpy(core->names, raw, len);
	core->names[len] = '\0';
	size_t pos = 0;
	for (uint64_t i = 0; i < count; i++) {
		size_t n = strnlen(core->names + pos, len - pos);
		if (n == len - pos)
			return pgm_error_create(PGM_ERR_FORMAT,
						"NT_FILE name %" PRIu64 " of %" PRIu64 " is not NUL-terminated",
						i + 1, count);
		core->files[i].name = core->names + pos;
		pos += n + 1;
	}
	return NULL;
}

static struct pgm_error *parse_file(struct core_target *core, const struct note *n)
{
	uint64_t count = 0, page_size = 1;
	struct pgm_error *err = file_header(n, &count, &page_size);
	if (err || core->have_nt_file)
		return err;
	core->have_nt_file = true;
	if (count && !(core->files = calloc(count, sizeof(*core->files))))
		return &pgm_enomem;
	core->n_files = count;
	for (uint64_t i = 0; i < count; i++)
		if ((err = file_entry(n->desc + 16 + 24 * i, page_size, i, &core->files[i])))
			return err;
	size_t names = 16 + 24 * count;
	return file_names(core, n->desc + names, n->descsz - names, count);
}

static struct pgm_error *parse_note(struct core_target *core, const struct note *n)
{
	if (strcmp(n->name, "CORE") != 0)
		return NULL;
	switch (n->type) {
	case NT_PRSTATUS: return parse_prstatus(core, n);
	case NT_PRPSINFO: return parse_prpsinfo(core, n);
	case NT_SIGINFO: return parse_siginfo(core, n);
	case NT_AUXV: return parse_auxv(core, n);
	case NT_FILE: return parse_file(core, n);
	default: return NULL;
	}
}

struct pgm_error *core_parse_notes(struct core_target *core, uint64_t offset, uint64_t size,
				   uint64_t align)
{
	/* Core notes are 4-byte aligned; 8 appears only in executables' notes. */
	align = align == 8 ? 8 : 4;
	uint64_t pos = offset, end = offset + size;
	while (pos < end) {
		struct note n = { .name = "" };
		uint64_t next = end;
		struct pgm_error *err = decode_note(core, pos, end, align, &n, &next);
		if (err || (err = parse_note(core, &n)))
			return err;
		pos = next;
	}
	return NULL;
}

struct pgm_error *core_finish_notes(struct core_target *core)
{
	struct pgm_target *t = &core->base;
	if (t->n_threads == 0)
		return pgm_error_create(PGM_ERR_FORMAT, "no NT_PRSTATUS note: the core records no threads");
	if (!core->have_prpsinfo)
		t->pid = t->threads[0].tid;
	if (!core->prstatus_signo) {
		memset(&t->siginfo, 0, sizeof(t->siginfo));
		return NULL;
	}
	t->has_siginfo = true;
	if (!core->have_siginfo_note || t->siginfo.signo != core->prstatus_signo)
		t->siginfo = (struct pgm_siginfo){
			.signo = core->prstatus_signo,
			.code = core->prstatus_code,
			.errnum = core->prstatus_errno,
		};
	return NULL;
}
