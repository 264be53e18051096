/* Live-process facts and snapshot summaries, as text and JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "pgmortem/instance.h"
#include "render/backends_render.h"
#include "render/live_render.h"

#define BOLD "\033[1m"
#define RESET "\033[0m"

static void row(FILE *out, const char *label, const char *value)
{
	fprintf(out, "  %-20s %s\n", label, value);
}

static void print_kernel_stack(FILE *out, const struct pgm_live_facts *f)
{
	if (!f->kernel_stack) {
		fprintf(out, "  %-20s %s\n", "kernel stack", f->kernel_stack_why ? f->kernel_stack_why : "unknown");
		return;
	}
	const char *line = f->kernel_stack;
	bool first = true;
	while (*line) {
		size_t len = strcspn(line, "\n");
		fprintf(out, "  %-20s %.*s\n", first ? "kernel stack" : "", (int)len, line);
		first = false;
		line += len + (line[len] == '\n');
	}
}

/* The system call and its file: where an IO wait is, as the kernel sees it. */
static void print_syscall(FILE *out, const struct pgm_live_facts *f)
{
	if (f->syscall_nr < 0)
		return;
	if (f->syscall_name)
		fprintf(out, "  %-20s %s (%" PRId64 ")", "system call", f->syscall_name, f->syscall_nr);
	else
		fprintf(out, "  %-20s %" PRId64, "system call", f->syscall_nr);
	if (f->syscall_fd >= 0)
		fprintf(out, " on fd %d: %s", (int)f->syscall_fd, f->syscall_file ? f->syscall_file : "(not readable)");
	fputc('\n', out);
}

static void print_times(FILE *out, const struct pgm_live_facts *f)
{
	if (f->off_cpu_s >= 0)
		fprintf(out, "  %-20s %.1f s off CPU (since it last ran, /proc/PID/sched)\n", "time in state",
			f->off_cpu_s);
	else
		row(out, "time in state", "unknown (no /proc/PID/sched: the kernel records no state-entry time)");
	fprintf(out, "  %-20s %.1f s old, %.2f s CPU, %" PRIu64 " voluntary / %" PRIu64
		" involuntary context switches\n", "process", f->age_s, f->cpu_s, f->voluntary_switches,
		f->involuntary_switches);
}

static void print_freeze(FILE *out, const struct pgm_live_facts *f)
{
	if (f->stopped) {
		fprintf(out, "  %-20s %.3f ms (%zu thread%s, PTRACE_INTERRUPT to PTRACE_DETACH: %.3f ms "
			"until stopped, %.3f ms copying)\n", "stopped for", f->freeze_ms, f->n_threads_stopped,
			f->n_threads_stopped == 1 ? "" : "s", f->stop_wait_ms, f->copy_ms);
		if (f->frozen)
			row(out, "read while stopped", f->frozen);
	} else {
		row(out, "not stopped", f->not_stopped_why ? f->not_stopped_why : "unknown reason");
		if (f->regs_given)
			row(out, "registers", "handed in by the tracer, which holds the process stopped");
	}
	if (f->after_resume)
		row(out, f->stopped ? "read after resume" : "read live", f->after_resume);
}

static void print_live(FILE *out, const struct pgm_live_facts *f, const struct pgm_text_style *st)
{
	fprintf(out, "\n%sLive process%s\n", st->color ? BOLD : "", st->color ? RESET : "");
	row(out, "state", f->state_name ? f->state_name : "unknown");
	if (f->tracer_pid)
		fprintf(out, "  %-20s PID %d (%s)%s%.200s\n", "traced by", (int)f->tracer_pid,
			f->tracer_comm ? f->tracer_comm : "?", f->tracer_cmdline ? ": " : "",
			f->tracer_cmdline ? f->tracer_cmdline : "");
	row(out, "wchan", f->wchan ? f->wchan : "none (running, or not sleeping in the kernel)");
	print_syscall(out, f);
	print_kernel_stack(out, f);
	print_times(out, f);
	print_freeze(out, f);
}

void pgm_render_live_report_text(FILE *out, const struct pgm_report *r,
				 const struct pgm_live_facts *f, const struct pgm_text_style *st)
{
	if (f && !f->stopped && f->not_stopped_why)
		fprintf(out, "! %s\n", f->not_stopped_why);
	pgm_render_report_text(out, r, st);
	if (f)
		print_live(out, f, st);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *tracer_json(const struct pgm_live_facts *f)
{
	if (!f->tracer_pid)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(f->tracer_pid));
	json_object_object_add(o, "comm", str_or_null(f->tracer_comm));
	json_object_object_add(o, "cmdline", str_or_null(f->tracer_cmdline));
	return o;
}

