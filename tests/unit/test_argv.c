/* The QEMU command line built from configs. */
#include <stdlib.h>

#include "config.h"
#include "launch.h"
#include "qemu_argv.h"
#include "unit.h"
#include "xalloc.h"

/* The plan of the config being tested, as the config says (no host checks). */
static struct vm_plan plan;

static void load(struct vm_config *cfg, const char *text)
{
	struct diag d;
	FILE *f = fopen("/dev/null", "w");

	diag_init(&d, f);
	config_init(cfg, "vm.conf", "/vm");
	CHECK(config_parse_buffer(cfg, text, strlen(text), &d) == 0);
	CHECK(config_finish(cfg, &d) == 0);
	fclose(f);
	plan_init(&plan, cfg);
}

static void done(struct vm_config *cfg)
{
	plan_free(&plan);
	config_free(cfg);
}

/* The argv of the plan as one string, arguments separated by '|'. */
static char *joined(const struct vm_config *cfg)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	CHECK(plan.cfg == cfg);
	qemu_cmd_build(&plan, &cmd);
	for (i = 0; i < cmd.argv.n; i++)
		sb_addf(&sb, "%s%s", i ? "|" : "", cmd.argv.v[i]);
	CHECK(cmd.argv.v[cmd.argv.n] == NULL);
	qemu_cmd_free(&cmd);
	return sb_detach(&sb);
}

static void test_lab(void)
{
	struct vm_config cfg;
	char *s;

	load(&cfg, "kernel=alpine-bzImage\nrootfs=simple_alpine_rootfs.ext4\nmemory=256M\n"
		   "serial=serial.socket\nappend=\"loglevel=15\"\n");
	s = joined(&cfg);
	CHECK_STR(s, "qemu-system-x86_64|-name|vm|-enable-kvm|-cpu|host|-m|256M|-nodefaults|"
		  "-display|none|-kernel|/vm/alpine-bzImage|"
		  "-device|virtio-blk-pci,drive=rootfs|"
		  "-blockdev|driver=file,node-name=rootfs,filename=/vm/simple_alpine_rootfs.ext4|"
		  "-device|isa-serial,chardev=serial0|"
		  "-chardev|socket,id=serial0,path=/vm/serial.socket,server=on,wait=off,"
		  "logfile=/vm/serial.socket.log|"
		  "-append|root=/dev/vda loglevel=15 console=ttyS0");
	free(s);
	done(&cfg);
}

static void test_microvm_tcg(void)
{
	struct vm_config cfg;
	char *s;

	load(&cfg, "kernel=k\nrootfs=r\nmachine=microvm\naccel=tcg\nserial=none\ncpus=1\nmemory=1G\n"
		   "initrd=i\nname=mini\n");
	plan.accel = ACCEL_TCG;
	s = joined(&cfg);
	CHECK_STR(s, "qemu-system-x86_64|-name|mini|-accel|tcg|-cpu|max|-machine|microvm,acpi=off|-no-reboot|"
		  "-m|1024M|-nodefaults|-display|none|-kernel|/vm/k|-initrd|/vm/i|"
		  "-device|virtio-blk-device,drive=rootfs|"
		  "-blockdev|driver=file,node-name=rootfs,filename=/vm/r|-append|root=/dev/vda");
	free(s);
	done(&cfg);
}

static void test_comma_escaping(void)
{
	struct vm_config cfg;
	char *s;

	load(&cfg, "kernel=k,1\nrootfs=disk,format=qcow2.img\nserial=\"s,server=off\"\n");
	s = joined(&cfg);
	CHECK(strstr(s, "|-kernel|/vm/k,1|") != NULL);     /* -kernel is not an option list */
	CHECK(strstr(s, "filename=/vm/disk,,format=qcow2.img|") != NULL);
	CHECK(strstr(s, "path=/vm/s,,server=off,server=on,wait=off,logfile=/vm/s,,server=off.log|") != NULL);
	free(s);
	done(&cfg);
}

