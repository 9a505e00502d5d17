/*
 * The VM's devices, each a guest device paired with its host backend by
 * an id, as one typed list built from the plan.  Pure: no I/O.  Renderers
 * (the QEMU argv today) only render this list; none parses strings.
 */
#ifndef VMLAUNCH_DEVICES_H
#define VMLAUNCH_DEVICES_H

#include <stddef.h>

#include "plan.h"
#include "strbuf.h"

enum dev_kind {
	DEV_DISK,        /* virtio-blk on a block node */
	DEV_SERIAL,      /* isa-serial on a chardev: socket or the terminal */
	DEV_NIC,         /* virtio-net or e1000 on a netdev */
	DEV_SHARE,       /* virtio-9p on an fsdev: a host directory */
	DEV_DEBUG_EXIT,  /* isa-debug-exit: the guest's status ends QEMU */
	DEV_GDB,         /* QEMU's gdb stub */
	DEV_QMP,         /* a QMP control socket: started and supervised VMs */
};

enum nic_model { NIC_VIRTIO, NIC_E1000 };

struct device {
	enum dev_kind kind;
	const char *id;          /* pairs the device with its backend */
	int mmio;                /* virtio on microvm's MMIO transports, not PCI */
	union {
		const struct plan_disk *disk;
		const struct plan_share *share;
		struct {
			enum serial_mode mode;   /* SERIAL_SOCKET or SERIAL_STDIO */
			const char *path, *log;  /* socket: its path, QEMU's logfile= or NULL */
			int wait;                /* QEMU waits for a client first */
		} serial;
		struct {
			enum nic_model model;
			enum net_backend backend;
			const char *tap;         /* NETBE_TAP */
			const unsigned char *mac;
			const struct forward *forwards;  /* NETBE_USER */
			size_t nforwards;
		} nic;
		struct {
			unsigned iobase, iosize;
		} debug_exit;
		struct {
			const char *addr;
			unsigned port;
			int wait;                /* start paused (-S) */
		} gdb;
		const char *qmp_path;
	} u;
};

struct device_list {
	struct device *v;
	size_t n;
};

#define DEVICE_LIST_INIT { NULL, 0 }

/*
 * The devices of plan P, in the order they are rendered.  Returns 0, or -1
 * with the reason in WHY for a plan validation refuses (never half-built).
 */
int devices_build(const struct vm_plan *p, struct device_list *out, struct strbuf *why);
void devices_free(struct device_list *l);

/* How many ports from debug_exit's PORT on the isa-debug-exit device covers. */
unsigned debug_exit_iosize(unsigned port);

#endif
