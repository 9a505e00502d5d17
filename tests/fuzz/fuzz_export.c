/*
 * libFuzzer target: the XML escaper on arbitrary bytes (what it accepts
 * comes out as XML 1.0 text with no markup character left bare; what it
 * refuses is text XML cannot carry), and arbitrary bytes as a config whose
 * accepted plan is exported: an export without errors is XML 1.0 text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "devices.h"
#include "libvirt_xml.h"
#include "plan.h"
#include "validate.h"
#include "xmlcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every '&' starts one of the references the escaper writes. */
static int refs_ok(const char *s)
{
	static const char *const refs[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
					    "&#9;", "&#10;", "&#13;" };
	const char *p;
	size_t i;

	for (p = strchr(s, '&'); p; p = strchr(p + 1, '&')) {
		for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
			if (strncmp(p, refs[i], strlen(refs[i])) == 0)
				break;
		if (i == sizeof(refs) / sizeof(refs[0]))
			return 0;
	}
	return 1;
}

static void fuzz_escape(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct strbuf sb = STRBUF_INIT;
	int ok, legal = 1;
	size_t i;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	ok = xml_escape(&sb, s) == 0;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			legal = 0;
	legal = legal && xmlcheck_text((const unsigned char *)s, strlen(s));
	if (ok != legal)
		abort();    /* refused exactly what XML 1.0 cannot hold */
	if (ok && (strpbrk(sb.buf ? sb.buf : "", "<>\"'\t\n\r") || !refs_ok(sb.buf ? sb.buf : "") ||
		   !xmlcheck_text((const unsigned char *)(sb.buf ? sb.buf : ""), sb.len)))
		abort();
	if (!ok && sb.len)
		abort();    /* nothing half-written */
	sb_release(&sb);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct device_list devs = DEVICE_LIST_INIT;
	struct strbuf xml = STRBUF_INIT, why = STRBUF_INIT;
	struct vm_config cfg;
	struct vm_plan plan;
	struct diag d;

	if (!null)
		null = fopen("/dev/null", "w");
	fuzz_escape(data, size);
	diag_init(&d, null);
	config_init(&cfg, "fuzz.conf", "/fuzz");
	if (config_parse_buffer(&cfg, (const char *)data, size, &d) == 0 &&
	    config_finish(&cfg, &d) == 0) {
		plan_init(&plan, &cfg);
		if (validate_rules(&cfg, &plan, &d) == 0 &&
		    devices_build(&plan, &devs, &why) == 0 &&
		    libvirt_xml_build(&plan, &devs, &xml, &d) == 0 &&
		    !xmlcheck_text((const unsigned char *)xml.buf, xml.len))
			abort();
		devices_free(&devs);
		plan_free(&plan);
	}
	sb_release(&xml);
	sb_release(&why);
	config_free(&cfg);
	return 0;
}
