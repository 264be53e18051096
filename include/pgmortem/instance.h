/*
 * pgmortem — the model of a whole instance: every backend (what
 * pg_stat_activity showed), every heavyweight lock (pg_locks), who blocks
 * whom (pg_blocking_pids), the LWLocks captured processes hold, and the
 * wait-for graph over them.
 *
 * A backend's core holds the instance's main shared memory, so one core
 * shows every backend and lock as of that moment.  Several cores of one
 * instance add each process's private state (held LWLocks, the CV it
 * sleeps on, its stack), which names LWLock holders and the participant
 * that holds a parallel scan.  pgmortem/analyze.h reads and links it:
 *
 *   err = pgm_instance_read(prog, &opts, &inst);    // tables from prog's core
 *   pgm_instance_add_report(inst, report);         // each core's pgm_analyze()
 *   pgm_instance_link(inst, prog);                 // LWLock holders, the graph, verdicts
 *   ... render it ...
 *   pgm_instance_destroy(inst);
 *
 * Like the report (pgmortem/report.h) this is a model: pg/ fills the
 * tables, analysis/ derives the graph and the words, render/ prints.  The
 * instance owns every string and array in it, and the reports added to it.
 * A fact that could not be read is unknown (NULL, a `known` flag), never
 * guessed; entries the capture lacks or that look corrupt are skipped and
 * listed in `problems` (at most PGM_INSTANCE_MAX_PROBLEMS, then one line
 * counting the rest).  JSON field names are a stable schema ("schema": 1):
 * fields may be added, never renamed.
 */
#ifndef PGMORTEM_INSTANCE_H
#define PGMORTEM_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/report.h"

#define PGM_INSTANCE_SCHEMA 1
/*
 * Graph node for "the holder, unknown from this capture".  Not 0: a prepared
 * transaction's PGPROC has pid 0, and pg_blocking_pids() reports it as 0.
 */
#define PGM_PID_UNKNOWN_HOLDER (-1)
/* Problems kept word for word; past this many they are only counted. */
#define PGM_INSTANCE_MAX_PROBLEMS 100

/*
 * What makes two cores cores of one running instance: the cluster
 * (ControlFile->system_identifier: clusters copied from one template share
 * it), the postmaster that created the main shared memory segment
 * (PGShmemHeader.creatorPID), the segment's address (chosen at each
 * creation, so a restart with a reused pid still differs) and the data
 * directory it was created for (PGShmemHeader.device/inode), and the
 * executable's build-id.  Every part must be known and equal.
 */
struct pgm_instance_id {
	bool known;              /* every part below was read */
	uint64_t system_identifier;
	int32_t postmaster_pid;
	uint64_t shmem_address;  /* ShmemSegHdr */
	uint64_t data_dir_device, data_dir_inode;
	char *build_id;          /* hex, of the main executable */
};

/* One row of pg_stat_activity: a live PGPROC joined with its PgBackendStatus. */
struct pgm_backend {
	int32_t pid;             /* 0 for a prepared transaction */
	int32_t procno;
	bool prepared_xact;      /* the dummy PGPROC of a prepared transaction */
	char *gid;               /* its GID, or NULL */
	char *backend_type;      /* "client backend", "parallel worker", NULL if unknown */
	uint32_t database_oid;   /* PGPROC.databaseId */
	uint32_t role_oid;       /* PGPROC.roleId */
	/* from PgBackendStatus, read only when st_changecount was even */
	bool status_known;
	bool status_changing;    /* st_changecount odd: being written at capture time */
	char *application_name;
	char *state;             /* "active", "idle in transaction", NULL for none */
	char *query;
	bool has_backend_start;
	int64_t backend_start_us;   /* microseconds since the Unix epoch */
	struct pgm_wait_event wait_event;
	int32_t leader_pid;      /* lock group leader, 0 if none or itself */
	/* heavyweight lock waits */
	bool waiting_hwlock;     /* PGPROC.waitLock is set */
	/*
	 * The lock it waits for, as a single core's report has it (kind
	 * PGM_WAIT_HEAVYWEIGHT_LOCK): its holders are pg_blocking_pids(), in
	 * holders_known order.  NULL when not waiting or unreadable.
	 */
	struct pgm_wait *hwlock;
	const char *core;        /* path of this process's core among the inputs, or NULL */
};

/* One row of pg_locks. */
struct pgm_lock_row {
	struct pgm_lock_tag tag; /* locktype and the columns it has */
	char *virtualtransaction;   /* "3/6", NULL if unknown */
	int32_t pid;             /* 0: a prepared transaction */
	int32_t procno;
	char *mode;              /* "AccessShareLock" */
	bool granted;
	bool fastpath;
	uint64_t lock;           /* the LOCK in the shared table, 0 for fast-path rows */
};

