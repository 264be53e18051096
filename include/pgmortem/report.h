/*
 * pgmortem — the model of one process's analysis: what it waits on, who is
 * queued, who can release it, whether it can be killed.
 *
 * The model sits below everything that fills or reads it:
 *   pg/        decodes memory into these structs (facts, read from the target);
 *   analysis/  derives from them (the wait kind, killability, the words of
 *              the verdict, the wait-for graph) and reads no target;
 *   render/    prints them and nothing else does.
 *
 * Every fact is a typed field: a struct per wait kind (struct pgm_cv_wait,
 * struct pgm_lwlock_wait, …) inside struct pgm_wait, read by name.  The JSON
 * is a rendering of these structs, not their storage.
 *
 * Ownership: every string and array in a report is owned by it and freed by
 * pgm_report_destroy().  Strings that come from the target's memory (query
 * texts, relation and tranche names) are valid UTF-8 without control
 * characters other than tab and newline (pg/ reads them through
 * pgm_target_read_text), so any renderer can emit them.
 *
 * Unknown is never guessed: a fact that could not be read has its `known`
 * flag false or a NULL string, and the reason is in `missing` (memory the
 * capture lacks, with its mapping) or `diagnosis`.
 *
 * The JSON names of these fields are a stable schema ("schema": 1): fields
 * may be added, existing ones keep their names and meaning.
 *
 * Adding a wait kind: an enumerator in enum pgm_wait_kind (and its name in
 * pgm_wait_kind_name), a struct of its facts as a member of struct pgm_wait
 * (freed in model/report.c), a decoder in pg/, its sentence in
 * analysis/verdict.c, its JSON object in render/report_json.c and its lines
 * in render/report_text.c, its batch signature in batch/signature.c.
 */
#ifndef PGMORTEM_REPORT_H
#define PGMORTEM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmortem/error.h"
#include "pgmortem/report_waits.h"
#include "pgmortem/stack.h"
#include "pgmortem/wait_event.h"

#define PGM_REPORT_SCHEMA 1

/* ---- facts shared by several kinds ---- */

/* A relation named through its relcache entry. */
struct pgm_relation {
	bool known;              /* oid was read */
	uint32_t oid;
	char *name;              /* NULL when the name was not captured */
};

/*
 * A heavyweight lock's tag as pg_locks shows it: the locktype and the
 * columns that locktype has (lockfuncs.c); a column it lacks is not `has_`.
 */
struct pgm_lock_tag {
	char *locktype;          /* "relation", "transactionid"; "locktag type N" when unnamed */
	bool has_database, has_relation, has_page, has_tuple, has_virtualxid,
	     has_transactionid, has_classid, has_objid, has_objsubid;
	uint32_t database, relation, page, tuple;
	char *virtualxid;        /* "3/6" */
	uint32_t transactionid;
	uint32_t classid, objid, objsubid;
};

/* Frees the tag's strings; the tag is zeroed. */
void pgm_lock_tag_deinit(struct pgm_lock_tag *tag);
/* A deep copy of src into *dst (zeroed on failure); NULL or &pgm_enomem. */
struct pgm_error *pgm_lock_tag_copy(struct pgm_lock_tag *dst, const struct pgm_lock_tag *src);

/* ---- the wait ---- */

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
	/* buffers, storage and replication */
	PGM_WAIT_BUFFER_PIN,         /* LockBufferForCleanup: for the other pins on a buffer to go */
	PGM_WAIT_BUFFER_IO,          /* for another process's read or write of a buffer to finish */
	PGM_WAIT_IO,                 /* in a file system call (wait event class IO) */
	PGM_WAIT_REPLICATION_SLOT,   /* for the process using a replication slot to release it */
	/* interprocess machinery (pgmortem/report_waits.h) */
	PGM_WAIT_SYNC_REP,           /* a commit waits for synchronous standbys */
	PGM_WAIT_MESSAGE_QUEUE,      /* a shm_mq: full, empty, or its counterpart not attached */
	PGM_WAIT_PROCSIGNAL_BARRIER, /* waits for every process to absorb a barrier */
	PGM_WAIT_UNSERVED_INTERRUPT, /* running, a cancel or terminate pending and not served */
};

/* A process queued on the same object, in queue order. */
struct pgm_waiter {
	int32_t procno;
	int32_t pid;             /* 0 when its PGPROC could not be read */
	bool is_self;
};

