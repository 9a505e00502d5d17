#include "validate.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "exitcodes.h"
#include "imagefmt.h"
#include "path.h"
#include "qemu_argv.h"
#include "xalloc.h"

struct check {
	struct vm_config *cfg;
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

static void report(struct check *c, enum cfg_key key, enum severity sev, int status,
		   const char *fmt, ...)
{
	struct origin at = config_origin(c->cfg, key);
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (sev == SEV_ERROR || (sev == SEV_HOST && c->mode == VALIDATE_STRICT))
		diag_error(c->d, &at, status, "%s", msg);
	else
		diag_warn(c->d, &at, "%s", msg);
	free(msg);
}

/*
 * Open an input file named by KEY.  A missing file is a host problem (only
 * a warning for print); anything else wrong with it is an error.
 */
static int open_input(struct check *c, enum cfg_key key, const char *path, int flags)
{
	const char *what = cfg_keys[key].name;
	struct stat st;
	int fd;

	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			report(c, key, SEV_HOST, EXIT_NOINPUT, "%s '%s' does not exist", what, path);
		else if (err == EISDIR)
			report(c, key, SEV_ERROR, EXIT_NOINPUT, "%s '%s' is a directory, not a file",
			       what, path);
		else
			report(c, key, SEV_ERROR, EXIT_NOINPUT, "%s '%s' cannot be opened%s: %s",
			       what, path, (flags & O_ACCMODE) == O_RDWR ?
			       " for reading and writing (QEMU opens it read-write)" : "",
			       strerror(err));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		report(c, key, SEV_ERROR, EXIT_NOINPUT, "%s '%s' cannot be examined: %s", what,
		       path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!(S_ISREG(st.st_mode) ||
	    (key == KEY_ROOTFS && S_ISBLK(st.st_mode)))) {
		report(c, key, SEV_ERROR, EXIT_NOINPUT, "%s '%s' is %s, not a regular file",
		       what, path, S_ISDIR(st.st_mode) ? "a directory" : "a special file");
		close(fd);
		return -1;
	}
	return fd;
}

static void check_kernel(struct check *c)
{
	struct kernel_info info;
	struct stat st;
	char why[256];
	void *map = NULL;
	int fd = open_input(c, KEY_KERNEL, c->cfg->kernel, O_RDONLY);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			report(c, KEY_KERNEL, SEV_ERROR, EXIT_NOINPUT, "kernel '%s' cannot be read: %s",
			       c->cfg->kernel, strerror(errno));
			close(fd);
			return;
		}
	}
	if (kernel_identify(map, map ? (size_t)st.st_size : 0, &info, why, sizeof(why)) < 0) {
		report(c, KEY_KERNEL, SEV_ERROR, EXIT_CONFIG, "kernel '%s': %s", c->cfg->kernel, why);
	} else {
		diag_info(c->d, "kernel: %s: %s%s%s", c->cfg->kernel, kernel_kind_name(info.kind),
			  info.version[0] ? ", " : "", info.version);
	}
	if (map)
		munmap(map, (size_t)st.st_size);
	close(fd);
}

