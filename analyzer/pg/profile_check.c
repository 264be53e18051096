/*
 * A profile's layout checked against the capture before any decoder
 * trusts it (pg/profile.h).  Each check reads through the profile's
 * offsets values the capture states independently (the process's own pid,
 * the index's copy of a pointer, the same pids in two arrays): a wrong
 * offset reads something else, and the profile is refused.  A check whose
 * memory the capture lacks is skipped, not failed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"
#include "pg/profile.h"

#define PID_MAX_LIMIT 4194304   /* Linux: no pid is larger */

struct check_list {
	char **passed;
	size_t n;
	char *refused;
};

static struct pgm_error *passed(struct check_list *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static struct pgm_error *passed(struct check_list *c, const char *fmt, ...)
{
	char **grown = realloc(c->passed, (c->n + 1) * sizeof(*grown)), *s;
	if (!grown)
		return &pgm_enomem;
	c->passed = grown;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return &pgm_enomem;
	c->passed[c->n++] = s;
	return NULL;
}

static struct pgm_error *refuse(struct check_list *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static struct pgm_error *refuse(struct check_list *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&c->refused, fmt, ap);
	va_end(ap);
	return rc < 0 ? (c->refused = NULL, &pgm_enomem) : NULL;
}

/* Out of memory passes through; any other failure means "could not check". */
static bool unchecked(struct pgm_error **err)
{
	if (!*err || *err == &pgm_enomem)
		return false;
	pgm_error_destroy(*err);
	*err = NULL;
	return true;
}

/* The process's own status entry, when it has one, names it. */
static struct pgm_error *check_own_status(const struct pgm_pg *pg, struct check_list *c, int32_t want)
{
	uint64_t be = 0, pid = 0;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyBEEntry, &be);
	if (!err && be)
		err = pgm_pg_read_member(pg, be, PGM_M_PgBackendStatus_procpid, &pid);
	bool known = !err && be;
	if (err && !unchecked(&err))
		return err;
	if (known && (int32_t)pid != want)
		return refuse(c, "MyBEEntry->st_procpid is %" PRId32 ", but the capture is of pid %d", (int32_t)pid, want);
	return passed(c, "MyProcPid%s MyProc->pid%s are the capture's pid %d", known ? "," : " and",
		      known ? " and MyBEEntry->st_procpid" : "", want);
}

/* Both are written once at process start, and MyProc is the process's own PGPROC. */
static struct pgm_error *check_pids(const struct pgm_pg *pg, struct check_list *c)
{
	int32_t want = pg->target->pid;
	int64_t pid;
	uint64_t proc = 0, proc_pid = 0;
	if (want <= 0)
		return NULL;
	struct pgm_error *err = pgm_pg_read_global_signed(pg, PGM_G_MyProcPid, &pid);
	if (err)
		return unchecked(&err) ? NULL : err;
	if (pid != want)
		return refuse(c, "MyProcPid is %" PRId64 ", but the capture is of pid %d", pid, want);
	err = pgm_pg_my_proc(pg, &proc);
	if (!err && proc)
		err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &proc_pid);
	bool known = !err;
	if (err && !unchecked(&err))
		return err;
	if (!known || proc == 0)
		return passed(c, "MyProcPid is the capture's pid %d", want);
	if ((int32_t)proc_pid != want)
		return refuse(c, "MyProc->pid is %" PRId32 ", but the capture is of pid %d", (int32_t)proc_pid, want);
	return check_own_status(pg, c, want);
}

static struct pgm_error *check_index(const struct pgm_pg *pg, struct check_list *c)
{
	uint64_t proc_hdr;
	if (!pg->shmem || pg->shmem->problem)
		return NULL;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_ProcGlobal, &proc_hdr);
	if (err)
		return unchecked(&err) ? NULL : err;
	uint64_t indexed = pg->shmem->location[PGM_SH_ProcGlobal];
	if (indexed != proc_hdr)
		return refuse(c, "ShmemIndex's \"Proc Header\" is 0x%" PRIx64 ", but ProcGlobal is 0x%" PRIx64,
			      indexed, proc_hdr);
	return passed(c, "ShmemIndex (%zu entries) places \"Proc Header\" where ProcGlobal points",
		      pg->shmem->n_entries);
}

