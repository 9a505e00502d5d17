/*
 * Saved states: the description of a plan, its comparison, the metadata's
 * JSON, and the file's sections.  Disks' contents are copied, never
 * referenced: a restore's writes go to a private copy, so restores are
 * independent and the base images are only ever opened read-only.
 */
#include "savestate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "devices.h"
#include "exitcodes.h"
#include "host.h"
#include "json.h"
#include "qemu_argv.h"
#include "sha256.h"
#include "xalloc.h"

#define HEAD_BYTES (1024 * 1024)   /* of each file, hashed into its identity */

/* ---- the description ---- */

/* FNV-1a over the first HEAD_BYTES of FD: a change in a header or a boot sector shows. */
static uint64_t head_hash(int fd)
{
	static char buf[65536];
	uint64_t h = 1469598103934665603ull;
	size_t total = 0;
	ssize_t n;

	while (total < HEAD_BYTES && (n = pread(fd, buf, sizeof(buf), (off_t)total)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
		total += (size_t)n;
	}
	return h;
}

/* "size N, modified T, inode D:I, head H": what says a file is the one it was. */
static char *file_identity(const char *path)
{
	struct stat st;
	struct tm tm;
	char when[32] = "?";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *id;

	if (fd < 0 || fstat(fd, &st) < 0) {
		id = xasprintf("unreadable (%s)", strerror(errno));
		if (fd >= 0)
			close(fd);
		return id;
	}
	if (gmtime_r(&st.st_mtim.tv_sec, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	id = xasprintf("size %lld, modified %s.%09ld UTC, inode %llu:%llu, head %016" PRIx64,
		       (long long)st.st_size, when, st.st_mtim.tv_nsec,
		       (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, head_hash(fd));
	close(fd);
	return id;
}

/* NAME as exec finds it: a path, or the first match in PATH; resolved. */
static char *program_path(const char *name)
{
	const char *path = getenv("PATH"), *p;
	char *found = NULL, *real;

	if (strchr(name, '/')) {
		found = xstrdup(name);
	} else {
		for (p = path ? path : "/usr/bin:/bin"; p && !found; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
			size_t n = strcspn(p, ":");
			char *cand = xasprintf("%.*s/%s", (int)n, n ? p : ".", name);

			if (access(cand, X_OK) == 0)
				found = cand;
			else
				free(cand);
		}
	}
	if (!found)
		return xstrdup(name);
	real = realpath(found, NULL);
	if (real) {
		free(found);
		return real;
	}
	return found;
}

static void file_lines(struct strvec *out, const char *key, const char *path)
{
	char *id = file_identity(path);

	strvec_pushf(out, "%s=%s", key, path);
	strvec_pushf(out, "%s.id=%s", key, id);
	free(id);
}

/* The guest's view of one device: what QEMU's migration stream must find again. */
static char *device_line(const struct device *dev)
{
	const unsigned char *m;

	switch (dev->kind) {
	case DEV_DISK:
		return xasprintf("disk %s %s", dev->id, dev->mmio ? "virtio-blk-device" :
				 "virtio-blk-pci");
	case DEV_SERIAL:
		return xasprintf("serial %s isa-serial", dev->id);
	case DEV_NIC:
		m = dev->u.nic.mac;
		return xasprintf("nic %s %s mac=%02x:%02x:%02x:%02x:%02x:%02x", dev->id,
				 dev->u.nic.model == NIC_E1000 ? "e1000" : dev->mmio ?
				 "virtio-net-device" : "virtio-net-pci",
				 m[0], m[1], m[2], m[3], m[4], m[5]);
	case DEV_SHARE:
		return xasprintf("share %s %s tag=%s", dev->id, dev->mmio ? "virtio-9p-device" :
				 "virtio-9p-pci", dev->u.share->tag);
	case DEV_DEBUG_EXIT:
		return xasprintf("debug-exit iobase=0x%x", dev->u.debug_exit.iobase);
	case DEV_GDB:
	case DEV_QMP:
		break;    /* host side only */
	}
	return NULL;
}

static void disk_lines(const struct plan_disk *disk, struct strvec *out)
{
	size_t b;
	char *key = xasprintf("disk.%s", disk->id);

	strvec_pushf(out, "%s.mode=%s %s", key, disk_format_name(disk->format),
		     disk->snapshot ? "snapshot" : disk->readonly ? "ro" : "rw");
	file_lines(out, key, disk->path);
	for (b = 0; b < disk->nbacking; b++) {
		char *bk = xasprintf("%s.backing%zu", key, b + 1);

		file_lines(out, bk, disk->backing[b].path);
		free(bk);
	}
	free(key);
}

void savestate_describe(const struct vm_plan *p, struct strvec *out)
{
	const struct vm_config *cfg = p->cfg;
	struct device_list devs = DEVICE_LIST_INIT;
	struct strbuf why = STRBUF_INIT;
	char *s;
	size_t i, n = 0;

	s = program_path(p->qemu ? p->qemu : "qemu-system-x86_64");
	file_lines(out, "qemu", s);
	free(s);
	strvec_pushf(out, "machine=%s", machine_name(cfg->machine));
	strvec_pushf(out, "accel=%s", accel_name(p->accel));
	strvec_pushf(out, "memory=%" PRIu64 "M", cfg->memory_mib);
	strvec_pushf(out, "cpus=%u", cfg->cpus ? cfg->cpus : 1);
	if (p->kernel)
		file_lines(out, "kernel", p->kernel);
	if (p->initrd)
		file_lines(out, "initrd", p->initrd);
	s = kernel_cmdline(p);
	strvec_pushf(out, "append=%s", s);
	free(s);
	/* vmlaunch test gives the console its socket only when the run starts. */
	static char later[] = "(the run's socket)";
	struct vm_plan q = *p;

	if (q.serial == SERIAL_SOCKET && !q.serial_path)
		q.serial_path = later;
	if (devices_build(&q, &devs, &why) == 0) {
		for (i = 0; i < devs.n; i++) {
			s = device_line(&devs.v[i]);
			if (s)
				strvec_pushf(out, "device%zu=%s", ++n, s);
			free(s);
		}
	}
	devices_free(&devs);
	sb_release(&why);
	for (i = 0; i < p->ndisks; i++)
		disk_lines(&p->disks[i], out);
	for (i = 0; i < p->nshares; i++)
		strvec_pushf(out, "share.%s=%s %s", p->shares[i].id, p->shares[i].path,
			     p->shares[i].rw ? "rw" : "ro");
}

/* ---- the comparison ---- */

static const char *value_of(const struct strvec *v, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strncmp(v->v[i], key, klen) == 0 && v->v[i][klen] == '=')
			return v->v[i] + klen + 1;
	return NULL;
}

static size_t key_len(const char *line)
{
	const char *eq = strchr(line, '=');

	return eq ? (size_t)(eq - line) : strlen(line);
}

/* A file's identity changed: name the file, then what it was and is. */
static void identity_diff(const struct strvec *saved, const char *key, size_t klen,
			  const char *was, const char *is, struct strvec *diffs)
{
	const char *path = value_of(saved, key, klen - 3);   /* key without ".id" */

	strvec_pushf(diffs, "%.*s %s changed since the save (then: %s; now: %s)",
		     (int)(klen - 3), key, path ? path : "?", was, is);
}

size_t savestate_compare(const struct strvec *saved, const struct strvec *now,
			 struct strvec *diffs)
{
	size_t i, before = diffs->n;

	for (i = 0; i < saved->n; i++) {
		const char *line = saved->v[i], *was, *is;
		size_t klen = key_len(line);

		was = line[klen] ? line + klen + 1 : "";
		is = value_of(now, line, klen);
		if (!is)
			strvec_pushf(diffs, "saved with %s, the config has no %.*s", line,
				     (int)klen, line);
		else if (strcmp(was, is) == 0)
			continue;
		else if (klen > 3 && strncmp(line + klen - 3, ".id", 3) == 0 &&
			 value_of(saved, line, klen - 3) && value_of(now, line, klen - 3) &&
			 strcmp(value_of(saved, line, klen - 3), value_of(now, line, klen - 3)) == 0)
			identity_diff(saved, line, klen, was, is, diffs);
		else if (klen > 3 && strncmp(line + klen - 3, ".id", 3) == 0)
			continue;     /* another file altogether: its path's line says so */
		else
			strvec_pushf(diffs, "saved with %s, the config says %s", line, is);
	}
	for (i = 0; i < now->n; i++) {
		size_t klen = key_len(now->v[i]);

		if (!value_of(saved, now->v[i], klen) &&
		    !(klen > 3 && strncmp(now->v[i] + klen - 3, ".id", 3) == 0))
			strvec_pushf(diffs, "the config has %s, the saved VM had no %.*s", now->v[i],
				     (int)klen, now->v[i]);
	}
	return diffs->n - before;
}

/* ---- the metadata ---- */

char *savestate_json(const struct savestate_meta *m)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	size_t i;

	jw_init(&w, &sb);
	jw_begin_object(&w);
	jw_key(&w, "vmlaunch_state");
	jw_int(&w, 1);
	jw_member_string(&w, "config", m->config);
	jw_member_strings(&w, "overrides", &m->overrides);
	jw_member_strings(&w, "overrides_cwd", &m->cwds);
	jw_member_strings(&w, "plan", &m->plan);
	jw_member_string(&w, "qemu_version", m->qemu_version);
	jw_key(&w, "running");
	jw_bool(&w, m->running);
	jw_key(&w, "stream");
	jw_begin_object(&w);
	jw_key(&w, "offset");
	jw_int(&w, (int64_t)m->stream_offset);
	jw_key(&w, "size");
	jw_int(&w, (int64_t)m->stream_size);
	jw_end_object(&w);
	jw_key(&w, "disks");
	jw_begin_array(&w);
	for (i = 0; i < m->ndisks; i++) {
		jw_begin_object(&w);
		jw_member_string(&w, "id", m->disks[i].id);
		jw_key(&w, "fd");
		jw_int(&w, m->disks[i].fd);
		jw_key(&w, "offset");
		jw_int(&w, (int64_t)m->disks[i].offset);
		jw_key(&w, "size");
		jw_int(&w, (int64_t)m->disks[i].size);
		if (m->disks[i].sha256[0])
			jw_member_string(&w, "sha256", m->disks[i].sha256);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	return sb_detach(&sb);
}

static void sha_hex(const char *p, size_t n, char hex[2 * SHA256_LEN + 1])
{
	unsigned char digest[SHA256_LEN];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
}

char *savestate_header(const struct savestate_meta *m, size_t *len)
{
	char *json = savestate_json(m), hex[2 * SHA256_LEN + 1];
	struct strbuf sb = STRBUF_INIT;

	sha_hex(json, strlen(json), hex);
	sb_addf(&sb, "%s%s\nsha256 %s\n", SAVESTATE_MAGIC, json, hex);
	free(json);
	*len = sb.len;
	return sb_detach(&sb);
}

int savestate_verify(const char *buf, size_t len, struct strbuf *why)
{
	size_t magic = strlen(SAVESTATE_MAGIC), jlen, want = 7 + 2 * SHA256_LEN + 1;
	const char *json = buf + magic, *nl = memchr(json, '\n', len - magic);
	char hex[2 * SHA256_LEN + 1];

	jlen = (size_t)(nl - json);
	if ((size_t)(buf + len - (nl + 1)) < want || memcmp(nl + 1, "sha256 ", 7) != 0 ||
	    nl[want] != '\n') {
		sb_adds(why, "its metadata has no SHA-256 (a state file of an older vmlaunch: save "
			"the VM again)");
		return -1;
	}
	sha_hex(json, jlen, hex);
	if (memcmp(nl + 8, hex, 2 * SHA256_LEN) != 0) {
		sb_adds(why, "its metadata is corrupt (its SHA-256 does not match)");
		return -1;
	}
	return 0;
}

static int get_strings(const struct json *arr, struct strvec *out)
{
	size_t i;

	if (!arr || arr->type != JSON_ARRAY)
		return -1;
	for (i = 0; i < json_count(arr); i++) {
		const char *s = json_str(json_at(arr, i));

		if (!s)
			return -1;
		strvec_push(out, s);
	}
	return 0;
}

static int get_u64(const struct json *obj, const char *key, uint64_t *out)
{
	int64_t n;

	if (json_int(json_get(obj, key), &n) < 0 || n < 0)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

static int get_disks(const struct json *arr, struct savestate_meta *m)
{
	size_t i;

	if (!arr || arr->type != JSON_ARRAY || json_count(arr) > SAVESTATE_DISKS_MAX)
		return -1;
	for (i = 0; i < json_count(arr); i++) {
		const struct json *d = json_at(arr, i);
		const char *id = json_str(json_get(d, "id")), *sha;
		uint64_t fd;

		if (!id || get_u64(d, "fd", &fd) < 0 || fd > 1u << 20 ||
		    get_u64(d, "offset", &m->disks[i].offset) < 0 ||
		    get_u64(d, "size", &m->disks[i].size) < 0)
			return -1;
		sha = json_str(json_get(d, "sha256"));
		if (sha && (strlen(sha) != 2 * SHA256_LEN ||
			    strspn(sha, "0123456789abcdef") != 2 * SHA256_LEN))
			return -1;
		snprintf(m->disks[i].sha256, sizeof(m->disks[i].sha256), "%s", sha ? sha : "");
		m->disks[i].id = xstrdup(id);
		m->disks[i].fd = (int)fd;
		m->ndisks++;
	}
	return 0;
}

/* Each line "key=value", no key twice: what the comparison can pair up. */
static int plan_ok(const struct strvec *plan)
{
	size_t i, j;

	for (i = 0; i < plan->n; i++) {
		size_t k = key_len(plan->v[i]);

		if (!k || !plan->v[i][k])
			return -1;
		for (j = 0; j < i; j++)
			if (key_len(plan->v[j]) == k && strncmp(plan->v[i], plan->v[j], k) == 0)
				return -1;
	}
	return 0;
}

static int from_json(const struct json *root, struct savestate_meta *m)
{
	const struct json *stream = json_get(root, "stream");
	const char *config = json_str(json_get(root, "config"));
	const char *version = json_str(json_get(root, "qemu_version"));
	int64_t format;

	if (json_int(json_get(root, "vmlaunch_state"), &format) < 0 || format != 1 || !config ||
	    get_strings(json_get(root, "overrides"), &m->overrides) < 0 ||
	    get_strings(json_get(root, "plan"), &m->plan) < 0 || plan_ok(&m->plan) < 0 ||
	    get_u64(stream, "offset", &m->stream_offset) < 0 ||
	    get_u64(stream, "size", &m->stream_size) < 0 ||
	    get_disks(json_get(root, "disks"), m) < 0)
		return -1;
	/* Where each -o was given (its relative paths' base); else unknown: the restore's. */
	if (get_strings(json_get(root, "overrides_cwd"), &m->cwds) < 0 ||
	    m->cwds.n != m->overrides.n)
		strvec_clear(&m->cwds);
	m->config = xstrdup(config);
	m->qemu_version = version ? xstrdup(version) : NULL;
	m->running = json_bool(json_get(root, "running"), 0);
	return 0;
}

/* Every section inside the file, the stream right after the header. */
static int check_sections(const struct savestate_meta *m, uint64_t file_size,
			  struct strbuf *why)
{
	uint64_t end = m->stream_offset + m->stream_size;
	size_t i;

	if (m->stream_offset != SAVESTATE_HEADER_SIZE || m->stream_size == 0 ||
	    end < m->stream_offset) {
		sb_adds(why, "its metadata names no migration stream");
		return -1;
	}
	for (i = 0; i < m->ndisks; i++) {
		uint64_t e = m->disks[i].offset + m->disks[i].size;

		if (m->disks[i].offset < end || e < m->disks[i].offset) {
			sb_addf(why, "its metadata places disk %s inside another section",
				m->disks[i].id);
			return -1;
		}
		end = e;
	}
	if (end > file_size) {
		sb_addf(why, "it is truncated: %" PRIu64 " bytes, its sections need %" PRIu64,
			file_size, end);
		return -1;
	}
	return 0;
}

int savestate_parse(const char *buf, size_t len, int header, uint64_t file_size,
		    struct savestate_meta *m, struct strbuf *why)
{
	size_t magic = strlen(SAVESTATE_MAGIC), jlen;
	struct strbuf err = STRBUF_INIT;
	const char *json = buf, *nl;
	struct json *root;
	int r = -1;

	memset(m, 0, sizeof(*m));
	if (header) {
		if (len < magic || memcmp(buf, SAVESTATE_MAGIC, magic) != 0) {
			sb_adds(why, "it is not a vmlaunch state file (no VMLAUNCH-STATE 1 header)");
			return -1;
		}
		json = buf + magic;
		len -= magic;
		nl = memchr(json, '\n', len);
		if (!nl || file_size < SAVESTATE_HEADER_SIZE) {
			sb_adds(why, "it is truncated: its header is incomplete");
			return -1;
		}
		len = (size_t)(nl - json);
	}
	jlen = len;
	root = json_parse(json, jlen, &err, NULL);
	if (!root || root->type != JSON_OBJECT || from_json(root, m) < 0) {
		sb_addf(why, "its metadata is %s%s", root ? "incomplete" : "not JSON: ",
			root ? "" : err.buf);
		savestate_meta_free(m);
	} else if (header && check_sections(m, file_size, why) < 0) {
		savestate_meta_free(m);
	} else {
		r = 0;
	}
	json_free(root);
	sb_release(&err);
	return r;
}

void savestate_meta_free(struct savestate_meta *m)
{
	size_t i;

	free(m->config);
	free(m->qemu_version);
	strvec_clear(&m->overrides);
	strvec_clear(&m->cwds);
	strvec_clear(&m->plan);
	for (i = 0; i < m->ndisks; i++)
		free(m->disks[i].id);
	memset(m, 0, sizeof(*m));
}

char *savestate_record(const struct vm_plan *p, const char *config_abs,
		       const struct strvec *overrides, const struct strvec *cwds)
{
	struct savestate_meta m;
	size_t i;
	char *text;

	memset(&m, 0, sizeof(m));
	m.config = xstrdup(config_abs);
	for (i = 0; overrides && i < overrides->n; i++) {
		strvec_push(&m.overrides, overrides->v[i]);
		strvec_push(&m.cwds, cwds->v[i]);
	}
	/*
	 * The default MAC is a hash of the name, and the guest's NIC keeps the
	 * MAC it was saved with: a restore under another name keeps this one.
	 */
	if (p->cfg->net != NET_NONE && !p->cfg->s[KEY_NET_MAC].set) {
		const unsigned char *a = p->cfg->net_mac;

		strvec_pushf(&m.overrides, "net_mac=%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1],
			     a[2], a[3], a[4], a[5]);
		strvec_push(&m.cwds, "/");
	}
	savestate_describe(p, &m.plan);
	for (i = 0; i < p->ndisks && m.ndisks < SAVESTATE_DISKS_MAX; i++) {
		int fd;

		if (!p->disks[i].overlay || sscanf(p->disks[i].overlay, "/proc/self/fd/%d", &fd) != 1)
			continue;
		m.disks[m.ndisks].id = xstrdup(p->disks[i].id);
		m.disks[m.ndisks++].fd = fd;
	}
	text = savestate_json(&m);
	savestate_meta_free(&m);
	return text;
}

void savestate_config(const struct savestate_meta *m, const char *config,
		      const struct strvec *overrides, const char *cwd, const char **use,
		      struct strvec *use_overrides, struct strvec *use_cwds)
{
	size_t i;

	*use = config ? config : m->config;
	for (i = 0; !config && i < m->overrides.n; i++) {
		strvec_push(use_overrides, m->overrides.v[i]);
		strvec_push(use_cwds, m->cwds.n ? m->cwds.v[i] : cwd);
	}
	for (i = 0; overrides && i < overrides->n; i++) {
		strvec_push(use_overrides, overrides->v[i]);
		strvec_push(use_cwds, cwd);
	}
}

/* ---- the file ---- */

int savestate_copy(int in, uint64_t in_off, int out, uint64_t out_off, uint64_t len,
		   struct sha256 *sha)
{
	static char buf[1 << 16];

	while (len) {
		off_t io = (off_t)in_off, oo = (off_t)out_off;
		ssize_t n = sha ? -1 : copy_file_range(in, &io, out, &oo, len, 0);

		if (sha || (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
				      errno == EOPNOTSUPP))) {
			/* Hashed, another file system, or /proc: by hand. */
			n = pread(in, buf, len < sizeof(buf) ? len : sizeof(buf), (off_t)in_off);
			if (n > 0 && pwrite(out, buf, (size_t)n, (off_t)out_off) != n)
				return -1;
			if (n > 0 && sha)
				sha256_update(sha, buf, (size_t)n);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return errno = EIO, -1;
		in_off += (uint64_t)n;
		out_off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int savestate_open(const char *file, struct savestate_meta *m, struct diag *d)
{
	static char buf[SAVESTATE_HEADER_SIZE];
	struct strbuf why = STRBUF_INIT;
	struct stat st;
	ssize_t n = 0;
	/* O_NONBLOCK: a FIFO or a device is refused, not waited on. */
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	memset(m, 0, sizeof(*m));
	if (fd < 0 || fstat(fd, &st) < 0) {
		diag_error(d, NULL, EXIT_NOINPUT, "%s: cannot read the saved state: %s", file,
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, NULL, EXIT_NOINPUT, "%s: not a vmlaunch state file (not a regular "
			   "file)", file);
		close(fd);
		return -1;
	}
	if ((n = pread(fd, buf, sizeof(buf), 0)) < 0) {
		diag_error(d, NULL, EXIT_NOINPUT, "%s: cannot read the saved state: %s", file,
			   strerror(errno));
		close(fd);
		return -1;
	}
	if (savestate_parse(buf, (size_t)n, 1, (uint64_t)st.st_size, m, &why) == 0 &&
	    savestate_verify(buf, (size_t)n, &why) < 0)
		savestate_meta_free(m);
	if (why.len) {
		diag_error(d, NULL, EXIT_NOINPUT, "%s: cannot restore from it: %s", file, why.buf);
		sb_release(&why);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Another QEMU than the saved one: both versions named.  Only then is QEMU
 * run (--version): a restore that matches spawns nothing.
 */
static void version_diff(const struct savestate_meta *m, const struct strvec *now,
			 const char *file, struct diag *d)
{
	const char *was = value_of(&m->plan, "qemu.id", 7), *is = value_of(now, "qemu.id", 7);
	const char *path = value_of(now, "qemu", 4), *v, *prefix = "QEMU emulator version ";
	char buf[256];

	if (!was || !is || !path || strcmp(was, is) == 0)
		return;
	if (host_qemu_version(path, buf, sizeof(buf)) != 0)
		snprintf(buf, sizeof(buf), "of no version it tells (%s --version failed)", path);
	v = strncmp(buf, prefix, strlen(prefix)) == 0 ? buf + strlen(prefix) : buf;
	diag_error(d, NULL, EXIT_CONFIG, "%s: saved with QEMU %s; this QEMU (%s) is %s", file,
		   m->qemu_version ? m->qemu_version : "of an unrecorded version", path, v);
}

int savestate_check(const struct savestate_meta *m, const char *file, const struct vm_plan *p,
		    struct diag *d)
{
	struct strvec now = STRVEC_INIT, diffs = STRVEC_INIT;
	size_t i;

	savestate_describe(p, &now);
	savestate_compare(&m->plan, &now, &diffs);
	for (i = 0; i < diffs.n; i++)
		diag_error(d, NULL, EXIT_CONFIG, "%s: %s", file, diffs.v[i]);
	if (diffs.n)
		version_diff(m, &now, file, d);
	for (i = 0; i < diffs.n; i++)
		if (strncmp(diffs.v[i], "saved with device", 17) == 0 && strstr(diffs.v[i], " mac=")) {
			diag_error(d, NULL, EXIT_CONFIG, "%s: a NIC's default MAC comes from the VM's "
				   "name: -o net_mac= with the saved MAC keeps it", file);
			break;
		}
	if (diffs.n)
		diag_error(d, NULL, EXIT_CONFIG, "%s: not restored: a saved state is restored only "
			   "into the VM it was saved from (boot the changed VM instead)", file);
	i = diffs.n;
	strvec_clear(&now);
	strvec_clear(&diffs);
	return i ? -1 : 0;
}

/*
 * A private copy of saved disk section K: an unlinked file in TMPDIR.  Its
 * SHA-256 checked on the way (the bytes are read anyway): EBADMSG.
 */
static int disk_copy(int state, const struct savestate_disk *k, const char *tmpdir)
{
	char *path = xasprintf("%s/vmlaunch-restore.XXXXXX", tmpdir);
	char hex[2 * SHA256_LEN + 1];
	unsigned char digest[SHA256_LEN];
	struct sha256 sha;
	int fd = mkstemp(path), err;

	sha256_init(&sha);
	if (fd >= 0) {
		unlink(path);
		if (savestate_copy(state, k->offset, fd, 0, k->size, k->sha256[0] ? &sha : NULL) < 0) {
			err = errno;
			close(fd);
			errno = err;
			fd = -1;
		} else if (k->sha256[0]) {
			sha256_final(&sha, digest);
			sha256_hex(digest, hex);
			if (strcmp(hex, k->sha256) != 0) {
				close(fd);
				errno = EBADMSG;
				fd = -1;
			}
		}
	}
	free(path);
	return fd;
}

static int keep(int fd, int *fds, size_t *nfds)
{
	if (fd >= 0 && fds)
		fds[(*nfds)++] = fd;
	return fd;
}

int savestate_restore_plan(const struct savestate_meta *m, int state, const char *file,
			   struct vm_plan *p, const char *tmpdir, int *fds, size_t *nfds,
			   struct strbuf *why)
{
	/*
	 * The file savestate_open checked, whatever FILE names now; reopened
	 * through /proc so that each restore reads the stream at its own offset.
	 */
	char *self = xasprintf("/proc/self/fd/%d", state);
	int in = open(self, O_RDONLY | O_NOCTTY), fd;
	size_t i, k;

	free(self);
	if (in < 0 || lseek(in, (off_t)m->stream_offset, SEEK_SET) < 0) {
		sb_addf(why, "%s: cannot read the saved state: %s", file, strerror(errno));
		if (in >= 0)
			close(in);
		return EXIT_OSERR;
	}
	keep(in, fds, nfds);
	plan_set(&p->incoming, xasprintf("fd:%d", in));
	for (i = 0; i < p->ndisks; i++) {
		struct plan_disk *disk = &p->disks[i];

		for (k = 0; k < m->ndisks && strcmp(m->disks[k].id, disk->id) != 0; k++)
			;
		if (!disk->snapshot)
			continue;
		if (k == m->ndisks) {
			sb_addf(why, "%s: it holds no contents for the snapshot disk %s", file,
				disk->id);
			return EXIT_CONFIG;
		}
		fd = keep(disk_copy(state, &m->disks[k], tmpdir), fds, nfds);
		if (fd < 0 && errno == EBADMSG) {
			sb_addf(why, "%s: cannot restore from it: its saved disk %s is corrupt (its "
				"SHA-256 does not match)", file, disk->id);
			return EXIT_NOINPUT;
		}
		if (fd < 0) {
			sb_addf(why, "%s: cannot copy the saved disk %s into %s: %s", file,
				disk->id, tmpdir, strerror(errno));
			return EXIT_OSERR;
		}
		plan_set(&disk->overlay, xasprintf("/proc/self/fd/%d", fd));
	}
	return 0;
}

/* ---- writing a state file ---- */

static char *tmp_name(const char *base)
{
	static unsigned long seq;
	unsigned long r = (unsigned long)getpid() * 2654435761u ^ (unsigned long)time(NULL) ^
			  (++seq * 40503u);

	return xasprintf("%s.tmp-%06lx", base, r % 0xffffffu);
}

int savestate_tmp_open(const char *file, struct savestate_tmp *t, struct strbuf *why)
{
	const char *slash = strrchr(file, '/');
	char *dir = slash ? xstrndup(file, slash == file ? 1 : (size_t)(slash - file)) : xstrdup(".");
	struct stat st;
	int i;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->base = xstrdup(slash ? slash + 1 : file);
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0 || !*t->base) {
		sb_addf(why, "%s: %s", dir, t->dirfd < 0 ? strerror(errno) : "names a directory");
		free(dir);
		return -1;
	}
	/* Found now, not after the migration: the guest would wait for nothing. */
	if (fstatat(t->dirfd, t->base, &st, 0) == 0 && S_ISDIR(st.st_mode)) {
		sb_addf(why, "%s: is a directory (FILE names the state file to write)", file);
		free(dir);
		return -1;
	}
	/* Guest memory: the owner's alone. */
	t->fd = openat(t->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	for (i = 0; t->fd < 0 && i < 100; i++) {
		free(t->named);
		t->named = tmp_name(t->base);
		t->fd = openat(t->dirfd, t->named, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			       0600);
		if (t->fd < 0 && errno != EEXIST)
			break;
	}
	if (t->fd < 0) {
		sb_addf(why, "cannot create a file in %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
}

int savestate_tmp_commit(struct savestate_tmp *t, struct strbuf *why)
{
	char *proc = xasprintf("/proc/self/fd/%d", t->fd);
	int i, r = -1;

	if (fsync(t->fd) < 0) {
		sb_addf(why, "fsync: %s", strerror(errno));
		goto out;
	}
	for (i = 0; !t->named && i < 100; i++) {
		t->named = tmp_name(t->base);
		if (linkat(AT_FDCWD, proc, t->dirfd, t->named, AT_SYMLINK_FOLLOW) == 0)
			break;
		free(t->named);
		t->named = NULL;
		if (errno != EEXIST) {
			sb_addf(why, "cannot link the new file: %s", strerror(errno));
			goto out;
		}
	}
	if (!t->named || renameat(t->dirfd, t->named, t->dirfd, t->base) < 0) {
		sb_addf(why, "cannot rename it to %s: %s", t->base, strerror(errno));
		goto out;
	}
	free(t->named);
	t->named = NULL;
	if (fsync(t->dirfd) < 0 && errno != EINVAL) {
		sb_addf(why, "fsync of its directory: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(proc);
	return r;
}

void savestate_tmp_close(struct savestate_tmp *t)
{
	if (t->named && t->dirfd >= 0)
		unlinkat(t->dirfd, t->named, 0);
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->named);
	free(t->base);
	memset(t, 0, sizeof(*t));
	t->fd = t->dirfd = -1;
}
