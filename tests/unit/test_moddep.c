/* modules.dep, modules.order and .modinfo: parsing, '-'/'_', closure order, errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "moddep.h"
#include "strbuf.h"
#include "unit.h"

static const char dep[] =
	"kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko\n"
	"kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/net/9p/9pnet.ko:\n"
	"kernel/fs/netfs/netfs.ko:\n"
	"\n"
	"kernel/drivers/virtio/virtio_ring.ko:\n"
	"kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio_ring.ko\n";

static const char *order_names(const struct moddep *m, const size_t *order, size_t n, char *buf)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, m->v[order[i]].name);
	}
	return buf;
}

static void test_moddep_closure(void)
{
	struct moddep m = MODDEP_INIT;
	const char *want[] = { "9pnet-virtio", "9p", "virtio_rng" };
	size_t order[16], n;
	char why[256], names[256];

	CHECK(moddep_parse_dep(&m, dep, sizeof(dep) - 1, why, sizeof(why)) == 0);
	CHECK(m.n == 6);
	/* Dependencies first, each once, in the order they are first needed. */
	CHECK(moddep_closure(&m, want, 3, NULL, NULL, order, &n, why, sizeof(why)) == 0);
	CHECK_STR(order_names(&m, order, n, names),
		  "9pnet virtio_ring 9pnet_virtio netfs 9p virtio_rng");
	CHECK(moddep_find(&m, "virtio-rng") && moddep_find(&m, "virtio_rng"));
	CHECK_STR(moddep_find(&m, "virtio_rng")->path, "kernel/drivers/char/hw_random/virtio-rng.ko");
	moddep_free(&m);
}

static void test_moddep_builtin_and_missing(void)
{
	struct moddep m = MODDEP_INIT;
	static const char builtin[] = "kernel/fs/ext4/ext4.ko\nkernel/fs/jbd2/jbd2.ko\n";
	static const char d2[] = "kernel/x/virtio_blk.ko: kernel/x/virtio.ko\n";
	const char *want[] = { "ext4", "virtio_blk" };
	size_t order[4], n;
	char why[256];

	moddep_parse_builtin(&m, builtin, sizeof(builtin) - 1);
	CHECK(moddep_parse_dep(&m, d2, sizeof(d2) - 1, why, sizeof(why)) == 0);
	CHECK(moddep_is_builtin(&m, "ext4") && !moddep_is_builtin(&m, "virtio_blk"));
	/* virtio is neither listed nor built in: named, with who needs it. */
	CHECK(moddep_closure(&m, want, 2, NULL, NULL, order, &n, why, sizeof(why)) < 0);
	CHECK_STR(why, "module virtio (needed by virtio_blk) is neither in the tree nor built "
		  "into the kernel");
	moddep_free(&m);
}

static void test_moddep_bad_lines(void)
{
	struct moddep m = MODDEP_INIT;
	char why[256];

	CHECK(moddep_parse_dep(&m, "a.ko: b.ko\nno colon here\n", 25, why, sizeof(why)) < 0);
	CHECK_STR(why, "line 2: not \"PATH.ko: PATH.ko...\": 'no colon here'");
	CHECK(moddep_parse_dep(&m, "a.ko: b.txt\n", 12, why, sizeof(why)) < 0);
	CHECK(moddep_parse_dep(&m, "a.ko: b.ko\n", 11, why, sizeof(why)) == 0);
	CHECK(moddep_parse_order(&m, "k/c.ko.xz\nnot a path\n", 21, why, sizeof(why)) < 0);
	CHECK(moddep_find(&m, "c") != NULL);
	CHECK(!moddep_find(&m, "c")->deps_known);
	moddep_free(&m);
}

/* A minimal ELF64 relocatable: section 1 .shstrtab, section 2 .modinfo (unit.h). */
size_t unit_fake_module(unsigned char *elf, const char *info, size_t info_len)
{
	static const char names[] = "\0.shstrtab\0.modinfo";
	size_t info_off = 64 + sizeof(names), sh = (info_off + info_len + 7) & ~(size_t)7;
	unsigned char *s;

	memset(elf, 0, sh + 3 * 64);
	memcpy(elf, "\177ELF\2\1\1", 7);
	elf[40] = (unsigned char)sh;
	elf[41] = (unsigned char)(sh >> 8);
	elf[58] = 64;
	elf[60] = 3;
	elf[62] = 1;
	memcpy(elf + 64, names, sizeof(names));
	memcpy(elf + info_off, info, info_len);
	s = elf + sh + 64;
	s[0] = 1;
	s[24] = 64;
	s[32] = sizeof(names);
	s += 64;
	s[0] = 11;
	s[24] = (unsigned char)info_off;
	s[32] = (unsigned char)info_len;
	return sh + 3 * 64;
}

