/*
 * Text helpers shared by every layer: hexadecimal for build-ids, and the
 * one rule for turning bytes from a target into text any output can carry.
 */
#ifndef PGMORTEM_UTIL_TEXT_H
#define PGMORTEM_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes 2 * n lowercase hex digits and a NUL into out (2 * n + 1 bytes). */
void pgm_hex_format(const uint8_t *bytes, size_t n, char *out);
/* The same, allocated ("" for n == 0); NULL when out of memory.  The caller frees it. */
char *pgm_hex_dup(const uint8_t *bytes, size_t n);

/* Parses exactly 2 * n lowercase hex digits of `hex` into out; false if they are not. */
bool pgm_hex_parse(const char *hex, uint8_t *out, size_t n);

/*
 * Bytes from a target's memory as text: valid UTF-8 is kept, except control
 * characters other than tab and newline; every byte of an invalid or
 * overlong sequence, every such control character and DEL become the four
 * characters "\xNN".  The result is valid UTF-8 that text, JSON, XML and DOT
 * can all carry, and shows what was there.  A NUL ends the input.
 * NULL when out of memory; the caller frees the result.
 */
char *pgm_text_from_bytes(const char *bytes, size_t len);
/* True if s (NUL-terminated) is already what pgm_text_from_bytes() returns. */
bool pgm_text_is_clean(const char *s);

#endif
