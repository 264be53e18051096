/* The IPC waits' facts: names and destruction (pgmortem/report_waits.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "pgmortem/report_waits.h"

const char *pgm_waitset_source_name(enum pgm_waitset_source s)
{
	switch (s) {
	case PGM_WAITSET_FRAME: return "frame";
	case PGM_WAITSET_LATCH_WAIT_SET: return "LatchWaitSet";
	case PGM_WAITSET_FEBE_WAIT_SET: return "FeBeWaitSet";
	case PGM_WAITSET_UNKNOWN: break;
	}
	return "unknown";
}

const char *pgm_syncrep_mode_name(enum pgm_syncrep_mode m)
{
	switch (m) {
	case PGM_SYNCREP_MODE_NONE: return "none";
	case PGM_SYNCREP_MODE_WRITE: return "remote_write";
	case PGM_SYNCREP_MODE_FLUSH: return "flush";
	case PGM_SYNCREP_MODE_APPLY: return "remote_apply";
	case PGM_SYNCREP_MODE_UNKNOWN: break;
	}
	return "unknown";
}

const char *pgm_syncrep_state_name(int32_t state)
{
	static const char *const names[] = { "SYNC_REP_NOT_WAITING", "SYNC_REP_WAITING", "SYNC_REP_WAIT_COMPLETE" };
	return state >= 0 && state < 3 ? names[state] : "unknown";
}

const char *pgm_syncrep_why_name(enum pgm_syncrep_why w)
{
	switch (w) {
	case PGM_SYNCREP_WHY_NO_STANDBY: return "no_standby";
	case PGM_SYNCREP_WHY_BEHIND: return "behind";
	case PGM_SYNCREP_WHY_NOT_WOKEN: return "not_woken";
	case PGM_SYNCREP_WHY_UNKNOWN: break;
	}
	return "unknown";
}

const char *pgm_mq_op_name(enum pgm_mq_op op)
{
	switch (op) {
	case PGM_MQ_OP_SEND: return "send";
	case PGM_MQ_OP_RECEIVE: return "receive";
	case PGM_MQ_OP_ATTACH: return "attach";
	case PGM_MQ_OP_UNKNOWN: break;
	}
	return "unknown";
}

/* bgworker.c: InvalidPid until the postmaster starts it, 0 once it has exited. */
const char *pgm_bgworker_state_name(const struct pgm_bgworker *w)
{
	return w->pid < 0 ? "not started" : w->pid == 0 ? "stopped" : "running";
}

void pgm_waits_deinit(struct pgm_wait *w)
{
	free(w->syncrep.standby_names);
	for (size_t i = 0; i < w->syncrep.n_walsenders; i++) {
		free(w->syncrep.walsenders[i].state);
		free(w->syncrep.walsenders[i].application_name);
	}
	free(w->syncrep.walsenders);
	pgm_wait_event_deinit(&w->mq.counterpart_wait_event);
	free(w->mq.counterpart_task_state);
	for (size_t i = 0; i < w->mq.n_workers; i++) {
		free(w->mq.workers[i].type);
		free(w->mq.workers[i].task_state);
		pgm_wait_event_deinit(&w->mq.workers[i].wait_event);
	}
	free(w->mq.workers);
	for (size_t i = 0; i < w->barrier.n_laggards; i++) {
		pgm_wait_event_deinit(&w->barrier.laggards[i].wait_event);
		free(w->barrier.laggards[i].task_state);
	}
	free(w->barrier.laggards);
	free(w->unserved.function);
	free(w->unserved.library);
}

void pgm_waitset_deinit(struct pgm_waitset *ws)
{
	for (size_t i = 0; i < ws->n_events; i++)
		free(ws->events[i].fd_target);
	free(ws->events);
	free(ws->epoll_fd_target);
	free(ws->why_unknown);
	memset(ws, 0, sizeof(*ws));
}

void pgm_task_deinit(struct pgm_task *t)
{
	free(t->state_name);
	free(t->wchan);
	memset(t, 0, sizeof(*t));
}
