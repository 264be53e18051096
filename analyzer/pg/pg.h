/*
 * pg: PostgreSQL's structures decoded from a target's memory into the model
 * (pgmortem/report.h, pgmortem/instance.h), through the resolved layout
 * (pg/layout.h).  Decoders read facts and record what they could not read;
 * they never decide what a finding means (analysis/) and never print
 * (render/).
 *
 * A struct pgm_pg borrows its target and layout, which must outlive it.
 * Reads fail with the target's NOT_CAPTURED/FAULT errors, or PGM_ERR_LOOKUP
 * naming the member this build's debuginfo lacks.  Decoders that take a
 * report record such failures in r->missing (memory the capture lacks) or
 * r->diagnosis (a damaged structure) and carry on: only out of memory is
 * returned, unless a comment says otherwise.
 *
 * Texts that identify people or data (query texts, application names,
 * client addresses, user and database names) are read with
 * pgm_target_read_private_text, never pgm_target_read_text: a redacted
 * bundle leaves out exactly what was read that way.
 */
#ifndef PGMORTEM_PG_H
#define PGMORTEM_PG_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"
#include "pg/layout.h"
#include "pgmortem/error.h"
#include "pgmortem/instance.h"
#include "pgmortem/program.h"
#include "pgmortem/report.h"
#include "pgmortem/stack.h"
#include "pgmortem/target.h"

/* Bounds on every walk over captured data: untrusted input. */
#define PGM_PG_MAX_PROCS 262144      /* PGPROCs in allProcs */
#define PGM_PG_MAX_LIST 65536        /* entries in any shared list */
#define PGM_PG_MAX_STRING 65536      /* query text and names */
#define PGM_INVALID_PROCNO (-1)

struct pgm_pg_shmem;

struct pgm_pg {
	struct pgm_target *target;
	const struct pgm_pg_layout *layout;
	int version_num;         /* server_version_num, e.g. 150018; 0 if unknown */
	/*
	 * The main segment's index, read when the layout is a profile's (a
	 * stripped build names no file-static): NULL otherwise.  Borrowed.
	 */
	const struct pgm_pg_shmem *shmem;
};

/*
 * Fills version_num from the process's server_version_num (else the
 * layout's version, read from the executable); shmem is NULL.
 */
void pgm_pg_init(struct pgm_pg *pg, struct pgm_target *target, const struct pgm_pg_layout *layout);
/*
 * pg over prog's target and layout (pgm_pg_program_layout), with the
 * shared-memory index when the layout is a profile's.  Only out of memory
 * is an error.
 */
struct pgm_error *pgm_pg_program_init(struct pgm_program *prog, struct pgm_pg *pg);

/* Reads member `m` of the struct at `base` (zero-extended, at most 8 bytes). */
struct pgm_error *pgm_pg_read_member(const struct pgm_pg *pg, uint64_t base,
				     enum pgm_pg_member_id m, uint64_t *ret);
/* Same, sign-extended from the member's size. */
struct pgm_error *pgm_pg_read_member_signed(const struct pgm_pg *pg, uint64_t base,
					    enum pgm_pg_member_id m, int64_t *ret);
/* Address of member `m` within the struct at `base`. */
struct pgm_error *pgm_pg_member_addr(const struct pgm_pg *pg, uint64_t base,
				     enum pgm_pg_member_id m, uint64_t *ret);
/* Offset of member `m` within its struct. */
struct pgm_error *pgm_pg_member_offset(const struct pgm_pg *pg, enum pgm_pg_member_id m, uint64_t *ret);
/*
 * Reads a global scalar (at most 8 bytes, zero-extended).  A PGM_SHMEM
 * pointer whose address is unknown (a stripped build) reads as its
 * ShmemIndex entry's location, ShmemSegHdr as the main segment's header.
 * PGM_ERR_LOOKUP naming why when it cannot be known.
 */
struct pgm_error *pgm_pg_read_global(const struct pgm_pg *pg, enum pgm_pg_global_id g,
				     uint64_t *ret);
/* Same, sign-extended from the variable's size. */
struct pgm_error *pgm_pg_read_global_signed(const struct pgm_pg *pg, enum pgm_pg_global_id g,
					    int64_t *ret);
/* Size of struct s, PGM_ERR_LOOKUP if unresolved. */
struct pgm_error *pgm_pg_struct_size(const struct pgm_pg *pg, enum pgm_pg_struct_id s,
				     uint64_t *ret);
