/*
 * A program made on a bundle's target: its modules and stacks come from the
 * bundle's modules and stacks parts (debuginfo/bundle_parts.h), as the
 * program of the original capture had them; no file is opened and libdwfl
 * is not used.  Symbol and DWARF lookups fail with "not in this bundle".
 */
#include <stdlib.h>
#include <string.h>

#include "debuginfo/bundle_parts.h"
#include "debuginfo/program_internal.h"
#include "pgmortem/bundle_file.h"
#include "target/bundle_json.h"
#include "util/text.h"

#define MAX_MODULES 65536
#define MAX_THREADS 65536
#define MAX_FRAMES 65536
#define MAX_WARNINGS 4096

static const char *const variant_names[PGM_BUNDLE_VARIANTS] = { "analysis", "full" };

struct bundle_thread {
	int32_t tid;
	struct pgm_stack *stack[PGM_BUNDLE_VARIANTS];
	struct pgm_error *error[PGM_BUNDLE_VARIANTS];
};

struct pgm_program_bundle {
	struct bundle_thread *threads;
	size_t n_threads;
};

static struct pgm_error *bad(const char *what)
{
	return pgm_error_create(PGM_ERR_FORMAT, "bad %s", what);
}

/* ---- writing ---- */

static json_object *module_json(const struct pgm_module *m)
{
	json_object *o = json_object_new_object();
	char hex[2 * sizeof(m->build_id) + 1];
	pgm_hex_format(m->build_id, m->build_id_len, hex);
	json_object_object_add(o, "name", pgm_bjson_str(m->name));
	json_object_object_add(o, "path", pgm_bjson_str(m->path));
	json_object_object_add(o, "debug_path", pgm_bjson_str(m->debug_path));
	json_object_object_add(o, "start", pgm_bjson_hex(m->start));
	json_object_object_add(o, "end", pgm_bjson_hex(m->end));
	json_object_object_add(o, "bias", pgm_bjson_hex(m->bias));
	json_object_object_add(o, "build_id", json_object_new_string(hex));
	json_object_object_add(o, "has_elf", json_object_new_boolean(m->has_elf));
	json_object_object_add(o, "has_symtab", json_object_new_boolean(m->has_symtab));
	json_object_object_add(o, "has_dwarf", json_object_new_boolean(m->has_dwarf));
	json_object_object_add(o, "build_id_mismatch", json_object_new_boolean(m->build_id_mismatch));
	json_object_object_add(o, "is_main", json_object_new_boolean(m->is_main));
	/* where its DWARF came from at capture: the bundle's stack says what the core's said */
	json_object_object_add(o, "debuginfo_source",
			       json_object_new_string(pgm_debuginfo_source_name(m->debuginfo_source)));
	json_object_object_add(o, "debuginfo_from", pgm_bjson_str(m->debuginfo_from));
	return o;
}

struct pgm_error *pgm_bundle_encode_modules(struct pgm_program *prog, char **ret)
{
	json_object *o = json_object_new_object(), *mods = json_object_new_array(), *warn = json_object_new_array();
	for (size_t i = 0; i < prog->n_modules; i++)
		json_object_array_add(mods, module_json(&prog->modules[i]));
	for (size_t i = 0; i < prog->n_warnings; i++)
		json_object_array_add(warn, json_object_new_string(prog->warnings[i]));
	json_object_object_add(o, "modules", mods);
	json_object_object_add(o, "warnings", warn);
	return pgm_bjson_finish(o, ret);
}

static int module_index(struct pgm_program *prog, const struct pgm_module *m)
{
	const struct pgm_module *mine = m ? pgm_program_module_at(prog, m->start) : NULL;
	return mine ? (int)(mine - prog->modules) : -1;
}

