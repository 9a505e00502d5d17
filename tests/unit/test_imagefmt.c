/* Kernel and disk identification on synthetic headers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "imagefmt.h"
#include "unit.h"

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }
static void put64(unsigned char *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static unsigned char buf[16384];
static char why[256];
static struct kernel_info info;

static int identify(size_t len)
{
	why[0] = '\0';
	return kernel_identify(buf, len, &info, why, sizeof(why));
}

static void test_bzimage(void)
{
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 0x202, "HdrS", 4);
	put16(buf + 0x206, 0x20f);
	put16(buf + 0x20e, 0x100);            /* version string at 0x300 */
	strcpy((char *)buf + 0x300, "6.1.0-test (builder@host) #1");
	CHECK(identify(4096) == 0);
	CHECK(info.kind == KERNEL_BZIMAGE);
	CHECK(info.protocol == 0x20f);
	CHECK_STR(info.version, "6.1.0-test (builder@host) #1");
	put16(buf + 0x206, 0x104);
	CHECK(identify(4096) == -1);
	CHECK_STR(why, "Linux boot protocol 1.04 is too old (QEMU needs 2.00 or later)");
}

/* A minimal ELF with one PT_NOTE segment holding NOTE_TYPE from NAME. */
static size_t make_elf(int is64, uint16_t machine, const char *name, uint32_t note_type)
{
	size_t ph = is64 ? 64 : 52, note = 256, phsize = is64 ? 56 : 32;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "\177ELF", 4);
	buf[4] = is64 ? 2 : 1;
	buf[5] = 1;
	put16(buf + 18, machine);
	if (is64) {
		put64(buf + 32, ph);
		put16(buf + 54, (unsigned)phsize);
		put16(buf + 56, 1);
		put32(buf + ph, 4);
		put64(buf + ph + 8, note);
		put64(buf + ph + 32, 20);
	} else {
		put32(buf + 28, (uint32_t)ph);
		put16(buf + 42, (unsigned)phsize);
		put16(buf + 44, 1);
		put32(buf + ph, 4);
		put32(buf + ph + 4, (uint32_t)note);
		put32(buf + ph + 16, 20);
	}
	put32(buf + note, 4);
	put32(buf + note + 4, 4);
	put32(buf + note + 8, note_type);
	memcpy(buf + note + 12, name, 4);
	return 1024;
}

static void test_pvh_elf(void)
{
	size_t len = make_elf(1, 62, "Xen", 18);

	CHECK(identify(len) == 0);
	CHECK(info.kind == KERNEL_PVH_ELF);
	CHECK(info.elf_class == 64);
	len = make_elf(1, 62, "Xen", 17);
	CHECK(identify(len) == -1);
	CHECK(strstr(why, "no PVH entry note") != NULL);
	len = make_elf(1, 62, "GNU", 18);
	CHECK(identify(len) == -1);
	/* A note that claims more bytes than the file has must not be read. */
	make_elf(1, 62, "Xen", 18);
	put64(buf + 64 + 32, 1u << 30);
	CHECK(identify(1024) == -1);
	/* A truncated ELF. */
	make_elf(1, 62, "Xen", 18);
	CHECK(identify(100) == -1);
}

/*
 * A sparse 400 MB "vmlinux": buf's first 1024 bytes at 0, NOTE_AT's 32
 * bytes from buf + 256 at 300 MB, zeros elsewhere; the file ends at
 * SHRUNK_TO (a rebuild in place), and reading at FAIL_AT fails with EIO.
 */
#define BIG_SIZE (400ull << 20)
#define NOTE_AT (300ull << 20)
static uint64_t read_bytes, shrunk_to, fail_at;

static long sparse_read(void *ctx, void *out, size_t len, uint64_t off)
{
	unsigned char *o = out;
	size_t i;

	(void)ctx;
	if (off >= fail_at) {
		errno = EIO;
		return -1;
	}
	if (off >= shrunk_to)
		return 0;
	if (len > shrunk_to - off)
		len = (size_t)(shrunk_to - off);
	for (i = 0; i < len; i++) {
		uint64_t at = off + i;

		o[i] = at < 1024 ? buf[at] : at - NOTE_AT < 32 ? buf[256 + (at - NOTE_AT)] : 0;
	}
	read_bytes += len;
	return (long)len;
}

static int identify_sparse(void)
{
	struct kernel_reader r = { sparse_read, NULL, BIG_SIZE };

	read_bytes = 0;
	return kernel_identify_read(&r, &info, why, sizeof(why));
}

