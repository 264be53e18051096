/*
 * Wait-for edges of the IPC kinds (pgmortem/report_waits.h), from each
 * analyzed process's report: a commit waiting for synchronous standbys
 * waits for the candidates that are behind (or for a standby nobody can
 * name, when none matches), one end of a message queue for the other,
 * a barrier's emitter for every process that has not absorbed it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "analysis/analysis.h"

static struct pgm_error *syncrep_edges(struct pgm_graph *g, const struct pgm_report *r)
{
	const struct pgm_syncrep_wait *s = &r->wait.syncrep;
	char ev[512], lsn[PGM_LSN_LEN], at[PGM_LSN_LEN];
	if (s->why == PGM_SYNCREP_WHY_NO_STANDBY) {
		snprintf(ev, sizeof(ev), "waits for a synchronous standby to confirm LSN %s; no connected standby "
			 "matches synchronous_standby_names '%s'", s->lsn_known ? pgm_lsn_format(s->lsn, lsn) : "?",
			 s->standby_names ? s->standby_names : "?");
		return pgm_graph_add_edge(g, r->pid, PGM_PID_UNKNOWN_HOLDER, PGM_EDGE_SYNC_REP, ev);
	}
	if (s->why != PGM_SYNCREP_WHY_BEHIND)
		return NULL;
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < s->n_walsenders; i++) {
		const struct pgm_walsender *w = &s->walsenders[i];
		if (w->sync_standby_priority <= 0)
			continue;
		uint64_t pos = s->mode == PGM_SYNCREP_MODE_WRITE ? w->write : s->mode == PGM_SYNCREP_MODE_APPLY ? w->apply : w->flush;
		snprintf(ev, sizeof(ev), "waits for a synchronous standby to %s LSN %s; walsender %d (%s) is at %s",
			 pgm_syncrep_mode_name(s->mode), s->lsn_known ? pgm_lsn_format(s->lsn, lsn) : "?", w->pid,
			 w->application_name ? w->application_name : "unnamed", pgm_lsn_format(pos, at));
		err = pgm_graph_add_edge(g, r->pid, w->pid, PGM_EDGE_SYNC_REP, ev);
	}
	return err;
}

/* A Gather leader waits for every worker that runs: any of them may send the next tuple. */
static struct pgm_error *gather_edges(struct pgm_graph *g, const struct pgm_report *r)
{
	const struct pgm_mq_wait *m = &r->wait.mq;
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < m->n_workers; i++) {
		const struct pgm_bgworker *w = &m->workers[i];
		if (w->pid <= 0)
			continue;
		char ev[256];
		snprintf(ev, sizeof(ev), "waits in Gather for tuples from its workers' queues; worker %d%s%s",
			 w->pid, w->task_state ? " is " : " has not sent one", w->task_state ? w->task_state : "");
		err = pgm_graph_add_edge(g, r->pid, w->pid, PGM_EDGE_MESSAGE_QUEUE, ev);
	}
	return err;
}

static struct pgm_error *mq_edge(struct pgm_graph *g, const struct pgm_report *r)
{
	const struct pgm_mq_wait *m = &r->wait.mq;
	if (m->gather)
		return gather_edges(g, r);
	if (!m->counterpart_pid)
		return NULL;
	char ev[384];
	if (m->op == PGM_MQ_OP_SEND && m->mq.known)
		snprintf(ev, sizeof(ev), "sends to a full message queue at 0x%" PRIx64 " (%" PRIu64 " bytes unread); "
			 "%d, its receiver, does not read it", r->wait.address, m->mq.bytes_written - m->mq.bytes_read,
			 m->counterpart_pid);
	else
		snprintf(ev, sizeof(ev), "waits on a message queue (%s); %d is its %s", pgm_mq_op_name(m->op),
			 m->counterpart_pid, m->op == PGM_MQ_OP_SEND ? "receiver" : "sender");
	return pgm_graph_add_edge(g, r->pid, m->counterpart_pid, PGM_EDGE_MESSAGE_QUEUE, ev);
}

static struct pgm_error *barrier_edges(struct pgm_graph *g, const struct pgm_report *r)
{
	const struct pgm_barrier_wait *b = &r->wait.barrier;
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < b->n_laggards; i++) {
		const struct pgm_barrier_laggard *l = &b->laggards[i];
		if (l->pid <= 0 || l->pid == r->pid)
			continue;
		char ev[256];
		snprintf(ev, sizeof(ev), "waits for ProcSignalBarrier generation %" PRIu64 "; %d has absorbed only "
			 "generation %" PRIu64, b->generation, l->pid, l->generation);
		err = pgm_graph_add_edge(g, r->pid, l->pid, PGM_EDGE_BARRIER, ev);
	}
	return err;
}

struct pgm_error *pgm_instance_waits_edges(struct pgm_instance *inst)
{
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < inst->n_reports; i++) {
		const struct pgm_report *r = inst->reports[i];
		switch (r->wait.kind) {
		case PGM_WAIT_SYNC_REP: err = syncrep_edges(&inst->graph, r); break;
		case PGM_WAIT_MESSAGE_QUEUE: err = mq_edge(&inst->graph, r); break;
		case PGM_WAIT_PROCSIGNAL_BARRIER: err = barrier_edges(&inst->graph, r); break;
		default: break;
		}
	}
	return err;
}
