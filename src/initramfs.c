#include "initramfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "exitcodes.h"
#include "moddep.h"
#include "path.h"
#include "qemu_argv.h"
#include "safefile.h"
#include "sha256.h"
#include "xalloc.h"

/* rootfstype=a,b: the kernel (and vmlaunch-init) tries each; each must be there. */
static size_t fs_needs(const char *fstype, struct initramfs_need *needs, size_t room)
{
	static char types[INITRAMFS_NEEDS_MAX][64];
	size_t n = 0;
	const char *p = fstype;

	while (*p && n < room) {
		size_t len = strcspn(p, ",");

		if (len && len < sizeof(types[0])) {
			snprintf(types[n], sizeof(types[n]), "%.*s", (int)len, p);
			needs[n] = (struct initramfs_need){ types[n], "rootfstype=", 0, 0, 1 };
			n++;
		}
		p += len + (p[len] == ',');
	}
	return n;
}

size_t initramfs_needs(const struct vm_plan *p, const char *fstype,
		       struct initramfs_need *needs)
{
	const struct vm_config *cfg = p->cfg;
	size_t n = 0;

	if (cfg->machine == MACHINE_MICROVM)
		needs[n++] = (struct initramfs_need){ "virtio_mmio", "machine microvm", 0, 1, 0 };
	else
		needs[n++] = (struct initramfs_need){ "virtio_pci", "virtio devices on PCI", 0, 0, 0 };
	if (p->ndisks)
		needs[n++] = (struct initramfs_need){ "virtio_blk", "disks", 0, 0, 0 };
	if (cfg->net == NET_VIRTIO)
		needs[n++] = (struct initramfs_need){ "virtio_net", "net virtio", 0, 0, 0 };
	else if (cfg->net == NET_E1000)
		needs[n++] = (struct initramfs_need){ "e1000", "net e1000", 0, 0, 0 };
	if (p->nshares) {
		needs[n++] = (struct initramfs_need){ "9pnet_virtio", "shares", 0, 0, 0 };
		needs[n++] = (struct initramfs_need){ "9p", "shares", 0, 0, 0 };
	}
	if (!fstype)
		needs[n++] = (struct initramfs_need){ "ext4", "the root file system", 0, 0, 1 };
	else
		n += fs_needs(fstype, needs + n, INITRAMFS_NEEDS_MAX - 1 - n);
	/* ext4 and jbd2 ask the crypto API for crc32c at mount time (a softdep, too). */
	if (!fstype || strcmp(fstype, "ext4") == 0)
		needs[n++] = (struct initramfs_need){ "crc32c_generic", "ext4 checksums", 1, 0, 0 };
	return n;
}

/* ---- which tree ---- */

static int is_tree(const char *dir)
{
	char *dep = xasprintf("%s/modules.dep", dir), *order = xasprintf("%s/modules.order", dir);
	int yes = access(dep, F_OK) == 0 || access(order, F_OK) == 0;

	free(dep);
	free(order);
	return yes;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ROOT/lib/modules: the kernel's VERSION, or say which versions there are. */
static char *pick_version(const char *root, const char *version, struct strbuf *why)
{
	char *lm = xasprintf("%s/lib/modules", root), *want = xasprintf("%s/%s", lm, version);
	struct strbuf have = STRBUF_INIT;
	struct dirent *e;
	DIR *dir;
	size_t n = 0;

	if (is_dir(want)) {
		free(lm);
		return want;
	}
	dir = opendir(lm);
	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.') {
			sb_addf(&have, "%s%s", n++ ? ", " : "", e->d_name);
		}
	if (dir)
		closedir(dir);
	if (n == 1)
		sb_addf(why, "tree is for %s but the kernel is %s (%s)", have.buf, version, lm);
	else
		sb_addf(why, "%s has no tree for the kernel's version %s (it has: %s)", lm, version,
			n ? have.buf : "nothing");
	sb_release(&have);
	free(want);
	free(lm);
	return NULL;
}

