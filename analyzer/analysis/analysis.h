/*
 * Analysis: pure functions over the model (no target reads, no printing).
 * They decide what the decoded facts mean: which wait primitive, whether a
 * cancel or terminate can be served, and the verdict in words.
 */
#ifndef PGMORTEM_ANALYSIS_H
#define PGMORTEM_ANALYSIS_H

#include <stdbool.h>

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
 * Sets r->interrupts.killable and .verdict from the counters, held LWLocks
 * and the wait kind, and adds diagnoses for interrupts held off while
 * sleeping (the PostgreSQL bug #15290 pattern when `cv_sleep_target_set`).
 */
struct pgm_error *pgm_assess_killability(struct pgm_report *r, bool cv_sleep_target_set);

/*
 * "BufferContent (exclusive), WALInsert (exclusive)": the held LWLocks in
 * words.  The caller frees the result; NULL when out of memory.
 */
char *pgm_held_lwlocks_text(const struct pgm_interrupts *in);

/* Writes the two or three verdict lines that open the report. */
struct pgm_error *pgm_compose_verdict(struct pgm_report *r);

#endif
