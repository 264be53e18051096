/*
 * Reports built by hand, one per wait kind, for the tests of analysis/ and
 * render/: the facts pg/ would decode, with synthetic stacks whose frames
 * are the functions a real backend of that kind sleeps in.  Each fixture
 * is a struct pgm_report the caller destroys; none is explained yet.
 */
#ifndef PGMORTEM_TEST_REPORT_FIXTURES_H
#define PGMORTEM_TEST_REPORT_FIXTURES_H

#include <stddef.h>

#include "pgmortem/report.h"

/* A stack of the given function names, innermost first (NULL ends the list). */
struct pgm_stack *fixture_stack(const char *const *functions);

/* A report of pid 4242 with a core, a version and the given stack and wait event. */
struct pgm_report *fixture_report(const char *const *functions, uint32_t wait_event_info,
				  const char *event_type, const char *event_name);

/* One fixture per wait kind (and the variations the verdict tells apart). */
struct fixture_case {
	const char *name;                    /* golden file base name */
	struct pgm_report *(*build)(void);
};
extern const struct fixture_case fixture_cases[];

/* Buffers, storage and replication (report_fixtures_storage.c). */
struct pgm_report *fixture_buffer_pin(void);          /* VACUUM waits; one capture: candidates */
struct pgm_report *fixture_buffer_pin_holder(void);   /* the same, the holder named by its capture */
struct pgm_report *fixture_buffer_pinned(void);       /* the cursor's process, holding the pin */
struct pgm_report *fixture_buffer_io(void);           /* WaitIO up to 17 */
struct pgm_report *fixture_buffer_io_aio(void);       /* 18: the AIO handle's owner */
struct pgm_report *fixture_io_wal_write(void);        /* XLogWrite in pwrite */
struct pgm_report *fixture_replication_slot(void);    /* DROP_REPLICATION_SLOT … WAIT */
struct pgm_report *fixture_walsender_stopping(void);  /* a walsender holding the shutdown */
extern const size_t n_fixture_cases;
/* The IPC waits' fixtures (report_fixtures_waits.c). */
extern const struct fixture_case fixture_waits_cases[];
extern const size_t n_fixture_waits_cases;
/* Every fixture of both tables, by index: fixture_at(i) for i < fixture_count(). */
size_t fixture_count(void);
const struct fixture_case *fixture_at(size_t i);

#endif