/* modules = auto: R/boot/vmlinuz-V → R/lib/modules/V. */
static char *auto_tree(const char *kernel, const char *version, struct strbuf *why)
{
	char *dir = path_dirname(kernel), *root, *tree;
	const char *base = strrchr(dir, '/');

	if (!base || strcmp(base, "/boot") != 0) {
		sb_addf(why, "modules = auto: the kernel '%s' is not in a boot/ directory, so "
			"its lib/modules is not next to it; name the tree: modules = DIR", kernel);
		free(dir);
		return NULL;
	}
	root = xstrndup(dir, (size_t)(base - dir));
	tree = xasprintf("%s/lib/modules/%s", root, version);
	free(root);
	free(dir);
	if (!is_tree(tree)) {
		sb_addf(why, "modules = auto: %s (next to the kernel) %s; name the tree: modules "
			"= DIR", tree, is_dir(tree) ? "has neither modules.dep nor modules.order" :
			"does not exist");
		free(tree);
		return NULL;
	}
	return tree;
}

char *initramfs_find_tree(const char *modules, const char *kernel, const char *version,
			  struct strbuf *why)
{
	char *lm;
	const char *base;

	if (strcmp(modules, "auto") == 0)
		return auto_tree(kernel, version, why);
	if (is_tree(modules)) {
		base = strrchr(modules, '/');
		base = base ? base + 1 : modules;
		if (strcmp(base, version) != 0) {
			sb_addf(why, "tree is for %s but the kernel is %s", base, version);
			return NULL;
		}
		return xstrdup(modules);
	}
	lm = xasprintf("%s/lib/modules", modules);
	if (is_dir(lm)) {
		free(lm);
		return pick_version(modules, version, why);
	}
	free(lm);
	sb_addf(why, "'%s' %s", modules, is_dir(modules) ? "is neither a module tree (no "
		"modules.dep or modules.order) nor a root holding lib/modules" : "does not exist");
	return NULL;
}

/* ---- reading the tree ---- */

static int read_all(const char *path, size_t max, unsigned char **out, size_t *len,
		    struct strbuf *why)
{
	struct stat st = { 0 };
	unsigned char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		sb_addf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		int err = errno;

