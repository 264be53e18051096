/*
 * The wait-for graph of an instance: edges with their evidence, the roots
 * everyone ultimately waits on, and cycles (deadlocks).  Pure: no target
 * reads, no printing.  Nodes are pids; PGM_PID_UNKNOWN_HOLDER stands for a
 * holder this capture cannot name.
 *
 * Cycles come from the strongly connected components (Tarjan's algorithm,
 * iterative so that a long chain cannot exhaust the stack); each component
 * of more than one node, or with an edge to itself, is reported as one
 * cycle found by walking edges inside it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/storage.h"
#include "model/model.h"

static void free_results(struct pgm_graph *g)
{
	for (size_t i = 0; i < g->n_cycles; i++)
		free(g->cycles[i].pids);
	free(g->cycles);
	free(g->roots);
	g->cycles = NULL;
	g->roots = NULL;
	g->n_cycles = g->n_roots = 0;
}

/* Nodes (sorted pids) and adjacency in compressed rows: adj[start[v] .. start[v+1]). */
struct adjacency {
	int32_t *pids;
	size_t n;
	size_t *start;
	size_t *adj;
};

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static size_t node_of(const struct adjacency *a, int32_t pid)
{
	const int32_t *p = bsearch(&pid, a->pids, a->n, sizeof(*p), cmp_i32);
	return (size_t)(p - a->pids);
}

static void adjacency_free(struct adjacency *a)
{
	free(a->pids);
	free(a->start);
	free(a->adj);
}

static struct pgm_error *adjacency_build(const struct pgm_graph *g, struct adjacency *a)
{
	memset(a, 0, sizeof(*a));
	a->pids = malloc((2 * g->n_edges + 1) * sizeof(*a->pids));
	a->start = calloc(2 * g->n_edges + 2, sizeof(*a->start));
	a->adj = malloc((g->n_edges + 1) * sizeof(*a->adj));
	if (!a->pids || !a->start || !a->adj)
		return adjacency_free(a), &pgm_enomem;
	for (size_t i = 0; i < g->n_edges; i++) {
		a->pids[a->n++] = g->edges[i].from;
		a->pids[a->n++] = g->edges[i].to;
	}
	qsort(a->pids, a->n, sizeof(*a->pids), cmp_i32);
	size_t u = 0;
	for (size_t i = 0; i < a->n; i++)
		if (u == 0 || a->pids[u - 1] != a->pids[i])
			a->pids[u++] = a->pids[i];
	a->n = u;
	for (size_t i = 0; i < g->n_edges; i++)
		a->start[node_of(a, g->edges[i].from) + 1]++;
	for (size_t v = 0; v < a->n; v++)
		a->start[v + 1] += a->start[v];
	size_t *fill = calloc(a->n + 1, sizeof(*fill));
	if (!fill)
		return adjacency_free(a), &pgm_enomem;
	for (size_t i = 0; i < g->n_edges; i++) {
		size_t v = node_of(a, g->edges[i].from);
		a->adj[a->start[v] + fill[v]++] = node_of(a, g->edges[i].to);
	}
	free(fill);
	return NULL;
}

static struct pgm_error *find_roots(struct pgm_graph *g, const struct adjacency *a)
{
	bool *is_target = calloc(a->n + 1, sizeof(*is_target));
	g->roots = malloc((a->n + 1) * sizeof(*g->roots));
	if (!is_target || !g->roots)
		return free(is_target), &pgm_enomem;
	for (size_t i = 0; i < g->n_edges; i++)
		is_target[node_of(a, g->edges[i].to)] = true;
	for (size_t v = 0; v < a->n; v++)
		if (is_target[v] && a->start[v] == a->start[v + 1])
			g->roots[g->n_roots++] = a->pids[v];
	free(is_target);
	return NULL;
}

/* Tarjan's state, one entry per node; `comp` numbers the components. */
struct tarjan {
	size_t *index, *low, *comp, *stack, *call, *next_edge;
	bool *on_stack;
	size_t counter, n_comp, sp, cp;
};

static void tarjan_free(struct tarjan *t)
{
	free(t->index);
	free(t->low);
	free(t->comp);
	free(t->stack);
	free(t->call);
	free(t->next_edge);
	free(t->on_stack);
}

static void tarjan_pop_component(struct tarjan *t, size_t v)
{
	size_t w;
	do {
		w = t->stack[--t->sp];
		t->on_stack[w] = false;
		t->comp[w] = t->n_comp;
	} while (w != v);
	t->n_comp++;
}

