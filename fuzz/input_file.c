/* The input as a file (fuzz.h): one memfd per process, rewritten for each input. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int fuzz_input_fd(const uint8_t *data, size_t size)
{
	static int fd = -1;
	if (fd < 0 && (fd = memfd_create("pgmortem-fuzz-input", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return fd;
}

const char *fuzz_input_path(const uint8_t *data, size_t size)
{
	static char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fuzz_input_fd(data, size));
	return path;
}
