/*
 * The driver a harness links with when not fuzzing: runs every input it is
 * given (files, or directories of files) through LLVMFuzzerTestOneInput
 * once, so the normal and sanitizer builds of the suite replay the committed
 * seeds and every input that once crashed (fuzz/regressions/).  A missing
 * directory is not an error (a harness may have no regressions yet).
 *
 *   fuzz_NAME [PATH...]    exit 0 when every input ran; a bug aborts
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Inputs are small by design (libFuzzer's -max_len); a large file is a mistake. */
#define REPLAY_MAX_INPUT (64u << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	size_t n = buf ? fread(buf, 1, REPLAY_MAX_INPUT, f) : 0;
	bool too_big = buf && n == REPLAY_MAX_INPUT && fgetc(f) != EOF;
	fclose(f);
	if (!buf || too_big) {
		fprintf(stderr, "replay: %s: %s\n", path, buf ? "larger than 64 MiB" : "out of memory");
		free(buf);
		return -1;
	}
	/* an exact-size copy, so ASan sees reads past the input's end */
	uint8_t *input = malloc(n ? n : 1);
	if (input)
		memcpy(input, buf, n);
	free(buf);
	if (!input)
		return -1;
	LLVMFuzzerTestOneInput(input, n);
	free(input);
	return 0;
}


/* Runs the files of `dir` in name order; returns how many, or -1. */
static long run_dir(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	long ran = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && list[i]->d_name[0] != '.')
			ran = run_file(path) < 0 || ran < 0 ? -1 : ran + 1;
		free(list[i]);
	}
	free(list);
	return ran;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	long total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		long n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %ld input%s\n", total, total == 1 ? "" : "s");
	return 0;
}
