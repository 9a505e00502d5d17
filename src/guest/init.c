/*
 * vmlaunch-init: the /init of the small initramfs vmlaunch builds for a
 * modular kernel (modules = DIR).  It runs in the guest, as PID 1, before
 * the root file system exists: it loads the modules vmlaunch put in
 * /vmlaunch (in the order of /vmlaunch/modules, dependencies first),
 * mounts the root disk the kernel command line names, and hands over to
 * the real init.  Static, libc only.  Every error line starts with
 * "vmlaunch-init: " and says "cannot" or "not found" (vmlaunch test fails
 * on those); then the VM powers off, so a run ends at once.
 *
 * Shares are left to the real system: the 9p modules are loaded here, and
 * the busybox image's rcS mounts every tag at /mnt/TAG as it does without
 * modules.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"

#define LIST "/vmlaunch/modules"
#define EXIT_CONF "/vmlaunch/exit"
#define NEWROOT "/newroot"
#define ROOT_WAIT_MS 10000
#define CMDLINE_MAX 4096

/* How a failed boot ends the VM: vmlaunch writes /vmlaunch/exit for its machine. */
static struct {
	int reboot;             /* microvm: no ACPI, so power-off only halts; -no-reboot ends QEMU */
	unsigned debug_port;    /* debug_exit: QEMU exits non-zero, so run's status says it */
} how_to_end;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0)
		return;     /* nowhere left to say it */
}

/*
 * The run ends here: through debug_exit when configured (QEMU's status is
 * then the guest's 1), else by powering off, or on microvm by a reboot
 * (-no-reboot makes it QEMU's end), or (if all fail) the kernel's panic on
 * init's exit.
 */
static void __attribute__((noreturn)) give_up(void)
{
	sync();
	if (how_to_end.debug_port && ioperm(how_to_end.debug_port, 1, 1) == 0)
		outb(1, (unsigned short)how_to_end.debug_port);
	reboot(how_to_end.reboot ? RB_AUTOBOOT : RB_POWER_OFF);
	_exit(1);
}

/* Lines "reboot" and "debug_exit PORT"; a missing file leaves power-off. */
static void read_exit_conf(void)
{
	char line[64];
	FILE *f = fopen(EXIT_CONF, "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (strcmp(line, "reboot\n") == 0)
			how_to_end.reboot = 1;
		else if (strncmp(line, "debug_exit ", 11) == 0)
			how_to_end.debug_port = (unsigned)strtoul(line + 11, NULL, 0) & 0xffffu;
	}
	if (f)
		fclose(f);
}

static void console(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void early_mounts(void)
{
	static const struct { const char *src, *dir, *type; } m[] = {
		{ "devtmpfs", "/dev", "devtmpfs" },
		{ "proc", "/proc", "proc" },
		{ "sysfs", "/sys", "sysfs" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		mkdir(m[i].dir, 0755);
		if (mount(m[i].src, m[i].dir, m[i].type, MS_NOSUID | MS_NOEXEC, NULL) < 0 &&
		    errno != EBUSY) {
			if (i > 0)
				console();
			say("vmlaunch-init: %s: cannot mount %s: %s", m[i].dir, m[i].type,
			    strerror(errno));
			give_up();
		}
		if (i == 0)
			console();
	}
}

static void load_one(const struct boot *b, const char *name)
{
	char path[300], params[1024];
	int fd;

	snprintf(path, sizeof(path), "/vmlaunch/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("vmlaunch-init: %s: cannot load: %s: %s", name, path, strerror(errno));
		give_up();
	}
	/* NAME.key=value words of the command line: the kernel applies only built-in ones. */
	boot_module_params(b, name, params, sizeof(params));
	if (syscall(SYS_finit_module, fd, params, 0) < 0 && errno != EEXIST) {
		say("vmlaunch-init: %s: cannot load: %s", name, strerror(errno));
		give_up();
	}
	close(fd);
	unlink(path);   /* its memory is the kernel's now; the copy would stay in RAM */
}

static void load_modules(const struct boot *b)
{
	char line[256];
	FILE *f = fopen(LIST, "re");

	if (!f) {
		say("vmlaunch-init: %s: cannot open: %s", LIST, strerror(errno));
		give_up();
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			load_one(b, line);
	}
	fclose(f);
}

/* The kernel's command line, up to "--": src/guest/cmdline.c. */
static void read_cmdline(struct boot *b)
{
	char buf[CMDLINE_MAX], why[300];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0) {
		say("vmlaunch-init: /proc/cmdline: cannot read: %s", strerror(errno));
		give_up();
	}
	buf[n] = '\0';
	if (boot_parse(b, buf, why, sizeof(why)) < 0) {
		say("vmlaunch-init: %s", why);
		give_up();
	}
}

/*
 * rootdelay= seconds first; then up to 10 s for the device, or with
 * rootwait for as long as it takes (the kernel's meaning), saying so once.
 */
static void wait_root(const struct boot *b)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 }, delay = { b->rootdelay, 0 };
	struct stat st;
	int ms;

	if (b->rootdelay > 0)
		nanosleep(&delay, NULL);
	for (ms = 0; stat(b->root, &st) < 0; ms += 50) {
		if (ms == ROOT_WAIT_MS && b->rootwait)
			say("vmlaunch-init: waiting for the root device %s (rootwait)", b->root);
		if (ms >= ROOT_WAIT_MS && !b->rootwait) {
			say("vmlaunch-init: root device %s not found after %d s", b->root,
			    ROOT_WAIT_MS / 1000);
			give_up();
		}
		nanosleep(&tick, NULL);
	}
}

