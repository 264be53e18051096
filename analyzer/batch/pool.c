/*
 * The process pool: each job runs in a forked child with two pipes (its
 * result, and its stderr), at most `jobs` at once, each with a deadline the
 * parent enforces with SIGKILL.  The parent only polls, reads and reaps, so
 * a child that crashes, hangs or floods its pipe cannot take it down.
 *
 * Children are forked, not exec'ed: they inherit the parent's state (the
 * inputs, the options, the layout cache setting) and leave with _exit(),
 * never flushing stdio buffers that belong to the parent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pgmortem/batch.h"

#define STDERR_KEEP 4096
#define READ_CHUNK 65536

struct slot {
	pid_t pid;               /* 0: free; -1: exited and reaped */
	size_t index;
	int out_fd, err_fd;      /* -1 once at EOF */
	char *out;
	size_t out_len, out_cap;
	bool truncated, timed_out;
	char err[STDERR_KEEP + 1];
	size_t err_len;
	int status;
	double start;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child: never returns. */
static void run_child(const struct pgm_batch_pool_options *o, struct slot *slots, unsigned n_slots,
		      struct slot *self, int out_w, int err_w, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	/* a crash must end the child, whatever handlers the parent installed */
	static const int defaults[] = { SIGINT, SIGTERM, SIGPIPE, SIGSEGV, SIGBUS, SIGILL, SIGFPE,
					SIGABRT, SIGALRM, SIGCHLD };
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		signal(defaults[i], SIG_DFL);
	for (unsigned i = 0; i < n_slots; i++) {
		close_fd(&slots[i].out_fd);
		close_fd(&slots[i].err_fd);
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	dup2(err_w, STDERR_FILENO);
	_exit(o->job(o->arg, self->index, out_w));
}

static struct pgm_error *start(const struct pgm_batch_pool_options *o, struct slot *slots,
			       unsigned n_slots, struct slot *s, size_t index)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return pgm_error_errno(errno, "pipe2");
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]), close(out[1]);
		return pgm_error_errno(errno, "pipe2");
	}
	memset(s, 0, sizeof(*s));
	s->index = index;
	s->out_fd = out[0];
	s->err_fd = err[0];
	s->start = now();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		run_child(o, slots, n_slots, s, out[1], err[1], parent);
	}
	close(out[1]), close(err[1]);
	if (pid < 0) {
		int e = errno;
		close_fd(&s->out_fd), close_fd(&s->err_fd);
		s->pid = 0;
		return pgm_error_errno(e, "fork");
	}
	fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
	s->pid = pid;
	return NULL;
}

/* Keeps the last STDERR_KEEP bytes of the child's stderr. */
static void keep_tail(struct slot *s, const char *buf, size_t n)
{
	if (n >= STDERR_KEEP) {
		memcpy(s->err, buf + n - STDERR_KEEP, STDERR_KEEP);
		s->err_len = STDERR_KEEP;
		return;
	}
	if (s->err_len + n > STDERR_KEEP) {
		size_t drop = s->err_len + n - STDERR_KEEP;
		memmove(s->err, s->err + drop, s->err_len - drop);
		s->err_len -= drop;
	}
	memcpy(s->err + s->err_len, buf, n);
	s->err_len += n;
}