		sb_addf(why, "%s: %s", path, err && st.st_mode == 0 ? strerror(err) :
			!S_ISREG(st.st_mode) ? "not a regular file" : "larger than vmlaunch reads");
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* An error, or a file that shrank under us: no half module in the archive. */
			sb_addf(why, "%s: %s", path, n < 0 ? strerror(errno) :
				"shorter than its size: changed while read");
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

struct tree {
	const char *dir;
	struct moddep dep;
	const char *index;      /* which file listed the modules */
};

static char *module_file(const struct tree *t, const struct mod *m, struct strbuf *why);

/* The aliases of the modules whose path has WHERE (at its start when AT_START). */
static void read_aliases(struct tree *t, const char *where, int at_start)
{
	size_t i;

	for (i = 0; i < t->dep.n; i++) {
		struct mod *m = &t->dep.v[i];
		struct strbuf why = STRBUF_INIT;
		struct strvec aliases = STRVEC_INIT;
		unsigned char *buf = NULL;
		size_t len, k;
		char *path, w[160];

		if (m->aliases_read || (at_start ? strncmp(m->path, where, strlen(where)) != 0 :
					!strstr(m->path, where)))
			continue;
		m->aliases_read = 1;
		path = module_file(t, m, &why);
		/* An unreadable module is reported if it is needed, not for being looked at. */
		if (path && read_all(path, INITRAMFS_MODULE_MAX, &buf, &len, &why) == 0 &&
		    modinfo_parse(buf, len, NULL, NULL, &aliases, NULL, 0, w, sizeof(w)) == 0)
			for (k = 0; k < aliases.n; k++)
				moddep_add_alias(&t->dep, aliases.v[k], m->name);
		strvec_clear(&aliases);
		sb_release(&why);
		free(buf);
		free(path);
	}
}

/*
 * NAME as a module of the tree or the kernel: itself, or through an alias
 * of modules.alias, else of the modules' own .modinfo (a tree without
 * depmod's files): file systems' under kernel/fs/, others' under crypto/,
 * the generic kernel/crypto/ first.  NULL if none.
 */
static const char *resolve(struct tree *t, const char *name)
{
	const char *r = moddep_resolve(&t->dep, name);

	if (r)
		return r;
	if (strncmp(name, "fs-", 3) == 0) {
		read_aliases(t, "kernel/fs/", 1);
	} else {
		read_aliases(t, "kernel/crypto/", 1);
		read_aliases(t, "/crypto/", 0);
	}
	return moddep_resolve(&t->dep, name);
}

/* The VERSION of a tree .../lib/modules/VERSION: its last component. */
static const char *tree_version(const char *dir)
{
	const char *slash = strrchr(dir, '/');

	return slash ? slash + 1 : dir;
}

/* A module's file: the plain .ko, or refused with how to get one. */
static char *module_file(const struct tree *t, const struct mod *m, struct strbuf *why)
{
	static const char *const ext[][2] = {
		{ ".ko.xz", "xz -d" }, { ".ko.zst", "zstd -d --rm" }, { ".ko.gz", "gzip -d" },
	};
	char *path = xasprintf("%s/%s", t->dir, m->path);
	size_t i, n = strlen(path);

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i][0]);
		char *plain;

		if (n < e || strcmp(path + n - e, ext[i][0]) != 0)
			continue;
		/* Decompressed in place already: the index still names the old file. */
		plain = xstrndup(path, n - e + 3);
		if (access(plain, R_OK) == 0) {
			free(path);
			return plain;
		}
		free(plain);
		/*
		 * Not in place: the tree may be the host's own /lib/modules/V,
		 * whose modprobe expects the names modules.dep gives.
		 */
		sb_addf(why, "module %s: %s is compressed; vmlaunch loads plain .ko files: "
			"decompress a copy of the tree, not the tree itself (mkdir -p D/lib/modules "
			"&& cp -a %s D/lib/modules/ && find D -name '*%s' -exec %s {} + && depmod "
			"-b D %s), then modules = D", m->name, path, t->dir, ext[i][0], ext[i][1],
			tree_version(t->dir));
		free(path);
		return NULL;
	}
	return path;
}

/* moddep_loader for a tree without modules.dep: the module's own depends=. */
static int load_modinfo(void *ctx, struct mod *m, char *why, size_t whylen)
{
	struct tree *t = ctx;
	struct strbuf sb = STRBUF_INIT;
	unsigned char *buf = NULL;
	size_t len;
	char vermagic[80], w[160], *path = module_file(t, m, &sb);
	int ret = -1;

	if (!path)
		snprintf(why, whylen, "%s", sb.buf);
	else if (read_all(path, INITRAMFS_MODULE_MAX, &buf, &len, &sb) < 0)
		snprintf(why, whylen, "module %s (listed in %s) cannot be read: %s", m->name,
			 t->index, sb.buf);
	else if ((ret = modinfo_read(buf, len, &m->deps, vermagic, sizeof(vermagic), w,
				     sizeof(w))) < 0)
		snprintf(why, whylen, "module %s: %s: %s", m->name, path, w);
	free(buf);
	sb_release(&sb);
	free(path);
	return ret;
}

/* DIR/NAME's bytes, or none (*LEN 0) when there is no such file. */
static int read_optional(const char *dir, const char *name, unsigned char **buf, size_t *len,
			 struct strbuf *why)
{
	char *path = xasprintf("%s/%s", dir, name);
	int ret = 0;