static int cmp_pid(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The pids of the live PGPROCs (allProcs[0, allProcCount)), sorted. */
static struct pgm_error *proc_pids(const struct pgm_pg *pg, int32_t **ret, size_t *n)
{
	uint64_t count, proc, pid;
	struct pgm_error *err = pgm_pg_proc_count(pg, &count);
	*ret = NULL;
	*n = 0;
	if (!err && !(*ret = calloc(count + 1, sizeof(**ret))))
		err = &pgm_enomem;
	for (uint64_t i = 0; !err && i < count; i++)
		if (!(err = pgm_pg_proc_addr(pg, (int64_t)i, &proc)) &&
		    !(err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &pid)) && (int32_t)pid != 0)
			(*ret)[(*n)++] = (int32_t)pid;
	if (!err)
		qsort(*ret, *n, sizeof(**ret), cmp_pid);
	return err;
}

/* The first pid of a (sorted) that b (sorted) lacks, or 0. */
static int32_t first_missing(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
	for (size_t i = 0, j = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j == nb || b[j] != a[i])
			return a[i];
	}
	return 0;
}

/* How many pids of a (sorted) b (sorted) lacks. */
static size_t count_missing(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
	size_t n = 0;
	for (size_t i = 0, j = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		n += j == nb || b[j] != a[i];
	}
	return n;
}

/*
 * Every backend status entry is a live PGPROC's.  Not the other way round:
 * a backend has its PGPROC before its status entry while it starts, and
 * after it while it exits.
 */
static struct pgm_error *check_status(const struct pgm_pg *pg, struct check_list *c)
{
	int32_t *procs = NULL, *status = NULL, missing;
	size_t n_procs = 0, n_status = 0;
	struct pgm_error *err = proc_pids(pg, &procs, &n_procs);
	if (!err)
		err = pgm_pg_status_pids(pg, &status, &n_status);
	if (err) {
		unchecked(&err);   /* what the capture lacks is not a failed check */
		goto out_free;
	}
	if (n_procs && (procs[0] < 0 || procs[n_procs - 1] > PID_MAX_LIMIT))
		err = refuse(c, "a live PGPROC has pid %d, which no process can have",
			     procs[0] < 0 ? procs[0] : procs[n_procs - 1]);
	else if ((missing = first_missing(status, n_status, procs, n_procs)))
		err = refuse(c, "PgBackendStatus has an entry for pid %d, which no live PGPROC has", missing);
	else if (n_status == 0)
		err = refuse(c, "%s", "no backend status entry is in use: the array reads as empty");
	else
		err = passed(c, "the %zu backend status entries are live PGPROCs' (%zu PGPROCs, %zu starting or "
			     "exiting without an entry)", n_status, n_procs,
			     count_missing(procs, n_procs, status, n_status));
out_free:
	free(procs);
	free(status);
	return err;
}

struct pgm_error *pgm_pg_profile_check(const struct pgm_pg *pg, char ***checks, size_t *n_checks,
				       char **refused)
{
	struct check_list c = { 0 };
	struct pgm_error *err = check_pids(pg, &c);
	if (!err && !c.refused)
		err = check_index(pg, &c);
	if (!err && !c.refused)
		err = check_status(pg, &c);
	if (!err && !c.refused && c.n == 0)
		err = refuse(&c, "%s", "none of the checks could be made: the capture lacks the memory they read");
	if (err) {
		for (size_t i = 0; i < c.n; i++)
			free(c.passed[i]);
		free(c.passed);
		free(c.refused);
		return err;
	}
	*checks = c.passed;
	*n_checks = c.n;
	*refused = c.refused;
	return NULL;
}