/* Reads what is there; keeps max_output bytes of results and the tail of stderr. */
static struct pgm_error *drain(struct slot *s, bool is_err, size_t max_output)
{
	char buf[READ_CHUNK];
	int *fd = is_err ? &s->err_fd : &s->out_fd;
	for (;;) {
		ssize_t n = read(*fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return NULL;
		if (n <= 0) {
			close_fd(fd);
			return NULL;
		}
		if (is_err) {
			keep_tail(s, buf, (size_t)n);
			continue;
		}
		size_t take = s->out_len + (size_t)n > max_output ? max_output - s->out_len : (size_t)n;
		s->truncated |= take < (size_t)n;
		if (s->out_len + take + 1 > s->out_cap) {
			size_t cap = s->out_cap ? s->out_cap : READ_CHUNK;
			while (cap < s->out_len + take + 1)
				cap *= 2;
			char *p = realloc(s->out, cap);
			if (!p)
				return &pgm_enomem;
			s->out = p;
			s->out_cap = cap;
		}
		memcpy(s->out + s->out_len, buf, take);
		s->out_len += take;
	}
}

static void finish(const struct pgm_batch_pool_options *o, struct slot *s)
{
	struct pgm_batch_result r = { 0 };
	if (s->timed_out)
		r.outcome = PGM_BATCH_TIMEOUT;
	else if (WIFSIGNALED(s->status))
		r.outcome = PGM_BATCH_KILLED, r.signo = WTERMSIG(s->status);
	else
		r.outcome = PGM_BATCH_EXITED, r.exit_code = WEXITSTATUS(s->status);
	if (s->out)
		s->out[s->out_len] = '\0';
	s->err[s->err_len] = '\0';
	r.output = s->out ? s->out : (char *)"";
	r.output_len = s->out_len;
	r.output_truncated = s->truncated;
	r.stderr_tail = s->err;
	r.seconds = now() - s->start;
	o->done(o->arg, s->index, &r);
	free(s->out);
	s->out = NULL;
	s->pid = 0;
}

/* Milliseconds until the nearest deadline of a running child, -1 for none. */
static int poll_timeout(const struct pgm_batch_pool_options *o, const struct slot *slots, unsigned n)
{
	double t = now(), best = -1;
	for (unsigned i = 0; i < n; i++) {
		if (slots[i].pid <= 0)
			continue;
		if (slots[i].out_fd < 0 && slots[i].err_fd < 0)
			return 20;   /* pipes closed, not yet reaped: look again soon */
		if (o->timeout > 0 && !slots[i].timed_out) {
			double left = slots[i].start + o->timeout - t;
			if (best < 0 || left < best)
				best = left > 0 ? left : 0;
		}
	}
	return best < 0 ? -1 : (int)(best * 1000) + 1;
}

static void enforce_deadlines(const struct pgm_batch_pool_options *o, struct slot *slots, unsigned n)
{
	double t = now();
	for (unsigned i = 0; i < n; i++)
		if (slots[i].pid > 0 && !slots[i].timed_out && o->timeout > 0 &&
		    t >= slots[i].start + o->timeout) {
			kill(slots[i].pid, SIGKILL);
			slots[i].timed_out = true;
		}
}

static struct pgm_error *service(const struct pgm_batch_pool_options *o, struct slot *slots,
				 unsigned n, size_t *active)
{
	struct pollfd fds[2 * n];
	struct slot *owner[2 * n];
	nfds_t nfds = 0;
	for (unsigned i = 0; i < n; i++) {
		if (slots[i].pid <= 0)
			continue;
		if (slots[i].out_fd >= 0)
			owner[nfds] = &slots[i], fds[nfds++] = (struct pollfd){ slots[i].out_fd, POLLIN, 0 };
		if (slots[i].err_fd >= 0)
			owner[nfds] = &slots[i], fds[nfds++] = (struct pollfd){ slots[i].err_fd, POLLIN, 0 };
	}
	int rc = poll(fds, nfds, poll_timeout(o, slots, n));
	if (rc < 0 && errno != EINTR)
		return pgm_error_errno(errno, "poll");
	for (nfds_t i = 0; rc > 0 && i < nfds; i++) {
		if (!fds[i].revents)
			continue;
		struct pgm_error *err = drain(owner[i], fds[i].fd == owner[i]->err_fd, o->max_output);
		if (err)
			return err;
	}
	enforce_deadlines(o, slots, n);
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &slots[i];
		if (s->pid <= 0 || s->out_fd >= 0 || s->err_fd >= 0)
			continue;
		if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
			finish(o, s);
			(*active)--;
		}
	}
	return NULL;
}

struct pgm_error *pgm_batch_run(size_t n, const struct pgm_batch_pool_options *o)
{
	unsigned n_slots = o->jobs ? o->jobs : 1;
	struct slot *slots = calloc(n_slots, sizeof(*slots));
	if (!slots)
		return &pgm_enomem;
	for (unsigned i = 0; i < n_slots; i++)
		slots[i].out_fd = slots[i].err_fd = -1;
	size_t next = 0, active = 0;
	struct pgm_error *err = NULL, *start_err = NULL;
	/* after a failed fork, start nothing more but let the running jobs finish */
	while (!err && ((next < n && !start_err) || active)) {
		for (unsigned i = 0; i < n_slots && next < n && !start_err; i++) {
			if (slots[i].pid != 0)
				continue;
			if (!(start_err = start(o, slots, n_slots, &slots[i], next)))
				next++, active++;
		}
		if (active)
			err = service(o, slots, n_slots, &active);
	}
	if (err)
		pgm_error_destroy(start_err);
	else
		err = start_err;
	/* on an error, take down the children still running */
	for (unsigned i = 0; i < n_slots; i++) {
		if (slots[i].pid > 0) {
			kill(slots[i].pid, SIGKILL);
			waitpid(slots[i].pid, NULL, 0);
		}
		close_fd(&slots[i].out_fd);
		close_fd(&slots[i].err_fd);
		free(slots[i].out);
	}
	free(slots);
	return err;
}