static void test_big_elf_read_in_pieces(void)
{
	make_elf(1, 62, "Xen", 18);
	put64(buf + 64 + 8, NOTE_AT);
	shrunk_to = fail_at = UINT64_MAX;
	CHECK(identify_sparse() == 0);
	CHECK(info.kind == KERNEL_PVH_ELF);
	CHECK(read_bytes < 2 * KERNEL_HEAD_MAX);
	/* Shrunk under the check: the note is gone, and nothing is read past the end. */
	shrunk_to = 200 << 20;
	CHECK(identify_sparse() == -1);
	CHECK(strstr(why, "no PVH entry note") != NULL);
	shrunk_to = 100;
	CHECK(identify_sparse() == -1);
	shrunk_to = 0;
	CHECK(identify_sparse() == -1);
	CHECK_STR(why, "kernel file is empty");
	/* A read error is reported as one, with its errno. */
	shrunk_to = UINT64_MAX;
	fail_at = NOTE_AT;
	errno = 0;
	CHECK(identify_sparse() == KERNEL_READ_FAILED);
	CHECK(errno == EIO);
	fail_at = 0;
	CHECK(identify_sparse() == KERNEL_READ_FAILED);
}

static void put_multiboot(size_t at, uint32_t flags)
{
	put32(buf + at, 0x1badb002);
	put32(buf + at + 4, flags);
	put32(buf + at + 8, (uint32_t)-(0x1badb002u + flags));
}

static void test_multiboot(void)
{
	make_elf(0, 3, "none", 0);
	put_multiboot(512, 0);
	CHECK(identify(4096) == 0);
	CHECK(info.kind == KERNEL_MULTIBOOT);
	make_elf(1, 62, "none", 0);
	put_multiboot(512, 0);
	CHECK(identify(4096) == -1);
	CHECK(strstr(why, "64-bit ELF") != NULL);
	/* The a.out kludge: header at 0x1000 loaded at 0x100000 + 0x1000. */
	memset(buf, 0, sizeof(buf));
	put_multiboot(0x1000, 0x10000);
	put32(buf + 0x100c, 0x101000);
	put32(buf + 0x1010, 0x100000);
	CHECK(identify(8192) == 0);
	put32(buf + 0x1010, 0x102000);
	CHECK(identify(8192) == -1);
	/* A bad checksum is no multiboot header at all. */
	memset(buf, 0, sizeof(buf));
	put32(buf + 64, 0x1badb002);
	CHECK(identify(4096) == -1);
	CHECK(strstr(why, "not a kernel QEMU can boot") != NULL);
}

static void test_not_kernels(void)
{
	memset(buf, 0, sizeof(buf));
	CHECK(identify(0) == -1);
	CHECK_STR(why, "kernel file is empty");
	buf[0] = 0x1f;
	buf[1] = 0x8b;
	CHECK(identify(100) == -1);
	CHECK(strstr(why, "gzip") != NULL);
	memset(buf, 0, sizeof(buf));
	put32(buf + 16, 0xe85250d6);
	CHECK(identify(4096) == -1);
	CHECK(strstr(why, "multiboot2") != NULL);
	memset(buf, 0, sizeof(buf));
	put16(buf + 1024 + 0x38, 0xef53);
	CHECK(identify(4096) == -1);
	CHECK(strstr(why, "is this the rootfs?") != NULL);
}

static void test_disks(void)
{
	memset(buf, 0, sizeof(buf));
	CHECK(disk_identify(buf, 4096) == DISK_EMPTY);
	CHECK(disk_identify(buf, 0) == DISK_EMPTY);
	put16(buf + 1024 + 0x38, 0xef53);
	CHECK(disk_identify(buf, 4096) == DISK_EXT2);
	put32(buf + 1024 + 0x5c, 4);
	CHECK(disk_identify(buf, 4096) == DISK_EXT3);
	put32(buf + 1024 + 0x60, 0x40);
	CHECK(disk_identify(buf, 4096) == DISK_EXT4);
	CHECK(disk_identify(buf, 1050) != DISK_EXT4);   /* superblock cut off */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "QFI\xfb", 4);
	CHECK(disk_identify(buf, 4096) == DISK_QCOW2);
	memset(buf, 0, sizeof(buf));
	buf[510] = 0x55;
	buf[511] = 0xaa;
	buf[446 + 4] = 0x83;
	CHECK(disk_identify(buf, 4096) == DISK_PARTITIONED);
	memset(buf, 0, sizeof(buf));
	buf[100] = 1;
	CHECK(disk_identify(buf, 4096) == DISK_UNKNOWN);
}

const struct unit_case imagefmt_cases[] = {
	{ "imagefmt/bzimage", test_bzimage },
	{ "imagefmt/pvh-elf", test_pvh_elf },
	{ "imagefmt/big-elf-read-in-pieces", test_big_elf_read_in_pieces },
	{ "imagefmt/multiboot", test_multiboot },
	{ "imagefmt/not-kernels", test_not_kernels },
	{ "imagefmt/disks", test_disks },
	{ NULL, NULL },
};