bool pgm_pg_has_member(const struct pgm_pg *pg, enum pgm_pg_member_id m);
bool pgm_pg_has_global(const struct pgm_pg *pg, enum pgm_pg_global_id g);

/* Element `i` (a char *) of a global array of strings, read as a string. */
struct pgm_error *pgm_pg_read_name_array(const struct pgm_pg *pg, enum pgm_pg_global_id g,
					 uint64_t i, char **ret);

/* ---- PGPROC ---- */

/* ProcGlobal->allProcCount, checked against PGM_PG_MAX_PROCS. */
struct pgm_error *pgm_pg_proc_count(const struct pgm_pg *pg, uint64_t *ret);
/* Address of allProcs[procno]; validates procno against allProcCount. */
struct pgm_error *pgm_pg_proc_addr(const struct pgm_pg *pg, int64_t procno, uint64_t *ret);
/* The pid in allProcs[procno]; 0 when it cannot be read. */
int32_t pgm_pg_procno_pid(const struct pgm_pg *pg, int32_t procno);
/* "15.18" from server_version_string, else the executable's PG_VERSION; NULL if unknown.  The caller frees it. */
char *pgm_pg_version_string(const struct pgm_pg *pg);
/* procno of the PGPROC at `proc`, from its position in allProcs. */
struct pgm_error *pgm_pg_procno(const struct pgm_pg *pg, uint64_t proc, int32_t *ret);
/* Address of this process's own PGPROC (MyProc); 0 if NULL. */
struct pgm_error *pgm_pg_my_proc(const struct pgm_pg *pg, uint64_t *ret);

/* Whether a proclist link ends the list: INVALID_PGPROCNO (PG_INT32_MAX to 16, -1 from 17). */
bool pgm_pg_proclist_end(int32_t procno);

/*
 * Walks a proclist (head procno, next-link member of PGPROC) into procnos.
 * Bounded and cycle-checked; *n is the number of entries written (at most
 * max).  A cycle or runaway is PGM_ERR_LIMIT, with the entries read so far.
 */
struct pgm_error *pgm_pg_walk_proclist(const struct pgm_pg *pg, int32_t head,
				       enum pgm_pg_member_id next_link,
				       int32_t *procnos, size_t max, size_t *n);

/*
 * Walks a proclist and adds each entry, procno -> pid, to w->waiters
 * (marking `self_procno`); sets w->waiters_known if the walk completed.
 * Returns the walk's error (read failure, cycle) for the caller to record,
 * or &pgm_enomem.
 */
struct pgm_error *pgm_pg_add_proclist_waiters(const struct pgm_pg *pg, int32_t head,
					      enum pgm_pg_member_id next_link, int32_t self_procno,
					      struct pgm_wait *w);

/*
 * Records a failed read in r: memory the capture lacks goes to r->missing
 * (a DSM segment's with its cause, so the report can say how to capture it),
 * anything else to r->diagnosis under `code` ("<what> could not be read:
 * <why>").  Consumes err; returns NULL or &pgm_enomem.
 */
struct pgm_error *pgm_pg_note_failure(struct pgm_report *r, const char *code, const char *what,
				      uint64_t address, struct pgm_error *err);

/* ---- heavyweight lock tags ---- */

/* A LOCK's raw LOCKTAG. */
struct pgm_pg_locktag {
	uint64_t f[4];           /* locktag_field1..4 */
	uint64_t type;           /* locktag_type */
};

/* Reads the raw tag of the LOCK at `lock`. */
struct pgm_error *pgm_pg_read_locktag(const struct pgm_pg *pg, uint64_t lock, struct pgm_pg_locktag *t);
/*
 * The tag as pg_locks shows it (lockfuncs.c): the type's name from the
 * process's LockTagTypeNames and the columns that type has.  *named is false
 * when the type has no name there ("locktag type N").  Deinit with
 * pgm_lock_tag_deinit().
 */
struct pgm_error *pgm_pg_lock_tag(const struct pgm_pg *pg, const struct pgm_pg_locktag *t,
				  struct pgm_lock_tag *ret, bool *named);

/* BackendType enumerator -> pg_stat_activity.backend_type, NULL if unknown. */
const char *pgm_pg_backend_type_desc(const char *enumerator);

/* ---- wait events ---- */

