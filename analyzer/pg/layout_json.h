/*
 * The JSON sections both layout file formats share: the per-build-id cache
 * (pg/layout_cache.c) and the per-major-version profile (pg/profile.c).
 *
 *   "structs": {"PGPROC": {"size": 880}, "Missing": null, …}
 *   "members": {"PGPROC.pid": {"offset": 32, "size": 4}, …}
 *   "enums":   {"BTPS_State": {"decl_file": "nbtree.c",
 *                              "items": [["BTPARALLEL_NOT_INITIALIZED", 0], …]}, …}
 *
 * null is "not in this build".  Readers validate every value (types,
 * bounds, members inside their struct) and fail with PGM_ERR_FORMAT naming
 * the first problem.  An entry of layout.def the file lacks makes a cache
 * file stale (it was written for another table); a profile's reader passes
 * `absent` to leave such entries unresolved instead and count them.
 */
#ifndef PGMORTEM_PG_LAYOUT_JSON_H
#define PGMORTEM_PG_LAYOUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "pg/layout.h"
#include "pgmortem/error.h"

#define PGM_PG_JSON_MAX_NAME 4096

/* Adds l's "structs" and "members" to root. */
struct pgm_error *pgm_pg_json_add_structs(json_object *root, const struct pgm_pg_layout *l);
/* Adds l's "enums"; `basenames`: decl_file without its directory (a profile names no build's paths). */
struct pgm_error *pgm_pg_json_add_enums(json_object *root, const struct pgm_pg_layout *l, bool basenames);
/* Loads the same into l; `absent` NULL: every layout.def entry must be present. */
struct pgm_error *pgm_pg_json_load_types(json_object *root, struct pgm_pg_layout *l, size_t *absent);

/* A PGM_ERR_FORMAT error. */
struct pgm_error *pgm_pg_json_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The integer member `key` of o, within [min, max]; false if absent, not an integer or outside. */
bool pgm_pg_json_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret);
/*
 * The entry `name` of section `sec`: *ret NULL for an explicit null, an
 * object otherwise.  Absent: an error, or with `absent` non-NULL counted
 * and *ret NULL.
 */
struct pgm_error *pgm_pg_json_entry(json_object *sec, const char *name, size_t *absent, json_object **ret);
/* A copy of string member `key` of o (NULL if absent or null) into *ret. */
struct pgm_error *pgm_pg_json_string(json_object *o, const char *key, const char *name, char **ret);
/* The object member `key` of root. */
struct pgm_error *pgm_pg_json_section(json_object *root, const char *key, json_object **ret);
/* Parses exactly `len` bytes of `text` (at most max_len) into *ret (json_object_put it). */
struct pgm_error *pgm_pg_json_parse(const char *text, size_t len, size_t max_len, json_object **ret);
/*
 * A regular file read whole (at most max_len bytes) into *ret,
 * NUL-terminated; the caller frees it.  `follow`: a symbolic link is
 * followed (else refused: another user's cache could point anywhere).
 */
struct pgm_error *pgm_pg_json_read_file(const char *path, size_t max_len, bool follow, char **ret, size_t *len);

#endif
