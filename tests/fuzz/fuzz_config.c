/*
 * libFuzzer target: arbitrary bytes as a config file, then everything that
 * is pure downstream of it (finish, the kernel command line, the argv
 * builder, print), and the same bytes as a kernel and a disk header.
 * Validation's host checks are left out: they would open whatever paths
 * the fuzzer invents; its pure cross-key rules decide (render.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "imagefmt.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct kernel_info info;
	struct vm_config cfg;
	struct diag d;
	char why[256];

	if (!null)
		null = fopen("/dev/null", "w");
	diag_init(&d, null);
	config_init(&cfg, "fuzz.conf", "/fuzz");
	if (config_parse_buffer(&cfg, (const char *)data, size, &d) == 0 &&
	    config_override(&cfg, "memory=512M", "/o", &d) == 0 &&
	    config_finish(&cfg, &d) == 0)
		plan_render(&cfg, null);
	config_free(&cfg);
	(void)kernel_identify(data, size, &info, why, sizeof(why));
	(void)disk_identify(data, size);
	(void)magic_hint(data, size);
	return 0;
}
