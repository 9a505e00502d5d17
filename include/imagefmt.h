/*
 * What is this file?  Pure functions over a file's bytes: the kernel header
 * as QEMU's x86 loader reads it, and the disk image's format.  No I/O, so
 * the fuzzer can feed them anything.
 */
#ifndef VMLAUNCH_IMAGEFMT_H
#define VMLAUNCH_IMAGEFMT_H

#include <stddef.h>
#include <stdint.h>

enum kernel_kind { KERNEL_BZIMAGE, KERNEL_PVH_ELF, KERNEL_MULTIBOOT };

struct kernel_info {
	enum kernel_kind kind;
	unsigned protocol;      /* bzImage: boot protocol version, e.g. 0x20f */
	int elf_class;          /* 32 or 64 for ELF kernels */
	char version[80];       /* bzImage: the kernel's version string, if any */
};

/*
 * Identify a kernel the way QEMU's -kernel loader will (bzImage header
 * first, then multiboot, then PVH ELF).  Returns 0, or -1 with the reason
 * QEMU could not boot it in WHY.
 */
int kernel_identify(const unsigned char *buf, size_t len, struct kernel_info *info,
		    char *why, size_t whylen);
const char *kernel_kind_name(enum kernel_kind kind);

enum disk_kind {
	DISK_EMPTY,
	DISK_EXT2,
	DISK_EXT3,
	DISK_EXT4,
	DISK_QCOW2,
	DISK_PARTITIONED,
	DISK_ISO9660,
	DISK_SQUASHFS,
	DISK_UNKNOWN,
};

enum disk_kind disk_identify(const unsigned char *buf, size_t len);
const char *disk_kind_name(enum disk_kind kind);

/* A hint about what a file that is not a kernel looks like, or NULL. */
const char *magic_hint(const unsigned char *buf, size_t len);

#endif
