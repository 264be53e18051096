/*
 * JSON rendering of `pgmortem stack` (json-c).  Objects are built whole and
 * printed once, so a failure to allocate prints nothing rather than half a
 * document.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "pgmortem/bundle_file.h"
#include "pgmortem/render.h"
#include "util/text.h"

/*
 * Adds key -> val (NULL is JSON null) and takes val's reference.  Strings
 * and containers report their own allocation failures through *ok; a
 * scalar json-c could not allocate degrades to null.
 */
static void put(struct json_object *obj, const char *key, struct json_object *val, bool *ok)
{
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		*ok = false;
	}
}

static struct json_object *hex(uint64_t v, bool *ok)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	struct json_object *s = json_object_new_string(buf);
	*ok &= s != NULL;
	return s;
}

/* A string, or null for NULL. */
static struct json_object *str(const char *s, bool *ok)
{
	if (!s)
		return NULL;
	struct json_object *o = json_object_new_string(s);
	*ok &= o != NULL;
	return o;
}

static struct json_object *finish(struct json_object *obj, bool ok)
{
	if (ok)
		return obj;
	json_object_put(obj);
	return NULL;
}

static const char *kind_name(enum pgm_target_kind kind)
{
	switch (kind) {
	case PGM_TARGET_CORE: return "core";
	case PGM_TARGET_LIVE: return "live";
	case PGM_TARGET_MEMORY: return "memory";
	case PGM_TARGET_BUNDLE: return "bundle";
	}
	return "unknown";
}

static void put_signal(struct json_object *obj, const struct pgm_target *t, bool *ok)
{
	const struct pgm_siginfo *si = &t->siginfo;
	char name[32];
	bool sig = t->has_siginfo;
	put(obj, "signal", sig ? str(pgm_signal_name(si->signo, name, sizeof(name)), ok) : NULL, ok);
	put(obj, "signal_number", sig ? json_object_new_int(si->signo) : NULL, ok);
	put(obj, "fault_address", sig && pgm_siginfo_has_fault_address(si) ? hex(si->addr, ok) : NULL,
	    ok);
	put(obj, "sender_pid", sig && pgm_siginfo_is_sent(si) && si->sender_pid
				       ? json_object_new_int(si->sender_pid) : NULL, ok);
	put(obj, "on_demand", json_object_new_boolean(!t->has_siginfo), ok);
}

struct json_object *pgm_source_json(const struct pgm_target *t)
{
	struct json_object *obj = json_object_new_object();
	if (!obj)
		return NULL;
	bool ok = true;
	put(obj, "kind", str(kind_name(t->origin ? t->origin->kind : t->kind), &ok), &ok);
	put(obj, "path", str(t->path, &ok), &ok);
	put(obj, "pid", t->pid ? json_object_new_int(t->pid) : NULL, &ok);
	put(obj, "cmdline", str(t->cmdline, &ok), &ok);
	put_signal(obj, t, &ok);
	struct json_object *b = t->origin ? json_object_new_object() : NULL;
	if (b) {
		put(b, "path", str(t->origin->bundle_path, &ok), &ok);
		put(b, "redacted", json_object_new_boolean(t->origin->redacted), &ok);
	}
	put(obj, "bundle", b, &ok);
	return finish(obj, ok);
}

static struct json_object *frame_json(const struct pgm_frame *f)
{
	struct json_object *obj = json_object_new_object();
	if (!obj)
		return NULL;
	bool ok = true;
	put(obj, "index", json_object_new_int((int)f->index), &ok);
	put(obj, "pc", hex(f->pc, &ok), &ok);
	put(obj, "function", str(f->function, &ok), &ok);
	put(obj, "inline", json_object_new_boolean(f->inlined), &ok);
	put(obj, "tail_call", json_object_new_boolean(f->tail_call), &ok);
	put(obj, "signal_frame", json_object_new_boolean(f->signal_frame), &ok);
	put(obj, "file", str(f->file, &ok), &ok);
	put(obj, "line", f->line ? json_object_new_int(f->line) : NULL, &ok);
	put(obj, "module", str(f->module ? f->module->name : NULL, &ok), &ok);
	put(obj, "module_offset", f->module ? hex(f->module_offset, &ok) : NULL, &ok);
	return finish(obj, ok);
}

struct json_object *pgm_stack_json(const struct pgm_stack *stack)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *frames = json_object_new_array();
	bool ok = obj && frames;
	if (!ok) {
		json_object_put(obj);
		json_object_put(frames);
		return NULL;
	}
	for (size_t i = 0; ok && i < stack->n_frames; i++) {
		struct json_object *f = frame_json(&stack->frames[i]);
		ok = f && json_object_array_add(frames, f) == 0;
	}
	put(obj, "tid", json_object_new_int(stack->tid), &ok);
	put(obj, "complete", json_object_new_boolean(pgm_stack_is_complete(stack)), &ok);
	put(obj, "stop_reason", str(stack->stop_reason ? stack->stop_reason->message : NULL, &ok),
	    &ok);
	put(obj, "frames", frames, &ok);
	return finish(obj, ok);
}

