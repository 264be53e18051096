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
	bool truncated;
	if (!err)
		err = pgm_target_read_string(pg->target, addr, 96, &s, &truncated);
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
		return pgm_error_destroy(err), NULL;
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
static char *read_query(const struct pgm_pg *pg)
{
	uint64_t be = 0, ptr = 0;
	char *q = NULL;
	bool truncated;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyBEEntry, &be);
	if (!err && be)
		err = pgm_pg_read_member(pg, be, PGM_M_PgBackendStatus_activity_raw, &ptr);
	if (!err && be && ptr)
		err = pgm_target_read_string(pg->target, ptr, PGM_PG_MAX_STRING, &q, &truncated);
	bool from_status = !err && be && ptr;
	pgm_error_destroy(err);
	if (from_status)
		return q;
	err = pgm_pg_read_global(pg, PGM_G_debug_query_string, &ptr);
	if (!err && ptr)
		err = pgm_target_read_string(pg->target, ptr, PGM_PG_MAX_STRING, &q, &truncated);
	pgm_error_destroy(err);
	return q;
}

static struct pgm_error *read_proc_identity(const struct pgm_pg *pg, uint64_t proc, struct pgm_report *r)
{
	uint64_t leader = 0, info = 0, db = 0;
	struct pgm_error *err = pgm_pg_procno(pg, proc, &r->procno);
	if (err)
		return pgm_error_destroy(err), NULL;
	if (!(err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lockGroupLeader, &leader)) && leader &&
	    leader != proc) {
		uint64_t pid;
		if (!(err = pgm_pg_read_member(pg, leader, PGM_M_PGPROC_pid, &pid)))
			r->leader_pid = (int32_t)pid;
	}
	pgm_error_destroy(err);
	if (!(err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_databaseId, &db)))
		r->database_oid = (uint32_t)db;
	pgm_error_destroy(err);
	if (!(err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_wait_event_info, &info))) {
		r->wait_event.known = true;
		r->wait_event.info = (uint32_t)info;
		const char *type;
		err = pgm_pg_wait_event_decode(pg, (uint32_t)info, &type, &r->wait_event.name);
		if (!err && type && !(r->wait_event.type = strdup(type)))
			err = &pgm_enomem;
	}
	return pgm_error_is_read_failure(err) || (err && err->code == PGM_ERR_LOOKUP)
		       ? (pgm_error_destroy(err), NULL) : err;
}

struct pgm_error *pgm_pg_read_identity(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t pid, proc = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyProcPid, &pid);
	if (!err && pid)
		r->pid = (int32_t)pid;
	pgm_error_destroy(err);
	r->procno = PGM_INVALID_PROCNO;
	if ((err = read_backend_type(pg, r)))
		return err;
	r->query = read_query(pg);
	err = pgm_pg_my_proc(pg, &proc);
	pgm_error_destroy(err);
	if (err || proc == 0)
		return NULL;
	r->is_backend = true;
	return read_proc_identity(pg, proc, r);
}

static struct pgm_error *add_member(const struct pgm_pg *pg, uint64_t proc, uint64_t leader,
				    uint64_t self, struct pgm_report *r)
{
	struct pgm_group_member *g = realloc(r->group, (r->n_group + 1) * sizeof(*g));
	if (!g)
		return &pgm_enomem;
	r->group = g;
	g = &g[r->n_group++];
	memset(g, 0, sizeof(*g));
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
	g->wait_event.known = true;
	g->wait_event.info = (uint32_t)info;
	const char *type;
	if ((err = pgm_pg_wait_event_decode(pg, (uint32_t)info, &type, &g->wait_event.name)))
		return err;
	if (type && !(g->wait_event.type = strdup(type)))
		return &pgm_enomem;
	return NULL;
}

/*
 * lockGroupMembers is a dlist in the leader's PGPROC whose nodes are the
 * members' lockGroupLink; the walk ends back at the list head's own node.
 */
struct pgm_error *pgm_pg_read_group(const struct pgm_pg *pg, uint64_t proc, struct pgm_report *r)
{
	uint64_t leader, head, node, link_off;
	struct pgm_error *err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lockGroupLeader, &leader);
	if (err || leader == 0)
		return err;
	if ((err = pgm_pg_member_addr(pg, leader, PGM_M_PGPROC_lockGroupMembers, &head)) ||
	    (err = pgm_pg_read_member(pg, head, PGM_M_dlist_node_next, &node)) ||
	    (err = pgm_pg_member_offset(pg, PGM_M_PGPROC_lockGroupLink, &link_off)))
		return err;
	for (size_t steps = 0; node != head; steps++) {
		if (steps >= PGM_PG_MAX_LIST || node == 0)
			return pgm_error_create(PGM_ERR_LIMIT, "lock group list of PGPROC 0x%" PRIx64
						" is damaged or cyclic", leader);
		if ((err = add_member(pg, node - link_off, leader, proc, r)) ||
		    (err = pgm_pg_read_member(pg, node, PGM_M_dlist_node_next, &node)))
			return err;
	}
	return NULL;
}
