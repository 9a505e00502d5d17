#include "libvirt_xml.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "qemu_argv.h"
#include "xalloc.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

/* The length of the UTF-8 character at S that XML 1.0 can hold, or 0. */
static size_t xml_char_len(const unsigned char *s)
{
	unsigned long cp;
	size_t n, i;

	if (s[0] < 0x80)
		return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r';
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF, and U+FFFE/U+FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

int xml_escape(struct strbuf *sb, const char *s)
{
	const unsigned char *p;
	size_t n;

	for (p = (const unsigned char *)s; *p; p += n)
		if (!(n = xml_char_len(p)))
			return -1;
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': sb_adds(sb, "&amp;"); break;
		case '<': sb_adds(sb, "&lt;"); break;
		case '>': sb_adds(sb, "&gt;"); break;
		case '"': sb_adds(sb, "&quot;"); break;
		case '\'': sb_adds(sb, "&apos;"); break;
		/* A parser turns a literal one into a space in an attribute. */
		case '\t': sb_adds(sb, "&#9;"); break;
		case '\n': sb_adds(sb, "&#10;"); break;
		case '\r': sb_adds(sb, "&#13;"); break;
		default: sb_addc(sb, (char)*p); break;
		}
	}
	return 0;
}

struct render {
	const struct vm_plan *p;
	struct strbuf *out;
	struct diag *d;
	unsigned errors;
	struct strbuf qemu_args;   /* <qemu:arg/> lines: what only the QEMU namespace says */
};

static void refuse(struct render *r, const struct origin *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct render *r, const struct origin *at, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_error(r->d, at, EXIT_CONFIG, "export: %s", msg);
	free(msg);
	r->errors++;
}

static struct origin key_at(const struct render *r, enum cfg_key key)
{
	return config_origin(r->p->cfg, key);
}

/* "PRE" VALUE "POST", VALUE escaped; a value XML cannot carry is an error at AT. */
static void put(struct render *r, const char *pre, const char *value, const char *post,
		const struct origin *at, const char *what)
{
	sb_adds(r->out, pre);
	if (xml_escape(r->out, value) < 0)
		refuse(r, at, "%s is not UTF-8 or holds a control character, which XML "
		       "cannot carry", what);
	sb_adds(r->out, post);
}

static void qemu_arg(struct render *r, const char *value)
{
	sb_adds(&r->qemu_args, "    <qemu:arg value='");
	xml_escape(&r->qemu_args, value);   /* our own text: never refused */
	sb_adds(&r->qemu_args, "'/>\n");
}

static const char *machine_type(struct render *r)
{
	struct origin at = key_at(r, KEY_MACHINE);

	switch (r->p->cfg->machine) {
	case MACHINE_Q35:
		return "q35";
	case MACHINE_MICROVM:
		/*
		 * libvirt 9 has no microvm support: it would put its controllers
		 * and balloon on a PCI bus microvm lacks.  pc runs the same guest
		 * (virtio on PCI, SeaBIOS and ACPI in front), only slower to boot.
		 */
		diag_warn(r->d, &at, "export: machine = microvm: libvirt does not support it; "
			  "exported as pc (virtio on PCI instead of MMIO; a reboot still ends "
			  "the VM)");
		return "pc";
	case MACHINE_PC:
		break;
	}
	return "pc";
}

static void render_os(struct render *r)
{
	const struct vm_plan *p = r->p;
	struct origin at;
	char *cmdline;

	sb_addf(r->out, "  <os>\n    <type arch='x86_64' machine='%s'>hvm</type>\n",
		machine_type(r));
	at = key_at(r, KEY_KERNEL);
	put(r, "    <kernel>", p->kernel, "</kernel>\n", &at, "the kernel's path");
	if (p->cfg->modules) {
		at = key_at(r, KEY_MODULES);
		refuse(r, &at, "modules: vmlaunch builds that initramfs in its own cache, which "
		       "libvirt does not keep; to export this VM, run vmlaunch check on it (which "
		       "builds %s) and put that file in a copy of the config as initrd = PATH, "
		       "in place of modules", p->initrd ? p->initrd : "it");
	} else if (p->initrd) {
		at = key_at(r, KEY_INITRD);
		/* libvirt passes -initrd unescaped: a multiboot kernel's "a,b" is two modules. */
		if (p->kernel_os == KERNEL_OS_OTHER && strchr(p->initrd, ','))
			refuse(r, &at, "initrd '%s': libvirt would hand a multiboot kernel a "
			       "path with a comma as several modules", p->initrd);
		put(r, "    <initrd>", p->initrd, "</initrd>\n", &at, "the initrd's path");
	}
	cmdline = kernel_cmdline(p);
	if (*cmdline) {
		at = key_at(r, KEY_APPEND);
		put(r, "    <cmdline>", cmdline, "</cmdline>\n", &at, "the kernel command line");
	}
	free(cmdline);
	sb_adds(r->out, "  </os>\n");
}

