/* The config parser: values, syntax, every kind of bad input. */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

/* Parse TEXT as file "t.conf" in /cfg; errors go to a memory buffer. */
struct parsed {
	struct vm_config cfg;
	struct diag d;
	char *out;
	size_t outlen;
	FILE *f;
	unsigned errors;
};

static void parse(struct parsed *p, const char *text, size_t len)
{
	p->f = open_memstream(&p->out, &p->outlen);
	diag_init(&p->d, p->f);
	config_init(&p->cfg, "t.conf", "/cfg");
	p->errors = config_parse_buffer(&p->cfg, text, len, &p->d);
	if (!p->errors)
		p->errors = config_finish(&p->cfg, &p->d);
	fflush(p->f);
}

static void done(struct parsed *p)
{
	fclose(p->f);
	free(p->out);
	config_free(&p->cfg);
}

/* TEXT must fail with exactly the message MSG (one line, newline added). */
static void expect_error(const char *text, const char *msg)
{
	struct parsed p;
	char want[1024];

	parse(&p, text, strlen(text));
	snprintf(want, sizeof(want), "%s\n", msg);
	CHECK(p.errors == 1);
	CHECK(p.d.status == 65);
	CHECK_STR(p.out, want);
	done(&p);
}

static void test_lab_config(void)
{
	struct parsed p;
	const char *text = "# alpine.conf\nkernel = alpine-bzImage\nrootfs = simple_alpine_rootfs.ext4\n"
			   "memory = 256M\nserial = serial.socket\n";

	parse(&p, text, strlen(text));
	CHECK(p.errors == 0);
	CHECK_STR(p.cfg.kernel, "/cfg/alpine-bzImage");
	CHECK_STR(p.cfg.rootfs, "/cfg/simple_alpine_rootfs.ext4");
	CHECK(p.cfg.memory_mib == 256);
	CHECK(p.cfg.serial == SERIAL_SOCKET);
	CHECK_STR(p.cfg.serial_path, "/cfg/serial.socket");
	CHECK(p.cfg.accel == ACCEL_KVM);
	CHECK(p.cfg.machine == MACHINE_PC);
	CHECK(p.cfg.cpus == 1);
	CHECK_STR(p.cfg.name, "t");
	CHECK_STR(p.cfg.qemu, "qemu-system-x86_64");
	CHECK(p.cfg.s[KEY_MEMORY].origin.line == 4);
	done(&p);
}

static void test_defaults(void)
{
	struct parsed p;

	parse(&p, "kernel=/k\n", 10);
	CHECK(p.errors == 0);
	CHECK(p.cfg.memory_mib == 256);
	CHECK(p.cfg.serial == SERIAL_STDIO);
	CHECK(p.cfg.rootfs == NULL);
	CHECK_STR(p.cfg.append, "");
	CHECK(!p.cfg.s[KEY_MEMORY].set);
	done(&p);
}

static void test_windows_file(void)
{
	struct parsed p;
	const char text[] = "\xef\xbb\xbfkernel = k\r\nmemory = 1G\r\nappend = \"a b\"\r\n";

	parse(&p, text, sizeof(text) - 1);
	CHECK(p.errors == 0);
	CHECK_STR(p.cfg.kernel, "/cfg/k");
	CHECK(p.cfg.memory_mib == 1024);
	CHECK_STR(p.cfg.append, "a b");
	done(&p);
}

static void test_quotes_and_comments(void)
{
	struct parsed p;
	const char *text = "kernel = k # a comment\n"
			   "append = \"quiet # not a comment \\\"x\\\" \\\\\"  # comment\n"
			   "rootfs = disk#1.img\n   # indented comment\n\t\n";

	parse(&p, text, strlen(text));
	CHECK(p.errors == 0);
	CHECK_STR(p.cfg.kernel, "/cfg/k");
	CHECK_STR(p.cfg.append, "quiet # not a comment \"x\" \\");
	CHECK_STR(p.cfg.rootfs, "/cfg/disk#1.img");
	done(&p);
}

