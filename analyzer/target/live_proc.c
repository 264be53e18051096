/*
 * What a live process's /proc directory tells: mappings, identity, auxv,
 * state and the facts no core can hold.  Nothing here stops the process.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "target/live.h"
#include "target/target_internal.h"

#define MAX_PROC_FILE (16u << 20)

struct pgm_error *live_read_file(const char *path, char **ret, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pgm_error_errno(errno, "open %s", path);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	struct pgm_error *err = NULL;
	while (buf) {
		if (n + 1 >= cap) {
			char *grown = cap < MAX_PROC_FILE ? realloc(buf, cap * 2) : NULL;
			if (!grown) {
				err = cap < MAX_PROC_FILE ? &pgm_enomem
					: pgm_error_create(PGM_ERR_LIMIT, "%s: larger than %u bytes", path, MAX_PROC_FILE);
				break;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = pgm_error_errno(errno, "read %s", path);
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf)
		return &pgm_enomem;
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*ret = buf;
	if (len)
		*len = n;
	return NULL;
}

static char *proc_path(int32_t pid, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/%s", (int)pid, name);
	return buf;
}

/* Command line with NULs as spaces, trailing space removed; NULL if empty. */
static char *read_cmdline(int32_t pid)
{
	char path[64], *s = NULL;
	size_t len = 0;
	struct pgm_error *err = live_read_file(proc_path(pid, "cmdline", path, sizeof(path)), &s, &len);
	if (err) {
		pgm_error_destroy(err);
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	while (len && s[len - 1] == ' ')
		s[--len] = '\0';
	if (!len) {
		free(s);
		return NULL;
	}
	return s;
}

static char *read_line(int32_t pid, const char *name)
{
	char path[64], *s = NULL;
	struct pgm_error *err = live_read_file(proc_path(pid, name, path, sizeof(path)), &s, NULL);
	if (err) {
		pgm_error_destroy(err);
		return NULL;
	}
	s[strcspn(s, "\n")] = '\0';
	return s;
}

struct pgm_error *live_read_identity(struct live_target *lt)
{
	struct pgm_target *t = &lt->base;
	char path[64], exe[PATH_MAX];
	t->cmdline = read_cmdline(t->pid);
	t->fname = read_line(t->pid, "comm");
	ssize_t n = readlink(proc_path(t->pid, "exe", path, sizeof(path)), exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (!(t->exe_path = strdup(exe)))
			return &pgm_enomem;
	}
	char *auxv = NULL;
	size_t len = 0;
	struct pgm_error *err = live_read_file(proc_path(t->pid, "auxv", path, sizeof(path)), &auxv, &len);
	if (err) {
		int errnum = err->errnum;
		char what[80];
		pgm_error_destroy(err);
		if (errnum == ENOENT || errnum == ESRCH)
			return live_no_such_process();
		snprintf(what, sizeof(what), "reading %s", path);
		return live_permission_error(t->pid, lt->facts.uid, what, errnum);
	}
	t->auxv = (uint8_t *)auxv;
	t->auxv_len = len;
	return NULL;
}

/* ---- maps ---- */

struct maps_line {
	uint64_t start, end, offset;
	char perms[5];
	const char *path;   /* into the line, NULL if anonymous */
};

static bool parse_maps_line(char *line, struct maps_line *ml)
{
	unsigned long long start, end, offset, inode;
	int path_at = 0;
	if (sscanf(line, "%llx-%llx %4s %llx %*x:%*x %llu %n", &start, &end, ml->perms, &offset,
		   &inode, &path_at) < 5)
		return false;
	ml->start = start;
	ml->end = end;
	ml->offset = offset;
	ml->path = path_at && line[path_at] ? line + path_at : NULL;
	return true;
}

static struct pgm_error *add_map(struct live_target *lt, const struct maps_line *ml, size_t *cap)
{
	struct pgm_target *t = &lt->base;
	if (t->n_mappings == *cap) {
		size_t n = *cap ? 2 * *cap : 64;
		struct pgm_mapping *m = realloc(t->mappings, n * sizeof(*m));
		if (!m)
			return &pgm_enomem;
		t->mappings = m;
		struct live_map *lm = realloc(lt->maps, n * sizeof(*lm));
		if (!lm)
			return &pgm_enomem;
		lt->maps = lm;
		*cap = n;
	}
	struct live_map *lm = &lt->maps[t->n_mappings];
	*lm = (struct live_map){ .shared = ml->perms[3] == 's' };
	if (ml->path && !(lm->path = strdup(ml->path)))
		return &pgm_enomem;
	bool readable = ml->perms[0] == 'r';
	t->mappings[t->n_mappings++] = (struct pgm_mapping){
		.start = ml->start,
		.end = ml->end,
		.file_offset = ml->offset,
		.path = lm->path,
		.flags = (readable ? PGM_MAP_READ | PGM_MAP_CAPTURED : 0) |
			 (ml->perms[1] == 'w' ? PGM_MAP_WRITE : 0) | (ml->perms[2] == 'x' ? PGM_MAP_EXEC : 0),
	};
	return NULL;
}

struct pgm_error *live_read_maps(struct live_target *lt)
{
	char path[64], *text = NULL;
	struct pgm_error *err = live_read_file(proc_path(lt->base.pid, "maps", path, sizeof(path)),
					       &text, NULL);
	if (err)
		return err;
	size_t cap = 0;
	for (char *line = text, *next; line && *line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct maps_line ml;
		if (parse_maps_line(line, &ml) && ml.end > ml.start)
			err = add_map(lt, &ml, &cap);
	}
	free(text);
	return err;
}

static struct live_map *map_at(struct live_target *lt, uint64_t start)
{
	const struct pgm_mapping *m = pgm_target_find_mapping(&lt->base, start);
	return m && m->start == start ? &lt->maps[m - lt->base.mappings] : NULL;
}

/*
 * A kernel core dumps a private mapping whole when it has anonymous pages
 * (anonymous memory, or a file mapping written to: .data, relro); smaps'
 * "Anonymous:" (and "Swap:") say which.  An anonymous mapping with neither
 * was never written: all zeros, or reserved address space (ASan's shadow,
 * a JVM heap reserve, terabytes of it); it is left out.
 */
struct pgm_error *live_read_smaps(struct live_target *lt)
{
	char path[64], *text = NULL;
	struct pgm_error *err = live_read_file(proc_path(lt->base.pid, "smaps", path, sizeof(path)),
					       &text, NULL);
	if (err)
		return err;
	struct live_map *cur = NULL;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct maps_line ml;
		unsigned long long kb;
		if (isxdigit((unsigned char)line[0]) && parse_maps_line(line, &ml))
			cur = map_at(lt, ml.start);
		else if (cur && sscanf(line, "Rss: %llu kB", &kb) == 1)
			cur->rss = kb * 1024;
		else if (cur && (sscanf(line, "Anonymous: %llu kB", &kb) == 1 ||
				 sscanf(line, "Swap: %llu kB", &kb) == 1) && kb > 0)
			cur->dump_whole = true;
	}
	for (size_t i = 0; i < lt->base.n_mappings; i++)
		if (lt->maps[i].path && strcmp(lt->maps[i].path, "[vdso]") == 0)
			lt->maps[i].dump_whole = true;
	lt->smaps_read = true;
	free(text);
	return NULL;
}

