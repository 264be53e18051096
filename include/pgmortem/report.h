/*
 * pgmortem — the analysis of one backend: what it waits on, who is queued,
 * who can release it, whether it can be killed.
 *
 * The pg model and the analysis fill a struct pgm_report; renderers
 * (render/report_text.c, render/report_json.c) print it and nothing else does.
 * Every string is owned by the report; pgm_report_destroy() frees it all.
 * A fact that could not be read is "unknown" (the `known` flags, NULL
 * strings), never a guessed value, and the reason is listed in `missing`.
 *
 * The JSON names of these fields are the stable schema ("schema": 1) that
 * scripts rely on; new fields may be added, existing ones keep their names.
 */
#ifndef PGMORTEM_REPORT_H
#define PGMORTEM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/stack.h"

#define PGM_REPORT_SCHEMA 1

/* A kind-specific fact about a wait object, printed generically in JSON. */
enum pgm_field_type { PGM_FIELD_STR, PGM_FIELD_INT, PGM_FIELD_UINT, PGM_FIELD_BOOL, PGM_FIELD_ADDR };

struct pgm_field {
	char *key;               /* JSON key, e.g. "page_status" */
	enum pgm_field_type type;
	char *str;
	int64_t i;
	uint64_t u;              /* UINT and ADDR */
	bool b;
};

struct pgm_fields {
	struct pgm_field *items;
	size_t n, cap;
};

/* Memory the capture lacks that the analysis needed. */
struct pgm_missing {
	char *what;              /* "the condition variable", "BTParallelScanDescData" */
	uint64_t address;
	char *mapping;           /* NULL if anonymous or not mapped at all */
	char *hint;              /* how to capture it next time */
};

struct pgm_wait_event {
	bool known;
	uint32_t info;           /* raw wait_event_info */
	char *type;              /* "IPC", NULL if none (0) */
	char *name;              /* "BtreePage" */
};

enum pgm_wait_kind {
	PGM_WAIT_UNKNOWN,
	PGM_WAIT_NONE,               /* running, or nothing recognisable */
	PGM_WAIT_CONDITION_VARIABLE,
	PGM_WAIT_LWLOCK,
	PGM_WAIT_HEAVYWEIGHT_LOCK,
	PGM_WAIT_LATCH,              /* WaitLatch/WaitEventSetWait for an event */
	PGM_WAIT_SOCKET,             /* client socket read/write */
	PGM_WAIT_TIMEOUT,            /* pg_sleep, timed waits */
	PGM_WAIT_CRASHED,            /* the process died of a signal */
};

/* A process queued on the same object. */
struct pgm_waiter {
	int32_t procno;
	int32_t pid;
	bool is_self;
};

/* A process that holds the object or can release it. */
struct pgm_holder {
	int32_t pid;
	int32_t procno;
	char *mode;              /* "AccessExclusiveLock", "exclusive", NULL */
	char *evidence;          /* why we think so, in words */
};

struct pgm_wait {
	enum pgm_wait_kind kind;
	uint64_t address;        /* the object, 0 if none */
	bool has_address;
	char *object_kind;       /* "btree parallel scan CV", "buffer content lock" */
	char *description;       /* one line in words */
	struct pgm_fields object;
	struct pgm_waiter *waiters;
	size_t n_waiters;
	bool waiters_known;
	struct pgm_holder *holders;
	size_t n_holders;
	bool holders_known;      /* false: could not be determined from this capture */
};

/* A member of the backend's parallel (lock) group. */
struct pgm_group_member {
	int32_t pid;
	int32_t procno;
	bool is_leader;
	bool is_self;
	struct pgm_wait_event wait_event;
	enum { PGM_QUEUED_UNKNOWN, PGM_QUEUED_YES, PGM_QUEUED_NO } queued_on_same;
};

struct pgm_held_lwlock {
	char *name;              /* tranche or individual lock name */
	uint64_t address;
	char *mode;              /* "exclusive", "shared", "wait-until-free" */
};