static void tarjan_visit(struct tarjan *t, const struct adjacency *a, size_t root)
{
	t->call[t->cp++] = root;
	t->index[root] = t->low[root] = ++t->counter;
	t->stack[t->sp++] = root;
	t->on_stack[root] = true;
	t->next_edge[root] = a->start[root];
	while (t->cp) {
		size_t v = t->call[t->cp - 1];
		if (t->next_edge[v] < a->start[v + 1]) {
			size_t w = a->adj[t->next_edge[v]++];
			if (!t->index[w]) {
				t->index[w] = t->low[w] = ++t->counter;
				t->stack[t->sp++] = w;
				t->on_stack[w] = true;
				t->next_edge[w] = a->start[w];
				t->call[t->cp++] = w;
			} else if (t->on_stack[w] && t->index[w] < t->low[v]) {
				t->low[v] = t->index[w];
			}
			continue;
		}
		if (t->low[v] == t->index[v])
			tarjan_pop_component(t, v);
		if (--t->cp && t->low[v] < t->low[t->call[t->cp - 1]])
			t->low[t->call[t->cp - 1]] = t->low[v];
	}
}

/* Walks edges inside component c from v until a node repeats: that loop is a cycle. */
static struct pgm_error *extract_cycle(struct pgm_graph *g, const struct adjacency *a,
				       const struct tarjan *t, size_t v)
{
	size_t *path = malloc((a->n + 1) * sizeof(*path)), *seen_at = malloc((a->n + 1) * sizeof(*seen_at));
	if (!path || !seen_at)
		return free(path), free(seen_at), &pgm_enomem;
	for (size_t i = 0; i < a->n; i++)
		seen_at[i] = SIZE_MAX;
	size_t len = 0;
	while (seen_at[v] == SIZE_MAX) {
		seen_at[v] = len;
		path[len++] = v;
		size_t next = v;
		for (size_t e = a->start[v]; e < a->start[v + 1]; e++)
			if (t->comp[a->adj[e]] == t->comp[v]) {
				next = a->adj[e];
				break;
			}
		v = next;
	}
	struct pgm_cycle *c = realloc(g->cycles, (g->n_cycles + 1) * sizeof(*c));
	struct pgm_error *err = NULL;
	if (!c) {
		err = &pgm_enomem;
	} else {
		g->cycles = c;
		c = &c[g->n_cycles];
		c->n = len - seen_at[v];
		c->pids = malloc(c->n * sizeof(*c->pids));
		if (!c->pids)
			err = &pgm_enomem;
		for (size_t i = 0; c->pids && i < c->n; i++)
			c->pids[i] = a->pids[path[seen_at[v] + i]];
		if (!err)
			g->n_cycles++;
	}
	free(path);
	free(seen_at);
	return err;
}

static bool has_self_edge(const struct adjacency *a, size_t v)
{
	for (size_t e = a->start[v]; e < a->start[v + 1]; e++)
		if (a->adj[e] == v)
			return true;
	return false;
}

static struct pgm_error *find_cycles(struct pgm_graph *g, const struct adjacency *a)
{
	struct tarjan t = { .counter = 0 };
	size_t n = a->n + 1;
	t.index = calloc(n, sizeof(size_t));
	t.low = calloc(n, sizeof(size_t));
	t.comp = calloc(n, sizeof(size_t));
	t.stack = calloc(n, sizeof(size_t));
	t.call = calloc(n, sizeof(size_t));
	t.next_edge = calloc(n, sizeof(size_t));
	t.on_stack = calloc(n, sizeof(bool));
	size_t *comp_size = NULL;
	bool *reported = NULL;
	struct pgm_error *err = NULL;
	if (!t.index || !t.low || !t.comp || !t.stack || !t.call || !t.next_edge || !t.on_stack) {
		err = &pgm_enomem;
		goto out_free;
	}
	for (size_t v = 0; v < a->n; v++)
		if (!t.index[v])
			tarjan_visit(&t, a, v);
	comp_size = calloc(t.n_comp + 1, sizeof(*comp_size));
	reported = calloc(t.n_comp + 1, sizeof(*reported));
	if (!comp_size || !reported) {
		err = &pgm_enomem;
		goto out_free;
	}
	for (size_t v = 0; v < a->n; v++)
		comp_size[t.comp[v]]++;
	for (size_t v = 0; v < a->n && !err; v++) {
		size_t c = t.comp[v];
		if (reported[c] || (comp_size[c] < 2 && !has_self_edge(a, v)))
			continue;
		reported[c] = true;
		err = extract_cycle(g, a, &t, v);
	}
out_free:
	free(comp_size);
	free(reported);
	tarjan_free(&t);
	return err;
}