/* ---- facts ---- */

static const char *status_field(const char *status, const char *name)
{
	size_t len = strlen(name);
	for (const char *line = status; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			return line + len + 1 + strspn(line + len + 1, " \t");
	return NULL;
}

static char *dup_field(const char *value)
{
	return value ? strndup(value, strcspn(value, "\n")) : NULL;
}

static void read_tracer(struct pgm_live_facts *f)
{
	f->tracer_comm = read_line(f->tracer_pid, "comm");
	f->tracer_cmdline = read_cmdline(f->tracer_pid);
}

static struct pgm_error *read_status(struct live_target *lt)
{
	struct pgm_live_facts *f = &lt->facts;
	char path[64], *status = NULL;
	struct pgm_error *err = live_read_file(proc_path(lt->base.pid, "status", path, sizeof(path)),
					       &status, NULL);
	if (err) {
		int errnum = err->errnum;
		pgm_error_destroy(err);
		return errnum == ENOENT ? live_no_such_process()
					: pgm_error_errno(errnum, "read %s", path);
	}
	const char *v;
	f->state_name = dup_field(status_field(status, "State"));
	if ((v = status_field(status, "TracerPid")))
		f->tracer_pid = atoi(v);
	if ((v = status_field(status, "PPid")))
		f->ppid = atoi(v);
	if ((v = status_field(status, "Uid")))
		f->uid = (uint32_t)strtoul(v, NULL, 10);
	if ((v = status_field(status, "voluntary_ctxt_switches")))
		f->voluntary_switches = strtoull(v, NULL, 10);
	if ((v = status_field(status, "nonvoluntary_ctxt_switches")))
		f->involuntary_switches = strtoull(v, NULL, 10);
	if (status_field(status, "Tgid") && atoi(status_field(status, "Tgid")) != lt->base.pid) {
		free(status);
		return pgm_error_create(PGM_ERR_USAGE, "%d is a thread of process %d, not a process",
					(int)lt->base.pid, atoi(status_field(status, "Tgid")));
	}
	free(status);
	if (f->tracer_pid)
		read_tracer(f);
	return NULL;
}

struct pgm_error *live_no_such_process(void)
{
	struct pgm_error *err = pgm_error_create(PGM_ERR_OS, "no such process");
	if (err != &pgm_enomem)
		err->errnum = ESRCH;
	return err;
}

#define PF_KTHREAD 0x00200000u

/*
 * /proc/PID/stat: state (3), flags (9), utime (14), stime (15), starttime
 * (22).  A zombie or a kernel thread has no memory to read: an error.
 */
static struct pgm_error *read_stat(struct live_target *lt)
{
	struct pgm_live_facts *f = &lt->facts;
	char *stat = read_line(lt->base.pid, "stat");
	char *up = NULL;
	struct pgm_error *err = live_read_file("/proc/uptime", &up, NULL);
	pgm_error_destroy(err);
	char *p = stat ? strrchr(stat, ')') : NULL;
	unsigned long long utime, stime, start;
	unsigned flags = 0;
	char state;
	if (p && sscanf(p + 2, "%c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
			"%*d %*d %llu", &state, &flags, &utime, &stime, &start) == 5) {
		double hz = (double)sysconf(_SC_CLK_TCK);
		f->state = state;
		f->cpu_s = (utime + stime) / hz;
		if (up)
			f->age_s = strtod(up, NULL) - start / hz;
	}
	free(stat);
	free(up);
	if (f->state == 'Z' || f->state == 'X')
		return pgm_error_create(PGM_ERR_OS, "a zombie: it has exited and its parent %d has not "
					"reaped it yet; there is no memory left to read", (int)f->ppid);
	if (flags & PF_KTHREAD)
		return pgm_error_create(PGM_ERR_USAGE, "a kernel thread, not a process with user memory");
	return NULL;
}

static double sched_exec_start(const char *pid_dir)
{
	char path[64], *text = NULL;
	snprintf(path, sizeof(path), "%s/sched", pid_dir);
	struct pgm_error *err = live_read_file(path, &text, NULL);
	if (err) {
		pgm_error_destroy(err);
		return -1;
	}
	const char *v = strstr(text, "se.exec_start");
	double ms = v ? strtod(v + strcspn(v, ":") + 1, NULL) : -1;
	free(text);
	return ms;
}

/*
 * se.exec_start is when the task last started running on a CPU (in the
 * scheduler's clock, ms); our own, read now, is "now" on that clock.
 */
static void read_off_cpu(struct live_target *lt)
{
	char dir[32];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)lt->base.pid);
	double them = sched_exec_start(dir);
	double now = sched_exec_start("/proc/thread-self");
	lt->facts.off_cpu_s = them >= 0 && now >= them ? (now - them) / 1000.0 : -1;
}