static json_object *frame_json(struct pgm_program *prog, const struct pgm_frame *f)
{
	json_object *o = json_object_new_object(), *regs = json_object_new_array();
	for (size_t i = 0; i < PGM_DWARF_NREGS; i++)
		json_object_array_add(regs, pgm_bjson_hex(f->regs[i]));
	json_object_object_add(o, "index", json_object_new_int((int)f->index));
	json_object_object_add(o, "physical", json_object_new_int((int)f->physical));
	json_object_object_add(o, "pc", pgm_bjson_hex(f->pc));
	json_object_object_add(o, "activation", json_object_new_boolean(f->activation));
	json_object_object_add(o, "inlined", json_object_new_boolean(f->inlined));
	json_object_object_add(o, "tail_call", json_object_new_boolean(f->tail_call));
	json_object_object_add(o, "signal_frame", json_object_new_boolean(f->signal_frame));
	json_object_object_add(o, "function", pgm_bjson_str(f->function));
	json_object_object_add(o, "file", pgm_bjson_str(f->file));
	json_object_object_add(o, "line", json_object_new_int(f->line));
	json_object_object_add(o, "module", json_object_new_int(module_index(prog, f->module)));
	json_object_object_add(o, "module_offset", pgm_bjson_hex(f->module_offset));
	json_object_object_add(o, "regs", regs);
	json_object_object_add(o, "regs_valid", json_object_new_int64(f->regs_valid));
	json_object_object_add(o, "cfa", pgm_bjson_hex(f->cfa));
	json_object_object_add(o, "has_cfa", json_object_new_boolean(f->has_cfa));
	return o;
}

static json_object *stack_json(struct pgm_program *prog, const struct pgm_stack *s, const struct pgm_error *e)
{
	json_object *o = json_object_new_object();
	if (!s) {
		json_object_object_add(o, "error", pgm_bjson_error(e));
		return o;
	}
	json_object *frames = json_object_new_array();
	for (size_t i = 0; i < s->n_frames; i++)
		json_object_array_add(frames, frame_json(prog, &s->frames[i]));
	json_object_object_add(o, "frames", frames);
	json_object_object_add(o, "n_physical", json_object_new_int64((int64_t)s->n_physical));
	json_object_object_add(o, "stop_reason", s->stop_reason ? pgm_bjson_error(s->stop_reason) : NULL);
	return o;
}

struct pgm_error *pgm_bundle_encode_stacks(struct pgm_program *prog, const struct pgm_bundle_unwound *threads,
					   size_t n, char **ret)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "tid", json_object_new_int(threads[i].tid));
		for (size_t v = 0; v < PGM_BUNDLE_VARIANTS; v++)
			if (threads[i].stack[v] || threads[i].error[v])
				json_object_object_add(t, variant_names[v],
						       stack_json(prog, threads[i].stack[v], threads[i].error[v]));
		json_object_array_add(a, t);
	}
	json_object_object_add(o, "threads", a);
	return pgm_bjson_finish(o, ret);
}

/* ---- reading: modules ---- */

static struct pgm_error *load_build_id(json_object *o, struct pgm_module *m)
{
	char *hex;
	struct pgm_error *err = pgm_bjson_get_str(o, "build_id", &hex);
	size_t n = hex ? strlen(hex) : 0;
	if (!err && (!hex || n % 2 || n / 2 > sizeof(m->build_id) || !pgm_hex_parse(hex, m->build_id, n / 2)))
		err = bad("\"build_id\"");
	m->build_id_len = n / 2;
	free(hex);
	return err;
}

/* "debuginfo_source" and "debuginfo_from"; bundles made before they were kept have neither: none. */
static struct pgm_error *load_debuginfo_source(json_object *o, struct module_state *ms, struct pgm_module *m)
{
	char *source;
	struct pgm_error *err = pgm_bjson_get_str(o, "debuginfo_source", &source);
	m->debuginfo_source = PGM_DEBUGINFO_NONE;
	for (int s = PGM_DEBUGINFO_NONE; !err && source && s <= PGM_DEBUGINFO_DEBUGINFOD; s++)
		if (strcmp(source, pgm_debuginfo_source_name(s)) == 0)
			m->debuginfo_source = s;
	if (!err && source && strcmp(source, pgm_debuginfo_source_name(m->debuginfo_source)) != 0)
		err = bad("\"debuginfo_source\"");
	free(source);
	if (!err)
		err = pgm_bjson_get_str(o, "debuginfo_from", &ms->debuginfo_from);
	m->debuginfo_from = ms->debuginfo_from;
	return err;
}

