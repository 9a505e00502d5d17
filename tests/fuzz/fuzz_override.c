/*
 * libFuzzer target: -o overrides.  Each input line is one KEY=VALUE given
 * with -o on top of a fixed config that sets most keys, then finish, the
 * argv builder and print, as for a config file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "render.h"
#include "xalloc.h"

#define MAX_OVERRIDES 32

static const char base[] =
	"kernel = /k/bzImage\n"
	"rootfs = \"/d/disk, with comma.img\"\n"
	"initrd = /k/initrd\n"
	"memory = 1G\n"
	"cpus = 2\n"
	"serial = /run/vm.sock\n"
	"append = \"loglevel=7 -- init arg\"\n"
	"accel = tcg\n"
	"net = virtio\n"
	"forward = 2222-22 udp:127.0.0.1:5353-53\n"
	"gdb = 1234\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	const char *p = (const char *)data, *end = p + size;
	struct vm_config cfg;
	struct diag d;
	int n;

	if (!null)
		null = fopen("/dev/null", "w");
	diag_init(&d, null);
	config_init(&cfg, "/fuzz/base.conf", "/fuzz");
	if (config_parse_buffer(&cfg, base, sizeof(base) - 1, &d) != 0)
		abort();        /* the fixed config itself must be good */
	for (n = 0; p < end && n < MAX_OVERRIDES; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *assignment = xstrndup(p, (size_t)((nl ? nl : end) - p));

		config_override(&cfg, assignment, "/cwd", &d);
		free(assignment);
		p = nl ? nl + 1 : end;
	}
	if (d.errors == 0 && config_finish(&cfg, &d) == 0)
		plan_render(&cfg, null);
	config_free(&cfg);
	return 0;
}