	*buf = NULL;
	*len = 0;
	if (access(path, F_OK) == 0)
		ret = read_all(path, 64u << 20, buf, len, why);
	free(path);
	return ret;
}

static int open_index(struct tree *t, struct strbuf *why)
{
	char *dep = xasprintf("%s/modules.dep", t->dir), *order = xasprintf("%s/modules.order",
									     t->dir);
	char *builtin = xasprintf("%s/modules.builtin", t->dir), w[160];
	unsigned char *buf = NULL;
	size_t len;
	int dep_file = access(dep, F_OK) == 0, ret = -1;

	t->index = dep_file ? "modules.dep" : "modules.order";
	if (read_all(dep_file ? dep : order, 64u << 20, &buf, &len, why) < 0)
		goto out;
	if ((dep_file ? moddep_parse_dep : moddep_parse_order)(&t->dep, (char *)buf, len, w,
							      sizeof(w)) < 0) {
		sb_addf(why, "%s: %s", dep_file ? dep : order, w);
		goto out;
	}
	free(buf);
	buf = NULL;
	if (access(builtin, F_OK) == 0) {
		if (read_all(builtin, 64u << 20, &buf, &len, why) < 0)
			goto out;
		moddep_parse_builtin(&t->dep, (char *)buf, len);
		free(buf);
		buf = NULL;
	}
	if (read_optional(t->dir, "modules.alias", &buf, &len, why) < 0)
		goto out;
	moddep_parse_alias(&t->dep, (char *)buf, len);
	free(buf);
	buf = NULL;
	if (read_optional(t->dir, "modules.builtin.modinfo", &buf, &len, why) < 0)
		goto out;
	moddep_parse_builtin_modinfo(&t->dep, (char *)buf, len);
	free(buf);
	buf = NULL;
	if (read_optional(t->dir, "modules.softdep", &buf, &len, why) < 0)
		goto out;
	moddep_parse_softdep(&t->dep, (char *)buf, len);
	ret = 0;
out:
	free(buf);
	free(dep);
	free(order);
	free(builtin);
	return ret;
}

/* ---- the modules, hashed and archived ---- */

struct payload {
	struct strvec names;
	unsigned char **data;
	size_t *len;
	struct strvec builtin;  /* needed names the kernel has built in */
};

static void payload_clear_modules(struct payload *pl)
{
	size_t i;

	for (i = 0; i < pl->names.n; i++)
		free(pl->data[i]);
	free(pl->data);
	free(pl->len);
	pl->data = NULL;
	pl->len = NULL;
	strvec_clear(&pl->names);
}

static void payload_free(struct payload *pl)
{
	payload_clear_modules(pl);
	strvec_clear(&pl->builtin);
}

/* Read one module of the load order and check it is for this kernel. */
static int read_module(struct tree *t, const struct mod *m, const char *version,
		       struct payload *pl, struct strvec *soft, struct strbuf *why)
{
	size_t i = pl->names.n, len;
	unsigned char *buf;
	struct strvec deps = STRVEC_INIT;
	char vermagic[80], w[160], *path = module_file(t, m, why);

	if (!path)
		return -1;
	if (read_all(path, INITRAMFS_MODULE_MAX, &buf, &len, why) < 0) {
		free(path);
		return -1;
	}
	if (modinfo_parse(buf, len, &deps, soft, NULL, vermagic, sizeof(vermagic), w,
			  sizeof(w)) < 0 ||
	    (vermagic[0] && strcmp(vermagic, version) != 0)) {
		if (vermagic[0] && strcmp(vermagic, version) != 0)
			sb_addf(why, "module %s (%s) is for %s but the kernel is %s", m->name, path,
				vermagic, version);
		else
			sb_addf(why, "module %s: %s: %s", m->name, path, w);
		strvec_clear(&deps);
		free(buf);
		free(path);
		return -1;
	}
	strvec_clear(&deps);
	free(path);
	strvec_push(&pl->names, m->name);
	pl->data = xrealloc(pl->data, (i + 1) * sizeof(*pl->data));
	pl->len = xrealloc(pl->len, (i + 1) * sizeof(*pl->len));
	pl->data[i] = buf;
	pl->len[i] = len;
	return 0;
}