static struct pgm_error *load_module(json_object *o, struct module_state *ms, struct pgm_module *m)
{
	struct pgm_error *err;
	if (!json_object_is_type(o, json_type_object))
		return bad("module");
	if ((err = pgm_bjson_get_str(o, "name", &ms->name)) || (err = pgm_bjson_get_str(o, "path", &ms->path)) ||
	    (err = pgm_bjson_get_str(o, "debug_path", &ms->debug_path)) ||
	    (err = pgm_bjson_get_hex(o, "start", &m->start)) || (err = pgm_bjson_get_hex(o, "end", &m->end)) ||
	    (err = pgm_bjson_get_hex(o, "bias", &m->bias)) || (err = load_build_id(o, m)) ||
	    (err = pgm_bjson_get_bool(o, "has_elf", &m->has_elf)) ||
	    (err = pgm_bjson_get_bool(o, "has_symtab", &m->has_symtab)) ||
	    (err = pgm_bjson_get_bool(o, "has_dwarf", &m->has_dwarf)) ||
	    (err = pgm_bjson_get_bool(o, "build_id_mismatch", &m->build_id_mismatch)) ||
	    (err = pgm_bjson_get_bool(o, "is_main", &m->is_main)) || (err = load_debuginfo_source(o, ms, m)))
		return err;
	m->name = ms->name;
	m->path = ms->path;
	m->debug_path = ms->debug_path;
	if (m->start > m->end)
		return bad("module range");
	return NULL;
}

static struct pgm_error *load_modules(struct pgm_program *prog, json_object *root)
{
	json_object *a;
	size_t n;
	struct pgm_error *err = pgm_bjson_get_array(root, "modules", MAX_MODULES, &a, &n);
	if (err)
		return err;
	if (!(prog->modules = calloc(n ? n : 1, sizeof(*prog->modules))) ||
	    !(prog->states = calloc(n ? n : 1, sizeof(*prog->states))))
		return &pgm_enomem;
	for (size_t i = 0; i < n; i++) {
		struct module_state *ms = &prog->states[i];
		ms->prog = prog;
		ms->index = i;
		prog->n_modules++;
		if ((err = load_module(json_object_array_get_idx(a, i), ms, &prog->modules[i])))
			return pgm_error_wrap(err, "module %zu", i);
		if (i && prog->modules[i].start < prog->modules[i - 1].start)
			return bad("module order");
		if (prog->modules[i].is_main && prog->main)
			return bad("module: two main modules");
		if (prog->modules[i].is_main)
			prog->main = &prog->modules[i];
	}
	return NULL;
}

static struct pgm_error *add_warning(void *prog, const char *s)
{
	return pgm_program_warn(prog, "%s", s) ? NULL : &pgm_enomem;
}

static struct pgm_error *load_warnings(struct pgm_program *prog, json_object *root)
{
	return pgm_bjson_each_string(root, "warnings", MAX_WARNINGS, add_warning, prog);
}

/* ---- reading: stacks ---- */

static struct pgm_error *load_frame_regs(json_object *o, struct pgm_frame *f)
{
	json_object *a;
	size_t n;
	int64_t valid;
	struct pgm_error *err = pgm_bjson_get_array(o, "regs", PGM_DWARF_NREGS, &a, &n);
	if (!err && n != PGM_DWARF_NREGS)
		err = bad("\"regs\"");
	for (size_t i = 0; !err && i < n; i++)
		if (!pgm_bjson_hex_value(json_object_array_get_idx(a, i), &f->regs[i]))
			err = bad("\"regs\"");
	if (!err && !(err = pgm_bjson_get_int(o, "regs_valid", 0, (1 << PGM_DWARF_NREGS) - 1, &valid)))
		f->regs_valid = (uint32_t)valid;
	return err;
}

