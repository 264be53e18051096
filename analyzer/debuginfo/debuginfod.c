/*
 * debuginfod: fetching what no local directory has, by build-id, through
 * elfutils' client library (libdebuginfod), as elfutils' own tools do.
 *
 * The client is ours rather than the one libdwfl would make for itself:
 * our find_elf/find_debuginfo callbacks do the local lookups first and ask
 * debuginfod last, so we know that a server was asked, which one answered
 * and what went wrong, and we can say so in one line.  libdebuginfod's own
 * time limit covers slow transfers only, so the progress function also
 * gives up on a server that sends nothing for DEBUGINFOD_TIMEOUT seconds
 * (a connection that is never answered would hold an analysis for
 * minutes).  After a server failure (not a mere "not found") the program
 * asks no more: every other module would wait for the same dead server.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "debuginfo/program_internal.h"
#include "util/text.h"

#ifdef PGM_HAVE_DEBUGINFOD
#include <elfutils/debuginfod.h>

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void tell(struct pgm_program *prog, bool done, const char *failure)
{
	const struct debuginfod_fetch *f = &prog->fetch;
	if (!prog->fetch_progress || !f->ms)
		return;
	struct pgm_fetch_progress p = {
		.module = prog->modules[f->ms->index].name,
		.what = f->what,
		.servers = prog->debuginfod_urls,
		.bytes = f->bytes,
		.total = f->total,
		.done = done,
		.failure = failure,
	};
	prog->fetch_progress(prog->fetch_progress_arg, &p);
}

/*
 * libdebuginfod calls this about once a second while it waits, with
 * (loops, 0) until a server starts sending, then (bytes, size or -1).
 * Returning nonzero abandons the fetch.
 */
static int progress(debuginfod_client *client, long a, long b)
{
	struct pgm_program *prog = debuginfod_get_user_data(client);
	struct debuginfod_fetch *f = &prog->fetch;
	if (!f->asked) {
		f->asked = true;
		clock_gettime(CLOCK_MONOTONIC, &f->last);
	}
	if (b != 0 && a > f->bytes) {
		f->bytes = a;
		f->total = b > 0 ? b : -1;
		clock_gettime(CLOCK_MONOTONIC, &f->last);
	}
	if (seconds_since(&f->last) >= (double)prog->debuginfod_timeout) {
		f->timed_out = true;
		return 1;
	}
	if (seconds_since(&f->told) >= 0.25) {
		clock_gettime(CLOCK_MONOTONIC, &f->told);
		tell(prog, false, NULL);
	}
	return 0;
}

static long timeout_from_env(void)
{
	const char *s = getenv("DEBUGINFOD_TIMEOUT");
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;
	return s && *s && !*end && v > 0 ? v : PGM_DEBUGINFOD_TIMEOUT_DEFAULT;
}

void pgm_debuginfod_init(struct pgm_program *prog)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!urls || !*urls)
		return;
	debuginfod_client *client = debuginfod_begin();
	if (!client || !(prog->debuginfod_urls = strdup(urls))) {
		debuginfod_end(client);
		pgm_program_warn(prog, "DEBUGINFOD_URLS is set but elfutils' debuginfod client "
				 "could not start: no downloads");
		return;
	}
	prog->debuginfod_timeout = timeout_from_env();
	prog->debuginfod = client;
	debuginfod_set_user_data(client, prog);
	debuginfod_set_progressfn(client, progress);
}

void pgm_debuginfod_deinit(struct pgm_program *prog)
{
	debuginfod_end(prog->debuginfod);
	free(prog->debuginfod_urls);
}

