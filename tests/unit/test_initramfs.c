/*
 * modules = DIR: which modules a VM needs, which tree is the kernel's, and
 * the archive in the cache: built once, named by content, refused with a
 * reason (compressed, for another kernel, missing).
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "initramfs.h"
#include "cmdline.h"     /* src/guest/ */
#include "plan.h"
#include "unit.h"

struct vm {
	struct vm_config cfg;
	struct vm_plan plan;
	struct diag d;
	FILE *f;
	char *out;
	size_t outlen;
};

static void load(struct vm *v, const char *text)
{
	v->out = NULL;
	v->f = open_memstream(&v->out, &v->outlen);
	diag_init(&v->d, v->f);
	v->d.verbose = 1;
	config_init(&v->cfg, "vm.conf", "/vm");
	CHECK(config_parse_buffer(&v->cfg, text, strlen(text), &v->d) == 0);
	CHECK(config_finish(&v->cfg, &v->d) == 0);
	plan_init(&v->plan, &v->cfg);
}

static void done(struct vm *v)
{
	plan_free(&v->plan);
	config_free(&v->cfg);
	fclose(v->f);
	free(v->out);
}

static const char *needs_text(const struct vm_plan *p, const char *fstype, char *buf)
{
	struct initramfs_need needs[16];
	size_t i, n = initramfs_needs(p, fstype, needs);

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, needs[i].name);
	}
	return buf;
}

static void test_initramfs_needs(void)
{
	struct vm v;
	char buf[256];

	load(&v, "kernel = k\nrootfs = r.img\n");
	CHECK_STR(needs_text(&v.plan, NULL, buf), "virtio_pci virtio_blk ext4 crc32c_generic");
	done(&v);
	load(&v, "kernel = k\nrootfs = r.img\nnet = virtio\nshare = /tmp\nmachine = microvm\n");
	/* xfs's crc32c comes from libcrc32c's softdep, once the modules are read. */
	CHECK_STR(needs_text(&v.plan, "xfs", buf), "virtio_mmio virtio_blk virtio_net 9pnet_virtio 9p xfs");
	CHECK_STR(needs_text(&v.plan, "ext4,ext3", buf),
		  "virtio_mmio virtio_blk virtio_net 9pnet_virtio 9p ext4 ext3");
	done(&v);
	load(&v, "kernel = k\nappend = root=/dev/sda\nnet = e1000\n");
	CHECK_STR(needs_text(&v.plan, NULL, buf), "virtio_pci e1000 ext4 crc32c_generic");
	done(&v);
}

/* vmlaunch-init's reading of /proc/cmdline (src/guest/cmdline.c, compiled into the init). */
static void test_init_cmdline(void)
{
	static struct boot b;
	char why[300], params[256];

	CHECK(boot_parse(&b, "console=ttyS0 root=/dev/vda1 rw\n", why, sizeof(why)) == 0);
	CHECK_STR(b.root, "/dev/vda1");
	CHECK_STR(b.init, "/sbin/init");
	CHECK(b.rw == 1 && !b.rootwait && b.nparams == 0);
	CHECK(boot_parse(&b, "root=/dev/vda rw ro init=/bin/sh rootfstype=ext4,ext3 "
			 "rootflags=data=journal,noatime rootwait rootdelay=3 -- rw init=/x",
			 why, sizeof(why)) == 0);
	CHECK(b.rw == 0 && b.rootwait == 1 && b.rootdelay == 3);
	CHECK_STR(b.init, "/bin/sh");
	CHECK_STR(b.fstype, "ext4,ext3");
	CHECK_STR(b.flags, "data=journal,noatime");
	/* Module parameters, '-' and '_' alike, quotes kept for the kernel's parser. */
	CHECK(boot_parse(&b, "virtio-blk.queue_depth=64 root=\"/dev/vda\" 9p.debug=1 "
			 "virtio_blk.x=\"a b\" dyndbg=\"file x.c +p\" 8250.nr_uarts=1",
			 why, sizeof(why)) == 0);
	CHECK_STR(b.root, "/dev/vda");
	boot_module_params(&b, "virtio_blk", params, sizeof(params));
	CHECK_STR(params, "queue_depth=64 x=\"a b\"");
	boot_module_params(&b, "9p", params, sizeof(params));
	CHECK_STR(params, "debug=1");
	boot_module_params(&b, "ext4", params, sizeof(params));
	CHECK_STR(params, "");
	/* What it cannot use. */
	CHECK(boot_parse(&b, "console=ttyS0", why, sizeof(why)) < 0);
	CHECK_STR(why, "root= not found on the kernel command line");
	CHECK(boot_parse(&b, "root=UUID=1234", why, sizeof(why)) < 0);
	CHECK_STR(why, "root=UUID=1234: cannot use it: vmlaunch-init takes a /dev/NAME");
	CHECK(boot_parse(&b, "init=/sbin/init -- root=/dev/vda", why, sizeof(why)) < 0);
}