static int cmp_edge(const void *a, const void *b)
{
	const struct pgm_edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

/* Sorted by (from, to, kind), the first of each duplicate kept (qsort is not stable: the evidence may differ). */
static void dedupe_edges(struct pgm_graph *g)
{
	if (!g->n_edges)
		return;
	qsort(g->edges, g->n_edges, sizeof(*g->edges), cmp_edge);
	size_t u = 1;
	for (size_t i = 1; i < g->n_edges; i++) {
		if (cmp_edge(&g->edges[u - 1], &g->edges[i]) == 0)
			free(g->edges[i].evidence);
		else
			g->edges[u++] = g->edges[i];
	}
	g->n_edges = u;
}

struct pgm_error *pgm_graph_analyze(struct pgm_graph *g)
{
	free_results(g);
	dedupe_edges(g);
	struct adjacency a;
	struct pgm_error *err = adjacency_build(g, &a);
	if (err)
		return err;
	err = find_roots(g, &a);
	if (!err)
		err = find_cycles(g, &a);
	adjacency_free(&a);
	return err;
}

/* ---- building the graph from an instance ---- */

static const struct pgm_report *report_of(const struct pgm_instance *inst, int32_t pid)
{
	for (size_t i = 0; i < inst->n_reports; i++)
		if (inst->reports[i]->pid == pid)
			return inst->reports[i];
	return NULL;
}

static struct pgm_error *hwlock_edges(struct pgm_instance *inst)
{
	for (size_t i = 0; i < inst->n_backends; i++) {
		const struct pgm_backend *b = &inst->backends[i];
		const struct pgm_wait *w = b->hwlock;
		for (size_t k = 0; w && w->holders_known && k < w->n_holders; k++) {
			char *ev = NULL;
			if (asprintf(&ev, "waits for %s; %d %s", w->description ? w->description : "a heavyweight lock",
				     w->holders[k].pid, w->holders[k].evidence ? w->holders[k].evidence : "blocks it") < 0)
				return &pgm_enomem;
			struct pgm_error *err = pgm_graph_add_edge(&inst->graph, b->pid, w->holders[k].pid,
								   PGM_EDGE_HWLOCK, ev);
			free(ev);
			if (err)
				return err;
		}
	}
	return NULL;
}

/* A captured waiter whose lock another captured process holds: its report names the holder. */
static struct pgm_error *tell_lwlock_waiter(struct pgm_report *r, const struct pgm_lwlock_hold *h,
					    const struct pgm_report *holder)
{
	for (size_t i = 0; i < r->wait.n_holders; i++)
		if (r->wait.holders[i].pid == h->holder_pid)
			return NULL;
	struct pgm_holder *x;
	struct pgm_error *err = pgm_wait_add_holder(&r->wait, h->holder_pid, holder ? holder->procno : -1,
						    PGM_HOLDER_LWLOCK, h->mode, &x);
	if (!err && holder)
		err = pgm_model_strdup(&x->core, holder->source_path);
	if (!err)
		r->wait.holders_known = true;
	return err;
}

/* The sorted pids that have an edge of `kind`; the caller frees *ret. */
static struct pgm_error *sources_of(const struct pgm_graph *g, enum pgm_edge_kind kind, int32_t **ret, size_t *n)
{
	*n = 0;
	if (!(*ret = malloc((g->n_edges + 1) * sizeof(**ret))))
		return &pgm_enomem;
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].kind == kind)
			(*ret)[(*n)++] = g->edges[i].from;
	qsort(*ret, *n, sizeof(**ret), cmp_i32);
	return NULL;
}