/* Where the client keeps build-id/TYPE: its own rule (debuginfod-client.c). */
static char *cache_entry(const char *hex, const char *what)
{
	const char *env = getenv("DEBUGINFOD_CACHE_PATH"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CACHE_HOME");
	char *path = NULL, *legacy = NULL;
	struct stat st;
	if (!home)
		home = "/";
	int r;
	if (env && *env)
		r = asprintf(&path, "%s/%s/%s", env, hex, what);
	else if (asprintf(&legacy, "%s/.debuginfod_client_cache", home) >= 0 &&
		 stat(legacy, &st) == 0)
		r = asprintf(&path, "%s/%s/%s", legacy, hex, what);
	else if (xdg && *xdg)
		r = asprintf(&path, "%s/debuginfod_client/%s/%s", xdg, hex, what);
	else
		r = asprintf(&path, "%s/.cache/debuginfod_client/%s/%s", home, hex, what);
	free(legacy);
	return r < 0 ? NULL : path;
}

/*
 * A fetch we abandoned comes back as "not found", and the client has
 * recorded it as a miss that it would not retry for ten minutes: the
 * server was slow, not lacking the file, so the record goes.
 */
static void forget_abandoned(const unsigned char *id, size_t len, const char *what)
{
	char hex[129];
	pgm_hex_format(id, len, hex);
	char *path = cache_entry(hex, what);
	struct stat st;
	if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		unlink(path);
	free(path);
}

static const char *failure_reason(const struct pgm_program *prog, int rc, char *buf, size_t n)
{
	const struct debuginfod_fetch *f = &prog->fetch;
	if (f->timed_out)
		snprintf(buf, n, "no data for %ld s, gave up (DEBUGINFOD_TIMEOUT)",
			 prog->debuginfod_timeout);
	else if (rc == -ENOENT && !f->asked)
		snprintf(buf, n, "not found (the client cached this miss less than 10 minutes "
			 "ago; the cache is DEBUGINFOD_CACHE_PATH)");
	else if (rc == -ENOENT)
		snprintf(buf, n, "not found on the server");
	else if (rc == -ECONNREFUSED)
		snprintf(buf, n, "connection refused");
	else if (rc == -EHOSTUNREACH)
		snprintf(buf, n, "host not found or unreachable");
	else if (rc == -ETIME)
		snprintf(buf, n, "timed out");
	else if (rc == -EFBIG)
		snprintf(buf, n, "larger than DEBUGINFOD_MAXSIZE");
	else
		snprintf(buf, n, "%s", strerror(-rc));
	return buf;
}

/*
 * One line per program for a server failure, after which it asks no more;
 * "not found" is said only of the executable: libraries without
 * debuginfo on the server are the rule, and the analysis does not need it.
 * One line per module too: libdwfl may look a module's file up more than
 * once, and a second "not found" (from the client's cache of misses) is the
 * same news.
 */
static void warn_failure(struct pgm_program *prog, int rc, const unsigned char *id, size_t len)
{
	struct debuginfod_fetch *f = &prog->fetch;
	const struct pgm_module *m = &prog->modules[f->ms->index];
	bool not_found = rc == -ENOENT && !f->timed_out;
	if (f->timed_out)
		forget_abandoned(id, len, f->what);
	if (!not_found)
		prog->debuginfod_down = true;
	if ((not_found && !m->is_main) || f->ms->debuginfod_warned)
		return;
	f->ms->debuginfod_warned = true;
	char reason[160], hex[129], *line;
	pgm_hex_format(id, len, hex);
	failure_reason(prog, rc, reason, sizeof(reason));
	if (asprintf(&line, "debuginfod %s: %s of %s (build-id %s): %s", prog->debuginfod_urls,
		     f->what, m->name ? m->name : "?", hex, reason) < 0)
		return;
	pgm_program_warn(prog, "%s", line);
	tell(prog, true, line);
	free(line);
}

/* The server part of the URL the client fetched from: ".../buildid/HEX/debuginfo" */
static char *server_of(const char *url)
{
	const char *tail = url ? strstr(url, "/buildid/") : NULL;
	return url ? strndup(url, tail ? (size_t)(tail - url) : strlen(url)) : NULL;
}

static void note_success(struct pgm_program *prog, struct module_state *ms, bool debuginfo)
{
	const struct debuginfod_fetch *f = &prog->fetch;
	if (debuginfo) {
		ms->from_debuginfod = true;
		free(ms->debuginfod_server);
		ms->debuginfod_server = f->asked ? server_of(debuginfod_get_url(prog->debuginfod))
						 : NULL;
	}
	if (f->asked)
		tell(prog, true, NULL);
}

int pgm_debuginfod_fetch(struct pgm_program *prog, struct module_state *ms, const char *what,
			 const unsigned char *id, size_t len, char **file_name)
{
	if (!prog->debuginfod || prog->debuginfod_down || len == 0 || len > 64)
		return -1;
	bool debuginfo = strcmp(what, "debuginfo") == 0;
	prog->fetch = (struct debuginfod_fetch){ .ms = ms, .what = what, .total = -1 };
	char *path = NULL;
	int fd = debuginfo ? debuginfod_find_debuginfo(prog->debuginfod, id, (int)len, &path)
			   : debuginfod_find_executable(prog->debuginfod, id, (int)len, &path);
	if (fd >= 0) {
		*file_name = path;
		note_success(prog, ms, debuginfo);
	} else {
		free(path);
		warn_failure(prog, fd, id, len);
		fd = -1;
	}
	prog->fetch.ms = NULL;
	return fd;
}

#else /* built without libdebuginfod's header: no downloads */

void pgm_debuginfod_init(struct pgm_program *prog)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (urls && *urls)
		pgm_program_warn(prog, "DEBUGINFOD_URLS is set but this pgmortem was built "
				 "without libdebuginfod: no downloads");
}

void pgm_debuginfod_deinit(struct pgm_program *prog)
{
}

int pgm_debuginfod_fetch(struct pgm_program *prog, struct module_state *ms, const char *what,
			 const unsigned char *id, size_t len, char **file_name)
{
	return -1;
}

#endif
