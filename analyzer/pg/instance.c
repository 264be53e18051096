/*
 * The instance view: every live PGPROC joined with its PgBackendStatus
 * entry (pg_stat_activity), pg_blocking_pids() of every heavyweight-lock
 * waiter, the identity of the instance, and the LWLocks that captured
 * processes hold.
 *
 * BackendStatusArray is indexed differently across versions (backend id,
 * auxiliary type or proc number), so entries are joined by pid.  Its
 * length is MaxBackends + NUM_AUXPROCTYPES where the AuxProcType enum
 * exists (up to 17), else one slot per PGPROC of allProcCount (18).
 *
 * allProcCount excludes the prepared transactions' dummy PGPROCs, which
 * follow it in allProcs; they are found through TwoPhaseState.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

#define POSTGRES_EPOCH_US 946684800000000LL   /* 2000-01-01 in Unix microseconds */
#define NAMEDATALEN 64          /* the size of every name buffer in shared memory */
#define PID_MAX_LIMIT 4194304   /* Linux: no pid is larger (include/linux/threads.h) */

/* ---- identity ---- */

static struct pgm_error *read_identity(const struct pgm_pg *pg, struct pgm_instance_id *id)
{
	uint64_t control, hdr, pid;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_ControlFile, &control)) ||
	    (err = pgm_pg_read_member(pg, control, PGM_M_ControlFileData_system_identifier, &id->system_identifier)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_ShmemSegHdr, &hdr)) ||
	    (err = pgm_pg_read_member(pg, hdr, PGM_M_PGShmemHeader_creatorPID, &pid)) ||
	    (err = pgm_pg_read_member(pg, hdr, PGM_M_PGShmemHeader_device, &id->data_dir_device)) ||
	    (err = pgm_pg_read_member(pg, hdr, PGM_M_PGShmemHeader_inode, &id->data_dir_inode)))
		return err;
	id->postmaster_pid = (int32_t)pid;
	id->shmem_address = hdr;
	id->known = hdr != 0 && pid != 0 && id->build_id && *id->build_id;
	return NULL;
}

struct pgm_error *pgm_pg_identify(const struct pgm_pg *pg, const char *build_id, struct pgm_instance_id *id)
{
	memset(id, 0, sizeof(*id));
	if (!(id->build_id = strdup(build_id ? build_id : "")))
		return &pgm_enomem;
	struct pgm_error *err = read_identity(pg, id);
	if (err == &pgm_enomem)
		return err;
	/* an instance whose identity cannot be read is never merged with another: known stays false */
	if (err)
		id->known = false;
	pgm_error_destroy(err);
	return NULL;
}

/* ---- names ---- */

/* BackendState enumerator -> pg_stat_activity.state; STATE_UNDEFINED is NULL. */
static const struct { const char *enumerator, *state; } state_names[] = {
	{ "STATE_STARTING", "starting" }, { "STATE_IDLE", "idle" }, { "STATE_RUNNING", "active" },
	{ "STATE_IDLEINTRANSACTION", "idle in transaction" }, { "STATE_FASTPATH", "fastpath function call" },
	{ "STATE_IDLEINTRANSACTION_ABORTED", "idle in transaction (aborted)" }, { "STATE_DISABLED", "disabled" },
};

/* An unknown enumerator is shown as itself rather than dropped. */
static const char *backend_type_desc(const char *e)
{
	const char *desc = e ? pgm_pg_backend_type_desc(e) : NULL;
	return desc ? desc : e;
}

static const char *state_desc(const char *e)
{
	for (size_t i = 0; e && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(state_names[i].enumerator, e) == 0)
			return state_names[i].state;
	return NULL;
}

/* ---- PgBackendStatus ---- */

struct status_slot {
	int32_t pid;
	uint64_t addr;
	bool changing;
};

static int cmp_slot(const void *a, const void *b)
{
	int32_t x = ((const struct status_slot *)a)->pid, y = ((const struct status_slot *)b)->pid;
	return (x > y) - (x < y);
}

