/*
 * libFuzzer target: the console's escape recogniser.  The input is fed in
 * chunks whose sizes come from its first bytes, with the state kept between
 * them, as console.c feeds what the terminal gives it.  Invariants: output
 * fits the 2 * N bytes the header promises (each chunk's buffer is exactly
 * that, so ASan sees a write past it), a chunk gives at most N + 1 bytes
 * (a '~' held from before), the whole stream never grows, without '~' or
 * Ctrl-] the bytes pass unchanged, and leaving needs Ctrl-] or "~.".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct console_escape e;
	const uint8_t *in;
	size_t total_in = 0, total_out = 0, sizes = size < 4 ? size : 4, k = 0;
	int tilde_seen = 0;

	if (size == 0)
		return 0;
	console_escape_init(&e);
	in = data + sizes;
	size -= sizes;
	while (size > 0) {
		size_t n = sizes ? (size_t)data[k++ % sizes] % 64 + 1 : size, outlen = 0;
		unsigned char *out;
		int leave, plain;

		if (n > size)
			n = size;
		out = malloc(2 * n);
		if (!out)
			abort();
		plain = !tilde_seen && !memchr(in, '~', n) && !memchr(in, CONSOLE_ESC_BYTE, n);
		leave = console_escape_feed(&e, in, n, out, &outlen);
		if (outlen > n + 1 || outlen > 2 * n)
			abort();
		if (plain && (leave || outlen != n || memcmp(out, in, n) != 0))
			abort();
		if (leave && !memchr(in, CONSOLE_ESC_BYTE, n) &&
		    !((tilde_seen || memchr(in, '~', n)) && memchr(in, '.', n)))
			abort();
		tilde_seen |= memchr(in, '~', n) != NULL;
		total_in += n;
		total_out += outlen;
		if (total_out > total_in)
			abort();
		free(out);
		if (leave)
			break;      /* the session ends: console.c feeds no more */
		in += n;
		size -= n;
	}
	return 0;
}
