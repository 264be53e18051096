/*
 * File helpers shared by the layers that write files (bundles, the layout
 * cache).
 */
#ifndef PGMORTEM_UTIL_FILE_H
#define PGMORTEM_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Writes all len bytes to fd, across short writes and EINTR; false with errno set on failure. */
bool pgm_write_all(int fd, const void *buf, size_t len);

#endif