static void push_once(struct strvec *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return;
	strvec_push(sv, s);
}

/* The needs as module names into WANTED (built-in ones into pl->builtin). */
static int want_needs(struct tree *t, const struct initramfs_need *needs, size_t nneeds,
		      struct payload *pl, struct strvec *wanted, int *at_append,
		      struct strbuf *why)
{
	size_t i;

	for (i = 0; i < nneeds; i++) {
		const char *name = needs[i].name, *r = resolve(t, name);
		char *fs = needs[i].fs ? xasprintf("fs-%s", name) : NULL;

		if (!r && fs)
			r = resolve(t, fs);
		if (needs[i].builtin_only && !(r && moddep_is_builtin(&t->dep, r))) {
			sb_addf(why, "%s: %s is not built into this kernel, and as a module it "
				"finds no devices: microvm has no ACPI, and the kernel learns them only "
				"from virtio_mmio.device= on its command line, which vmlaunch does not "
				"write; use machine = pc or q35, or a kernel with CONFIG_VIRTIO_MMIO=y",
				needs[i].why, name);
		} else if (!r && fs) {
			*at_append = strcmp(needs[i].why, "rootfstype=") == 0;
			sb_addf(why, "no module for the file system %s%s%s: neither %s nor an "
				"alias %s is in %s or built into the kernel (modules.builtin)", name,
				*at_append ? "" : ", ", *at_append ? "" : needs[i].why, name, fs,
				t->index);
		} else if (!r && !needs[i].optional) {
			sb_addf(why, "module %s (for %s) is neither in %s nor built into the kernel "
				"(modules.builtin)", name, needs[i].why, t->index);
		} else if (r) {
			push_once(moddep_is_builtin(&t->dep, r) ? &pl->builtin : wanted, r);
		}
		free(fs);
		if (why->len)
			return -1;
	}
	return 0;
}

/* A softdep SOFT of the module at POS in the load order: a module of the tree not before it. */
static const char *late_softdep(struct tree *t, const char *soft, size_t pos,
				const struct payload *pl)
{
	const char *r = resolve(t, soft);
	const struct mod *mod;
	size_t i;

	if (!r || moddep_is_builtin(&t->dep, r) || !(mod = moddep_find(&t->dep, r)))
		return NULL;    /* as modprobe: a softdep nobody provides is no error */
	for (i = 0; i < pos; i++)
		if (strcmp(pl->names.v[i], mod->name) == 0)
			return NULL;
	return mod->name;
}

/*
 * The load order of the needs, every file read.  Softdeps (libcrc32c's
 * crc32c, ext4's crypto-crc32c: .modinfo's, and modules.softdep's) are
 * known only once the modules are read:
 * each new one goes first in the wanted list and the order is made again.
 */