static void check_rootfs(struct check *c)
{
	unsigned char head[65536];
	struct stat st;
	enum disk_kind kind;
	ssize_t n;
	int fd;

	if (!c->cfg->rootfs)
		return;
	/* QEMU opens the disk read-write (read-only under a snapshot): find out now. */
	fd = open_input(c, KEY_ROOTFS, c->cfg->rootfs, c->cfg->snapshot ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return;
	n = pread(fd, head, sizeof(head), 0);
	c->cfg->rootfs_is_device = fstat(fd, &st) == 0 && S_ISBLK(st.st_mode);
	close(fd);
	kind = disk_identify(head, n > 0 ? (size_t)n : 0);
	if (kind == DISK_EXT2 || kind == DISK_EXT3 || kind == DISK_EXT4) {
		diag_info(c->d, "rootfs: %s: %s file system%s", c->cfg->rootfs, disk_kind_name(kind),
			  c->cfg->snapshot ? " (read-only, writes go to a throw-away overlay)" : "");
		return;
	}
	report(c, KEY_ROOTFS, SEV_WARN, 0, "rootfs '%s' is not an ext2/3/4 file system (found: %s)%s",
		 c->cfg->rootfs, disk_kind_name(kind),
		 kind == DISK_QCOW2 ? "; vmlaunch attaches disks as raw files: convert it "
				      "with qemu-img convert -O raw" :
		 kind == DISK_PARTITIONED ? "; name the partition, e.g. append = \"root=/dev/vda1\"" :
		 "; the guest may not mount it");
}

static void check_initrd(struct check *c)
{
	int fd;

	if (!c->cfg->initrd)
		return;
	fd = open_input(c, KEY_INITRD, c->cfg->initrd, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

/* Is anything listening on the unix socket PATH? 1 yes, 0 stale, -1 errno. */
static int socket_is_live(const char *path)
{
	struct sockaddr_un sa;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0)
		return 1;
	return errno == ECONNREFUSED ? 0 : -1;
}

static void check_serial(struct check *c)
{
	const char *path = c->cfg->serial_path;
	struct sockaddr_un sa;
	struct stat st;
	char *dir;
	int live;

	if (c->cfg->serial != SERIAL_SOCKET)
		return;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		report(c, KEY_SERIAL, SEV_ERROR, EXIT_CONFIG, "serial socket path '%s' is %zu "
		       "bytes; a unix socket path has at most %zu: choose a shorter one",
		       path, strlen(path), sizeof(sa.sun_path) - 1);
		return;
	}
	dir = path_dirname(path);
	errno = 0;
	memset(&st, 0, sizeof(st));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		int err = errno;

		report(c, KEY_SERIAL, SEV_HOST, EXIT_NOINPUT, "directory '%s' of serial socket "
		       "'%s' %s%s", dir, path, err == ENOENT ? "does not exist" :
		       err ? "cannot be examined: " : "is not a directory",
		       err && err != ENOENT ? strerror(err) : "");
		free(dir);
		return;
	}
	free(dir);
	if (c->cfg->serial_log && lstat(c->cfg->serial_log, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* QEMU would truncate whatever it finds there, through a symlink too. */
		report(c, KEY_SERIAL, SEV_ERROR, EXIT_NOINPUT, "boot log path '%s' exists and is "
		       "not a regular file; refusing to overwrite it", c->cfg->serial_log);
		return;
	}
	diag_info(c->d, "serial: socket %s (owner-only), boot log %s", path,
		  c->cfg->serial_log ? c->cfg->serial_log : "none");
	if (lstat(path, &st) < 0)
		return;         /* nothing there: QEMU creates it */
	if (!S_ISSOCK(st.st_mode)) {
		/* QEMU would unlink whatever is there: never let it. */
		report(c, KEY_SERIAL, SEV_ERROR, EXIT_NOINPUT, "serial socket path '%s' exists "
		       "and is not a socket; refusing to replace it (remove it yourself or "
		       "choose another path)", path);
		return;
	}
	live = socket_is_live(path);
	if (live == 1) {
		report(c, KEY_SERIAL, SEV_HOST, EXIT_UNAVAILABLE, "serial socket '%s' is in use: "
		       "something is listening on it (another VM?)", path);
	} else if (live < 0) {
		report(c, KEY_SERIAL, SEV_HOST, EXIT_NOINPUT, "serial socket '%s' cannot be "
		       "checked: %s", path, strerror(errno));
	} else {
		diag_info(c->d, "serial: stale socket '%s' (nobody listening) will be replaced", path);
	}
}

static void check_accel(struct check *c)
{
	struct kvm_probe probe;
	char why[512];

	if (c->cfg->accel == ACCEL_TCG) {
		c->cfg->accel_use = ACCEL_TCG;
		diag_info(c->d, "accel: tcg (software emulation), as configured");
		return;
	}
	host_probe_kvm(c->env, &probe);
	kvm_problem(c->env, &probe, why, sizeof(why));
	if (probe.state == KVM_USABLE) {
		c->cfg->accel_use = ACCEL_KVM;
		diag_info(c->d, "accel: kvm (%s)", why);
		return;
	}
	if (c->cfg->accel == ACCEL_AUTO) {
		c->cfg->accel_use = ACCEL_TCG;
		report(c, KEY_ACCEL, SEV_WARN, 0, "accel auto: using tcg (software emulation, slower): %s",
			 why);
		return;
	}
	c->cfg->accel_use = ACCEL_KVM;
	report(c, KEY_ACCEL, SEV_HOST, EXIT_UNAVAILABLE, "accel kvm%s: %s; %s",
	       c->cfg->s[KEY_ACCEL].set ? "" : " (the default)", why, kvm_fix(&probe));
}

static void check_qemu(struct check *c)
{
	char *found = host_find_program(c->cfg->qemu);

	if (found) {
		diag_info(c->d, "qemu: %s", found);
		free(found);
		return;
	}
	if (strchr(c->cfg->qemu, '/'))
		report(c, KEY_QEMU, SEV_HOST, EXIT_UNAVAILABLE, "QEMU '%s' %s", c->cfg->qemu,
			 errno == ENOENT ? "does not exist" : "is not executable");
	else
		report(c, KEY_QEMU, SEV_HOST, EXIT_UNAVAILABLE, "QEMU '%s' not found in PATH; "
		       "install it: sudo apt-get install qemu-system-x86", c->cfg->qemu);
}

static void check_cmdline(struct check *c)
{
	char *cmdline = kernel_cmdline(c->cfg);
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
	if (c->cfg->serial == SERIAL_NONE && !console)
		diag_info(c->d, "serial none: the guest's console goes nowhere");
	diag_info(c->d, "kernel command line: %s%s%s", cmdline,
		  c->cfg->rootfs && !cmdline_has_param(c->cfg->append, "root") ?
		  " (added root=/dev/vda: the rootfs)" : "",
		  c->cfg->serial != SERIAL_NONE && !console ? " (added console=ttyS0: the serial port)" : "");
	free(console);
	free(cmdline);
}

/* What the microvm profile cannot host, said before QEMU starts. */
static void check_machine(struct check *c)
{
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

unsigned config_validate(struct vm_config *cfg, enum validate_mode mode,
			 const struct host_env *env, struct diag *d)
{
	struct check c = { cfg, mode, env, d };
	unsigned first = d->errors;

	canonical_dir(&cfg->kernel);
	canonical_dir(&cfg->rootfs);
	canonical_dir(&cfg->initrd);
	canonical_dir(&cfg->serial_path);
	canonical_dir(&cfg->serial_log);
	if (strchr(cfg->qemu, '/'))
		canonical_dir(&cfg->qemu);

	check_kernel(&c);
	check_initrd(&c);
	check_rootfs(&c);
	check_serial(&c);
	check_cmdline(&c);
	check_machine(&c);
	check_memory(&c);
	check_qemu(&c);
	check_accel(&c);
	return d->errors - first;
}