static void render_head(struct render *r)
{
	const struct vm_plan *p = r->p;
	const struct vm_config *cfg = p->cfg;
	struct origin at = key_at(r, KEY_NAME);
	int reboot_ends = cfg->machine == MACHINE_MICROVM || p->no_reboot;

	put(r, "  <name>", cfg->name, "</name>\n", &at, "the name");
	sb_addf(r->out, "  <memory unit='MiB'>%" PRIu64 "</memory>\n", cfg->memory_mib);
	sb_addf(r->out, "  <vcpu>%u</vcpu>\n", cfg->cpus);
	render_os(r);
	/* QEMU's pc and q35 have ACPI unless told otherwise; libvirt only when asked. */
	sb_adds(r->out, "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n");
	sb_addf(r->out, "  <cpu mode='%s'/>\n",
		p->accel == ACCEL_KVM ? "host-passthrough" : "maximum");
	sb_addf(r->out, "  <on_poweroff>destroy</on_poweroff>\n"
		"  <on_reboot>%s</on_reboot>\n  <on_crash>destroy</on_crash>\n",
		reboot_ends ? "destroy" : "restart");
}

/* QEMU's program: libvirt wants an absolute path, or finds its own. */
static void render_emulator(struct render *r)
{
	const char *qemu = r->p->qemu;
	struct origin at = key_at(r, KEY_QEMU);

	if (strchr(qemu, '/'))
		put(r, "    <emulator>", qemu, "</emulator>\n", &at, "the QEMU path");
	else if (strcmp(qemu, "qemu-system-x86_64") != 0)
		refuse(r, &at, "qemu = %s: libvirt needs the absolute path of its emulator", qemu);
}

static void render_chain(struct render *r, const struct plan_disk *disk, size_t i)
{
	const struct plan_backing *b;

	if (i == disk->nbacking) {
		sb_adds(r->out, "<backingStore/>\n");
		return;
	}
	b = &disk->backing[i];
	sb_adds(r->out, "<backingStore type='file'>\n");
	sb_addf(r->out, "        <format type='%s'/>\n", disk_format_name(b->format));
	put(r, "        <source file='", b->path, "'/>\n        ", &disk->origin,
	    "a backing file's path");
	if (b->format == FORMAT_QCOW2)
		render_chain(r, disk, i + 1);
	else
		sb_adds(r->out, "<backingStore/>\n");
	sb_adds(r->out, "      </backingStore>\n");
}

static void render_disk(struct render *r, const struct plan_disk *disk, size_t index)
{
	const char *type = disk->is_device ? "block" : "file";

	sb_addf(r->out, "    <disk type='%s' device='disk'>\n", type);
	sb_addf(r->out, "      <driver name='qemu' type='%s'/>\n", disk_format_name(disk->format));
	put(r, disk->is_device ? "      <source dev='" : "      <source file='", disk->path,
	    "'/>\n", &disk->origin, "the disk's path");
	/* The chain as vmlaunch read it: libvirt probes no image format either. */
	if (disk->format == FORMAT_QCOW2) {
		sb_adds(r->out, "      ");
		render_chain(r, disk, 0);
	}
	sb_addf(r->out, "      <target dev='vd%c' bus='virtio'/>\n", (char)('a' + index));
	if (disk->readonly)
		sb_adds(r->out, "      <readonly/>\n");
	/* snapshot = yes: libvirt's own throw-away overlay, deleted when the VM stops. */
	if (disk->snapshot)
		sb_adds(r->out, "      <transient/>\n");
	sb_adds(r->out, "    </disk>\n");
}