static int collect(struct tree *t, const struct initramfs_need *needs, size_t nneeds,
		   const char *version, struct payload *pl, int *at_append, struct strbuf *why)
{
	struct strvec wanted = STRVEC_INIT, soft = STRVEC_INIT;
	size_t i, norder, round, *order = xcalloc(t->dep.n + 1, sizeof(*order));
	char w[512];
	int ret = -1;

	*at_append = 0;
	if (want_needs(t, needs, nneeds, pl, &wanted, at_append, why) < 0)
		goto out;
	for (round = 0; round < 8; round++) {
		struct strvec more = STRVEC_INIT;

		if (moddep_closure(&t->dep, (const char *const *)wanted.v, wanted.n, load_modinfo,
				   t, order, &norder, w, sizeof(w)) < 0) {
			sb_adds(why, w);
			goto out;
		}
		payload_clear_modules(pl);
		for (i = 0; i < norder; i++) {
			const struct mod *m = &t->dep.v[order[i]];
			size_t k;

			strvec_clear(&soft);
			if (read_module(t, m, version, pl, &soft, why) < 0)
				goto out;
			for (k = 0; k < m->soft.n; k++)     /* modules.softdep's */
				strvec_push(&soft, m->soft.v[k]);
			for (k = 0; k < soft.n; k++) {
				const char *r = late_softdep(t, soft.v[k], i, pl);

				if (r)
					push_once(&more, r);
			}
		}
		if (!more.n)
			break;
		/* The late ones first, then the rest as they were. */
		for (i = 0; i < wanted.n; i++)
			push_once(&more, moddep_find(&t->dep, wanted.v[i]) ?
				  moddep_find(&t->dep, wanted.v[i])->name : wanted.v[i]);
		strvec_clear(&wanted);
		wanted = more;
	}
	ret = 0;
out:
	strvec_clear(&wanted);
	strvec_clear(&soft);
	free(order);
	return ret;
}

void initramfs_cpio(struct strbuf *out, const unsigned char *init, size_t init_len,
		    const struct strvec *names, unsigned char *const *data, const size_t *len,
		    const char *exit_conf)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "newroot", "vmlaunch" };
	struct cpio c = CPIO_INIT;
	struct strbuf list = STRBUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		cpio_add_dir(&c, dirs[i], 0755);
	/* The kernel opens it for init's stdio before /init mounts devtmpfs. */
	cpio_add_chardev(&c, "dev/console", 0600, 5, 1);
	cpio_add_file(&c, "init", 0755, init, init_len);
	cpio_add_file(&c, "vmlaunch/exit", 0644, exit_conf, strlen(exit_conf));
	for (i = 0; i < names->n; i++)
		sb_addf(&list, "%s\n", names->v[i]);
	cpio_add_file(&c, "vmlaunch/modules", 0644, list.buf ? list.buf : "", list.len);
	for (i = 0; i < names->n; i++) {
		char *name = xasprintf("vmlaunch/%s.ko", names->v[i]);

		cpio_add_file(&c, name, 0644, data[i], len[i]);
		free(name);
	}
	cpio_finish(&c);
	sb_release(&list);
	*out = c.out;
}

void initramfs_exit_conf(const struct vm_plan *p, char *buf, size_t n)
{
	const struct vm_config *cfg = p->cfg;
	int len = snprintf(buf, n, "%s", cfg->machine == MACHINE_MICROVM ? "reboot\n" : "");

	if (cfg->debug_exit && len >= 0 && (size_t)len < n)
		snprintf(buf + len, n - (size_t)len, "debug_exit 0x%x\n", cfg->debug_exit);
}

/* The name in the cache: the archive's own bytes, so any change of layout is a new name. */
static void archive_hash(const struct strbuf *archive, char hex[2 * SHA256_LEN + 1])
{
	unsigned char digest[SHA256_LEN];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, "vmlaunch initramfs 2\n", 21);
	sha256_update(&s, archive->buf, archive->len);
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
}

/* ---- the cache ---- */

char *initramfs_cache_dir(struct strbuf *why)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && xdg[0] == '/')
		return xasprintf("%s/vmlaunch/initramfs", xdg);
	if (home && home[0] == '/')
		return xasprintf("%s/.cache/vmlaunch/initramfs", home);
	sb_adds(why, "no cache directory: neither XDG_CACHE_HOME nor HOME is an absolute path");
	return NULL;
}

