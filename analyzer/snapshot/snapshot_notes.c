/*
 * The PT_NOTE of a snapshot, laid out as the kernel's fill_note_info()
 * does: the first thread's NT_PRSTATUS, then the process notes (NT_PRPSINFO,
 * NT_SIGINFO, NT_AUXV, NT_FILE), then its NT_FPREGSET; every other thread
 * NT_PRSTATUS + NT_FPREGSET.  gdb attaches each NT_FPREGSET to the
 * NT_PRSTATUS before it.
 */
#include <elf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>

#include "pgmortem/live.h"
#include "snapshot/snapshot_internal.h"

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static struct pgm_error *note_add(struct snap_notes *nb, uint32_t type, const void *desc, size_t len)
{
	static const char name[] = "CORE";
	size_t need = sizeof(Elf64_Nhdr) + align4(sizeof(name)) + align4(len);
	if (nb->len + need > nb->cap) {
		size_t cap = nb->cap ? nb->cap : 4096;
		while (cap < nb->len + need)
			cap *= 2;
		uint8_t *grown = realloc(nb->buf, cap);
		if (!grown)
			return &pgm_enomem;
		nb->buf = grown;
		nb->cap = cap;
	}
	uint8_t *p = nb->buf + nb->len;
	memset(p, 0, need);
	Elf64_Nhdr nh = { .n_namesz = sizeof(name), .n_descsz = (Elf64_Word)len, .n_type = type };
	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), name, sizeof(name));
	if (len)
		memcpy(p + sizeof(nh) + align4(sizeof(name)), desc, len);
	nb->len += need;
	return NULL;
}

static struct pgm_error *add_prstatus(struct snap_notes *nb, const struct pgm_target *t, size_t i)
{
	const struct pgm_live_facts *f = pgm_target_live_facts(t);
	struct elf_prstatus st;
	memset(&st, 0, sizeof(st));
	st.pr_pid = t->threads[i].tid;
	st.pr_ppid = f ? f->ppid : 0;
	_Static_assert(sizeof(st.pr_reg) == sizeof(struct pgm_regs), "pr_reg is user_regs_struct");
	memcpy(&st.pr_reg, &t->threads[i].regs, sizeof(st.pr_reg));
	st.pr_fpvalid = pgm_target_live_fpregs(t, i) != NULL;
	return note_add(nb, NT_PRSTATUS, &st, sizeof(st));
}

static struct pgm_error *add_fpregs(struct snap_notes *nb, const struct pgm_target *t, size_t i)
{
	const void *fp = pgm_target_live_fpregs(t, i);
	return fp ? note_add(nb, NT_FPREGSET, fp, 512) : NULL;
}

static struct pgm_error *add_prpsinfo(struct snap_notes *nb, const struct pgm_target *t)
{
	const struct pgm_live_facts *f = pgm_target_live_facts(t);
	static const char states[] = "RSDTZW";
	struct elf_prpsinfo ps;
	memset(&ps, 0, sizeof(ps));
	char s = f && f->state ? f->state : 'R';
	const char *at = strchr(states, s);
	ps.pr_state = at ? (char)(at - states) : 0;
	ps.pr_sname = s;
	ps.pr_zomb = s == 'Z';
	ps.pr_uid = f ? f->uid : 0;
	ps.pr_pid = t->pid;
	ps.pr_ppid = f ? f->ppid : 0;
	if (t->fname)
		strncpy(ps.pr_fname, t->fname, sizeof(ps.pr_fname) - 1);
	if (t->cmdline)
		strncpy(ps.pr_psargs, t->cmdline, sizeof(ps.pr_psargs) - 1);
	return note_add(nb, NT_PRPSINFO, &ps, sizeof(ps));
}

/* signo 0: on demand, no signal (gdb's gcore writes the same). */
static struct pgm_error *add_siginfo(struct snap_notes *nb)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return note_add(nb, NT_SIGINFO, &si, sizeof(si));
}

static bool is_file(const char *path)
{
	return path && path[0] == '/';
}

/* NT_FILE: count, page size, {start, end, offset in pages}..., names. */
static struct pgm_error *add_nt_file(struct snap_notes *nb, const struct pgm_target *t)
{
	const uint64_t page = 4096;
	uint64_t count = 0;
	size_t names = 0;
	for (size_t i = 0; i < t->n_mappings; i++)
		if (is_file(t->mappings[i].path)) {
			count++;
			names += strlen(t->mappings[i].path) + 1;
		}
	size_t len = 16 + count * 24 + names;
	uint8_t *d = calloc(1, len);
	if (!d)
		return &pgm_enomem;
	memcpy(d, &count, 8);
	memcpy(d + 8, &page, 8);
	uint8_t *e = d + 16, *s = d + 16 + count * 24;
	for (size_t i = 0; i < t->n_mappings; i++) {
		const struct pgm_mapping *m = &t->mappings[i];
		if (!is_file(m->path))
			continue;
		uint64_t ent[3] = { m->start, m->end, m->file_offset / page };
		memcpy(e, ent, sizeof(ent));
		e += sizeof(ent);
		size_t n = strlen(m->path) + 1;
		memcpy(s, m->path, n);
		s += n;
	}
	struct pgm_error *err = note_add(nb, NT_FILE, d, len);
	free(d);
	return err;
}

struct pgm_error *snap_build_notes(const struct pgm_target *t, struct snap_notes *nb)
{
	struct pgm_error *err = NULL;
	if (t->n_threads)
		err = add_prstatus(nb, t, 0);
	if (!err)
		err = add_prpsinfo(nb, t);
	if (!err)
		err = add_siginfo(nb);
	if (!err && t->auxv_len)
		err = note_add(nb, NT_AUXV, t->auxv, t->auxv_len);
	if (!err)
		err = add_nt_file(nb, t);
	if (!err && t->n_threads)
		err = add_fpregs(nb, t, 0);
	for (size_t i = 1; !err && i < t->n_threads; i++) {
		err = add_prstatus(nb, t, i);
		if (!err)
			err = add_fpregs(nb, t, i);
	}
	return err;
}
