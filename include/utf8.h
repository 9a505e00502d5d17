/* UTF-8, decoded one way everywhere (configs, JSON, JUnit, guest text). */
#ifndef VMLAUNCH_UTF8_H
#define VMLAUNCH_UTF8_H

#include <stddef.h>

/*
 * The length of the well-formed UTF-8 sequence at S (N > 0 bytes left): 1
 * for ASCII, 2 to 4, or 0 when it is not well-formed (a stray continuation
 * byte, an overlong form, a surrogate, past U+10FFFF, cut short).  Its code
 * point in *CP when CP is not NULL.
 */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp);

#endif