static struct pgm_error *lwlock_hold_edges(struct pgm_instance *inst, const struct pgm_lwlock_hold *h)
{
	char ev[512];
	snprintf(ev, sizeof(ev), "waits on the %s LWLock at 0x%" PRIx64 ", which %d holds %s (held_lwlocks in its core)",
		 h->name, h->lock, h->holder_pid, h->mode);
	struct pgm_error *err = NULL;
	for (size_t k = 0; !err && k < h->n_waiters; k++)
		err = pgm_graph_add_edge(&inst->graph, h->waiters[k], h->holder_pid, PGM_EDGE_LWLOCK, ev);
	for (size_t r = 0; !err && r < inst->n_reports; r++) {
		struct pgm_report *w = inst->reports[r];
		if (w->wait.kind != PGM_WAIT_LWLOCK || !w->wait.has_address || w->wait.address != h->lock ||
		    w->pid == h->holder_pid)
			continue;
		if (!(err = pgm_graph_add_edge(&inst->graph, w->pid, h->holder_pid, PGM_EDGE_LWLOCK, ev)))
			err = tell_lwlock_waiter(w, h, report_of(inst, h->holder_pid));
	}
	return err;
}

static struct pgm_error *lwlock_edges(struct pgm_instance *inst)
{
	struct pgm_error *err = NULL;
	int32_t *named;
	size_t n_named;
	for (size_t i = 0; !err && i < inst->n_holds; i++)
		err = lwlock_hold_edges(inst, &inst->holds[i]);
	if (err || (err = sources_of(&inst->graph, PGM_EDGE_LWLOCK, &named, &n_named)))
		return err;
	for (size_t i = 0; !err && i < inst->n_backends; i++) {
		const struct pgm_backend *b = &inst->backends[i];
		if (pgm_wait_event_class(&b->wait_event) != PGM_WAIT_CLASS_LWLOCK ||
		    bsearch(&b->pid, named, n_named, sizeof(*named), cmp_i32))
			continue;
		char ev[256];
		snprintf(ev, sizeof(ev), "waits on LWLock/%s; its holder is unknown from this capture "
			 "(LWLock holders are private to each backend: add the holder's core)", b->wait_event.name);
		err = pgm_graph_add_edge(&inst->graph, b->pid, PGM_PID_UNKNOWN_HOLDER, PGM_EDGE_LWLOCK, ev);
	}
	free(named);
	return err;
}

/* Frames of a participant that is advancing a parallel btree scan (it owns BTPARALLEL_ADVANCING). */
static const char *const advancing_frames[] = { "_bt_parallel_release", "_bt_readpage", "_bt_readnextpage", NULL };

static const char *advancing_frame(const struct pgm_report *r, int *frame)
{
	if (!r || !r->n_stacks || r->wait.kind == PGM_WAIT_CONDITION_VARIABLE)
		return NULL;
	for (size_t i = 0; advancing_frames[i]; i++)
		if ((*frame = pgm_stack_find_function(r->stacks[0], advancing_frames[i])) >= 0)
			return advancing_frames[i];
	return NULL;
}

static struct pgm_error *set_advancer(struct pgm_scan_advancer *a, const struct pgm_group_member *g,
				      const char *function, int frame, const char *core)
{
	if (a->known)
		return NULL;
	a->known = true;
	a->pid = g->pid;
	a->is_leader = g->is_leader;
	a->frame = frame;
	struct pgm_error *err = pgm_model_strdup(&a->function, function);
	return err ? err : pgm_model_strdup(&a->core, core);
}

/*
 * `from` sleeps on w's CV, so it waits for member g, who is not queued on
 * it: `from` is w itself, or a process w's core shows in the CV's wakeup
 * queue whose own core was not given (both workers of a group get the same
 * edge, whichever core was given).
 */
static struct pgm_error *cv_member_edge(struct pgm_instance *inst, struct pgm_report *w,
					const struct pgm_group_member *g, int32_t from)
{
	const struct pgm_report *m = report_of(inst, g->pid);
	bool btree = w->wait.cv.owner == PGM_CV_OWNER_BTREE_SCAN;
	int frame = -1;
	const char *f = btree ? advancing_frame(m, &frame) : NULL;
	const char *index = btree ? w->wait.cv.btree.index.name : NULL;
	char ev[640], what[320] = "", how[96] = "sleeps on";
	if (index)   /* the index says which scan; its address says nothing more to a reader */
		snprintf(what, sizeof(what), " of the parallel btree scan of index %s", index);
	else if (w->wait.has_address && w->wait.address)   /* unknown without cv_sleep_target (no debuginfo) */
		snprintf(what, sizeof(what), "%s at 0x%" PRIx64, btree ? " of the parallel btree scan" : "",
			 w->wait.address);
	else if (btree)
		snprintf(what, sizeof(what), " of the parallel btree scan");
	if (from != w->pid)
		snprintf(how, sizeof(how), "is queued (as %d's core shows) on", w->pid);
	if (f)
		snprintf(ev, sizeof(ev), "%s the condition variable%s; %d holds the scan in BTPARALLEL_ADVANCING: "
			 "its stack is in %s (frame #%d of %s)", how, what, g->pid, f, frame, m->source_path);
	else
		snprintf(ev, sizeof(ev), "%s the condition variable%s; %s %d is not queued on it and can signal it",
			 how, what, g->is_leader ? "leader" : "worker", g->pid);
	struct pgm_error *err = pgm_graph_add_edge(&inst->graph, from, g->pid, PGM_EDGE_CV, ev);
	return !err && f && from == w->pid ? set_advancer(&w->wait.cv.btree.advancer, g, f, frame, m->source_path)
					   : err;
}

