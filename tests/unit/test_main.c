/* Runs every unit case; prints one line per case and "N passed, N failed". */
#include "unit.h"

int unit_failed_checks;

int main(void)
{
	const struct unit_case *tables[] = { config_cases, imagefmt_cases, argv_cases, misc_cases,
					      conscan_cases, serial_cases, console_cases,
					      spawn_cases, junit_cases, devices_cases,
					      json_cases, qmp_cases, libvirt_cases, sha256_cases,
					      cpio_cases, moddep_cases, initramfs_cases,
					      savestate_cases };
	int passed = 0, failed = 0;
	size_t t;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const struct unit_case *c;

		for (c = tables[t]; c->name; c++) {
			int before = unit_failed_checks;

			c->fn();
			if (unit_failed_checks == before) {
				passed++;
				printf("ok unit/%s\n", c->name);
			} else {
				failed++;
				printf("FAIL unit/%s\n", c->name);
			}
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	/* LeakSanitizer's report at exit ends the process without flushing stdio. */
	fflush(stdout);
	return failed ? 1 : 0;
}
