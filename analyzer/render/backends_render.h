/*
 * Renderers of the instance view (pgmortem/instance.h): the backends table
 * (pg_stat_activity), the lock table (pg_locks), the wait-for graph.  Text
 * for people, JSON ("schema": 1) for programs, DOT for Graphviz.
 */
#ifndef PGMORTEM_RENDER_BACKENDS_H
#define PGMORTEM_RENDER_BACKENDS_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "pgmortem/instance.h"

struct pgm_instance_style {
	bool color;              /* ANSI colors: only on a TTY and without NO_COLOR */
	bool locks;              /* the lock table */
	bool brief;              /* a section of another report: no query column, no lock table */
};

void pgm_render_instance_text(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *style);
/*
 * The instance as a json-c object (without the per-core reports); the caller
 * owns it.  NULL members are unknown or, as in PostgreSQL, not applicable:
 *   {schema, instance: {known, system_identifier (string), postmaster_pid,
 *    shmem_address, data_dir_device, data_dir_inode, build_id}, source, pg_version,
 *    backends: [{pid, procno, prepared_xact, gid, backend_type, datid, usesysid,
 *                status_known, status_changing, application_name, state, query,
 *                backend_start, wait_event_type, wait_event, leader_pid,
 *                blocking (pg_blocking_pids), lock_wait, core}],
 *    locks: [{locktype, database, relation, page, tuple, virtualxid, transactionid,
 *             classid, objid, objsubid, virtualtransaction, pid, mode, granted,
 *             fastpath, lock_address}],          (with `locks`; and locks_complete)
 *    lwlock_holds: [{holder, lock, tranche, mode, waiters}],
 *    graph: {edges: [{from, to ("unknown" for the unknown holder), kind, evidence}],
 *            roots: [...], cycles: [[pid, ...]]},
 *    problems: [string]}
 */
json_object *pgm_render_instance_json_object(const struct pgm_instance *inst, bool locks);
/* The wait-for graph as a Graphviz digraph. */
void pgm_render_graph_dot(FILE *out, const struct pgm_instance *inst);

#endif
