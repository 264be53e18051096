/* Hex and target bytes as text (util/text.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

void pgm_hex_format(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

char *pgm_hex_dup(const uint8_t *bytes, size_t n)
{
	char *s = n < SIZE_MAX / 2 ? malloc(2 * n + 1) : NULL;
	if (s)
		pgm_hex_format(bytes, n, s);
	return s;
}

/*
 * Length of the valid UTF-8 sequence at s (at most `left` bytes), 0 if it is
 * not one: RFC 3629, so no overlong forms, no surrogates, nothing past U+10FFFF.
 */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static bool must_escape(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

char *pgm_text_from_bytes(const char *bytes, size_t len)
{
	const unsigned char *s = (const unsigned char *)bytes;
	size_t n = strnlen(bytes, len);
	char *out = n <= SIZE_MAX / 4 - 1 ? malloc(4 * n + 1) : NULL, *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_sequence(s + i, n - i);
		if (k == 0 || (k == 1 && must_escape(s[i]))) {
			o += sprintf(o, "\\x%02x", s[i]);
			i++;
			continue;
		}
		memcpy(o, s + i, k);
		o += k;
		i += k;
	}
	*o = '\0';
	char *shrunk = realloc(out, (size_t)(o - out) + 1);
	return shrunk ? shrunk : out;
}

bool pgm_text_is_clean(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_sequence((const unsigned char *)s + i, n - i);
		if (k == 0 || (k == 1 && must_escape((unsigned char)s[i])))
			return false;
		i += k;
	}
	return true;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool pgm_hex_parse(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0';
}
