/*
 * Config file parser.  Grammar (vmlaunch.conf(5)):
 *
 *   line   = blank | comment | key ws* "=" ws* value ws* comment?
 *   value  = '"' (char | '\"' | '\\')* '"'  |  unquoted
 *
 * '#' starts a comment at line start or after white space.  Every error of
 * a file is reported (up to CONFIG_MAX_ERRORS), each naming FILE:LINE.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "path.h"
#include "strbuf.h"
#include "utf8.h"
#include "xalloc.h"

/* ---- value setters: one per key, each explains a bad value in WHY ---- */

static void replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static int set_kernel(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	(void)why;
	replace(&cfg->kernel, path_resolve(base, v));
	return 0;
}

static const char *const format_names[] = { "raw", "qcow2" };

const char *disk_format_name(enum disk_format f)
{
	return format_names[f];
}

/* The next blank-separated word of *P: its start and length N, or NULL at the end. */
static const char *next_word(const char **p, size_t *n)
{
	const char *w = *p + strspn(*p, " \t");

	if (!*w)
		return NULL;
	*n = strcspn(w, " \t");
	*p = w + *n;
	return w;
}

/* The option words of a disk: "format=raw|qcow2" and "ro". */
static int disk_options(const char *key, const char *opts, struct cfg_disk *disk,
			struct strbuf *why)
{
	const char *p;
	size_t n;

	while ((p = next_word(&opts, &n)) != NULL) {
		if (n == 2 && memcmp(p, "ro", 2) == 0) {
			disk->ro = 1;
		} else if (n > 7 && memcmp(p, "format=", 7) == 0) {
			if (n - 7 == 3 && memcmp(p + 7, "raw", 3) == 0) {
				disk->format = FORMAT_RAW;
			} else if (n - 7 == 5 && memcmp(p + 7, "qcow2", 5) == 0) {
				disk->format = FORMAT_QCOW2;
			} else {
				sb_addf(why, "%s: unknown format '%.*s': raw or qcow2", key,
					(int)(n - 7), p + 7);
				return -1;
			}
			disk->format_given = 1;
		} else {
			sb_addf(why, "%s: unknown option '%.*s' (options: format=raw|qcow2, ro)%s",
				key, (int)n, p, n == 2 && memcmp(p, "rw", 2) == 0 ?
				"; a disk is writable unless ro" : "");
			return -1;
		}
	}
	return 0;
}

/* A name ending in .qcow2 is a qcow2 image; anything else is raw. */
static enum disk_format format_from_name(const char *path)
{
	size_t n = strlen(path);

	return n > 6 && strcmp(path + n - 6, ".qcow2") == 0 ? FORMAT_QCOW2 : FORMAT_RAW;
}

static int make_disk(const char *key, const char *path, const char *opts, const char *base,
		     const struct origin *at, struct cfg_disk *disk, struct strbuf *why)
{
	memset(disk, 0, sizeof(*disk));
	if (disk_options(key, opts, disk, why) < 0)
		return -1;
	disk->path = path_resolve(base, path);
	if (!disk->format_given)
		disk->format = format_from_name(disk->path);
	disk->origin = *at;
	return 0;
}

static int set_rootfs(struct vm_config *cfg, const char *path, const char *opts,
		      const char *base, const struct origin *at, struct strbuf *why)
{
	struct cfg_disk disk;

	if (make_disk("rootfs", path, opts, base, at, &disk, why) < 0)
		return -1;
	free(cfg->rootfs_disk.path);
	cfg->rootfs_disk = disk;
	replace(&cfg->rootfs, xstrdup(disk.path));
	return 0;
}

static int set_disk(struct vm_config *cfg, const char *path, const char *opts,
		    const char *base, const struct origin *at, struct strbuf *why)
{
	struct cfg_disk disk;

	if (cfg->ndisks + 1 >= CONFIG_DISKS_MAX) {
		sb_addf(why, "disk: more than %d disks (with the rootfs)", CONFIG_DISKS_MAX);
		return -1;
	}
	if (make_disk("disk", path, opts, base, at, &disk, why) < 0)
		return -1;
	cfg->disks = xrealloc(cfg->disks, (cfg->ndisks + 1) * sizeof(*cfg->disks));
	cfg->disks[cfg->ndisks++] = disk;
	return 0;
}