/*
 * Decodes wait_event_info as pg_stat_activity shows it.  *type is NULL for
 * info 0.  *name is owned by the caller (free()); it is "unknown event N"
 * when this build's tables cannot name it.
 */
struct pgm_error *pgm_pg_wait_event_decode(const struct pgm_pg *pg, uint32_t info,
					   const char **type, char **name);
/* The whole wait event of `info` into *we (deinit with the model's helper). */
struct pgm_error *pgm_pg_wait_event_fill(const struct pgm_pg *pg, uint32_t info, struct pgm_wait_event *we);
/* The LWLock tranche name for id, read from the process's name arrays. */
struct pgm_error *pgm_pg_lwlock_tranche_name(const struct pgm_pg *pg, uint32_t tranche, char **ret);

/* ---- one process: decoders into struct pgm_report ---- */

/*
 * The interrupt globals and held_lwlocks[] into r->interrupts.  Each counter
 * that cannot be read stays unknown, and why is recorded.
 */
struct pgm_error *pgm_pg_read_interrupts(const struct pgm_pg *pg, struct pgm_report *r);

/* LWLock lock-word decoding, shared by waiters and holders. */
struct pgm_lwlock_state {
	bool exclusive;
	uint32_t shared;
	bool has_waiters;
	bool locked;             /* the wait-list mutex bit */
};
struct pgm_error *pgm_pg_read_lwlock(const struct pgm_pg *pg, uint64_t lock, uint32_t *tranche,
				     struct pgm_lwlock_state *state);

/*
 * The condition variable at `cv` into r->wait.cv, and its wakeup queue
 * (PGPROC.cvWaitLink) into r->wait.waiters, marking `self_procno`.
 */
struct pgm_error *pgm_pg_read_cv(const struct pgm_pg *pg, uint64_t cv, int32_t self_procno,
				 struct pgm_report *r);

/*
 * Identifies the CV as btps_cv of a parallel btree scan and fills
 * r->wait.cv.btree: page status, scan page, index and table.  `index_scan`
 * is the IndexScanDesc from _bt_parallel_seize's frame (0 if unavailable:
 * then the scan state is found from the CV's address alone and relations
 * stay unnamed).  Returns PGM_ERR_LOOKUP if the CV is not a btree scan's.
 */
struct pgm_error *pgm_pg_read_btree_scan(const struct pgm_pg *pg, uint64_t index_scan, uint64_t cv,
					 struct pgm_report *r);

/*
 * A relcache entry's oid and name (RelationData at `rel`; 0 leaves *out
 * unknown).  The entry is private memory of the process, so it is in every
 * capture of it; a read failure means a damaged pointer, and the relation
 * then stays unnamed.  The caller frees out->name.
 */
struct pgm_error *pgm_pg_read_relation(const struct pgm_pg *pg, uint64_t rel, struct pgm_relation *out);

/* Identity: pid, procno, backend type, leader, database, wait event, query. */
struct pgm_error *pgm_pg_read_identity(const struct pgm_pg *pg, struct pgm_report *r);

/*
 * The lock group (parallel leader and workers) of the PGPROC `proc`, read
 * from the leader's lockGroupMembers list.  Fills r->group; members'
 * wait events are decoded.
 */
struct pgm_error *pgm_pg_read_group(const struct pgm_pg *pg, uint64_t proc, struct pgm_report *r);

/* ---- heavyweight locks (pg/lock.c) ---- */

/*
 * Walks a ring of {prev, next} nodes (SHM_QUEUE up to 15, dlist from 16)
 * from its head node `head` back to it (or to NULL): `next_off` is the next
 * pointer's offset in a node, `link_off` the node's offset in its
 * container.  *ret (the containers' addresses, malloc'ed) is the caller's to
 * free(), also on error.  A cycle or more than PGM_PG_MAX_LIST entries is
 * PGM_ERR_LIMIT, with the entries read so far.
 */
struct pgm_error *pgm_pg_walk_ring(const struct pgm_pg *pg, uint64_t head, uint64_t next_off,
				   uint64_t link_off, uint64_t **ret, size_t *n);
