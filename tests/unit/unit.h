/* A minimal unit-test harness: CHECK macros count, main prints the totals. */
#ifndef VMLAUNCH_UNIT_H
#define VMLAUNCH_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_failed_checks;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		unit_failed_checks++; \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!g_ || strcmp(g_, w_) != 0) { \
		fprintf(stderr, "  %s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
			#got, g_ ? g_ : "(null)", w_); \
		unit_failed_checks++; \
	} \
} while (0)

/* Every test_*.c file lists its cases in one of these tables. */
struct unit_case {
	const char *name;
	void (*fn)(void);
};

extern const struct unit_case config_cases[], imagefmt_cases[], argv_cases[], misc_cases[],
	conscan_cases[], console_cases[], spawn_cases[], junit_cases[], devices_cases[];
extern const struct unit_case serial_cases[], json_cases[], qmp_cases[], libvirt_cases[];
extern const struct unit_case sha256_cases[], cpio_cases[], moddep_cases[], initramfs_cases[];
extern const struct unit_case savestate_cases[];

/* A minimal .ko with INFO as its .modinfo into ELF (288 + INFO_LEN bytes at most); its size. */
size_t unit_fake_module(unsigned char *elf, const char *info, size_t info_len);

#endif