static void test_modinfo(void)
{
	static const char info[] = "license=GPL\0depends=virtio_ring,virtio-pci-modern-dev,virtio\0"
				   "name=virtio_pci\0vermagic=6.1.0-57-amd64 SMP preempt mod_unload";
	unsigned char elf[1024];
	struct strvec deps = STRVEC_INIT;
	size_t len = unit_fake_module(elf, info, sizeof(info));
	char vermagic[80], why[128];

	CHECK(modinfo_read(elf, len, &deps, vermagic, sizeof(vermagic), why, sizeof(why)) == 0);
	CHECK(deps.n == 3);
	CHECK(deps.n == 3 && strcmp(deps.v[1], "virtio_pci_modern_dev") == 0);
	CHECK_STR(vermagic, "6.1.0-57-amd64");
	strvec_clear(&deps);
	/* Truncated: the section headers are past the end. */
	CHECK(modinfo_read(elf, len - 10, &deps, vermagic, sizeof(vermagic), why, sizeof(why)) < 0);
	CHECK_STR(why, "not a kernel module (no ELF .modinfo section)");
	CHECK(modinfo_read((const unsigned char *)"hello", 5, &deps, vermagic, sizeof(vermagic),
			   why, sizeof(why)) < 0);
	CHECK(deps.n == 0);
}

/*
 * The .modinfo section last in the file, its last string without a NUL:
 * in a buffer of exactly the file's size, so ASan sees any read past it.
 */
static void test_modinfo_unterminated(void)
{
	static const char names[] = "\0.shstrtab\0.modinfo", info[] = "vermagic=6.1.0-57-amd64";
	size_t info_len = sizeof(info) - 1, info_off = 64 + 3 * 64 + sizeof(names);
	size_t len = info_off + info_len;
	unsigned char *elf = calloc(1, len), *s;
	struct strvec deps = STRVEC_INIT;
	char vermagic[80], why[128];

	memcpy(elf, "\177ELF\2\1\1", 7);
	elf[40] = 64;
	elf[58] = 64;
	elf[60] = 3;
	elf[62] = 1;
	s = elf + 128;
	s[0] = 1;
	s[25] = 1;      /* offset 256 */
	s[32] = sizeof(names);
	s += 64;
	s[0] = 11;
	s[24] = (unsigned char)info_off;
	s[25] = (unsigned char)(info_off >> 8);
	s[32] = (unsigned char)info_len;
	memcpy(elf + 64 + 3 * 64, names, sizeof(names));
	memcpy(elf + info_off, info, info_len);
	CHECK(modinfo_read(elf, len, &deps, vermagic, sizeof(vermagic), why, sizeof(why)) == 0);
	CHECK_STR(vermagic, "6.1.0-57-amd64");
	strvec_clear(&deps);
	free(elf);
}

/* softdep= and alias= (libcrc32c's "pre: crc32c", crc32c_generic's "crc32c"). */
static void test_modinfo_soft_alias(void)
{
	static const char info[] = "softdep=pre: crc32c post: foo-bar\0alias=crypto-crc32c\0"
				   "alias=crc32c\0depends=";
	unsigned char elf[1024];
	struct strvec deps = STRVEC_INIT, soft = STRVEC_INIT, aliases = STRVEC_INIT;
	size_t len = unit_fake_module(elf, info, sizeof(info));
	char why[128];

	CHECK(modinfo_parse(elf, len, &deps, &soft, &aliases, NULL, 0, why, sizeof(why)) == 0);
	CHECK(deps.n == 0);
	CHECK(soft.n == 2 && strcmp(soft.v[0], "crc32c") == 0 && strcmp(soft.v[1], "foo-bar") == 0);
	CHECK(aliases.n == 2 && strcmp(aliases.v[1], "crc32c") == 0);
	strvec_clear(&soft);
	strvec_clear(&aliases);
}

/* fs-ext3 is ext4's; crc32c names crc32c_generic; an alias of a module not there is no use. */
static void test_moddep_alias(void)
{
	static const char crlf[] = "kernel/fs/ext4/ext4.ko:\r\nkernel/crypto/crc32c_generic.ko:\r\n";
	static const char alias[] = "# Aliases\nalias fs-ext3 ext4\nalias crc32c crc32c_generic\n"
				    "alias fs-xfs xfs\nalias pci:v00001AF4d* virtio_pci\n";
	static const char builtin_info[] = "btrfs.alias=fs-btrfs\0btrfs.file=fs/btrfs";
	static const char soft[] = "# softdeps\nsoftdep ext4 pre: crc32c post: foo\n"
				   "softdep nosuch pre: x\n";
	struct moddep m = MODDEP_INIT;
	char why[128];

	CHECK(moddep_parse_dep(&m, crlf, sizeof(crlf) - 1, why, sizeof(why)) == 0);
	CHECK(m.n == 2 && strcmp(m.v[1].name, "crc32c_generic") == 0);
	moddep_parse_alias(&m, alias, sizeof(alias) - 1);
	moddep_parse_builtin(&m, "kernel/fs/btrfs/btrfs.ko\n", 25);
	moddep_parse_builtin_modinfo(&m, builtin_info, sizeof(builtin_info) - 1);
	CHECK_STR(moddep_resolve(&m, "ext4"), "ext4");
	CHECK_STR(moddep_resolve(&m, "fs-ext3"), "ext4");
	CHECK_STR(moddep_resolve(&m, "crc32c"), "crc32c_generic");
	CHECK_STR(moddep_resolve(&m, "fs-btrfs"), "btrfs");
	CHECK(moddep_resolve(&m, "fs-xfs") == NULL);
	CHECK(moddep_resolve(&m, "pci:v00001AF4d00001001") == NULL);
	moddep_parse_softdep(&m, soft, sizeof(soft) - 1);
	CHECK(m.v[0].soft.n == 2 && strcmp(m.v[0].soft.v[0], "crc32c") == 0 &&
	      strcmp(m.v[0].soft.v[1], "foo") == 0);
	moddep_free(&m);
}

