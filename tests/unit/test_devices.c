/*
 * The device model: config options of disks and shares, the plan as the
 * config says, and the typed device list built from it.
 */
#include <stdlib.h>

#include "config.h"
#include "devices.h"
#include "plan.h"
#include "qemu_argv.h"
#include "unit.h"

struct vm {
	struct vm_config cfg;
	struct vm_plan plan;
	struct diag d;
	FILE *null;
};

static unsigned load(struct vm *v, const char *text, const char *override)
{
	unsigned errors;

	v->null = fopen("/dev/null", "w");
	diag_init(&v->d, v->null);
	config_init(&v->cfg, "vm.conf", "/vm");
	errors = config_parse_buffer(&v->cfg, text, strlen(text), &v->d);
	if (override)
		errors += config_override(&v->cfg, override, "/cwd", &v->d);
	if (!errors)
		errors = config_finish(&v->cfg, &v->d);
	plan_init(&v->plan, &v->cfg);
	return errors;
}

static void done(struct vm *v)
{
	plan_free(&v->plan);
	config_free(&v->cfg);
	fclose(v->null);
}

/* Options stand at the end of an unquoted value; a quoted path keeps every word. */
static void test_disk_options(void)
{
	struct vm v;

	CHECK(load(&v, "kernel=k\nrootfs = my disk.img ro\ndisk = a b.qcow2\n"
		   "disk = \"c ro\" format=qcow2 ro\ndisk = d.img format=raw\n", "disk=e.qcow2") == 0);
	CHECK_STR(v.cfg.rootfs, "/vm/my disk.img");
	CHECK(v.cfg.rootfs_disk.ro && v.cfg.rootfs_disk.format == FORMAT_RAW);
	CHECK(v.cfg.ndisks == 4);
	CHECK_STR(v.cfg.disks[0].path, "/vm/a b.qcow2");
	CHECK(v.cfg.disks[0].format == FORMAT_QCOW2 && !v.cfg.disks[0].format_given);
	CHECK_STR(v.cfg.disks[1].path, "/vm/c ro");
	CHECK(v.cfg.disks[1].ro && v.cfg.disks[1].format_given);
	CHECK(v.cfg.disks[2].format == FORMAT_RAW && !v.cfg.disks[2].ro);
	/* -o adds one occurrence, its paths from the current directory. */
	CHECK_STR(v.cfg.disks[3].path, "/cwd/e.qcow2");
	CHECK(v.cfg.disks[1].origin.line == 4 && v.cfg.disks[3].origin.line == 0);
	done(&v);
}

static void test_share_options(void)
{
	struct vm v;

	CHECK(load(&v, "kernel=k\nshare = /srv/data rw tag=d\nshare = \"/a b/My Dir!\"\n", NULL) == 0);
	CHECK(v.plan.nshares == 2);
	CHECK_STR(v.plan.shares[0].tag, "d");
	CHECK(v.plan.shares[0].rw);
	CHECK_STR(v.plan.shares[1].path, "/a b/My Dir!");
	CHECK_STR(v.plan.shares[1].tag, "My_Dir_");   /* from the name, made valid */
	CHECK(!v.plan.shares[1].rw);
	done(&v);
	CHECK(load(&v, "kernel=k\nshare = /x tag=a,b\n", NULL) == 1);
	done(&v);
	CHECK(load(&v, "kernel=k\nrootfs = \"r\" rw\n", NULL) == 1);
	done(&v);
	/* Only keys with options take text after a quoted value. */
	CHECK(load(&v, "kernel = \"k\" ro\n", NULL) == 1);
	done(&v);
}

/* Plan order and ids: rootfs, disk1..; snapshot covers writable disks only. */
static void test_plan_disks(void)
{
	struct vm v;

	CHECK(load(&v, "kernel=k\nsnapshot=yes\ndisk=a.img ro\nrootfs=r.img\ndisk=b.qcow2\n", NULL) == 0);
	CHECK(v.plan.ndisks == 3 && v.plan.has_rootfs);
	CHECK_STR(v.plan.disks[0].id, "rootfs");
	CHECK_STR(v.plan.disks[1].id, "disk1");
	CHECK_STR(v.plan.disks[2].id, "disk2");
	CHECK(v.plan.disks[0].snapshot && !v.plan.disks[1].snapshot && v.plan.disks[2].snapshot);
	CHECK(v.plan.disks[1].readonly && v.plan.disks[2].format == FORMAT_QCOW2);
	done(&v);
}