/* A failed boot must end QEMU: microvm only halts on power-off (no ACPI). */
static void test_initramfs_exit_conf(void)
{
	struct vm v;
	char buf[64];

	load(&v, "kernel = k\nrootfs = r.img\n");
	initramfs_exit_conf(&v.plan, buf, sizeof(buf));
	CHECK_STR(buf, "");
	done(&v);
	load(&v, "kernel = k\nrootfs = r.img\nmachine = microvm\ndebug_exit = 0x501\n");
	initramfs_exit_conf(&v.plan, buf, sizeof(buf));
	CHECK_STR(buf, "reboot\ndebug_exit 0x501\n");
	done(&v);
}

static char tmpl[] = "/tmp/vmlaunch-unit-initramfs.XXXXXX";

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	int fd;

	sprintf(path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
	close(fd);
	free(path);
}

static void put_text(const char *dir, const char *name, const char *text)
{
	put(dir, name, text, strlen(text));
}

static void mkdirs(const char *root, const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void test_initramfs_find_tree(void)
{
	struct strbuf why = STRBUF_INIT;
	char *root = mkdtemp(tmpl), buf[512], *t;

	CHECK(root != NULL);
	if (!root)
		return;
	mkdirs(root, "lib/modules/6.1.0-1-amd64");
	snprintf(buf, sizeof(buf), "%s/lib/modules/6.1.0-1-amd64", root);
	put_text(buf, "modules.dep", "");
	mkdirs(root, "boot");
	/* A root with one version, the kernel's; the tree itself; auto next to the kernel. */
	t = initramfs_find_tree(root, "/x/bzImage", "6.1.0-1-amd64", &why);
	CHECK_STR(t, buf);
	free(t);
	t = initramfs_find_tree(buf, "/x/bzImage", "6.1.0-1-amd64", &why);
	CHECK_STR(t, buf);
	free(t);
	snprintf(buf, sizeof(buf), "%s/boot/vmlinuz-6.1.0-1-amd64", root);
	t = initramfs_find_tree("auto", buf, "6.1.0-1-amd64", &why);
	CHECK(t && strstr(t, "/lib/modules/6.1.0-1-amd64"));
	free(t);
	/* Another version: both named. */
	snprintf(buf, sizeof(buf), "%s/lib/modules/6.1.0-1-amd64", root);
	CHECK(initramfs_find_tree(buf, "/x/bzImage", "6.1.0-99-amd64", &why) == NULL);
	CHECK_STR(why.buf, "tree is for 6.1.0-1-amd64 but the kernel is 6.1.0-99-amd64");
	sb_release(&why);
	CHECK(initramfs_find_tree(root, "/x/bzImage", "6.1.0-99-amd64", &why) == NULL);
	CHECK(why.buf && strstr(why.buf, "tree is for 6.1.0-1-amd64 but the kernel is 6.1.0-99-amd64"));
	sb_release(&why);
	CHECK(initramfs_find_tree("auto", "/x/bzImage", "6.1.0-1-amd64", &why) == NULL);
	CHECK(why.buf && strstr(why.buf, "is not in a boot/ directory"));
	sb_release(&why);
}

static void module(const char *dir, const char *name, const char *vermagic)
{
	unsigned char elf[512];
	char info[128];
	int n = snprintf(info, sizeof(info), "name=%s%cvermagic=%s SMP", name, 0, vermagic);

	put(dir, name, elf, unit_fake_module(elf, info, (size_t)n + 1));
}

static int setup(struct vm *v, const char *tree, int build)
{
	struct origin at = { "vm.conf", 3 };
	char text[600];
	int ret;

	snprintf(text, sizeof(text), "kernel = /k/bzImage\nrootfs = /r.img\nmodules = %s\n", tree);
	load(v, text);
	v->plan.kernel_version = strdup("6.1.0-1-amd64");
	ret = initramfs_setup(&v->plan, build, &at, &at, &v->d);
	fflush(v->f);
	return ret;
}

static void test_initramfs_setup(void)
{
	char tree[512], cache[512], *initrd;
	struct stat st1, st2;
	struct vm v;

	if (tmpl[strlen(tmpl) - 1] == 'X')
		return;     /* find_tree failed to make the directory */
	snprintf(tree, sizeof(tree), "%s/lib/modules/6.1.0-1-amd64", tmpl);
	snprintf(cache, sizeof(cache), "%s/cache", tmpl);
	setenv("XDG_CACHE_HOME", cache, 1);
	put_text(tree, "modules.dep", "virtio_blk.ko: virtio.ko\nvirtio.ko:\nvirtio_pci.ko: virtio.ko\n");
	put_text(tree, "modules.builtin", "kernel/fs/ext4/ext4.ko\n");
	module(tree, "virtio.ko", "6.1.0-1-amd64");
	module(tree, "virtio_pci.ko", "6.1.0-1-amd64");
	module(tree, "virtio_blk.ko", "6.1.0-1-amd64");
	CHECK(setup(&v, tree, 1) == 0);
	CHECK(v.plan.modules.n == 3 && strcmp(v.plan.modules.v[0], "virtio") == 0);
	CHECK(v.plan.initrd && strncmp(v.plan.initrd, cache, strlen(cache)) == 0);
	CHECK(v.out && strstr(v.out, "(built now)"));
	initrd = strdup(v.plan.initrd ? v.plan.initrd : "");
	CHECK(stat(initrd, &st1) == 0);
	done(&v);
	/* The second time: the same file, not rebuilt. */
	CHECK(setup(&v, tree, 1) == 0);
	CHECK_STR(v.plan.initrd, initrd);
	CHECK(v.out && strstr(v.out, "(cached)"));
	CHECK(stat(initrd, &st2) == 0 && st1.st_ino == st2.st_ino &&
	      st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);
	done(&v);
	/* A crash's empty archive is no hit: print says so, a build makes it again. */
	CHECK(truncate(initrd, 0) == 0);
	CHECK(setup(&v, tree, 0) == 0);
	CHECK(v.out && strstr(v.out, "(not built yet"));
	done(&v);
	CHECK(setup(&v, tree, 1) == 0);
	CHECK(v.out && strstr(v.out, "(built now)"));
	CHECK(stat(initrd, &st2) == 0 && st2.st_size == st1.st_size);
	done(&v);
	/* A file shorter than its st_size (sysfs says 4096): refused, not half read. */
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0) {
		char ko[600];

		snprintf(ko, sizeof(ko), "%s/virtio_pci.ko", tree);
		CHECK(unlink(ko) == 0 && symlink("/sys/kernel/mm/transparent_hugepage/enabled", ko) == 0);
		CHECK(setup(&v, tree, 1) < 0);
		CHECK(v.out && strstr(v.out, "virtio_pci.ko: shorter than its size: changed while read"));
		done(&v);
		CHECK(unlink(ko) == 0);
		module(tree, "virtio_pci.ko", "6.1.0-1-amd64");
	}
	/* A module built for another kernel. */
	module(tree, "virtio_blk.ko", "6.1.0-2-amd64");
	CHECK(setup(&v, tree, 1) < 0);
	CHECK(v.out && strstr(v.out, "module virtio_blk (") &&
	      strstr(v.out, "virtio_blk.ko) is for 6.1.0-2-amd64 but the kernel is 6.1.0-1-amd64"));
	done(&v);
	/* Listed but absent. */
	unlink(strcat(strcpy(cache, tree), "/virtio_blk.ko"));
	CHECK(setup(&v, tree, 1) < 0);
	CHECK(v.out && strstr(v.out, "virtio_blk.ko: No such file or directory"));
	done(&v);
	/* Compressed: refused with how to decompress. */
	put_text(tree, "modules.dep", "virtio_blk.ko.xz: virtio.ko\nvirtio.ko:\nvirtio_pci.ko: virtio.ko\n");
	put(tree, "virtio_blk.ko.xz", "\3757zXZ", 5);
	CHECK(setup(&v, tree, 1) < 0);
	/* The advice never decompresses the tree in place (it may be the host's). */
	CHECK(v.out && strstr(v.out, "virtio_blk.ko.xz is compressed; vmlaunch loads plain .ko "
			      "files: decompress a copy of the tree, not the tree itself "
			      "(mkdir -p D/lib/modules && cp -a "));
	CHECK(v.out && strstr(v.out, "-exec xz -d {} + && depmod -b D 6.1.0-1-amd64), then "
			      "modules = D"));
	done(&v);
	/*
	 * ...and once decompressed beside it, the plain file is used: the same
	 * bytes as the first time, so print (no build) finds that archive.
	 */
	module(tree, "virtio_blk.ko", "6.1.0-1-amd64");
	CHECK(setup(&v, tree, 0) == 0);
	CHECK_STR(v.plan.initrd, initrd);
	CHECK(v.out && strstr(v.out, "(cached)"));
	done(&v);
	/* A needed module the tree does not have. */
	put_text(tree, "modules.dep", "virtio.ko:\nvirtio_pci.ko: virtio.ko\n");
	CHECK(setup(&v, tree, 1) < 0);
	CHECK(v.out && strstr(v.out, "modules: module virtio_blk (for disks) is neither in "
			      "modules.dep nor built into the kernel (modules.builtin)"));
	done(&v);
	/* modules.softdep's pre: module, found through modules.alias, loads before its user. */
	put_text(tree, "modules.dep", "virtio_blk.ko: virtio.ko\nvirtio.ko:\nvirtio_pci.ko: virtio.ko\n"
		 "crypto/crc32c_generic.ko:\n");
	put_text(tree, "modules.softdep", "softdep virtio_blk pre: crc32c\n");
	put_text(tree, "modules.alias", "alias crc32c crc32c_generic\n");
	module(tree, "virtio_blk.ko", "6.1.0-1-amd64");
	mkdir(strcat(strcpy(cache, tree), "/crypto"), 0755);
	module(tree, "crypto/crc32c_generic.ko", "6.1.0-1-amd64");
	CHECK(setup(&v, tree, 0) == 0);
	CHECK(v.out && strstr(v.out, "the initramfs loads crc32c_generic virtio virtio_pci virtio_blk"));
	done(&v);
	free(initrd);
}

