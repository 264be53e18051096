/*
 * JSON helpers for the parts of a bundle (pgmortem/bundle_file.h), shared by
 * the layers that encode and decode them (target, debuginfo, pg).
 *
 * A part is untrusted input: every getter checks the type and the bounds
 * and fails with PGM_ERR_FORMAT naming the key ("bad \"pid\""), which the
 * caller wraps with the part's name.  Addresses and registers are strings
 * "0x…" (JSON numbers cannot hold every u64).
 */
#ifndef PGMORTEM_TARGET_BUNDLE_JSON_H
#define PGMORTEM_TARGET_BUNDLE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "pgmortem/error.h"
#include "pgmortem/target.h"

/* struct pgm_regs as a JSON array: its u64 fields in order. */
#define PGM_BUNDLE_NREGS 27

/* Longest string a part may hold (a path, a function name, a message). */
#define PGM_BUNDLE_MAX_STRING 65536

/* Parses a whole part as JSON of type `type`; the caller puts *ret. */
struct pgm_error *pgm_bjson_parse(const uint8_t *data, size_t len, json_type type, json_object **ret);
/* Serializes and releases o; the caller frees *ret. */
struct pgm_error *pgm_bjson_finish(json_object *o, char **ret);

/* "0x…" for v; NULL only when out of memory. */
json_object *pgm_bjson_hex(uint64_t v);
/* A string or JSON null for NULL. */
json_object *pgm_bjson_str(const char *s);

/* A "0x…" value; false if v is not one. */
bool pgm_bjson_hex_value(json_object *v, uint64_t *ret);
/* A string value without NULs of at most PGM_BUNDLE_MAX_STRING bytes, or NULL. */
const char *pgm_bjson_str_value(json_object *v);

/* o[key] as "0x…", required. */
struct pgm_error *pgm_bjson_get_hex(json_object *o, const char *key, uint64_t *ret);
/* o[key] as an integer in [min, max], required. */
struct pgm_error *pgm_bjson_get_int(json_object *o, const char *key, int64_t min, int64_t max,
				    int64_t *ret);
struct pgm_error *pgm_bjson_get_bool(json_object *o, const char *key, bool *ret);
/* o[key] as a copy of a string (NULL for JSON null or absent); the caller frees it. */
struct pgm_error *pgm_bjson_get_str(json_object *o, const char *key, char **ret);
/* o[key] as an array of at most `max` elements; absent is an error. */
struct pgm_error *pgm_bjson_get_array(json_object *o, const char *key, size_t max, json_object **ret,
				      size_t *n);

/* Calls fn(arg, s) for each string of the array o[key] (at most max); stops at its error. */
struct pgm_error *pgm_bjson_each_string(json_object *o, const char *key, size_t max,
					struct pgm_error *(*fn)(void *arg, const char *s), void *arg);

/*
 * The part `name` of bundle target t's capture, parsed as JSON of `type`;
 * a missing or malformed part is an error naming it.
 */
struct pgm_error *pgm_bjson_part(const struct pgm_target *t, const char *name, json_type type,
				 json_object **ret);
/* err prefixed with "part NAME of capture N" (out of memory passes as is). */
struct pgm_error *pgm_bjson_part_error(const struct pgm_target *t, const char *name, struct pgm_error *err);

/* An error as {"code": "not_captured", "message", "address", "mapping", "map_start"}. */
json_object *pgm_bjson_error(const struct pgm_error *err);
/* The error such an object describes; the caller owns *ret. */
struct pgm_error *pgm_bjson_get_error(json_object *o, struct pgm_error **ret);

#endif
