/*
 * The QEMU command line, built as an argv (never a shell string) from a
 * validated config.  Pure: no I/O.  Each guest device is paired with its
 * host backend by a readable id (rootfs, serial0).
 */
#ifndef VMLAUNCH_QEMU_ARGV_H
#define VMLAUNCH_QEMU_ARGV_H

#include <stddef.h>

#include "plan.h"
#include "strvec.h"

struct qemu_cmd {
	struct strvec argv;
	size_t *line_start;   /* argv indexes where a printed line begins */
	size_t nlines;
	size_t alloc;
	char *error;          /* why qemu_cmd_build refused, or NULL */
};

#define QEMU_CMD_INIT { STRVEC_INIT, NULL, 0, 0, NULL }

/* Linux on x86 takes a command line of at most 2047 bytes. */
#define KERNEL_CMDLINE_MAX 2047

/*
 * Render plan P (its machine, then its device list) as QEMU's argv: 0, or
 * -1 with the reason in cmd->error (and an empty argv) for a plan
 * validation would have refused, such as net_backend = tap without net_tap.
 */
int qemu_cmd_build(const struct vm_plan *p, struct qemu_cmd *cmd);
void qemu_cmd_free(struct qemu_cmd *cmd);

/* The kernel command line: root= and console= added as vmlaunch.conf(5) says. */
char *kernel_cmdline(const struct vm_plan *p);

/* Which Linux parameters kernel_cmdline() adds to the user's append. */
int cmdline_adds_root(const struct vm_plan *p);
int cmdline_adds_console(const struct vm_plan *p);
int cmdline_adds_nokaslr(const struct vm_plan *p);

/* Does the kernel command line CMDLINE have the bare word NAME ("nokaslr")? */
int cmdline_has_flag(const char *cmdline, const char *name);
/* Does the kernel command line CMDLINE set parameter NAME ("root", "console")? */
int cmdline_has_param(const char *cmdline, const char *name);
/* The value of the last NAME= parameter in CMDLINE, or NULL (caller frees). */
char *cmdline_param(const char *cmdline, const char *name);

#endif
