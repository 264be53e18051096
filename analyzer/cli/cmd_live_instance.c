/*
 * pgmortem live --instance PID: the backend PID and every other process of
 * its PostgreSQL instance (the postmaster's children), each attached live
 * one after another, merged into one instance so that the private state of
 * each (held LWLocks, the CV it sleeps on) names holders across backends.
 *
 * Each process is stopped only for its own freeze; the picture is of
 * consecutive instants, not one, which is fine for stuck processes and is
 * said in the output.  A process someone else traces (gdb) is read without
 * stopping it, as for `pgmortem live`.
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pgmortem/analyze.h"
#include "pgmortem/live.h"
#include "render/live_render.h"

static int32_t parent_of(int32_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	int ppid = 0;
	return p && sscanf(p + 2, "%*c %d", &ppid) == 1 ? ppid : 0;
}

static bool same_exe(int32_t a, int32_t b)
{
	char pa[64], pb[64], ea[PATH_MAX], eb[PATH_MAX];
	snprintf(pa, sizeof(pa), "/proc/%d/exe", (int)a);
	snprintf(pb, sizeof(pb), "/proc/%d/exe", (int)b);
	ssize_t na = readlink(pa, ea, sizeof(ea) - 1), nb = readlink(pb, eb, sizeof(eb) - 1);
	return na > 0 && na == nb && memcmp(ea, eb, (size_t)na) == 0;
}

/* PID first, then every other child of its postmaster, by pid. */
size_t cli_instance_pids(int32_t pid, int32_t **ret)
{
	int32_t pm = parent_of(pid);
	if (!pm || !same_exe(pid, pm))
		pm = pid;   /* PID is the postmaster itself */
	size_t n = 0, cap = 64;
	int32_t *pids = malloc(cap * sizeof(*pids));
	DIR *dir = opendir("/proc");
	if (!pids || !dir) {
		free(pids);
		if (dir)
			closedir(dir);
		return 0;
	}
	if (pm != pid)
		pids[n++] = pid;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int32_t p = (int32_t)atoi(de->d_name);
		if (p == pid || parent_of(p) != pm || !same_exe(p, pm))
			continue;
		if (n == cap) {
			int32_t *grown = realloc(pids, 2 * cap * sizeof(*pids));
			if (!grown)
				break;
			pids = grown;
			cap *= 2;
		}
		pids[n++] = p;
	}
	closedir(dir);
	*ret = pids;
	return n;
}

static struct pgm_error *open_live(struct cli_core *c, int32_t pid, const struct cli_common *common,
				   const struct pgm_live_options *lopts)
{
	struct pgm_program_options popts;
	cli_program_options(common, &popts);
	popts.symbols_only_libraries = true;   /* the analysis needs only PostgreSQL's DWARF */
	struct pgm_error *err = pgm_target_live_attach(pid, lopts, &c->target);
	if (!err)
		err = pgm_program_create(c->target, &popts, &c->program);
	if (!err)
		err = pgm_instance_identify(c->program, &c->id);
	if (!err)
		err = pgm_analyze(c->program, NULL, &c->report);
	return err;
}

/* Attaches every process; those that fail are reported and left out. */
static size_t open_all(const int32_t *pids, size_t n, const struct cli_common *common,
		       const struct pgm_live_options *lopts, struct cli_instances *s)
{
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct cli_core *c = &s->cores[s->n_cores];
		struct pgm_error *err = open_live(c, pids[i], common, lopts);
		char context[32];
		snprintf(context, sizeof(context), "process %d", (int)pids[i]);
		/* all run one executable: its files and debuginfo are said once */
		if (i == 0)
			cli_report_warnings(context, NULL, c->program);
		if (err) {
			pgm_error_destroy(err);
			pgm_report_destroy(c->report);
			pgm_instance_id_deinit(&c->id);
			pgm_program_destroy(c->program);
			pgm_target_destroy(c->target);
			memset(c, 0, sizeof(*c));
			failed++;
			continue;
		}
		c->path = c->target->path;
		s->n_cores++;
	}
	return failed;
}

/* One instance from the first process (PID): the others of the same instance join it. */
static struct pgm_error *build(struct cli_instances *s)
{
	struct cli_core *base = &s->cores[0];
	struct pgm_instance_options opts = { .locks = false };
	struct pgm_instance *inst;
	struct pgm_error *err = pgm_instance_read(base->program, &opts, &inst);
	if (err)
		return err;
	s->instances[s->n_instances++] = inst;
	for (size_t i = 0; !err && i < s->n_cores; i++) {
		struct cli_core *c = &s->cores[i];
		if (i && !pgm_instance_id_equal(&c->id, &base->id))
			continue;
		err = pgm_instance_add_report(inst, c->report);
		c->report = NULL;
	}
	return err ? err : pgm_instance_link(inst, base->program);
}

int cli_live_instance(int32_t pid, const struct cli_common *common, const struct pgm_live_options *lopts,
		      bool full_stack)
{
	int32_t *pids = NULL;
	char proc[32];
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	if (access(proc, F_OK) != 0) {
		cli_error("process %d: no such process", (int)pid);
		return EXIT_UNUSABLE;
	}
	size_t n = cli_instance_pids(pid, &pids);
	/* PID comes first, unless it is the postmaster: then only its children are listed */
	if (!n || pids[0] != pid) {
		free(pids);
		if (!n)
			cli_error("process %d: no PostgreSQL backends found under its postmaster", (int)pid);
		else
			cli_error("process %d is the postmaster, or not a child of one: give the pid of a "
				  "backend", (int)pid);
		return EXIT_UNUSABLE;
	}
	struct cli_instances s = { 0 };
	s.cores = calloc(n, sizeof(*s.cores));
	s.instances = calloc(1, sizeof(*s.instances));
	if (!s.cores || !s.instances) {
		free(pids);
		cli_instances_close(&s);
		return cli_error("out of memory"), EXIT_UNUSABLE;
	}
	size_t failed = open_all(pids, n, common, lopts, &s);
	free(pids);
	/* PID failed: open_all said why */
	struct pgm_error *err = s.n_cores && s.cores[0].target->pid == pid ? build(&s) : NULL;
	if (err || !s.n_cores || s.cores[0].target->pid != pid) {
		if (err)
			cli_report_error(NULL, err);
		pgm_error_destroy(err);
		cli_instances_close(&s);
		return EXIT_UNUSABLE;
	}
	struct pgm_live_member *m = calloc(s.n_cores, sizeof(*m));
	for (size_t i = 0; m && i < s.n_cores; i++)
		m[i] = (struct pgm_live_member){ s.cores[i].target->pid, pgm_target_live_facts(s.cores[i].target) };
	struct pgm_text_style st = { .color = common->color, .full_stack = full_stack };
	if (common->format == CLI_FORMAT_JSON)
		pgm_render_live_instance_json(stdout, s.instances[0], m, m ? s.n_cores : 0);
	else
		pgm_render_live_instance_text(stdout, s.instances[0], m, m ? s.n_cores : 0, &st);
	bool partial = failed || !pgm_target_live_facts(s.cores[0].target)->stopped;
	free(m);
	cli_instances_close(&s);
	return partial ? EXIT_PARTIAL : EXIT_COMPLETE;
}