static void test_memory_sizes(void)
{
	static const struct { const char *v; uint64_t mib; } good[] = {
		{ "256", 256 }, { "256M", 256 }, { "256m", 256 }, { "1G", 1024 },
		{ "65536K", 64 }, { "16M", 16 }, { "1T", 1024 * 1024 },
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct parsed p;
		char text[64];

		snprintf(text, sizeof(text), "kernel=k\nmemory=%s\n", good[i].v);
		parse(&p, text, strlen(text));
		CHECK(p.errors == 0);
		CHECK(p.cfg.memory_mib == good[i].mib);
		done(&p);
	}
	expect_error("kernel=k\nmemory=256X\n", "vmlaunch: t.conf:2: memory '256X' is not a size: "
		     "use a whole number with an optional K, M, G or T suffix (a bare number is MiB), e.g. 512M");
	expect_error("kernel=k\nmemory=0\n", "vmlaunch: t.conf:2: memory '0' is too small: at least 16M");
	expect_error("kernel=k\nmemory=-1\n", "vmlaunch: t.conf:2: memory '-1' is negative: give a size such as 512M");
	expect_error("kernel=k\nmemory=1025G\n", "vmlaunch: t.conf:2: memory '1025G' is too large: at most 1T");
	expect_error("kernel=k\nmemory=99999999999999999999999\n",
		     "vmlaunch: t.conf:2: memory '99999999999999999999999' is too large: at most 1T");
	expect_error("kernel=k\nmemory=18446744073709551615T\n",
		     "vmlaunch: t.conf:2: memory '18446744073709551615T' is too large: at most 1T");
	expect_error("kernel=k\nmemory=1000K\n", "vmlaunch: t.conf:2: memory '1000K' is not a whole number of MiB");
}

static void test_errors(void)
{
	expect_error("memroy = 1G\nkernel=k\n", "vmlaunch: t.conf:1: unknown key 'memroy' (did you mean 'memory'?)");
	expect_error("kernel=k\nMemory = 1G\n", "vmlaunch: t.conf:2: unknown key 'Memory' (did you mean 'memory'?)");
	expect_error("kernel=k\nram = 1G\n", "vmlaunch: t.conf:2: unknown key 'ram' (did you mean 'memory'?)");
	expect_error("kernel=k\nkernel=j\n", "vmlaunch: t.conf:2: duplicate key 'kernel' (first set on line 1)");
	expect_error("kernel k\n", "vmlaunch: t.conf:1: missing '=' after key 'kernel'");
	expect_error("kernel=k\nhello world\n", "vmlaunch: t.conf:2: expected 'key = value', found 'hello world'");
	expect_error("kernel=\n", "vmlaunch: t.conf:1: missing value for 'kernel'");
	expect_error("kernel=\"\"\n", "vmlaunch: t.conf:1: empty value for 'kernel'");
	expect_error("kernel=k\nappend=\"abc\n", "vmlaunch: t.conf:2: unterminated quoted value: a closing '\"' is missing");
	expect_error("kernel=k\nappend=\"a\" b\n", "vmlaunch: t.conf:2: unexpected text after the closing quote: 'b'");
	expect_error("kernel=k\ncpus=0\n", "vmlaunch: t.conf:2: cpus '0' is out of range: 1 to 255");
	expect_error("kernel=k\ncpus=99999999999\n", "vmlaunch: t.conf:2: cpus '99999999999' is out of range: 1 to 255");
	expect_error("kernel=k\ncpus=2x\n", "vmlaunch: t.conf:2: cpus '2x' is not a whole number");
	expect_error("kernel=k\naccel=xen\n", "vmlaunch: t.conf:2: accel 'xen' is not one of: kvm, tcg, auto");
	expect_error("kernel=k\nname=my vm\n", "vmlaunch: t.conf:2: name 'my vm' is not valid: use up to 64 "
		     "letters, digits, '_', '-' or '.', not starting with '-' or '.'");
	expect_error("memory=1G\n", "vmlaunch: t.conf: missing required key 'kernel' (the guest kernel: "
		     "a bzImage, PVH ELF or multiboot image)");
	expect_error("kernel=k\x01\n", "vmlaunch: t.conf:1: line contains control character 0x01 at column 9");
	expect_error("kernel=k\xff\n", "vmlaunch: t.conf:1: line is not valid UTF-8 (byte 0xff at column 9)");
	expect_error("kernel=k\xc0\x80\n", "vmlaunch: t.conf:1: line is not valid UTF-8 (byte 0xc0 at column 9)");
}

