/* Which wait primitive a backend sleeps in, from its stack and wait event. */
#include <string.h>

#include "analysis/analysis.h"

struct stack_rule {
	const char *function;
	enum pgm_wait_kind kind;
};

/*
 * The first rule that matches any frame near the top wins: a condition
 * variable sleep also passes through WaitLatch and WaitEventSetWait, so the
 * specific primitives come before the generic latch wait.
 */
static const struct stack_rule stack_rules[] = {
	/* buffers and slots sleep on a latch or a condition variable: the caller says which object */
	{ "LockBufferForCleanup", PGM_WAIT_BUFFER_PIN },
	{ "WaitIO", PGM_WAIT_BUFFER_IO },
	{ "pgaio_io_wait", PGM_WAIT_BUFFER_IO },
	{ "ReplicationSlotAcquire", PGM_WAIT_REPLICATION_SLOT },
	{ "ConditionVariableSleep", PGM_WAIT_CONDITION_VARIABLE },
	{ "ConditionVariableTimedSleep", PGM_WAIT_CONDITION_VARIABLE },
	/*
	 * A stripped build names no local clone (ConditionVariableTimedSleep.constprop.0):
	 * a caller whose only sleep is a CV's says it then.
	 */
	{ "_bt_parallel_seize", PGM_WAIT_CONDITION_VARIABLE },
	{ "LWLockAcquire", PGM_WAIT_LWLOCK },
	{ "LWLockAcquireOrWait", PGM_WAIT_LWLOCK },
	{ "LWLockWaitForVar", PGM_WAIT_LWLOCK },
	{ "ProcSleep", PGM_WAIT_HEAVYWEIGHT_LOCK },
	{ "pg_sleep", PGM_WAIT_TIMEOUT },
	{ "secure_read", PGM_WAIT_SOCKET },
	{ "secure_write", PGM_WAIT_SOCKET },
	{ "WaitLatch", PGM_WAIT_LATCH },
	{ "WaitLatchOrSocket", PGM_WAIT_LATCH },
	{ "WaitEventSetWait", PGM_WAIT_LATCH },
};

/*
 * The IPC kinds (pgmortem/report_waits.h), tried before stack_rules when
 * the process sleeps: each of these functions sleeps through a CV or a
 * latch wait, which the generic rules would name instead.  The exported
 * callers (shm_mq_sendv, shm_mq_receive) stand in for the static
 * functions a stripped build cannot name.
 */
static const struct stack_rule ipc_rules[] = {
	{ "WaitForProcSignalBarrier", PGM_WAIT_PROCSIGNAL_BARRIER },
	{ "SyncRepWaitForLSN", PGM_WAIT_SYNC_REP },
	{ "shm_mq_send_bytes", PGM_WAIT_MESSAGE_QUEUE },
	{ "shm_mq_receive_bytes", PGM_WAIT_MESSAGE_QUEUE },
	{ "shm_mq_wait_internal", PGM_WAIT_MESSAGE_QUEUE },
	{ "shm_mq_sendv", PGM_WAIT_MESSAGE_QUEUE },
	{ "shm_mq_receive", PGM_WAIT_MESSAGE_QUEUE },
	{ "gather_readnext", PGM_WAIT_MESSAGE_QUEUE },        /* a leader waiting on its workers' queues */
	{ "gather_merge_readnext", PGM_WAIT_MESSAGE_QUEUE },
};

/* Functions a sleeping backend is inside of, when sleeping is what it does. */
static const char *const sleep_primitives[] = {
	"epoll_wait", "epoll_pwait", "__GI_epoll_wait", "poll", "__poll", "select", "__select", "__GI___select",
	"futex_wait", "do_futex_wait", "__new_sem_wait_slow64", "sem_wait", "semop",
	"__futex_abstimed_wait_common", "__futex_abstimed_wait_common64",
	"PGSemaphoreLock", "WaitEventSetWaitBlock", "pg_usleep", "nanosleep",
	"__GI___nanosleep", "clock_nanosleep", "__clock_nanosleep",
};

/* Deep enough for any sleep primitive under the function that decided to wait. */
#define WAIT_FRAMES 16

