/*
 * The instance model: construction, builders and destruction
 * (pgmortem/instance.h).  The readers are in pg/, the graph's analysis in
 * analysis/graph.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

struct pgm_instance *pgm_instance_create(void)
{
	return calloc(1, sizeof(struct pgm_instance));
}

void pgm_instance_id_deinit(struct pgm_instance_id *id)
{
	free(id->build_id);
	memset(id, 0, sizeof(*id));
}

bool pgm_instance_id_equal(const struct pgm_instance_id *a, const struct pgm_instance_id *b)
{
	return a->known && b->known && a->system_identifier == b->system_identifier &&
	       a->postmaster_pid == b->postmaster_pid && a->shmem_address == b->shmem_address &&
	       a->data_dir_device == b->data_dir_device && a->data_dir_inode == b->data_dir_inode &&
	       strcmp(a->build_id, b->build_id) == 0;
}

void pgm_backend_deinit(struct pgm_backend *b)
{
	free(b->gid);
	free(b->backend_type);
	free(b->application_name);
	free(b->state);
	free(b->query);
	pgm_wait_event_deinit(&b->wait_event);
	if (b->hwlock)
		pgm_wait_deinit(b->hwlock);
	free(b->hwlock);
	memset(b, 0, sizeof(*b));
}

void pgm_lock_row_deinit(struct pgm_lock_row *row)
{
	pgm_lock_tag_deinit(&row->tag);
	free(row->virtualtransaction);
	free(row->mode);
	memset(row, 0, sizeof(*row));
}

static void hold_deinit(struct pgm_lwlock_hold *h)
{
	free(h->name);
	free(h->mode);
	free(h->waiters);
}

void pgm_instance_destroy(struct pgm_instance *inst)
{
	if (!inst)
		return;
	pgm_instance_id_deinit(&inst->id);
	free(inst->source_path);
	free(inst->pg_version);
	pgm_layout_origin_deinit(&inst->layout);
	for (size_t i = 0; i < inst->n_backends; i++)
		pgm_backend_deinit(&inst->backends[i]);
	free(inst->backends);
	for (size_t i = 0; i < inst->n_locks; i++)
		pgm_lock_row_deinit(&inst->locks[i]);
	free(inst->locks);
	for (size_t i = 0; i < inst->n_holds; i++)
		hold_deinit(&inst->holds[i]);
	free(inst->holds);
	for (size_t i = 0; i < inst->n_reports; i++)
		pgm_report_destroy(inst->reports[i]);
	free(inst->reports);
	pgm_graph_deinit(&inst->graph);
	for (size_t i = 0; i < inst->n_problems; i++)
		free(inst->problems[i]);
	free(inst->problems);
	free(inst);
}

struct pgm_error *pgm_instance_add_problem(struct pgm_instance *inst, const char *fmt, ...)
{
	if (inst->n_problems >= PGM_INSTANCE_MAX_PROBLEMS) {
		inst->n_problems_dropped++;
		return NULL;
	}
	char **p = pgm_model_grow((void **)&inst->problems, &inst->n_problems, sizeof(*p));
	if (!p)
		return &pgm_enomem;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(p, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		*p = NULL;
		inst->n_problems--;
		return &pgm_enomem;
	}
	return NULL;
}

struct pgm_error *pgm_instance_add_report(struct pgm_instance *inst, struct pgm_report *r)
{
	for (size_t i = 0; i < inst->n_reports; i++)
		if (r->pid && inst->reports[i]->pid == r->pid) {
			struct pgm_error *err = pgm_instance_add_problem(inst, "%s and %s are both of pid %d: the "
				"wait-for graph uses the first", inst->reports[i]->source_path, r->source_path, r->pid);
			if (err)
				return err;
			break;
		}
	struct pgm_report **slot = pgm_model_grow((void **)&inst->reports, &inst->n_reports, sizeof(*slot));
	if (!slot)
		return &pgm_enomem;
	*slot = r;
	for (size_t i = 0; i < inst->n_backends; i++)
		if (inst->backends[i].pid == r->pid && r->pid && !inst->backends[i].core)
			inst->backends[i].core = r->source_path;
	return NULL;
}

/* Edges grow in chunks: a queue of n waiters has O(n^2) pg_blocking_pids edges. */
struct pgm_error *pgm_graph_add_edge(struct pgm_graph *g, int32_t from, int32_t to,
				     enum pgm_edge_kind kind, const char *evidence)
{
	struct pgm_edge *e = g->edges;
	if (g->n_edges % 256 == 0 && !(e = realloc(g->edges, (g->n_edges + 256) * sizeof(*e))))
		return &pgm_enomem;
	g->edges = e;
	e = &e[g->n_edges];
	*e = (struct pgm_edge){ .from = from, .to = to, .kind = kind, .evidence = strdup(evidence ? evidence : "") };
	if (!e->evidence)
		return &pgm_enomem;
	g->n_edges++;
	return NULL;
}

void pgm_graph_deinit(struct pgm_graph *g)
{
	for (size_t i = 0; i < g->n_edges; i++)
		free(g->edges[i].evidence);
	free(g->edges);
	for (size_t i = 0; i < g->n_cycles; i++)
		free(g->cycles[i].pids);
	free(g->cycles);
	free(g->roots);
	memset(g, 0, sizeof(*g));
}

const char *pgm_edge_kind_name(enum pgm_edge_kind k)
{
	switch (k) {
	case PGM_EDGE_HWLOCK: return "hwlock";
	case PGM_EDGE_LWLOCK: return "lwlock";
	case PGM_EDGE_CV: return "cv";
	case PGM_EDGE_PARALLEL: return "parallel";
	case PGM_EDGE_BUFFER_PIN: return "buffer_pin";
	case PGM_EDGE_BUFFER_IO: return "buffer_io";
	case PGM_EDGE_SLOT: return "replication_slot";
	case PGM_EDGE_SYNC_REP: return "sync_rep";
	case PGM_EDGE_MESSAGE_QUEUE: return "message_queue";
	case PGM_EDGE_BARRIER: return "barrier";
	}
	return "unknown";
}
