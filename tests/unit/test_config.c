/* The config parser: values, syntax, every kind of bad input. */
#include <stdlib.h>

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
	{ NULL, NULL },
};
