/* The instance as text: backends like pg_stat_activity, locks like pg_locks, the wait-for graph. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "render/backends_render.h"
#include "render/report_render.h"
#include "render/wait_fields.h"

#define BOLD "\033[1m"
#define RESET "\033[0m"
#define QUERY_WIDTH 60

static void heading(FILE *out, const struct pgm_instance_style *st, const char *title, size_t n)
{
	fprintf(out, "\n%s%s (%zu)%s\n", st->color ? BOLD : "", title, n, st->color ? RESET : "");
}

static void print_identity(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *st)
{
	fprintf(out, "%sInstance%s  PostgreSQL %s", st->color ? BOLD : "", st->color ? RESET : "",
		inst->pg_version ? inst->pg_version : "(version unknown)");
	if (inst->id.known)
		fprintf(out, ", postmaster %d, system identifier %" PRIu64, inst->id.postmaster_pid,
			inst->id.system_identifier);
	fprintf(out, "\n          shared memory as captured in %s\n", inst->source_path);
	if (inst->layout.source != PGM_LAYOUT_DWARF)
		pgm_render_layout_origin_text(out, "layouts", &inst->layout);
	for (size_t i = 0; i < inst->n_reports; i++)
		if (strcmp(inst->reports[i]->source_path, inst->source_path) != 0)
			fprintf(out, "          with the private state of %d from %s\n", inst->reports[i]->pid,
				inst->reports[i]->source_path);
}

/* The query on one line, cut to `width` characters. */
static void one_line(char *buf, size_t len, const char *s, size_t width)
{
	size_t o = 0;
	for (; s && *s && o + 1 < len && o < width; s++)
		buf[o++] = (*s == '\n' || *s == '\t' || *s == '\r') ? ' ' : *s;
	if (s && *s && o >= 3)
		memcpy(buf + o - 3, "...", 3);
	buf[o] = '\0';
}

/*
 * Tables whose columns are as wide as their widest cell (at least as wide as
 * `min`), so a long application name or wait event shifts the columns after
 * it on every row alike.  Each row is formatted twice: to measure, then to print.
 */
struct table {
	size_t n_cols;
	const int *min;          /* per column; 0: free text, never padded (the last) */
	int width[12];
};

static void table_measure(struct table *t, const char *const *cells)
{
	for (size_t i = 0; i < t->n_cols; i++) {
		int len = (int)strlen(cells[i]);
		if (t->width[i] < t->min[i])
			t->width[i] = t->min[i];
		if (len > t->width[i])
			t->width[i] = len;
	}
}

/* A row, without trailing blanks after its last non-empty cell. */
static void table_print(FILE *out, const struct table *t, const char *const *cells)
{
	size_t n = t->n_cols;
	while (n > 1 && !*cells[n - 1])
		n--;
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%-*s", i ? " " : "  ", t->min[i] && i + 1 < n ? t->width[i] : 0, cells[i]);
	fputc('\n', out);
}

enum { B_PID, B_TYPE, B_STATE, B_WAIT, B_LEADER, B_BLOCKED, B_CORE, B_APP, B_QUERY, B_COLS };
static const char *const backend_titles[B_COLS] = {
	"PID", "TYPE", "STATE", "WAIT", "LEADER", "BLOCKED", "CORE", "APPLICATION", "QUERY",
};
static const int backend_min[B_COLS] = { 7, 28, 20, 26, 6, 8, 5, 20, 0 };

struct backend_cells {
	char pid[16], wait[96], blocked[128], leader[16], query[QUERY_WIDTH + 1];
	const char *cell[B_COLS];
};

static void backend_cells(const struct pgm_backend *b, struct backend_cells *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pid, sizeof(c->pid), "%d", b->pid);
	if (b->wait_event.type)
		snprintf(c->wait, sizeof(c->wait), "%s/%s", b->wait_event.type, b->wait_event.name);
	for (size_t i = 0; b->hwlock && b->hwlock->holders_known && i < b->hwlock->n_holders; i++) {
		size_t used = strlen(c->blocked);
		snprintf(c->blocked + used, sizeof(c->blocked) - used, "%s%d", i ? "," : "", b->hwlock->holders[i].pid);
	}
	if (b->leader_pid)
		snprintf(c->leader, sizeof(c->leader), "%d", b->leader_pid);
	one_line(c->query, sizeof(c->query), b->prepared_xact ? b->gid : b->query, QUERY_WIDTH);
	c->cell[B_PID] = c->pid;
	c->cell[B_TYPE] = b->prepared_xact ? "prepared transaction" : b->backend_type ? b->backend_type
			: b->status_known || b->status_changing ? "?" : "(no status entry)";
	c->cell[B_STATE] = b->status_changing ? "(changing)" : b->state ? b->state : "";
	c->cell[B_WAIT] = c->wait;
	c->cell[B_LEADER] = c->leader;
	c->cell[B_BLOCKED] = c->blocked;
	c->cell[B_CORE] = b->core ? "core" : "";
	c->cell[B_APP] = b->application_name ? b->application_name : "";
	c->cell[B_QUERY] = c->query;
}