static int tag_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* A 9p mount tag, which the guest also uses as a directory name (/mnt/TAG). */
int config_tag_ok(const char *tag, size_t n)
{
	size_t i;

	if (n == 0 || n > CONFIG_TAG_MAX || tag[0] == '.' || tag[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!tag_char_ok(tag[i]))
			return 0;
	return 1;
}

static int share_options(const char *opts, struct cfg_share *share, struct strbuf *why)
{
	const char *p;
	size_t n;

	while ((p = next_word(&opts, &n)) != NULL) {
		if (n == 2 && memcmp(p, "rw", 2) == 0) {
			share->rw = 1;
		} else if (n == 2 && memcmp(p, "ro", 2) == 0) {
			share->rw = 0;
		} else if (n > 4 && memcmp(p, "tag=", 4) == 0) {
			if (!config_tag_ok(p + 4, n - 4)) {
				sb_addf(why, "share: tag '%.*s' is not valid: up to %d letters, "
					"digits, '_', '-' or '.', not starting with '.' or '-'",
					(int)(n - 4), p + 4, CONFIG_TAG_MAX);
				return -1;
			}
			replace(&share->tag, xstrndup(p + 4, n - 4));
		} else {
			sb_addf(why, "share: unknown option '%.*s' (options: tag=TAG, rw)", (int)n, p);
			return -1;
		}
	}
	return 0;
}

static int set_share(struct vm_config *cfg, const char *path, const char *opts,
		     const char *base, const struct origin *at, struct strbuf *why)
{
	struct cfg_share share;

	if (cfg->nshares >= CONFIG_SHARES_MAX) {
		sb_addf(why, "share: more than %d shared folders", CONFIG_SHARES_MAX);
		return -1;
	}
	memset(&share, 0, sizeof(share));
	if (share_options(opts, &share, why) < 0) {
		free(share.tag);
		return -1;
	}
	share.path = path_resolve(base, path);
	share.origin = *at;
	cfg->shares = xrealloc(cfg->shares, (cfg->nshares + 1) * sizeof(*cfg->shares));
	cfg->shares[cfg->nshares++] = share;
	return 0;
}

static int set_initrd(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	(void)why;
	replace(&cfg->initrd, path_resolve(base, v));
	return 0;
}

/* "auto" (next to the kernel) or a directory. */
static int set_modules(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	(void)why;
	replace(&cfg->modules, strcmp(v, "auto") == 0 ? xstrdup(v) : path_resolve(base, v));
	return 0;
}

/* Parse "256", "256M", "1G", "65536K" into MiB (a bare number is MiB). */
static int set_memory(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	uint64_t n = 0, kib_per_unit = 1024, kib;
	const char *p = v;

	(void)base;
	if (*p == '-') {
		sb_addf(why, "memory '%s' is negative: give a size such as 512M", v);
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			goto too_large;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == v)
		goto not_size;
	switch (*p) {
	case '\0':                     break;
	case 'K': case 'k': kib_per_unit = 1; p++; break;
	case 'M': case 'm': kib_per_unit = 1024; p++; break;
	case 'G': case 'g': kib_per_unit = 1024 * 1024; p++; break;
	case 'T': case 't': kib_per_unit = 1024 * 1024 * 1024; p++; break;
	default: goto not_size;
	}
	if (*p)
		goto not_size;
	if (n > UINT64_MAX / kib_per_unit)
		goto too_large;
	kib = n * kib_per_unit;
	if (kib % 1024) {
		sb_addf(why, "memory '%s' is not a whole number of MiB", v);
		return -1;
	}
	if (kib / 1024 > CONFIG_MEMORY_MAX_MIB)
		goto too_large;
	if (kib / 1024 < CONFIG_MEMORY_MIN_MIB) {
		sb_addf(why, "memory '%s' is too small: at least %uM", v, CONFIG_MEMORY_MIN_MIB);
		return -1;
	}
	cfg->memory_mib = kib / 1024;
	return 0;
not_size:
	sb_addf(why, "memory '%s' is not a size: use a whole number with an optional "
		"K, M, G or T suffix (a bare number is MiB), e.g. 512M", v);
	return -1;
too_large:
	sb_addf(why, "memory '%s' is too large: at most 1T", v);
	return -1;
}

static int set_cpus(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	unsigned long n = 0;
	const char *p;

	(void)base;
	/* All the digits first: "300abc" is not a number at all, not one too big. */
	for (p = v; *p >= '0' && *p <= '9'; p++)
		if (n <= CONFIG_CPUS_MAX)
			n = n * 10 + (unsigned long)(*p - '0');
	if (p == v || *p) {
		sb_addf(why, "cpus '%s' is not a whole number", v);
		return -1;
	}
	if (n < 1 || n > CONFIG_CPUS_MAX) {
		sb_addf(why, "cpus '%s' is out of range: 1 to %d", v, CONFIG_CPUS_MAX);
		return -1;
	}
	cfg->cpus = (unsigned)n;
	return 0;
}

static int set_serial(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	(void)why;
	replace(&cfg->serial_path, NULL);
	if (strcmp(v, "stdio") == 0) {
		cfg->serial = SERIAL_STDIO;
	} else if (strcmp(v, "none") == 0) {
		cfg->serial = SERIAL_NONE;
	} else {
		cfg->serial = SERIAL_SOCKET;
		cfg->serial_path = path_resolve(base, v);
	}
	return 0;
}

static int set_append(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	(void)base;
	(void)why;
	replace(&cfg->append, xstrdup(v));
	return 0;
}

static int choose(const char *key, const char *v, const char *const *names,
		  int n, struct strbuf *why)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	sb_addf(why, "%s '%s' is not one of: ", key, v);
	for (i = 0; i < n; i++)
		sb_addf(why, "%s%s", i ? ", " : "", names[i]);
	return -1;
}

static const char *const accel_names[] = { "kvm", "tcg", "auto" };
static const char *const machine_names[] = { "pc", "q35", "microvm" };

static int set_accel(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	int i = choose("accel", v, accel_names, 3, why);

	(void)base;
	if (i < 0)
		return -1;
	cfg->accel = (enum accel)i;
	return 0;
}

static int set_machine(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	int i = choose("machine", v, machine_names, 3, why);

	(void)base;
	if (i < 0)
		return -1;
	cfg->machine = (enum machine)i;
	return 0;
}

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int set_name(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	const char *p;

	(void)base;
	for (p = v; *p && name_char_ok(*p); p++)
		;
	if (*p || v[0] == '-' || v[0] == '.' || p - v > 64) {
		sb_addf(why, "name '%s' is not valid: use up to 64 letters, digits, "
			"'_', '-' or '.', not starting with '-' or '.'", v);
		return -1;
	}
	replace(&cfg->name, xstrdup(v));
	return 0;
}

