#include "imagefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- Linux boot protocol (Documentation/x86/boot.rst) ---- */

static int bzimage_identify(const unsigned char *buf, size_t len, struct kernel_info *info,
			    char *why, size_t whylen)
{
	size_t off;

	info->kind = KERNEL_BZIMAGE;
	info->protocol = le16(buf + 0x206);
	if (info->protocol < 0x200) {
		snprintf(why, whylen, "Linux boot protocol %u.%02u is too old (QEMU needs 2.00 or later)",
			 info->protocol >> 8, info->protocol & 0xff);
		return -1;
	}
	off = (size_t)le16(buf + 0x20e) + 0x200;  /* kernel_version pointer */
	if (le16(buf + 0x20e) && off < len) {
		size_t i;

		for (i = 0; i + 1 < sizeof(info->version) && off + i < len; i++) {
			unsigned char c = buf[off + i];

			if (c < 0x20 || c > 0x7e)
				break;
			info->version[i] = (char)c;
		}
		info->version[i] = '\0';
	}
	return 0;
}

/* ---- multiboot 1, as hw/i386/multiboot.c loads it ---- */

#define MULTIBOOT_MAGIC 0x1badb002u
#define MULTIBOOT2_MAGIC 0xe85250d6u
#define MULTIBOOT_AOUT_KLUDGE 0x00010000u
#define EM_X86_64 62

static long multiboot_header(const unsigned char *buf, size_t len)
{
	size_t i, end = len < 8192 ? len : 8192;

	for (i = 0; i + 48 <= end && i < 8192 - 48; i += 4)
		if (le32(buf + i) == MULTIBOOT_MAGIC &&
		    (uint32_t)(le32(buf + i) + le32(buf + i + 4) + le32(buf + i + 8)) == 0)
			return (long)i;
	return -1;
}

static int is_elf(const unsigned char *buf, size_t len)
{
	return len >= 64 && memcmp(buf, "\177ELF", 4) == 0;
}

static int multiboot_identify(const unsigned char *buf, size_t len, size_t at,
			      struct kernel_info *info, char *why, size_t whylen)
{
	uint32_t flags = le32(buf + at + 4);

	info->kind = KERNEL_MULTIBOOT;
	if (flags & MULTIBOOT_AOUT_KLUDGE) {
		uint32_t header_addr = le32(buf + at + 12), load_addr = le32(buf + at + 16);

		if (load_addr > header_addr || header_addr - load_addr > at) {
			snprintf(why, whylen, "multiboot header has inconsistent load addresses "
				 "(header_addr 0x%x, load_addr 0x%x)", header_addr, load_addr);
			return -1;
		}
		return 0;
	}
	if (!is_elf(buf, len)) {
		snprintf(why, whylen, "multiboot kernel is neither ELF nor marked with the "
			 "a.out kludge (flag bit 16), so QEMU cannot load it");
		return -1;
	}
	if (le16(buf + 18) == EM_X86_64 || buf[4] != 1) {
		snprintf(why, whylen, "multiboot kernel is a 64-bit ELF; QEMU loads only 32-bit "
			 "multiboot ELF images (or the a.out kludge form)");
		return -1;
	}
	info->elf_class = 32;
	return 0;
}

/* ---- ELF with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) ---- */

