/*
 * Throw-away disk overlays for snapshot = yes: an empty qcow2 image whose
 * backing node is given on QEMU's command line, so the base image is opened
 * read-only and never written.
 */
#ifndef VMLAUNCH_OVERLAY_H
#define VMLAUNCH_OVERLAY_H

#include <stdint.h>

/* Write an empty qcow2 (version 2) image of VIRTUAL_SIZE bytes to FD. */
int qcow2_write_empty(int fd, uint64_t virtual_size);

/*
 * Create an overlay for a disk of VIRTUAL_SIZE bytes in directory DIR and
 * unlink it at once: it lives as long as the returned descriptor (and
 * QEMU's copy of it), so nothing is left behind however the VM ends.
 * Returns the descriptor (not close-on-exec, for QEMU to inherit) or -1.
 */
int overlay_create(const char *dir, uint64_t virtual_size);

/*
 * The same, sized for the disk BASE (a file or a block device), or SIZE
 * bytes when not 0 (a qcow2 image: its guest size, not the file's).  Returns
 * the descriptor, or -1 with the reason in WHY (a static string) and errno.
 */
int overlay_create_for(const char *dir, const char *base, uint64_t size, const char **why);

#endif