static int set_qemu(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	(void)why;
	/* A bare name is looked up in PATH, like a shell would. */
	replace(&cfg->qemu, strchr(v, '/') ? path_resolve(base, v) : xstrdup(v));
	return 0;
}

static int set_snapshot(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	static const char *const names[] = { "no", "yes" };
	int i = choose("snapshot", v, names, 2, why);

	(void)base;
	if (i < 0)
		return -1;
	cfg->snapshot = i;
	return 0;
}

static int set_yes_no(const char *key, int *dst, const char *v, struct strbuf *why)
{
	static const char *const names[] = { "no", "yes" };
	int i = choose(key, v, names, 2, why);

	if (i < 0)
		return -1;
	*dst = i;
	return 0;
}

static const char *const net_names[] = { "none", "virtio", "e1000" };
static const char *const net_backend_names[] = { "user", "tap" };

static int set_net(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	int i = choose("net", v, net_names, 3, why);

	(void)base;
	if (i < 0)
		return -1;
	cfg->net = (enum net_model)i;
	return 0;
}

static int set_net_backend(struct vm_config *cfg, const char *v, const char *base,
			   struct strbuf *why)
{
	int i = choose("net_backend", v, net_backend_names, 2, why);

	(void)base;
	if (i < 0)
		return -1;
	cfg->net_backend = (enum net_backend)i;
	return 0;
}

/* Linux takes any name but "." and ".." without '/', ':' or space; we are stricter. */
static int set_net_tap(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	size_t n = strlen(v), i;

	(void)base;
	for (i = 0; i < n; i++)
		if (!name_char_ok(v[i]))
			break;
	if (i < n || n > CONFIG_TAP_NAME_MAX || strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
		sb_addf(why, "net_tap '%s' is not a network interface name: up to %d letters, "
			"digits, '_', '-' or '.'", v, CONFIG_TAP_NAME_MAX);
		return -1;
	}
	replace(&cfg->net_tap, xstrdup(v));
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int set_net_mac(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	unsigned char mac[6];
	int i;

	(void)base;
	for (i = 0; i < 6; i++) {
		const char *p = v + 3 * i;
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);

		if (lo < 0 || p[2] != (i == 5 ? '\0' : ':')) {
			sb_addf(why, "net_mac '%s' is not a MAC address: write six two-digit hex "
				"bytes separated by ':', e.g. 52:54:00:12:34:56", v);
			return -1;
		}
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	if (mac[0] & 1) {
		sb_addf(why, "net_mac '%s' is a multicast address (lowest bit of the first byte "
			"set); a NIC needs a unicast one, e.g. 52:54:00:12:34:56", v);
		return -1;
	}
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		sb_addf(why, "net_mac '%s' is all zeros; use e.g. 52:54:00:12:34:56", v);
		return -1;
	}
	memcpy(cfg->net_mac, mac, sizeof(mac));
	return 0;
}

/*
 * A decimal TCP/UDP port of exactly the N bytes at S: 0 and *PORT set,
 * 1 for a number out of 1..65535, -1 for anything else.
 */
static int parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return 1;
	*port = (unsigned)v;
	return 0;
}

/* A dotted IPv4 address of exactly the N bytes at S, stored normalised. */
static int parse_ipv4(const char *s, size_t n, char out[16])
{
	struct in_addr a;
	char buf[16];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	inet_ntop(AF_INET, &a, out, 16);
	return 0;
}

