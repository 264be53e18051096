/*
 * Internals of the snapshot writer:
 *   snapshot.c          segments, file layout, writing
 *   snapshot_notes.c    the PT_NOTE contents
 *   snapshot_buffers.c  where shared buffers lie (for --no-buffers)
 */
#ifndef PGMORTEM_SNAPSHOT_INTERNAL_H
#define PGMORTEM_SNAPSHOT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pgmortem/snapshot.h"

/* A growing buffer of notes. */
struct snap_notes {
	uint8_t *buf;
	size_t len, cap;
};

struct pgm_error *snap_build_notes(const struct pgm_target *t, struct snap_notes *nb);

#endif
