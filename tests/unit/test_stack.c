/*
 * Unit tests for stacks without files: register mapping, loop detection,
 * completeness, the program over an in-memory target, and rendering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "debuginfo/program_internal.h"
#include "pgmortem/render.h"
#include "pgmortem/stack.h"

static void regs_map_to_dwarf_numbers(void **state)
{
	struct pgm_regs r = {
		.rax = 1, .rdx = 2, .rcx = 3, .rbx = 4, .rsi = 5, .rdi = 6, .rbp = 7, .rsp = 8,
		.r8 = 9, .r9 = 10, .r10 = 11, .r11 = 12, .r12 = 13, .r13 = 14, .r14 = 15,
		.r15 = 16, .rip = 17, .orig_rax = 99, .eflags = 99, .fs_base = 99,
	};
	uint64_t dwarf[PGM_DWARF_NREGS];
	pgm_regs_to_dwarf(&r, dwarf);
	for (unsigned i = 0; i < PGM_DWARF_NREGS; i++)
		assert_int_equal(dwarf[i], i + 1);
	assert_int_equal(dwarf[PGM_DWARF_REG_SP], r.rsp);
	assert_int_equal(dwarf[PGM_DWARF_REG_PC], r.rip);
}

static struct phys_frame phys(uint64_t pc, uint64_t sp)
{
	struct phys_frame f = { .pc = pc };
	f.regs[PGM_DWARF_REG_SP] = sp;
	f.regs_valid = 1u << PGM_DWARF_REG_SP;
	return f;
}

static void repeated_pc_and_sp_is_a_loop(void **state)
{
	struct phys_frame frames[] = { phys(0x1000, 0x7ff0), phys(0x2000, 0x8000),
				       phys(0x3000, 0x8010) };
	assert_true(pgm_unwind_repeats(frames, 3, 0x2000, 0x8000));
	/* Recursion: same pc, deeper frame. */
	assert_false(pgm_unwind_repeats(frames, 3, 0x2000, 0x8020));
	assert_false(pgm_unwind_repeats(frames, 3, 0x4000, 0x8000));
	assert_false(pgm_unwind_repeats(frames, 0, 0x1000, 0x7ff0));
	/* An unknown sp never matches. */
	frames[0].regs_valid = 0;
	assert_false(pgm_unwind_repeats(frames, 3, 0x1000, 0x7ff0));
}

static struct pgm_module postgres_module = {
	.name = "/usr/lib/postgresql/15/bin/postgres",
	.start = 0x555500000000,
	.end = 0x555500900000,
};

/* #0 epoll_wait, #1-#2 WaitEventSetWaitBlock inlined in WaitEventSetWait, #3 unnamed */
static struct pgm_stack *sample_stack(void)
{
	struct pgm_stack *s = calloc(1, sizeof(*s));
	s->tid = 4242;
	s->n_frames = 4;
	s->n_physical = 3;
	s->frames = calloc(4, sizeof(*s->frames));
	struct pgm_frame *f = s->frames;
	f[0] = (struct pgm_frame){ .index = 0, .physical = 0, .pc = 0x7f0000001234,
				   .activation = true, .function = strdup("epoll_wait") };
	f[1] = (struct pgm_frame){ .index = 1, .physical = 1, .pc = 0x55550041005a,
				   .inlined = true, .function = strdup("WaitEventSetWaitBlock"),
				   .file = strdup("latch.c"), .line = 1495,
				   .module = &postgres_module, .module_offset = 0x41005a };
	f[2] = f[1];
	f[2].index = 2;
	f[2].inlined = false;
	f[2].function = strdup("WaitEventSetWait");
	f[2].file = strdup("latch.c");
	f[2].line = 1441;
	f[3] = (struct pgm_frame){ .index = 3, .physical = 2, .pc = 0x555500300010,
				   .module = &postgres_module, .module_offset = 0x300010 };
	return s;
}

static void completeness_and_lookup(void **state)
{
	struct pgm_stack *s = sample_stack();
	assert_false(pgm_stack_is_complete(s));   /* frame 3 has no name */
	assert_true(pgm_stack_has_function(s, "WaitEventSetWaitBlock"));
	assert_int_equal(pgm_stack_find_function(s, "WaitEventSetWait"), 2);
	assert_int_equal(pgm_stack_find_function(s, "main"), -1);
	free(s->frames[3].function);
	s->frames[3].function = strdup("PostgresMain");
	assert_true(pgm_stack_is_complete(s));
	s->stop_reason = pgm_error_not_captured(0x7ffd00000000, NULL, 0x7ffd00000000);
	assert_false(pgm_stack_is_complete(s));
	pgm_stack_destroy(s);
}

static char *render_text(const struct pgm_stack *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	pgm_render_stack_text(out, s);
	fclose(out);
	return buf;
}

