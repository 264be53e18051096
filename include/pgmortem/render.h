/*
 * pgmortem — renderers for stacks and for where a capture came from.
 *
 * Renderers are the only code that prints.  They read the target, the
 * program and the stacks and never change them.  The JSON pieces are
 * reusable by other reports (a wait report embeds the same "source" and
 * "threads" objects); their field names are part of the stable schema
 * ("schema": 1): fields may be added, never renamed.  Addresses are JSON
 * strings "0x…" because JSON numbers lose precision past 2^53.
 */
#ifndef PGMORTEM_RENDER_H
#define PGMORTEM_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pgmortem/program.h"
#include "pgmortem/stack.h"
#include "pgmortem/target.h"

#define PGM_STACK_SCHEMA 1

struct json_object;

/* Everything `pgmortem stack` shows; nothing here is owned. */
struct pgm_stack_report {
	struct pgm_target *target;
	struct pgm_program *program;
	struct pgm_stack **stacks;   /* one per thread; NULL where unwinding failed */
	struct pgm_error **errors;   /* parallel to stacks: why that thread has no stack */
	size_t n_stacks;
};

/* Header, warnings, then every thread's frames. */
void pgm_render_stack_report_text(FILE *out, const struct pgm_stack_report *r);
/* One JSON document; false when out of memory (nothing is printed then). */
bool pgm_render_stack_report_json(FILE *out, const struct pgm_stack_report *r);

/* "SIGABRT" for 6, "signal 77" when unnamed; writes into buf. */
const char *pgm_signal_name(int signo, char *buf, size_t len);
/* True if the signal carries a fault address (SIGSEGV, SIGBUS… raised by the CPU). */
bool pgm_siginfo_has_fault_address(const struct pgm_siginfo *si);
/* True if another process sent the signal (kill, sigqueue, tgkill). */
bool pgm_siginfo_is_sent(const struct pgm_siginfo *si);

/* "#N  0xPC in function (file:line)" lines, then why unwinding stopped. */
void pgm_render_stack_text(FILE *out, const struct pgm_stack *stack);

/*
 * JSON pieces; the caller owns the result (json_object_put).  NULL when out
 * of memory.
 *   source: {kind, path, pid, cmdline, signal, signal_number, fault_address,
 *            sender_pid, on_demand}; on_demand is !t->has_siginfo (gcore, a
 *            live process) and the signal fields are then null
 *   thread: {tid, complete, stop_reason, frames: [{index, pc, function,
 *            inline, tail_call, signal_frame, file, line, module, module_offset}]}
 *   module: {name, path, debug_path, start, end, build_id, has_elf,
 *            has_symtab, has_dwarf, build_id_mismatch, is_main}
 */
struct json_object *pgm_source_json(const struct pgm_target *t);
struct json_object *pgm_stack_json(const struct pgm_stack *stack);
struct json_object *pgm_module_json(const struct pgm_module *m);

#endif
