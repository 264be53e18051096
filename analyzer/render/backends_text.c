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

static void print_backend(FILE *out, const struct pgm_backend *b, bool brief)
{
	char wait[96] = "", blocked[128] = "", query[QUERY_WIDTH + 1], leader[16] = "";
	if (b->wait_event.type)
		snprintf(wait, sizeof(wait), "%s/%s", b->wait_event.type, b->wait_event.name);
	for (size_t i = 0; b->hwlock && b->hwlock->holders_known && i < b->hwlock->n_holders; i++) {
		size_t used = strlen(blocked);
		snprintf(blocked + used, sizeof(blocked) - used, "%s%d", i ? "," : "", b->hwlock->holders[i].pid);
	}
	if (b->leader_pid)
		snprintf(leader, sizeof(leader), "%d", b->leader_pid);
	const char *type = b->prepared_xact ? "prepared transaction" : b->backend_type ? b->backend_type : b->status_known || b->status_changing ? "?" : "(no status entry)";
	const char *state = b->status_changing ? "(changing)" : b->state ? b->state : "";
	fprintf(out, "  %-7d %-28s %-20s %-26s %-6s %-8s %s", b->pid, type, state, wait, leader, blocked,
		b->core ? "core " : "     ");
	if (!brief) {
		one_line(query, sizeof(query), b->prepared_xact ? b->gid : b->query, QUERY_WIDTH);
		fprintf(out, " %-20s %s", b->application_name ? b->application_name : "", query);
	}
	fputc('\n', out);
}

static bool in_graph(const struct pgm_graph *g, int32_t pid)
{
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].from == pid || g->edges[i].to == pid)
			return true;
	return false;
}

/* In a brief section: sessions, workers, prepared transactions, and whoever is in the graph. */
static bool worth_a_line(const struct pgm_instance *inst, const struct pgm_backend *b)
{
	const char *t = b->backend_type;
	return b->prepared_xact || b->core || !t || strcmp(t, "client backend") == 0 ||
	       strcmp(t, "parallel worker") == 0 || in_graph(&inst->graph, b->pid);
}

static void print_backends(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *st)
{
	size_t hidden = 0;
	heading(out, st, "Backends", inst->n_backends);
	fprintf(out, "  %-7s %-28s %-20s %-26s %-6s %-8s %s", "PID", "TYPE", "STATE", "WAIT", "LEADER", "BLOCKED", "CORE ");
	if (!st->brief)
		fprintf(out, " %-20s %s", "APPLICATION", "QUERY");
	fputc('\n', out);
	for (size_t i = 0; i < inst->n_backends; i++) {
		if (st->brief && !worth_a_line(inst, &inst->backends[i]))
			hidden++;
		else
			print_backend(out, &inst->backends[i], st->brief);
	}
	if (hidden)
		fprintf(out, "  (and %zu background processes: pgmortem backends shows them)\n", hidden);
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

static void print_tag(FILE *out, const struct pgm_lock_tag *t)
{
	char buf[160] = "";
	pgm_lock_tag_fields(t, false, append_column, buf);
	fprintf(out, " %-44s", buf);
}

static void print_locks(FILE *out, const struct pgm_instance *inst, const struct pgm_instance_style *st)
{
	heading(out, st, "Locks", inst->n_locks);
	if (!inst->locks_known)
		fputs("  the shared lock table could not be walked (see Problems)\n", out);
	fprintf(out, "  %-7s %-14s %-44s %-24s %-7s %-8s %s\n", "PID", "LOCKTYPE", "OBJECT", "MODE", "GRANTED",
		"FASTPATH", "VXACT");
	for (size_t i = 0; i < inst->n_locks; i++) {
		const struct pgm_lock_row *l = &inst->locks[i];
		char pid[16] = "";
		if (l->pid)
			snprintf(pid, sizeof(pid), "%d", l->pid);
		fprintf(out, "  %-7s %-14s", pid, l->tag.locktype);
		print_tag(out, &l->tag);
		fprintf(out, " %-24s %-7s %-8s %s\n", l->mode, l->granted ? "yes" : "NO", l->fastpath ? "yes" : "",
			l->virtualtransaction ? l->virtualtransaction : "");
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
	print_backends(out, inst, st);
	if (st->locks)
		print_locks(out, inst, st);
	print_graph(out, inst, st);
	if (inst->n_problems)
		heading(out, st, "Problems", inst->n_problems);
	for (size_t i = 0; i < inst->n_problems; i++)
		fprintf(out, "  %s\n", inst->problems[i]);
}
