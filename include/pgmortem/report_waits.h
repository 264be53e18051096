/*
 * pgmortem — the facts of the waits that go through PostgreSQL's
 * interprocess machinery, part of the report model (pgmortem/report.h
 * includes this header and embeds these structs):
 *
 *   struct pgm_waitset        the WaitEventSet a process sleeps in: a detail
 *                             of many kinds (CV, latch, socket, timeout,
 *                             locks), so it is its own member of the report;
 *   struct pgm_syncrep_wait   a commit waiting for synchronous standbys;
 *   struct pgm_mq_wait        a shared message queue (shm_mq) and the
 *                             background-worker slots of the parallel group;
 *   struct pgm_barrier_wait   a ProcSignalBarrier and who has not absorbed it;
 *   struct pgm_unserved_wait  running, with a cancel or terminate pending
 *                             that nothing serves;
 *   struct pgm_task           live only: is the task on a CPU or blocked.
 *
 * The rules of report.h hold here: typed facts, `known` flags for what
 * could not be read (never guessed), every string and array owned by the
 * report and freed by pgm_report_destroy().  Fields marked "derived" are
 * written by analysis/ from the others.
 */
#ifndef PGMORTEM_REPORT_WAITS_H
#define PGMORTEM_REPORT_WAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/wait_event.h"

/* ---- the WaitEventSet ---- */

/*
 * WaitEvent.events bits (latch.h up to 17, waiteventset.h from 18).  The
 * values have not changed from 10 to 18; like the LWLock state bits they
 * are macros, so DWARF cannot give them.
 */
#define PGM_WL_LATCH_SET 0x01
#define PGM_WL_SOCKET_READABLE 0x02
#define PGM_WL_SOCKET_WRITEABLE 0x04
#define PGM_WL_TIMEOUT 0x08
#define PGM_WL_POSTMASTER_DEATH 0x10
#define PGM_WL_EXIT_ON_PM_DEATH 0x20
#define PGM_WL_SOCKET_CLOSED 0x80

/* Where the WaitEventSet's address came from. */
enum pgm_waitset_source {
	PGM_WAITSET_UNKNOWN,         /* the frame's `set` is unavailable and no global stands in */
	PGM_WAITSET_FRAME,           /* WaitEventSetWait's `set` parameter */
	PGM_WAITSET_LATCH_WAIT_SET,  /* LatchWaitSet, the set WaitLatch() sleeps in */
	PGM_WAITSET_FEBE_WAIT_SET,   /* FeBeWaitSet, the set of the client connection */
};

/* One registered event (WaitEvent). */
struct pgm_waitset_event {
	int32_t pos;
	uint32_t events;         /* PGM_WL_* bits */
	int32_t fd;              /* the socket, or the latch's / postmaster's wakeup fd */
	char *fd_target;         /* live only: what /proc/PID/fd/N links to ("socket:[81234]"); NULL otherwise */
};

/* A Latch (latch.h). */
struct pgm_latch {
	bool known;              /* the latch itself was read */
	uint64_t address;
	bool is_set, maybe_sleeping, is_shared;
	int32_t owner_pid;
	bool from_my_latch;      /* found through MyLatch, not the set (whose latch is unknown) */
};

struct pgm_waitset {
	bool sleeping;           /* the stack is in WaitEventSetWait */
	enum pgm_waitset_source source;
	uint64_t address;        /* when source != UNKNOWN */
	bool set_known;          /* the WaitEventSet was read */
	int32_t epoll_fd;        /* the fd strace shows in epoll_wait(…) */
	char *epoll_fd_target;   /* live only: /proc/PID/fd/N ("anon_inode:[eventpoll]") */
	bool exit_on_postmaster_death;
	int32_t latch_pos;       /* index of the latch event, -1 if none */
	struct pgm_waitset_event *events;
	size_t n_events;
	bool timeout_known;
	int64_t timeout_ms;      /* asked of WaitEventSetWait; -1: forever */
	bool remaining_known;
	int64_t remaining_ms;    /* what WaitEventSetWaitBlock passed to epoll_wait last (cur_timeout) */
	struct pgm_latch latch;  /* the set's latch, else MyLatch */
	char *why_unknown;       /* when !set_known: why, in words */
};

/* ---- synchronous replication (syncrep.c, walsender_private.h) ---- */

/* One WalSndCtl->walsnds[] slot in use, as pg_stat_replication shows it. */
struct pgm_walsender {
	int32_t slot;
	int32_t pid;
	char *state;             /* "streaming" (pg_stat_replication.state); its number when unnamed */
	uint64_t sent, write, flush, apply;   /* LSNs */
	int32_t sync_standby_priority;        /* 0: not a synchronous candidate */
	char *application_name; /* from its PgBackendStatus; NULL when unknown */
};

/* Which position a commit waits for (SyncRepWaitMode, synchronous_commit). */
enum pgm_syncrep_mode {
	PGM_SYNCREP_MODE_UNKNOWN = -2,
	PGM_SYNCREP_MODE_NONE = -1,          /* SYNC_REP_NO_WAIT */
	PGM_SYNCREP_MODE_WRITE = 0,          /* remote_write */
	PGM_SYNCREP_MODE_FLUSH = 1,          /* on */
	PGM_SYNCREP_MODE_APPLY = 2,          /* remote_apply */
};

/* Why the wait has not ended (derived). */
enum pgm_syncrep_why {
	PGM_SYNCREP_WHY_UNKNOWN,
	PGM_SYNCREP_WHY_NO_STANDBY,      /* no connected walsender is a synchronous candidate */
	PGM_SYNCREP_WHY_BEHIND,          /* candidates exist; none has reached the LSN */
	PGM_SYNCREP_WHY_NOT_WOKEN,       /* released (WAIT_COMPLETE or WalSndCtl->lsn past it), still asleep */
};