static void test_nul_and_long_lines(void)
{
	struct parsed p;
	char *big = malloc(CONFIG_MAX_LINE + 64);

	parse(&p, "kernel=k\n\0x\n", 12);
	CHECK(p.errors == 1);
	CHECK_STR(p.out, "vmlaunch: t.conf:2: contains a NUL byte: this is not a text file, "
		  "so not a vmlaunch config\n");
	done(&p);

	memset(big, 'a', CONFIG_MAX_LINE + 64);
	memcpy(big, "kernel=k\n#", 10);
	big[CONFIG_MAX_LINE + 10] = '\n';
	parse(&p, big, CONFIG_MAX_LINE + 11);
	CHECK(p.errors == 1);
	CHECK_STR(p.out, "vmlaunch: t.conf:2: line is too long (4097 bytes; at most 4096)\n");
	done(&p);
	free(big);
}

static void test_error_limit(void)
{
	struct parsed p;
	char text[4096] = "";
	int i;

	for (i = 0; i < 40; i++)
		strcat(text, "junk\n");
	parse(&p, text, strlen(text));
	CHECK(p.errors == CONFIG_MAX_ERRORS + 1);
	CHECK(strstr(p.out, "vmlaunch: t.conf: too many errors; giving up") != NULL);
	done(&p);
}

static void test_all_errors_reported(void)
{
	struct parsed p;
	const char *text = "kernel=k\nmemroy=1\ncpus=0\naccel=x\n";

	parse(&p, text, strlen(text));
	CHECK(p.errors == 3);
	CHECK(strstr(p.out, "t.conf:2:") && strstr(p.out, "t.conf:3:") && strstr(p.out, "t.conf:4:"));
	done(&p);
}

static void test_override(void)
{
	struct parsed p;
	unsigned e;

	parse(&p, "kernel=k\nmemory=1G\n", 19);
	e = config_override(&p.cfg, "memory=512M", "/here", &p.d);
	e += config_override(&p.cfg, "rootfs=disk.img", "/here", &p.d);
	e += config_override(&p.cfg, "memory = 2G", "/here", &p.d);
	CHECK(e == 0);
	CHECK(p.cfg.memory_mib == 2048);
	CHECK_STR(p.cfg.rootfs, "/here/disk.img");
	CHECK(p.cfg.s[KEY_MEMORY].origin.line == 0);
	CHECK_STR(p.cfg.s[KEY_MEMORY].origin.file, "-o memory = 2G");
	e = config_override(&p.cfg, "memroy=1G", "/here", &p.d);
	CHECK(e == 1);
	fflush(p.f);
	CHECK_STR(p.out, "vmlaunch: -o memroy=1G: unknown key 'memroy' (did you mean 'memory'?)\n");
	done(&p);
}

static void test_default_name(void)
{
	struct parsed p;

	p.f = open_memstream(&p.out, &p.outlen);
	diag_init(&p.d, p.f);
	config_init(&p.cfg, "dir/my vm.conf", "/x");
	config_parse_buffer(&p.cfg, "kernel=k", 8, &p.d);
	CHECK(config_finish(&p.cfg, &p.d) == 0);
	CHECK_STR(p.cfg.name, "my_vm");
	CHECK_STR(p.cfg.kernel, "/x/dir/k");
	done(&p);
}

static void test_suggest(void)
{
	CHECK_STR(config_suggest_key("kernal"), "kernel");
	CHECK_STR(config_suggest_key("rootf"), "rootfs");
	CHECK_STR(config_suggest_key("cpu"), "cpus");
	CHECK_STR(config_suggest_key("machien"), "machine");
	CHECK(config_suggest_key("zzzzzz") == NULL);
	CHECK(config_suggest_key("") == NULL);
}

