/*
 * pgm_bundle_write: the parts of each capture, each from the layer that
 * owns its format (target: process, memory, faults; debuginfo: modules,
 * stacks; pg: layout, frame_vars), and the manifest that describes them.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "debuginfo/bundle_parts.h"
#include "pg/bundle_parts.h"
#include "pg/pg.h"
#include "pgmortem/bundle.h"
#include "pgmortem/bundle_file.h"
#include "target/bundle_json.h"
#include "util/text.h"

enum { P_PROCESS, P_MEMORY, P_FAULTS, P_MODULES, P_STACKS, P_LAYOUT, P_FRAME_VARS, N_PARTS };
static const char *const part_names[N_PARTS] = {
	"process", "memory", "faults", "modules", "stacks", "layout", "frame_vars",
};

struct capture_out {
	struct pgm_read_log *log;
	char *text[N_PARTS];      /* JSON parts */
	uint8_t *memory;
	size_t memory_len;
	char *pg_version;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Each thread as the analysis unwound it and as `stack` does (DWARF everywhere). */
static struct pgm_error *encode_stacks(const struct pgm_bundle_capture *c, const struct pgm_bundle_options *opts,
				       char **ret)
{
	struct pgm_program_options popts = opts->program;
	popts.symbols_only_libraries = false;
	struct pgm_program *full = NULL;
	size_t n = c->target->n_threads;
	struct pgm_bundle_unwound *u = calloc(n ? n : 1, sizeof(*u));
	struct pgm_error *err = u ? pgm_program_create(c->target, &popts, &full) : &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++) {
		u[i].tid = c->target->threads[i].tid;
		u[i].error[PGM_BUNDLE_ANALYSIS] = pgm_program_unwind(c->program, i, &u[i].stack[PGM_BUNDLE_ANALYSIS]);
		u[i].error[PGM_BUNDLE_FULL] = pgm_program_unwind(full, i, &u[i].stack[PGM_BUNDLE_FULL]);
		for (size_t v = 0; v < PGM_BUNDLE_VARIANTS; v++)
			if (u[i].error[v] == &pgm_enomem)
				err = &pgm_enomem;
	}
	if (!err)
		err = pgm_bundle_encode_stacks(c->program, u, n, ret);
	for (size_t i = 0; u && i < n; i++) {
		for (size_t v = 0; v < PGM_BUNDLE_VARIANTS; v++) {
			pgm_stack_destroy(u[i].stack[v]);
			pgm_error_destroy(u[i].error[v]);
		}
	}
	free(u);
	pgm_program_destroy(full);
	return err;
}

/* What still reads the target, done while it records: stacks, the version, the layout. */
static struct pgm_error *encode_reading(const struct pgm_bundle_capture *c, const struct pgm_bundle_options *opts,
					struct capture_out *out)
{
	const struct pgm_pg_layout *layout;
	struct pgm_error *err = encode_stacks(c, opts, &out->text[P_STACKS]);
	if (!err)
		err = pgm_pg_program_layout(c->program, &layout);
	if (!err) {
		struct pgm_pg pg;
		pgm_pg_init(&pg, c->target, layout);
		out->pg_version = pgm_pg_version_string(&pg);
		err = pgm_pg_bundle_encode_layout(c->program, &out->text[P_LAYOUT]);
	}
	if (!err)
		err = pgm_pg_bundle_encode_frame_vars(c->program, &out->text[P_FRAME_VARS]);
	if (!err)
		err = pgm_bundle_encode_modules(c->program, &out->text[P_MODULES]);
	return err;
}

static struct pgm_error *stop_log(struct pgm_target *t, struct capture_out *out)
{
	out->log = pgm_target_record_stop(t);
	if (!out->log)
		return pgm_error_create(PGM_ERR_USAGE, "%s: its reads were not recorded", t->path);
	const struct pgm_error *over = pgm_read_log_overflow(out->log);
	if (over)
		return over == &pgm_enomem ? &pgm_enomem
					   : pgm_error_create(over->code, "%s: %s: too much for a bundle", t->path,
							      over->message);
	return NULL;
}

static struct pgm_error *encode_target(struct pgm_target *t, bool redact, struct capture_out *out,
				       struct pgm_bundle_stats *st)
{
	size_t n_redacted = 0, n_ranges = 0, n_faults = 0;
	struct pgm_error *err = pgm_bundle_encode_process(t, redact, &out->text[P_PROCESS]);
	if (!err)
		err = pgm_bundle_encode_memory(out->log, redact, &out->memory, &out->memory_len, &n_redacted);
	if (!err)
		err = pgm_bundle_encode_faults(out->log, &out->text[P_FAULTS]);
	if (err)
		return err;
	const struct pgm_read_range *r = pgm_read_log_ranges(out->log, &n_ranges, &err);
	for (size_t i = 0; !err && i < n_ranges; i++)
		st->memory_bytes += r[i].end - r[i].start;
	pgm_read_log_failures(out->log, &n_faults);
	st->n_ranges += n_ranges;
	st->n_faults += n_faults;
	st->n_redacted += n_redacted;
	return err;
}

/* ---- the manifest ---- */

static json_object *iso_time(time_t t)
{
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return json_object_new_string(buf);
}

/* A core's time is its file's; a live capture's is now. */
static json_object *captured_at(const struct pgm_target *t)
{
	struct stat st;
	if (t->kind == PGM_TARGET_CORE && stat(t->path, &st) == 0)
		return iso_time(st.st_mtime);
	return t->kind == PGM_TARGET_LIVE ? iso_time(time(NULL)) : NULL;
}

