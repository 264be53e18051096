/*
 * Unit tests for the live target and the snapshot writer, on a forked
 * child that sleeps with a known pattern in private memory and another in
 * a shared anonymous mapping (what PostgreSQL's main segment is).  The
 * child is ours, so ptrace is allowed even under kernel.yama.ptrace_scope
 * 1; where ptrace is refused altogether (seccomp) the tests are skipped.
 *
 * Checked: registers of the one thread, reads of both patterns, a fault
 * outside every mapping, the child running and untraced afterwards, and a
 * snapshot that pgmortem's own core reader opens with the same registers
 * and both patterns, the shared one under its NT_FILE name, and with an
 * excluded range mapped but not captured.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgmortem/live.h"
#include "pgmortem/snapshot.h"
#include "pgmortem/target.h"

static const char private_text[] = "pgmortem-private-pattern";
static const char shared_text[] = "pgmortem-shared-pattern";

struct child {
	pid_t pid;
	uint64_t private_addr, shared_addr;
};

static void child_main(int fd)
{
	char *priv = malloc(4096);
	char *shared = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!priv || shared == MAP_FAILED)
		_exit(1);
	strcpy(priv, private_text);
	strcpy(shared, shared_text);
	strcpy(shared + 4096, shared_text);
	uint64_t addrs[2] = { (uintptr_t)priv, (uintptr_t)shared };
	if (write(fd, addrs, sizeof(addrs)) != sizeof(addrs))
		_exit(1);
	close(fd);
	for (;;)
		pause();
}

static int setup(void **state)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	struct child *c = calloc(1, sizeof(*c));
	c->pid = fork();
	if (c->pid == 0) {
		close(p[0]);
		child_main(p[1]);
	}
	close(p[1]);
	uint64_t addrs[2];
	if (read(p[0], addrs, sizeof(addrs)) != sizeof(addrs))
		return -1;
	close(p[0]);
	c->private_addr = addrs[0];
	c->shared_addr = addrs[1];
	usleep(20000);   /* let it reach pause() */
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct child *c = *state;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	free(c);
	return 0;
}

static struct pgm_target *attach(const struct child *c, bool private)
{
	struct pgm_live_options opts = { .freeze_private = private };
	struct pgm_target *t = NULL;
	struct pgm_error *err = pgm_target_live_attach(c->pid, &opts, &t);
	if (err && (err->code == PGM_ERR_PERMISSION || err->errnum == EPERM)) {
		pgm_error_destroy(err);
		skip();
	}
	assert_null(err);
	return t;
}

static char status_field(pid_t pid, const char *name, int *value)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	char state = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, name, strlen(name)) == 0) {
			const char *v = line + strlen(name) + 1 + strspn(line + strlen(name) + 1, " \t");
			state = v[0];
			if (value)
				*value = atoi(v);
		}
	if (f)
		fclose(f);
	return state;
}

static void assert_text_at(struct pgm_target *t, uint64_t addr, const char *text)
{
	char buf[64] = { 0 };
	struct pgm_error *err = pgm_target_read(t, addr, buf, strlen(text) + 1);
	assert_null(err);
	assert_string_equal(buf, text);
}

static void test_attach_reads_and_resumes(void **state)
{
	struct child *c = *state;
	struct pgm_target *t = attach(c, false);
	const struct pgm_live_facts *f = pgm_target_live_facts(t);
	assert_non_null(f);
	assert_true(f->stopped);
	assert_true(f->freeze_ms > 0);
	assert_int_equal(t->n_threads, 1);
	assert_int_equal(t->threads[0].tid, c->pid);
	assert_true(t->threads[0].regs.rsp != 0 && t->threads[0].regs.rip != 0);
	assert_int_equal(f->state, 'S');
	assert_text_at(t, c->private_addr, private_text);
	assert_text_at(t, c->shared_addr, shared_text);
	uint64_t v;
	struct pgm_error *err = pgm_target_read_u64(t, 0x1000, &v);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_FAULT);
	pgm_error_destroy(err);
	int tracer = -1;
	assert_int_equal(status_field(c->pid, "TracerPid", &tracer), '0');
	assert_int_equal(tracer, 0);
	/* right after the detach it may still be running back into pause() */
	char st = 0;
	for (int i = 0; i < 200 && (st = status_field(c->pid, "State", NULL)) != 'S'; i++)
		usleep(5000);
	assert_int_equal(st, 'S');
	pgm_target_destroy(t);
}

static void test_snapshot_round_trip(void **state)
{
	struct child *c = *state;
	struct pgm_target *t = attach(c, true);
	char path[] = "/tmp/pgm-test-snapshot.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct pgm_snapshot_options so = { .exclude_start = c->shared_addr + 4096,
					   .exclude_end = c->shared_addr + 8192 };
	struct pgm_snapshot_stats st;
	struct pgm_error *err = pgm_snapshot_write(t, path, &so, &st);
	assert_null(err);
	assert_int_equal(st.n_threads, 1);
	assert_int_equal(st.excluded_bytes, 4096);
	assert_true(st.shared_bytes >= 4096);

	struct pgm_target *core = NULL;
	err = pgm_target_core_open(path, NULL, &core);
	assert_null(err);
	assert_int_equal(core->pid, c->pid);
	assert_int_equal(core->n_threads, 1);
	assert_memory_equal(&core->threads[0].regs, &t->threads[0].regs, sizeof(struct pgm_regs));
	assert_false(core->has_siginfo);
	assert_text_at(core, c->private_addr, private_text);
	assert_text_at(core, c->shared_addr, shared_text);
	const struct pgm_mapping *m = pgm_target_find_mapping(core, c->shared_addr);
	assert_non_null(m);
	assert_non_null(m->path);
	assert_non_null(strstr(m->path, "/dev/zero"));
	char buf[8];
	err = pgm_target_read(core, c->shared_addr + 4096, buf, sizeof(buf));
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_NOT_CAPTURED);
	pgm_error_destroy(err);
	uint64_t entry_live, entry_core;
	assert_true(pgm_target_auxv(t, AT_ENTRY, &entry_live));
	assert_true(pgm_target_auxv(core, AT_ENTRY, &entry_core));
	assert_int_equal(entry_live, entry_core);
	pgm_target_destroy(core);
	pgm_target_destroy(t);
	unlink(path);
}

static void test_no_such_process(void **state)
{
	(void)state;
	struct pgm_target *t = NULL;
	struct pgm_error *err = pgm_target_live_attach(0x3ffffff0, NULL, &t);
	assert_non_null(err);
	assert_int_equal(err->errnum, ESRCH);
	pgm_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_reads_and_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
		cmocka_unit_test(test_no_such_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
