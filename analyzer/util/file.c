/* File helpers (util/file.h). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "util/file.h"

bool pgm_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return false;
		}
		p += r;
		len -= (size_t)r;
	}
	return true;
}
