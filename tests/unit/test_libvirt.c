/*
 * The libvirt renderer: the XML escaper, and what export maps, warns about
 * or refuses, with the key's origin in the message.
 */
#include <stdlib.h>

#include "config.h"
#include "devices.h"
#include "libvirt_xml.h"
#include "plan.h"
#include "unit.h"
#include "xalloc.h"

static void check_escape(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	int r = xml_escape(&sb, in);

	if (want) {
		CHECK(r == 0);
		CHECK_STR(sb.buf ? sb.buf : "", want);
	} else {
		CHECK(r < 0);
		CHECK(sb.len == 0);
	}
	sb_release(&sb);
}

static void test_xml_escape(void)
{
	check_escape("/a/b c.img", "/a/b c.img");
	check_escape("a<b&c'd\"e>f,g", "a&lt;b&amp;c&apos;d&quot;e&gt;f,g");
	check_escape("t\tn\nr\r", "t&#9;n&#10;r&#13;");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_escape("", "");
	/* What XML 1.0 cannot hold: nothing appended at all. */
	check_escape("a\x01b", NULL);
	check_escape("esc\x1b[0m", NULL);
	check_escape("bad\xff", NULL);          /* not UTF-8 */
	check_escape("\xc0\xaf", NULL);         /* overlong '/' */
	check_escape("\xe0\x80\xaf", NULL);     /* overlong, 3 bytes */
	check_escape("\xed\xa0\x80", NULL);     /* a UTF-16 surrogate */
	check_escape("\xef\xbf\xbe", NULL);     /* U+FFFE */
	check_escape("\xf4\x90\x80\x80", NULL); /* beyond U+10FFFF */
	check_escape("cut\xe2\x82", NULL);      /* truncated */
}

struct out {
	char *xml, *diag;
	unsigned errors;
};

/* The config refuses such paths; the renderer must not rely on it. */
static const char *odd_disk_path;

/* Export config TEXT (a plan as the config says, as validation would leave it). */
static void export(const char *text, struct out *o)
{
	struct device_list devs = DEVICE_LIST_INIT;
	struct strbuf xml = STRBUF_INIT, why = STRBUF_INIT;
	struct vm_config cfg;
	struct vm_plan plan;
	struct diag d;
	size_t len;
	FILE *f = open_memstream(&o->diag, &len);

	diag_init(&d, f);
	config_init(&cfg, "vm.conf", "/vm");
	CHECK(config_parse_buffer(&cfg, text, strlen(text), &d) == 0);
	CHECK(config_finish(&cfg, &d) == 0);
	plan_init(&plan, &cfg);
	if (odd_disk_path && plan.ndisks)
		plan_set(&plan.disks[0].path, xstrdup(odd_disk_path));
	CHECK(devices_build(&plan, &devs, &why) == 0);
	o->errors = libvirt_xml_build(&plan, &devs, &xml, &d);
	o->xml = sb_detach(&xml);
	fclose(f);
	devices_free(&devs);
	sb_release(&why);
	plan_free(&plan);
	config_free(&cfg);
}

static void out_free(struct out *o)
{
	free(o->xml);
	free(o->diag);
}

static void test_export_basic(void)
{
	struct out o;

	export("kernel = k\nrootfs = r.img ro\ndisk = d.qcow2\nserial = /s,o&ck\n"
	       "accel = tcg\ncpus = 2\nmemory = 512M\nname = web-1\n", &o);
	CHECK(o.errors == 0);
	CHECK_STR(o.diag, "");
	CHECK(strstr(o.xml, "<domain type='qemu'>\n") == o.xml);
	CHECK(strstr(o.xml, "<name>web-1</name>") != NULL);
	CHECK(strstr(o.xml, "<memory unit='MiB'>512</memory>") != NULL);
	CHECK(strstr(o.xml, "<vcpu>2</vcpu>") != NULL);
	CHECK(strstr(o.xml, "<kernel>/vm/k</kernel>") != NULL);
	CHECK(strstr(o.xml, "<cmdline>root=/dev/vda console=ttyS0</cmdline>") != NULL);
	CHECK(strstr(o.xml, "<source file='/vm/r.img'/>\n      <target dev='vda' bus='virtio'/>\n"
		     "      <readonly/>") != NULL);
	CHECK(strstr(o.xml, "<driver name='qemu' type='qcow2'/>") != NULL);
	CHECK(strstr(o.xml, "<target dev='vdb' bus='virtio'/>") != NULL);
	CHECK(strstr(o.xml, "<source mode='bind' path='/s,o&amp;ck'/>") != NULL);
	CHECK(strstr(o.xml, "<target type='isa-serial' port='0'>") != NULL);
	CHECK(strstr(o.xml, "qemu:commandline") == NULL);
	CHECK(strstr(o.xml, "</domain>\n") != NULL);
	out_free(&o);
}

