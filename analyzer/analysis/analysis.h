/*
 * Analysis: pure functions over the model (pgmortem/report.h,
 * pgmortem/instance.h).  They read no target and print nothing; they decide
 * what the decoded facts mean: which wait primitive, whether a cancel or
 * terminate can be served, who waits for whom, and the words of the verdict.
 *
 * The words are derived, never read back: a report's verdict, its wait's
 * object_kind and description and its holders' evidence are all written by
 * pgm_explain_report() from the typed facts, and written again (after
 * clearing) when the instance adds facts (pgm_explain_instance).
 */
#ifndef PGMORTEM_ANALYSIS_H
#define PGMORTEM_ANALYSIS_H

#include <stdbool.h>

#include "pgmortem/instance.h"
#include "pgmortem/report.h"
#include "pgmortem/stack.h"

/*
 * The wait primitive from the stack (where the process sleeps) and the wait
 * event (what it told pg_stat_activity).  The stack wins where they differ:
 * it is what the process is doing, the event what it last reported.
 */
enum pgm_wait_kind pgm_classify_wait(const struct pgm_stack *stack, const struct pgm_wait_event *we,
				     bool crashed);

/*
 * Whether the process died of its signal (death.c): a fault, a signal it
 * raised itself (abort()) or one sent while it was not asleep in a
 * recognised wait.  A kernel core of a process asleep in a wait is a stuck
 * process killed to get a core, and its wait is what matters.  analyze's
 * verdict and batch's signature both decide with this.
 */
bool pgm_died_of_signal(const struct pgm_report *r);
/*
 * Where it died: the innermost PostgreSQL function past error reporting
 * (the abort() of an Assert), else the innermost named frame.
 */
const char *pgm_crash_site(const struct pgm_stack *s);
/*
 * Whether the crash is in a function of postgres without a symbol (a
 * stripped build's static function) that `site` (pgm_crash_site's answer,
 * the same pointer) called: then it did not crash in `site` itself.
 */
bool pgm_crash_site_has_unnamed_callee(const struct pgm_stack *s, const char *site);
/* WaitLatch, ConditionVariableSleep, secure_read, …: PostgreSQL's own wait machinery. */
bool pgm_is_wait_plumbing(const char *function);

/*
 * When memory did not say (no debuginfo): r->backend_type (and a parallel
 * worker's leader) from the command line PostgreSQL set, "postgres:
 * parallel worker for PID 31136"; r->type_from_cmdline tells the source.
 */
struct pgm_error *pgm_identity_from_cmdline(struct pgm_report *r);

/*
 * Sets r->interrupts.killable and .verdict from the counters, held LWLocks
 * and the wait kind, and adds diagnoses for interrupts held off while
 * sleeping (the PostgreSQL bug #15290 pattern when r->cv_sleep_target_set).
 */
struct pgm_error *pgm_assess_killability(struct pgm_report *r);

/*
 * "BufferContent (exclusive), WALInsert (exclusive)": the held LWLocks in
 * words.  The caller frees the result; NULL when out of memory.
 */
char *pgm_held_lwlocks_text(const struct pgm_interrupts *in);

/*
 * The wait in words: w->object_kind, w->description and each holder's
 * evidence, from the typed facts of w (explain.c).  Idempotent.
 */
struct pgm_error *pgm_describe_wait(struct pgm_wait *w);

/* Writes the verdict lines that open the report, in order (verdict.c); clears any before. */
struct pgm_error *pgm_compose_verdict(struct pgm_report *r);

/* Everything above for one report: killability, the wait in words, the verdict. */
struct pgm_error *pgm_explain_report(struct pgm_report *r);

/*
 * Builds inst->graph from the backends, holds and reports and analyzes it
 * (roots, cycles).  Facts only other cores could tell are added to the
 * reports (an LWLock's holder, the participant advancing a parallel scan);
 * pgm_explain_instance() then puts them into words.
 */
struct pgm_error *pgm_instance_build_graph(struct pgm_instance *inst);
/* Every backend's lock wait and every report in words again. */
struct pgm_error *pgm_explain_instance(struct pgm_instance *inst);

/* The graph's roots and cycles from its edges (duplicates merged first). */
struct pgm_error *pgm_graph_analyze(struct pgm_graph *g);

/* ---- the IPC waits (waits.c, graph_waits.c; pgmortem/report_waits.h) ---- */

/*
 * Running (kind NONE) with a cancel or terminate pending: the kind becomes
 * PGM_WAIT_UNSERVED_INTERRUPT and r->wait.unserved names where it runs,
 * from the stack.  Needs the interrupt counters.
 */
struct pgm_error *pgm_classify_unserved(struct pgm_report *r);
/* "pgm_loop_forever of pgm_loop.so": the innermost frame outside postgres and libc; *ret NULL if none. */
struct pgm_error *pgm_running_library_frame(const struct pgm_stack *s, char **ret);
/* Derived facts of the IPC kinds (why a sync rep wait lasts) and findings (a set latch nobody consumes). */
struct pgm_error *pgm_explain_waits(struct pgm_report *r);
/* "waits on a synchronous standby to flush LSN 0/C012760" for the IPC kinds; NULL otherwise or out of memory. */
char *pgm_waits_what(const struct pgm_report *r);
/* The verdict lines after the first for the IPC kinds, and the live task's line. */
struct pgm_error *pgm_waits_lines(struct pgm_report *r);
/* Sets r->interrupts' verdict for the kinds whose answer differs from the generic one; false if it did not. */
bool pgm_waits_killability(struct pgm_report *r, struct pgm_error **err);
/* Edges of the IPC kinds: sync rep waiter -> standbys, queue end -> the other end, barrier -> laggards. */
struct pgm_error *pgm_instance_waits_edges(struct pgm_instance *inst);

#endif
