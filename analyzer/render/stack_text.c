/*
 * Text rendering of `pgmortem stack`: where the capture came from, then
 * each thread's frames numbered and laid out as gdb's `bt` does, with the
 * arguments left out.
 */
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "pgmortem/bundle_file.h"
#include "pgmortem/render.h"
#include "util/text.h"

const char *pgm_signal_name(int signo, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(signo);
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", signo);
	return buf;
}

bool pgm_siginfo_has_fault_address(const struct pgm_siginfo *si)
{
	bool cpu_signal = si->signo == SIGSEGV || si->signo == SIGBUS || si->signo == SIGILL ||
			  si->signo == SIGFPE || si->signo == SIGTRAP;
	return cpu_signal && si->code > 0;
}

bool pgm_siginfo_is_sent(const struct pgm_siginfo *si)
{
	return si->code <= 0;
}

static const char *basename_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path;
}

static void render_cause(FILE *out, const struct pgm_target *t)
{
	if (!t->has_siginfo) {
		fputs("captured on demand (gcore or a live process), not by a fatal signal\n", out);
		return;
	}
	char name[32];
	const struct pgm_siginfo *si = &t->siginfo;
	fprintf(out, "killed by %s", pgm_signal_name(si->signo, name, sizeof(name)));
	if (pgm_siginfo_has_fault_address(si))
		fprintf(out, ", fault address 0x%" PRIx64, si->addr);
	else if (pgm_siginfo_is_sent(si) && si->sender_pid)
		fprintf(out, ", sent by pid %" PRId32 " (uid %" PRId32 ")", si->sender_pid,
			si->sender_uid);
	fputc('\n', out);
}

/* Where the executable's DWARF came from (struct pgm_module.debuginfo_source). */
static void render_debuginfo(FILE *out, const struct pgm_module *m)
{
	const char *file = m->debug_path ? m->debug_path : "";
	switch (m->debuginfo_source) {
	case PGM_DEBUGINFO_NONE:
		fputs("debuginfo: none\n", out);
		break;
	case PGM_DEBUGINFO_EMBEDDED:
		fputs("debuginfo: in the executable\n", out);
		break;
	case PGM_DEBUGINFO_BESIDE:
		fprintf(out, "debuginfo: beside the executable, %s\n", file);
		break;
	case PGM_DEBUGINFO_DEBUG_DIR:
		fprintf(out, "debuginfo: from debug directory %s, %s\n",
			m->debuginfo_from ? m->debuginfo_from : "?", file);
		break;
	case PGM_DEBUGINFO_DEBUGINFOD:
		if (m->debuginfo_from)
			fprintf(out, "debuginfo: from debuginfod %s, %s\n", m->debuginfo_from, file);
		else
			fprintf(out, "debuginfo: from the debuginfod cache, %s\n", file);
		break;
	}
}

static void render_executable(FILE *out, struct pgm_program *prog)
{
	const struct pgm_module *m = pgm_program_main_module(prog);
	if (!m) {
		fputs("executable: not identified\n", out);
		return;
	}
	fprintf(out, "executable %s", m->path ? m->path : m->name);
	if (m->build_id_len) {
		char hex[2 * sizeof(m->build_id) + 1];
		pgm_hex_format(m->build_id, m->build_id_len, hex);
		fprintf(out, " (build-id %s)", hex);
	}
	fputc('\n', out);
	render_debuginfo(out, m);
}

static void render_header(FILE *out, const struct pgm_stack_report *r)
{
	const struct pgm_target *t = r->target;
	fprintf(out, "%s", t->path ? t->path : "target");
	if (t->pid)
		fprintf(out, ": pid %" PRId32, t->pid);
	if (t->cmdline)
		fprintf(out, ", %s", t->cmdline);
	fputc('\n', out);
	if (t->origin)
		fprintf(out, "bundle %s%s\n", t->origin->bundle_path, t->origin->redacted ? " (redacted)" : "");
	render_cause(out, t);
	if (r->program)
		render_executable(out, r->program);
	for (size_t i = 0; i < t->n_warnings; i++)
		fprintf(out, "warning: %s\n", t->warnings[i]);
	size_t n = 0;
	const char *const *warnings = r->program ? pgm_program_warnings(r->program, &n) : NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(out, "warning: %s\n", warnings[i]);
}

static void render_frame(FILE *out, const struct pgm_frame *f, bool first_of_physical)
{
	fprintf(out, "#%-2u ", f->index);
	if (f->signal_frame) {
		fputs("<signal handler called>\n", out);
		return;
	}
	if (first_of_physical)
		fprintf(out, "0x%016" PRIx64 " in ", f->pc);
	if (f->function)
		fputs(f->function, out);
	else if (f->module)
		fprintf(out, "%s+0x%" PRIx64, basename_of(f->module->name), f->module_offset);
	else
		fputs("??", out);
	if (f->file)
		fprintf(out, " (%s:%d)", f->file, f->line);
	else if (f->function && f->module)
		fprintf(out, " from %s", basename_of(f->module->name));
	fputc('\n', out);
}

/*
 * gdb prints the address only on the first frame of a physical frame: the
 * innermost inline frame carries the pc, the functions it was inlined into
 * share it.
 */
void pgm_render_stack_text(FILE *out, const struct pgm_stack *stack)
{
	for (size_t i = 0; i < stack->n_frames; i++) {
		bool first = i == 0 || stack->frames[i - 1].physical != stack->frames[i].physical;
		render_frame(out, &stack->frames[i], first);
	}
	if (stack->stop_reason)
		fprintf(out, "unwinding stopped: %s\n", stack->stop_reason->message);
}

void pgm_render_stack_report_text(FILE *out, const struct pgm_stack_report *r)
{
	render_header(out, r);
	for (size_t i = 0; i < r->n_stacks; i++) {
		fprintf(out, "\nthread %" PRId32 ":\n", r->target->threads[i].tid);
		if (r->stacks[i])
			pgm_render_stack_text(out, r->stacks[i]);
		else if (r->errors && r->errors[i])
			fprintf(out, "not unwound: %s\n", r->errors[i]->message);
	}
}
