/*
 * The pipeline's part for the IPC waits (pgmortem/report_waits.h): which
 * frame variables and globals locate each object, which decoder reads it,
 * and, for a live process, what only /proc can add (open files, the state
 * of the other end, whether the process runs).
 *
 * Frame variables may be optimized out at -O2; each decoder then says so
 * and falls back to what else tells: WaitLatch sleeps in LatchWaitSet and
 * a client read in FeBeWaitSet, the latch is MyLatch, a barrier's
 * generation is the newest one emitted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgmortem/live.h"
#include "pipeline/analyze_waits.h"

/* How long a live process is watched to tell running from blocked. */
#define TASK_SAMPLE_MS 200

static const struct pgm_stack *main_stack(const struct pgm_report *r)
{
	return r->n_stacks ? r->stacks[0] : NULL;
}

/* Optional facts: a process, PGPROC or fd that is gone leaves them unknown. */
static struct pgm_error *keep(struct pgm_error *err)
{
	if (err == &pgm_enomem)
		return err;
	pgm_error_destroy(err);
	return NULL;
}

/* pgm_stack_find_function on the main stack; -1 without one (a process another tracer holds) */
static int find_frame(const struct pgm_report *r, const char *function)
{
	return main_stack(r) ? pgm_stack_find_function(main_stack(r), function) : -1;
}

/* ---- the WaitEventSet ---- */

/* The global that holds the set of the frame's caller, when the frame's `set` is unavailable. */
static enum pgm_waitset_source fallback_source(const struct pgm_stack *s, size_t frame, enum pgm_pg_global_id *g)
{
	const char *caller = frame + 1 < s->n_frames ? s->frames[frame + 1].function : NULL;
	if (caller && strcmp(caller, "WaitLatch") == 0)
		return *g = PGM_G_LatchWaitSet, PGM_WAITSET_LATCH_WAIT_SET;
	if (caller && (strcmp(caller, "secure_read") == 0 || strcmp(caller, "secure_write") == 0))
		return *g = PGM_G_FeBeWaitSet, PGM_WAITSET_FEBE_WAIT_SET;
	return PGM_WAITSET_UNKNOWN;
}

static struct pgm_error *locate_set(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r,
				    size_t frame, uint64_t *set)
{
	struct pgm_waitset *ws = &r->waitset;
	struct pgm_error *err = pgm_pg_frame_pointer(prog, main_stack(r), frame, "set", set);
	if (!err && *set) {
		ws->source = PGM_WAITSET_FRAME;
		return NULL;
	}
	if (err == &pgm_enomem)
		return err;
	char why[256];
	snprintf(why, sizeof(why), "WaitEventSetWait's set is %s", err ? err->message : "NULL");
	pgm_error_destroy(err);
	enum pgm_pg_global_id g = PGM_G_LatchWaitSet;
	ws->source = fallback_source(main_stack(r), frame, &g);
	*set = 0;
	err = ws->source != PGM_WAITSET_UNKNOWN ? pgm_pg_read_global(pg, g, set) : NULL;
	if (err)
		ws->source = PGM_WAITSET_UNKNOWN;
	pgm_error_destroy(err);
	if (ws->source == PGM_WAITSET_UNKNOWN || !*set)
		return pgm_model_strdup(&ws->why_unknown, why);
	return pgm_report_add_diagnosis(r, "waitset-from-global", "%s; the set its caller sleeps in (%s) stands in",
					why, pgm_waitset_source_name(ws->source));
}

static void read_timeouts(struct pgm_program *prog, struct pgm_report *r, size_t frame)
{
	struct pgm_waitset *ws = &r->waitset;
	struct pgm_error *err = pgm_pg_frame_int(prog, main_stack(r), frame, "timeout", &ws->timeout_ms);
	/* unknown when optimized out: the text says so */
	ws->timeout_known = !err;
	pgm_error_destroy(err);
	int block = find_frame(r, "WaitEventSetWaitBlock");
	if (block < 0)
		return;
	err = pgm_pg_frame_int(prog, main_stack(r), (size_t)block, "cur_timeout", &ws->remaining_ms);
	ws->remaining_known = !err;
	pgm_error_destroy(err);
}

struct pgm_error *pgm_decode_waitset(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pgm_waitset *ws = &r->waitset;
	int f = find_frame(r, "WaitEventSetWait");
	if (f < 0)
		return NULL;
	ws->sleeping = true;
	uint64_t set = 0;
	struct pgm_error *err = locate_set(prog, pg, r, (size_t)f, &set);
	if (err)
		return err;
	read_timeouts(prog, r, (size_t)f);
	ws->address = set;
	if (set && (err = pgm_pg_read_waitset(pg, set, r)))
		return err;
	return ws->latch.known ? NULL : pgm_pg_read_my_latch(pg, r);
}