static void text_is_laid_out_like_gdb(void **state)
{
	struct pgm_stack *s = sample_stack();
	s->stop_reason = pgm_error_not_captured(0x7ffd00000000, NULL, 0x7ffd00000000);
	char *text = render_text(s);
	assert_non_null(strstr(text, "#0  0x00007f0000001234 in epoll_wait\n"));
	assert_non_null(strstr(text, "#1  0x000055550041005a in WaitEventSetWaitBlock (latch.c:1495)\n"));
	/* The function an inline frame was inlined into shows no address. */
	assert_non_null(strstr(text, "#2  WaitEventSetWait (latch.c:1441)\n"));
	assert_non_null(strstr(text, "#3  0x0000555500300010 in postgres+0x300010\n"));
	assert_non_null(strstr(text, "unwinding stopped: not captured at 0x7ffd00000000"));
	free(text);
	s->frames[0].signal_frame = true;
	text = render_text(s);
	assert_non_null(strstr(text, "#0  <signal handler called>\n"));
	free(text);
	pgm_stack_destroy(s);
}

static void json_frames_carry_the_schema_fields(void **state)
{
	struct pgm_stack *s = sample_stack();
	struct json_object *obj = pgm_stack_json(s);
	assert_non_null(obj);
	assert_int_equal(json_object_get_int(json_object_object_get(obj, "tid")), 4242);
	assert_false(json_object_get_boolean(json_object_object_get(obj, "complete")));
	struct json_object *frames = json_object_object_get(obj, "frames");
	assert_int_equal(json_object_array_length(frames), 4);
	struct json_object *f1 = json_object_array_get_idx(frames, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(f1, "function")),
			    "WaitEventSetWaitBlock");
	assert_true(json_object_get_boolean(json_object_object_get(f1, "inline")));
	assert_string_equal(json_object_get_string(json_object_object_get(f1, "pc")),
			    "0x55550041005a");
	assert_int_equal(json_object_get_int(json_object_object_get(f1, "line")), 1495);
	assert_string_equal(json_object_get_string(json_object_object_get(f1, "module_offset")),
			    "0x41005a");
	struct json_object *f3 = json_object_array_get_idx(frames, 3);
	assert_true(json_object_object_get_ex(f3, "function", NULL));
	assert_null(json_object_object_get(f3, "function"));
	/* tests/install/unit-json checks this object against stack-1.schema.json */
	const char *dir = getenv("PGMORTEM_JSON_DIR");
	if (dir) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/stack-thread.json", dir);
		assert_int_equal(json_object_to_file(path, obj), 0);
	}
	json_object_put(obj);
	pgm_stack_destroy(s);
}

static void signal_names(void **state)
{
	char buf[32];
	assert_string_equal(pgm_signal_name(6, buf, sizeof(buf)), "SIGABRT");
	assert_string_equal(pgm_signal_name(11, buf, sizeof(buf)), "SIGSEGV");
	assert_string_equal(pgm_signal_name(77, buf, sizeof(buf)), "signal 77");
	struct pgm_siginfo segv = { .signo = 11, .code = 1, .addr = 0x10 };
	struct pgm_siginfo killed = { .signo = 6, .code = 0, .sender_pid = 99 };
	assert_true(pgm_siginfo_has_fault_address(&segv));
	assert_false(pgm_siginfo_is_sent(&segv));
	assert_false(pgm_siginfo_has_fault_address(&killed));
	assert_true(pgm_siginfo_is_sent(&killed));
}

/*
 * An in-memory target has no modules: the program is empty, lookups fail
 * cleanly, and unwinding cannot attach (libdwfl learns the architecture
 * from a module) but says so instead of crashing.
 */
static void program_over_memory_target(void **state)
{
	struct pgm_target *t;
	assert_null(pgm_target_memory_create(77, &t));
	struct pgm_thread th = { .tid = 77, .regs = { .rip = 0x1000, .rsp = 0x8000 } };
	assert_null(pgm_target_memory_add_thread(t, &th));
	struct pgm_program *prog;
	assert_null(pgm_program_create(t, NULL, &prog));
	size_t n;
	pgm_program_modules(prog, &n);
	assert_int_equal(n, 0);
	assert_null(pgm_program_main_module(prog));
	assert_null(pgm_program_module_at(prog, 0x1000));
	struct pgm_symbol sym;
	struct pgm_error *err = pgm_program_find_symbol(prog, "MyProc", &sym);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_LOOKUP);
	pgm_error_destroy(err);
	err = pgm_program_symbolize(prog, 0x1000, &sym, NULL);
	assert_int_equal(err->code, PGM_ERR_LOOKUP);
	pgm_error_destroy(err);
	struct pgm_stack *stack;
	err = pgm_program_unwind(prog, 1, &stack);
	assert_int_equal(err->code, PGM_ERR_USAGE);
	pgm_error_destroy(err);
	err = pgm_program_unwind(prog, 0, &stack);
	assert_non_null(err);
	assert_int_equal(err->code, PGM_ERR_DWARF);
	if (!strstr(err->message, "for unwinding: dwfl_attach_state: ") || strstr(err->message, "unwinding: unwinding"))
		fail_msg("unexpected message: %s", err->message);
	pgm_error_destroy(err);
	pgm_program_destroy(prog);
	pgm_target_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regs_map_to_dwarf_numbers),
		cmocka_unit_test(repeated_pc_and_sp_is_a_loop),
		cmocka_unit_test(completeness_and_lookup),
		cmocka_unit_test(text_is_laid_out_like_gdb),
		cmocka_unit_test(json_frames_carry_the_schema_fields),
		cmocka_unit_test(signal_names),
		cmocka_unit_test(program_over_memory_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