/* Why a holder blocks the wait. */
enum pgm_holder_how {
	PGM_HOLDER_HOLDS,            /* holds a conflicting mode (pg_blocking_pids' hard block) */
	PGM_HOLDER_QUEUED_AHEAD,     /* queued ahead, requesting a conflicting mode (soft block) */
	PGM_HOLDER_LWLOCK,           /* its own capture shows the LWLock in its held_lwlocks */
	PGM_HOLDER_PIN,              /* its own capture shows a pin on the buffer (PrivateRefCount) */
	PGM_HOLDER_IO,               /* it does the buffer's I/O (its InProgressBuf, or the AIO handle's owner) */
	PGM_HOLDER_SLOT,             /* the slot's active_pid */
};

/* A process that holds the object or is otherwise ahead of this one. */
struct pgm_holder {
	int32_t pid;
	int32_t procno;          /* -1 when unknown */
	enum pgm_holder_how how;
	char *mode;              /* the conflicting mode(s): "AccessExclusiveLock", "exclusive" */
	char *core;              /* PGM_HOLDER_LWLOCK: the capture that shows it, else NULL */
	char *evidence;          /* derived by analysis: why, in words */
};

/* Which structure a condition variable belongs to, as far as it is known. */
enum pgm_cv_owner {
	PGM_CV_OWNER_UNKNOWN,
	PGM_CV_OWNER_BTREE_SCAN,     /* btps_cv of a BTParallelScanDescData */
};

/*
 * A participant of a parallel btree scan whose own capture shows it inside
 * the scan (it holds BTPARALLEL_ADVANCING); found when its core is given.
 */
struct pgm_scan_advancer {
	bool known;
	int32_t pid;
	bool is_leader;
	char *function;          /* "_bt_parallel_release" */
	int frame;               /* gdb frame number in its stack */
	char *core;              /* its capture */
};

/* The shared state of a parallel btree scan (nbtree.c's BTParallelScanDescData). */
struct pgm_btree_scan {
	uint64_t address;
	bool state_known;        /* page_status and scan_page were read */
	int64_t page_status;     /* BTPS_State value */
	char *page_status_name;  /* "BTPARALLEL_ADVANCING"; NULL when not an enumerator */
	uint64_t scan_page;      /* 0xFFFFFFFF: InvalidBlockNumber */
	struct pgm_relation index, heap;
	struct pgm_scan_advancer advancer;
};

struct pgm_cv_wait {
	bool header_known;       /* the CV itself was read */
	int32_t wakeup_head, wakeup_tail;
	/*
	 * The waiters were reconstructed from the PGPROCs' cvWaitLink (main
	 * shared memory), walked from this process both ways, because the CV
	 * itself is not in the capture.
	 */
	bool queue_from_links;
	enum pgm_cv_owner owner;
	struct pgm_btree_scan btree;   /* owner == PGM_CV_OWNER_BTREE_SCAN */
};

struct pgm_lwlock_wait {
	uint32_t tranche_id;
	char *tranche;           /* "BufferContent"; "tranche N" when unnamed */
	bool state_known;        /* the lock word was decoded */
	bool exclusive;
	uint32_t shared;         /* shared holders */
	bool has_waiters;
	char *mode;              /* requested: "exclusive", "shared", "unknown" */
};

struct pgm_hwlock_wait {
	bool tag_known;
	struct pgm_lock_tag tag;
	char *mode;              /* requested: "AccessShareLock" */
};

/* ---- buffers, storage and replication: the facts of their waits ---- */

/*
 * A shared buffer as its BufferDesc tells it (buf_internals.h).  The state
 * word's bits are macros, the same from 9.6 to 18.
 */
struct pgm_buffer {
	bool known;              /* the descriptor was read */
	int32_t buffer;          /* as PostgreSQL numbers it: buf_id + 1 */
	uint64_t address;        /* the BufferDesc */
	bool tag_known;
	uint32_t tablespace, database, relfilenode;
	char *fork;              /* "main", "fsm", "vm", "init"; "fork N" when unnamed */
	uint32_t block;
	struct pgm_relation relation;  /* from the process's relcache: unknown if it has not opened it */
	bool state_known;
	uint32_t state;          /* the raw state word */
	uint32_t refcount;       /* shared pins: one per process that pins it */
	uint32_t usage_count;
	bool locked, dirty, valid, tag_valid, io_in_progress, io_error, pin_count_waiter;
	bool waiter_known;       /* the pin-count waiter recorded in the header was read */
	int32_t waiter_procno;   /* wait_backend_pgprocno; -1 where the header records a pid */
	int32_t waiter_pid;      /* 0 when unknown */
};

