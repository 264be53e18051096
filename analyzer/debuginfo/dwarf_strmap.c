/*
 * A small open-addressing hash map from borrowed strings to int32, for the
 * DWARF engine's name caches (symbols, type and variable names).
 */
#include <stdlib.h>
#include <string.h>

#include "debuginfo/dwarf_internal.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static size_t slot_of(const struct strmap *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = hash_str(key) & mask;
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & mask;
	return i;
}

int32_t strmap_get(const struct strmap *m, const char *key)
{
	if (m->cap == 0)
		return -1;
	size_t i = slot_of(m, key);
	return m->keys[i] ? m->values[i] : -1;
}

static bool grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	struct strmap bigger = {
		.keys = calloc(cap, sizeof(*bigger.keys)),
		.values = malloc(cap * sizeof(*bigger.values)),
		.cap = cap,
	};
	if (!bigger.keys || !bigger.values) {
		strmap_free(&bigger);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = slot_of(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.values[j] = m->values[i];
	}
	bigger.count = m->count;
	strmap_free(m);
	*m = bigger;
	return true;
}

bool strmap_put(struct strmap *m, const char *key, int32_t value)
{
	if ((m->count + 1) * 2 > m->cap && !grow(m))
		return false;
	size_t i = slot_of(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->count++;
	}
	m->values[i] = value;
	return true;
}

void strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}