/* ---- synchronous replication, message queues, barriers ---- */

static struct pgm_error *decode_syncrep(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t proc = 0;
	struct pgm_error *err = pgm_pg_my_proc(pg, &proc);
	if (!err && !proc)
		err = pgm_error_create(PGM_ERR_LOOKUP, "MyProc is NULL");
	if (err)
		return pgm_pg_note_failure(r, "syncrep-unknown", "MyProc", 0, err);
	return pgm_pg_read_syncrep_wait(pg, proc, r);
}

/*
 * Innermost first: the first of these functions on the stack says what it
 * does with the queue; `var` holds the shm_mq_handle (handle) or the
 * shm_mq itself.
 */
static const struct {
	const char *function;
	enum pgm_mq_op op;
	const char *var;
	bool handle;
} mq_frames[] = {
	{ "shm_mq_wait_internal", PGM_MQ_OP_ATTACH, "mq", false },
	{ "shm_mq_send_bytes", PGM_MQ_OP_SEND, "mqh", true }, { "shm_mq_sendv", PGM_MQ_OP_SEND, "mqh", true },
	{ "shm_mq_send", PGM_MQ_OP_SEND, "mqh", true }, { "shm_mq_receive_bytes", PGM_MQ_OP_RECEIVE, "mqh", true },
	{ "shm_mq_receive", PGM_MQ_OP_RECEIVE, "mqh", true },
	/* Gather waits on every worker's queue at once: the queues are the workers' slots */
	{ "gather_readnext", PGM_MQ_OP_RECEIVE, NULL, false }, { "gather_merge_readnext", PGM_MQ_OP_RECEIVE, NULL, false },
};

/* The op from the innermost queue function; the queue from the first frame that has its variable. */
static void locate_mq(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r, uint64_t *mq)
{
	struct pgm_mq_wait *m = &r->wait.mq;
	const struct pgm_stack *s = main_stack(r);
	for (size_t f = 0; s && f < s->n_frames && !*mq; f++)
		for (size_t i = 0; i < sizeof(mq_frames) / sizeof(mq_frames[0]); i++) {
			if (!s->frames[f].function || strcmp(s->frames[f].function, mq_frames[i].function) != 0)
				continue;
			if (m->op == PGM_MQ_OP_UNKNOWN)
				m->op = mq_frames[i].op;
			if (!mq_frames[i].var) {
				m->gather = true;
				return;
			}
			uint64_t v = 0;
			struct pgm_error *err = pgm_pg_frame_pointer(prog, s, f, mq_frames[i].var, &v);
			if (!err && v && mq_frames[i].handle)
				err = pgm_pg_read_mq_handle(pg, v, mq, &m->counterparty_attached);
			else if (!err)
				*mq = v;
			m->handle_known |= !err && mq_frames[i].handle;
			/* optimized out here: an outer frame may still have it */
			pgm_error_destroy(err);
			break;
		}
}

static void mq_counterpart(struct pgm_report *r)
{
	struct pgm_mq_wait *m = &r->wait.mq;
	if (m->mq.known)
		m->counterpart_pid = m->mq.sender_procno == r->procno ? m->mq.receiver_pid : m->mq.sender_pid;
	else if (m->op == PGM_MQ_OP_SEND && r->leader_pid)
		m->counterpart_pid = r->leader_pid;   /* a worker's queues (tuples, errors) all go to its leader */
	m->counterpart_is_leader = m->counterpart_pid && m->counterpart_pid == r->leader_pid;
}

static struct pgm_error *decode_mq(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	struct pgm_mq_wait *m = &r->wait.mq;
	uint64_t mq = 0;
	locate_mq(prog, pg, r, &mq);
	struct pgm_error *err = NULL;
	if (mq) {
		r->wait.address = mq;
		r->wait.has_address = true;
		if ((err = pgm_pg_note_failure(r, "mq-unreadable", "the message queue", mq, pgm_pg_read_shm_mq(pg, mq, &m->mq))))
			return err;
	} else if (!m->gather && (err = pgm_report_add_diagnosis(r, "mq-unknown", "the message queue's address is "
							       "not in the frames of this capture (optimized out)"))) {
		return err;
	}
	mq_counterpart(r);
	if (m->counterpart_pid > 0 && (err = keep(pgm_pg_pid_wait_event(pg, m->counterpart_pid, &m->counterpart_wait_event))))
		return err;
	err = pgm_pg_read_group_workers(pg, r->leader_pid ? r->leader_pid : r->pid, m);
	if ((err = pgm_pg_note_failure(r, "bgworkers-unreadable", "the background-worker slots", 0, err)))
		return err;
	for (size_t i = 0; i < m->n_workers; i++)
		if (m->workers[i].pid > 0 && (err = keep(pgm_pg_pid_wait_event(pg, m->workers[i].pid, &m->workers[i].wait_event))))
			return err;
	return NULL;
}