/* "[HOST:]PORT" with HOST an IPv4 address (127.0.0.1 when absent). */
static int parse_endpoint(const char *s, size_t n, char addr[16], unsigned *port,
			  const char **bad)
{
	const char *colon = memchr(s, ':', n);
	int r;

	strcpy(addr, "127.0.0.1");
	if (colon) {
		if (parse_ipv4(s, (size_t)(colon - s), addr) < 0) {
			*bad = "address";
			return -1;
		}
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	r = parse_port(s, n, port);
	if (r) {
		*bad = r > 0 ? "range" : "port";
		return -1;
	}
	return 0;
}

static const char *const fwd_proto_names[] = { "tcp", "udp" };

/* One rule: [tcp:|udp:][HOSTADDR:]HOSTPORT-GUESTPORT. */
static int parse_forward(const char *rule, size_t n, struct forward *f, struct strbuf *why)
{
	const char *p = rule, *end = rule + n, *dash, *bad = NULL;
	int r;

	f->proto = FWD_TCP;
	if (n > 4 && (memcmp(p, "tcp:", 4) == 0 || memcmp(p, "udp:", 4) == 0)) {
		f->proto = p[0] == 'u' ? FWD_UDP : FWD_TCP;
		p += 4;
	}
	dash = memchr(p, '-', (size_t)(end - p));
	if (!dash || parse_endpoint(p, (size_t)(dash - p), f->host_addr, &f->host_port, &bad) < 0) {
		if (bad && strcmp(bad, "range") == 0)
			goto range;
		if (bad && strcmp(bad, "address") == 0)
			sb_addf(why, "forward '%.*s': the host address is not an IPv4 address "
				"such as 127.0.0.1", (int)n, rule);
		else
			sb_addf(why, "forward '%.*s' is not [tcp:|udp:][HOSTADDR:]HOSTPORT-GUESTPORT, "
				"e.g. tcp:8080-80", (int)n, rule);
		return -1;
	}
	r = parse_port(dash + 1, (size_t)(end - dash - 1), &f->guest_port);
	if (r > 0)
		goto range;
	if (r < 0) {
		sb_addf(why, "forward '%.*s': guest port '%.*s' is not a port number "
			"(rules are [tcp:|udp:][HOSTADDR:]HOSTPORT-GUESTPORT)", (int)n, rule,
			(int)(end - dash - 1), dash + 1);
		return -1;
	}
	return 0;
range:
	sb_addf(why, "forward '%.*s': port out of range: 1 to 65535", (int)n, rule);
	return -1;
}

static int forwards_clash(const struct forward *a, const struct forward *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (strcmp(a->host_addr, b->host_addr) == 0 ||
		strcmp(a->host_addr, "0.0.0.0") == 0 || strcmp(b->host_addr, "0.0.0.0") == 0);
}

static int set_forward(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	struct forward *fw = NULL;
	size_t n = 0, i;
	const char *p = v;

	(void)base;
	for (;;) {
		size_t len;

		p += strspn(p, " \t");
		if (!*p)
			break;
		len = strcspn(p, " \t");
		if (n == CONFIG_FORWARDS_MAX) {
			sb_addf(why, "forward: more than %d rules", CONFIG_FORWARDS_MAX);
			goto fail;
		}
		fw = xrealloc(fw, (n + 1) * sizeof(*fw));
		if (parse_forward(p, len, &fw[n], why) < 0)
			goto fail;
		for (i = 0; i < n; i++) {
			if (forwards_clash(&fw[i], &fw[n])) {
				sb_addf(why, "forward: rules %zu and %zu both use host port "
					"%s:%u/%s", i + 1, n + 1, fw[n].host_addr, fw[n].host_port,
					fwd_proto_names[fw[n].proto]);
				goto fail;
			}
		}
		n++;
		p += len;
	}
	free(cfg->forwards);
	cfg->forwards = fw;
	cfg->nforwards = n;
	return 0;
fail:
	free(fw);
	return -1;
}

const char *forward_proto_name(enum fwd_proto p)
{
	return fwd_proto_names[p];
}

static int set_gdb(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	const char *bad = NULL;
	char addr[16];
	unsigned port;

	(void)base;
	if (strncmp(v, "tcp:", 4) == 0) {
		sb_addf(why, "gdb '%s': write [HOST:]PORT without QEMU's 'tcp:', e.g. gdb = 1234", v);
		return -1;
	}
	if (parse_endpoint(v, strlen(v), addr, &port, &bad) < 0) {
		if (strcmp(bad, "range") == 0)
			sb_addf(why, "gdb '%s': port out of range: 1 to 65535", v);
		else if (strcmp(bad, "address") == 0)
			sb_addf(why, "gdb '%s': the host is not an IPv4 address such as 127.0.0.1", v);
		else
			sb_addf(why, "gdb '%s' is not [HOST:]PORT, e.g. 1234 or 127.0.0.1:1234", v);
		return -1;
	}
	replace(&cfg->gdb_addr, xstrdup(addr));
	cfg->gdb_port = port;
	return 0;
}

static int set_gdb_wait(struct vm_config *cfg, const char *v, const char *base, struct strbuf *why)
{
	(void)base;
	return set_yes_no("gdb_wait", &cfg->gdb_wait, v, why);
}

/* no, yes (port 0xf4) or an I/O port, decimal or 0x-hex (Unikraft's is 0x501). */
static int set_debug_exit(struct vm_config *cfg, const char *v, const char *base,
			  struct strbuf *why)
{
	int hex = v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
	const char *digits = v + (hex ? 2 : 0);
	unsigned long port;
	char *end;

	(void)base;
	if (strcmp(v, "no") == 0 || strcmp(v, "yes") == 0) {
		cfg->debug_exit = v[0] == 'y' ? DEBUG_EXIT_PORT_YES : 0;
		return 0;
	}
	/* strtoul alone would take "-1", " 5" or "0501" as octal. */
	if (!(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)))
		goto bad;
	errno = 0;
	port = strtoul(digits, &end, hex ? 16 : 10);
	if (*end)
		goto bad;
	if (errno == ERANGE || port < 1 || port > 0xffff) {
		sb_addf(why, "debug_exit '%s': I/O port out of range: 1 to 0xffff", v);
		return -1;
	}
	cfg->debug_exit = (unsigned)port;
	return 0;
bad:
	sb_addf(why, "debug_exit '%s' is not no, yes (port 0xf4) or an I/O port "
		"such as 0x501", v);
	return -1;
}

