#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void plan_set(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static void add_disk(struct vm_plan *p, const char *id, const char *path, enum cfg_key key)
{
	struct plan_disk *d;

	p->disks = xrealloc(p->disks, (p->ndisks + 1) * sizeof(*p->disks));
	d = &p->disks[p->ndisks++];
	memset(d, 0, sizeof(*d));
	d->id = xstrdup(id);
	d->path = xstrdup(path);
	d->snapshot = p->cfg->snapshot;
	d->key = key;
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
	if (cfg->rootfs) {
		add_disk(p, "rootfs", cfg->rootfs, KEY_ROOTFS);
		p->has_rootfs = 1;
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
		free(p->disks[i].id);
		free(p->disks[i].path);
		free(p->disks[i].overlay);
	}
	free(p->disks);
	free(p->kernel);
	free(p->initrd);
	free(p->qemu);
	free(p->serial_path);
	free(p->serial_log);
	free(p->monitor_path);
	memset(p, 0, sizeof(*p));
}
