/*
 * vmlaunch-init's reading of the kernel command line (/proc/cmdline):
 * pure, so the unit tests compile it too (src/guest/cmdline.c).
 */
#ifndef VMLAUNCH_GUEST_CMDLINE_H
#define VMLAUNCH_GUEST_CMDLINE_H

#include <stddef.h>

#define BOOT_PARAMS_MAX 32

struct boot_param {
	char module[64];        /* '-' made '_', as the kernel compares */
	char kv[192];           /* key=value, quotes kept: the kernel's parser takes them */
};

struct boot {
	char root[256];
	char fstype[64];        /* comma-separated types */
	char flags[256];        /* rootflags=: the mount's data */
	char init[256];
	int rw;
	int rootwait;           /* wait for the root device without a limit */
	int rootdelay;          /* rootdelay=: seconds to wait before looking */
	struct boot_param params[BOOT_PARAMS_MAX];
	size_t nparams;
};

/*
 * root=, rootfstype=, rootflags=, init=, rw/ro, rootwait, rootdelay= and
 * MODULE.key=value words of CMDLINE, up to "--" (init's own arguments).
 * Double quotes group words ("a b" or key="a b") as the kernel's parser
 * does; they are dropped from the values kept here but for module
 * parameters.  Returns 0, or -1 with a reason in WHY.
 */
int boot_parse(struct boot *b, const char *cmdline, char *why, size_t whylen);

/* MODULE's parameters from B, space-separated, into OUT ("" if none). */
void boot_module_params(const struct boot *b, const char *module, char *out, size_t n);

#endif