static void test_initramfs_cache_dir_unsafe(void)
{
	char link[600], target[600];
	struct vm v;

	if (tmpl[strlen(tmpl) - 1] == 'X')
		return;
	snprintf(link, sizeof(link), "%s/cache2", tmpl);
	snprintf(target, sizeof(target), "%s/elsewhere", tmpl);
	mkdir(link, 0700);
	mkdir(target, 0700);
	strcat(link, "/vmlaunch");
	CHECK(symlink(target, link) == 0);
	link[strlen(link) - strlen("/vmlaunch")] = '\0';
	setenv("XDG_CACHE_HOME", link, 1);
	snprintf(target, sizeof(target), "%s/lib/modules/6.1.0-1-amd64", tmpl);
	put_text(target, "modules.dep", "virtio_blk.ko: virtio.ko\nvirtio.ko:\nvirtio_pci.ko: virtio.ko\n");
	CHECK(setup(&v, target, 1) < 0);
	CHECK(v.out && strstr(v.out, "/cache2/vmlaunch is a symbolic link or not a directory: "
			      "not used"));
	done(&v);
	/* A directory others may write to, or (as root) another user's, is not used either. */
	snprintf(link, sizeof(link), "%s/cache3", tmpl);
	mkdir(link, 0700);
	setenv("XDG_CACHE_HOME", link, 1);
	strcat(link, "/vmlaunch");
	mkdir(link, 0700);
	chmod(link, 0777);
	CHECK(setup(&v, target, 1) < 0);
	CHECK(v.out && strstr(v.out, "/cache3/vmlaunch is group- or world-writable: not used "
			      "(chmod go-w "));
	done(&v);
	/* Group-writable only (mkdir -p under umask 002): refused too, with the same advice. */
	chmod(link, 0775);
	CHECK(setup(&v, target, 1) < 0);
	CHECK(v.out && strstr(v.out, "/cache3/vmlaunch is group- or world-writable"));
	done(&v);
	if (geteuid() == 0) {
		chmod(link, 0700);
		CHECK(chown(link, 65534, 65534) == 0);
		CHECK(setup(&v, target, 1) < 0);
		CHECK(v.out && strstr(v.out, "/cache3/vmlaunch belongs to another user: not used"));
		done(&v);
	}
	unsetenv("XDG_CACHE_HOME");
}