/* LockConflicts[mode] of the default lock method, read from the process. */
struct pgm_error *pgm_pg_lock_conflicts(const struct pgm_pg *pg, uint32_t mode, uint32_t *ret);
/* Names of the lock modes in mask from lock_mode_names[], joined by "+". */
struct pgm_error *pgm_pg_lock_mask_names(const struct pgm_pg *pg, uint32_t mask, char **ret);
/*
 * The heavyweight lock the PGPROC `proc` waits for (waitLock, waitLockMode)
 * into w: its tag and requested mode (w->hwlock), the processes that block
 * it (conflicting holders, and conflicting waiters queued ahead, as
 * pg_blocking_pids()) into w->holders, the wait queue into w->waiters.
 * Returns the first read failure (the caller records it); what was read
 * before it stays in w.
 */
struct pgm_error *pgm_pg_read_hwlock_wait(const struct pgm_pg *pg, uint64_t proc, struct pgm_wait *w);

/* ---- LWLock waits (pg/lwlock_wait.c, pg/lwlock_find.c) ---- */

/*
 * The LWLock that procno `self_procno` waits for, of tranche `tranche`,
 * when nothing names its address (a build without debuginfo): the one
 * LWLock in the main segment (pg->shmem) whose wait queue's ends are those
 * the process's own lwWaitLink leads to.  PGM_ERR_LOOKUP when the process
 * is on no queue or not exactly one LWLock matches.
 */
struct pgm_error *pgm_pg_find_waited_lwlock(const struct pgm_pg *pg, int32_t self_procno, uint32_t tranche,
					    uint64_t *ret);

/* "exclusive", "shared", "wait-until-free" for an LWLockMode value; "unknown". */
const char *pgm_pg_lwlock_mode_name(const struct pgm_pg *pg, uint64_t mode);
/*
 * The LWLock at `lock` that the PGPROC `proc` (procno self_procno) waits
 * for: tranche, lock word and requested mode into w->lwlock, its wait queue
 * (LWLock.waiters via PGPROC.lwWaitLink) into w->waiters.  Holders stay
 * unknown: held_lwlocks is private to each backend.  Returns the first read
 * failure, for the caller to record.
 */
struct pgm_error *pgm_pg_read_lwlock_wait(const struct pgm_pg *pg, uint64_t lock, uint64_t proc,
					  int32_t self_procno, struct pgm_wait *w);

/* ---- the instance view (pg/instance.c, pg/lockhash.c) ---- */

#define PGM_PG_MAX_HASH_ENTRIES (1 << 22)   /* entries of one shared hash table */
#define PGM_PG_MAX_HASH_BUCKETS (1 << 26)

/*
 * The identity of the instance whose memory pg reads; `build_id` (hex) is
 * the main executable's.  id->known is false when a part is unreadable.
 */
struct pgm_error *pgm_pg_identify(const struct pgm_pg *pg, const char *build_id, struct pgm_instance_id *id);

/*
 * Every backend (pg_stat_activity) and, with `locks`, every heavyweight
 * lock (pg_locks) into inst.  Only out of memory is an error; whatever
 * cannot be read is in inst->problems.
 */
struct pgm_error *pgm_pg_read_instance(const struct pgm_pg *pg, bool locks, struct pgm_instance *inst);

/* The BackendStatusArray entry in use that names pid; PGM_ERR_LOOKUP if none. */
struct pgm_error *pgm_pg_status_entry(const struct pgm_pg *pg, int32_t pid, uint64_t *ret);
/* The pids of BackendStatusArray's entries in use, sorted; the caller frees *ret. */
struct pgm_error *pgm_pg_status_pids(const struct pgm_pg *pg, int32_t **ret, size_t *n);

/*
 * The LWLocks r's process holds (r->interrupts.held_lwlocks), each with the
 * pids queued on it in pg's shared memory, appended to inst->holds.
 */
struct pgm_error *pgm_pg_read_lwlock_holds(const struct pgm_pg *pg, const struct pgm_report *r,
					   struct pgm_instance *inst);

/*
 * ---- the main segment's index (pg/shmem_index.c) ----
 *
 * A stripped build exports MyProc, ProcGlobal, MyProcPid … but not the
 * file-static pointers to shared structures (BackendStatusArray,
 * LockMethodLockHash, ShmemSegHdr …).  PostgreSQL registers each of those
 * structures by name in ShmemIndex, a shared hash table whose header the
 * main segment's PGShmemHeader points to; the segment is the mapping that
 * holds *ProcGlobal.  Read once per program.
 */
#define PGM_PG_MAX_SHMEM_INDEX 65536   /* entries of ShmemIndex */
#define PGM_PG_SHMEM_MAGIC 679834894   /* PGShmemMagic (pg_shmem.h), the same in every version */