static void test_smp(void)
{
	struct vm_config cfg;
	char *s;

	load(&cfg, "kernel=k\ncpus=4\n");
	s = joined(&cfg);
	CHECK(strstr(s, "|-m|256M|-smp|4|-nodefaults|") != NULL);
	free(s);
	done(&cfg);
}

static void test_block_device(void)
{
	struct vm_config cfg;
	char *s;

	load(&cfg, "kernel=k\nrootfs=/dev/vdb\n");
	plan.disks[0].is_device = 1;
	s = joined(&cfg);
	CHECK(strstr(s, "|-blockdev|driver=host_device,node-name=rootfs,filename=/dev/vdb|") != NULL);
	free(s);
	done(&cfg);
}

static void test_stdio_serial(void)
{
	struct vm_config cfg;
	char *s;

	load(&cfg, "kernel=k\n");
	s = joined(&cfg);
	CHECK(strstr(s, "|-device|isa-serial,chardev=serial0|-chardev|"
		      "stdio,id=serial0,mux=on,signal=off|-mon|chardev=serial0,mode=readline|"
		      "-append|console=ttyS0") != NULL);
	CHECK(strstr(s, "root=") == NULL);
	free(s);
	done(&cfg);
}

static void test_cmdline(void)
{
	static const struct { const char *conf, *want; } cases[] = {
		{ "kernel=k\nrootfs=r\nserial=none\n", "root=/dev/vda" },
		{ "kernel=k\nserial=none\n", "" },
		{ "kernel=k\nrootfs=r\nappend=\"root=/dev/vdb1 quiet\"\n", "root=/dev/vdb1 quiet console=ttyS0" },
		{ "kernel=k\nrootfs=r\nappend=\"console=hvc0\"\n", "root=/dev/vda console=hvc0" },
		{ "kernel=k\nrootfs=r\nappend=\"  quiet  -- root=x console=y \"\n",
		  "root=/dev/vda quiet console=ttyS0 -- root=x console=y" },
		{ "kernel=k\nrootfs=r\nappend=\"nfsroot=x\"\n", "root=/dev/vda nfsroot=x console=ttyS0" },
		{ "kernel=k\nserial=none\ngdb=1234\n", "nokaslr" },
		{ "kernel=k\nserial=none\ngdb=1234\nappend=\"kaslr\"\n", "kaslr" },
		{ "kernel=k\nserial=none\ngdb=1234\nappend=\"nokaslr=1 -- nokaslr\"\n",
		  "nokaslr=1 nokaslr -- nokaslr" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config cfg;
		char *s;

		load(&cfg, cases[i].conf);
		s = kernel_cmdline(&plan);
		CHECK_STR(s, cases[i].want);
		free(s);
		done(&cfg);
	}
}

/* Each NIC is a -device/-netdev pair with the id net0. */
static void test_net(void)
{
	static const struct { const char *conf, *want; } cases[] = {
		{ "net=virtio\nnet_mac=52:54:00:00:00:01\n",
		  "|-device|virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01|-netdev|user,id=net0|" },
		{ "net=e1000\nnet_mac=52:54:00:00:00:01\nforward=\"udp:1.2.3.4:53-5353 22-2222\"\n",
		  "|-device|e1000,netdev=net0,mac=52:54:00:00:00:01|-netdev|user,id=net0,"
		  "hostfwd=udp:1.2.3.4:53-:5353,hostfwd=tcp:127.0.0.1:22-:2222|" },
		{ "net=virtio\nmachine=microvm\nnet_mac=52:54:00:00:00:01\n",
		  "|-device|virtio-net-device,netdev=net0,mac=52:54:00:00:00:01|" },
		{ "net=virtio\nnet_backend=tap\nnet_tap=tap0\nnet_mac=52:54:00:00:00:01\n",
		  "|-netdev|tap,id=net0,ifname=tap0,script=no,downscript=no|" },
		{ "gdb=1.2.3.4:99\n", "|-gdb|tcp:1.2.3.4:99|-append|" },
		{ "gdb=99\ngdb_wait=yes\n", "|-gdb|tcp:127.0.0.1:99|-S|-append|" },
		{ "debug_exit=yes\n", "|-device|isa-debug-exit,iobase=0xf4,iosize=0x04|" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config cfg;
		char *conf = xasprintf("kernel=k\nserial=none\n%s", cases[i].conf), *s;

		load(&cfg, conf);
		free(conf);
		conf = joined(&cfg);
		s = xasprintf("%s|", conf);     /* every argument ends in '|' */
		if (!strstr(s, cases[i].want))
			fprintf(stderr, "    %s\n    wanted in it: %s\n", s, cases[i].want);
		CHECK(strstr(s, cases[i].want) != NULL);
		free(s);
		free(conf);
		done(&cfg);
	}
}

/* A multiboot kernel gets the user's words only: no root=, console= or nokaslr. */
static void test_not_linux(void)
{
	struct vm_config cfg;
	char *s;

	load(&cfg, "kernel=k\nrootfs=r\ngdb=1234\nappend=\"hello exit=3\"\n");
	plan.kernel_os = KERNEL_OS_OTHER;
	s = kernel_cmdline(&plan);
	CHECK_STR(s, "hello exit=3");
	free(s);
	done(&cfg);
}

static void test_print_lines(void)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct vm_config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	load(&cfg, "kernel=/a b/k\nserial=none\nappend=\"it's\"\n");
	plan.accel = ACCEL_TCG;
	qemu_cmd_build(&plan, &cmd);
	launch_print(&cmd, f);
	fclose(f);
	CHECK_STR(out, "qemu-system-x86_64 \\\n    -name vm \\\n    -accel tcg -cpu max \\\n"
		  "    -m 256M \\\n    -nodefaults -display none \\\n    -kernel '/a b/k' \\\n"
		  "    -append 'it'\\''s'\n");
	free(out);
	qemu_cmd_free(&cmd);
	done(&cfg);
}

/* A plan validation refuses is refused by the builder too, never half-built. */
static void test_refuses_unrenderable(void)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct vm_config cfg;

	load(&cfg, "kernel=k\nnet=e1000\nnet_backend=tap\n");
	CHECK(qemu_cmd_build(&plan, &cmd) == -1);
	CHECK_STR(cmd.error, "net_backend tap without net_tap");
	CHECK(cmd.argv.n == 0);
	qemu_cmd_free(&cmd);
	done(&cfg);
	load(&cfg, "kernel=k\nnet=virtio\nnet_backend=tap\nnet_tap=tap0\nforward=2222-22\n");
	CHECK(qemu_cmd_build(&plan, &cmd) == -1);
	CHECK(cmd.error && strstr(cmd.error, "forward") != NULL);
	qemu_cmd_free(&cmd);
	done(&cfg);
	load(&cfg, "kernel=k\nnet=virtio\nnet_backend=tap\nnet_tap=tap0\n");
	CHECK(qemu_cmd_build(&plan, &cmd) == 0);
	CHECK(cmd.error == NULL);
	qemu_cmd_free(&cmd);
	done(&cfg);
}

const struct unit_case argv_cases[] = {
	{ "argv/lab", test_lab },
	{ "argv/microvm-tcg", test_microvm_tcg },
	{ "argv/comma-escaping", test_comma_escaping },
	{ "argv/smp", test_smp },
	{ "argv/block-device", test_block_device },
	{ "argv/stdio-serial", test_stdio_serial },
	{ "argv/kernel-cmdline", test_cmdline },
	{ "argv/print-lines", test_print_lines },
	{ "argv/net", test_net },
	{ "argv/not-linux", test_not_linux },
	{ "argv/refuses-unrenderable", test_refuses_unrenderable },
	{ NULL, NULL },
};