/* A process that may hold the pin: it holds a lock on the buffer's relation (pg_locks). */
struct pgm_pin_candidate {
	int32_t pid;
	char *mode;              /* "AccessShareLock" */
};

struct pgm_buffer_pin_wait {
	struct pgm_buffer buffer;          /* PinCountWaitBuf */
	int32_t own_pins;                  /* this process's private refcount on it, -1 if unknown */
	/* with one capture: who else has the relation locked, and so may pin it */
	struct pgm_pin_candidate *candidates;
	size_t n_candidates;
	bool candidates_known;             /* the lock table was read */
};

/* An asynchronous I/O (PostgreSQL 18's PgAioHandle), named by a buffer's io_wref. */
struct pgm_aio_handle {
	bool known;              /* the handle was read */
	uint32_t index;          /* in pgaio_ctl->io_handles */
	uint64_t address;
	bool recycled;           /* its generation moved on: that I/O is over */
	char *state;             /* "PGAIO_HS_SUBMITTED" */
	char *op;                /* "PGAIO_OP_READV" */
	bool synchronous;        /* PGAIO_HF_SYNCHRONOUS: its owner executes it itself */
	int32_t owner_procno;
	int32_t owner_pid;       /* 0 when unknown */
};

struct pgm_buffer_io_wait {
	struct pgm_buffer buffer;          /* the buffer whose BM_IO_IN_PROGRESS it waits out */
	struct pgm_aio_handle aio;         /* the I/O it waits for (18), when known */
};

/* A file system call: the descriptor and the file, as the process's memory names them. */
struct pgm_io_wait {
	bool fd_known;
	int32_t fd;
	char *file;              /* relative to the data directory: "base/5/16384", "pg_wal/0000…" */
	char *source;            /* where it was read: "FileRead(file=4) frame #2", "openLogFile" */
};

/* A replication slot (slot.h), as pg_replication_slots shows it. */
struct pgm_replication_slot {
	bool known;              /* the slot was read */
	int32_t index;           /* in ReplicationSlotCtl->replication_slots */
	uint64_t address;
	bool in_use;
	char *name;
	char *type;              /* "logical" (a database) or "physical" */
	uint32_t database;
	char *plugin;            /* NULL for physical slots */
	char *persistency;       /* "persistent", "ephemeral", "temporary" */
	int32_t active_pid;      /* 0: nobody uses it */
	uint64_t restart_lsn, confirmed_flush;   /* 0: invalid (pg_replication_slots' NULL) */
	uint32_t xmin, catalog_xmin;
};

/* An LSN in pg_lsn notation, "16/B374D848", into buf (PGM_LSN_LEN bytes); returns buf. */
#define PGM_LSN_LEN 20
const char *pgm_lsn_format(uint64_t lsn, char *buf);

struct pgm_slot_wait {
	struct pgm_replication_slot slot;  /* the slot whose active_cv it sleeps on */
};

struct pgm_wait {
	enum pgm_wait_kind kind;
	uint64_t address;        /* the object, when has_address */
	bool has_address;
	/* the facts of `kind`; the others stay zero */
	struct pgm_cv_wait cv;
	struct pgm_lwlock_wait lwlock;
	struct pgm_hwlock_wait hwlock;
	struct pgm_buffer_pin_wait pin;
	struct pgm_buffer_io_wait bufio;
	struct pgm_io_wait io;
	struct pgm_slot_wait slot;
	struct pgm_syncrep_wait syncrep;
	struct pgm_mq_wait mq;
	struct pgm_barrier_wait barrier;
	struct pgm_unserved_wait unserved;
	/* the queue and who is ahead of it */
	struct pgm_waiter *waiters;
	size_t n_waiters;
	bool waiters_known;
	struct pgm_holder *holders;
	size_t n_holders;
	bool holders_known;      /* false: could not be determined from this capture */
	/* derived by analysis, in words */
	char *object_kind;       /* "btree parallel scan condition variable", "LWLock" */
	char *description;       /* "AccessShareLock on relation 16384 (database 5)" */
};

/* ---- the process ---- */