const struct cfg_key_info cfg_keys[KEY__COUNT] = {
	[KEY_KERNEL]  = { "kernel", NULL, "bzImage, PVH ELF vmlinux or multiboot ELF (required)", 0, 0, set_kernel, NULL },
	[KEY_ROOTFS]  = { "rootfs", NULL, "root disk: PATH [format=raw|qcow2] [ro]; adds root=/dev/vda", 0, 0, NULL, set_rootfs },
	[KEY_INITRD]  = { "initrd", NULL, "initramfs", 0, 0, set_initrd, NULL },
	[KEY_MEMORY]  = { "memory", "256M", "guest RAM: K, M, G or T suffix; a bare number is MiB", 0, 0, set_memory, NULL },
	[KEY_CPUS]    = { "cpus", "1", "number of vCPUs (1 to 255)", 0, 0, set_cpus, NULL },
	[KEY_SERIAL]  = { "serial", "stdio", "console: unix socket path, stdio or none", 0, 0, set_serial, NULL },
	[KEY_APPEND]  = { "append", "", "extra kernel command line", 1, 0, set_append, NULL },
	[KEY_ACCEL]   = { "accel", "kvm", "kvm, tcg or auto", 0, 0, set_accel, NULL },
	[KEY_MACHINE] = { "machine", "pc", "pc, q35 or microvm", 0, 0, set_machine, NULL },
	[KEY_NAME]    = { "name", NULL, "VM name (default: the config file's base name)", 0, 0, set_name, NULL },
	[KEY_QEMU]    = { "qemu", "qemu-system-x86_64", "QEMU binary, looked up in PATH", 0, 0, set_qemu, NULL },
	[KEY_SNAPSHOT] = { "snapshot", NULL, "yes: writes go to a throw-away overlay [no; test: yes]", 0, 0, set_snapshot, NULL },
	[KEY_NET]     = { "net", "none", "network card: none, virtio or e1000", 0, 0, set_net, NULL },
	[KEY_NET_BACKEND] = { "net_backend", "user", "user (QEMU's NAT, no root) or tap", 0, 0, set_net_backend, NULL },
	[KEY_NET_TAP] = { "net_tap", NULL, "an existing tap device, for net_backend = tap", 0, 0, set_net_tap, NULL },
	[KEY_NET_MAC] = { "net_mac", NULL, "guest MAC [52:54:00 + a hash of the name]", 0, 0, set_net_mac, NULL },
	[KEY_FORWARD] = { "forward", "", "[tcp:|udp:][HOSTADDR:]HOSTPORT-GUESTPORT ..., user only", 1, 0, set_forward, NULL },
	[KEY_GDB]     = { "gdb", NULL, "QEMU gdb stub on [HOST:]PORT; HOST 127.0.0.1 by default", 0, 0, set_gdb, NULL },
	[KEY_GDB_WAIT] = { "gdb_wait", "no", "yes: start paused until the debugger continues", 0, 0, set_gdb_wait, NULL },
	[KEY_DEBUG_EXIT] = { "debug_exit", "no", "yes (port 0xf4) or PORT: isa-debug-exit gives the guest's status", 0, 0, set_debug_exit, NULL },
	[KEY_DISK]    = { "disk", NULL, "another disk: PATH [format=raw|qcow2] [ro] (repeatable)", 0, 1, NULL, set_disk },
	[KEY_SHARE]   = { "share", NULL, "a host folder: HOSTDIR [tag=TAG] [rw], at /mnt/TAG (repeatable)", 0, 1, NULL, set_share },
	[KEY_MODULES] = { "modules", NULL, "a lib/modules/VERSION tree, its root, or auto: vmlaunch builds an initramfs", 0, 0, set_modules, NULL },
};

const char *accel_name(enum accel a)
{
	return accel_names[a];
}

const char *machine_name(enum machine m)
{
	return machine_names[m];
}

/* ---- key lookup and suggestions ---- */

static int find_key(const char *name)
{
	int k;

	for (k = 0; k < KEY__COUNT; k++)
		if (strcmp(cfg_keys[k].name, name) == 0)
			return k;
	return -1;
}

/* Optimal string alignment distance (Levenshtein plus transpositions). */
size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, r;
	size_t *d;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	d = xcalloc((la + 1) * (lb + 1), sizeof(*d));
#define D(x, y) d[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++)
		D(i, 0) = i;
	for (j = 0; j <= lb; j++)
		D(0, j) = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = D(i - 1, j) + 1;

			if (D(i, j - 1) + 1 < best)
				best = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < best)
				best = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < best)
				best = D(i - 2, j - 2) + 1;
			D(i, j) = best;
		}
	}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

/* Words people reach for from other tools' vocabularies. */
static const struct { const char *alias, *key; } key_aliases[] = {
	{ "mem", "memory" }, { "ram", "memory" }, { "m", "memory" },
	{ "smp", "cpus" }, { "vcpus", "cpus" }, { "cpu", "cpus" },
	{ "cmdline", "append" }, { "bootargs", "append" },
	{ "bzimage", "kernel" }, { "vmlinux", "kernel" },
	{ "drive", "rootfs" }, { "hda", "rootfs" }, { "disks", "disk" }, { "virtfs", "share" },
	{ "shared", "share" }, { "mount", "share" }, { "9p", "share" },
	{ "initramfs", "initrd" }, { "console", "serial" },
	{ "accelerator", "accel" }, { "binary", "qemu" },
};

const char *config_suggest_key(const char *name)
{
	char lower[65];
	size_t i, n = strlen(name), best = (size_t)-1, limit;
	const char *pick = NULL;

	if (n == 0 || n >= sizeof(lower))
		return NULL;
	for (i = 0; i <= n; i++)
		lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i]);
	for (i = 0; i < sizeof(key_aliases) / sizeof(key_aliases[0]); i++)
		if (strcmp(lower, key_aliases[i].alias) == 0)
			return key_aliases[i].key;
	limit = n <= 4 ? 1 : 2;
	for (i = 0; i < KEY__COUNT; i++) {
		size_t dist = edit_distance(lower, cfg_keys[i].name);

		if (dist <= limit && dist < best) {
			best = dist;
			pick = cfg_keys[i].name;
		}
	}
	return pick;
}

