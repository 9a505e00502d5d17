/* JUnit XML for CI systems: one <testcase> per config. */
#include <stdio.h>
#include <string.h>

#include "smoke.h"
#include "utf8.h"
#include "strbuf.h"

static const char replacement[] = "\xef\xbf\xbd";   /* U+FFFD */


/* One ASCII byte as XML character data; controls XML 1.0 forbids are dropped. */
static void escape_ascii(struct strbuf *out, unsigned char c)
{
	switch (c) {
	case '&': sb_adds(out, "&amp;"); break;
	case '<': sb_adds(out, "&lt;"); break;
	case '>': sb_adds(out, "&gt;"); break;
	case '"': sb_adds(out, "&quot;"); break;
	case '\'': sb_adds(out, "&apos;"); break;
	case '\r': sb_adds(out, "&#13;"); break;   /* a parser would turn a bare CR into LF */
	default:
		if (c == '\t' || c == '\n' || c >= 0x20)
			sb_addc(out, (char)c);
	}
}

void junit_xml_escape(struct strbuf *out, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < n) {
		size_t len;

		if (s[i] < 0x80) {
			escape_ascii(out, s[i++]);
			continue;
		}
		len = utf8_decode(s + i, n - i, NULL);
		if (len == 0) {
			sb_adds(out, replacement);  /* console bytes need not be UTF-8 */
			i++;
		} else if (len == 3 && s[i] == 0xef && s[i + 1] == 0xbf && s[i + 2] >= 0xbe) {
			sb_adds(out, replacement);  /* U+FFFE and U+FFFF are not XML characters */
			i += len;
		} else {
			sb_add(out, (const char *)s + i, len);
			i += len;
		}
	}
}

static void xml_text(FILE *f, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	if (!s)
		return;
	junit_xml_escape(&sb, s, strlen(s));
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, f);
	sb_release(&sb);
}

int junit_write(const char *path, const struct smoke_result *results, int n)
{
	FILE *f = fopen(path, "w");

	return f ? junit_write_file(f, results, n) : -1;
}

int junit_write_file(FILE *f, const struct smoke_result *results, int n)
{
	double total = 0;
	int i, tests = 0, failures = 0;

	for (i = 0; i < n; i++) {
		tests += results[i].config != NULL;
		total += results[i].seconds;
		failures += results[i].reason != NULL;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
		"<testsuite name=\"vmlaunch\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
		"time=\"%.3f\">\n", tests, failures, total);
	for (i = 0; i < n; i++) {
		const struct smoke_result *r = &results[i];

		if (!r->config)
			continue;   /* never started: vmlaunch was stopped first */
		fputs("  <testcase classname=\"vmlaunch\" name=\"", f);
		xml_text(f, r->config);
		fprintf(f, "\" time=\"%.3f\">\n", r->seconds);
		if (r->reason) {
			fputs("    <failure type=\"", f);
			xml_text(f, r->outcome);
			fputs("\" message=\"", f);
			xml_text(f, r->reason);
			fputs("\">", f);
			xml_text(f, r->reason);
			fputs("</failure>\n", f);
		}
		fputs("    <system-out>", f);
		xml_text(f, r->console_tail);
		fputs("</system-out>\n  </testcase>\n", f);
	}
	fputs("</testsuite>\n</testsuites>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}