static bool in_graph(const struct pgm_graph *g, int32_t pid)
{
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].from == pid || g->edges[i].to == pid)
			return true;
	return false;
}

/* A PGPROC in use without a pg_stat_activity entry: a process starting or exiting. */
static bool no_status(const struct pgm_backend *b)
{
	return !b->prepared_xact && !b->backend_type && !b->status_known && !b->status_changing;
}

/*
 * In a brief section: sessions, workers, prepared transactions, and whoever
 * is in the graph or has a core; not the rows pg_stat_activity did not show.
 */
static bool worth_a_line(const struct pgm_instance *inst, const struct pgm_backend *b)
{
	const char *t = b->backend_type;
	if (b->core || b->prepared_xact || in_graph(&inst->graph, b->pid))
		return true;
	return t ? strcmp(t, "client backend") == 0 || strcmp(t, "parallel worker") == 0 : !no_status(b);
}

static void print_backends(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *st)
{
	/* brief: up to CORE */
	struct table t = { .n_cols = st->brief ? B_CORE + 1 : B_COLS, .min = backend_min };
	struct backend_cells c;
	size_t hidden = 0, unlisted = 0, shown_unlisted = 0;
	table_measure(&t, backend_titles);
	for (size_t i = 0; i < inst->n_backends; i++) {
		if (st->brief && !worth_a_line(inst, &inst->backends[i]))
			continue;
		backend_cells(&inst->backends[i], &c);
		table_measure(&t, c.cell);
	}
	heading(out, st, "Backends", inst->n_backends);
	table_print(out, &t, backend_titles);
	for (size_t i = 0; i < inst->n_backends; i++) {
		if (st->brief && !worth_a_line(inst, &inst->backends[i])) {
			no_status(&inst->backends[i]) ? unlisted++ : hidden++;
			continue;
		}
		backend_cells(&inst->backends[i], &c);
		table_print(out, &t, c.cell);
		shown_unlisted += no_status(&inst->backends[i]);
	}
	if (shown_unlisted)
		fputs("  (no status entry): a PGPROC in use that pg_stat_activity does not show, a process starting or "
		      "exiting\n", out);
	char bg[64] = "", none[128] = "";
	if (hidden)
		snprintf(bg, sizeof(bg), "%zu background process%s", hidden, hidden > 1 ? "es" : "");
	if (unlisted)
		snprintf(none, sizeof(none), "%zu process%s pg_stat_activity did not show (starting or exiting)",
			 unlisted, unlisted > 1 ? "es" : "");
	if (hidden || unlisted)
		fprintf(out, "  (and %s%s%s: pgmortem backends shows them)\n", bg, hidden && unlisted ? " and " : "", none);
}

static void append_column(void *arg, const struct pgm_field *x)
{
	char *buf = arg;
	size_t used = strlen(buf), len = 160;
	if (x->type == PGM_FIELD_STR)
		snprintf(buf + used, len - used, "%s%s=%s", used ? " " : "", x->key, x->str);
	else
		snprintf(buf + used, len - used, "%s%s=%" PRIu64, used ? " " : "", x->key, x->u);
}

enum { L_PID, L_TYPE, L_OBJECT, L_MODE, L_GRANTED, L_FASTPATH, L_VXACT, L_COLS };
static const char *const lock_titles[L_COLS] = {
	"PID", "LOCKTYPE", "OBJECT", "MODE", "GRANTED", "FASTPATH", "VXACT",
};
static const int lock_min[L_COLS] = { 7, 14, 44, 24, 7, 8, 0 };

struct lock_cells {
	char pid[16], object[160];
	const char *cell[L_COLS];
};