static void test_net_keys(void)
{
	struct parsed p;
	const char *text = "kernel=k\nnet=e1000\nnet_mac=52:54:00:AB:cd:0f\n"
			   "forward=\"  tcp:8080-80\tudp:10.1.2.3:5353-53 2222-22 \"\n";

	parse(&p, text, strlen(text));
	CHECK(p.errors == 0);
	CHECK(p.cfg.net == NET_E1000);
	CHECK(p.cfg.net_backend == NETBE_USER);
	CHECK(p.cfg.net_mac[3] == 0xab && p.cfg.net_mac[4] == 0xcd && p.cfg.net_mac[5] == 0x0f);
	CHECK(p.cfg.nforwards == 3);
	CHECK(p.cfg.forwards[0].proto == FWD_TCP && p.cfg.forwards[0].host_port == 8080 &&
	      p.cfg.forwards[0].guest_port == 80);
	CHECK_STR(p.cfg.forwards[0].host_addr, "127.0.0.1");
	CHECK(p.cfg.forwards[1].proto == FWD_UDP && p.cfg.forwards[1].host_port == 5353);
	CHECK_STR(p.cfg.forwards[1].host_addr, "10.1.2.3");
	CHECK(p.cfg.forwards[2].proto == FWD_TCP && p.cfg.forwards[2].guest_port == 22);
	done(&p);
	/* Leading zeros are the same number, however many. */
	parse(&p, "kernel=k\nforward=000080-0022\n", 29);
	CHECK(p.errors == 0 && p.cfg.nforwards == 1);
	CHECK(p.cfg.forwards[0].host_port == 80 && p.cfg.forwards[0].guest_port == 22);
	done(&p);
}

/* The default MAC is QEMU's prefix plus the name's hash: stable, and per VM. */
static void test_default_mac(void)
{
	struct parsed a, b, c;

	parse(&a, "kernel=k\nname=web\n", 16);
	parse(&b, "kernel=k\nname=web\n", 16);
	parse(&c, "kernel=k\nname=db\n", 15);
	CHECK(a.cfg.net_mac[0] == 0x52 && a.cfg.net_mac[1] == 0x54 && a.cfg.net_mac[2] == 0);
	CHECK(memcmp(a.cfg.net_mac, b.cfg.net_mac, 6) == 0);
	CHECK(memcmp(a.cfg.net_mac, c.cfg.net_mac, 6) != 0);
	done(&a);
	done(&b);
	done(&c);
}

static void test_net_errors(void)
{
	expect_error("kernel=k\nnet=virtio-net\n", "vmlaunch: t.conf:2: net 'virtio-net' is not one of: none, virtio, e1000");
	expect_error("kernel=k\nnet_mac=52:54:00:12:34\n", "vmlaunch: t.conf:2: net_mac '52:54:00:12:34' is not a "
		     "MAC address: write six two-digit hex bytes separated by ':', e.g. 52:54:00:12:34:56");
	expect_error("kernel=k\nnet_mac=52:54:00:12:34:567\n", "vmlaunch: t.conf:2: net_mac '52:54:00:12:34:567' is not a "
		     "MAC address: write six two-digit hex bytes separated by ':', e.g. 52:54:00:12:34:56");
	expect_error("kernel=k\nnet_mac=00:00:00:00:00:00\n", "vmlaunch: t.conf:2: net_mac '00:00:00:00:00:00' is all "
		     "zeros; use e.g. 52:54:00:12:34:56");
	expect_error("kernel=k\nnet_tap=a-very-long-tap-name\n", "vmlaunch: t.conf:2: net_tap 'a-very-long-tap-name' is "
		     "not a network interface name: up to 15 letters, digits, '_', '-' or '.'");
	expect_error("kernel=k\nforward=0-80\n", "vmlaunch: t.conf:2: forward '0-80': port out of range: 1 to 65535");
	expect_error("kernel=k\nforward=80-0\n", "vmlaunch: t.conf:2: forward '80-0': port out of range: 1 to 65535");
	expect_error("kernel=k\nforward=123456-80\n", "vmlaunch: t.conf:2: forward '123456-80': port out of range: 1 to 65535");
	expect_error("kernel=k\nforward=tcp:-80\n", "vmlaunch: t.conf:2: forward 'tcp:-80' is not "
		     "[tcp:|udp:][HOSTADDR:]HOSTPORT-GUESTPORT, e.g. tcp:8080-80");
	expect_error("kernel=k\nforward=sctp:80-80\n", "vmlaunch: t.conf:2: forward 'sctp:80-80': the host address "
		     "is not an IPv4 address such as 127.0.0.1");
	expect_error("kernel=k\nforward=1.2.3.256:80-80\n", "vmlaunch: t.conf:2: forward '1.2.3.256:80-80': the host "
		     "address is not an IPv4 address such as 127.0.0.1");
	/* The same port on 0.0.0.0 clashes with every address; tcp and udp do not. */
	expect_error("kernel=k\nforward=\"10.0.0.1:80-80 0.0.0.0:80-81\"\n", "vmlaunch: t.conf:2: forward: rules 1 "
		     "and 2 both use host port 0.0.0.0:80/tcp");
	expect_error("kernel=k\ngdb=:1234\n", "vmlaunch: t.conf:2: gdb ':1234': the host is not an IPv4 address such as 127.0.0.1");
	expect_error("kernel=k\ngdb=0\n", "vmlaunch: t.conf:2: gdb '0': port out of range: 1 to 65535");
}

