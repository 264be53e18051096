/* The wait-for graph as a Graphviz digraph: one node per process, edges coloured by kind. */
#include <stdio.h>
#include <string.h>

#include "render/backends_render.h"

static const char *edge_color(enum pgm_edge_kind k)
{
	switch (k) {
	case PGM_EDGE_HWLOCK: return "firebrick";
	case PGM_EDGE_LWLOCK: return "darkorange";
	case PGM_EDGE_CV: return "royalblue";
	case PGM_EDGE_PARALLEL: return "gray40";
	case PGM_EDGE_BUFFER_PIN: return "darkgreen";
	case PGM_EDGE_BUFFER_IO: return "seagreen";
	case PGM_EDGE_SLOT: return "purple";
	case PGM_EDGE_SYNC_REP: return "olivedrab";
	case PGM_EDGE_MESSAGE_QUEUE: return "magenta4";
	case PGM_EDGE_BARRIER: return "saddlebrown";
	}
	return "black";
}

/* A DOT string body: quotes and backslashes escaped, no newlines. */
static void dot_escaped(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s == '\n' ? ' ' : *s, out);
	}
}

static bool in_graph(const struct pgm_graph *g, int32_t pid)
{
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].from == pid || g->edges[i].to == pid)
			return true;
	return false;
}

static bool is_root(const struct pgm_graph *g, int32_t pid)
{
	for (size_t i = 0; i < g->n_roots; i++)
		if (g->roots[i] == pid)
			return true;
	return false;
}

static void node(FILE *out, const struct pgm_instance *inst, const struct pgm_backend *b)
{
	fprintf(out, "  p%d [label=\"%d\\n", b->pid, b->pid);
	dot_escaped(out, b->backend_type ? b->backend_type : "?");
	fputs("\\n", out);
	if (b->wait_event.type) {
		dot_escaped(out, b->wait_event.type);
		fputc('/', out);
		dot_escaped(out, b->wait_event.name);
	} else {
		fputs("no wait event", out);
	}
	fprintf(out, "\"%s%s];\n", is_root(&inst->graph, b->pid) ? ", penwidth=3" : "",
		b->core ? ", style=filled, fillcolor=\"#eef3ff\"" : "");
}

void pgm_render_graph_dot(FILE *out, const struct pgm_instance *inst)
{
	const struct pgm_graph *g = &inst->graph;
	fputs("digraph waits {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n", out);
	for (size_t i = 0; i < inst->n_backends; i++)
		if (inst->backends[i].pid && in_graph(g, inst->backends[i].pid))
			node(out, inst, &inst->backends[i]);
	if (in_graph(g, 0))
		fputs("  p0 [label=\"prepared transaction\\n(pid 0)\", shape=box, style=dashed];\n", out);
	if (in_graph(g, PGM_PID_UNKNOWN_HOLDER))
		fputs("  unknown [label=\"holder unknown\\nfrom this capture\", shape=ellipse, style=dashed];\n", out);
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct pgm_edge *e = &g->edges[i];
		char to[24] = "unknown";
		if (e->to != PGM_PID_UNKNOWN_HOLDER)
			snprintf(to, sizeof(to), "p%d", e->to);
		fprintf(out, "  p%d -> %s [color=%s, label=\"%s\", tooltip=\"", e->from, to, edge_color(e->kind),
			pgm_edge_kind_name(e->kind));
		dot_escaped(out, e->evidence);
		fputs("\"];\n", out);
	}
	fputs("}\n", out);
}