static void lock_cells(const struct pgm_lock_row *l, struct lock_cells *c)
{
	memset(c, 0, sizeof(*c));
	if (l->pid)
		snprintf(c->pid, sizeof(c->pid), "%d", l->pid);
	pgm_lock_tag_fields(&l->tag, false, append_column, c->object);
	c->cell[L_PID] = c->pid;
	c->cell[L_TYPE] = l->tag.locktype;
	c->cell[L_OBJECT] = c->object;
	c->cell[L_MODE] = l->mode;
	c->cell[L_GRANTED] = l->granted ? "yes" : "NO";
	c->cell[L_FASTPATH] = l->fastpath ? "yes" : "";
	c->cell[L_VXACT] = l->virtualtransaction ? l->virtualtransaction : "";
}

static void print_locks(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *st)
{
	struct table t = { .n_cols = L_COLS, .min = lock_min };
	struct lock_cells c;
	table_measure(&t, lock_titles);
	for (size_t i = 0; i < inst->n_locks; i++) {
		lock_cells(&inst->locks[i], &c);
		table_measure(&t, c.cell);
	}
	heading(out, st, "Locks", inst->n_locks);
	if (!inst->locks_known)
		fputs("  the shared lock table could not be walked (see Problems)\n", out);
	table_print(out, &t, lock_titles);
	for (size_t i = 0; i < inst->n_locks; i++) {
		lock_cells(&inst->locks[i], &c);
		table_print(out, &t, c.cell);
	}
}

static void print_node(FILE *out, const struct pgm_instance *inst, int32_t pid)
{
	if (pid == PGM_PID_UNKNOWN_HOLDER) {
		fputs("  the holder unknown from this capture", out);
		return;
	}
	if (pid == 0) {
		fputs("  a prepared transaction (pid 0: it ends only with COMMIT PREPARED or ROLLBACK PREPARED)", out);
		return;
	}
	fprintf(out, "  %d", pid);
	for (size_t i = 0; i < inst->n_backends; i++) {
		const struct pgm_backend *b = &inst->backends[i];
		if (b->pid != pid)
			continue;
		fprintf(out, " (%s%s%s%s%s)", b->backend_type ? b->backend_type : "?", b->state ? ", " : "",
			b->state ? b->state : "", b->wait_event.type ? ", waits on " : ", no wait event",
			b->wait_event.type ? b->wait_event.name : "");
	}
}

static void print_graph(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *st)
{
	const struct pgm_graph *g = &inst->graph;
	heading(out, st, "Wait-for graph, edges", g->n_edges);
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct pgm_edge *e = &g->edges[i];
		char to[16] = "?";
		if (e->to != PGM_PID_UNKNOWN_HOLDER)
			snprintf(to, sizeof(to), "%d", e->to);
		fprintf(out, "  %-7d -> %-7s %-8s %s\n", e->from, to, pgm_edge_kind_name(e->kind), e->evidence);
	}
	if (g->n_roots)
		fputs("Everyone ultimately waits on:\n", out);
	for (size_t i = 0; i < g->n_roots; i++) {
		print_node(out, inst, g->roots[i]);
		fputc('\n', out);
		/* its core was given: what it is doing, in the words of its report */
		for (size_t k = 0; k < inst->n_reports; k++)
			if (inst->reports[k]->pid == g->roots[i] && inst->reports[k]->n_verdict)
				fprintf(out, "    its core: %s\n", inst->reports[k]->verdict[0]);
	}
	for (size_t i = 0; i < g->n_cycles; i++) {
		fputs("Deadlock (cycle):", out);
		for (size_t k = 0; k < g->cycles[i].n; k++)
			fprintf(out, " %d ->", g->cycles[i].pids[k]);
		fprintf(out, " %d\n", g->cycles[i].pids[0]);
	}
}

void pgm_render_instance_text(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *st)
{
	print_identity(out, inst, st);
	/* nothing decoded (a build without debuginfo): no empty tables, Problems says why */
	bool decoded = inst->backends_known || inst->n_backends;
	if (decoded)
		print_backends(out, inst, st);
	if (st->locks && (decoded || inst->n_locks))
		print_locks(out, inst, st);
	if (decoded || inst->graph.n_edges)
		print_graph(out, inst, st);
	if (inst->n_problems)
		heading(out, st, "Problems", inst->n_problems);
	for (size_t i = 0; i < inst->n_problems; i++)
		fprintf(out, "  %s\n", inst->problems[i]);
}