/* Refusals are errors at the key's line; several are all reported. */
static void test_export_refused(void)
{
	struct out o;

	export("kernel = k\naccel = tcg\nnet = virtio\nforward = 8080-80\nserial = none\n", &o);
	CHECK(o.errors == 1);
	CHECK(strstr(o.diag, "vmlaunch: vm.conf:4: export: forward tcp:127.0.0.1:8080-80: ") == o.diag);
	out_free(&o);
	export("kernel = k\naccel = tcg\nnet = virtio\nnet_backend = tap\nnet_tap = macvtap2\n"
	       "qemu = qemu-kvm\nserial = none\n", &o);
	CHECK(o.errors == 2);
	CHECK(strstr(o.diag, "vmlaunch: vm.conf:5: export: net_tap = macvtap2: ") != NULL);
	CHECK(strstr(o.diag, "vmlaunch: vm.conf:6: export: qemu = qemu-kvm: ") != NULL);
	out_free(&o);
	/* A path XML cannot carry: refused at its line, not written differently. */
	odd_disk_path = "/vm/bad\x01name";
	export("kernel = k\naccel = tcg\nserial = none\ndisk = d.img\n", &o);
	odd_disk_path = NULL;
	CHECK(o.errors == 1);
	CHECK(strstr(o.xml, "bad") == NULL);
	CHECK(strstr(o.diag, "vmlaunch: vm.conf:4: export: the disk's path is not UTF-8") == o.diag);
	out_free(&o);
}

/* Mappings that keep the guest's behaviour are warnings; the XML says what it is. */
static void test_export_mapped(void)
{
	struct out o;

	export("kernel = k\nrootfs = r.img\nmachine = microvm\naccel = tcg\nsnapshot = yes\n"
	       "debug_exit = yes\ngdb = 1234\ngdb_wait = yes\nnet = virtio\nnet_backend = tap\n"
	       "net_tap = vmtap0\nqemu = /opt/q/qemu\n", &o);
	CHECK(o.errors == 0);
	CHECK(strstr(o.diag, "vmlaunch: vm.conf:3: warning: export: machine = microvm: ") != NULL);
	CHECK(strstr(o.diag, "vmlaunch: vm.conf: warning: export: serial = stdio: ") != NULL);
	CHECK(strstr(o.diag, "vmlaunch: vm.conf:8: warning: export: gdb_wait = yes: ") != NULL);
	CHECK(strstr(o.xml, "machine='pc'>hvm</type>") != NULL);
	CHECK(strstr(o.xml, "<on_reboot>destroy</on_reboot>") != NULL);
	CHECK(strstr(o.xml, "<transient/>") != NULL);
	CHECK(strstr(o.xml, "<serial type='pty'>") != NULL);
	CHECK(strstr(o.xml, "<emulator>/opt/q/qemu</emulator>") != NULL);
	CHECK(strstr(o.xml, "<target dev='vmtap0' managed='no'/>") != NULL);
	CHECK(strstr(o.xml, "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'") != NULL);
	CHECK(strstr(o.xml, "<qemu:arg value='-gdb'/>\n    <qemu:arg value='tcp:127.0.0.1:1234'/>") != NULL);
	CHECK(strstr(o.xml, "<qemu:arg value='isa-debug-exit,iobase=0xf4,iosize=0x04'/>") != NULL);
	out_free(&o);
}

const struct unit_case libvirt_cases[] = {
	{ "libvirt_xml_escape", test_xml_escape },
	{ "libvirt_export_basic", test_export_basic },
	{ "libvirt_export_refused", test_export_refused },
	{ "libvirt_export_mapped", test_export_mapped },
	{ NULL, NULL },
};