static struct pgm_error *status_slot_count(const struct pgm_pg *pg, uint64_t n_procs, uint64_t *ret)
{
	int64_t max_backends, aux;
	struct pgm_error *err;
	*ret = n_procs;
	if (pgm_pg_enum_value(pg->layout, PGM_E_AuxProcType, "NUM_AUXPROCTYPES", &aux)) {
		if ((err = pgm_pg_read_global_signed(pg, PGM_G_MaxBackends, &max_backends)))
			return err;
		*ret = (uint64_t)(max_backends + aux);
	}
	if (*ret > PGM_PG_MAX_PROCS)
		return pgm_error_create(PGM_ERR_LIMIT, "%" PRIu64 " backend status slots is implausible", *ret);
	return NULL;
}

/* The in-use slots of BackendStatusArray, sorted by pid. */
static struct pgm_error *read_status_slots(const struct pgm_pg *pg, uint64_t n_procs,
					   struct status_slot **ret, size_t *n)
{
	uint64_t base, count, stride;
	*ret = NULL;
	*n = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_BackendStatusArray, &base)) ||
	    (err = status_slot_count(pg, n_procs, &count)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_PgBackendStatus, &stride)))
		return err;
	if (!(*ret = calloc(count + 1, sizeof(**ret))))
		return &pgm_enomem;
	for (uint64_t i = 0; i < count && base; i++) {
		uint64_t addr = base + i * stride, pid, changecount;
		if ((err = pgm_pg_read_member(pg, addr, PGM_M_PgBackendStatus_procpid, &pid)) ||
		    (err = pgm_pg_read_member(pg, addr, PGM_M_PgBackendStatus_changecount, &changecount)))
			return err;
		if ((int32_t)pid > 0)
			(*ret)[(*n)++] = (struct status_slot){ (int32_t)pid, addr, changecount & 1 };
	}
	qsort(*ret, *n, sizeof(**ret), cmp_slot);
	return NULL;
}

struct pgm_error *pgm_pg_status_pids(const struct pgm_pg *pg, int32_t **ret, size_t *n)
{
	uint64_t count;
	struct status_slot *slots = NULL;
	struct pgm_error *err = pgm_pg_proc_count(pg, &count);
	*ret = NULL;
	*n = 0;
	if (!err)
		err = read_status_slots(pg, count, &slots, n);
	if (!err && !(*ret = calloc(*n + 1, sizeof(**ret))))
		err = &pgm_enomem;
	for (size_t i = 0; !err && i < *n; i++)
		(*ret)[i] = slots[i].pid;
	free(slots);
	return err;
}

struct pgm_error *pgm_pg_status_entry(const struct pgm_pg *pg, int32_t pid, uint64_t *ret)
{
	uint64_t count;
	struct status_slot *slots = NULL;
	size_t n = 0;
	struct pgm_error *err = pgm_pg_proc_count(pg, &count);
	if (!err)
		err = read_status_slots(pg, count, &slots, &n);
	struct status_slot key = { .pid = pid }, *hit = err ? NULL : bsearch(&key, slots, n, sizeof(*slots), cmp_slot);
	if (!err && !hit)
		err = pgm_error_create(PGM_ERR_LOOKUP, "no backend status entry names pid %d", pid);
	if (!err)
		*ret = hit->addr;
	free(slots);
	return err;
}

/* Texts of the status entry (the query, the application name) identify people: private. */
static char *read_cstring(const struct pgm_pg *pg, uint64_t base, enum pgm_pg_member_id m, size_t max)
{
	uint64_t p;
	char *s = NULL;
	struct pgm_error *err = pgm_pg_read_member(pg, base, m, &p);
	if (!err && p)
		err = pgm_target_read_private_text(pg->target, p, max, &s);
	/* an unreadable text is shown as unknown (NULL), like pg_stat_activity's own NULLs */
	pgm_error_destroy(err);
	return s;
}