static struct pgm_error *read_kernel_stack(struct live_target *lt)
{
	struct pgm_live_facts *f = &lt->facts;
	char path[64], *s = NULL;
	struct pgm_error *err = live_read_file(proc_path(lt->base.pid, "stack", path, sizeof(path)), &s, NULL);
	if (!err && *s) {
		f->kernel_stack = s;
		return NULL;
	}
	free(s);
	const char *why = !err ? "empty (the task is running, or the kernel hides it)"
		: err->errnum == EACCES || err->errnum == EPERM ? "needs root (CAP_SYS_ADMIN)"
		: err->errnum == ENOENT ? "not available (kernel built without CONFIG_STACKTRACE)"
					: err->message;
	f->kernel_stack_why = strdup(why);
	pgm_error_destroy(err);
	return f->kernel_stack_why ? NULL : &pgm_enomem;
}

struct pgm_error *live_read_facts(struct live_target *lt)
{
	struct pgm_live_facts *f = &lt->facts;
	struct pgm_error *err = read_status(lt);
	if (err || (err = read_stat(lt)))
		return err;
	read_off_cpu(lt);
	live_read_syscall(lt);
	f->wchan = read_line(lt->base.pid, "wchan");
	if (f->wchan && (!*f->wchan || strcmp(f->wchan, "0") == 0)) {
		free(f->wchan);
		f->wchan = NULL;
	}
	return read_kernel_stack(lt);
}

