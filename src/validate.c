#include "validate.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "devices.h"
#include "exitcodes.h"
#include "imagefmt.h"
#include "initramfs.h"
#include "path.h"
#include "qemu_argv.h"
#include "safefile.h"
#include "strbuf.h"
#include "usock.h"
#include "xalloc.h"

struct check {
	const struct vm_config *cfg;
	struct vm_plan *plan;   /* what validation decides */
	enum validate_mode mode;
	const struct host_env *env;
	struct diag *d;
};

enum severity {
	SEV_ERROR,   /* always an error */
	SEV_HOST,    /* a problem of the host, not the config: a warning for print */
	SEV_WARN,    /* always a warning */
};

static void report(struct check *c, enum cfg_key key, enum severity sev, int status,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void vreport(struct check *c, const struct origin *at, enum severity sev, int status,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vreport(struct check *c, const struct origin *at, enum severity sev, int status,
		    const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);

	if (sev == SEV_ERROR || (sev == SEV_HOST && c->mode == VALIDATE_STRICT))
		diag_error(c->d, at, status, "%s", msg);
	else
		diag_warn(c->d, at, "%s", msg);
	free(msg);
}

static void report(struct check *c, enum cfg_key key, enum severity sev, int status,
		   const char *fmt, ...)
{
	struct origin at = config_origin(c->cfg, key);
	va_list ap;

	va_start(ap, fmt);
	vreport(c, &at, sev, status, fmt, ap);
	va_end(ap);
}

/* For a repeatable key: the occurrence AT. */
static void report_at(struct check *c, const struct origin *at, enum severity sev, int status,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report_at(struct check *c, const struct origin *at, enum severity sev, int status,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, at, sev, status, fmt, ap);
	va_end(ap);
}

static const char *file_type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO (named pipe)";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISREG(mode))
		return "a file";
	return "a special file";
}

/*
 * Open an input file named by KEY.  A missing file is a host problem (only
 * a warning for print); anything else wrong with it is an error.  The open
 * does not block (a FIFO would wait for a writer forever) and nothing but
 * a regular file, or a block device for the rootfs, is read.
 */
/*
 * Open an input file WHAT (for KEY, at AT: NULL for the key's own origin).
 * A missing file is a host problem (only a warning for print); anything
 * else wrong with it is an error.  A disk may be a block device.
 */
