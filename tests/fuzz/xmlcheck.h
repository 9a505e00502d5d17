/* For the fuzz targets: is this XML 1.0 text, as far as its bytes go? */
#ifndef VMLAUNCH_FUZZ_XMLCHECK_H
#define VMLAUNCH_FUZZ_XMLCHECK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the UTF-8 sequence at S strictly: its length, with the code point
 * in *CP, or 0 when it is malformed (overlong, surrogate, past U+10FFFF).
 */
static inline size_t xmlcheck_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Is code point C a Char of XML 1.0? */
static inline int xmlcheck_char(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* 1 when S[0..N) is well-formed UTF-8 of XML 1.0 characters only. */
static inline int xmlcheck_text(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c;
		size_t len = xmlcheck_decode(s + i, n - i, &c);

		if (len == 0 || !xmlcheck_char(c))
			return 0;
		i += len;
	}
	return 1;
}

#endif