static void test_initramfs_cpio(void)
{
	struct strvec names = STRVEC_INIT;
	unsigned char ko[] = "KO", *data[1] = { ko };
	size_t len[1] = { 2 };
	struct strbuf out;

	strvec_push(&names, "virtio");
	initramfs_cpio(&out, (const unsigned char *)"INIT", 4, &names, data, len, "reboot\n");
	CHECK(out.len % 4 == 0);
	/* dev/console: 0020600, rdev 5:1, for the kernel's early console before devtmpfs. */
	CHECK(memmem(out.buf, out.len, "000021800000000000000000000000010000000000000000"
		     "00000000000000000000000500000001", 80) != NULL);
	CHECK(memmem(out.buf, out.len, "vmlaunch/exit\0reboot\n", 21) != NULL);
	CHECK(memmem(out.buf, out.len, "init\0\0INIT", 10) != NULL);
	CHECK(memmem(out.buf, out.len, "vmlaunch/modules\0\0virtio\n", 25) != NULL);
	CHECK(memmem(out.buf, out.len, "vmlaunch/virtio.ko\0\0\0\0KO", 24) != NULL);
	CHECK(memmem(out.buf, out.len, "TRAILER!!!", 10) != NULL);
	sb_release(&out);
	strvec_clear(&names);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The cases above share one directory: gone at the end. */
static void test_initramfs_cleanup(void)
{
	if (tmpl[strlen(tmpl) - 1] != 'X')
		CHECK(nftw(tmpl, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

const struct unit_case initramfs_cases[] = {
	{ "initramfs_needs", test_initramfs_needs },
	{ "initramfs_exit_conf", test_initramfs_exit_conf },
	{ "init_cmdline", test_init_cmdline },
	{ "initramfs_find_tree", test_initramfs_find_tree },
	{ "initramfs_setup", test_initramfs_setup },
	{ "initramfs_cache_dir_unsafe", test_initramfs_cache_dir_unsafe },
	{ "initramfs_cpio", test_initramfs_cpio },
	{ "initramfs_cleanup", test_initramfs_cleanup },
	{ NULL, NULL },
};
