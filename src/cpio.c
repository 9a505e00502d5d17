#include "cpio.h"

#include <stdio.h>
#include <string.h>

#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFCHR 0020000u

static void pad4(struct strbuf *sb)
{
	static const char zeros[4];

	if (sb->len % 4)
		sb_add(sb, zeros, 4 - sb->len % 4);
}

static void add_entry(struct cpio *c, const char *name, unsigned mode, unsigned nlink,
		      const void *data, size_t len, unsigned rmajor, unsigned rminor)
{
	char head[6 + 13 * 8 + 1];

	/* ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check */
	/* Every field is 32 bits: callers keep files below 4 GiB (a module is far smaller). */
	snprintf(head, sizeof(head), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 name ? (unsigned)(++c->ino & 0xffffffffu) : 0u, mode, 0u, 0u, nlink, 0u,
		 (unsigned)(len & 0xffffffffu), 0u, 0u, rmajor, rminor,
		 (unsigned)(strlen(name ? name : "TRAILER!!!") + 1), 0u);
	sb_add(&c->out, head, sizeof(head) - 1);
	sb_add(&c->out, name ? name : "TRAILER!!!", strlen(name ? name : "TRAILER!!!") + 1);
	pad4(&c->out);
	if (len) {
		sb_add(&c->out, data, len);
		pad4(&c->out);
	}
}

void cpio_add_dir(struct cpio *c, const char *name, unsigned perm)
{
	add_entry(c, name, CPIO_S_IFDIR | (perm & 07777), 2, NULL, 0, 0, 0);
}

void cpio_add_file(struct cpio *c, const char *name, unsigned perm, const void *data,
		   size_t len)
{
	add_entry(c, name, CPIO_S_IFREG | (perm & 07777), 1, data, len, 0, 0);
}

void cpio_add_chardev(struct cpio *c, const char *name, unsigned perm, unsigned major,
		      unsigned minor)
{
	add_entry(c, name, CPIO_S_IFCHR | (perm & 07777), 1, NULL, 0, major, minor);
}

void cpio_finish(struct cpio *c)
{
	add_entry(c, NULL, 0, 1, NULL, 0, 0, 0);
}

void cpio_release(struct cpio *c)
{
	sb_release(&c->out);
	c->ino = 0;
}