/* A module listed twice: the first line's path and deps, as modprobe keeps. */
static void test_moddep_twice(void)
{
	static const char twice[] = "k/a/x.ko: k/a/y.ko\nk/b/x.ko: k/a/z.ko\n";
	struct moddep m = MODDEP_INIT;
	char why[128];

	CHECK(moddep_parse_dep(&m, twice, sizeof(twice) - 1, why, sizeof(why)) == 0);
	CHECK(m.n == 1 && strcmp(m.v[0].path, "k/a/x.ko") == 0);
	CHECK(m.v[0].deps.n == 1 && strcmp(m.v[0].deps.v[0], "y") == 0);
	moddep_free(&m);
}

/* A distribution's size of index (30,000 modules; was quadratic: 3 s), each needing the one before. */
static void test_moddep_big(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct moddep m = MODDEP_INIT;
	const char *want[] = { "m-29999", "m_15000" };
	size_t i, n, *order = calloc(30001, sizeof(*order));
	char why[128];
	clock_t t0 = clock();

	for (i = 0; i < 30000; i++) {
		sb_addf(&sb, "kernel/d%zu/m-%zu.ko:", i % 97, i);
		if (i % 50)     /* chains of 50: the closure refuses more than 64 deep */
			sb_addf(&sb, " kernel/d%zu/m-%zu.ko", (i - 1) % 97, i - 1);
		sb_adds(&sb, "\n");
	}
	CHECK(moddep_parse_dep(&m, sb.buf, sb.len, why, sizeof(why)) == 0);
	CHECK(m.n == 30000);
	CHECK(moddep_find(&m, "m_12345") == &m.v[12345]);
	CHECK(moddep_find(&m, "m-0") == &m.v[0] && moddep_find(&m, "m_30000") == NULL);
	CHECK(moddep_closure(&m, want, 2, NULL, NULL, order, &n, why, sizeof(why)) == 0);
	/* 29950..29999, then 15000 (a chain starts there). */
	CHECK(n == 51 && order[0] == 29950 && order[49] == 29999 && order[50] == 15000);
	if (getenv("VMLAUNCH_BENCH"))
		fprintf(stderr, "moddep: 30000 modules in %.3f s\n",
			(double)(clock() - t0) / CLOCKS_PER_SEC);
	moddep_free(&m);
	sb_release(&sb);
	free(order);
}

/* A loader fills deps of a tree without modules.dep, once per module. */
static int calls;

static int loader(void *ctx, struct mod *mod, char *why, size_t whylen)
{
	(void)ctx;
	(void)why;
	(void)whylen;
	calls++;
	if (strcmp(mod->name, "virtio_blk") == 0)
		strvec_push(&mod->deps, "virtio");
	return 0;
}

static void test_moddep_order_loader(void)
{
	static const char order_file[] = "kernel/a/virtio.ko\nkernel/a/virtio_blk.ko\n";
	struct moddep m = MODDEP_INIT;
	const char *want[] = { "virtio_blk", "virtio" };
	size_t order[4], n;
	char why[128], names[64];

	CHECK(moddep_parse_order(&m, order_file, sizeof(order_file) - 1, why, sizeof(why)) == 0);
	CHECK(moddep_closure(&m, want, 2, NULL, NULL, order, &n, why, sizeof(why)) < 0);
	CHECK(moddep_closure(&m, want, 2, loader, NULL, order, &n, why, sizeof(why)) == 0);
	CHECK_STR(order_names(&m, order, n, names), "virtio virtio_blk");
	CHECK(calls == 2);
	moddep_free(&m);
}

const struct unit_case moddep_cases[] = {
	{ "moddep_closure", test_moddep_closure },
	{ "moddep_builtin_and_missing", test_moddep_builtin_and_missing },
	{ "moddep_bad_lines", test_moddep_bad_lines },
	{ "modinfo", test_modinfo },
	{ "modinfo_unterminated", test_modinfo_unterminated },
	{ "modinfo_soft_alias", test_modinfo_soft_alias },
	{ "moddep_alias", test_moddep_alias },
	{ "moddep_twice", test_moddep_twice },
	{ "moddep_big", test_moddep_big },
	{ "moddep_order_loader", test_moddep_order_loader },
	{ NULL, NULL },
};