static void unknown_key(struct diag *d, const struct origin *at, const char *key)
{
	const char *near = config_suggest_key(key);
	struct strbuf all = STRBUF_INIT;
	int k;

	if (near) {
		diag_error(d, at, EXIT_CONFIG, "unknown key '%s' (did you mean '%s'?)", key, near);
		return;
	}
	for (k = 0; k < KEY__COUNT; k++)
		sb_addf(&all, "%s%s", k ? ", " : "", cfg_keys[k].name);
	diag_error(d, at, EXIT_CONFIG, "unknown key '%s' (known keys: %s)", key, all.buf);
	sb_release(&all);
}

/* ---- one line ---- */

enum line_kind { LINE_BLANK, LINE_ASSIGN, LINE_BAD };

struct assignment {
	char *key;
	char *value;
	int quoted;
	char *rest;     /* quoted: what follows the closing quote (options), or NULL */
};

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static enum line_kind parse_quoted(const char *p, struct assignment *a, struct strbuf *why)
{
	struct strbuf v = STRBUF_INIT;

	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		sb_addc(&v, *p);
	}
	if (*p != '"') {
		sb_adds(why, "unterminated quoted value: a closing '\"' is missing");
		sb_release(&v);
		return LINE_BAD;
	}
	p = skip_space(p + 1);
	if (*p && *p != '#') {
		/* Options after a quoted path; assign() refuses them for other keys. */
		const char *end = p;

		while (*end && !(*end == '#' && is_space(end[-1])))
			end++;
		while (end > p && is_space(end[-1]))
			end--;
		a->rest = xstrndup(p, (size_t)(end - p));
	}
	a->value = sb_detach(&v);
	a->quoted = 1;
	return LINE_ASSIGN;
}

/* LINE is NUL-terminated, without its line end, and known to be text. */
static enum line_kind parse_line(const char *line, struct assignment *a, struct strbuf *why)
{
	const char *p = skip_space(line), *key, *end;

	a->key = a->value = a->rest = NULL;
	a->quoted = 0;
	if (*p == '\0' || *p == '#')
		return LINE_BLANK;
	for (key = p; *p && *p != '=' && !is_space(*p); p++)
		;
	a->key = xstrndup(key, (size_t)(p - key));
	p = skip_space(p);
	if (*p != '=') {
		if (find_key(a->key) >= 0)
			sb_addf(why, "missing '=' after key '%s'", a->key);
		else
			sb_addf(why, "expected 'key = value', found '%s'", key);
		return LINE_BAD;
	}
	p = skip_space(p + 1);
	if (*p == '"')
		return parse_quoted(p, a, why);
	for (end = p; *end; end++)
		if (*end == '#' && end > p && is_space(end[-1]))
			break;
	while (end > p && is_space(end[-1]))
		end--;
	a->value = xstrndup(p, (size_t)(end - p));
	return LINE_ASSIGN;
}


/* Is this line text we can parse?  Explain in WHY if not. */
static int check_text(const char *s, size_t n, struct strbuf *why)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	if (n > CONFIG_MAX_LINE) {
		sb_addf(why, "line is too long (%zu bytes; at most %d)", n, CONFIG_MAX_LINE);
		return -1;
	}
	while (i < n) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			sb_addf(why, "line contains control character 0x%02x at column %zu",
				p[i], i + 1);
			return -1;
		}
		len = utf8_decode(p + i, n - i, NULL);
		if (!len) {
			sb_addf(why, "line is not valid UTF-8 (byte 0x%02x at column %zu)",
				p[i], i + 1);
			return -1;
		}
		i += len;
	}
	return 0;
}

/* Is WORD (N bytes) an option word: "ro", "rw" or NAME=VALUE? */
static int option_word(const char *w, size_t n)
{
	size_t i;

	if ((n == 2 && (memcmp(w, "ro", 2) == 0 || memcmp(w, "rw", 2) == 0)))
		return 1;
	for (i = 0; i < n && ((w[i] >= 'a' && w[i] <= 'z') || w[i] == '_'); i++)
		;
	return i > 0 && i < n && w[i] == '=';
}

/*
 * An unquoted "PATH [OPTION]...": the option words are those at the end;
 * the path is the rest as written (it may hold spaces).  *OPTS points into V.
 */
static char *split_options(const char *v, const char **opts)
{
	const char *end = v + strlen(v), *start = end;

	for (;;) {
		const char *w = start;

		while (w > v && is_space(w[-1]))
			w--;
		if (w == v)
			break;
		start = w;
		while (start > v && !is_space(start[-1]))
			start--;
		if (start == v || !option_word(start, (size_t)(w - start))) {
			start = w;      /* not an option: the path ends here */
			break;
		}
	}
	*opts = start;
	while (start > v && is_space(start[-1]))
		start--;
	return xstrndup(v, (size_t)(start - v));
}

