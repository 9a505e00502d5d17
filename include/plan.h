/*
 * The plan: what validation made of a config.  The config says what the
 * file and -o say; the plan is what vmlaunch will do: resolved paths, the
 * accelerator (never "auto"), what the kernel is, the disks with their
 * formats, and the runtime artefacts a command adds before it starts QEMU
 * (overlays, the boot log's descriptor, a private console).  Validation
 * reads the config and writes the plan; nothing writes the config.
 *
 *   config (config.h) --validate.h--> plan --devices.h--> devices
 *   --qemu_argv.h--> QEMU's argv
 */
#ifndef VMLAUNCH_PLAN_H
#define VMLAUNCH_PLAN_H

#include <stddef.h>

#include "config.h"

/* What validation found the kernel to be: Linux gets root= and console=. */
enum kernel_os { KERNEL_OS_LINUX, KERNEL_OS_OTHER };

/* A file under a qcow2 disk (its backing chain), read-only to QEMU. */
struct plan_backing {
	char *path;
	enum disk_format format;
};

#define PLAN_BACKING_MAX 16

/* A disk of the VM, as QEMU will open it. */
struct plan_disk {
	char *id;               /* node and device id: "rootfs", "disk1", ... */
	char *path;             /* absolute */
	enum disk_format format;    /* QEMU is always told it, never guesses */
	int readonly;           /* ro: read-only to QEMU and to the guest */
	int is_device;          /* a block device: QEMU's host_device driver */
	int snapshot;           /* writes go to a throw-away overlay */
	char *overlay;          /* that overlay once made (/proc/self/fd/N), or NULL */
	unsigned long long size;    /* the guest's disk size, for the overlay; 0: the file's */
	struct plan_backing backing[PLAN_BACKING_MAX];   /* nearest first */
	size_t nbacking;
	enum cfg_key key;       /* the key it came from, for messages */
	struct origin origin;
};

/* A host directory shared with the guest over virtio-9p. */
struct plan_share {
	char *id;               /* "share1", ... */
	char *path;             /* absolute */
	char *tag;              /* the guest mounts it at /mnt/TAG */
	int rw;
	struct origin origin;
};

struct vm_plan {
	const struct vm_config *cfg;
	char *kernel;           /* absolute, directories resolved */
	char *initrd;           /* or NULL */
	char *qemu;             /* program name, or absolute path */
	enum accel accel;       /* kvm or tcg */
	enum kernel_os kernel_os;
	struct plan_disk *disks;    /* the rootfs first, when there is one */
	size_t ndisks;
	int has_rootfs;
	struct plan_share *shares;
	size_t nshares;
	enum serial_mode serial;
	char *serial_path;      /* the socket, when serial is one */
	char *serial_log;       /* QEMU's logfile=: a path, or /proc/self/fd/N */
	int serial_wait;        /* QEMU waits for the console before the guest starts */
	char *qmp_path;         /* started and supervised VMs: the QMP control socket */
	int no_reboot;          /* a guest's reboot ends QEMU (vmlaunch test) */
	char *kernel_version;   /* a bzImage's release ("6.1.0-57-amd64"), or NULL */
	char *modules_tree;     /* modules = : the lib/modules/VERSION directory used */
	struct strvec modules;  /* what vmlaunch's initramfs loads, dependencies first */
	char *incoming;         /* --restore: QEMU's -incoming ("fd:N"), or NULL */
};

/* The plan as the config says, before any look at the host. */
void plan_init(struct vm_plan *p, const struct vm_config *cfg);
void plan_free(struct vm_plan *p);

/* Replace *DST with S (owned). */
void plan_set(char **dst, char *s);

#endif