/* ---- permissions ---- */

static int yama_scope(void)
{
	char *s = NULL;
	struct pgm_error *err = live_read_file("/proc/sys/kernel/yama/ptrace_scope", &s, NULL);
	if (err) {
		pgm_error_destroy(err);
		return -1;
	}
	int v = atoi(s);
	free(s);
	return v;
}

static bool have_cap_sys_ptrace(void)
{
	char *s = NULL;
	struct pgm_error *err = live_read_file("/proc/self/status", &s, NULL);
	if (err) {
		pgm_error_destroy(err);
		return false;
	}
	const char *v = status_field(s, "CapEff");
	bool have = v && (strtoull(v, NULL, 16) >> 19) & 1;   /* CAP_SYS_PTRACE = 19 */
	free(s);
	return have;
}

static const char *user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", uid);
	return buf;
}

struct pgm_error *live_permission_error(int32_t pid, uint32_t uid, const char *what, int errnum)
{
	if (errnum != EPERM && errnum != EACCES)
		return pgm_error_errno(errnum, "%s", what);
	char them[64], me[64];
	uid_t euid = geteuid();
	bool cap = have_cap_sys_ptrace();
	int yama = yama_scope();
	user_name(uid, them, sizeof(them));
	user_name(euid, me, sizeof(me));
	if (uid != euid && !cap)
		return pgm_error_create(PGM_ERR_PERMISSION,
			"%s: permission denied: the process runs as %s, pgmortem as %s; run pgmortem as "
			"%s%s", what, them, me, uid ? them : "root (CAP_SYS_PTRACE)",
			uid ? " or as root (CAP_SYS_PTRACE)" : "");
	if (yama == 3)
		return pgm_error_create(PGM_ERR_PERMISSION,
			"%s: permission denied: kernel.yama.ptrace_scope is 3 (no process may be traced "
			"until reboot)", what);
	if (yama == 2 && !cap)
		return pgm_error_create(PGM_ERR_PERMISSION,
			"%s: permission denied: kernel.yama.ptrace_scope is 2 (only CAP_SYS_PTRACE may "
			"trace); run as root", what);
	if (yama == 1 && !cap)
		return pgm_error_create(PGM_ERR_PERMISSION,
			"%s: permission denied: kernel.yama.ptrace_scope is 1 (only descendants may be "
			"traced); run as root (CAP_SYS_PTRACE) or set kernel.yama.ptrace_scope=0", what);
	if (!cap)
		return pgm_error_create(PGM_ERR_PERMISSION,
			"%s: permission denied: pgmortem lacks CAP_SYS_PTRACE (in a container: "
			"--cap-add SYS_PTRACE), or the process is not dumpable", what);
	return pgm_error_create(PGM_ERR_PERMISSION,
		"%s: permission denied although pgmortem has CAP_SYS_PTRACE (a security module such "
		"as SELinux or AppArmor refuses it)", what);
}