/* The bgw_type of the background worker `pid` (pg_stat_activity shows it), or NULL. */
static char *bgworker_type(const struct pgm_pg *pg, int32_t pid)
{
	uint64_t total, slot0, stride;
	struct pgm_error *err = pgm_pg_bgworker_slots(pg, &slot0, &total, &stride);
	if (err)
		return pgm_error_destroy(err), NULL;
	for (uint64_t i = 0; i < total; i++) {
		uint64_t slot = slot0 + i * stride, in_use, spid, name;
		if ((err = pgm_pg_read_member(pg, slot, PGM_M_BackgroundWorkerSlot_in_use, &in_use)) ||
		    (err = pgm_pg_read_member(pg, slot, PGM_M_BackgroundWorkerSlot_pid, &spid)))
			return pgm_error_destroy(err), NULL;
		if (!in_use || (int32_t)spid != pid)
			continue;
		char *s = NULL;
		err = pgm_pg_member_addr(pg, slot, PGM_M_BackgroundWorkerSlot_bgw_type, &name);
		if (!err)
			err = pgm_target_read_text(pg->target, name, 96, &s);
		/* the backend type from the status entry stands in */
		pgm_error_destroy(err);
		return s;
	}
	return NULL;
}

static struct pgm_error *fill_status(const struct pgm_pg *pg, const struct status_slot *slot, struct pgm_backend *b)
{
	uint64_t type, state, start;
	b->status_changing = slot->changing;
	if (slot->changing)
		return NULL;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, slot->addr, PGM_M_PgBackendStatus_backendType, &type)) ||
	    (err = pgm_pg_read_member(pg, slot->addr, PGM_M_PgBackendStatus_state, &state)))
		return err;
	const char *te = pgm_pg_enum_name(pg->layout, PGM_E_BackendType, (int64_t)type);
	b->backend_type = te && strcmp(te, "B_BG_WORKER") == 0 ? bgworker_type(pg, b->pid) : NULL;
	const char *desc = backend_type_desc(te);
	if (!b->backend_type && desc && !(b->backend_type = strdup(desc)))
		return &pgm_enomem;
	const char *st = state_desc(pgm_pg_enum_name(pg->layout, PGM_E_BackendState, (int64_t)state));
	if (st && !(b->state = strdup(st)))
		return &pgm_enomem;
	b->application_name = read_cstring(pg, slot->addr, PGM_M_PgBackendStatus_appname, NAMEDATALEN);
	b->query = read_cstring(pg, slot->addr, PGM_M_PgBackendStatus_activity_raw, PGM_PG_MAX_STRING);
	if (!(err = pgm_pg_read_member(pg, slot->addr, PGM_M_PgBackendStatus_proc_start, &start)) && start) {
		b->has_backend_start = true;
		b->backend_start_us = (int64_t)start + POSTGRES_EPOCH_US;
	}
	pgm_error_destroy(err);
	b->status_known = true;
	return NULL;
}

/* The application_name of process `pid` (issue 16: walsenders name their standby by it). */
struct pgm_error *pgm_pg_application_name(const struct pgm_pg *pg, int32_t pid, char **ret)
{
	uint64_t n_procs;
	struct status_slot *slots = NULL;
	size_t n = 0;
	*ret = NULL;
	struct pgm_error *err = pgm_pg_proc_count(pg, &n_procs);
	if (!err)
		err = read_status_slots(pg, n_procs, &slots, &n);
	struct status_slot key = { .pid = pid };
	const struct status_slot *found = err ? NULL : bsearch(&key, slots, n, sizeof(*slots), cmp_slot);
	if (found && !found->changing)
		*ret = read_cstring(pg, found->addr, PGM_M_PgBackendStatus_appname, NAMEDATALEN);
	free(slots);
	return err;
}

/* ---- PGPROC ---- */

static struct pgm_error *fill_wait(const struct pgm_pg *pg, uint64_t proc, struct pgm_backend *b)
{
	uint64_t info;
	struct pgm_error *err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_wait_event_info, &info);
	return err ? err : pgm_pg_wait_event_fill(pg, (uint32_t)info, &b->wait_event);
}