static enum pgm_wait_kind match_rules(const struct pgm_stack *stack, const struct stack_rule *rules, size_t n)
{
	size_t depth = stack ? stack->n_frames : 0;
	if (depth > WAIT_FRAMES)
		depth = WAIT_FRAMES;
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < depth; f++) {
			const char *fn = stack->frames[f].function;
			if (fn && strcmp(fn, rules[i].function) == 0)
				return rules[i].kind;
		}
	return PGM_WAIT_UNKNOWN;
}

static bool innermost_is_sleeping(const struct pgm_stack *stack);

static enum pgm_wait_kind from_stack(const struct pgm_stack *stack)
{
	enum pgm_wait_kind k = innermost_is_sleeping(stack)
		? match_rules(stack, ipc_rules, sizeof(ipc_rules) / sizeof(ipc_rules[0])) : PGM_WAIT_UNKNOWN;
	return k != PGM_WAIT_UNKNOWN ? k : match_rules(stack, stack_rules, sizeof(stack_rules) / sizeof(stack_rules[0]));
}

static bool innermost_is_sleeping(const struct pgm_stack *stack)
{
	for (size_t f = 0; stack && f < stack->n_frames && f < 4; f++) {
		const char *fn = stack->frames[f].function;
		for (size_t i = 0; fn && i < sizeof(sleep_primitives) / sizeof(sleep_primitives[0]); i++)
			if (strcmp(fn, sleep_primitives[i]) == 0)
				return true;
	}
	return false;
}

/* Events that name their object's kind better than their class does (as pg_stat_activity names them). */
static const struct { const char *event; enum pgm_wait_kind kind; } event_rules[] = {
	{ "BufferIO", PGM_WAIT_BUFFER_IO },
	{ "AioIoCompletion", PGM_WAIT_BUFFER_IO },
	{ "ReplicationSlotDrop", PGM_WAIT_REPLICATION_SLOT },
};

static enum pgm_wait_kind from_wait_event(const struct pgm_wait_event *we)
{
	if (!we->known)
		return PGM_WAIT_UNKNOWN;
	for (size_t i = 0; we->name && i < sizeof(event_rules) / sizeof(event_rules[0]); i++)
		if (strcmp(we->name, event_rules[i].event) == 0)
			return event_rules[i].kind;
	switch (pgm_wait_event_class(we)) {
	case PGM_WAIT_CLASS_BUFFERPIN: return PGM_WAIT_BUFFER_PIN;
	case PGM_WAIT_CLASS_NONE: return PGM_WAIT_NONE;
	case PGM_WAIT_CLASS_LWLOCK: return PGM_WAIT_LWLOCK;
	case PGM_WAIT_CLASS_LOCK: return PGM_WAIT_HEAVYWEIGHT_LOCK;
	case PGM_WAIT_CLASS_CLIENT: return PGM_WAIT_SOCKET;
	case PGM_WAIT_CLASS_TIMEOUT: return PGM_WAIT_TIMEOUT;
	case PGM_WAIT_CLASS_IO: return PGM_WAIT_IO;
	default: return PGM_WAIT_LATCH;
	}
}

enum pgm_wait_kind pgm_classify_wait(const struct pgm_stack *stack, const struct pgm_wait_event *we,
				     bool crashed)
{
	if (crashed)
		return PGM_WAIT_CRASHED;
	enum pgm_wait_kind k = from_stack(stack);
	if (k == PGM_WAIT_LATCH) {
		/* a latch wait for a timeout or a client is better named by its event */
		enum pgm_wait_kind e = from_wait_event(we);
		if (e == PGM_WAIT_TIMEOUT || e == PGM_WAIT_SOCKET)
			return e;
	}
	if (k != PGM_WAIT_UNKNOWN)
		return k;
	/* an IO event is reported only around the system call: the stack is in it, not running */
	if (from_wait_event(we) == PGM_WAIT_IO)
		return PGM_WAIT_IO;
	if (stack && stack->n_frames && !innermost_is_sleeping(stack))
		return PGM_WAIT_NONE;   /* on CPU, whatever it last reported */
	return from_wait_event(we);
}