struct pgm_pg_shmem {
	uint64_t header;                   /* the main segment's PGShmemHeader, 0 if not found */
	uint64_t location[PGM_SH_COUNT];   /* layout.def's PGM_SHMEM entries; 0: not in the index */
	uint64_t size[PGM_SH_COUNT];       /* their sizes, as ShmemInitStruct() was asked */
	size_t n_entries;                  /* entries the index holds */
	uint64_t blocks, blocks_size;      /* "Buffer Blocks": data pages, never a lock; 0 if absent */
	char *problem;                     /* why the segment or its index could not be read, or NULL */
};

/* Finds the segment and walks its index into *ret (free with pgm_pg_shmem_destroy). */
struct pgm_error *pgm_pg_shmem_read(const struct pgm_pg *pg, struct pgm_pg_shmem **ret);
void pgm_pg_shmem_destroy(struct pgm_pg_shmem *s);
/* The value a PGM_SHMEM global (or ShmemSegHdr) has, from the index; false if unknown. */
bool pgm_pg_shmem_value(const struct pgm_pg_shmem *s, enum pgm_pg_global_id g, uint64_t *ret);
/*
 * The size the index records for PGM_SHMEM entry `id` (a structure whose
 * length is a macro of sizes that differ by version, like ProcSignal's
 * slots): from pg->shmem, else the index read for this question alone.
 * PGM_ERR_LOOKUP when the index lacks it.
 */
struct pgm_error *pgm_pg_shmem_size(const struct pgm_pg *pg, enum pgm_pg_shmem_id id, uint64_t *ret);
/*
 * The header (HASHHDR) and directory of the shared hash table that global
 * `g` (an HTAB *) names: through the global, else its PGM_SHMEM_HASH index
 * entry, whose directory follows the header (dynahash.c, HASH_SHARED_MEM).
 */
struct pgm_error *pgm_pg_shared_hash(const struct pgm_pg *pg, enum pgm_pg_global_id g,
				     uint64_t *hctl, uint64_t *dir);

/*
 * The entries of the dynahash table whose (process-local) HTAB is at `htab`:
 * directory -> segments -> buckets -> HASHELEMENT chains, each entry's data
 * MAXALIGN(sizeof(HASHELEMENT)) after its element.  At most `max` entries.
 * A chain that is cyclic or leaves captured memory is noted in
 * inst->problems and the rest of the table still walked; only an
 * unreadable or implausible header is an error.  *ret is the caller's to
 * free(), also on error.
 */
struct pgm_error *pgm_pg_hash_entries(const struct pgm_pg *pg, uint64_t htab, size_t max,
				      struct pgm_instance *inst, uint64_t **ret, size_t *n);
/* The same from the table's shared header and directory (pgm_pg_shared_hash). */
struct pgm_error *pgm_pg_hash_entries_at(const struct pgm_pg *pg, uint64_t hctl, uint64_t dir, size_t max,
					 struct pgm_instance *inst, uint64_t **ret, size_t *n);

/*
 * pg_locks: every LOCK of the shared lock table (LockMethodLockHash) with
 * its PROCLOCKs, then every PGPROC's fast-path slots, into inst->locks.  A
 * corrupt entry is noted in inst->problems and skipped.
 */
struct pgm_error *pgm_pg_read_locks(const struct pgm_pg *pg, struct pgm_instance *inst);

/* "3/6": the PGPROC's virtual transaction (backend or proc number / local xid). */
struct pgm_error *pgm_pg_proc_vxid(const struct pgm_pg *pg, uint64_t proc, char **ret);

/* ---- frames ---- */

/*
 * The value of pointer-typed parameter or local `name` in frame `frame` of
 * `stack` (gdb numbering), through the DWARF engine: PGM_ERR_OPTIMIZED_OUT
 * or a read failure when it cannot be known.
 */
struct pgm_error *pgm_pg_frame_pointer(struct pgm_program *prog, const struct pgm_stack *stack,
				       size_t frame, const char *name, uint64_t *ret);
/* The same for an integer (or enum) variable, sign-extended unless unsigned. */
struct pgm_error *pgm_pg_frame_int(struct pgm_program *prog, const struct pgm_stack *stack, size_t frame,
				   const char *name, int64_t *ret);

/* ---- issue 16: WaitEventSet, sync rep, walsenders, shm_mq, ProcSignal, CV queues ---- */

