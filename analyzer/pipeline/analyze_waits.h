/*
 * The pipeline's decoding of the IPC waits (pgmortem/report_waits.h), run
 * by pgm_analyze() after the wait kind is known.  Each records what it
 * could not read in the report; only out of memory is returned.
 */
#ifndef PGMORTEM_PIPELINE_ANALYZE_WAITS_H
#define PGMORTEM_PIPELINE_ANALYZE_WAITS_H

#include "pg/pg.h"
#include "pgmortem/program.h"
#include "pgmortem/report.h"

/* The WaitEventSet the stack sleeps in (WaitEventSetWait's set and timeout) into r->waitset. */
struct pgm_error *pgm_decode_waitset(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r);
/* The facts of a sync rep, message queue or ProcSignal barrier wait (nothing for other kinds). */
struct pgm_error *pgm_decode_ipc_wait(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r);
/*
 * A live process only (nothing for cores): what its fds link to, the task
 * state of a queue's other end and of a barrier's laggards, and, when it
 * does not serve an interrupt, two samples 200 ms apart (r->task).
 */
struct pgm_error *pgm_decode_live_waits(struct pgm_program *prog, struct pgm_report *r);

#endif