static int set_value(struct vm_config *cfg, int k, struct assignment *a, const char *base,
		     const struct origin *at, struct strbuf *why)
{
	const char *opts;
	char *path;
	int r;

	if (!cfg_keys[k].set_opts) {
		if (a->rest) {
			sb_addf(why, "unexpected text after the closing quote: '%s'", a->rest);
			return -1;
		}
		return cfg_keys[k].set(cfg, a->value, base, why);
	}
	if (a->quoted)
		return cfg_keys[k].set_opts(cfg, a->value, a->rest ? a->rest : "", base, at, why);
	path = split_options(a->value, &opts);
	r = cfg_keys[k].set_opts(cfg, path, opts, base, at, why);
	free(path);
	return r;
}

/*
 * Store one assignment.  FROM_FILE: a second setting of a key is a
 * duplicate (unless the key is repeatable); a -o replaces whatever was
 * there, or adds one occurrence of a repeatable key.
 */
static void assign(struct vm_config *cfg, struct assignment *a, const struct origin *at,
		   const char *base, int from_file, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	struct cfg_setting *s;
	int k = find_key(a->key);

	if (k < 0) {
		unknown_key(d, at, a->key);
		return;
	}
	s = &cfg->s[k];
	if (from_file && s->set && !cfg_keys[k].repeatable) {
		diag_error(d, at, EXIT_CONFIG, "duplicate key '%s' (first set on line %u)",
			   a->key, s->origin.line);
		return;
	}
	if (a->value[0] == '\0' && !cfg_keys[k].empty_ok) {
		diag_error(d, at, EXIT_CONFIG, a->quoted ? "empty value for '%s'" :
			   "missing value for '%s'", a->key);
		return;
	}
	if (set_value(cfg, k, a, base, at, &why) < 0) {
		diag_error(d, at, EXIT_CONFIG, "%s", why.buf);
		sb_release(&why);
		return;
	}
	replace(&s->text, xstrdup(a->value));
	s->origin = *at;
	s->set = 1;
}

static void assignment_free(struct assignment *a)
{
	free(a->key);
	free(a->value);
	free(a->rest);
}

/* ---- whole files ---- */

void config_init(struct vm_config *cfg, const char *file, const char *cwd)
{
	char *dir = path_dirname(file);

	memset(cfg, 0, sizeof(*cfg));
	cfg->file = xstrdup(file);
	cfg->dir = path_resolve(cwd, dir);
	free(dir);
}

void config_free(struct vm_config *cfg)
{
	int k;

	for (k = 0; k < KEY__COUNT; k++)
		free(cfg->s[k].text);
	free(cfg->file);
	free(cfg->dir);
	free(cfg->kernel);
	free(cfg->rootfs);
	free(cfg->initrd);
	free(cfg->modules);
	free(cfg->serial_path);
	free(cfg->append);
	free(cfg->name);
	free(cfg->qemu);
	free(cfg->net_tap);
	free(cfg->forwards);
	free(cfg->gdb_addr);
	free(cfg->rootfs_disk.path);
	for (k = 0; k < (int)cfg->ndisks; k++)
		free(cfg->disks[k].path);
	free(cfg->disks);
	for (k = 0; k < (int)cfg->nshares; k++) {
		free(cfg->shares[k].path);
		free(cfg->shares[k].tag);
	}
	free(cfg->shares);
	strvec_clear(&cfg->owned);
	memset(cfg, 0, sizeof(*cfg));
}

unsigned config_parse_buffer(struct vm_config *cfg, const char *buf, size_t len,
			     struct diag *d)
{
	struct origin at = { cfg->file, 0 };
	unsigned first = d->errors;
	const char *p = buf, *end = buf + len;

	if (len > CONFIG_MAX_FILE) {
		diag_error(d, &at, EXIT_CONFIG, "file is too large for a config: %zu bytes, "
			   "larger than 1 MiB", len);
		return 1;
	}
	if (memchr(buf, '\0', len)) {
		/* Not text at all: one clear message, not one per line. */
		const char *nul = memchr(buf, '\0', len), *q;

		for (at.line = 1, q = buf; q < nul; q++)
			at.line += *q == '\n';
		diag_error(d, &at, EXIT_CONFIG, "contains a NUL byte: this is not a text "
			   "file, so not a vmlaunch config");
		return 1;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;         /* a UTF-8 byte order mark, as Windows editors write */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		struct strbuf why = STRBUF_INIT;
		struct assignment a;
		char *line;

		at.line++;
		if (n && p[n - 1] == '\r')
			n--;    /* CRLF line ends */
		if (d->errors - first >= CONFIG_MAX_ERRORS) {
			at.line = 0;
			diag_error(d, &at, EXIT_CONFIG, "too many errors; giving up "
				   "(is this a vmlaunch config file?)");
			break;
		}
		if (check_text(p, n, &why) < 0) {
			diag_error(d, &at, EXIT_CONFIG, "%s", why.buf);
		} else {
			line = xstrndup(p, n);
			switch (parse_line(line, &a, &why)) {
			case LINE_BLANK:
				break;
			case LINE_BAD:
				diag_error(d, &at, EXIT_CONFIG, "%s", why.buf);
				break;
			case LINE_ASSIGN:
				assign(cfg, &a, &at, cfg->dir, 1, d);
				break;
			}
			assignment_free(&a);
			free(line);
		}
		sb_release(&why);
		p = nl ? nl + 1 : end;
	}
	return d->errors - first;
}

