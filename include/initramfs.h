/*
 * modules = DIR: the small initramfs vmlaunch builds for a modular kernel.
 * It holds vmlaunch-init (src/guest/init.c, embedded in vmlaunch) and the
 * modules the VM's devices need, with what they depend on.  The archive is
 * kept in ${XDG_CACHE_HOME:-$HOME/.cache}/vmlaunch/initramfs/HASH.cpio,
 * HASH over everything that goes into it, so a second boot reuses it.
 */
#ifndef VMLAUNCH_INITRAMFS_H
#define VMLAUNCH_INITRAMFS_H

#include <stddef.h>

#include "diag.h"
#include "plan.h"
#include "strbuf.h"
#include "strvec.h"

/* vmlaunch-init's bytes (src/guest/blob.S). */
extern const unsigned char vmlaunch_init_start[], vmlaunch_init_end[];

#define INITRAMFS_MODULE_MAX (64u << 20)    /* a larger .ko is not a driver */
#define INITRAMFS_NEEDS_MAX 16

/* Why a module goes in, and the module. */
struct initramfs_need {
	const char *name;
	const char *why;
	int optional;           /* used when the tree has it; else fine */
	int builtin_only;       /* as a module it would not work: refused unless built in */
	int fs;                 /* a file system type of rootfstype=: NAME or alias fs-NAME */
};

/*
 * The modules the devices of PLAN need (NEEDS has room for INITRAMFS_NEEDS_MAX), from the
 * machine, disks, network card, shares and the root's file system types
 * (FSTYPE: rootfstype=, comma-separated, or NULL for ext4).  Returns how many.
 */
size_t initramfs_needs(const struct vm_plan *p, const char *fstype,
		       struct initramfs_need *needs);

/*
 * /vmlaunch/exit for PLAN into BUF: how vmlaunch-init ends a failed boot
 * ("reboot" on microvm, "debug_exit PORT" with debug_exit).
 */
void initramfs_exit_conf(const struct vm_plan *p, char *buf, size_t n);

/*
 * The lib/modules/VERSION directory MODULES names (see vmlaunch.conf(5)),
 * for the kernel KERNEL of release VERSION.  Returns it (malloc'd), or
 * NULL with the sentence in WHY.
 */
char *initramfs_find_tree(const char *modules, const char *kernel, const char *version,
			  struct strbuf *why);

/*
 * The cache directory: ${XDG_CACHE_HOME:-$HOME/.cache}/vmlaunch/initramfs,
 * or NULL with WHY when neither is set to an absolute path.
 */
char *initramfs_cache_dir(struct strbuf *why);

/*
 * The archive: directories, dev/console, /init (INIT), /vmlaunch/exit
 * (EXIT_CONF: how the init ends a failed boot), /vmlaunch/modules (NAMES
 * in order) and /vmlaunch/NAME.ko for each (DATA[i], LEN[i]).
 */
void initramfs_cpio(struct strbuf *out, const unsigned char *init, size_t init_len,
		    const struct strvec *names, unsigned char *const *data, const size_t *len,
		    const char *exit_conf);

/*
 * For validation: the tree, the modules (into p->modules), and the
 * archive's path in the cache (p->initrd), built there now when BUILD and
 * not cached already.  Errors are reported at AT, those about rootfstype=
 * at APPEND_AT.  Returns 0 or -1.
 */
int initramfs_setup(struct vm_plan *p, int build, const struct origin *at,
		    const struct origin *append_at, struct diag *d);

#endif