json_object *pgm_live_facts_json(const struct pgm_live_facts *f)
{
	json_object *o = json_object_new_object();
	char state[2] = { f->state, 0 };
	json_object_object_add(o, "state", f->state ? json_object_new_string(state) : NULL);
	json_object_object_add(o, "state_name", str_or_null(f->state_name));
	json_object_object_add(o, "wchan", str_or_null(f->wchan));
	json_object_object_add(o, "kernel_stack", str_or_null(f->kernel_stack));
	json_object_object_add(o, "kernel_stack_unavailable", str_or_null(f->kernel_stack_why));
	json_object_object_add(o, "syscall", f->syscall_nr >= 0 ? json_object_new_int64(f->syscall_nr) : NULL);
	json_object_object_add(o, "syscall_name", str_or_null(f->syscall_name));
	json_object_object_add(o, "syscall_fd", f->syscall_fd >= 0 ? json_object_new_int(f->syscall_fd) : NULL);
	json_object_object_add(o, "syscall_file", str_or_null(f->syscall_file));
	json_object_object_add(o, "off_cpu_s", f->off_cpu_s >= 0 ? json_object_new_double(f->off_cpu_s) : NULL);
	json_object_object_add(o, "age_s", json_object_new_double(f->age_s));
	json_object_object_add(o, "cpu_s", json_object_new_double(f->cpu_s));
	json_object_object_add(o, "voluntary_switches", json_object_new_uint64(f->voluntary_switches));
	json_object_object_add(o, "involuntary_switches", json_object_new_uint64(f->involuntary_switches));
	json_object_object_add(o, "tracer", tracer_json(f));
	json_object_object_add(o, "stopped", json_object_new_boolean(f->stopped));
	json_object_object_add(o, "threads_stopped", json_object_new_int64((int64_t)f->n_threads_stopped));
	json_object_object_add(o, "freeze_ms", f->stopped ? json_object_new_double(f->freeze_ms) : NULL);
	json_object_object_add(o, "stop_wait_ms", f->stopped ? json_object_new_double(f->stop_wait_ms) : NULL);
	json_object_object_add(o, "copy_ms", f->stopped ? json_object_new_double(f->copy_ms) : NULL);
	json_object_object_add(o, "frozen_bytes", json_object_new_uint64(f->frozen_bytes));
	json_object_object_add(o, "frozen", str_or_null(f->frozen));
	json_object_object_add(o, "read_after_resume", str_or_null(f->after_resume));
	json_object_object_add(o, "not_stopped_why", str_or_null(f->not_stopped_why));
	json_object_object_add(o, "registers_given", json_object_new_boolean(f->regs_given));
	return o;
}

static void print_json(FILE *out, json_object *o)
{
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), out);
	fputc('\n', out);
}

void pgm_render_live_report_json(FILE *out, const struct pgm_report *r, const struct pgm_live_facts *f)
{
	json_object *o = pgm_render_report_json_object(r);
	json_object *source = NULL;
	if (f && json_object_object_get_ex(o, "source", &source)) {
		json_object_object_add(source, "freeze_ms", f->stopped ? json_object_new_double(f->freeze_ms) : NULL);
		json_object_object_add(source, "live", pgm_live_facts_json(f));
	}
	print_json(out, o);
	json_object_put(o);
}

static void print_attached(FILE *out, const struct pgm_live_member *m, size_t n,
			   const struct pgm_text_style *st)
{
	fprintf(out, "\n%sAttached%s (one process after another: consecutive instants, not one)\n",
		st->color ? BOLD : "", st->color ? RESET : "");
	for (size_t i = 0; i < n; i++) {
		const struct pgm_live_facts *f = m[i].facts;
		if (f && f->stopped)
			fprintf(out, "  %-8d stopped for %.3f ms\n", (int)m[i].pid, f->freeze_ms);
		else
			fprintf(out, "  %-8d not stopped: %s\n", (int)m[i].pid,
				f && f->not_stopped_why ? f->not_stopped_why : "not attached");
	}
}