static void test_device_list(void)
{
	struct device_list l = DEVICE_LIST_INIT;
	struct strbuf why = STRBUF_INIT;
	struct vm v;

	CHECK(load(&v, "kernel=k\nrootfs=r\ndisk=d\nshare=/s\nnet=virtio\nserial=/t/s.sock\n"
		   "gdb=1234\ndebug_exit=yes\nmachine=microvm\n", NULL) == 0);
	CHECK(devices_build(&v.plan, &l, &why) == 0);
	CHECK(l.n == 7);
	if (l.n == 7) {
		CHECK(l.v[0].kind == DEV_DISK && strcmp(l.v[0].id, "rootfs") == 0 && l.v[0].mmio);
		CHECK(l.v[1].kind == DEV_DISK && strcmp(l.v[1].id, "disk1") == 0);
		CHECK(l.v[2].kind == DEV_SERIAL && !l.v[2].mmio);
		CHECK_STR(l.v[2].u.serial.path, "/t/s.sock");
		CHECK_STR(l.v[2].u.serial.log, "/t/s.sock.log");
		CHECK(l.v[3].kind == DEV_NIC && l.v[3].mmio && l.v[3].u.nic.model == NIC_VIRTIO);
		CHECK(l.v[4].kind == DEV_SHARE && strcmp(l.v[4].u.share->tag, "s") == 0);
		CHECK(l.v[5].kind == DEV_DEBUG_EXIT && l.v[5].u.debug_exit.iobase == 0xf4);
		CHECK(l.v[6].kind == DEV_GDB && l.v[6].u.gdb.port == 1234);
	}
	devices_free(&l);
	done(&v);
	/* A plan validation refuses is refused, never half-built. */
	CHECK(load(&v, "kernel=k\nnet=e1000\nmachine=microvm\n", NULL) == 0);
	CHECK(devices_build(&v.plan, &l, &why) == -1 && l.n == 0 && l.v == NULL);
	CHECK(why.buf && strstr(why.buf, "e1000"));
	sb_release(&why);
	done(&v);
}

/* A qcow2 disk with its chain: every node named, backing files read-only. */
static void test_render_chain(void)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct strbuf all = STRBUF_INIT;
	struct vm v;
	size_t i;

	CHECK(load(&v, "kernel=k\naccel=tcg\nserial=none\ndisk=top.qcow2\n", NULL) == 0);
	v.plan.disks[0].backing[0].path = strdup("/vm/mid.qcow2");
	v.plan.disks[0].backing[0].format = FORMAT_QCOW2;
	v.plan.disks[0].backing[1].path = strdup("/vm/base,1.img");
	v.plan.disks[0].backing[1].format = FORMAT_RAW;
	v.plan.disks[0].nbacking = 2;
	CHECK(qemu_cmd_build(&v.plan, &cmd) == 0);
	for (i = 0; i < cmd.argv.n; i++)
		sb_addf(&all, "%s|", cmd.argv.v[i]);
	CHECK(strstr(all.buf, "-blockdev|driver=file,node-name=disk1-b2,filename=/vm/base,,1.img,"
		     "read-only=on|-blockdev|driver=file,node-name=disk1-b1-file,filename=/vm/mid.qcow2,"
		     "read-only=on|-blockdev|driver=qcow2,node-name=disk1-b1,file=disk1-b1-file,"
		     "backing=disk1-b2,read-only=on|-blockdev|driver=file,node-name=disk1-file,"
		     "filename=/vm/top.qcow2|-blockdev|driver=qcow2,node-name=disk1,file=disk1-file,"
		     "backing=disk1-b1|") != NULL);
	sb_release(&all);
	qemu_cmd_free(&cmd);
	done(&v);
}

const struct unit_case devices_cases[] = {
	{ "devices/disk-options", test_disk_options },
	{ "devices/share-options", test_share_options },
	{ "devices/plan-disks", test_plan_disks },
	{ "devices/device-list", test_device_list },
	{ "devices/render-chain", test_render_chain },
	{ NULL, NULL },
};