/* Frees a row's strings. */
void pgm_lock_row_deinit(struct pgm_lock_row *row);

/* An LWLock a captured process holds, and who waits for it. */
struct pgm_lwlock_hold {
	int32_t holder_pid;
	uint64_t lock;
	char *name;              /* tranche */
	char *mode;
	int32_t *waiters;        /* pids on the lock's wait queue */
	size_t n_waiters;
	bool waiters_known;
};

enum pgm_edge_kind {
	PGM_EDGE_HWLOCK,         /* heavyweight lock: waiter -> blocker */
	PGM_EDGE_LWLOCK,         /* LWLock: waiter -> holder (or the unknown holder) */
	PGM_EDGE_CV,             /* condition variable: waiter -> a member that can signal it */
	PGM_EDGE_PARALLEL,       /* parallel group: leader <-> workers */
	/* buffers, storage and replication */
	PGM_EDGE_BUFFER_PIN,     /* cleanup lock: waiter -> a process that pins the buffer */
	PGM_EDGE_BUFFER_IO,      /* buffer I/O: waiter -> the process doing the I/O */
	PGM_EDGE_SLOT,           /* replication slot: waiter -> the slot's active_pid */
	/* interprocess machinery (pgmortem/report_waits.h) */
	PGM_EDGE_SYNC_REP,       /* commit -> the synchronous standbys' walsenders (or the unknown standby) */
	PGM_EDGE_MESSAGE_QUEUE,  /* one end of a shm_mq -> the other */
	PGM_EDGE_BARRIER,        /* ProcSignalBarrier emitter -> a process that has not absorbed it */
};

struct pgm_edge {
	int32_t from, to;        /* pids (0: a prepared transaction); `to` PGM_PID_UNKNOWN_HOLDER when unknown */
	enum pgm_edge_kind kind;
	char *evidence;          /* why, in words */
};

struct pgm_cycle {
	int32_t *pids;           /* in edge order: pids[i] waits for pids[i+1], the last for the first */
	size_t n;
};

/*
 * The wait-for graph.  Roots are what everyone ultimately waits on: nodes
 * that waiters reach and that wait for nobody (including the unknown
 * holder).  Cycles are deadlocks: each strongly connected group of waiters.
 */
struct pgm_graph {
	struct pgm_edge *edges;
	size_t n_edges;
	int32_t *roots;
	size_t n_roots;
	struct pgm_cycle *cycles;
	size_t n_cycles;
};

struct pgm_instance {
	struct pgm_instance_id id;
	char *source_path;       /* the core whose shared memory the tables come from */
	char *pg_version;
	struct pgm_layout_origin layout;   /* where the layouts of the tables' core came from */
	struct pgm_backend *backends;
	size_t n_backends;
	bool backends_known;     /* ProcGlobal->allProcs could be walked */
	struct pgm_lock_row *locks;
	size_t n_locks;
	bool locks_known;        /* the shared lock table could be walked */
	struct pgm_lwlock_hold *holds;
	size_t n_holds;
	struct pgm_report **reports;   /* the cores of this instance, analyzed; owned */
	size_t n_reports;
	struct pgm_graph graph;
	char **problems;         /* skipped entries, memory the capture lacks */
	size_t n_problems;
	size_t n_problems_dropped;   /* past PGM_INSTANCE_MAX_PROBLEMS, only counted */
};

void pgm_instance_id_deinit(struct pgm_instance_id *id);
bool pgm_instance_id_equal(const struct pgm_instance_id *a, const struct pgm_instance_id *b);

/* An empty instance (NULL when out of memory); the readers fill it. */
struct pgm_instance *pgm_instance_create(void);
void pgm_instance_destroy(struct pgm_instance *inst);
/* Frees a backend's strings and wait. */
void pgm_backend_deinit(struct pgm_backend *b);

/* Adds a core's analysis (taking ownership); marks its backend's `core`. */
struct pgm_error *pgm_instance_add_report(struct pgm_instance *inst, struct pgm_report *r);

/* Appends a line to inst->problems (only counted past PGM_INSTANCE_MAX_PROBLEMS). */
struct pgm_error *pgm_instance_add_problem(struct pgm_instance *inst, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *pgm_edge_kind_name(enum pgm_edge_kind k);   /* "hwlock", "lwlock", "cv", "parallel", "sync_rep", … */

/* Adds an edge, copying its evidence (duplicates are merged by the analysis). */
struct pgm_error *pgm_graph_add_edge(struct pgm_graph *g, int32_t from, int32_t to,
				     enum pgm_edge_kind kind, const char *evidence);
/* Frees the edges and results; the graph is empty again. */
void pgm_graph_deinit(struct pgm_graph *g);

#endif
