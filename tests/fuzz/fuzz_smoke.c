/*
 * libFuzzer target: arbitrary bytes as what a guest prints, fed to the
 * console scanner of `vmlaunch test` in chunks whose sizes the input
 * chooses.  Checks the promises of conscan.h: bounded state, a bounded
 * printable tail and reason, sanitised text without control bytes and in
 * valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_send(void *ctx, const char *bytes, size_t n)
{
	(void)ctx;
	(void)bytes;
	(void)n;
}

/* Text fit for a terminal: no control byte but tab, and valid UTF-8. */
static void check_printable(const char *s, size_t n, int newlines_ok)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && !(newlines_ok && c == '\n')) || c == 0x7f)
				abort();
		} else if (c < 0xc2 || c > 0xf4 || i + len > n) {
			abort();
		} else {
			size_t k;

			for (k = 1; k < len; k++)
				if (((unsigned char)s[i + k] & 0xc0) != 0x80)
					abort();
		}
		i += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scan_step steps[5];
	static regex_t fails[2];
	static struct scan_rules rules;
	static int ready;
	struct strbuf sb = STRBUF_INIT;
	struct conscan s;
	size_t off = 0;
	char *tail;

	if (!ready) {
		static const char *const expect[] = { "boot ok", NULL, "h[a-z]+$", NULL,
						      "vmlaunch-exit=([0-9]+)" };
		int i;

		for (i = 0; i < 5; i++) {
			steps[i].kind = expect[i] ? SCAN_EXPECT : SCAN_SEND;
			steps[i].text = expect[i] ? expect[i] : "echo hi";
			steps[i].wire = i == 1 ? "echo hi\n" : "{ true\n} </dev/null; echo x\n";
			if (expect[i] && regcomp(&steps[i].re, expect[i], REG_EXTENDED | REG_NEWLINE))
				abort();
		}
		steps[4].captures_status = 1;
		if (regcomp(&fails[0], "oops", REG_EXTENDED | REG_NEWLINE) ||
		    regcomp(&fails[1], "Kernel panic|BUG:|Oops", REG_EXTENDED | REG_NEWLINE))
			abort();
		rules.steps = steps;
		rules.nsteps = 5;
		rules.fails = fails;
		rules.nfails = 2;
		rules.nuser_fails = 1;
		ready = 1;
	}
	conscan_init(&s, &rules, no_send, NULL);
	while (off < size) {
		size_t chunk = 1 + data[off] % 64;

		off++;
		if (chunk > size - off)
			chunk = size - off;
		conscan_feed(&s, (const char *)data + off, chunk);
		off += chunk;
		if (s.len > CONSCAN_LINE_MAX || s.consumed > s.len || s.step > rules.nsteps)
			abort();
	}
	if (strlen(s.reason) >= CONSCAN_REASON_MAX)
		abort();
	check_printable(s.reason, strlen(s.reason), 0);
	tail = conscan_tail(&s);
	if (strlen(tail) > CONSCAN_TAIL_LINES * (CONSCAN_TAIL_WIDTH + 8))
		abort();
	check_printable(tail, strlen(tail), 1);
	free(tail);
	conscan_sanitize(&sb, (const char *)data, size);
	check_printable(sb.buf ? sb.buf : "", sb.len, 0);
	sb_release(&sb);
	return 0;
}
