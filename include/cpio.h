/*
 * A newc ("070701") cpio archive, the format the Linux kernel unpacks as an
 * initramfs, built in memory.  Deterministic: inode numbers count up from
 * 1, and mtime, uid and gid are 0, so the bytes depend on the entries only.
 */
#ifndef VMLAUNCH_CPIO_H
#define VMLAUNCH_CPIO_H

#include <stddef.h>

#include "strbuf.h"

struct cpio {
	struct strbuf out;
	unsigned long ino;
};

#define CPIO_INIT { STRBUF_INIT, 0 }

/* NAME is relative ("init", "lib/modules/x.ko"); PERM the permission bits. */
void cpio_add_dir(struct cpio *c, const char *name, unsigned perm);
void cpio_add_file(struct cpio *c, const char *name, unsigned perm, const void *data,
		   size_t len);
/* A character device node NAME (e.g. dev/console, 5 1). */
void cpio_add_chardev(struct cpio *c, const char *name, unsigned perm, unsigned major,
		      unsigned minor);
/* The trailer entry: the archive is complete in c->out. */
void cpio_finish(struct cpio *c);
void cpio_release(struct cpio *c);

#endif
