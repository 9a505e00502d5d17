#include "qemu_argv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * Kernel parameters end at a lone "--": what follows goes to init, so a
 * "root=" there is not the kernel's.
 */
static const char *param_end(const char *cmdline)
{
	const char *p = cmdline;

	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			return p;
		if (p[0] == '-' && p[1] == '-' && (p[2] == '\0' || p[2] == ' ' || p[2] == '\t'))
			return p;
		p += strcspn(p, " \t");
	}
}

char *cmdline_param(const char *cmdline, const char *name)
{
	const char *p = cmdline, *end = param_end(cmdline), *found = NULL;
	size_t n = strlen(name), len = 0;

	while (p < end) {
		size_t w;

		p += strspn(p, " \t");
		w = strcspn(p, " \t");
		if (w > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			found = p + n + 1;
			len = w - n - 1;
		}
		p += w;
	}
	return found ? xstrndup(found, len) : NULL;
}

int cmdline_has_flag(const char *cmdline, const char *name)
{
	const char *p = cmdline, *end = param_end(cmdline);
	size_t n = strlen(name);

	while (p < end) {
		size_t w;

		p += strspn(p, " \t");
		w = strcspn(p, " \t");
		if (w == n && strncmp(p, name, n) == 0)
			return 1;
		p += w;
	}
	return 0;
}

int cmdline_has_param(const char *cmdline, const char *name)
{
	char *v = cmdline_param(cmdline, name);

	free(v);
	return v != NULL;
}

/* Append S[0..N) trimmed, separated from what is there by one space. */
static void add_words(struct strbuf *sb, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return;
	if (sb->len)
		sb_addc(sb, ' ');
	sb_add(sb, s, n);
}

/* Linux parameters vmlaunch adds; another kernel gets the user's words only. */
int cmdline_adds_root(const struct vm_plan *p)
{
	return p->kernel_os == KERNEL_OS_LINUX && p->has_rootfs &&
	       !cmdline_has_param(p->cfg->append ? p->cfg->append : "", "root");
}

int cmdline_adds_console(const struct vm_plan *p)
{
	return p->kernel_os == KERNEL_OS_LINUX && p->serial != SERIAL_NONE &&
	       !cmdline_has_param(p->cfg->append ? p->cfg->append : "", "console");
}

/* A gdb session wants symbols at their link addresses. */
int cmdline_adds_nokaslr(const struct vm_plan *p)
{
	const char *append = p->cfg->append ? p->cfg->append : "";

	return p->kernel_os == KERNEL_OS_LINUX && p->cfg->gdb_addr &&
	       !cmdline_has_flag(append, "nokaslr") && !cmdline_has_flag(append, "kaslr");
}

char *kernel_cmdline(const struct vm_plan *p)
{
	const char *append = p->cfg->append ? p->cfg->append : "";
	const char *init_args = param_end(append);   /* "-- ..." or "" */
	struct strbuf sb = STRBUF_INIT;

	if (cmdline_adds_root(p))
		add_words(&sb, "root=/dev/vda", 13);
	add_words(&sb, append, (size_t)(init_args - append));
	if (cmdline_adds_console(p))
		add_words(&sb, "console=ttyS0", 13);
	if (cmdline_adds_nokaslr(p))
		add_words(&sb, "nokaslr", 7);
	add_words(&sb, init_args, strlen(init_args));
	return sb_detach(&sb);
}

static void new_line(struct qemu_cmd *cmd)
{
	if (cmd->nlines == cmd->alloc) {
		cmd->alloc = cmd->alloc ? cmd->alloc * 2 : 16;
		cmd->line_start = xrealloc(cmd->line_start, cmd->alloc * sizeof(*cmd->line_start));
	}
	cmd->line_start[cmd->nlines++] = cmd->argv.n;
}

static void push_escaped(struct strvec *argv, const char *prefix, const char *value,
			 const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;

	sb_adds(&sb, prefix);
	sb_add_qemu_escaped(&sb, value);
	sb_adds(&sb, suffix);
	strvec_push_nodup(argv, sb_detach(&sb));
}

static void push2(struct qemu_cmd *cmd, const char *opt, const char *value)
{
	strvec_push(&cmd->argv, opt);
	strvec_push(&cmd->argv, value);
}