/* pg_blocking_pids(), through lock.c's reading of the wait (the same code a single core uses). */
static struct pgm_error *fill_blocking(const struct pgm_pg *pg, uint64_t proc, struct pgm_backend *b)
{
	struct pgm_wait *w = calloc(1, sizeof(*w));
	if (!w)
		return &pgm_enomem;
	w->kind = PGM_WAIT_HEAVYWEIGHT_LOCK;
	struct pgm_error *err = pgm_pg_read_hwlock_wait(pg, proc, w);
	if (err && err != &pgm_enomem) {
		pgm_wait_deinit(w);
		free(w);
		return err;
	}
	b->hwlock = w;
	return err;
}

static struct pgm_error *fill_proc(const struct pgm_pg *pg, uint64_t proc, struct pgm_backend *b)
{
	uint64_t db = 0, role = 0, leader = 0, wait_lock = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_databaseId, &db)) ||
	    (err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_roleId, &role)) ||
	    (err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lockGroupLeader, &leader)) ||
	    (err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_waitLock, &wait_lock)) ||
	    (err = fill_wait(pg, proc, b)))
		return err;
	b->database_oid = (uint32_t)db;
	b->role_oid = (uint32_t)role;
	if (leader && leader != proc) {
		uint64_t pid;
		if (!(err = pgm_pg_read_member(pg, leader, PGM_M_PGPROC_pid, &pid)))
			b->leader_pid = (int32_t)pid;
		/* a damaged leader pointer leaves the leader unknown (0) */
		pgm_error_destroy(err);
	}
	b->waiting_hwlock = wait_lock != 0;
	return NULL;
}

/* The backends array being filled: never written past `cap`. */
struct backend_rows {
	struct pgm_instance *inst;
	size_t cap;
	const struct status_slot *slots;
	size_t n_slots;
};

/* A row for the PGPROC at `proc`: live backend (pid != 0) or, with `gid`, a prepared transaction. */
static struct pgm_error *read_backend(const struct pgm_pg *pg, struct backend_rows *rows, uint64_t proc,
				      int32_t procno, char *gid)
{
	struct pgm_instance *inst = rows->inst;
	uint64_t pid;
	struct pgm_error *err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &pid);
	if (err || (pid == 0 && !gid))
		return free(gid), err;
	if ((int32_t)pid < 0 || pid > PID_MAX_LIMIT)
		return free(gid), pgm_error_create(PGM_ERR_FORMAT, "its pid %" PRId64 " is not a process id",
						   (int64_t)(int32_t)pid);
	if (inst->n_backends >= rows->cap)
		return free(gid), pgm_error_create(PGM_ERR_LIMIT, "more live PGPROCs than allProcs holds");
	struct pgm_backend *b = &inst->backends[inst->n_backends];
	memset(b, 0, sizeof(*b));
	b->pid = (int32_t)pid;
	b->procno = procno;
	b->gid = gid;
	b->prepared_xact = gid != NULL;
	err = fill_proc(pg, proc, b);
	struct status_slot key = { .pid = b->pid };
	const struct status_slot *slot = pid && !gid && rows->n_slots
		? bsearch(&key, rows->slots, rows->n_slots, sizeof(key), cmp_slot) : NULL;
	if (!err && slot)
		err = fill_status(pg, slot, b);
	if (!err && b->waiting_hwlock)
		err = fill_blocking(pg, proc, b);
	if (err && err != &pgm_enomem) {
		struct pgm_error *e2 = pgm_instance_add_problem(inst, "PGPROC %d (pid %d) partly unreadable: %s",
								procno, b->pid, err->message);
		pgm_error_destroy(err);
		err = e2;
	}
	inst->n_backends++;
	if (err)
		pgm_backend_deinit(b), inst->n_backends--;
	return err;
}

/* A problem instead of a failed read; out of memory passes through. */
static struct pgm_error *noted(struct pgm_instance *inst, struct pgm_error *err, const char *what, uint64_t i)
{
	if (!err || err == &pgm_enomem)
		return err;
	struct pgm_error *e2 = pgm_instance_add_problem(inst, "%s %" PRIu64 " skipped: %s", what, i, err->message);
	pgm_error_destroy(err);
	return e2;
}

