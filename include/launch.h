/* Starting QEMU, or showing the command that would start it. */
#ifndef VMLAUNCH_LAUNCH_H
#define VMLAUNCH_LAUNCH_H

#include <stdio.h>

#include "diag.h"
#include "qemu_argv.h"
#include "strbuf.h"

/* Append S quoted for a POSIX shell (bare when it needs no quoting). */
void shell_quote(struct strbuf *sb, const char *s);

/* The command, shell-quoted, one device/backend pair per line, " \" between. */
void launch_print(const struct qemu_cmd *cmd, FILE *out);

/*
 * Replace this process with QEMU: umask 077 first, so the serial socket
 * QEMU creates is the owner's alone (it is a root shell).  Returns only on
 * failure, with the exit status to use.
 */
int launch_exec(const struct qemu_cmd *cmd, struct diag *d);

/*
 * Run QEMU as a child and wait (for debug_exit): its exit status (N << 1) | 1
 * becomes N; a QEMU that failed with a message gives 69; a signal 128 + N.
 * Signals to vmlaunch go on to QEMU.
 */
int launch_run(const struct qemu_cmd *cmd, struct diag *d);

#endif