/* Names libvirt treats as its own: it would create a device, not use ours. */
static int tap_name_generated(const char *name)
{
	static const char *const prefixes[] = { "vnet", "macvtap", "macvlan" };
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/*
 * libvirt runs QEMU's slirp without hostfwd; its passt backend carries
 * port forwards, but libvirt 9.0 (Debian 12) rejects <backend type='passt'/>
 * when a domain is defined, though its schema accepts it.  Measured, so
 * refused: a domain without the forwards would be a different VM.
 */
static void refuse_forwards(struct render *r, const struct device *dev)
{
	struct origin at = key_at(r, KEY_FORWARD);
	const struct forward *f = &dev->u.nic.forwards[0];

	refuse(r, &at, "forward %s:%s:%u-%u: libvirt's user networking forwards no "
	       "ports (libvirt 9.0 rejects the passt backend that would); set "
	       "forward = \"\" and forward in libvirt's network, or use net_backend = tap",
	       forward_proto_name(f->proto), f->host_addr, f->host_port, f->guest_port);
}

static void render_nic(struct render *r, const struct device *dev)
{
	const unsigned char *m = dev->u.nic.mac;
	int tap = dev->u.nic.backend == NETBE_TAP;

	sb_addf(r->out, "    <interface type='%s'>\n", tap ? "ethernet" : "user");
	sb_addf(r->out, "      <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n",
		m[0], m[1], m[2], m[3], m[4], m[5]);
	if (tap) {
		struct origin at = key_at(r, KEY_NET_TAP);

		if (tap_name_generated(dev->u.nic.tap))
			refuse(r, &at, "net_tap = %s: libvirt takes names starting with vnet, "
			       "macvtap or macvlan for devices it creates, and would not use "
			       "this one; rename the tap device", dev->u.nic.tap);
		/* managed='no': an existing tap, as QEMU's script=no uses it. */
		put(r, "      <target dev='", dev->u.nic.tap, "' managed='no'/>\n", &at,
		    "the tap device's name");
	} else if (dev->u.nic.nforwards) {
		refuse_forwards(r, dev);
	}
	sb_addf(r->out, "      <model type='%s'/>\n",
		dev->u.nic.model == NIC_E1000 ? "e1000" : "virtio");
	sb_adds(r->out, "    </interface>\n");
}

/* security_model=none is libvirt's squash: files as QEMU's user, chown ignored. */
static void render_share(struct render *r, const struct plan_share *sh)
{
	sb_adds(r->out, "    <filesystem type='mount' accessmode='squash'>\n");
	put(r, "      <source dir='", sh->path, "'/>\n", &sh->origin, "the share's path");
	put(r, "      <target dir='", sh->tag, "'/>\n", &sh->origin, "the share's tag");
	if (!sh->rw)
		sb_adds(r->out, "      <readonly/>\n");
	sb_adds(r->out, "    </filesystem>\n");
}

static void render_serial(struct render *r, const struct device *dev)
{
	struct origin at = key_at(r, KEY_SERIAL);

	if (dev->u.serial.mode == SERIAL_SOCKET) {
		sb_adds(r->out, "    <serial type='unix'>\n");
		put(r, "      <source mode='bind' path='", dev->u.serial.path, "'/>\n", &at,
		    "the serial socket's path");
	} else {
		/* libvirt's QEMU has no terminal: a pty, which virsh console attaches to. */
		diag_warn(r->d, &at, "export: serial = stdio: libvirt has no terminal to give "
			  "the VM; exported as a pty: attach with virsh console %s",
			  r->p->cfg->name);
		sb_adds(r->out, "    <serial type='pty'>\n");
	}
	sb_adds(r->out, "      <target type='isa-serial' port='0'>\n"
		"        <model name='isa-serial'/>\n      </target>\n    </serial>\n");
}

static void render_gdb(struct render *r, const struct device *dev)
{
	struct origin at = key_at(r, KEY_GDB_WAIT);
	char *addr = xasprintf("tcp:%s:%u", dev->u.gdb.addr, dev->u.gdb.port);

	qemu_arg(r, "-gdb");
	qemu_arg(r, addr);
	free(addr);
	/* libvirt starts every QEMU with -S and continues it itself. */
	if (dev->u.gdb.wait)
		diag_warn(r->d, &at, "export: gdb_wait = yes: libvirt starts the guest itself; "
			  "use virsh start --paused, then gdb's continue");
}

static void render_device(struct render *r, const struct device *dev, size_t *ndisks)
{
	char *opt;

	switch (dev->kind) {
	case DEV_DISK:
		render_disk(r, dev->u.disk, (*ndisks)++);
		break;
	case DEV_SERIAL:
		render_serial(r, dev);
		break;
	case DEV_NIC:
		render_nic(r, dev);
		break;
	case DEV_SHARE:
		render_share(r, dev->u.share);
		break;
	case DEV_DEBUG_EXIT:
		opt = xasprintf("isa-debug-exit,iobase=0x%x,iosize=0x%02x",
				dev->u.debug_exit.iobase, dev->u.debug_exit.iosize);
		qemu_arg(r, "-device");
		qemu_arg(r, opt);
		free(opt);
		break;
	case DEV_GDB:
		render_gdb(r, dev);
		break;
	case DEV_QMP:
		break;   /* libvirt has its own monitor */
	}
}

unsigned libvirt_xml_build(const struct vm_plan *p, const struct device_list *devs,
			   struct strbuf *out, struct diag *d)
{
	struct render r = { p, out, d, 0, STRBUF_INIT };
	struct strbuf body = STRBUF_INIT;
	size_t i, ndisks = 0;

	/* The body first: whether the QEMU namespace is needed is known after it. */
	r.out = &body;
	render_head(&r);
	sb_adds(&body, "  <devices>\n");
	render_emulator(&r);
	for (i = 0; i < devs->n; i++)
		render_device(&r, &devs->v[i], &ndisks);
	/* Only what vmlaunch gives QEMU: no USB controller, no balloon (-nodefaults). */
	sb_adds(&body, "    <controller type='usb' model='none'/>\n"
		"    <memballoon model='none'/>\n  </devices>\n");
	sb_addf(out, "<domain type='%s'%s>\n", p->accel == ACCEL_KVM ? "kvm" : "qemu",
		r.qemu_args.len ? " xmlns:qemu='" QEMU_NS "'" : "");
	sb_add(out, body.buf ? body.buf : "", body.len);
	if (r.qemu_args.len) {
		sb_adds(out, "  <qemu:commandline>\n");
		sb_add(out, r.qemu_args.buf, r.qemu_args.len);
		sb_adds(out, "  </qemu:commandline>\n");
	}
	sb_adds(out, "</domain>\n");
	sb_release(&body);
	sb_release(&r.qemu_args);
	return r.errors;
}
