/*
 * The system call a live process sleeps in (live.h): /proc/PID/syscall
 * gives its number and arguments ("running" when on CPU, "-1 …" when
 * blocked outside a call), readable with the right to ptrace it.  For the
 * calls that take a file descriptor first, /proc/PID/fd/N names the file:
 * the kernel's view of an IO wait, which no core holds.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target/live.h"

struct syscall_name {
	int64_t nr;
	const char *name;
	bool fd_first;           /* the first argument is a file descriptor */
};

/* x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl): the calls a PostgreSQL process sleeps in. */
static const struct syscall_name syscalls[] = {
	{ 0, "read", true }, { 1, "write", true }, { 7, "poll", false }, { 17, "pread64", true },
	{ 18, "pwrite64", true }, { 19, "readv", true }, { 20, "writev", true }, { 23, "select", false },
	{ 35, "nanosleep", false }, { 44, "sendto", true }, { 45, "recvfrom", true }, { 65, "semop", false },
	{ 74, "fsync", true }, { 75, "fdatasync", true }, { 77, "ftruncate", true }, { 202, "futex", false },
	{ 220, "semtimedop", false }, { 230, "clock_nanosleep", false }, { 232, "epoll_wait", true },
	{ 257, "openat", false }, { 271, "ppoll", false }, { 277, "sync_file_range", true },
	{ 281, "epoll_pwait", true }, { 285, "fallocate", true }, { 295, "preadv", true },
	{ 296, "pwritev", true }, { 327, "preadv2", true }, { 328, "pwritev2", true },
	{ 426, "io_uring_enter", true }, { 441, "epoll_pwait2", true },
};

static const struct syscall_name *lookup(int64_t nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return &syscalls[i];
	return NULL;
}

static char *fd_target(int32_t pid, int32_t fd)
{
	char path[64], buf[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, (int)fd);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

void live_read_syscall(struct live_target *lt)
{
	struct pgm_live_facts *f = &lt->facts;
	char path[64], *text = NULL;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)lt->base.pid);
	struct pgm_error *err = live_read_file(path, &text, NULL);
	if (err) {
		pgm_error_destroy(err);   /* not readable here: the call stays unknown */
		return;
	}
	char *end;
	long long nr = strtoll(text, &end, 10);
	unsigned long long arg0 = end != text ? strtoull(end, NULL, 16) : 0;
	if (end != text && nr >= 0) {
		const struct syscall_name *s = lookup(nr);
		f->syscall_nr = nr;
		f->syscall_name = s ? s->name : NULL;
		if (s && s->fd_first && arg0 <= INT32_MAX) {
			f->syscall_fd = (int32_t)arg0;
			f->syscall_file = fd_target(lt->base.pid, f->syscall_fd);
		}
	}
	free(text);
}