static void test_gdb_keys(void)
{
	struct parsed p;
	const char *text = "kernel=k\nforward=\"tcp:80-80 udp:80-80 10.0.0.1:81-1 10.0.0.2:81-2\"\n"
			   "gdb=10.0.0.1:1234\ngdb_wait=yes\ndebug_exit=yes\n";

	parse(&p, text, strlen(text));
	CHECK(p.errors == 0);
	CHECK(p.cfg.nforwards == 4);
	CHECK_STR(p.cfg.gdb_addr, "10.0.0.1");
	CHECK(p.cfg.gdb_port == 1234 && p.cfg.gdb_wait == 1 && p.cfg.debug_exit == 0xf4);
	done(&p);
	parse(&p, "kernel=k\n", 9);
	CHECK(p.cfg.gdb_addr == NULL && p.cfg.gdb_wait == 0 && p.cfg.debug_exit == 0);
	CHECK(p.cfg.net == NET_NONE && p.cfg.nforwards == 0);
	done(&p);
}

/* A 10 MB file is reported with its size, not with the 1 MiB + 64 KiB read of it. */
static void test_too_large_file(void)
{
	char path[] = "/tmp/vmlaunch-unit-big.XXXXXX", want[256], *out = NULL;
	struct vm_config cfg;
	struct diag d;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	int fd = mkstemp(path);

	CHECK(fd >= 0 && ftruncate(fd, 10 << 20) == 0);
	diag_init(&d, f);
	config_init(&cfg, path, "/cfg");
	CHECK(config_parse_file(&cfg, &d) == 1);
	fflush(f);
	snprintf(want, sizeof(want), "vmlaunch: %s: file is too large for a config: 10485760 "
		 "bytes, larger than 1 MiB\n", path);
	CHECK_STR(out, want);
	CHECK(d.status == 65);
	config_free(&cfg);
	fclose(f);
	free(out);
	close(fd);
	unlink(path);
}

const struct unit_case config_cases[] = {
	{ "config/lab", test_lab_config },
	{ "config/defaults", test_defaults },
	{ "config/windows-crlf-bom", test_windows_file },
	{ "config/quotes-comments", test_quotes_and_comments },
	{ "config/memory-sizes", test_memory_sizes },
	{ "config/errors", test_errors },
	{ "config/nul-long-lines", test_nul_and_long_lines },
	{ "config/error-limit", test_error_limit },
	{ "config/all-errors", test_all_errors_reported },
	{ "config/override", test_override },
	{ "config/default-name", test_default_name },
	{ "config/suggest", test_suggest },
	{ "config/net-keys", test_net_keys },
	{ "config/default-mac", test_default_mac },
	{ "config/net-errors", test_net_errors },
	{ "config/gdb-keys", test_gdb_keys },
	{ "config/too-large-file", test_too_large_file },
	{ NULL, NULL },
};
