/*
 * One core of a batch, analyzed and described as a JSON record.  Runs in a
 * child process (pool.c), so whatever this does to the process — a crash in
 * the analysis, memory exhausted — stays with this core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pgmortem/analyze.h"
#include "pgmortem/batch.h"
#include "pgmortem/bundle_file.h"
#include "render/report_render.h"

static struct pgm_error *failed(const char *message, struct json_object **ret)
{
	json_object *o = json_object_new_object();
	if (!o)
		return &pgm_enomem;
	json_object_object_add(o, "status", json_object_new_string("failed"));
	json_object_object_add(o, "error", json_object_new_string(message));
	*ret = o;
	return NULL;
}

/* A decompressed core is opened as /proc/self/fd/N; the record names the file. */
static struct pgm_error *open_core(const struct pgm_batch_input *in, uint64_t cap, int *mfd,
				   char *path, size_t path_len)
{
	*mfd = -1;
	if (in->compression == PGM_COMPRESSION_NONE) {
		snprintf(path, path_len, "%s", in->path);
		return NULL;
	}
	int fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return pgm_error_errno(errno, "open");
	struct pgm_error *err = pgm_core_decompress(fd, in->compression, cap, mfd);
	close(fd);
	if (err)
		return pgm_error_wrap(err, "decompression");
	snprintf(path, path_len, "/proc/self/fd/%d", *mfd);
	return NULL;
}

static struct pgm_error *open_bundle_capture(const struct pgm_batch_input *in, struct pgm_target **ret)
{
	struct pgm_bundle_file *b;
	struct pgm_error *err = pgm_bundle_file_open(in->path, &b);
	if (err)
		return err;
	err = pgm_target_bundle_open(b, in->capture, ret);
	pgm_bundle_file_release(b);
	return err;
}

static void set_source_path(json_object *analysis, const char *path)
{
	json_object *source;
	if (json_object_object_get_ex(analysis, "source", &source) &&
	    json_object_is_type(source, json_type_object))
		json_object_object_add(source, "path", json_object_new_string(path));
}

static json_object *warnings_json(const struct pgm_target *t, struct pgm_program *prog)
{
	json_object *a = json_object_new_array();
	size_t n;
	const char *const *pw = pgm_program_warnings(prog, &n);
	for (size_t i = 0; a && i < t->n_warnings; i++)
		json_object_array_add(a, json_object_new_string(t->warnings[i]));
	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(pw[i]));
	return a;
}

/*
 * Whether r's process is what others of its instance ultimately wait on, by
 * the wait-for graph of the core's shared memory and r's private state
 * (which LWLocks it holds).  Takes r; false when the instance cannot be read.
 */
static bool waited_on(struct pgm_program *prog, struct pgm_report *r)
{
	struct pgm_instance_options opts = { .locks = false };
	struct pgm_instance *inst;
	int32_t pid = r->pid;
	bool root = false;
	struct pgm_error *err = pgm_instance_read(prog, &opts, &inst);
	if (err) {
		pgm_report_destroy(r);
	} else {
		err = pgm_instance_add_report(inst, r);
		if (!err)
			err = pgm_instance_link(inst, prog);
		for (size_t i = 0; !err && pid > 0 && i < inst->graph.n_roots; i++)
			root |= inst->graph.roots[i] == pid;
		pgm_instance_destroy(inst);
	}
	pgm_error_destroy(err);
	return root;
}

/* Takes r (its analysis is rendered before the instance's graph is built). */
static struct pgm_error *describe(const struct pgm_batch_input *in, struct pgm_target *t,
				  struct pgm_program *prog, struct pgm_report *r,
				  struct json_object **ret)
{
	char *sig;
	enum pgm_batch_problem problem;
	struct pgm_error *err = pgm_batch_signature(r, &sig, &problem);
	if (err) {
		pgm_report_destroy(r);
		return err;
	}
	const char *note;
	const char *cache = pgm_program_layout_cache_result(prog, &note);
	json_object *o = json_object_new_object(), *analysis = pgm_render_report_json_object(r);
	if (problem != PGM_PROBLEM_NONE)
		pgm_report_destroy(r);
	else if (waited_on(prog, r))   /* takes r */
		problem = PGM_PROBLEM_BLOCKER;
	if (!o || !analysis) {
		json_object_put(o);
		json_object_put(analysis);
		free(sig);
		return &pgm_enomem;
	}
	set_source_path(analysis, in->path);
	const char *problem_name = pgm_batch_problem_name(problem);
	json_object_object_add(o, "status", json_object_new_string("analyzed"));
	json_object_object_add(o, "signature", json_object_new_string(sig));
	json_object_object_add(o, "problem", problem_name ? json_object_new_string(problem_name) : NULL);
	json_object_object_add(o, "compression", json_object_new_string(pgm_compression_name(in->compression)));
	if (in->bundle)
		json_object_object_add(o, "bundle_capture", json_object_new_int64((int64_t)in->capture));
	json_object_object_add(o, "layout_cache", json_object_new_string(cache));
	if (note)
		json_object_object_add(o, "layout_cache_note", json_object_new_string(note));
	json_object_object_add(o, "warnings", warnings_json(t, prog));
	json_object_object_add(o, "analysis", analysis);
	free(sig);
	*ret = o;
	return NULL;
}

struct pgm_error *pgm_batch_analyze(const struct pgm_batch_input *in,
				    const struct pgm_batch_analyze_options *opts,
				    struct json_object **ret)
{
	if (in->error)
		return failed(in->error->message, ret);
	char path[64 + 4096];
	int mfd;
	struct pgm_target *t = NULL;
	struct pgm_program *prog = NULL;
	struct pgm_report *r = NULL;
	struct pgm_error *err = open_core(in, opts->decompress_cap, &mfd, path, sizeof(path));
	if (!err && in->bundle)
		err = open_bundle_capture(in, &t);
	else if (!err)
		err = pgm_target_core_open(path, opts->program.sysroot, &t);
	if (!err)
		err = pgm_program_create(t, &opts->program, &prog);
	if (!err)
		err = pgm_program_set_layout_cache(prog, opts->layout_cache);
	if (!err)
		err = pgm_analyze(prog, NULL, &r);
	bool analyzed = !err;
	if (!err)
		err = pgm_target_check(t);
	if (!err)
		err = describe(in, t, prog, r, ret), r = NULL;
	else if (err != &pgm_enomem) {
		struct pgm_error *e2 = failed(err->message, ret);
		pgm_error_destroy(err);
		err = e2;
	}
	/* a bundle's module paths are its maker's, never files to open here */
	if (analyzed && opts->debuginfo_cache && !in->bundle)
		pgm_batch_cache_debuginfo(prog, opts->debuginfo_cache);
	pgm_report_destroy(r);
	pgm_program_destroy(prog);
	pgm_target_destroy(t);
	if (mfd >= 0)
		close(mfd);
	return err;
}
