/*
 * What a harness defines: libFuzzer's entry point.  Called with one input
 * at a time (the buffer is valid only during the call); must return 0, and
 * must not keep state between calls that changes what an input does, so
 * that a crashing input replays alone.  A bug is a crash, a sanitizer
 * report, a leak, or an abort() where the harness checks a property.
 *
 * The same harness links either with libFuzzer (-Dfuzz=true) or with
 * replay.c, which runs saved inputs through it once.
 */
#ifndef PGMORTEM_FUZZ_H
#define PGMORTEM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * For harnesses whose code under test takes a file (input_file.c): the
 * input written to this process's one memfd, returned as its descriptor
 * (positioned anywhere: read it with pread) or as a path, /proc/self/fd/N.
 * Valid until the next call.
 */
int fuzz_input_fd(const uint8_t *data, size_t size);
const char *fuzz_input_path(const uint8_t *data, size_t size);

#endif
