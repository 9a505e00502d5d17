/*
 * libFuzzer target: the JUnit report.  The escaper must turn any bytes into
 * XML 1.0 character data (well-formed UTF-8, no forbidden characters, no
 * markup but its own entities); a whole report, with the input split into
 * config name, reason and console tail, must hold nothing else either.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smoke.h"
#include "strbuf.h"
#include "xalloc.h"
#include "xmlcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Markup only as the escaper's entities. */
static int markup_ok(const char *s, size_t n)
{
	static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
						"&#13;" };
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (s[i] == '<' || s[i] == '>' || s[i] == '"' || s[i] == '\'' || s[i] == '\r')
			return 0;
		if (s[i] != '&')
			continue;
		for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++)
			if (strncmp(s + i, entities[k], strlen(entities[k])) == 0)
				break;
		if (k == sizeof(entities) / sizeof(entities[0]))
			return 0;
	}
	return 1;
}

static void check_escape(const uint8_t *data, size_t size)
{
	struct strbuf sb = STRBUF_INIT;

	junit_xml_escape(&sb, (const char *)data, size);
	if (sb.len && (!xmlcheck_text((const unsigned char *)sb.buf, sb.len) ||
		       !markup_ok(sb.buf, sb.len) || strlen(sb.buf) != sb.len))
		abort();
	if (sb.len > 6 * size)
		abort();        /* at most "&quot;" per byte */
	sb_release(&sb);
}

/* The next NUL-terminated piece of DATA, as a C string (the rest when none). */
static char *piece(const uint8_t **data, size_t *size)
{
	const uint8_t *nul = memchr(*data, '\0', *size);
	size_t n = nul ? (size_t)(nul - *data) : *size;
	char *s = xstrndup((const char *)*data, n);

	*data += nul ? n + 1 : n;
	*size -= nul ? n + 1 : n;
	return s;
}

static void check_report(const uint8_t *data, size_t size)
{
	static char path[64];
	struct smoke_result r;
	char *config = piece(&data, &size), *reason = piece(&data, &size);
	static unsigned char buf[65536];
	size_t n;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/vmlaunch-fuzz-junit.%ld.xml", (long)getpid());
	r.config = config;
	r.outcome = "fail";
	r.reason = *reason ? reason : NULL;
	r.console_tail = piece(&data, &size);
	r.seconds = 1.25;
	if (junit_write(path, &r, 1) < 0)
		abort();
	f = fopen(path, "rb");
	if (!f)
		abort();
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (!xmlcheck_text(buf, n))
		abort();
	free(config);
	free(reason);
	free(r.console_tail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_escape(data, size);
	if (size <= 8192)
		check_report(data, size);
	return 0;
}
