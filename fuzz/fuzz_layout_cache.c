/*
 * Harness: the layout cache reader (pgm_pg_layout_from_json), which parses
 * a file any process able to write the cache directory may have written.
 *
 * Besides not crashing, a layout it accepts must survive a round trip:
 * written back (pgm_pg_layout_to_json) and read again it is accepted, and
 * written once more it gives the same text.
 *
 * A cache file names the pgmortem that wrote it ("producer": its own
 * build-id, which differs with every build of this harness), and one from
 * another producer is rejected first thing.  So that seeds stay valid and
 * the fuzzer gets past that check, every "@PRODUCER@" in the input is
 * replaced with this build's producer before parsing.  Seeds: layout cache
 * files of real PostgreSQL builds with BUILD_ID and @PRODUCER@ put in
 * (fuzz/make-seeds); dictionary: fuzz/dict/layout_cache.dict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pg/layout.h"

#define BUILD_ID "00112233445566778899aabbccddeeff00112233"
#define BIAS 0x555555554000ull
#define HI (BIAS + (1ull << 40))

static char *write_back(const struct pgm_pg_layout *l)
{
	char *text;
	struct pgm_error *err = pgm_pg_layout_to_json(l, BUILD_ID, BIAS, &text);
	if (err)
		abort();   /* out of memory included: inputs are small */
	return text;
}

#define PLACEHOLDER "@PRODUCER@"

/* This build's producer, as pgm_pg_layout_to_json() writes it. */
static const char *own_producer(void)
{
	static char producer[256];
	if (producer[0])
		return producer;
	struct pgm_pg_layout *l = pgm_pg_layout_create_empty();
	char *text = l ? write_back(l) : NULL;
	const char *key = "\"producer\":\"", *p = text ? strstr(text, key) : NULL;
	size_t n = p ? strcspn(p + strlen(key), "\"") : 0;
	if (!n || n >= sizeof(producer))
		abort();
	memcpy(producer, p + strlen(key), n);
	free(text);
	pgm_pg_layout_destroy(l);
	return producer;
}

/* data with every PLACEHOLDER replaced; the caller frees it.  *len in and out. */
static char *with_producer(const uint8_t *data, size_t *len)
{
	const char *producer = own_producer();
	size_t ph = strlen(PLACEHOLDER), pr = strlen(producer), n = *len;
	char *out = malloc(n / ph * pr + n + 1), *o = out;
	if (!out)
		abort();
	for (size_t i = 0; i < n;) {
		if (n - i >= ph && memcmp(data + i, PLACEHOLDER, ph) == 0) {
			memcpy(o, producer, pr);
			o += pr;
			i += ph;
		} else {
			*o++ = (char)data[i++];
		}
	}
	*len = (size_t)(o - out);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgm_pg_layout *l;
	char *text = with_producer(data, &size);
	struct pgm_error *err = pgm_pg_layout_from_json(text, size, BUILD_ID, BIAS, BIAS, HI, &l);
	free(text);
	if (err) {
		pgm_error_destroy(err);
		return 0;
	}
	char *once = write_back(l);
	pgm_pg_layout_destroy(l);
	err = pgm_pg_layout_from_json(once, strlen(once), BUILD_ID, BIAS, BIAS, HI, &l);
	if (err == &pgm_enomem) {
		free(once);
		return 0;
	}
	if (err)
		abort();   /* we wrote what we cannot read */
	char *twice = write_back(l);
	pgm_pg_layout_destroy(l);
	if (strcmp(once, twice) != 0)
		abort();   /* the round trip lost or changed something */
	free(once);
	free(twice);
	return 0;
}
