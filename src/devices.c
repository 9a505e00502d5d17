#include "devices.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static struct device *add(struct device_list *l, enum dev_kind kind, const char *id, int mmio)
{
	struct device *dev;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	dev = &l->v[l->n++];
	memset(dev, 0, sizeof(*dev));
	dev->kind = kind;
	dev->id = id;
	dev->mmio = mmio;
	return dev;
}

static int add_serial(const struct vm_plan *p, struct device_list *l, struct strbuf *why)
{
	struct device *dev;

	if (p->serial == SERIAL_NONE)
		return 0;
	if (p->serial == SERIAL_SOCKET && !p->serial_path) {
		sb_adds(why, "a serial socket without a path");
		return -1;
	}
	dev = add(l, DEV_SERIAL, "serial0", 0);
	dev->u.serial.mode = p->serial;
	dev->u.serial.path = p->serial_path;
	dev->u.serial.log = p->serial_log;
	dev->u.serial.wait = p->serial_wait;
	return 0;
}

static int add_nic(const struct vm_plan *p, int mmio, struct device_list *l, struct strbuf *why)
{
	const struct vm_config *cfg = p->cfg;
	struct device *dev;

	if (cfg->net == NET_NONE)
		return 0;
	if (cfg->net == NET_E1000 && mmio) {
		sb_adds(why, "an e1000 (a PCI card) on microvm, which has no PCI bus");
		return -1;
	}
	if (cfg->net_backend == NETBE_TAP && !cfg->net_tap) {
		sb_adds(why, "net_backend tap without net_tap");
		return -1;
	}
	if (cfg->net_backend != NETBE_USER && cfg->nforwards) {
		sb_adds(why, "forward rules without user networking");
		return -1;
	}
	dev = add(l, DEV_NIC, "net0", cfg->net == NET_VIRTIO && mmio);
	dev->u.nic.model = cfg->net == NET_E1000 ? NIC_E1000 : NIC_VIRTIO;
	dev->u.nic.backend = cfg->net_backend;
	dev->u.nic.tap = cfg->net_tap;
	dev->u.nic.mac = cfg->net_mac;
	dev->u.nic.forwards = cfg->forwards;
	dev->u.nic.nforwards = cfg->nforwards;
	return 0;
}

/*
 * 0xf4 keeps the 4 bytes QEMU's documentation gives it; another port gets 2,
 * as in Unikraft's documented command line (it writes one byte to 0x501).
 */
unsigned debug_exit_iosize(unsigned port)
{
	return port == DEBUG_EXIT_PORT_YES ? 4 : 2;
}

int devices_build(const struct vm_plan *p, struct device_list *out, struct strbuf *why)
{
	const struct vm_config *cfg = p->cfg;
	int mmio = cfg->machine == MACHINE_MICROVM;
	size_t i;

	out->v = NULL;
	out->n = 0;
	for (i = 0; i < p->ndisks; i++)
		add(out, DEV_DISK, p->disks[i].id, mmio)->u.disk = &p->disks[i];
	if (add_serial(p, out, why) < 0 || add_nic(p, mmio, out, why) < 0) {
		devices_free(out);
		return -1;
	}
	for (i = 0; i < p->nshares; i++)
		add(out, DEV_SHARE, p->shares[i].id, mmio)->u.share = &p->shares[i];
	if (cfg->debug_exit) {
		struct device *dev = add(out, DEV_DEBUG_EXIT, "debugexit0", 0);

		/* The guest's write of N to the port ends QEMU with (N << 1) | 1. */
		dev->u.debug_exit.iobase = cfg->debug_exit;
		dev->u.debug_exit.iosize = debug_exit_iosize(cfg->debug_exit);
	}
	if (cfg->gdb_addr) {
		struct device *dev = add(out, DEV_GDB, "gdb0", 0);

		dev->u.gdb.addr = cfg->gdb_addr;
		dev->u.gdb.port = cfg->gdb_port;
		dev->u.gdb.wait = cfg->gdb_wait;
	}
	if (p->qmp_path)
		add(out, DEV_QMP, "qmp0", 0)->u.qmp_path = p->qmp_path;
	return 0;
}

void devices_free(struct device_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