unsigned config_parse_file(struct vm_config *cfg, struct diag *d)
{
	struct origin at = { cfg->file, 0 };
	struct strbuf buf = STRBUF_INIT;
	struct stat st;
	char chunk[65536];
	unsigned errors;
	ssize_t n;
	int fd;

	fd = open(cfg->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		diag_error(d, &at, EXIT_NOINPUT, "cannot open config file: %s", strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));    /* then nothing is known about its size */
	if (S_ISDIR(st.st_mode)) {
		diag_error(d, &at, EXIT_NOINPUT, "is a directory, not a config file");
		close(fd);
		return 1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			diag_error(d, &at, EXIT_NOINPUT, "cannot read config file: %s",
				   strerror(errno));
			close(fd);
			sb_release(&buf);
			return 1;
		}
		sb_add(&buf, chunk, (size_t)n);
		if (buf.len > CONFIG_MAX_FILE)
			break;  /* enough to know it is too large */
	}
	close(fd);
	if (buf.len > CONFIG_MAX_FILE) {
		/* What was read is not the size: say the size when there is one. */
		if (S_ISREG(st.st_mode) && st.st_size > CONFIG_MAX_FILE)
			diag_error(d, &at, EXIT_CONFIG, "file is too large for a config: %lld "
				   "bytes, larger than 1 MiB", (long long)st.st_size);
		else
			diag_error(d, &at, EXIT_CONFIG, "file is too large for a config: larger "
				   "than 1 MiB");
		sb_release(&buf);
		return 1;
	}
	errors = config_parse_buffer(cfg, buf.buf ? buf.buf : "", buf.len, d);
	sb_release(&buf);
	return errors;
}

unsigned config_override(struct vm_config *cfg, const char *assignment,
			 const char *cwd, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	struct origin at;
	struct assignment a;
	unsigned first = d->errors;
	char *label = xasprintf("-o %s", assignment);

	strvec_push_nodup(&cfg->owned, label);
	at.file = label;
	at.line = 0;
	if (check_text(assignment, strlen(assignment), &why) < 0) {
		diag_error(d, &at, EXIT_CONFIG, "%s", why.buf);
	} else {
		switch (parse_line(assignment, &a, &why)) {
		case LINE_BLANK:
			diag_error(d, &at, EXIT_CONFIG, "expected KEY=VALUE");
			break;
		case LINE_BAD:
			diag_error(d, &at, EXIT_CONFIG, "%s", why.buf);
			break;
		case LINE_ASSIGN:
			assign(cfg, &a, &at, cwd, 0, d);
			break;
		}
		assignment_free(&a);
	}
	sb_release(&why);
	return d->errors - first;
}

/* The default name: the config's base name, made into a valid name. */
static char *default_name(const char *file)
{
	char *name = path_stem(file), *p;

	for (p = name; *p; p++)
		if (!name_char_ok(*p))
			*p = '_';
	if (name[0] == '-' || name[0] == '.' || name[0] == '\0' || strlen(name) > 64) {
		free(name);
		name = xstrdup("vm");
	}
	return name;
}

/*
 * QEMU's own prefix 52:54:00 and three bytes of the name's FNV-1a hash:
 * the same VM keeps its address (and its DHCP lease) from run to run, and
 * two VMs with different names on one tap bridge almost surely differ.
 */
static void default_mac(const char *name, unsigned char mac[6])
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (unsigned char)(h >> 16);
	mac[4] = (unsigned char)(h >> 8);
	mac[5] = (unsigned char)h;
}

unsigned config_finish(struct vm_config *cfg, struct diag *d)
{
	struct origin at = { cfg->file, 0 };
	unsigned first = d->errors;
	int k;

	for (k = 0; k < KEY__COUNT; k++) {
		struct strbuf why = STRBUF_INIT;

		if (cfg->s[k].set || !cfg_keys[k].def)
			continue;
		if (cfg_keys[k].set(cfg, cfg_keys[k].def, cfg->dir, &why) < 0)
			diag_error(d, &at, EXIT_INTERNAL, "bad built-in default: %s", why.buf);
		sb_release(&why);
	}
	if (!cfg->s[KEY_NAME].set)
		replace(&cfg->name, default_name(cfg->file));
	if (!cfg->s[KEY_NET_MAC].set)
		default_mac(cfg->name, cfg->net_mac);
	if (!cfg->s[KEY_KERNEL].set && !cfg->kernel)
		diag_error(d, &at, EXIT_CONFIG, "missing required key 'kernel' "
			   "(the guest kernel: a bzImage, PVH ELF or multiboot image)");
	return d->errors - first;
}

unsigned config_load_in(struct vm_config *cfg, const char *file, const struct strvec *overrides,
			const struct strvec *cwds, const char *cwd, struct diag *d)
{
	unsigned first = d->errors;
	size_t i;

	config_init(cfg, file, cwd);
	if (config_parse_file(cfg, d))
		return d->errors - first;
	for (i = 0; overrides && i < overrides->n; i++)
		config_override(cfg, overrides->v[i], cwds ? cwds->v[i] : cwd, d);
	if (d->errors == first)
		config_finish(cfg, d);
	return d->errors - first;
}

unsigned config_load(struct vm_config *cfg, const char *file, const struct strvec *overrides,
		     const char *cwd, struct diag *d)
{
	return config_load_in(cfg, file, overrides, NULL, cwd, d);
}

struct origin config_origin(const struct vm_config *cfg, enum cfg_key key)
{
	struct origin at = { cfg->file, 0 };

	if (cfg->s[key].set)
		at = cfg->s[key].origin;
	return at;
}