/* NAME in directory DFD: made if missing, ours, not a symlink, nobody else may write. */
static int own_dir(int dfd, const char *name, const char *path, struct strbuf *why)
{
	struct stat st;
	int fd;

	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST) {
		sb_addf(why, "cannot create the cache directory %s: %s", path, strerror(errno));
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		sb_addf(why, "the cache directory %s %s", path, errno == ELOOP || errno == ENOTDIR ?
			"is a symbolic link or not a directory: not used" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		/* A group member could plant an archive, and with it the VM's /init. */
		if (st.st_uid != geteuid())
			sb_addf(why, "the cache directory %s belongs to another user: not used", path);
		else
			sb_addf(why, "the cache directory %s is group- or world-writable: not used "
				"(chmod go-w %s)", path, path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The cache directory, opened component by component below its parent. */
static int open_cache(const char *dir, struct strbuf *why)
{
	char *parent = path_dirname(dir), *top = path_dirname(parent);
	int tfd, vfd, ifd;

	if (mkdir(top, 0700) < 0 && errno != EEXIST) {
		sb_addf(why, "cannot create %s: %s", top, strerror(errno));
		free(parent);
		free(top);
		return -1;
	}
	tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	vfd = tfd < 0 ? -1 : own_dir(tfd, "vmlaunch", parent, why);
	ifd = vfd < 0 ? -1 : own_dir(vfd, "initramfs", dir, why);
	if (tfd < 0)
		sb_addf(why, "cannot open %s: %s", top, strerror(errno));
	if (tfd >= 0)
		close(tfd);
	if (vfd >= 0)
		close(vfd);
	free(parent);
	free(top);
	return ifd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A cached archive: a regular file of ours, of the size this one has (a crash leaves less). */
static int cached(int dfd, const char *name, size_t size)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == geteuid() && (uint64_t)st.st_size == size;
}

/*
 * A file in DFD with ARCHIVE's bytes, on disk: unnamed (O_TMPFILE) so a
 * killed build leaves nothing behind, else named TMP.
 */
static int write_tmp(int dfd, const char *tmp, const struct strbuf *archive, int *named)
{
	int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);

	*named = fd < 0;
	if (fd < 0) {
		unlinkat(dfd, tmp, 0);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -1;
	if (write_all(fd, archive->buf, archive->len) < 0 || fsync(fd) < 0) {
		int err = errno;

		close(fd);
		if (*named)
			unlinkat(dfd, tmp, 0);
		errno = err;
		return -1;
	}
	return fd;
}

/* FD (from write_tmp) as NAME in DFD; a concurrent build's equal file is as good. */
static int publish(int dfd, int fd, int named, const char *tmp, const char *name, size_t size)
{
	char proc[64];

	if (named)
		return renameat(dfd, tmp, dfd, name);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	unlinkat(dfd, name, 0);     /* not cached(): a crash's leftover */
	if (linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	return errno == EEXIST && cached(dfd, name, size) ? 0 : -1;
}

/* NAME in DFD: kept if it is ours already, else written and put in place, crash-safe. */
static int store(int dfd, const char *name, const struct strbuf *archive, int *built,
		 struct strbuf *why)
{
	char tmp[128];
	int fd, named;

	*built = 0;
	if (cached(dfd, name, archive->len))
		return 0;
	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	fd = write_tmp(dfd, tmp, archive, &named);
	if (fd < 0) {
		sb_addf(why, "cannot write the initramfs: %s", strerror(errno));
		return -1;
	}
	if (publish(dfd, fd, named, tmp, name, archive->len) < 0) {
		sb_addf(why, "cannot put the initramfs in place: %s", strerror(errno));
		if (named)
			unlinkat(dfd, tmp, 0);
		close(fd);
		return -1;
	}
	close(fd);
	if (fsync(dfd) < 0) {
		sb_addf(why, "cannot sync the cache directory: %s", strerror(errno));
		return -1;
	}
	*built = 1;
	return 0;
}

/* ---- validation's part ---- */

static void say_modules(const struct vm_plan *p, const struct tree *t,
			const struct payload *pl, struct diag *d)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < pl->names.n; i++)
		sb_addf(&sb, " %s", pl->names.v[i]);
	diag_info(d, "modules: %s (from %s): the initramfs loads%s", p->modules_tree, t->index,
		  sb.len ? sb.buf : " nothing");
	sb_release(&sb);
	for (i = 0; i < pl->builtin.n; i++)
		sb_addf(&sb, "%s%s", i ? " " : "", pl->builtin.v[i]);
	if (pl->builtin.n)
		diag_info(d, "modules: built into the kernel: %s", sb.buf);
	sb_release(&sb);
}

static int place(struct vm_plan *p, const struct payload *pl, int build,
		 const struct origin *at, struct diag *d)
{
	struct strbuf why = STRBUF_INIT, archive;
	char hex[2 * SHA256_LEN + 1], conf[64], *dir = initramfs_cache_dir(&why), *name;
	int built = 0, dfd = -1, ret = 0;

	initramfs_exit_conf(p, conf, sizeof(conf));
	initramfs_cpio(&archive, vmlaunch_init_start,
		       (size_t)(vmlaunch_init_end - vmlaunch_init_start), &pl->names, pl->data,
		       pl->len, conf);
	archive_hash(&archive, hex);
	name = xasprintf("%s.cpio", hex);
	if (dir && build && (dfd = open_cache(dir, &why)) >= 0)
		ret = store(dfd, name, &archive, &built, &why);
	if (!dir || (build && (dfd < 0 || ret < 0))) {
		diag_error(d, at, EXIT_OSERR, "modules: %s", why.buf);
		ret = -1;
	} else {
		struct stat st;

		plan_set(&p->initrd, xasprintf("%s/%s", dir, name));
		if (!build)
			built = stat(p->initrd, &st) < 0 || (uint64_t)st.st_size != archive.len ?
				-1 : 0;
		diag_info(d, "initramfs: %s (%s)", p->initrd, built < 0 ? "not built yet: run, "
			  "start, test and check build it" : built ? "built now" : "cached");
	}
	if (dfd >= 0)
		close(dfd);
	sb_release(&archive);
	sb_release(&why);
	free(name);
	free(dir);
	return ret;
}

int initramfs_setup(struct vm_plan *p, int build, const struct origin *at,
		    const struct origin *append_at, struct diag *d)
{
	struct initramfs_need needs[INITRAMFS_NEEDS_MAX];
	struct payload pl = { STRVEC_INIT, NULL, NULL, STRVEC_INIT };
	struct strbuf why = STRBUF_INIT;
	struct tree t = { NULL, MODDEP_INIT, NULL };
	char *fstype = cmdline_param(p->cfg->append ? p->cfg->append : "", "rootfstype");
	int ret = -1, at_append = 0;
	size_t i, n;

	p->modules_tree = initramfs_find_tree(p->cfg->modules, p->kernel, p->kernel_version,
					      &why);
	if (!p->modules_tree) {
		diag_error(d, at, EXIT_CONFIG, "modules: %s", why.buf);
		goto out;
	}
	{
		char *real = realpath(p->modules_tree, NULL);    /* messages name it plainly */

		if (real)
			plan_set(&p->modules_tree, real);
	}
	t.dir = p->modules_tree;
	n = initramfs_needs(p, fstype, needs);
	if (open_index(&t, &why) < 0 ||
	    collect(&t, needs, n, p->kernel_version, &pl, &at_append, &why) < 0) {
		if (at_append)
			diag_error(d, append_at, EXIT_CONFIG, "append: rootfstype=%s: %s", fstype,
				   why.buf);
		else
			diag_error(d, at, EXIT_CONFIG, "modules: %s", why.buf);
		goto out;
	}
	for (i = 0; i < pl.names.n; i++)
		strvec_push(&p->modules, pl.names.v[i]);
	say_modules(p, &t, &pl, d);
	ret = place(p, &pl, build, at, d);
out:
	payload_free(&pl);
	moddep_free(&t.dep);
	sb_release(&why);
	free(fstype);
	return ret;
}