/* rootfstype=, else ext4, else each block file system the kernel has, as the kernel does. */
static void mount_root(const struct boot *b)
{
	unsigned long flags = b->rw ? 0 : MS_RDONLY;
	const char *data = b->flags[0] ? b->flags : NULL;     /* rootflags= */
	char line[128];
	FILE *f;
	int err = ENODEV;

	mkdir(NEWROOT, 0755);
	if (b->fstype[0]) {
		char types[sizeof(b->fstype)], *t, *save = NULL;

		/* rootfstype=a,b: each in turn, as the kernel does. */
		snprintf(types, sizeof(types), "%s", b->fstype);
		for (t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (mount(b->root, NEWROOT, t, flags, data) == 0)
				return;
			if (errno != EINVAL || err == ENODEV)
				err = errno;
		}
	} else if (mount(b->root, NEWROOT, "ext4", flags, data) == 0) {
		return;     /* vmlaunch's default, tried first: ext4 also mounts ext2 and ext3 */
	} else if ((f = fopen("/proc/filesystems", "re"))) {
		while (fgets(line, sizeof(line), f)) {
			char *type = line + strspn(line, " \t");

			if (strncmp(line, "nodev", 5) == 0)
				continue;
			type[strcspn(type, " \t\n")] = '\0';
			if (mount(b->root, NEWROOT, type, flags, data) == 0) {
				fclose(f);
				return;
			}
			if (errno != EINVAL)
				err = errno;
		}
		fclose(f);
	}
	say("vmlaunch-init: root %s: cannot mount%s%s: %s", b->root, b->fstype[0] ? " as " : "",
	    b->fstype, strerror(err));
	give_up();
}

/*
 * The initramfs stays in RAM under the new root: empty it first (the init
 * is 700 KB), once the real init is known to be there.
 */
static void free_initramfs(const struct boot *b)
{
	char path[sizeof(NEWROOT) + sizeof(b->init)];
	struct stat st;

	snprintf(path, sizeof(path), NEWROOT "%s", b->init);
	if (b->init[0] != '/' || stat(path, &st) < 0) {
		say("vmlaunch-init: %s: cannot run init: not found on the root file system", b->init);
		give_up();
	}
	unlink("/init");
	unlink(LIST);
	unlink(EXIT_CONF);
	rmdir("/vmlaunch");
}

/* Like switch_root: /dev moves along, /proc and /sys are the real init's to mount. */
static void __attribute__((noreturn)) switch_root(struct boot *b, char **argv)
{
	free_initramfs(b);
	if (mount("/dev", NEWROOT "/dev", NULL, MS_MOVE, NULL) < 0)
		umount2("/dev", MNT_DETACH);
	umount2("/proc", MNT_DETACH);
	umount2("/sys", MNT_DETACH);
	if (chdir(NEWROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0) {
		say("vmlaunch-init: cannot switch to the root file system: %s", strerror(errno));
		give_up();
	}
	argv[0] = b->init;
	execv(b->init, argv);
	say("vmlaunch-init: %s: cannot run init: %s", b->init, strerror(errno));
	give_up();
}

int main(int argc, char **argv)
{
	static struct boot b;

	(void)argc;
	read_exit_conf();
	early_mounts();
	read_cmdline(&b);
	load_modules(&b);
	wait_root(&b);
	mount_root(&b);
	switch_root(&b, argv);
}
