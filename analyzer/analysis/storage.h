/*
 * Analysis of buffers, storage and replication (analysis/storage.c,
 * analysis/graph_storage.c): the words of their waits and the wait-for
 * edges between the processes involved.  Pure, like the rest of analysis/.
 */
#ifndef PGMORTEM_ANALYSIS_STORAGE_H
#define PGMORTEM_ANALYSIS_STORAGE_H

#include <stddef.h>

#include "pgmortem/instance.h"
#include "pgmortem/report.h"

/* "buffer 164 (block 0 of relation pin)": a buffer as people read it, into buf. */
void pgm_buffer_words(const struct pgm_buffer *b, char *buf, size_t len);

/* What a buffer, I/O or slot wait waits on, for the verdict's first line; NULL for other kinds or out of memory. */
char *pgm_storage_what(const struct pgm_report *r);

/* object_kind, description and holders' evidence of a buffer, I/O or slot wait (other kinds: nothing). */
struct pgm_error *pgm_describe_storage_wait(struct pgm_wait *w);

/* Verdict lines: who holds it (or the candidates), what this process holds that others wait for, a walsender's positions. */
struct pgm_error *pgm_storage_holders_line(struct pgm_report *r);
struct pgm_error *pgm_storage_held_line(struct pgm_report *r);
struct pgm_error *pgm_storage_walsender_line(struct pgm_report *r);

/*
 * Edges of the wait-for graph: a cleanup lock's waiter to every captured
 * process that pins the buffer, a buffer I/O's waiter to the process doing
 * it, a slot's waiter to its active_pid.  The waiters' reports learn their
 * holders (pgm_explain_instance then puts them into words).
 */
struct pgm_error *pgm_storage_edges(struct pgm_instance *inst);

#endif
