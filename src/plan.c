#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void plan_set(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static void add_disk(struct vm_plan *p, char *id, const struct cfg_disk *c, enum cfg_key key)
{
	struct plan_disk *d;

	p->disks = xrealloc(p->disks, (p->ndisks + 1) * sizeof(*p->disks));
	d = &p->disks[p->ndisks++];
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->path = xstrdup(c->path);
	d->format = c->format;
	d->readonly = c->ro;
	/* snapshot = yes covers every writable disk. */
	d->snapshot = p->cfg->snapshot && !c->ro;
	d->key = key;
	d->origin = c->origin;
}

/* The default tag: the directory's name, made into a valid tag. */
static char *default_tag(const char *path)
{
	const char *base = strrchr(path, '/');
	char *tag;
	size_t i;

	base = base && base[1] ? base + 1 : "root";
	tag = xstrndup(base, CONFIG_TAG_MAX);
	for (i = 0; tag[i]; i++) {
		char ch = tag[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			tag[i] = '_';
	}
	if (tag[0] == '.' || tag[0] == '-')
		tag[0] = '_';
	return tag;
}

void plan_init(struct vm_plan *p, const struct vm_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->kernel = cfg->kernel ? xstrdup(cfg->kernel) : NULL;
	p->initrd = cfg->initrd ? xstrdup(cfg->initrd) : NULL;
	p->qemu = cfg->qemu ? xstrdup(cfg->qemu) : NULL;
	p->accel = cfg->accel == ACCEL_AUTO ? ACCEL_TCG : cfg->accel;
	p->kernel_os = KERNEL_OS_LINUX;
	size_t i;

	if (cfg->rootfs) {
		add_disk(p, xstrdup("rootfs"), &cfg->rootfs_disk, KEY_ROOTFS);
		p->has_rootfs = 1;
	}
	for (i = 0; i < cfg->ndisks; i++)
		add_disk(p, xasprintf("disk%zu", i + 1), &cfg->disks[i], KEY_DISK);
	p->shares = xcalloc(cfg->nshares + 1, sizeof(*p->shares));
	for (i = 0; i < cfg->nshares; i++) {
		struct plan_share *sh = &p->shares[p->nshares++];

		sh->id = xasprintf("share%zu", i + 1);
		sh->path = xstrdup(cfg->shares[i].path);
		sh->tag = cfg->shares[i].tag ? xstrdup(cfg->shares[i].tag) :
			  default_tag(cfg->shares[i].path);
		sh->rw = cfg->shares[i].rw;
		sh->origin = cfg->shares[i].origin;
	}
	p->serial = cfg->serial;
	if (cfg->serial == SERIAL_SOCKET && cfg->serial_path) {
		p->serial_path = xstrdup(cfg->serial_path);
		/* The boot log beside the socket outlives any console (console --replay). */
		p->serial_log = xasprintf("%s.log", cfg->serial_path);
	}
}

void plan_free(struct vm_plan *p)
{
	size_t i;

	for (i = 0; i < p->ndisks; i++) {
		size_t b;

		free(p->disks[i].id);
		free(p->disks[i].path);
		free(p->disks[i].overlay);
		for (b = 0; b < p->disks[i].nbacking; b++)
			free(p->disks[i].backing[b].path);
	}
	free(p->disks);
	for (i = 0; i < p->nshares; i++) {
		free(p->shares[i].id);
		free(p->shares[i].path);
		free(p->shares[i].tag);
	}
	free(p->shares);
	free(p->kernel);
	free(p->initrd);
	free(p->qemu);
	free(p->serial_path);
	free(p->serial_log);
	free(p->qmp_path);
	free(p->kernel_version);
	free(p->modules_tree);
	strvec_clear(&p->modules);
	free(p->incoming);
	memset(p, 0, sizeof(*p));
}
