/*
 * Who the process is: pid, PGPROC number, backend type as pg_stat_activity
 * names it, parallel leader, database, query text; and its lock group.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

/* BackendType enumerator -> pg_stat_activity.backend_type (GetBackendTypeDesc). */
static const struct { const char *enumerator, *desc; } backend_type_names[] = {
	{ "B_INVALID", "not initialized" },
	{ "B_BACKEND", "client backend" },
	{ "B_DEAD_END_BACKEND", "dead-end client backend" },
	{ "B_AUTOVAC_LAUNCHER", "autovacuum launcher" },
	{ "B_AUTOVAC_WORKER", "autovacuum worker" },
	{ "B_BG_WORKER", "background worker" },
	{ "B_WAL_SENDER", "walsender" },
	{ "B_SLOTSYNC_WORKER", "slotsync worker" },
	{ "B_STANDALONE_BACKEND", "standalone backend" },
	{ "B_ARCHIVER", "archiver" },
	{ "B_BG_WRITER", "background writer" },
	{ "B_CHECKPOINTER", "checkpointer" },
	{ "B_IO_WORKER", "io worker" },
	{ "B_LOGGER", "logger" },
	{ "B_STARTUP", "startup" },
	{ "B_STATS_COLLECTOR", "stats collector" },
	{ "B_WAL_RECEIVER", "walreceiver" },
	{ "B_WAL_SUMMARIZER", "walsummarizer" },
	{ "B_WAL_WRITER", "walwriter" },
};

const char *pgm_pg_backend_type_desc(const char *enumerator)
{
	for (size_t i = 0; i < sizeof(backend_type_names) / sizeof(backend_type_names[0]); i++)
		if (strcmp(backend_type_names[i].enumerator, enumerator) == 0)
			return backend_type_names[i].desc;
	return NULL;
}

/* Background workers show their bgw_type ("parallel worker") instead. */
static char *bgworker_type(const struct pgm_pg *pg)
{
	uint64_t entry, addr;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyBgworkerEntry, &entry);
	if (!err)
		err = pgm_pg_member_addr(pg, entry, PGM_M_BackgroundWorker_bgw_type, &addr);
	char *s = NULL;
	if (!err)
		err = pgm_target_read_text(pg->target, addr, 96, &s);
	/* the type is told otherwise (MyBackendType) when this cannot be read */
	pgm_error_destroy(err);
	if (s && !*s) {
		free(s);
		s = NULL;
	}
	return s;
}

static struct pgm_error *read_backend_type(const struct pgm_pg *pg, struct pgm_report *r)
{
	int64_t bt;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_MyBackendType, &bt);
	if (err)
		return pgm_pg_note_failure(r, "backend-type-unknown", "MyBackendType",
					   pg->layout->globals[PGM_G_MyBackendType].address, err);
	const char *e = pgm_pg_enum_name(pg->layout, PGM_E_BackendType, bt);
	const char *desc = e ? pgm_pg_backend_type_desc(e) : NULL;
	if (e && strcmp(e, "B_BG_WORKER") == 0 && (r->backend_type = bgworker_type(pg)))
		return NULL;
	r->backend_type = strdup(desc ? desc : e ? e : "unknown");
	return r->backend_type ? NULL : &pgm_enomem;
}

/*
 * The query as pg_stat_activity shows it: PgBackendStatus.st_activity_raw,
 * empty for a backend that has run nothing yet.  Only when the status entry
 * cannot be read, debug_query_string (private memory, set while a query runs).
 */
static char *read_query(const struct pgm_pg *pg, int32_t pid)
{
	uint64_t be = 0, ptr = 0;
	char *q = NULL;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyBEEntry, &be);
	if (err && err->code == PGM_ERR_LOOKUP && pg->shmem) {
		/* a file-static before 14, which a stripped build does not name: the entry of this pid */
		pgm_error_destroy(err);
		err = pgm_pg_status_entry(pg, pid, &be);
	}
	if (!err && be)
		err = pgm_pg_read_member(pg, be, PGM_M_PgBackendStatus_activity_raw, &ptr);
	if (!err && be && ptr)
		err = pgm_target_read_private_text(pg->target, ptr, PGM_PG_MAX_STRING, &q);
	bool from_status = !err && be && ptr;
	/* either source will do: the query stays unknown (NULL) only if both fail */
	pgm_error_destroy(err);
	if (from_status)
		return q;
	err = pgm_pg_read_global(pg, PGM_G_debug_query_string, &ptr);
	if (!err && ptr)
		err = pgm_target_read_private_text(pg->target, ptr, PGM_PG_MAX_STRING, &q);
	pgm_error_destroy(err);
	return q;
}