static struct pgm_error *cv_edges(struct pgm_instance *inst)
{
	struct pgm_error *err = NULL;
	for (size_t r = 0; !err && r < inst->n_reports; r++) {
		struct pgm_report *w = inst->reports[r];
		if (w->wait.kind != PGM_WAIT_CONDITION_VARIABLE)
			continue;
		for (size_t i = 0; !err && i < w->n_group; i++) {
			if (w->group[i].is_self || w->group[i].queued_on_same != PGM_QUEUED_NO)
				continue;
			err = cv_member_edge(inst, w, &w->group[i], w->pid);
			/* the others in its queue, whose cores were not given, wait for the same member */
			for (size_t q = 0; !err && q < w->n_group; q++)
				if (!w->group[q].is_self && w->group[q].queued_on_same == PGM_QUEUED_YES &&
				    !report_of(inst, w->group[q].pid))
					err = cv_member_edge(inst, w, &w->group[i], w->group[q].pid);
		}
	}
	return err;
}

/* Has `pid` an edge of `kind` already (a core told more than pg_stat_activity can)? */
static bool has_edge_from(const struct pgm_graph *g, int32_t pid, enum pgm_edge_kind kind)
{
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].from == pid && g->edges[i].kind == kind)
			return true;
	return false;
}

/*
 * Parallel groups without a core telling more: a member waiting on an IPC
 * event (a CV, a tuple queue, the Gather) waits for members that are not
 * waiting on the same event.
 */
static struct pgm_error *parallel_edges(struct pgm_instance *inst)
{
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < inst->n_backends; i++) {
		const struct pgm_backend *b = &inst->backends[i];
		const struct pgm_report *r = report_of(inst, b->pid);
		if (pgm_wait_event_class(&b->wait_event) != PGM_WAIT_CLASS_IPC ||
		    (r && r->wait.kind == PGM_WAIT_CONDITION_VARIABLE) || has_edge_from(&inst->graph, b->pid, PGM_EDGE_CV) ||
		    (r && r->wait.kind == PGM_WAIT_MESSAGE_QUEUE && (r->wait.mq.counterpart_pid || r->wait.mq.gather)))
			continue;
		int32_t leader = b->leader_pid ? b->leader_pid : b->pid;
		for (size_t k = 0; !err && k < inst->n_backends; k++) {
			const struct pgm_backend *m = &inst->backends[k];
			bool member = m->pid == leader || m->leader_pid == leader;
			if (!member || m->pid == b->pid || (m->wait_event.known && m->wait_event.info == b->wait_event.info))
				continue;
			char ev[384];
			snprintf(ev, sizeof(ev), "waits on IPC/%s in its parallel group; %s %d is not waiting on it (%s%s%s)",
				 b->wait_event.name, m->pid == leader ? "leader" : "worker", m->pid,
				 m->wait_event.type ? m->wait_event.type : "running", m->wait_event.type ? "/" : "",
				 m->wait_event.type ? m->wait_event.name : "");
			err = pgm_graph_add_edge(&inst->graph, b->pid, m->pid, PGM_EDGE_PARALLEL, ev);
		}
	}
	return err;
}

struct pgm_error *pgm_instance_build_graph(struct pgm_instance *inst)
{
	struct pgm_error *err;
	pgm_graph_deinit(&inst->graph);
	if ((err = hwlock_edges(inst)) || (err = lwlock_edges(inst)) || (err = cv_edges(inst)) ||
	    (err = parallel_edges(inst)) || (err = pgm_storage_edges(inst)) ||
	    (err = pgm_instance_waits_edges(inst)))
		return err;
	return pgm_graph_analyze(&inst->graph);
}
