/*
 * The instance as JSON ("schema": 1).  Backends use pg_stat_activity's
 * column names, locks pg_locks', so scripts can compare them directly.
 * Addresses are "0x…" strings and the system identifier a decimal string
 * (JSON numbers lose precision past 2^53).
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "render/backends_render.h"
#include "render/report_render.h"
#include "render/wait_fields.h"

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *addr(uint64_t a)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, a);
	return json_object_new_string(buf);
}

static json_object *identity_json(const struct pgm_instance *inst)
{
	json_object *o = json_object_new_object();
	char sysid[32];
	snprintf(sysid, sizeof(sysid), "%" PRIu64, inst->id.system_identifier);
	json_object_object_add(o, "known", json_object_new_boolean(inst->id.known));
	json_object_object_add(o, "system_identifier", json_object_new_string(sysid));
	json_object_object_add(o, "postmaster_pid", json_object_new_int(inst->id.postmaster_pid));
	json_object_object_add(o, "shmem_address", addr(inst->id.shmem_address));
	json_object_object_add(o, "data_dir_device", json_object_new_int64((int64_t)inst->id.data_dir_device));
	json_object_object_add(o, "data_dir_inode", json_object_new_int64((int64_t)inst->id.data_dir_inode));
	json_object_object_add(o, "build_id", str_or_null(inst->id.build_id));
	return o;
}

static json_object *timestamp(int64_t us)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	char buf[64];
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%06" PRId64 "+00:00", us % 1000000);
	return json_object_new_string(buf);
}

/* pg_blocking_pids(): the holders of the lock it waits for, null when not known. */
static json_object *blocking_json(const struct pgm_backend *b)
{
	if (!b->hwlock || !b->hwlock->holders_known)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < b->hwlock->n_holders; i++)
		json_object_array_add(a, json_object_new_int(b->hwlock->holders[i].pid));
	return a;
}

static json_object *backend_json(const struct pgm_backend *b)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "pid", b->pid ? json_object_new_int(b->pid) : NULL);
	json_object_object_add(o, "procno", json_object_new_int(b->procno));
	json_object_object_add(o, "prepared_xact", json_object_new_boolean(b->prepared_xact));
	json_object_object_add(o, "gid", str_or_null(b->gid));
	json_object_object_add(o, "backend_type", str_or_null(b->backend_type));
	/* as pg_stat_activity: null where the process has no database or role (InvalidOid) */
	json_object_object_add(o, "datid", b->database_oid ? json_object_new_int64(b->database_oid) : NULL);
	json_object_object_add(o, "usesysid", b->role_oid ? json_object_new_int64(b->role_oid) : NULL);
	json_object_object_add(o, "status_known", json_object_new_boolean(b->status_known));
	json_object_object_add(o, "status_changing", json_object_new_boolean(b->status_changing));
	json_object_object_add(o, "application_name", str_or_null(b->application_name));
	json_object_object_add(o, "state", str_or_null(b->state));
	json_object_object_add(o, "query", str_or_null(b->query));
	json_object_object_add(o, "backend_start", b->has_backend_start ? timestamp(b->backend_start_us) : NULL);
	json_object_object_add(o, "wait_event_type", b->wait_event.known ? str_or_null(b->wait_event.type) : NULL);
	json_object_object_add(o, "wait_event", b->wait_event.known ? str_or_null(b->wait_event.name) : NULL);
	json_object_object_add(o, "leader_pid", b->leader_pid ? json_object_new_int(b->leader_pid) : NULL);
	json_object_object_add(o, "blocking", blocking_json(b));
	json_object_object_add(o, "lock_wait", b->hwlock ? str_or_null(b->hwlock->description) : NULL);
	json_object_object_add(o, "core", str_or_null(b->core));
	return o;
}

static void add_column(void *arg, const struct pgm_field *f)
{
	json_object_object_add(arg, f->key, f->type == PGM_FIELD_STR ? str_or_null(f->str)
								    : json_object_new_int64((int64_t)f->u));
}

