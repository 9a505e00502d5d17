/* JUnit XML for CI systems: one <testcase> per config. */
#include <stdio.h>

#include "smoke.h"

/* Text as XML character data: markup escaped, bytes XML cannot hold dropped. */
static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if (c == '\t' || c == '\n' || (c >= 0x20 && c < 0x7f))
				fputc(c, f);
			else if (c >= 0x80)
				fputc('?', f);   /* console bytes need not be UTF-8 */
		}
	}
}

int junit_write(const char *path, const struct smoke_result *results, int n)
{
	FILE *f = fopen(path, "w");
	double total = 0;
	int i, tests = 0, failures = 0;

	if (!f)
		return -1;
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
			fprintf(f, "    <failure type=\"%s\" message=\"", r->outcome);
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