enum pgm_killable { PGM_KILLABLE_UNKNOWN, PGM_KILLABLE_YES, PGM_KILLABLE_NO, PGM_KILLABLE_DEFERRED };

/* A counter that may not have been readable. */
struct pgm_counter {
	bool known;
	int64_t value;
};

struct pgm_interrupts {
	struct pgm_counter interrupt_pending, query_cancel_pending, proc_die_pending;
	struct pgm_counter interrupt_holdoff, query_cancel_holdoff, crit_section;
	struct pgm_held_lwlock *held_lwlocks;
	size_t n_held_lwlocks;
	bool held_lwlocks_known;
	enum pgm_killable killable;
	char *verdict;           /* plain words */
};

struct pgm_diagnosis {
	char *code;              /* stable id: "cv-wait-holder-not-queued", "bug-15290" */
	char *message;
};

struct pgm_report {
	/* source */
	char *source_kind;       /* "core", "live" */
	char *source_path;
	int32_t pid;
	char *cmdline;
	int signal;              /* 0 if none */
	uint64_t fault_address;
	bool has_fault_address;
	bool on_demand;          /* gcore / snapshot: no fatal signal */
	char *crash_function;    /* innermost named frame of a crash */

	/* postgres */
	char *pg_version;        /* "15.18" from PG_VERSION_STR / server_version */
	char *executable;
	char *build_id;          /* hex */
	bool debuginfo;          /* DWARF available for the executable */

	/* backend */
	bool is_backend;         /* MyProc found */
	int32_t procno;
	char *backend_type;      /* as pg_stat_activity.backend_type */
	int32_t leader_pid;      /* 0 if none */
	uint32_t database_oid;
	char *database;
	char *query;
	struct pgm_wait_event wait_event;
	struct pgm_wait wait;
	struct pgm_group_member *group;
	size_t n_group;
	struct pgm_interrupts interrupts;

	struct pgm_stack **stacks;   /* one per thread, owned */
	size_t n_stacks;

	struct pgm_missing *missing;
	size_t n_missing;
	struct pgm_diagnosis *diagnosis;
	size_t n_diagnosis;
	char **verdict;          /* the two or three lines printed first */
	size_t n_verdict;
};

struct pgm_report *pgm_report_create(void);
void pgm_report_destroy(struct pgm_report *r);

/* Builders: each copies its strings; all return NULL or &pgm_enomem. */
struct pgm_error *pgm_fields_add_str(struct pgm_fields *f, const char *key, const char *val);
struct pgm_error *pgm_fields_add_int(struct pgm_fields *f, const char *key, int64_t val);
struct pgm_error *pgm_fields_add_uint(struct pgm_fields *f, const char *key, uint64_t val);
struct pgm_error *pgm_fields_add_bool(struct pgm_fields *f, const char *key, bool val);
struct pgm_error *pgm_fields_add_addr(struct pgm_fields *f, const char *key, uint64_t val);
const struct pgm_field *pgm_fields_get(const struct pgm_fields *f, const char *key);

/* `address` is the object's; the read failure says which mapping lacks it. */
struct pgm_error *pgm_report_add_missing(struct pgm_report *r, const char *what, uint64_t address,
					 const struct pgm_error *read_failure, const char *hint);
struct pgm_error *pgm_report_add_diagnosis(struct pgm_report *r, const char *code,
					   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
struct pgm_error *pgm_report_add_verdict(struct pgm_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct pgm_error *pgm_wait_add_waiter(struct pgm_wait *w, int32_t procno, int32_t pid, bool is_self);
struct pgm_error *pgm_wait_add_holder(struct pgm_wait *w, int32_t pid, int32_t procno,
				      const char *mode, const char *evidence);

const char *pgm_wait_kind_name(enum pgm_wait_kind kind);     /* "condition_variable" */
const char *pgm_killable_name(enum pgm_killable k);          /* "yes", "no", "deferred", "unknown" */

#endif