static json_object *lock_json(const struct pgm_lock_row *l)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "locktype", str_or_null(l->tag.locktype));
	pgm_lock_tag_fields(&l->tag, true, add_column, o);
	json_object_object_add(o, "virtualtransaction", str_or_null(l->virtualtransaction));
	json_object_object_add(o, "pid", l->pid ? json_object_new_int(l->pid) : NULL);
	json_object_object_add(o, "mode", str_or_null(l->mode));
	json_object_object_add(o, "granted", json_object_new_boolean(l->granted));
	json_object_object_add(o, "fastpath", json_object_new_boolean(l->fastpath));
	json_object_object_add(o, "lock_address", l->lock ? addr(l->lock) : NULL);
	return o;
}

static json_object *holds_json(const struct pgm_instance *inst)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < inst->n_holds; i++) {
		const struct pgm_lwlock_hold *h = &inst->holds[i];
		json_object *o = json_object_new_object(), *w = json_object_new_array();
		json_object_object_add(o, "holder", json_object_new_int(h->holder_pid));
		json_object_object_add(o, "lock", addr(h->lock));
		json_object_object_add(o, "tranche", str_or_null(h->name));
		json_object_object_add(o, "mode", str_or_null(h->mode));
		for (size_t k = 0; k < h->n_waiters; k++)
			json_object_array_add(w, json_object_new_int(h->waiters[k]));
		json_object_object_add(o, "waiters", h->waiters_known ? w : (json_object_put(w), NULL));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *pid_or_unknown(int32_t pid)
{
	return pid == PGM_PID_UNKNOWN_HOLDER ? json_object_new_string("unknown") : json_object_new_int(pid);
}

static json_object *graph_json(const struct pgm_graph *g)
{
	json_object *o = json_object_new_object(), *edges = json_object_new_array(),
		    *roots = json_object_new_array(), *cycles = json_object_new_array();
	for (size_t i = 0; i < g->n_edges; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "from", json_object_new_int(g->edges[i].from));
		json_object_object_add(e, "to", pid_or_unknown(g->edges[i].to));
		json_object_object_add(e, "kind", json_object_new_string(pgm_edge_kind_name(g->edges[i].kind)));
		json_object_object_add(e, "evidence", json_object_new_string(g->edges[i].evidence));
		json_object_array_add(edges, e);
	}
	for (size_t i = 0; i < g->n_roots; i++)
		json_object_array_add(roots, pid_or_unknown(g->roots[i]));
	for (size_t i = 0; i < g->n_cycles; i++) {
		json_object *c = json_object_new_array();
		for (size_t k = 0; k < g->cycles[i].n; k++)
			json_object_array_add(c, json_object_new_int(g->cycles[i].pids[k]));
		json_object_array_add(cycles, c);
	}
	json_object_object_add(o, "edges", edges);
	json_object_object_add(o, "roots", roots);
	json_object_object_add(o, "cycles", cycles);
	return o;
}

json_object *pgm_render_instance_json_object(const struct pgm_instance *inst, bool locks)
{
	json_object *o = json_object_new_object(), *b = json_object_new_array(), *p = json_object_new_array();
	json_object_object_add(o, "schema", json_object_new_int(PGM_INSTANCE_SCHEMA));
	json_object_object_add(o, "instance", identity_json(inst));
	json_object_object_add(o, "source", json_object_new_string(inst->source_path));
	json_object_object_add(o, "pg_version", str_or_null(inst->pg_version));
	json_object_object_add(o, "layout", pgm_render_layout_origin_json(&inst->layout));
	for (size_t i = 0; i < inst->n_backends; i++)
		json_object_array_add(b, backend_json(&inst->backends[i]));
	json_object_object_add(o, "backends", b);
	if (locks) {
		json_object *l = json_object_new_array();
		for (size_t i = 0; i < inst->n_locks; i++)
			json_object_array_add(l, lock_json(&inst->locks[i]));
		json_object_object_add(o, "locks", l);
		json_object_object_add(o, "locks_complete", json_object_new_boolean(inst->locks_known));
	}
	json_object_object_add(o, "lwlock_holds", holds_json(inst));
	json_object_object_add(o, "graph", graph_json(&inst->graph));
	for (size_t i = 0; i < inst->n_problems; i++)
		json_object_array_add(p, json_object_new_string(inst->problems[i]));
	json_object_object_add(o, "problems", p);
	return o;
}
