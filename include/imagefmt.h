/*
 * What is this file?  Pure functions over a file's bytes: the kernel header
 * as QEMU's x86 loader reads it, and the disk image's format.  No I/O of
 * their own (a kernel is read through the caller's reader), so the fuzzer
 * can feed them anything.
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
 * A kernel file, read piece by piece: a vmlinux with DWARF can be hundreds
 * of MB, and the identifier needs only its first KERNEL_HEAD_MAX bytes plus
 * the ELF program headers and notes, wherever they are.  READ copies up to
 * LEN bytes at OFF into BUF and returns how many (fewer at the end of the
 * file, which may have shrunk since SIZE was taken: a kernel rebuilt in
 * place), or -1 with errno set.
 */
struct kernel_reader {
	long (*read)(void *ctx, void *buf, size_t len, uint64_t off);
	void *ctx;
	uint64_t size;
};

/* bzImage's version string can start up to 64 KiB + 0x200 in. */
#define KERNEL_HEAD_MAX (0x200 + 0x10000 + 80)
/* Larger PT_NOTE segments are looked at only this far. */
#define KERNEL_NOTES_MAX (1u << 20)

#define KERNEL_READ_FAILED (-2)

/*
 * Identify a kernel the way QEMU's -kernel loader will (bzImage header
 * first, then multiboot, then PVH ELF).  Returns 0, -1 with the reason QEMU
 * could not boot it in WHY, or KERNEL_READ_FAILED with errno from the reader.
 */
int kernel_identify_read(const struct kernel_reader *r, struct kernel_info *info,
			 char *why, size_t whylen);
/* The same for a kernel's bytes in memory. */
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

/* What a qcow2 header says (version 2 or 3). */
struct qcow2_info {
	unsigned version;
	uint64_t size;              /* the guest's disk size in bytes */
	uint64_t backing_offset;    /* where its backing file's name is; 0: none */
	uint32_t backing_len;       /* that name's length (at most 1023) */
	char backing_format[16];    /* from the header extension, or "" */
};

/*
 * Read a qcow2 header from the first LEN bytes of an image.  Returns 0, or
 * -1 with the reason in WHY (not qcow2, an unknown version, a backing name
 * too long).
 */
int qcow2_parse(const unsigned char *buf, size_t len, struct qcow2_info *info,
		char *why, size_t whylen);

/* A hint about what a file that is not a kernel looks like, or NULL. */
const char *magic_hint(const unsigned char *buf, size_t len);

#endif