/* Every fact here is optional for the analysis: a failed read leaves it unknown and says so. */
static struct pgm_error *read_proc_identity(const struct pgm_pg *pg, uint64_t proc, struct pgm_report *r)
{
	uint64_t leader = 0, info = 0, db = 0, pid;
	struct pgm_error *err = pgm_pg_procno(pg, proc, &r->procno);
	if (!err && !(err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lockGroupLeader, &leader)) && leader &&
	    leader != proc && !(err = pgm_pg_read_member(pg, leader, PGM_M_PGPROC_pid, &pid)))
		r->leader_pid = (int32_t)pid;
	if (!err && !(err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_databaseId, &db)))
		r->database_oid = (uint32_t)db;
	if (!err && !(err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_wait_event_info, &info)))
		err = pgm_pg_wait_event_fill(pg, (uint32_t)info, &r->wait_event);
	return pgm_pg_note_failure(r, "proc-unreadable", "its PGPROC (MyProc)", proc, err);
}

struct pgm_error *pgm_pg_read_identity(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t pid, proc = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyProcPid, &pid);
	if (!err && pid)
		r->pid = (int32_t)pid;
	/* the target's own pid stands when MyProcPid cannot be read */
	pgm_error_destroy(err);
	r->procno = PGM_INVALID_PROCNO;
	if ((err = read_backend_type(pg, r)))
		return err;
	r->query = read_query(pg, r->pid);
	err = pgm_pg_my_proc(pg, &proc);
	if (err || proc == 0)
		return pgm_pg_note_failure(r, "myproc-unreadable", "MyProc", 0, err);
	r->is_backend = true;
	return read_proc_identity(pg, proc, r);
}

static struct pgm_error *add_member(const struct pgm_pg *pg, uint64_t proc, uint64_t leader,
				    uint64_t self, struct pgm_report *r)
{
	struct pgm_group_member *g = pgm_model_grow((void **)&r->group, &r->n_group, sizeof(*g));
	if (!g)
		return &pgm_enomem;
	g->is_leader = proc == leader;
	g->is_self = proc == self;
	uint64_t pid = 0, info = 0;
	struct pgm_error *err = pgm_pg_procno(pg, proc, &g->procno);
	if (!err)
		err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &pid);
	if (!err)
		err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_wait_event_info, &info);
	if (err)
		return err;
	g->pid = (int32_t)pid;
	return pgm_pg_wait_event_fill(pg, (uint32_t)info, &g->wait_event);
}

/*
 * lockGroupMembers is a dlist in the leader's PGPROC whose nodes are the
 * members' lockGroupLink; the walk ends back at the list head's own node.
 * A group has at most one member per PGPROC.
 */
static struct pgm_error *walk_group(const struct pgm_pg *pg, uint64_t proc, uint64_t leader, struct pgm_report *r)
{
	uint64_t head, node, link_off, max = PGM_PG_MAX_PROCS;
	struct pgm_error *err;
	if ((err = pgm_pg_member_addr(pg, leader, PGM_M_PGPROC_lockGroupMembers, &head)) ||
	    (err = pgm_pg_read_member(pg, head, PGM_M_dlist_node_next, &node)) ||
	    (err = pgm_pg_member_offset(pg, PGM_M_PGPROC_lockGroupLink, &link_off)))
		return err;
	pgm_error_destroy(pgm_pg_proc_count(pg, &max));
	for (size_t steps = 0; node != head; steps++) {
		if (steps >= max || node == 0)
			return pgm_error_create(PGM_ERR_LIMIT, "the lock group list of PGPROC 0x%" PRIx64
						" is damaged or cyclic", leader);
		if ((err = add_member(pg, node - link_off, leader, proc, r)) ||
		    (err = pgm_pg_read_member(pg, node, PGM_M_dlist_node_next, &node)))
			return err;
	}
	return NULL;
}

struct pgm_error *pgm_pg_read_group(const struct pgm_pg *pg, uint64_t proc, struct pgm_report *r)
{
	uint64_t leader = 0;
	struct pgm_error *err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lockGroupLeader, &leader);
	if (!err && leader)
		err = walk_group(pg, proc, leader, r);
	if (err && err != &pgm_enomem && !pgm_error_is_read_failure(err)) {
		struct pgm_error *e2 = pgm_report_add_diagnosis(r, "group-damaged",
			"the parallel group could not be read whole: %s", err->message);
		pgm_error_destroy(err);
		return e2;
	}
	return pgm_pg_note_failure(r, "group-unreadable", "the parallel group", leader, err);
}