static void render_machine(const struct vm_plan *p, struct qemu_cmd *cmd)
{
	new_line(cmd);
	if (p->accel == ACCEL_KVM) {
		strvec_push(&cmd->argv, "-enable-kvm");
		push2(cmd, "-cpu", "host");
	} else {
		push2(cmd, "-accel", "tcg");
		push2(cmd, "-cpu", "max");
	}
	if (p->cfg->machine == MACHINE_Q35) {
		new_line(cmd);
		push2(cmd, "-machine", "q35");
	} else if (p->cfg->machine == MACHINE_MICROVM) {
		/*
		 * No ACPI: with hardware-reduced ACPI Linux turns the PIT off, and
		 * under TCG its TSC calibration then hangs about one boot in 15.
		 * Without ACPI "poweroff" only halts the guest, so a guest reboot
		 * ends QEMU instead (-no-reboot): "reboot" is the way out.
		 */
		new_line(cmd);
		push2(cmd, "-machine", "microvm,acpi=off");
		strvec_push(&cmd->argv, "-no-reboot");
	}
}

/* A node on a file: QEMU's file driver takes regular files only. */
static void push_file_node(struct qemu_cmd *cmd, const char *node, const char *path,
			   int is_device, int readonly)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "driver=%s,node-name=%s,filename=", is_device ? "host_device" : "file", node);
	sb_add_qemu_escaped(&sb, path);
	if (readonly)
		sb_adds(&sb, ",read-only=on");
	strvec_push(&cmd->argv, "-blockdev");
	strvec_push_nodup(&cmd->argv, sb_detach(&sb));
}

/* The name of level DEPTH of a disk's chain: ID, then ID-b1, ID-b2 ... */
static char *chain_node(const char *id, size_t depth)
{
	return depth ? xasprintf("%s-b%zu", id, depth) : xstrdup(id);
}

/*
 * Level DEPTH of the chain of node ID: PATH of FORMAT on BACKING[0..N).  A
 * raw image is its file node; a qcow2 image a qcow2 node on a file node,
 * its backing node named explicitly (QEMU never probes a format here).
 * Backing files are read-only.
 */
static void push_image(struct qemu_cmd *cmd, const char *id, size_t depth, const char *path,
		       enum disk_format format, int is_device, int readonly,
		       const struct plan_backing *backing, size_t n)
{
	char *node = chain_node(id, depth), *file, *below = NULL;

	if (format == FORMAT_RAW) {
		push_file_node(cmd, node, path, is_device, readonly);
		free(node);
		return;
	}
	if (n) {
		/* Built from the far end: a node exists before one names it. */
		push_image(cmd, id, depth + 1, backing[0].path, backing[0].format, 0, 1,
			   backing + 1, n - 1);
		below = chain_node(id, depth + 1);
	}
	file = xasprintf("%s-file", node);
	push_file_node(cmd, file, path, is_device, readonly);
	strvec_push(&cmd->argv, "-blockdev");
	/*
	 * No backing file: "backing" must be null, or QEMU opens whatever the
	 * header names.  The key=value syntax has no null ("backing=null" is a
	 * node called null), so that node is written in JSON.
	 */
	if (below)
		strvec_pushf(&cmd->argv, "driver=qcow2,node-name=%s,file=%s,backing=%s%s", node,
			     file, below, readonly ? ",read-only=on" : "");
	else
		strvec_pushf(&cmd->argv, "{\"driver\":\"qcow2\",\"node-name\":\"%s\","
			     "\"file\":\"%s\",\"backing\":null%s}", node, file,
			     readonly ? ",\"read-only\":true" : "");
	free(file);
	free(below);
	free(node);
}

static void render_disk(const struct device *dev, struct qemu_cmd *cmd)
{
	const struct plan_disk *disk = dev->u.disk;
	char *base, *over;

	new_line(cmd);
	strvec_push(&cmd->argv, "-device");
	strvec_pushf(&cmd->argv, "%s,drive=%s", dev->mmio ? "virtio-blk-device" : "virtio-blk-pci",
		     disk->id);
	if (!disk->overlay) {
		push_image(cmd, disk->id, 0, disk->path, disk->format, disk->is_device,
			   disk->readonly, disk->backing, disk->nbacking);
		return;
	}
	/* Snapshot: the image read-only, writes into a qcow2 overlay on top. */
	base = xasprintf("%s-base", disk->id);
	over = xasprintf("%s-overlay", disk->id);
	push_image(cmd, base, 0, disk->path, disk->format, disk->is_device, 1, disk->backing,
		   disk->nbacking);
	new_line(cmd);
	push_file_node(cmd, over, disk->overlay, 0, 0);
	strvec_push(&cmd->argv, "-blockdev");
	strvec_pushf(&cmd->argv, "driver=qcow2,node-name=%s,file=%s,backing=%s", disk->id,
		     over, base);
	free(base);
	free(over);
}