static struct json_object *build_id_json(const struct pgm_module *m, bool *ok)
{
	if (!m->build_id_len)
		return NULL;
	char buf[sizeof(m->build_id) * 2 + 1];
	pgm_hex_format(m->build_id, m->build_id_len, buf);
	return str(buf, ok);
}

struct json_object *pgm_module_json(const struct pgm_module *m)
{
	struct json_object *obj = json_object_new_object();
	if (!obj)
		return NULL;
	bool ok = true;
	put(obj, "name", str(m->name, &ok), &ok);
	put(obj, "path", str(m->path, &ok), &ok);
	put(obj, "debug_path", str(m->debug_path, &ok), &ok);
	put(obj, "debuginfo_source", str(pgm_debuginfo_source_name(m->debuginfo_source), &ok), &ok);
	put(obj, "debuginfo_from", str(m->debuginfo_from, &ok), &ok);
	put(obj, "start", hex(m->start, &ok), &ok);
	put(obj, "end", hex(m->end, &ok), &ok);
	put(obj, "build_id", build_id_json(m, &ok), &ok);
	put(obj, "has_elf", json_object_new_boolean(m->has_elf), &ok);
	put(obj, "has_symtab", json_object_new_boolean(m->has_symtab), &ok);
	put(obj, "has_dwarf", json_object_new_boolean(m->has_dwarf), &ok);
	put(obj, "build_id_mismatch", json_object_new_boolean(m->build_id_mismatch), &ok);
	put(obj, "is_main", json_object_new_boolean(m->is_main), &ok);
	return finish(obj, ok);
}

static struct json_object *modules_json(struct pgm_program *prog)
{
	struct json_object *arr = json_object_new_array();
	size_t n = 0;
	const struct pgm_module *mods = prog ? pgm_program_modules(prog, &n) : NULL;
	for (size_t i = 0; arr && i < n; i++) {
		struct json_object *m = pgm_module_json(&mods[i]);
		if (!m || json_object_array_add(arr, m) != 0) {
			json_object_put(m);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

static struct json_object *warnings_json(const struct pgm_stack_report *r)
{
	struct json_object *arr = json_object_new_array();
	size_t n = 0;
	const char *const *warnings = r->program ? pgm_program_warnings(r->program, &n) : NULL;
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < r->target->n_warnings; i++)
		ok = json_object_array_add(arr, str(r->target->warnings[i], &ok)) == 0 && ok;
	for (size_t i = 0; ok && i < n; i++)
		ok = json_object_array_add(arr, str(warnings[i], &ok)) == 0 && ok;
	return finish(arr, ok);
}

/* A thread that could not be unwound at all still appears, with the reason. */
static struct json_object *thread_json(const struct pgm_stack_report *r, size_t i)
{
	if (r->stacks[i])
		return pgm_stack_json(r->stacks[i]);
	struct json_object *obj = json_object_new_object();
	if (!obj)
		return NULL;
	bool ok = true;
	put(obj, "tid", json_object_new_int(r->target->threads[i].tid), &ok);
	put(obj, "complete", json_object_new_boolean(false), &ok);
	put(obj, "stop_reason", str(r->errors && r->errors[i] ? r->errors[i]->message : NULL, &ok),
	    &ok);
	put(obj, "frames", json_object_new_array(), &ok);
	return finish(obj, ok);
}

static struct json_object *threads_json(const struct pgm_stack_report *r)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; arr && i < r->n_stacks; i++) {
		struct json_object *t = thread_json(r, i);
		if (!t || json_object_array_add(arr, t) != 0) {
			json_object_put(t);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

bool pgm_render_stack_report_json(FILE *out, const struct pgm_stack_report *r)
{
	struct json_object *doc = json_object_new_object();
	if (!doc)
		return false;
	bool ok = true;
	put(doc, "schema", json_object_new_int(PGM_STACK_SCHEMA), &ok);
	put(doc, "source", pgm_source_json(r->target), &ok);
	put(doc, "modules", modules_json(r->program), &ok);
	put(doc, "warnings", warnings_json(r), &ok);
	put(doc, "threads", threads_json(r), &ok);
	/* put() cannot tell a failed builder from null: check the containers. */
	ok = ok && json_object_object_get(doc, "source") && json_object_object_get(doc, "modules") &&
	     json_object_object_get(doc, "warnings") && json_object_object_get(doc, "threads");
	if (ok) {
		const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
		ok = text != NULL;
		if (ok)
			fprintf(out, "%s\n", text);
	}
	json_object_put(doc);
	return ok;
}