/* The PGPROC of process `pid` (a walk of allProcs); PGM_ERR_LOOKUP if none. */
struct pgm_error *pgm_pg_proc_by_pid(const struct pgm_pg *pg, int32_t pid, uint64_t *ret);
/* Its wait event, as pg_stat_activity shows it. */
struct pgm_error *pgm_pg_pid_wait_event(const struct pgm_pg *pg, int32_t pid, struct pgm_wait_event *we);
/* The application_name in process `pid`'s PgBackendStatus; *ret NULL when it has none. */
struct pgm_error *pgm_pg_application_name(const struct pgm_pg *pg, int32_t pid, char **ret);

/*
 * The proclist through procno `self`, rebuilt from the members' own links
 * (e.g. PGPROC.cvWaitLink) when the list head is not in the capture:
 * prev links are followed to the head, next links to the tail, each
 * neighbour must link back, and a revisit is a cycle (PGM_ERR_LIMIT), so
 * the walk is bounded by allProcCount.  *ret (head first, malloc'ed, the
 * caller frees it) includes self.  *on_list is false when self's links are
 * both 0 (proclist_delete's mark): then *ret is empty.
 */
struct pgm_error *pgm_pg_walk_proclist_from(const struct pgm_pg *pg, int32_t self,
					    enum pgm_pg_member_id next_link, enum pgm_pg_member_id prev_link,
					    int32_t **ret, size_t *n, bool *on_list);
/*
 * The queue of the CV this process sleeps on, when the CV itself is not
 * captured: its waiters into r->wait.waiters through PGPROC.cvWaitLink,
 * r->wait.cv.queue_from_links set.  Failures are recorded in r.
 */
struct pgm_error *pgm_pg_read_cv_queue_from_links(const struct pgm_pg *pg, int32_t self_procno,
						  struct pgm_report *r);

/* pg/waitset.c: a Latch; the WaitEventSet at `set` into r->waitset; MyLatch into r->waitset.latch. */
struct pgm_error *pgm_pg_read_latch(const struct pgm_pg *pg, uint64_t latch, struct pgm_latch *l);
struct pgm_error *pgm_pg_read_waitset(const struct pgm_pg *pg, uint64_t set, struct pgm_report *r);
struct pgm_error *pgm_pg_read_my_latch(const struct pgm_pg *pg, struct pgm_report *r);

/*
 * pg/walsender.c: every WalSndCtl->walsnds[] slot in use (pid != 0), with
 * its application_name; *slots is max_wal_senders.  *ret is the caller's
 * (free each state and application_name, then the array).  Returns read
 * failures for the caller to record.
 */
struct pgm_error *pgm_pg_read_walsenders(const struct pgm_pg *pg, struct pgm_walsender **ret, size_t *n,
					 int32_t *slots);
/* pg/syncrep.c: the synchronous replication wait of the PGPROC `proc` into r->wait.syncrep. */
struct pgm_error *pgm_pg_read_syncrep_wait(const struct pgm_pg *pg, uint64_t proc, struct pgm_report *r);

/*
 * pg/shm_mq.c: the queue at `mq` (in a DSM segment: a read failure is
 * NOT_CAPTURED with its mapping); the queue and flag of a handle; the
 * background-worker slots in use that notify `leader` (its parallel
 * workers).  Read failures are returned for the caller to record.
 */
struct pgm_error *pgm_pg_read_shm_mq(const struct pgm_pg *pg, uint64_t mq, struct pgm_shm_mq *q);
struct pgm_error *pgm_pg_read_mq_handle(const struct pgm_pg *pg, uint64_t mqh, uint64_t *mq, bool *attached);
struct pgm_error *pgm_pg_read_group_workers(const struct pgm_pg *pg, int32_t leader, struct pgm_mq_wait *m);
/* BackgroundWorkerData->slot: its first slot, the number of slots (bounded) and their size. */
struct pgm_error *pgm_pg_bgworker_slots(const struct pgm_pg *pg, uint64_t *slot0, uint64_t *total, uint64_t *stride);

/* pg/procsignal.c: the barrier waited for and the slots that have not absorbed it, into r->wait.barrier. */
struct pgm_error *pgm_pg_read_barrier_wait(const struct pgm_pg *pg, bool has_generation, uint64_t generation,
					   uint64_t cv, struct pgm_report *r);

#endif