static struct pgm_error *decode_barrier(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	int64_t generation = 0;
	uint64_t cv = 0;
	int f = find_frame(r, "WaitForProcSignalBarrier");
	struct pgm_error *err = f < 0 ? pgm_error_create(PGM_ERR_LOOKUP, "no WaitForProcSignalBarrier frame")
				      : pgm_pg_frame_int(prog, main_stack(r), (size_t)f, "generation", &generation);
	bool has_generation = !err;
	if (err == &pgm_enomem)
		return err;
	if (err) {
		struct pgm_error *e1 = pgm_report_add_diagnosis(r, "barrier-generation-from-global",
			"the generation waited for is not in the frame (%s): the newest one emitted stands in", err->message);
		pgm_error_destroy(err);
		if (e1)
			return e1;
	}
	struct pgm_error *e2 = pgm_pg_read_global(pg, PGM_G_cv_sleep_target, &cv);
	/* without the CV the laggard it sleeps on now is not marked; the laggards still are */
	pgm_error_destroy(e2);
	return pgm_pg_read_barrier_wait(pg, has_generation, (uint64_t)generation, e2 ? 0 : cv, r);
}

struct pgm_error *pgm_decode_ipc_wait(struct pgm_program *prog, const struct pgm_pg *pg, struct pgm_report *r)
{
	switch (r->wait.kind) {
	case PGM_WAIT_SYNC_REP: return decode_syncrep(pg, r);
	case PGM_WAIT_MESSAGE_QUEUE: return decode_mq(prog, pg, r);
	case PGM_WAIT_PROCSIGNAL_BARRIER: return decode_barrier(prog, pg, r);
	default: return NULL;
	}
}

/* ---- live only ---- */

static struct pgm_error *fd_targets(int32_t pid, struct pgm_waitset *ws)
{
	struct pgm_error *err = NULL;
	if (ws->set_known && ws->epoll_fd >= 0)
		err = keep(pgm_live_fd_target(pid, ws->epoll_fd, &ws->epoll_fd_target));
	for (size_t i = 0; !err && i < ws->n_events; i++)
		if (ws->events[i].fd >= 0)
			err = keep(pgm_live_fd_target(pid, ws->events[i].fd, &ws->events[i].fd_target));
	return err;
}

static struct pgm_error *sample_task(int32_t pid, struct pgm_task *t)
{
	struct pgm_live_sample a, b;
	struct pgm_error *err = pgm_live_sample(pid, &a);
	if (!err) {
		nanosleep(&(struct timespec){ .tv_nsec = TASK_SAMPLE_MS * 1000000L }, NULL);
		err = pgm_live_sample(pid, &b);
	}
	if (!err) {
		t->known = a.cpu_s >= 0 && b.cpu_s >= 0;
		t->state = b.state;
		t->state_name = b.state_name;
		t->wchan = b.wchan;
		b.state_name = b.wchan = NULL;
		t->interval_s = b.at_s - a.at_s;
		t->cpu_s = b.cpu_s - a.cpu_s;
		t->switches = b.switches - a.switches;
		pgm_live_sample_deinit(&b);
	}
	pgm_live_sample_deinit(&a);
	return keep(err);
}

struct pgm_error *pgm_decode_live_waits(struct pgm_program *prog, struct pgm_report *r)
{
	const struct pgm_target *t = pgm_program_target(prog);
	if (t->kind != PGM_TARGET_LIVE || t->pid <= 0)
		return NULL;
	struct pgm_error *err = fd_targets(t->pid, &r->waitset);
	struct pgm_mq_wait *m = &r->wait.mq;
	if (!err && r->wait.kind == PGM_WAIT_MESSAGE_QUEUE && m->counterpart_pid > 0)
		err = keep(pgm_live_task_state(m->counterpart_pid, &m->counterpart_task_state));
	for (size_t i = 0; !err && r->wait.kind == PGM_WAIT_MESSAGE_QUEUE && i < m->n_workers; i++)
		if (m->workers[i].pid > 0)
			err = keep(pgm_live_task_state(m->workers[i].pid, &m->workers[i].task_state));
	struct pgm_barrier_wait *b = &r->wait.barrier;
	for (size_t i = 0; !err && r->wait.kind == PGM_WAIT_PROCSIGNAL_BARRIER && i < b->n_laggards; i++)
		if (b->laggards[i].pid > 0)
			err = keep(pgm_live_task_state(b->laggards[i].pid, &b->laggards[i].task_state));
	if (!err && r->wait.kind == PGM_WAIT_UNSERVED_INTERRUPT)
		err = sample_task(t->pid, &r->task);
	return err;
}