#define PT_NOTE 4
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static int notes_have_pvh(const unsigned char *p, size_t n)
{
	size_t off = 0;

	while (n - off >= 12) {
		uint32_t namesz = le32(p + off), descsz = le32(p + off + 4);
		uint32_t type = le32(p + off + 8);
		size_t name_pad = ((size_t)namesz + 3) & ~(size_t)3;
		size_t desc_pad = ((size_t)descsz + 3) & ~(size_t)3;

		off += 12;
		if (name_pad > n - off)
			return 0;
		if (namesz == 4 && memcmp(p + off, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY)
			return 1;
		off += name_pad;
		if (desc_pad > n - off)
			return 0;
		off += desc_pad;
	}
	return 0;
}

/*
 * Read LEN bytes at OFF: 1, 0 when the file ends first (it may have shrunk
 * since its size was taken), or KERNEL_READ_FAILED.
 */
static int read_at(const struct kernel_reader *r, unsigned char *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		long n = r->read(r->ctx, buf + got, len - got, off + got);

		if (n < 0)
			return KERNEL_READ_FAILED;
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/* Program headers looked at: a crafted file must not cost 65535 reads. */
#define PHDRS_MAX (256u * 1024)

/* Does the PT_NOTE segment at OFF, SIZE bytes, hold the PVH entry note? */
static int note_segment_has_pvh(const struct kernel_reader *r, uint64_t off, uint64_t size)
{
	unsigned char *notes;
	int got, found = 0;

	if (off > r->size || size > r->size - off)
		return 0;
	if (size > KERNEL_NOTES_MAX)
		size = KERNEL_NOTES_MAX;
	notes = xmalloc(size ? (size_t)size : 1);
	got = read_at(r, notes, (size_t)size, off);
	if (got == 1)
		found = notes_have_pvh(notes, (size_t)size);
	free(notes);
	return got < 0 ? got : found;
}

/* 1 if a PT_NOTE segment has the PVH entry, 0 if not, or KERNEL_READ_FAILED. */
static int elf_has_pvh_note(const struct kernel_reader *r, const unsigned char *ehdr, int is64)
{
	uint64_t phoff = is64 ? le64(ehdr + 32) : le32(ehdr + 28);
	unsigned phentsize = le16(ehdr + (is64 ? 54 : 42));
	unsigned phnum = le16(ehdr + (is64 ? 56 : 44));
	unsigned char *ph;
	unsigned i;
	int got, found = 0;

	if (phentsize < (is64 ? 56u : 32u) || phoff > r->size)
		return 0;
	if ((uint64_t)phnum * phentsize > r->size - phoff)
		phnum = (unsigned)((r->size - phoff) / phentsize);
	if ((uint64_t)phnum * phentsize > PHDRS_MAX)
		phnum = PHDRS_MAX / phentsize;
	if (phnum == 0)
		return 0;
	ph = xmalloc((size_t)phnum * phentsize);
	got = read_at(r, ph, (size_t)phnum * phentsize, phoff);
	for (i = 0; got == 1 && !found && i < phnum; i++) {
		const unsigned char *p = ph + (size_t)i * phentsize;

		if (le32(p) != PT_NOTE)
			continue;
		found = note_segment_has_pvh(r, is64 ? le64(p + 8) : le32(p + 4),
					     is64 ? le64(p + 32) : le32(p + 16));
		if (found < 0)
			got = found;
	}
	free(ph);
	return got < 0 ? got : found > 0;
}

static int elf_identify(const struct kernel_reader *r, const unsigned char *buf,
			struct kernel_info *info, char *why, size_t whylen)
{
	int is64 = buf[4] == 2, pvh;

	info->kind = KERNEL_PVH_ELF;
	info->elf_class = is64 ? 64 : 32;
	if ((buf[4] != 1 && buf[4] != 2) || buf[5] != 1) {
		snprintf(why, whylen, "ELF file is not a little-endian 32- or 64-bit ELF");
		return -1;
	}
	pvh = elf_has_pvh_note(r, buf, is64);
	if (pvh < 0)
		return pvh;
	if (!pvh) {
		snprintf(why, whylen, "ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), "
			 "so QEMU cannot boot it directly: build it with CONFIG_PVH=y, or use "
			 "the bzImage");
		return -1;
	}
	return 0;
}

const char *magic_hint(const unsigned char *buf, size_t len)
{
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return "gzip data: decompress it, or use the bzImage";
	if (len >= 6 && memcmp(buf, "\3757zXZ", 6) == 0)
		return "xz data: decompress it, or use the bzImage";
	if (len >= 4 && memcmp(buf, "\x28\xb5\x2f\xfd", 4) == 0)
		return "zstd data: decompress it, or use the bzImage";
	if (len >= 6 && (memcmp(buf, "070701", 6) == 0 || memcmp(buf, "070702", 6) == 0))
		return "a cpio archive: is this the initrd?";
	if (disk_identify(buf, len) <= DISK_EXT4 && len > 0 && disk_identify(buf, len) != DISK_EMPTY)
		return "an ext2/3/4 file system: is this the rootfs?";
	if (len >= 4 && memcmp(buf, "QFI\xfb", 4) == 0)
		return "a qcow2 disk image: is this the rootfs?";
	if (len >= 2 && buf[0] == '#' && buf[1] == '!')
		return "a script";
	return NULL;
}

/* BUF holds the file's first LEN bytes (all of it when shorter than KERNEL_HEAD_MAX). */
static int identify_head(const struct kernel_reader *r, const unsigned char *buf, size_t len,
			 struct kernel_info *info, char *why, size_t whylen)
{
	const char *hint;
	long mb;

	if (len == 0) {
		snprintf(why, whylen, "kernel file is empty");
		return -1;
	}
	if (len >= 0x250 && memcmp(buf + 0x202, "HdrS", 4) == 0)
		return bzimage_identify(buf, len, info, why, whylen);
	mb = multiboot_header(buf, len);
	if (mb >= 0)
		return multiboot_identify(buf, len, (size_t)mb, info, why, whylen);
	if (is_elf(buf, len))
		return elf_identify(r, buf, info, why, whylen);
	if (len >= 16 && le32(buf) != MULTIBOOT2_MAGIC) {
		size_t i;

		for (i = 0; i + 4 <= len && i < 32768; i += 8)
			if (le32(buf + i) == MULTIBOOT2_MAGIC) {
				snprintf(why, whylen, "multiboot2 kernel: QEMU's -kernel loads only "
					 "multiboot (version 1), PVH ELF and bzImage kernels");
				return -1;
			}
	}
	hint = magic_hint(buf, len);
	snprintf(why, whylen, "not a kernel QEMU can boot: no bzImage header, multiboot "
		 "header or ELF%s%s%s", hint ? " (this looks like " : "", hint ? hint : "",
		 hint ? ")" : "");
	return -1;
}

int kernel_identify_read(const struct kernel_reader *r, struct kernel_info *info,
			 char *why, size_t whylen)
{
	unsigned char *head = xmalloc(KERNEL_HEAD_MAX);
	size_t len = 0;
	int ret;

	memset(info, 0, sizeof(*info));
	while (len < KERNEL_HEAD_MAX) {
		long n = r->read(r->ctx, head + len, KERNEL_HEAD_MAX - len, len);

		if (n < 0) {
			free(head);
			return KERNEL_READ_FAILED;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = identify_head(r, head, len, info, why, whylen);
	free(head);
	return ret;
}

struct memory_file {
	const unsigned char *buf;
	size_t len;
};

static long memory_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct memory_file *m = ctx;

	if (off >= m->len)
		return 0;
	if (len > m->len - off)
		len = m->len - (size_t)off;
	memcpy(buf, m->buf + off, len);
	return (long)len;
}

int kernel_identify(const unsigned char *buf, size_t len, struct kernel_info *info,
		    char *why, size_t whylen)
{
	struct memory_file m = { buf, len };
	struct kernel_reader r = { memory_read, &m, len };

	return kernel_identify_read(&r, info, why, whylen);
}

const char *kernel_kind_name(enum kernel_kind kind)
{
	switch (kind) {
	case KERNEL_BZIMAGE:   return "Linux bzImage";
	case KERNEL_PVH_ELF:   return "PVH ELF";
	case KERNEL_MULTIBOOT: return "multiboot";
	}
	return "unknown";
}

/* ---- disks ---- */

#define EXT_MAGIC 0xef53
#define EXT3_FEATURE_COMPAT_HAS_JOURNAL 0x4
#define EXT4_INCOMPAT_MASK (0x40 | 0x80 | 0x200)  /* extents, 64bit, flex_bg */

enum disk_kind disk_identify(const unsigned char *buf, size_t len)
{
	size_t i;

	if (len >= 1024 + 0x64 && le16(buf + 1024 + 0x38) == EXT_MAGIC) {
		if (le32(buf + 1024 + 0x60) & EXT4_INCOMPAT_MASK)
			return DISK_EXT4;
		if (le32(buf + 1024 + 0x5c) & EXT3_FEATURE_COMPAT_HAS_JOURNAL)
			return DISK_EXT3;
		return DISK_EXT2;
	}
	if (len >= 4 && memcmp(buf, "QFI\xfb", 4) == 0)
		return DISK_QCOW2;
	if (len >= 1024 && memcmp(buf + 512, "EFI PART", 8) == 0)
		return DISK_PARTITIONED;
	if (len >= 512 && buf[510] == 0x55 && buf[511] == 0xaa && buf[446 + 4] != 0)
		return DISK_PARTITIONED;  /* an MBR with a first partition entry */
	if (len >= 0x8006 && memcmp(buf + 0x8001, "CD001", 5) == 0)
		return DISK_ISO9660;
	if (len >= 4 && memcmp(buf, "hsqs", 4) == 0)
		return DISK_SQUASHFS;
	for (i = 0; i < len && i < 4096; i++)
		if (buf[i])
			return DISK_UNKNOWN;
	return DISK_EMPTY;
}

const char *disk_kind_name(enum disk_kind kind)
{
	switch (kind) {
	case DISK_EMPTY:       return "empty (all zero)";
	case DISK_EXT2:        return "ext2";
	case DISK_EXT3:        return "ext3";
	case DISK_EXT4:        return "ext4";
	case DISK_QCOW2:       return "qcow2";
	case DISK_PARTITIONED: return "partitioned disk";
	case DISK_ISO9660:     return "ISO 9660";
	case DISK_SQUASHFS:    return "squashfs";
	case DISK_UNKNOWN:     return "unknown";
	}
	return "unknown";
}

/* ---- qcow2 ---- */

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const unsigned char *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau

/* The header extensions from OFF on: the backing file's format, if named. */
static void qcow2_extensions(const unsigned char *buf, size_t len, size_t off,
			     struct qcow2_info *info)
{
	while (off + 8 <= len) {
		uint32_t type = get_be32(buf + off), n = get_be32(buf + off + 4);

		if (type == 0 || n > len - off - 8)
			return;
		if (type == QCOW2_EXT_BACKING_FORMAT && n < sizeof(info->backing_format)) {
			memcpy(info->backing_format, buf + off + 8, n);
			info->backing_format[n] = '\0';
		}
		off += 8 + (((size_t)n + 7) & ~(size_t)7);
	}
}

int qcow2_parse(const unsigned char *buf, size_t len, struct qcow2_info *info,
		char *why, size_t whylen)
{
	size_t header_len = 72;

	memset(info, 0, sizeof(*info));
	if (len < 72 || memcmp(buf, "QFI\xfb", 4) != 0) {
		snprintf(why, whylen, "not a qcow2 image");
		return -1;
	}
	info->version = get_be32(buf + 4);
	if (info->version != 2 && info->version != 3) {
		snprintf(why, whylen, "qcow2 version %u, not 2 or 3", info->version);
		return -1;
	}
	info->backing_offset = get_be64(buf + 8);
	info->backing_len = get_be32(buf + 16);
	info->size = get_be64(buf + 24);
	if (info->backing_offset && (info->backing_len == 0 || info->backing_len > 1023)) {
		snprintf(why, whylen, "its backing file name is %u bytes (1 to 1023)",
			 info->backing_len);
		return -1;
	}
	if (info->version == 3) {
		if (len < 104) {
			snprintf(why, whylen, "a truncated qcow2 version 3 header");
			return -1;
		}
		header_len = get_be32(buf + 100);
	}
	qcow2_extensions(buf, len, header_len, info);
	return 0;
}