struct pgm_syncrep_wait {
	bool lsn_known;
	uint64_t lsn;            /* MyProc->waitLSN */
	bool state_known;
	int32_t state;           /* MyProc->syncRepState: 0 not waiting, 1 waiting, 2 complete */
	enum pgm_syncrep_mode mode;
	char *standby_names;     /* synchronous_standby_names as configured; NULL when unknown */
	bool released_known;
	uint64_t released_lsn;   /* WalSndCtl->lsn[mode]: what the walsenders have released */
	bool walsenders_known;
	struct pgm_walsender *walsenders;
	size_t n_walsenders;
	int32_t max_wal_senders; /* slots walked; -1 when unknown */
	enum pgm_syncrep_why why;   /* derived */
};

/* ---- message queues (shm_mq.c) and the parallel group's worker slots ---- */

/* What the process does with the queue, from its stack. */
enum pgm_mq_op {
	PGM_MQ_OP_UNKNOWN,
	PGM_MQ_OP_SEND,          /* shm_mq_send_bytes: the ring is full */
	PGM_MQ_OP_RECEIVE,       /* shm_mq_receive_bytes: the ring is empty */
	PGM_MQ_OP_ATTACH,        /* shm_mq_wait_internal: the counterpart has not attached */
};

/* A shm_mq; it lies in a DSM segment, which many captures lack. */
struct pgm_shm_mq {
	bool known;              /* the queue header was read */
	int32_t sender_pid, receiver_pid;     /* 0: not attached (yet) */
	int32_t sender_procno, receiver_procno;   /* -1 when none */
	uint64_t bytes_written, bytes_read, ring_size;
	bool detached;
};

/* A BackgroundWorkerSlot of the group (bgworker.c). */
struct pgm_bgworker {
	int32_t slot;
	int32_t pid;             /* -1 (InvalidPid): not started yet; 0: exited */
	bool terminate;          /* asked to stop */
	uint64_t generation;
	char *type;              /* bgw_type, "parallel worker" */
	struct pgm_wait_event wait_event;   /* its own, from its PGPROC (pid > 0) */
	char *task_state;        /* live only: "T (stopped)" */
};

struct pgm_mq_wait {
	enum pgm_mq_op op;
	bool gather;             /* a Gather (Merge) leader waiting on all its workers' tuple queues at once */
	bool handle_known;       /* the shm_mq_handle (private memory) was read */
	struct pgm_shm_mq mq;    /* the queue at pgm_wait.address */
	bool counterparty_attached;   /* shm_mq_handle.mqh_counterparty_attached */
	/* the other end: from the queue, else from the parallel group */
	int32_t counterpart_pid; /* 0 when unknown */
	bool counterpart_is_leader;
	struct pgm_wait_event counterpart_wait_event;
	char *counterpart_task_state;   /* live only: "T (stopped)" from /proc */
	bool workers_known;
	struct pgm_bgworker *workers;   /* the slots whose bgw_notify_pid is the leader */
	size_t n_workers;
};

/* ---- ProcSignalBarrier (procsignal.c) ---- */

/* A ProcSignal slot whose process has not absorbed the barrier. */
struct pgm_barrier_laggard {
	int32_t slot;
	int32_t pid;
	uint64_t generation;     /* pss_barrierGeneration */
	uint32_t check_mask;     /* pss_barrierCheckMask: barrier types still to absorb */
	bool waited_on;          /* the CV it sleeps on is this slot's pss_barrierCV */
	struct pgm_wait_event wait_event;   /* its own wait, from its PGPROC */
	char *task_state;        /* live only: "T (stopped)" */
};

struct pgm_barrier_wait {
	bool generation_known;
	uint64_t generation;     /* the one waited for */
	bool generation_from_frame;   /* else ProcSignal->psh_barrierGeneration, the newest */
	bool laggards_known;     /* every slot was read */
	struct pgm_barrier_laggard *laggards;
	size_t n_laggards;
	uint32_t n_slots;
};

/* ---- a pending interrupt that is not served ---- */

struct pgm_unserved_wait {
	char *function;          /* innermost frame in neither postgres nor libc; else postgres's */
	char *library;           /* that frame's module, file name only ("pgm_loop.so"); NULL: postgres */
	int frame;               /* gdb frame number */
};

/* ---- live only: the task ---- */

/* Two samples of /proc/PID, some time apart: on a CPU, or blocked. */
struct pgm_task {
	bool known;
	char state;              /* R S D T … at the second sample */
	char *state_name;        /* "R (running)" */
	char *wchan;             /* NULL when none */
	double interval_s;       /* between the samples */
	double cpu_s;            /* CPU time used in it */
	uint64_t switches;       /* context switches in it */
};

/* ---- names (model/report_waits.c) ---- */

const char *pgm_waitset_source_name(enum pgm_waitset_source s);   /* "frame", "LatchWaitSet", … */
const char *pgm_syncrep_mode_name(enum pgm_syncrep_mode m);       /* "flush", "remote_apply", … */
const char *pgm_syncrep_state_name(int32_t state);                /* "SYNC_REP_WAITING" */
const char *pgm_syncrep_why_name(enum pgm_syncrep_why w);         /* "no_standby", "behind", … */
const char *pgm_mq_op_name(enum pgm_mq_op op);                    /* "send", "receive", "attach" */
/* "not started", "running", "stopped" for a worker slot's pid. */
const char *pgm_bgworker_state_name(const struct pgm_bgworker *w);

#endif
