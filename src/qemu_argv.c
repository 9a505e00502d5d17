#include "qemu_argv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
int cmdline_adds_root(const struct vm_config *cfg)
{
	return cfg->kernel_os == KERNEL_OS_LINUX && cfg->rootfs &&
	       !cmdline_has_param(cfg->append ? cfg->append : "", "root");
}

int cmdline_adds_console(const struct vm_config *cfg)
{
	return cfg->kernel_os == KERNEL_OS_LINUX && cfg->serial != SERIAL_NONE &&
	       !cmdline_has_param(cfg->append ? cfg->append : "", "console");
}

/* A gdb session wants symbols at their link addresses. */
int cmdline_adds_nokaslr(const struct vm_config *cfg)
{
	const char *append = cfg->append ? cfg->append : "";

	return cfg->kernel_os == KERNEL_OS_LINUX && cfg->gdb_addr &&
	       !cmdline_has_flag(append, "nokaslr") && !cmdline_has_flag(append, "kaslr");
}

char *kernel_cmdline(const struct vm_config *cfg)
{
	const char *append = cfg->append ? cfg->append : "";
	const char *init_args = param_end(append);   /* "-- ..." or "" */
	struct strbuf sb = STRBUF_INIT;

	if (cmdline_adds_root(cfg))
		add_words(&sb, "root=/dev/vda", 13);
	add_words(&sb, append, (size_t)(init_args - append));
	if (cmdline_adds_console(cfg))
		add_words(&sb, "console=ttyS0", 13);
	if (cmdline_adds_nokaslr(cfg))
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

static void build_accel(const struct vm_config *cfg, struct qemu_cmd *cmd)
{
	new_line(cmd);
	if (cfg->accel_use == ACCEL_KVM) {
		strvec_push(&cmd->argv, "-enable-kvm");
		strvec_push(&cmd->argv, "-cpu");
		strvec_push(&cmd->argv, "host");
	} else {
		strvec_push(&cmd->argv, "-accel");
		strvec_push(&cmd->argv, "tcg");
		strvec_push(&cmd->argv, "-cpu");
		strvec_push(&cmd->argv, "max");
	}
	if (cfg->machine == MACHINE_Q35) {
		new_line(cmd);
		strvec_push(&cmd->argv, "-machine");
		strvec_push(&cmd->argv, "q35");
	} else if (cfg->machine == MACHINE_MICROVM) {
		/*
		 * No ACPI: with hardware-reduced ACPI Linux turns the PIT off, and
		 * under TCG its TSC calibration then hangs about one boot in 15.
		 * Without ACPI "poweroff" only halts the guest, so a guest reboot
		 * ends QEMU instead (-no-reboot): "reboot" is the way out.
		 */
		new_line(cmd);
		strvec_push(&cmd->argv, "-machine");
		strvec_push(&cmd->argv, "microvm,acpi=off");
		strvec_push(&cmd->argv, "-no-reboot");
	}
}

static void build_disk(const struct vm_config *cfg, struct qemu_cmd *cmd)
{
	if (!cfg->rootfs)
		return;
	new_line(cmd);
	strvec_push(&cmd->argv, "-device");
	strvec_push(&cmd->argv, cfg->machine == MACHINE_MICROVM ?
		    "virtio-blk-device,drive=rootfs" : "virtio-blk-pci,drive=rootfs");
	strvec_push(&cmd->argv, "-blockdev");
	/* QEMU's file driver takes regular files only; a device needs host_device. */
	if (!cfg->overlay) {
		push_escaped(&cmd->argv, cfg->rootfs_is_device ?
			     "driver=host_device,node-name=rootfs,filename=" :
			     "driver=file,node-name=rootfs,filename=", cfg->rootfs, "");
		return;
	}
	/* Snapshot: the base read-only, writes into a qcow2 overlay on top. */
	push_escaped(&cmd->argv, cfg->rootfs_is_device ?
		     "driver=host_device,node-name=rootfs-base,filename=" :
		     "driver=file,node-name=rootfs-base,filename=", cfg->rootfs, ",read-only=on");
	new_line(cmd);
	strvec_push(&cmd->argv, "-blockdev");
	push_escaped(&cmd->argv, "driver=file,node-name=rootfs-overlay,filename=", cfg->overlay, "");
	strvec_push(&cmd->argv, "-blockdev");
	strvec_push(&cmd->argv, "driver=qcow2,node-name=rootfs,file=rootfs-overlay,backing=rootfs-base");
}

static void build_serial(const struct vm_config *cfg, struct qemu_cmd *cmd)
{
	if (cfg->serial == SERIAL_NONE)
		return;
	new_line(cmd);
	strvec_push(&cmd->argv, "-device");
	strvec_push(&cmd->argv, "isa-serial,chardev=serial0");
	strvec_push(&cmd->argv, "-chardev");
	if (cfg->serial == SERIAL_SOCKET) {
		struct strbuf sb = STRBUF_INIT;

		sb_adds(&sb, "socket,id=serial0,path=");
		sb_add_qemu_escaped(&sb, cfg->serial_path);
		sb_adds(&sb, cfg->serial_wait ? ",server=on,wait=on" : ",server=on,wait=off");
		if (cfg->serial_log) {
			sb_adds(&sb, ",logfile=");
			sb_add_qemu_escaped(&sb, cfg->serial_log);
		}
		strvec_push_nodup(&cmd->argv, sb_detach(&sb));
		return;
	}
	/*
	 * The terminal: Ctrl-C goes to the guest (signal=off), and the monitor
	 * shares the line so Ctrl-a x leaves QEMU, as with -nographic.
	 */
	strvec_push(&cmd->argv, "stdio,id=serial0,mux=on,signal=off");
	strvec_push(&cmd->argv, "-mon");
	strvec_push(&cmd->argv, "chardev=serial0,mode=readline");
}

static const char *nic_device(const struct vm_config *cfg)
{
	if (cfg->net == NET_E1000)
		return "e1000";
	return cfg->machine == MACHINE_MICROVM ? "virtio-net-device" : "virtio-net-pci";
}

static void build_net(const struct vm_config *cfg, struct qemu_cmd *cmd)
{
	const unsigned char *m = cfg->net_mac;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (cfg->net == NET_NONE)
		return;
	new_line(cmd);
	strvec_push(&cmd->argv, "-device");
	strvec_pushf(&cmd->argv, "%s,netdev=net0,mac=%02x:%02x:%02x:%02x:%02x:%02x",
		     nic_device(cfg), m[0], m[1], m[2], m[3], m[4], m[5]);
	strvec_push(&cmd->argv, "-netdev");
	if (cfg->net_backend == NETBE_TAP) {
		/* An existing tap: QEMU runs no ifup/ifdown scripts as us. */
		push_escaped(&cmd->argv, "tap,id=net0,ifname=", cfg->net_tap,
			     ",script=no,downscript=no");
		return;
	}
	sb_adds(&sb, "user,id=net0");
	for (i = 0; i < cfg->nforwards; i++) {
		const struct forward *f = &cfg->forwards[i];

		/* The empty guest address is the guest's DHCP address, 10.0.2.15. */
		sb_addf(&sb, ",hostfwd=%s:%s:%u-:%u", forward_proto_name(f->proto),
			f->host_addr, f->host_port, f->guest_port);
	}
	strvec_push_nodup(&cmd->argv, sb_detach(&sb));
}

static void build_debug(const struct vm_config *cfg, struct qemu_cmd *cmd)
{
	if (cfg->debug_exit) {
		/* The guest's write of N to port 0xf4 ends QEMU with (N << 1) | 1. */
		new_line(cmd);
		strvec_push(&cmd->argv, "-device");
		strvec_push(&cmd->argv, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	}
	if (cfg->gdb_addr) {
		new_line(cmd);
		strvec_push(&cmd->argv, "-gdb");
		strvec_pushf(&cmd->argv, "tcp:%s:%u", cfg->gdb_addr, cfg->gdb_port);
		if (cfg->gdb_wait)
			strvec_push(&cmd->argv, "-S");
	}
}

/* What validation guarantees and the builder relies on; NULL when all holds. */
static const char *unrenderable(const struct vm_config *cfg)
{
	if (!cfg->qemu || !cfg->name || !cfg->kernel)
		return "the config has no qemu, name or kernel (config_finish was not run)";
	if (cfg->serial == SERIAL_SOCKET && !cfg->serial_path)
		return "serial is a socket without a path";
	if (cfg->net != NET_NONE && cfg->net_backend == NETBE_TAP && !cfg->net_tap)
		return "net_backend tap without net_tap";
	if (cfg->nforwards && (cfg->net == NET_NONE || cfg->net_backend == NETBE_TAP))
		return "forward without a user-networking card";
	return NULL;
}

int qemu_cmd_build(const struct vm_config *cfg, struct qemu_cmd *cmd)
{
	char *cmdline;

	cmd->error = unrenderable(cfg);
	if (cmd->error)
		return -1;

	new_line(cmd);
	strvec_push(&cmd->argv, cfg->qemu);
	new_line(cmd);
	strvec_push(&cmd->argv, "-name");
	push_escaped(&cmd->argv, "", cfg->name, "");
	build_accel(cfg, cmd);
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
	strvec_push(&cmd->argv, "-display");
	strvec_push(&cmd->argv, "none");
	new_line(cmd);
	strvec_push(&cmd->argv, "-kernel");
	strvec_push(&cmd->argv, cfg->kernel);
	if (cfg->initrd) {
		new_line(cmd);
		strvec_push(&cmd->argv, "-initrd");
		strvec_push(&cmd->argv, cfg->initrd);
	}
	build_disk(cfg, cmd);
	build_serial(cfg, cmd);
	build_net(cfg, cmd);
	build_debug(cfg, cmd);
	if (cfg->monitor_path) {
		/* Supervised: a monitor to ask QEMU to quit, and a reboot ends the run. */
		new_line(cmd);
		strvec_push(&cmd->argv, "-chardev");
		push_escaped(&cmd->argv, "socket,id=monitor0,path=", cfg->monitor_path,
			     ",server=on,wait=off");
		strvec_push(&cmd->argv, "-mon");
		strvec_push(&cmd->argv, "chardev=monitor0,mode=readline");
		if (cfg->machine != MACHINE_MICROVM)   /* which has it already */
			strvec_push(&cmd->argv, "-no-reboot");
	}
	cmdline = kernel_cmdline(cfg);
	if (*cmdline) {
		new_line(cmd);
		strvec_push(&cmd->argv, "-append");
		strvec_push(&cmd->argv, cmdline);
	}
	free(cmdline);
	return 0;
}

void qemu_cmd_free(struct qemu_cmd *cmd)
{
	strvec_clear(&cmd->argv);
	free(cmd->line_start);
	cmd->line_start = NULL;
	cmd->nlines = cmd->alloc = 0;
	cmd->error = NULL;
}