/*
 * A host directory over virtio-9p.  security_model=none: QEMU, running as
 * the user, creates files as the user (the guest's chown and modes beyond
 * the user's own are not kept), so a non-root user can share and owns
 * what the guest writes.  readonly=on unless rw.
 */
static void render_share(const struct device *dev, struct qemu_cmd *cmd)
{
	const struct plan_share *sh = dev->u.share;
	struct strbuf sb = STRBUF_INIT;

	new_line(cmd);
	strvec_push(&cmd->argv, "-device");
	strvec_pushf(&cmd->argv, "%s,fsdev=%s,mount_tag=%s",
		     dev->mmio ? "virtio-9p-device" : "virtio-9p-pci", sh->id, sh->tag);
	sb_addf(&sb, "local,id=%s,path=", sh->id);
	sb_add_qemu_escaped(&sb, sh->path);
	sb_adds(&sb, sh->rw ? ",security_model=none" : ",security_model=none,readonly=on");
	strvec_push(&cmd->argv, "-fsdev");
	strvec_push_nodup(&cmd->argv, sb_detach(&sb));
}

static void render_serial(const struct device *dev, struct qemu_cmd *cmd)
{
	struct strbuf sb = STRBUF_INIT;

	new_line(cmd);
	strvec_push(&cmd->argv, "-device");
	strvec_pushf(&cmd->argv, "isa-serial,chardev=%s", dev->id);
	strvec_push(&cmd->argv, "-chardev");
	if (dev->u.serial.mode == SERIAL_SOCKET) {
		sb_addf(&sb, "socket,id=%s,path=", dev->id);
		sb_add_qemu_escaped(&sb, dev->u.serial.path);
		sb_adds(&sb, dev->u.serial.wait ? ",server=on,wait=on" : ",server=on,wait=off");
		if (dev->u.serial.log) {
			sb_adds(&sb, ",logfile=");
			sb_add_qemu_escaped(&sb, dev->u.serial.log);
		}
		strvec_push_nodup(&cmd->argv, sb_detach(&sb));
		return;
	}
	/*
	 * The terminal: Ctrl-C goes to the guest (signal=off), and the monitor
	 * shares the line so Ctrl-a x leaves QEMU, as with -nographic.
	 */
	strvec_pushf(&cmd->argv, "stdio,id=%s,mux=on,signal=off", dev->id);
	strvec_push(&cmd->argv, "-mon");
	strvec_pushf(&cmd->argv, "chardev=%s,mode=readline", dev->id);
}

static void render_nic(const struct device *dev, struct qemu_cmd *cmd)
{
	const unsigned char *m = dev->u.nic.mac;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	new_line(cmd);
	strvec_push(&cmd->argv, "-device");
	strvec_pushf(&cmd->argv, "%s,netdev=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x",
		     dev->u.nic.model == NIC_E1000 ? "e1000" :
		     dev->mmio ? "virtio-net-device" : "virtio-net-pci",
		     dev->id, m[0], m[1], m[2], m[3], m[4], m[5]);
	strvec_push(&cmd->argv, "-netdev");
	if (dev->u.nic.backend == NETBE_TAP) {
		/* An existing tap: QEMU runs no ifup/ifdown scripts as us. */
		sb_addf(&sb, "tap,id=%s,ifname=", dev->id);
		sb_add_qemu_escaped(&sb, dev->u.nic.tap);
		sb_adds(&sb, ",script=no,downscript=no");
		strvec_push_nodup(&cmd->argv, sb_detach(&sb));
		return;
	}
	sb_addf(&sb, "user,id=%s", dev->id);
	for (i = 0; i < dev->u.nic.nforwards; i++) {
		const struct forward *f = &dev->u.nic.forwards[i];

		/* The empty guest address is the guest's DHCP address, 10.0.2.15. */
		sb_addf(&sb, ",hostfwd=%s:%s:%u-:%u", forward_proto_name(f->proto),
			f->host_addr, f->host_port, f->guest_port);
	}
	strvec_push_nodup(&cmd->argv, sb_detach(&sb));
}