/* Is a member of the backend's parallel group queued on the same CV? */
enum pgm_queued { PGM_QUEUED_UNKNOWN, PGM_QUEUED_YES, PGM_QUEUED_NO };

/* A member of the backend's parallel (lock) group. */
struct pgm_group_member {
	int32_t pid;
	int32_t procno;
	bool is_leader;
	bool is_self;
	struct pgm_wait_event wait_event;
	enum pgm_queued queued_on_same;
};

struct pgm_held_lwlock {
	char *name;              /* tranche; NULL when the lock itself was not captured */
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
	/* derived by analysis */
	enum pgm_killable killable;
	char *verdict;           /* plain words */
};

/* Why memory the analysis needed is missing, and so how to capture it next time. */
enum pgm_missing_cause {
	PGM_MISSING_UNCAPTURED,      /* not in the capture: a mapping it left out, or unmapped */
	PGM_MISSING_DSM_SEGMENT,     /* a DSM segment, which gcore and default kernel cores leave out */
};

/* Where PostgreSQL's struct layouts came from. */
enum pgm_layout_source {
	PGM_LAYOUT_NONE,         /* no DWARF and no usable profile: the stack alone */
	/*
	 * The executable's DWARF, beside it or separate, or the per-build-id
	 * cache of what it resolved: the same layout either way, so an analysis
	 * through the cache is the analysis without it (whether the cache
	 * served is pgm_program_layout_cache_result()'s to say)
	 */
	PGM_LAYOUT_DWARF,
	PGM_LAYOUT_PROFILE,      /* a layout profile of the PostgreSQL major version */
};

/*
 * The layout's origin.  For a profile (a stripped build without
 * debuginfo): which file, what it was made from, and the cross-checks
 * against the capture that it passed.  A profile that failed one is not
 * used: `source` is then NONE and `refused` names the check.
 */
struct pgm_layout_origin {
	enum pgm_layout_source source;
	char *profile;           /* the profile's path (used or refused), else NULL */
	char *made_from;         /* "15.18": the versions the profile was made from */
	char **checks;           /* the checks passed, in words */
	size_t n_checks;
	char *refused;           /* "MyProc->pid is 0, the core's pid 4242": the failed check */
	char *note;              /* why no profile was tried or found, or NULL */
};

/* Memory the capture lacks that the analysis needed. */
struct pgm_missing {
	char *what;              /* "the condition variable", "BTParallelScanDescData" */
	uint64_t address;
	char *mapping;           /* NULL if anonymous or not mapped at all */
	enum pgm_missing_cause cause;
};

/* Something the analysis noticed, or could not decode, in words. */
struct pgm_diagnosis {
	char *code;              /* stable id: "cv-wait-holder-not-queued", "bug-15290" */
	char *message;
};

/* A buffer this process pins, with its private refcount. */
struct pgm_pin {
	int32_t refcount;
	struct pgm_buffer buffer;
};

/*
 * What the process holds of the shared buffers, from its private memory
 * (PrivateRefCountArray and its overflow hash; InProgressBuf up to 15):
 * another process's capture cannot tell it, so naming the process that
 * pins a buffer, or reads it, takes this process's capture.
 */
struct pgm_buffer_usage {
	bool pins_known;         /* the private refcounts were read */
	struct pgm_pin *pins;
	size_t n_pins;
	bool pins_truncated;     /* more than PGM_MAX_PINS: the rest are left out */
	bool io_known;           /* InProgressBuf was read (it exists up to 15) */
	bool io_in_progress;
	bool io_for_input;       /* a read (IsForInput), else a write */
	struct pgm_buffer io_buffer;
};
#define PGM_MAX_PINS 256

/*
 * This process's own walsender state: its WalSnd entry (MyWalSnd), its
 * slot and whether it was told to stop (walsender_private.h, walsender.c).
 * Every walsender's entry, as the WalSndCtl array holds it, is a different
 * fact of the instance.
 */
struct pgm_my_walsender {
	bool known;              /* MyWalSnd was read */
	char *state;             /* pg_stat_replication.state: "streaming", "stopping" */
	uint64_t sent, write, flush, apply;    /* LSNs (apply: pg_stat_replication.replay_lsn); 0: none yet */
	char *slot;              /* MyReplicationSlot's name, NULL without one */
	struct pgm_counter got_stopping;   /* got_STOPPING: told to finish and exit (shutdown) */
};