void pgm_render_live_instance_text(FILE *out, const struct pgm_instance *inst,
				   const struct pgm_live_member *members, size_t n,
				   const struct pgm_text_style *st)
{
	struct pgm_instance_style ist = { .color = st->color, .brief = true };
	if (inst->n_reports)
		pgm_render_live_report_text(out, inst->reports[0], n ? members[0].facts : NULL, st);
	fputc('\n', out);
	pgm_render_instance_text(out, inst, &ist);
	print_attached(out, members, n, st);
}

void pgm_render_live_instance_json(FILE *out, const struct pgm_instance *inst,
				   const struct pgm_live_member *members, size_t n)
{
	json_object *o = inst->n_reports ? pgm_render_report_json_object(inst->reports[0])
					 : json_object_new_object();
	json_object *source = NULL;
	const struct pgm_live_facts *f = n ? members[0].facts : NULL;
	if (f && json_object_object_get_ex(o, "source", &source)) {
		json_object_object_add(source, "freeze_ms", f->stopped ? json_object_new_double(f->freeze_ms) : NULL);
		json_object_object_add(source, "live", pgm_live_facts_json(f));
	}
	json_object_object_add(o, "instance", pgm_render_instance_json_object(inst, false));
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct pgm_live_facts *mf = members[i].facts;
		json_object *e = json_object_new_object();
		json_object_object_add(e, "pid", json_object_new_int(members[i].pid));
		json_object_object_add(e, "stopped", json_object_new_boolean(mf && mf->stopped));
		json_object_object_add(e, "freeze_ms", mf && mf->stopped ? json_object_new_double(mf->freeze_ms) : NULL);
		json_object_object_add(e, "not_stopped_why", str_or_null(mf ? mf->not_stopped_why : NULL));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "attached", a);
	print_json(out, o);
	json_object_put(o);
}

static double mib(uint64_t n)
{
	return n / (1024.0 * 1024.0);
}

void pgm_render_snapshot_text(FILE *out, const char *path, const struct pgm_live_facts *f,
			      const struct pgm_snapshot_stats *st, const char *excluded_how)
{
	fprintf(out, "wrote %s: %.1f MiB, %zu PT_LOAD segments, %zu thread%s\n", path, mib(st->file_size),
		st->n_loads, st->n_threads, st->n_threads == 1 ? "" : "s");
	if (f->stopped)
		fprintf(out, "  stopped for %.3f ms: %s (%.1f MiB)\n", f->freeze_ms, f->frozen ? f->frozen : "",
			mib(f->frozen_bytes));
	else
		fprintf(out, "  not stopped: %s\n", f->not_stopped_why ? f->not_stopped_why : "?");
	fprintf(out, "  read after resume: %.1f MiB of shared memory (%.1f MiB in DSM segments "
		"/dev/shm/PostgreSQL.*), in %.1f ms\n", mib(st->shared_bytes), mib(st->dsm_bytes), st->write_ms);
	if (excluded_how)
		fprintf(out, "  left out (mapped, not captured): %.1f MiB of shared buffers, %s\n",
			mib(st->excluded_bytes), excluded_how);
}

void pgm_render_snapshot_json(FILE *out, const char *path, const struct pgm_live_facts *f,
			      const struct pgm_snapshot_stats *st, const char *excluded_how)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "schema", json_object_new_int(1));
	json_object_object_add(o, "file", json_object_new_string(path));
	json_object_object_add(o, "size", json_object_new_uint64(st->file_size));
	json_object_object_add(o, "loads", json_object_new_int64((int64_t)st->n_loads));
	json_object_object_add(o, "threads", json_object_new_int64((int64_t)st->n_threads));
	json_object_object_add(o, "freeze_ms", f->stopped ? json_object_new_double(f->freeze_ms) : NULL);
	json_object_object_add(o, "private_bytes", json_object_new_uint64(st->private_bytes));
	json_object_object_add(o, "shared_bytes", json_object_new_uint64(st->shared_bytes));
	json_object_object_add(o, "dsm_bytes", json_object_new_uint64(st->dsm_bytes));
	json_object_object_add(o, "excluded_bytes", json_object_new_uint64(st->excluded_bytes));
	json_object_object_add(o, "excluded", str_or_null(excluded_how));
	json_object_object_add(o, "write_ms", json_object_new_double(st->write_ms));
	json_object_object_add(o, "live", pgm_live_facts_json(f));
	print_json(out, o);
	json_object_put(o);
}