/* ---- issue 16: one task's scheduling state, and its open files ---- */

struct pgm_error *pgm_live_fd_target(int32_t pid, int32_t fd, char **ret)
{
	char path[64], buf[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, (int)fd);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return pgm_error_errno(errno, "readlink %s", path);
	buf[n] = '\0';
	return (*ret = strdup(buf)) ? NULL : &pgm_enomem;
}

struct pgm_error *pgm_live_task_state(int32_t pid, char **ret)
{
	char path[64], *status = NULL;
	struct pgm_error *err = live_read_file(proc_path(pid, "status", path, sizeof(path)), &status, NULL);
	if (err)
		return err;
	*ret = dup_field(status_field(status, "State"));
	free(status);
	return *ret ? NULL : pgm_error_create(PGM_ERR_FORMAT, "%s has no State line", path);
}

/* CPU time in seconds: /proc/PID/schedstat's nanoseconds on a CPU, else stat's ticks. */
static double cpu_seconds(int32_t pid, const char *stat)
{
	char *sched = read_line(pid, "schedstat");
	unsigned long long ns = 0, utime = 0, stime = 0;
	double s = -1;
	if (sched && sscanf(sched, "%llu", &ns) == 1)
		s = (double)ns / 1e9;
	free(sched);
	const char *p = stat ? strrchr(stat, ')') : NULL;
	if (s < 0 && p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) == 2)
		s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	return s;
}

struct pgm_error *pgm_live_sample(int32_t pid, struct pgm_live_sample *ret)
{
	char path[64], *status = NULL;
	memset(ret, 0, sizeof(*ret));
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ret->at_s = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	struct pgm_error *err = live_read_file(proc_path(pid, "status", path, sizeof(path)), &status, NULL);
	if (err)
		return err;
	const char *v;
	ret->state_name = dup_field(status_field(status, "State"));
	ret->state = ret->state_name ? ret->state_name[0] : '?';
	if ((v = status_field(status, "voluntary_ctxt_switches")))
		ret->switches += strtoull(v, NULL, 10);
	if ((v = status_field(status, "nonvoluntary_ctxt_switches")))
		ret->switches += strtoull(v, NULL, 10);
	free(status);
	char *stat = read_line(pid, "stat");
	ret->cpu_s = cpu_seconds(pid, stat);
	free(stat);
	ret->wchan = read_line(pid, "wchan");
	if (ret->wchan && (!*ret->wchan || strcmp(ret->wchan, "0") == 0)) {
		free(ret->wchan);
		ret->wchan = NULL;
	}
	return ret->state_name ? NULL : pgm_error_create(PGM_ERR_FORMAT, "%s has no State line", path);
}

void pgm_live_sample_deinit(struct pgm_live_sample *s)
{
	free(s->state_name);
	free(s->wchan);
	memset(s, 0, sizeof(*s));
}