struct pgm_report {
	/* source */
	char *source_kind;       /* "core", "live", "memory": for a bundle, its capture's */
	char *source_path;       /* for a bundle, the capture's path where it was made */
	char *bundle_path;       /* the bundle the capture was read from, NULL if none */
	bool bundle_redacted;    /* that bundle's private texts were redacted */
	int32_t pid;
	char *cmdline;
	int signal;              /* 0 if none */
	uint64_t fault_address;
	bool has_fault_address;
	bool crashed;            /* a fault the kernel delivered, or a signal it raised itself (abort()) */
	int32_t signal_sender;   /* the pid that sent the signal with kill(); 0: the kernel, or unknown */
	bool on_demand;          /* gcore / snapshot / live: no fatal signal */
	char *crash_function;    /* where it died: the innermost PostgreSQL function past error reporting */
	bool crash_in_callee;    /* in an unnamed function (stripped build) that crash_function called */

	/* postgres */
	char *pg_version;        /* "15.18" from server_version */
	char *executable;
	char *build_id;          /* hex */
	bool debuginfo;          /* PostgreSQL's layout was available */
	struct pgm_layout_origin layout;

	/* backend */
	bool is_backend;         /* MyProc found */
	int32_t procno;          /* -1 when unknown */
	char *backend_type;      /* as pg_stat_activity.backend_type */
	bool type_from_cmdline;  /* backend_type (and leader_pid) told by the command line, not memory */
	int32_t leader_pid;      /* 0 if none */
	uint32_t database_oid;
	char *query;
	struct pgm_wait_event wait_event;
	bool cv_sleep_target_set;   /* cv_sleep_target was non-NULL */
	struct pgm_wait wait;
	struct pgm_group_member *group;
	size_t n_group;
	struct pgm_interrupts interrupts;
	/* buffers, storage and replication */
	struct pgm_buffer_usage buffers;
	struct pgm_my_walsender walsender;   /* backend_type "walsender" only */
	/* interprocess machinery (pgmortem/report_waits.h) */
	struct pgm_waitset waitset;  /* the WaitEventSet it sleeps in, if it does */
	struct pgm_task task;        /* live only */

	struct pgm_stack **stacks;   /* one per thread, owned */
	size_t n_stacks;

	struct pgm_missing *missing;
	size_t n_missing;
	struct pgm_diagnosis *diagnosis;
	size_t n_diagnosis;
	/* derived by analysis: the lines printed first, in order */
	char **verdict;
	size_t n_verdict;
};

struct pgm_report *pgm_report_create(void);
void pgm_report_destroy(struct pgm_report *r);

/*
 * Builders: each copies its strings; all return NULL or &pgm_enomem.  A
 * diagnosis already present (same code and message) is not added again, so
 * explaining a report twice says each thing once.
 */

/* `address` is the object's; the read failure says which mapping lacks it. */
struct pgm_error *pgm_report_add_missing(struct pgm_report *r, const char *what, uint64_t address,
					 const struct pgm_error *read_failure, enum pgm_missing_cause cause);
struct pgm_error *pgm_report_add_diagnosis(struct pgm_report *r, const char *code,
					   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
struct pgm_error *pgm_report_add_verdict(struct pgm_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Frees the verdict lines (before composing them again). */
void pgm_report_clear_verdict(struct pgm_report *r);
struct pgm_error *pgm_wait_add_waiter(struct pgm_wait *w, int32_t procno, int32_t pid, bool is_self);
/* The new holder is returned through *ret (may be NULL) for its evidence or core. */
struct pgm_error *pgm_wait_add_holder(struct pgm_wait *w, int32_t pid, int32_t procno,
				      enum pgm_holder_how how, const char *mode, struct pgm_holder **ret);

const char *pgm_wait_kind_name(enum pgm_wait_kind kind);     /* "condition_variable" */
const char *pgm_killable_name(enum pgm_killable k);          /* "yes", "no", "deferred", "unknown" */
const char *pgm_layout_source_name(enum pgm_layout_source s); /* "none", "dwarf", "profile" */
/* A deep copy of `from` into *to (deinit it with pgm_layout_origin_deinit). */
struct pgm_error *pgm_layout_origin_copy(struct pgm_layout_origin *to, const struct pgm_layout_origin *from);
void pgm_layout_origin_deinit(struct pgm_layout_origin *o);

#endif
