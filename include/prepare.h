/* What run and start add to a plan before QEMU starts. */
#ifndef VMLAUNCH_PREPARE_H
#define VMLAUNCH_PREPARE_H

#include "diag.h"
#include "plan.h"

/*
 * snapshot = yes: an overlay in TMPDIR for every disk that has one, which
 * exists only as an open descriptor QEMU inherits (/proc/self/fd/N).
 * Returns 0, or -1 after reporting (status 71).
 */
int prepare_overlays(struct vm_plan *plan, struct diag *d);

/*
 * The boot log beside a serial socket, opened by vmlaunch (never through a
 * symlink, never another user's file) and handed to QEMU as /proc/self/fd/N.
 * Returns 0, or -1 after reporting (status 66).
 */
int prepare_boot_log(struct vm_plan *plan, struct diag *d);

#endif