static void render_device(const struct vm_plan *p, const struct device *dev, struct qemu_cmd *cmd)
{
	switch (dev->kind) {
	case DEV_DISK:
		render_disk(dev, cmd);
		break;
	case DEV_SERIAL:
		render_serial(dev, cmd);
		break;
	case DEV_NIC:
		render_nic(dev, cmd);
		break;
	case DEV_SHARE:
		render_share(dev, cmd);
		break;
	case DEV_DEBUG_EXIT:
		new_line(cmd);
		strvec_push(&cmd->argv, "-device");
		strvec_pushf(&cmd->argv, "isa-debug-exit,iobase=0x%x,iosize=0x%02x",
			     dev->u.debug_exit.iobase, dev->u.debug_exit.iosize);
		break;
	case DEV_GDB:
		new_line(cmd);
		strvec_push(&cmd->argv, "-gdb");
		strvec_pushf(&cmd->argv, "tcp:%s:%u", dev->u.gdb.addr, dev->u.gdb.port);
		if (dev->u.gdb.wait)
			strvec_push(&cmd->argv, "-S");
		break;
	case DEV_QMP:
		new_line(cmd);
		strvec_push(&cmd->argv, "-chardev");
		push_escaped(&cmd->argv, "socket,id=qmp0,path=", dev->u.qmp_path,
			     ",server=on,wait=off");
		push2(cmd, "-mon", "chardev=qmp0,mode=control");
		/* vmlaunch test: a reboot ends the run (microvm has -no-reboot already). */
		if (p->no_reboot && p->cfg->machine != MACHINE_MICROVM)
			strvec_push(&cmd->argv, "-no-reboot");
		break;
	}
}

static void refuse(struct qemu_cmd *cmd, const char *why)
{
	strvec_clear(&cmd->argv);
	cmd->nlines = 0;
	free(cmd->error);
	cmd->error = xstrdup(why);
}

int qemu_cmd_build(const struct vm_plan *p, struct qemu_cmd *cmd)
{
	const struct vm_config *cfg = p->cfg;
	struct device_list devs = DEVICE_LIST_INIT;
	struct strbuf why = STRBUF_INIT;
	char *cmdline;
	size_t i;

	if (!p->qemu || !cfg->name || !p->kernel) {
		refuse(cmd, !p->qemu ? "no QEMU program" : !cfg->name ? "no VM name" : "no kernel");
		return -1;
	}
	if (devices_build(p, &devs, &why) < 0) {
		refuse(cmd, why.buf);
		sb_release(&why);
		return -1;
	}
	new_line(cmd);
	strvec_push(&cmd->argv, p->qemu);
	new_line(cmd);
	strvec_push(&cmd->argv, "-name");
	push_escaped(&cmd->argv, "", cfg->name, "");
	render_machine(p, cmd);
	new_line(cmd);
	strvec_push(&cmd->argv, "-m");
	strvec_pushf(&cmd->argv, "%" PRIu64 "M", cfg->memory_mib);
	if (cfg->cpus > 1) {
		strvec_push(&cmd->argv, "-smp");
		strvec_pushf(&cmd->argv, "%u", cfg->cpus);
	}
	/* Only the devices asked for: no default NIC, VGA, serial or monitor. */
	new_line(cmd);
	strvec_push(&cmd->argv, "-nodefaults");
	push2(cmd, "-display", "none");
	new_line(cmd);
	push2(cmd, "-kernel", p->kernel);
	if (p->initrd) {
		new_line(cmd);
		strvec_push(&cmd->argv, "-initrd");
		/* A multiboot kernel's -initrd is a list of modules: "a,,b" is one file. */
		if (p->kernel_os == KERNEL_OS_OTHER)
			push_escaped(&cmd->argv, "", p->initrd, "");
		else
			strvec_push(&cmd->argv, p->initrd);
	}
	for (i = 0; i < devs.n; i++)
		render_device(p, &devs.v[i], cmd);
	devices_free(&devs);
	cmdline = kernel_cmdline(p);
	if (*cmdline) {
		new_line(cmd);
		push2(cmd, "-append", cmdline);
	}
	free(cmdline);
	if (p->incoming) {
		/* A saved state: the guest goes on from it, no boot. */
		new_line(cmd);
		push2(cmd, "-incoming", p->incoming);
	}
	return 0;
}

void qemu_cmd_free(struct qemu_cmd *cmd)
{
	strvec_clear(&cmd->argv);
	free(cmd->line_start);
	cmd->line_start = NULL;
	cmd->nlines = cmd->alloc = 0;
	free(cmd->error);
	cmd->error = NULL;
}