/* One valid prepared transaction of TwoPhaseState->prepXacts: its dummy PGPROC after allProcCount. */
static struct pgm_error *read_prepared(const struct pgm_pg *pg, struct backend_rows *rows, uint64_t gx,
				       uint64_t procs, uint64_t stride, uint64_t max_procno)
{
	uint64_t procno, valid, gid_addr;
	char *gid = NULL;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, gx, PGM_M_GlobalTransactionData_pgprocno, &procno)) ||
	    (err = pgm_pg_read_member(pg, gx, PGM_M_GlobalTransactionData_valid, &valid)) ||
	    (err = pgm_pg_member_addr(pg, gx, PGM_M_GlobalTransactionData_gid, &gid_addr)))
		return err;
	if (!valid)
		return NULL;
	if (procno >= max_procno)
		return pgm_error_create(PGM_ERR_FORMAT, "pgprocno %" PRIu64 " is past allProcs", procno);
	if ((err = pgm_target_read_text(pg->target, gid_addr, 200, &gid)))
		return err;
	return read_backend(pg, rows, procs + procno * stride, (int32_t)procno, gid);
}

static struct pgm_error *read_prepared_xacts(const struct pgm_pg *pg, struct backend_rows *rows, uint64_t hdr,
					     uint64_t count, int64_t max_prepared)
{
	uint64_t state, n, arr, procs, stride;
	struct pgm_error *err;
	if (max_prepared <= 0 || (err = pgm_pg_read_global(pg, PGM_G_TwoPhaseState, &state)) || state == 0)
		return max_prepared <= 0 ? NULL : err;
	if ((err = pgm_pg_read_member(pg, state, PGM_M_TwoPhaseStateData_numPrepXacts, &n)) ||
	    (err = pgm_pg_member_addr(pg, state, PGM_M_TwoPhaseStateData_prepXacts, &arr)) ||
	    (err = pgm_pg_read_member(pg, hdr, PGM_M_PROC_HDR_allProcs, &procs)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_PGPROC, &stride)))
		return err;
	if (n > (uint64_t)max_prepared)
		return pgm_error_create(PGM_ERR_FORMAT, "numPrepXacts %" PRIu64 " exceeds max_prepared_transactions %" PRId64,
					n, max_prepared);
	for (uint64_t i = 0; !err && i < n; i++) {
		uint64_t gx;
		err = pgm_target_read_u64(pg->target, arr + 8 * i, &gx);
		if (!err)
			err = read_prepared(pg, rows, gx, procs, stride, count + (uint64_t)max_prepared);
		err = noted(rows->inst, err, "prepared transaction", i);
	}
	return err;
}

/*
 * max_prepared_transactions bounds the dummy PGPROCs after allProcCount; the
 * two together can be no more than PGM_PG_MAX_PROCS, whatever the capture says.
 */
static int64_t prepared_bound(const struct pgm_pg *pg, uint64_t count)
{
	int64_t prepared = 0;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_max_prepared_xacts, &prepared);
	/* unreadable: no prepared transactions are looked for */
	pgm_error_destroy(err);
	if (err || prepared < 0 || (uint64_t)prepared > PGM_PG_MAX_PROCS - count)
		return 0;
	return prepared;
}