static json_object *build_id_json(const struct pgm_module *m)
{
	char *hex = m && m->build_id_len ? pgm_hex_dup(m->build_id, m->build_id_len) : NULL;
	json_object *o = pgm_bjson_str(hex);
	free(hex);
	return o;
}

static json_object *capture_json(size_t index, const struct pgm_bundle_capture *c, const struct capture_out *out)
{
	const struct pgm_target *t = c->target;
	enum pgm_target_kind kind = t->origin ? t->origin->kind : t->kind;
	size_t n;
	const struct pgm_module *mods = pgm_program_modules(c->program, &n);
	json_object *o = json_object_new_object(), *ma = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "name", pgm_bjson_str(mods[i].name));
		json_object_object_add(m, "build_id", build_id_json(&mods[i]));
		json_object_array_add(ma, m);
	}
	json_object_object_add(o, "index", json_object_new_int64((int64_t)index));
	json_object_object_add(o, "kind", json_object_new_string(kind == PGM_TARGET_LIVE ? "live" : "core"));
	json_object_object_add(o, "path", pgm_bjson_str(t->path));
	json_object_object_add(o, "captured_at", captured_at(t));
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "postgres", pgm_bjson_str(out->pg_version));
	json_object_object_add(o, "build_id", build_id_json(pgm_program_main_module(c->program)));
	json_object_object_add(o, "modules", ma);
	return o;
}

static struct pgm_error *manifest(const struct pgm_bundle_capture *caps, const struct capture_out *outs, size_t n,
				  bool redact, char **ret)
{
	static const char *const redactions[] = {
		"query texts", "application names", "client addresses", "user and database names",
		"command lines",
	};
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	json_object *o = json_object_new_object(), *r = json_object_new_array(), *c = json_object_new_array();
	for (size_t i = 0; redact && i < sizeof(redactions) / sizeof(redactions[0]); i++)
		json_object_array_add(r, json_object_new_string(redactions[i]));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(c, capture_json(i, &caps[i], &outs[i]));
	json_object_object_add(o, "pgmortem", json_object_new_string(PGMORTEM_VERSION));
	json_object_object_add(o, "created", iso_time(time(NULL)));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "redacted", json_object_new_boolean(redact));
	json_object_object_add(o, "redactions", r);
	json_object_object_add(o, "captures", c);
	return pgm_bjson_finish(o, ret);
}

/* ---- writing ---- */

static struct pgm_error *write_parts(const char *path, const struct capture_out *outs, size_t n, const char *text,
				     uint64_t *size)
{
	struct pgm_bundle_part_in *parts = calloc(n * N_PARTS, sizeof(*parts));
	if (!parts)
		return &pgm_enomem;
	for (size_t i = 0; i < n; i++) {
		for (size_t p = 0; p < N_PARTS; p++) {
			struct pgm_bundle_part_in *in = &parts[i * N_PARTS + p];
			in->name = part_names[p];
			in->capture = i;
			in->data = p == P_MEMORY ? (const void *)outs[i].memory : outs[i].text[p];
			in->len = p == P_MEMORY ? outs[i].memory_len : strlen(outs[i].text[p]);
		}
	}
	struct pgm_error *err = pgm_bundle_file_write(path, text, parts, n * N_PARTS, size);
	free(parts);
	return err;
}

static void outs_free(struct capture_out *outs, size_t n)
{
	for (size_t i = 0; outs && i < n; i++) {
		for (size_t p = 0; p < N_PARTS; p++)
			free(outs[i].text[p]);
		free(outs[i].memory);
		free(outs[i].pg_version);
		pgm_read_log_destroy(outs[i].log);
	}
	free(outs);
}

struct pgm_error *pgm_bundle_write(const char *path, const struct pgm_bundle_capture *caps, size_t n,
				   const struct pgm_bundle_options *opts, struct pgm_bundle_stats *stats)
{
	if (n == 0 || n > PGM_BUNDLE_MAX_CAPTURES)
		return pgm_error_create(PGM_ERR_USAGE, "a bundle holds 1 to %d captures", PGM_BUNDLE_MAX_CAPTURES);
	struct capture_out *outs = calloc(n, sizeof(*outs));
	struct pgm_error *err = outs ? NULL : &pgm_enomem;
	struct timespec t0;
	/* a bundle made from a redacted one stays redacted */
	bool redact = opts->redact;
	for (size_t i = 0; i < n; i++)
		redact |= caps[i].target->origin && caps[i].target->origin->redacted;
	memset(stats, 0, sizeof(*stats));
	for (size_t i = 0; !err && i < n; i++)
		err = encode_reading(&caps[i], opts, &outs[i]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; outs && i < n; i++) {
		struct pgm_error *e2 = stop_log(caps[i].target, &outs[i]);
		if (!err)
			err = e2;
		else
			pgm_error_destroy(e2);
	}
	for (size_t i = 0; !err && i < n; i++)
		err = encode_target(caps[i].target, redact, &outs[i], stats);
	char *text = NULL;
	if (!err)
		err = manifest(caps, outs, n, redact, &text);
	if (!err)
		err = write_parts(path, outs, n, text, &stats->file_size);
	stats->write_ms = ms_since(&t0);
	free(text);
	outs_free(outs, n);
	return err;
}