static struct pgm_error *load_frame(struct pgm_program *prog, json_object *o, struct pgm_frame *f)
{
	int64_t index, physical, line, module;
	struct pgm_error *err;
	if (!json_object_is_type(o, json_type_object))
		return bad("frame");
	if ((err = pgm_bjson_get_str(o, "function", &f->function)) || (err = pgm_bjson_get_str(o, "file", &f->file)) ||
	    (err = pgm_bjson_get_int(o, "index", 0, MAX_FRAMES, &index)) ||
	    (err = pgm_bjson_get_int(o, "physical", 0, MAX_FRAMES, &physical)) ||
	    (err = pgm_bjson_get_int(o, "line", 0, INT32_MAX, &line)) ||
	    (err = pgm_bjson_get_int(o, "module", -1, (int64_t)prog->n_modules - 1, &module)) ||
	    (err = pgm_bjson_get_hex(o, "pc", &f->pc)) || (err = pgm_bjson_get_hex(o, "module_offset", &f->module_offset)) ||
	    (err = pgm_bjson_get_hex(o, "cfa", &f->cfa)) || (err = pgm_bjson_get_bool(o, "activation", &f->activation)) ||
	    (err = pgm_bjson_get_bool(o, "inlined", &f->inlined)) || (err = pgm_bjson_get_bool(o, "tail_call", &f->tail_call)) ||
	    (err = pgm_bjson_get_bool(o, "signal_frame", &f->signal_frame)) ||
	    (err = pgm_bjson_get_bool(o, "has_cfa", &f->has_cfa)) || (err = load_frame_regs(o, f)))
		return err;
	f->index = (unsigned)index;
	f->physical = (unsigned)physical;
	f->line = (int)line;
	f->module = module < 0 ? NULL : &prog->modules[module];
	return NULL;
}

static struct pgm_error *load_stack(struct pgm_program *prog, json_object *o, int32_t tid, struct pgm_stack **ret,
				    struct pgm_error **failed)
{
	json_object *frames, *v;
	size_t n;
	int64_t n_physical;
	if (json_object_object_get_ex(o, "error", &v))
		return pgm_bjson_get_error(v, failed);
	struct pgm_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return &pgm_enomem;
	*ret = s;
	s->tid = tid;
	struct pgm_error *err = pgm_bjson_get_array(o, "frames", MAX_FRAMES, &frames, &n);
	if (!err && !(s->frames = calloc(n ? n : 1, sizeof(*s->frames))))
		err = &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++) {
		s->n_frames++;
		err = load_frame(prog, json_object_array_get_idx(frames, i), &s->frames[i]);
	}
	if (!err && !(err = pgm_bjson_get_int(o, "n_physical", 0, MAX_FRAMES, &n_physical)))
		s->n_physical = (size_t)n_physical;
	if (!err && json_object_object_get_ex(o, "stop_reason", &v) && v)
		err = pgm_bjson_get_error(v, &s->stop_reason);
	return err;
}

static struct pgm_error *load_thread(struct pgm_program *prog, json_object *o, struct bundle_thread *t)
{
	int64_t tid;
	json_object *v;
	if (!json_object_is_type(o, json_type_object))
		return bad("thread");
	struct pgm_error *err = pgm_bjson_get_int(o, "tid", 0, INT32_MAX, &tid);
	t->tid = (int32_t)tid;
	for (size_t i = 0; !err && i < PGM_BUNDLE_VARIANTS; i++) {
		if (!json_object_object_get_ex(o, variant_names[i], &v))
			continue;
		err = json_object_is_type(v, json_type_object)
			      ? load_stack(prog, v, t->tid, &t->stack[i], &t->error[i]) : bad("stack");
	}
	return err;
}

static struct pgm_error *load_stacks(struct pgm_program *prog, struct pgm_program_bundle *b, json_object *root)
{
	json_object *a;
	size_t n;
	struct pgm_error *err = pgm_bjson_get_array(root, "threads", MAX_THREADS, &a, &n);
	if (!err && !(b->threads = calloc(n ? n : 1, sizeof(*b->threads))))
		err = &pgm_enomem;
	for (size_t i = 0; !err && i < n; i++) {
		b->n_threads++;
		if ((err = load_thread(prog, json_object_array_get_idx(a, i), &b->threads[i])))
			err = pgm_error_wrap(err, "thread %zu", i);
	}
	return err;
}