static int open_input_at(struct check *c, enum cfg_key key, const struct origin *at,
			 const char *what, const char *path, int flags)
{
	struct origin own = config_origin(c->cfg, key);
	int disk = key == KEY_ROOTFS || key == KEY_DISK;
	struct stat st;
	int fd, fl;

	if (!at)
		at = &own;
	fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			report_at(c, at, SEV_HOST, EXIT_NOINPUT, "%s '%s' does not exist", what, path);
		else if (err == EISDIR)
			report_at(c, at, SEV_ERROR, EXIT_NOINPUT, "%s '%s' is a directory, not a file",
				  what, path);
		else
			report_at(c, at, SEV_ERROR, EXIT_NOINPUT, "%s '%s' cannot be opened%s: %s",
				  what, path, (flags & O_ACCMODE) == O_RDWR ?
				  " for reading and writing (QEMU opens it read-write)" : "",
				  strerror(err));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		report_at(c, at, SEV_ERROR, EXIT_NOINPUT, "%s '%s' cannot be examined: %s", what,
			  path, strerror(errno));
		goto fail;
	}
	if (!(S_ISREG(st.st_mode) || (disk && S_ISBLK(st.st_mode)))) {
		report_at(c, at, SEV_ERROR, EXIT_NOINPUT, "%s '%s' is %s, not a regular file%s",
			  what, path, file_type_name(st.st_mode), disk ? " or block device" : "");
		goto fail;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		report_at(c, at, SEV_ERROR, EXIT_NOINPUT, "%s '%s' cannot be read: %s", what, path,
			  strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int open_input(struct check *c, enum cfg_key key, const char *path, int flags)
{
	return open_input_at(c, key, NULL, cfg_keys[key].name, path, flags);
}

/* The kernel is read, never mapped: a kernel rebuilt in place would shrink under a map. */
static long kernel_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const int *fd = ctx;
	ssize_t n;

	if (off > (uint64_t)INT64_MAX)
		return 0;
	do
		n = pread(*fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return (long)n;
}

static void check_kernel(struct check *c)
{
	struct kernel_info info;
	struct kernel_reader r = { kernel_pread, NULL, 0 };
	struct stat st;
	char why[256];
	int ret, fd = open_input(c, KEY_KERNEL, c->plan->kernel, O_RDONLY);

	if (fd < 0)
		return;
	r.ctx = &fd;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		r.size = (uint64_t)st.st_size;
	ret = kernel_identify_read(&r, &info, why, sizeof(why));
	if (ret == KERNEL_READ_FAILED) {
		report(c, KEY_KERNEL, SEV_ERROR, EXIT_NOINPUT, "kernel '%s' cannot be read: %s",
		       c->plan->kernel, strerror(errno));
	} else if (ret < 0) {
		report(c, KEY_KERNEL, SEV_ERROR, EXIT_CONFIG, "kernel '%s': %s", c->plan->kernel, why);
	} else {
		diag_info(c->d, "kernel: %s: %s%s%s", c->plan->kernel, kernel_kind_name(info.kind),
			  info.version[0] ? ", " : "", info.version);
		/* A multiboot image is not Linux: no root=, console= or nokaslr for it. */
		if (info.kind == KERNEL_MULTIBOOT)
			c->plan->kernel_os = KERNEL_OS_OTHER;
		if (info.kind == KERNEL_BZIMAGE && info.version[0])
			plan_set(&c->plan->kernel_version,
				 xstrndup(info.version, strcspn(info.version, " ")));
	}
	close(fd);
}

/*
 * vmlaunch-init finds the root by its /dev name only: no udev for
 * /dev/disk/by-*, no superblock reading for UUID= or LABEL=.
 */
static void check_modules_root(struct check *c)
{
	char *root = cmdline_param(c->cfg->append ? c->cfg->append : "", "root");

	if (root && (strncmp(root, "/dev/", 5) != 0 || !root[5] || strchr(root + 5, '/')))
		report(c, KEY_APPEND, SEV_ERROR, EXIT_CONFIG, "append: root=%s: with modules, "
		       "vmlaunch's initramfs takes root=/dev/NAME only (e.g. /dev/vda or "
		       "/dev/vda1): no UUID=, LABEL=, PARTUUID=, /dev/disk/by-* or device "
		       "numbers", root);
	free(root);
}

/*
 * modules = DIR: vmlaunch's initramfs, for a Linux bzImage whose version it
 * can read, with a root disk, and without an initramfs of the user's.
 */
static void check_modules(struct check *c)
{
	const struct vm_config *cfg = c->cfg;
	struct origin at = config_origin(cfg, KEY_MODULES), in = config_origin(cfg, KEY_INITRD);
	struct origin ap = config_origin(cfg, KEY_APPEND);
	struct stat st;
	unsigned first = c->d->errors;

	if (!cfg->modules)
		return;
	if (cfg->initrd)
		report(c, KEY_MODULES, SEV_ERROR, EXIT_CONFIG, "modules and initrd (%s:%u) together: "
		       "vmlaunch builds its own initramfs for modules, and its /init would replace "
		       "the one in '%s'; keep one of the two", in.file, in.line, cfg->initrd);
	if (c->plan->kernel_os == KERNEL_OS_OTHER)
		report(c, KEY_MODULES, SEV_ERROR, EXIT_CONFIG, "modules with a multiboot kernel: "
		       "modules are a Linux kernel's, loaded from the initramfs vmlaunch builds");
	else if (!c->plan->kernel_version && stat(c->plan->kernel, &st) == 0)
		report(c, KEY_MODULES, SEV_ERROR, EXIT_CONFIG, "modules: the kernel '%s' names no "
		       "version vmlaunch can read (only a bzImage's header does): boot its "
		       "bzImage (arch/x86/boot/bzImage, or /boot/vmlinuz-VERSION)", c->plan->kernel);
	if (!c->plan->has_rootfs && !cmdline_has_param(cfg->append ? cfg->append : "", "root"))
		report(c, KEY_MODULES, SEV_ERROR, EXIT_CONFIG, "modules: vmlaunch's initramfs "
		       "mounts a root disk and has none: set rootfs (or root= in append)");
	check_modules_root(c);
	if (c->d->errors != first || !c->plan->kernel_version)
		return;
	initramfs_setup(c->plan, c->mode != VALIDATE_PRINT, &at, &ap, c->d);
}

/* Does the image's header agree with the format QEMU will be told? */
static int check_header(struct check *c, const struct origin *at, const char *what,
			const char *path, enum disk_format format, const char *from,
			const unsigned char *head, size_t n)
{
	int is_qcow2 = n >= 4 && memcmp(head, "QFI\xfb", 4) == 0;

	if (format == FORMAT_QCOW2 && !is_qcow2) {
		report_at(c, at, SEV_ERROR, EXIT_CONFIG, "%s '%s': format qcow2 (%s), but the file "
			  "is not a qcow2 image (found: %s)", what, path, from,
			  disk_kind_name(disk_identify(head, n)));
		return -1;
	}
	if (format == FORMAT_RAW && is_qcow2) {
		report_at(c, at, SEV_ERROR, EXIT_CONFIG, "%s '%s' is a qcow2 image, but its format "
			  "is raw (%s): vmlaunch never lets QEMU guess (a guest that can write a "
			  "raw disk could plant a qcow2 header naming a host file); if it is meant "
			  "to be qcow2, say format=qcow2", what, path, from);
		return -1;
	}
	return 0;
}

/* The name of a qcow2's backing file, resolved as QEMU does (from its directory). */
static char *backing_name(struct check *c, const struct origin *at, const char *what,
			  const char *image, int fd, const struct qcow2_info *q)
{
	char name[1024], *dir, *path;
	ssize_t n = pread(fd, name, q->backing_len, (off_t)q->backing_offset);

	if (n != (ssize_t)q->backing_len) {
		report_at(c, at, SEV_ERROR, EXIT_CONFIG, "%s '%s': its backing file name cannot "
			  "be read (a truncated image?)", what, image);
		return NULL;
	}
	name[n] = '\0';
	if (strlen(name) != (size_t)n || strncmp(name, "json:", 5) == 0 || strstr(name, "://")) {
		report_at(c, at, SEV_ERROR, EXIT_CONFIG, "%s '%s': its backing file '%s' is not "
			  "a plain file name", what, image, name);
		return NULL;
	}
	dir = path_dirname(image);
	path = path_resolve(dir, name);
	free(dir);
	return path;
}

/* The format of a backing file: as the header names it, else from its name. */
static int backing_format(struct check *c, const struct origin *at, const char *what,
			  const struct qcow2_info *q, const char *path, enum disk_format *out,
			  const char **from)
{
	size_t n = strlen(path);

	if (!q->backing_format[0]) {
		*out = n > 6 && strcmp(path + n - 6, ".qcow2") == 0 ? FORMAT_QCOW2 : FORMAT_RAW;
		*from = *out == FORMAT_QCOW2 ? "its name ends in .qcow2" :
			"its name does not end in .qcow2, and the image names no format";
		return 0;
	}
	*from = "as the image above it says";
	if (strcmp(q->backing_format, "qcow2") == 0 || strcmp(q->backing_format, "raw") == 0) {
		*out = q->backing_format[0] == 'q' ? FORMAT_QCOW2 : FORMAT_RAW;
		return 0;
	}
	report_at(c, at, SEV_ERROR, EXIT_CONFIG, "%s: backing file '%s' has format %s; vmlaunch "
		  "takes raw and qcow2", what, path, q->backing_format);
	return -1;
}

/*
 * A qcow2 disk: its size, and its backing chain, each file there, of a
 * format its header agrees with, read-only to QEMU.  FD/HEAD: the image.
 */
static void check_chain(struct check *c, struct plan_disk *disk, const char *what, int fd,
			unsigned char *head, size_t n)
{
	struct qcow2_info q;
	const char *image = disk->path;
	char why[128];
	int own = -1;

	while (disk->nbacking <= PLAN_BACKING_MAX) {
		struct plan_backing *b = &disk->backing[disk->nbacking];
		const char *from;
		ssize_t got;

		if (qcow2_parse(head, n, &q, why, sizeof(why)) < 0) {
			report_at(c, &disk->origin, SEV_ERROR, EXIT_CONFIG, "%s '%s': %s", what,
				  image, why);
			break;
		}
		if (image == disk->path)
			disk->size = q.size;
		if (!q.backing_offset)
			break;
		if (disk->nbacking == PLAN_BACKING_MAX) {
			report_at(c, &disk->origin, SEV_ERROR, EXIT_CONFIG, "%s '%s': a backing "
				  "chain of more than %d files", what, disk->path, PLAN_BACKING_MAX);
			break;
		}
		b->path = backing_name(c, &disk->origin, what, image, fd, &q);
		if (!b->path || backing_format(c, &disk->origin, what, &q, b->path, &b->format,
					       &from) < 0) {
			free(b->path);
			b->path = NULL;
			break;
		}
		disk->nbacking++;
		if (own >= 0)
			close(own);
		{
			char *label = xasprintf("%s '%s': its backing file", what, image);

			own = fd = open_input_at(c, disk->key, &disk->origin, label, b->path, O_RDONLY);
			free(label);
		}
		if (fd < 0)
			break;
		got = pread(fd, head, 65536, 0);
		n = got > 0 ? (size_t)got : 0;
		image = b->path;
		if (check_header(c, &disk->origin, "backing file", image, b->format, from, head, n) < 0 ||
		    b->format == FORMAT_RAW)
			break;
	}
	if (own >= 0)
		close(own);
}

/* -v: the disk, its format, what QEMU reads for it. */
static void disk_info(struct check *c, const struct plan_disk *disk, enum disk_kind kind)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	sb_addf(&sb, "%s: %s: %s", disk->id, disk->path, disk_format_name(disk->format));
	if (disk->format == FORMAT_RAW && kind != DISK_UNKNOWN)
		sb_addf(&sb, ", %s%s", disk_kind_name(kind), kind == DISK_EXT2 || kind == DISK_EXT3 ||
			kind == DISK_EXT4 ? " file system" : "");
	sb_adds(&sb, disk->readonly ? ", read-only" : disk->snapshot ?
		" (read-only, writes go to a throw-away overlay)" : "");
	for (i = 0; i < disk->nbacking; i++)
		sb_addf(&sb, "%s %s (%s)", i ? "," : "; QEMU also reads", disk->backing[i].path,
			disk_format_name(disk->backing[i].format));
	diag_info(c->d, "%s", sb.buf);
	sb_release(&sb);
}

/* Two disks on one file: QEMU would lock it twice, the guest corrupt it. */
static void check_same_file(struct check *c, struct plan_disk *disk, const struct stat *st,
			    struct stat *seen, size_t i)
{
	size_t k;

	seen[i] = *st;
	for (k = 0; k < i; k++) {
		const struct plan_disk *o = &c->plan->disks[k];

		if (seen[k].st_ino == st->st_ino && seen[k].st_dev == st->st_dev &&
		    seen[k].st_mode)
			report_at(c, &disk->origin, SEV_ERROR, EXIT_CONFIG, "%s '%s' is the same file "
				  "as %s '%s' (%s:%u)", cfg_keys[disk->key].name, disk->path,
				  cfg_keys[o->key].name, o->path, o->origin.file, o->origin.line);
	}
}

static void check_disk(struct check *c, struct plan_disk *disk, struct stat *seen, size_t i)
{
	const char *key = cfg_keys[disk->key].name;
	const struct cfg_disk *cd = disk->key == KEY_ROOTFS ? &c->cfg->rootfs_disk :
				    &c->cfg->disks[i - (size_t)c->plan->has_rootfs];
	const char *from = cd->format_given ? (disk->format == FORMAT_QCOW2 ? "format=qcow2" :
			   "format=raw") : disk->format == FORMAT_QCOW2 ?
			   "its name ends in .qcow2" : "its name does not end in .qcow2";
	unsigned char head[65536];
	struct stat st;
	enum disk_kind kind;
	ssize_t n;
	int fd;

	memset(&seen[i], 0, sizeof(seen[i]));
	if (c->plan->kernel_os == KERNEL_OS_OTHER && disk->key == KEY_ROOTFS)
		report(c, KEY_ROOTFS, SEV_WARN, 0, "rootfs '%s' with a multiboot kernel: vmlaunch "
		       "attaches it as a virtio-blk disk but adds no root= (a Linux parameter); "
		       "the kernel must have its own virtio-blk driver to use it", disk->path);
	if (disk->key == KEY_ROOTFS && disk->readonly)
		report(c, KEY_ROOTFS, SEV_WARN, 0, "rootfs '%s' is ro: the guest sees a read-only "
		       "disk and cannot mount its root file system read-write; for throw-away "
		       "writes use snapshot = yes without ro", disk->path);
	/* QEMU opens the disk read-write (read-only under a snapshot, or ro): find out now. */
	fd = open_input_at(c, disk->key, &disk->origin, key, disk->path,
			   disk->snapshot || disk->readonly ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return;
	n = pread(fd, head, sizeof(head), 0);
	disk->is_device = fstat(fd, &st) == 0 && S_ISBLK(st.st_mode);
	check_same_file(c, disk, &st, seen, i);
	if (check_header(c, &disk->origin, key, disk->path, disk->format, from, head,
			 n > 0 ? (size_t)n : 0) == 0 && disk->format == FORMAT_QCOW2)
		check_chain(c, disk, key, fd, head, n > 0 ? (size_t)n : 0);
	close(fd);
	kind = disk_identify(head, n > 0 ? (size_t)n : 0);
	disk_info(c, disk, kind);
	if (disk->key != KEY_ROOTFS || disk->format != FORMAT_RAW)
		return;
	if (kind == DISK_EXT2 || kind == DISK_EXT3 || kind == DISK_EXT4 || kind == DISK_QCOW2)
		return;
	report(c, KEY_ROOTFS, SEV_WARN, 0, "rootfs '%s' is not an ext2/3/4 file system (found: %s)%s",
		 disk->path, disk_kind_name(kind),
		 kind == DISK_PARTITIONED ? "; name the partition, e.g. append = \"root=/dev/vda1\"" :
		 "; the guest may not mount it");
}

static void check_disks(struct check *c)
{
	struct stat *seen = xcalloc(c->plan->ndisks + 1, sizeof(*seen));
	size_t i;

	for (i = 0; i < c->plan->ndisks; i++)
		check_disk(c, &c->plan->disks[i], seen, i);
	free(seen);
}

/* A shared folder: a directory QEMU can read (and write, for rw). */
static void check_share(struct check *c, const struct plan_share *sh, size_t i)
{
	const char *home = getenv("HOME");
	char *real = NULL;
	struct stat st;
	size_t k;

	for (k = 0; k < i; k++)
		if (strcmp(c->plan->shares[k].tag, sh->tag) == 0)
			report_at(c, &sh->origin, SEV_ERROR, EXIT_CONFIG, "share '%s': tag '%s' is "
				  "also the tag of share '%s' (%s:%u); give one of them tag=NAME",
				  sh->path, sh->tag, c->plan->shares[k].path,
				  c->plan->shares[k].origin.file, c->plan->shares[k].origin.line);
	if (stat(sh->path, &st) < 0) {
		report_at(c, &sh->origin, errno == ENOENT ? SEV_HOST : SEV_ERROR, EXIT_NOINPUT,
			  "share '%s' %s%s", sh->path, errno == ENOENT ? "does not exist" :
			  "cannot be examined: ", errno == ENOENT ? "" : strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		report_at(c, &sh->origin, SEV_ERROR, EXIT_NOINPUT, "share '%s' is %s, not a "
			  "directory", sh->path, file_type_name(st.st_mode));
		return;
	}
	if (access(sh->path, R_OK | X_OK) < 0 || (sh->rw && access(sh->path, W_OK) < 0)) {
		report_at(c, &sh->origin, SEV_ERROR, EXIT_NOINPUT, "share '%s' cannot be %s by "
			  "you: %s", sh->path, sh->rw ? "written" : "read", strerror(errno));
		return;
	}
	real = realpath(sh->path, NULL);
	if (sh->rw && real && (strcmp(real, "/") == 0 || (home && strcmp(real, home) == 0)))
		report_at(c, &sh->origin, SEV_WARN, 0, "share '%s' rw: the guest can change "
			  "everything in %s", sh->path, strcmp(real, "/") == 0 ? "the whole host" :
			  "your home directory");
	free(real);
	diag_info(c->d, "%s: %s at /mnt/%s in the guest, %s (virtio-9p, security_model=none: "
		  "files the guest writes are yours)", sh->id, sh->path, sh->tag,
		  sh->rw ? "read-write" : "read-only");
}

static void check_shares(struct check *c)
{
	size_t i;

	for (i = 0; i < c->plan->nshares; i++)
		check_share(c, &c->plan->shares[i], i);
}

static void check_initrd(struct check *c)
{
	int fd;

	if (!c->plan->initrd)
		return;
	if (c->plan->kernel_os == KERNEL_OS_OTHER && strchr(c->plan->initrd, ' '))
		report(c, KEY_INITRD, SEV_ERROR, EXIT_CONFIG, "initrd '%s' with a multiboot kernel: "
		       "QEMU takes a space in a module's name for the start of its arguments; "
		       "use a path without spaces (a symlink will do)", c->plan->initrd);
	fd = open_input(c, KEY_INITRD, c->plan->initrd, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

/* The directory of the serial socket exists: its stat in *ST; else reported, -1. */
static int serial_dir(struct check *c, const char *path, const char *dir, struct stat *st)
{
	int err;

	errno = 0;
	memset(st, 0, sizeof(*st));
	if (stat(dir, st) == 0 && S_ISDIR(st->st_mode))
		return 0;
	err = errno;
	report(c, KEY_SERIAL, SEV_HOST, EXIT_NOINPUT, "directory '%s' of serial socket '%s' %s%s",
	       dir, path, err == ENOENT ? "does not exist" :
	       err ? "cannot be examined: " : "is not a directory",
	       err && err != ENOENT ? strerror(err) : "");
	return -1;
}

/* An existing boot log, judged as run judges it when it opens the file. */
static int serial_log(struct check *c)
{
	struct strbuf why = STRBUF_INIT;
	struct stat st;
	int r = 0;

	if (c->plan->serial_log && lstat(c->plan->serial_log, &st) == 0 &&
	    safefile_log_problem(c->plan->serial_log, &st, &why) < 0) {
		report(c, KEY_SERIAL, SEV_ERROR, EXIT_NOINPUT, "%s", why.buf);
		r = -1;
	}
	sb_release(&why);
	return r;
}

/*
 * QEMU replaces a stale socket by unlinking it, which fails (after the
 * checks, with QEMU's own message) in a directory we cannot write, and
 * for another user's socket in a sticky directory not ours.
 */
static const char *unreplaceable(const struct stat *sock, const char *dir,
				 const struct stat *dir_st)
{
	uid_t me = geteuid();

	if (me == 0)
		return NULL;
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
		return "you cannot write to its directory";
	if ((dir_st->st_mode & S_ISVTX) && sock->st_uid != me && dir_st->st_uid != me)
		return "its directory is sticky (like /tmp) and not yours";
	return NULL;
}

static void report_unreplaceable(struct check *c, const char *path, const struct stat *st,
				 const char *why, enum usock_state state, int err)
{
	struct strbuf sb = STRBUF_INIT;

	if (st->st_uid == geteuid())
		sb_adds(&sb, "you");
	else
		safefile_describe_owner(&sb, st->st_uid);
	if (state == USOCK_STALE)
		sb_adds(&sb, ", nobody listens on it,");
	else
		sb_addf(&sb, " (it cannot be probed: %s)", strerror(err));
	report(c, KEY_SERIAL, SEV_HOST, EXIT_UNAVAILABLE, "serial socket '%s' belongs to %s and "
	       "vmlaunch cannot replace it: %s; ask %s or root to remove it, or choose another "
	       "path", path, sb.buf, why, st->st_uid == geteuid() ? "the directory's owner" :
	       "its owner");
	sb_release(&sb);
}

/*
 * Something at the socket path (where there is nothing, QEMU creates the
 * socket): a stale socket QEMU may replace, or an error.
 */
static void serial_existing(struct check *c, const char *path, const struct stat *st,
			    const char *dir, const struct stat *dir_st)
{
	enum usock_state state;
	const char *why;
	int err;

	if (!S_ISSOCK(st->st_mode)) {
		/* QEMU would unlink whatever is there: never let it. */
		report(c, KEY_SERIAL, SEV_ERROR, EXIT_NOINPUT, "serial socket path '%s' exists "
		       "and is not a socket; refusing to replace it (remove it yourself or "
		       "choose another path)", path);
		return;
	}
	state = usock_probe(path);
	err = errno;
	if (state == USOCK_LISTENING || state == USOCK_BUSY) {
		report(c, KEY_SERIAL, SEV_HOST, EXIT_UNAVAILABLE, "serial socket '%s' is in use: "
		       "something is listening on it (%s)", path, state == USOCK_BUSY ?
		       "a console may be attached" : "another VM?");
		return;
	}
	why = unreplaceable(st, dir, dir_st);
	if (why)
		report_unreplaceable(c, path, st, why, state, err);
	else if (state == USOCK_UNKNOWN)
		report(c, KEY_SERIAL, SEV_HOST, EXIT_NOINPUT, "serial socket '%s' cannot be "
		       "checked: %s", path, strerror(err));
	else
		diag_info(c->d, "serial: stale socket '%s' (nobody listening) will be replaced", path);
}

static void check_serial(struct check *c)
{
	const char *path = c->plan->serial_path;
	struct stat st, dir_st;
	char *dir;

	if (c->cfg->serial != SERIAL_SOCKET)
		return;
	if (strlen(path) > usock_path_max()) {
		report(c, KEY_SERIAL, SEV_ERROR, EXIT_CONFIG, "serial socket path '%s' is %zu "
		       "bytes; a unix socket path has at most %zu: choose a shorter one",
		       path, strlen(path), usock_path_max());
		return;
	}
	dir = path_dirname(path);
	if (serial_dir(c, path, dir, &dir_st) == 0 && serial_log(c) == 0) {
		diag_info(c->d, "serial: socket %s (owner-only), boot log %s", path,
			  c->plan->serial_log ? c->plan->serial_log : "none");
		if (lstat(path, &st) == 0)
			serial_existing(c, path, &st, dir, &dir_st);
	}
	free(dir);
}

/*
 * Can QEMU listen on ADDR:PORT?  0, or the errno of a trial bind.  QEMU and
 * slirp set SO_REUSEADDR, so a TCP port that only has TIME_WAIT leftovers is
 * free.
 */
static int port_busy(const char *addr, unsigned port, int type)
{
	struct sockaddr_in sa;
	int fd, one = 1, err = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return EINVAL;
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (type == SOCK_STREAM)    /* for UDP it would share a port another holds */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0;
}

/* The host side of a listening port: free, ours to take, and not public by accident. */
static void check_listen(struct check *c, enum cfg_key key, const char *what,
			 const char *addr, unsigned port, int type)
{
	int err = port_busy(addr, port, type);

	if (err == EADDRINUSE)
		report(c, key, SEV_HOST, EXIT_UNAVAILABLE, "%s: host port %s:%u%s is already in "
		       "use (another VM? see: ss -ltnup 'sport = :%u')", what, addr, port,
		       type == SOCK_DGRAM ? "/udp" : "", port);
	else if (err == EACCES)
		report(c, key, SEV_HOST, EXIT_UNAVAILABLE, "%s: host port %u is below 1024 and "
		       "only root may listen there; use a port from 1024 up", what, port);
	else if (err == EADDRNOTAVAIL)
		report(c, key, SEV_HOST, EXIT_UNAVAILABLE, "%s: %s is not an address of this "
		       "host", what, addr);
	else if (err)
		report(c, key, SEV_HOST, EXIT_UNAVAILABLE, "%s: cannot listen on %s:%u: %s",
		       what, addr, port, strerror(err));
	else if (!is_loopback(addr))
		report(c, key, SEV_WARN, 0, "%s listens on %s, not on loopback: other machines "
		       "may reach it", what, addr);
}

/* Read a small sysfs attribute of network interface NAME; -1 if absent. */
static long sysfs_net_number(const struct check *c, const char *name, const char *attr)
{
	char *path = xasprintf("%s/%s/%s", c->env->sys_class_net, name, attr), buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 0);
}

#define IFF_TAP_FLAG 0x0002         /* <linux/if_tun.h> IFF_TAP, as sysfs shows tun_flags */

/* Is GID (-1: none) ours, as effective or supplementary group? */
static int in_group(long gid)
{
	gid_t groups[256];
	int i, n;

	if (gid < 0)
		return 0;
	if ((gid_t)gid == getegid())
		return 1;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == (gid_t)gid)
			return 1;
	return 0;
}

static void check_tap(struct check *c)
{
	const char *tap = c->cfg->net_tap;
	char *dir = xasprintf("%s/%s", c->env->sys_class_net, tap);
	struct stat st;
	long flags, owner, group;

	if (stat(dir, &st) < 0) {
		report(c, KEY_NET_TAP, SEV_HOST, EXIT_UNAVAILABLE, "net_tap '%s': no such network "
		       "device; create it: sudo ip tuntap add dev %s mode tap user \"$USER\" && "
		       "sudo ip link set %s up", tap, tap, tap);
		free(dir);
		return;
	}
	free(dir);
	flags = sysfs_net_number(c, tap, "tun_flags");
	if (flags < 0 || !(flags & IFF_TAP_FLAG)) {
		report(c, KEY_NET_TAP, SEV_ERROR, EXIT_UNAVAILABLE, "net_tap '%s' is %s, not a tap "
		       "device (ip tuntap add dev NAME mode tap makes one)", tap,
		       flags < 0 ? "a network device" : "a tun device");
		return;
	}
	owner = sysfs_net_number(c, tap, "owner");
	group = sysfs_net_number(c, tap, "group");
	if (geteuid() != 0 && owner != (long)geteuid() && !in_group(group))
		report(c, KEY_NET_TAP, SEV_HOST, EXIT_UNAVAILABLE, "net_tap '%s' %s; QEMU running "
		       "as you cannot attach to it: sudo ip tuntap del dev %s mode tap && sudo ip "
		       "tuntap add dev %s mode tap user \"$USER\"", tap, owner < 0 && group < 0 ?
		       "has no owner or group (it needs CAP_NET_ADMIN)" :
		       "belongs to another user and group", tap, tap);
	diag_info(c->d, "net: tap %s%s", tap, sysfs_net_number(c, tap, "carrier") < 0 ?
		  " (link down on the host side: sudo ip link set it up)" : "");
}

/* Keys that need a NIC, a backend, or one of the backends. */
static void check_net_keys(struct check *c)
{
	const struct vm_config *cfg = c->cfg;
	static const enum cfg_key needs_nic[] = { KEY_NET_BACKEND, KEY_NET_TAP, KEY_NET_MAC };
	size_t i;

	if (cfg->net == NET_NONE) {
		for (i = 0; i < sizeof(needs_nic) / sizeof(needs_nic[0]); i++)
			if (cfg->s[needs_nic[i]].set)
				report(c, needs_nic[i], SEV_WARN, 0, "%s has no effect: net = none "
				       "(the default) gives the VM no network card",
				       cfg_keys[needs_nic[i]].name);
		if (cfg->nforwards)
			report(c, KEY_FORWARD, SEV_ERROR, EXIT_CONFIG, "forward needs a network "
			       "card: set net = virtio (or e1000)");
		return;
	}
	if (cfg->net == NET_E1000 && cfg->machine == MACHINE_MICROVM)
		report(c, KEY_NET, SEV_ERROR, EXIT_CONFIG, "net e1000 is a PCI card and machine "
		       "microvm has no PCI bus: use net = virtio, or machine = pc");
	if (cfg->net_backend == NETBE_TAP) {
		if (!cfg->net_tap)
			report(c, KEY_NET_BACKEND, SEV_ERROR, EXIT_CONFIG, "net_backend tap needs "
			       "net_tap = NAME, an existing tap device");
		if (cfg->nforwards)
			report(c, KEY_FORWARD, SEV_ERROR, EXIT_CONFIG, "forward works with "
			       "net_backend = user only; on a tap the guest has its own address");
	} else if (cfg->net_tap) {
		report(c, KEY_NET_TAP, SEV_ERROR, EXIT_CONFIG, "net_tap is for net_backend = tap, "
		       "but the backend is user%s", cfg->s[KEY_NET_BACKEND].set ? "" :
		       " (the default): add net_backend = tap");
	}
}

static void check_net(struct check *c)
{
	const struct vm_config *cfg = c->cfg;
	const unsigned char *m = cfg->net_mac;
	unsigned first = c->d->errors;
	size_t i;

	check_net_keys(c);
	if (cfg->net == NET_NONE || c->d->errors != first)
		return;
	diag_info(c->d, "net: %s, mac %02x:%02x:%02x:%02x:%02x:%02x%s, %s", cfg->net == NET_E1000 ?
		  "e1000 (emulated Intel 82540EM)" : "virtio-net", m[0], m[1], m[2], m[3], m[4],
		  m[5], cfg->s[KEY_NET_MAC].set ? "" : " (from the name)",
		  cfg->net_backend == NETBE_TAP ? "tap backend" : "user networking: guest "
		  "10.0.2.15, the host is 10.0.2.2");
	if (cfg->net_backend == NETBE_TAP) {
		check_tap(c);
		return;
	}
	for (i = 0; i < cfg->nforwards; i++) {
		const struct forward *f = &cfg->forwards[i];
		char *what = xasprintf("forward %s:%s:%u-%u", forward_proto_name(f->proto),
				       f->host_addr, f->host_port, f->guest_port);

		check_listen(c, KEY_FORWARD, what, f->host_addr, f->host_port,
			     f->proto == FWD_UDP ? SOCK_DGRAM : SOCK_STREAM);
		free(what);
	}
}

/* A gdb port that is also a forward's host port: QEMU could not listen on both. */
static void check_gdb_clash(struct check *c)
{
	const struct vm_config *cfg = c->cfg;
	size_t i;

	for (i = 0; cfg->gdb_addr && cfg->net != NET_NONE && i < cfg->nforwards; i++) {
		const struct forward *f = &cfg->forwards[i];

		if (f->proto == FWD_TCP && f->host_port == cfg->gdb_port &&
		    (strcmp(f->host_addr, cfg->gdb_addr) == 0 ||
		     strcmp(f->host_addr, "0.0.0.0") == 0 ||
		     strcmp(cfg->gdb_addr, "0.0.0.0") == 0))
			report(c, KEY_GDB, SEV_ERROR, EXIT_CONFIG, "gdb port %u is also "
			       "the host port of forward tcp:%s:%u-%u: choose another",
			       cfg->gdb_port, f->host_addr, f->host_port, f->guest_port);
	}
}

/* COM1, where the console (isa-serial) is. */
#define SERIAL_PORT_FIRST 0x3f8u
#define SERIAL_PORT_LAST 0x3ffu

static void check_debug(struct check *c)
{
	const struct vm_config *cfg = c->cfg;
	unsigned last;

	if (cfg->gdb_wait && !cfg->gdb_addr)
		report(c, KEY_GDB_WAIT, SEV_WARN, 0, "gdb_wait has no effect without gdb = PORT "
		       "(nothing could continue the VM)");
	if (cfg->gdb_addr) {
		char *what = xasprintf("gdb %s:%u", cfg->gdb_addr, cfg->gdb_port);

		check_gdb_clash(c);
		check_listen(c, KEY_GDB, what, cfg->gdb_addr, cfg->gdb_port, SOCK_STREAM);
		free(what);
		diag_info(c->d, "gdb: stub on %s:%u (gdb: target remote %s:%u)%s", cfg->gdb_addr,
			  cfg->gdb_port, cfg->gdb_addr, cfg->gdb_port, cfg->gdb_wait ?
			  "; the VM starts paused until gdb continues" : "");
	}
	if (!cfg->debug_exit)
		return;
	last = cfg->debug_exit + debug_exit_iosize(cfg->debug_exit) - 1;
	/* QEMU would map both without a word, and the console's writes would end the VM. */
	if (cfg->serial != SERIAL_NONE && cfg->debug_exit <= SERIAL_PORT_LAST &&
	    last >= SERIAL_PORT_FIRST)
		report(c, KEY_DEBUG_EXIT, SEV_ERROR, EXIT_CONFIG, "debug_exit: ports 0x%x..0x%x "
		       "overlap the serial port's 0x%x..0x%x: choose another port (Unikraft's is "
		       "0x501)", cfg->debug_exit, last, SERIAL_PORT_FIRST, SERIAL_PORT_LAST);
	diag_info(c->d, "debug_exit: the guest's write of N to I/O port 0x%x ends the VM, "
		  "and vmlaunch exits with N", cfg->debug_exit);
}

/* What the host gives CPUS vCPUs: KVM's limit is an error, sharing a warning. */
static void check_host_cpus(struct check *c, int kvm_max)
{
	char why[256];
	int fatal;

	if (!host_cpus_problem(c->cfg->cpus, c->env->cpus, kvm_max, &fatal, why, sizeof(why)))
		return;
	if (fatal)
		report(c, KEY_CPUS, SEV_HOST, EXIT_UNAVAILABLE, "%s", why);
	else
		report(c, KEY_CPUS, SEV_WARN, 0, "%s", why);
}

static void check_accel(struct check *c)
{
	struct kvm_probe probe;
	char why[512];

	if (c->cfg->accel == ACCEL_TCG) {
		c->plan->accel = ACCEL_TCG;
		diag_info(c->d, "accel: tcg (software emulation), as configured");
		check_host_cpus(c, 0);
		return;
	}
	host_probe_kvm(c->env, &probe);
	kvm_problem(c->env, &probe, why, sizeof(why));
	check_host_cpus(c, probe.state == KVM_USABLE ? probe.max_vcpus : 0);
	if (probe.state == KVM_USABLE) {
		c->plan->accel = ACCEL_KVM;
		diag_info(c->d, "accel: kvm (%s)", why);
		return;
	}
	if (c->cfg->accel == ACCEL_AUTO) {
		c->plan->accel = ACCEL_TCG;
		report(c, KEY_ACCEL, SEV_WARN, 0, "accel auto: using tcg (software emulation, slower): %s",
			 why);
		return;
	}
	c->plan->accel = ACCEL_KVM;
	report(c, KEY_ACCEL, SEV_HOST, EXIT_UNAVAILABLE, "accel kvm%s: %s; %s",
	       c->cfg->s[KEY_ACCEL].set ? "" : " (the default)", why, kvm_fix(&probe));
}

static void check_qemu(struct check *c)
{
	char *found = host_find_program(c->plan->qemu);

	if (found) {
		diag_info(c->d, "qemu: %s", found);
		free(found);
		return;
	}
	if (strchr(c->plan->qemu, '/'))
		report(c, KEY_QEMU, SEV_HOST, EXIT_UNAVAILABLE, "QEMU '%s' %s", c->plan->qemu,
			 errno == ENOENT ? "does not exist" : "is not executable");
	else
		report(c, KEY_QEMU, SEV_HOST, EXIT_UNAVAILABLE, "QEMU '%s' not found in PATH; "
		       "install it: sudo apt-get install qemu-system-x86", c->plan->qemu);
}

static void check_cmdline(struct check *c)
{
	char *cmdline = kernel_cmdline(c->plan);
	char *console = cmdline_param(c->cfg->append, "console");
	size_t len = strlen(cmdline);

	if (len > KERNEL_CMDLINE_MAX) {
		report(c, KEY_APPEND, SEV_ERROR, EXIT_CONFIG, "kernel command line is %zu bytes; Linux on x86 "
			 "takes at most %d", len, KERNEL_CMDLINE_MAX);
	}
	if (console && strncmp(console, "hvc", 3) == 0) {
		report(c, KEY_APPEND, SEV_WARN, 0, "console=%s names a virtio console, but this VM has "
			 "none: its serial port is ttyS0 (use console=ttyS0)", console);
	}
	if (c->plan->serial == SERIAL_NONE && !console)
		diag_info(c->d, "serial none: the guest's console goes nowhere");
	diag_info(c->d, "kernel command line: %s%s%s%s", cmdline,
		  cmdline_adds_root(c->plan) ? " (added root=/dev/vda: the rootfs)" : "",
		  cmdline_adds_console(c->plan) ? " (added console=ttyS0: the serial port)" : "",
		  cmdline_adds_nokaslr(c->plan) ? " (added nokaslr: gdb, so symbols match "
		  "addresses)" : "");
	free(console);
	free(cmdline);
}

/* PCI slots of pc and q35 left with -nodefaults; microvm's virtio-mmio transports. */
#define PCI_SLOTS 30
#define MICROVM_TRANSPORTS 8

/* The device past what the machine takes, named by its own key and line. */
static void check_slots(struct check *c)
{
	const struct vm_plan *p = c->plan;
	int microvm = c->cfg->machine == MACHINE_MICROVM;
	size_t max = microvm ? MICROVM_TRANSPORTS : PCI_SLOTS;
	size_t used = c->cfg->net != NET_NONE, i;
	const struct origin *at = NULL;
	const char *path = NULL, *key = NULL;

	for (i = 0; i < p->ndisks && !at; i++)
		if (++used > max) {
			at = &p->disks[i].origin;
			path = p->disks[i].path;
			key = cfg_keys[p->disks[i].key].name;
		}
	for (i = 0; i < p->nshares && !at; i++)
		if (++used > max) {
			at = &p->shares[i].origin;
			path = p->shares[i].path;
			key = "share";
		}
	if (at)
		report_at(c, at, SEV_ERROR, EXIT_CONFIG, "%s '%s': machine %s takes %zu %s (disks, "
			  "shares and the network card together)", key, path,
			  machine_name(c->cfg->machine), max, microvm ? "virtio devices" :
			  "PCI devices");
}

/* What the microvm profile cannot host, said before QEMU starts. */
static void check_machine(struct check *c)
{
	check_slots(c);
	if (c->cfg->machine == MACHINE_MICROVM && c->cfg->cpus > 1)
		report(c, KEY_CPUS, SEV_ERROR, EXIT_CONFIG, "cpus %u with machine = microvm: "
		       "vmlaunch runs microvm without ACPI (under TCG its ACPI hangs boots), so "
		       "a guest finds one CPU only; use machine = pc or q35 for several",
		       c->cfg->cpus);
}

static void check_memory(struct check *c)
{
	unsigned long long host = host_memory_mib();

	if (host && c->cfg->memory_mib > host) {
		report(c, KEY_MEMORY, SEV_WARN, 0, "memory %lluM is more than this host's %lluM",
			 (unsigned long long)c->cfg->memory_mib, host);
	}
}

/*
 * Resolve the directory part of *PATH through the file system ("..",
 * symlinked directories), keeping the last component as written, so
 * messages and the command line name the file plainly.
 */
static void canonical_dir(char **path)
{
	char *dir, *real, *base;

	if (!*path)
		return;
	dir = path_dirname(*path);
	real = realpath(dir, NULL);
	if (real) {
		base = strrchr(*path, '/');
		base = xasprintf("%s%s", strcmp(real, "/") ? real : "", base ? base : "/");
		free(*path);
		*path = base;
	}
	free(real);
	free(dir);
}

unsigned config_validate(const struct vm_config *cfg, enum validate_mode mode,
			 const struct host_env *env, struct diag *d, struct vm_plan *plan)
{
	struct check c = { cfg, plan, mode, env, d };
	unsigned first = d->errors;
	size_t i;

	plan_init(plan, cfg);
	if (mode == VALIDATE_TEST) {
		/* The console is a private socket, made when the run starts. */
		plan->serial = SERIAL_SOCKET;
		plan_set(&plan->serial_path, NULL);
		plan_set(&plan->serial_log, NULL);
		for (i = 0; !cfg->s[KEY_SNAPSHOT].set && i < plan->ndisks; i++)
			plan->disks[i].snapshot = !plan->disks[i].readonly;
		c.mode = VALIDATE_STRICT;
	}
	canonical_dir(&plan->kernel);
	canonical_dir(&plan->initrd);
	for (i = 0; i < plan->ndisks; i++)
		canonical_dir(&plan->disks[i].path);
	for (i = 0; i < plan->nshares; i++)
		canonical_dir(&plan->shares[i].path);
	canonical_dir(&plan->serial_path);
	canonical_dir(&plan->serial_log);
	if (strchr(plan->qemu, '/'))
		canonical_dir(&plan->qemu);

	check_kernel(&c);
	check_initrd(&c);
	check_modules(&c);
	check_disks(&c);
	check_shares(&c);
	if (mode != VALIDATE_TEST)
		check_serial(&c);
	check_net(&c);
	check_debug(&c);
	check_cmdline(&c);
	check_machine(&c);
	check_memory(&c);
	check_qemu(&c);
	check_accel(&c);
	return d->errors - first;
}

unsigned validate_rules(const struct vm_config *cfg, struct vm_plan *plan, struct diag *d)
{
	struct check c = { cfg, plan, VALIDATE_STRICT, NULL, d };
	unsigned first = d->errors;

	check_net_keys(&c);
	check_gdb_clash(&c);
	check_cmdline(&c);
	check_machine(&c);
	return d->errors - first;
}