static struct pgm_error *read_backends(const struct pgm_pg *pg, struct pgm_instance *inst)
{
	uint64_t hdr, count;
	struct status_slot *slots = NULL;
	size_t n_slots = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_ProcGlobal, &hdr)) || (err = pgm_pg_proc_count(pg, &count)))
		return err;
	int64_t prepared = prepared_bound(pg, count);
	struct backend_rows rows = { .inst = inst, .cap = count + (uint64_t)prepared };
	if (!(inst->backends = calloc(rows.cap + 1, sizeof(*inst->backends))))
		return &pgm_enomem;
	err = read_status_slots(pg, count, &slots, &n_slots);
	if (err && err != &pgm_enomem) {
		struct pgm_error *e2 = pgm_instance_add_problem(inst, "BackendStatusArray unreadable: %s "
								"(types, states and queries unknown)", err->message);
		pgm_error_destroy(err);
		err = e2;
		n_slots = 0;
	}
	rows.slots = slots;
	rows.n_slots = n_slots;
	for (uint64_t i = 0; !err && i < count; i++) {
		uint64_t proc;
		err = pgm_pg_proc_addr(pg, (int64_t)i, &proc);
		if (!err)
			err = read_backend(pg, &rows, proc, (int32_t)i, NULL);
		err = noted(inst, err, "PGPROC", i);
	}
	free(slots);
	if (!err)
		err = noted(inst, read_prepared_xacts(pg, &rows, hdr, count, prepared),
			    "the prepared transactions of TwoPhaseState", 0);
	inst->backends_known = !err;
	return err;
}

/* ---- the instance ---- */

struct pgm_error *pgm_pg_read_instance(const struct pgm_pg *pg, bool locks, struct pgm_instance *inst)
{
	inst->pg_version = pgm_pg_version_string(pg);
	if (!pg->layout->has_debuginfo)
		return pgm_instance_add_problem(inst, "the executable has no DWARF debuginfo: shared memory "
						"cannot be decoded (pass --debug-dir, or -e a debug build)");
	struct pgm_error *err = read_backends(pg, inst);
	if (err && err != &pgm_enomem) {
		struct pgm_error *e2 = pgm_instance_add_problem(inst, "the PGPROC array is unreadable: %s", err->message);
		pgm_error_destroy(err);
		err = e2;
	}
	if (!err && locks)
		err = pgm_pg_read_locks(pg, inst);
	return err;
}

/* ---- LWLocks held by captured processes ---- */

/* Who is queued on the LWLock at `lock`, in the source core's shared memory. */
static struct pgm_error *hold_waiters(const struct pgm_pg *pg, struct pgm_lwlock_hold *h)
{
	int64_t head;
	int32_t procnos[256];
	size_t n = 0;
	struct pgm_error *err = pgm_pg_read_member_signed(pg, h->lock, PGM_M_LWLock_waiters_head, &head);
	if (!err)
		err = pgm_pg_walk_proclist(pg, (int32_t)head, PGM_M_PGPROC_lwWaitLink_next, procnos,
					   sizeof(procnos) / sizeof(procnos[0]), &n);
	if (!(h->waiters = calloc(n + 1, sizeof(*h->waiters))))
		return pgm_error_destroy(err), &pgm_enomem;
	for (size_t i = 0; i < n; i++) {
		int32_t pid = pgm_pg_procno_pid(pg, procnos[i]);
		if (pid)
			h->waiters[h->n_waiters++] = pid;
	}
	/* an unreadable queue leaves waiters_known false: the graph then relies on the waiters' own cores */
	h->waiters_known = err == NULL;
	pgm_error_destroy(err);
	return NULL;
}

struct pgm_error *pgm_pg_read_lwlock_holds(const struct pgm_pg *pg, const struct pgm_report *r,
					   struct pgm_instance *inst)
{
	const struct pgm_interrupts *in = &r->interrupts;
	for (size_t i = 0; i < in->n_held_lwlocks; i++) {
		struct pgm_lwlock_hold *h = pgm_model_grow((void **)&inst->holds, &inst->n_holds, sizeof(*h));
		if (!h)
			return &pgm_enomem;
		h->holder_pid = r->pid;
		h->lock = in->held_lwlocks[i].address;
		struct pgm_error *err;
		if ((err = pgm_model_strdup(&h->name, in->held_lwlocks[i].name ? in->held_lwlocks[i].name : "LWLock")) ||
		    (err = pgm_model_strdup(&h->mode, in->held_lwlocks[i].mode ? in->held_lwlocks[i].mode : "unknown")) ||
		    (err = hold_waiters(pg, h)))
			return err;
	}
	return NULL;
}