/* ---- the program ---- */

typedef struct pgm_error *json_loader(struct pgm_program *prog, json_object *root);

static struct pgm_error *load_part(struct pgm_program *prog, const char *name, json_loader *fn)
{
	json_object *root;
	struct pgm_error *err = pgm_bjson_part(prog->target, name, json_type_object, &root);
	if (err)
		return err;
	err = pgm_bjson_part_error(prog->target, name, fn(prog, root));
	json_object_put(root);
	return err;
}

static struct pgm_error *modules_and_warnings(struct pgm_program *prog, json_object *root)
{
	struct pgm_error *err = load_modules(prog, root);
	return err ? err : load_warnings(prog, root);
}

static struct pgm_error *stacks(struct pgm_program *prog, json_object *root)
{
	return load_stacks(prog, prog->bundle, root);
}

struct pgm_error *pgm_program_bundle_create(struct pgm_target *target, const struct pgm_program_options *opts,
					    struct pgm_program **ret)
{
	struct pgm_program *prog = calloc(1, sizeof(*prog));
	if (!prog || !(prog->bundle = calloc(1, sizeof(*prog->bundle)))) {
		free(prog);
		return &pgm_enomem;
	}
	prog->target = target;
	prog->symbols_only_libraries = opts && opts->symbols_only_libraries;
	struct pgm_error *err = load_part(prog, "modules", modules_and_warnings);
	if (!err)
		err = load_part(prog, "stacks", stacks);
	if (err) {
		pgm_program_destroy(prog);
		return err;
	}
	*ret = prog;
	return NULL;
}

void pgm_program_bundle_free(struct pgm_program_bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_threads; i++) {
		for (size_t v = 0; v < PGM_BUNDLE_VARIANTS; v++) {
			pgm_stack_destroy(b->threads[i].stack[v]);
			pgm_error_destroy(b->threads[i].error[v]);
		}
	}
	free(b->threads);
	free(b);
}

static struct pgm_error *stack_copy(const struct pgm_stack *s, struct pgm_stack **ret)
{
	struct pgm_stack *c = calloc(1, sizeof(*c));
	if (!c || !(c->frames = calloc(s->n_frames ? s->n_frames : 1, sizeof(*c->frames)))) {
		free(c);
		return &pgm_enomem;
	}
	c->tid = s->tid;
	c->n_physical = s->n_physical;
	for (size_t i = 0; i < s->n_frames; i++) {
		struct pgm_frame *f = &c->frames[c->n_frames++];
		*f = s->frames[i];
		f->function = s->frames[i].function ? strdup(s->frames[i].function) : NULL;
		f->file = s->frames[i].file ? strdup(s->frames[i].file) : NULL;
		if ((s->frames[i].function && !f->function) || (s->frames[i].file && !f->file)) {
			pgm_stack_destroy(c);
			return &pgm_enomem;
		}
	}
	if (s->stop_reason && (c->stop_reason = pgm_error_clone(s->stop_reason)) == &pgm_enomem) {
		c->stop_reason = NULL;
		pgm_stack_destroy(c);
		return &pgm_enomem;
	}
	*ret = c;
	return NULL;
}

struct pgm_error *pgm_program_bundle_unwind(struct pgm_program *prog, size_t thread_index, struct pgm_stack **ret)
{
	const struct pgm_target *t = prog->target;
	int32_t tid = t->threads[thread_index].tid;
	size_t want = prog->symbols_only_libraries ? PGM_BUNDLE_ANALYSIS : PGM_BUNDLE_FULL;
	for (size_t i = 0; i < prog->bundle->n_threads; i++) {
		const struct bundle_thread *th = &prog->bundle->threads[i];
		if (th->tid != tid)
			continue;
		size_t v = th->stack[want] || th->error[want] ? want : PGM_BUNDLE_VARIANTS - 1 - want;
		if (th->error[v])
			return pgm_error_clone(th->error[v]);
		if (th->stack[v])
			return stack_copy(th->stack[v], ret);
	}
	return pgm_error_create(PGM_ERR_LOOKUP, "the stack of thread %d is not in this bundle", (int)tid);
}
