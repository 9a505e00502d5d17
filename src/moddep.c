#include "moddep.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *moddep_name(const char *s)
{
	const char *base = strrchr(s, '/'), *dot;
	char *name;
	size_t i;

	base = base ? base + 1 : s;
	dot = strstr(base, ".ko");
	name = xstrndup(base, dot ? (size_t)(dot - base) : strlen(base));
	for (i = 0; name[i]; i++)
		if (name[i] == '-')
			name[i] = '_';
	return name;
}

/* FNV-1a of a normalised name: the index's slots (m->slot, open addressing). */
static size_t name_hash(const char *s)
{
	size_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct mod *lookup(const struct moddep *m, const char *norm)
{
	size_t i;

	if (!m->nslots)
		return NULL;
	for (i = name_hash(norm) & (m->nslots - 1); m->slot[i]; i = (i + 1) & (m->nslots - 1))
		if (strcmp(m->v[m->slot[i] - 1].name, norm) == 0)
			return &m->v[m->slot[i] - 1];
	return NULL;
}

/* Slot of v[INDEX] (1-based in the table: 0 is empty), growing it at half full. */
static void index_add(struct moddep *m, size_t index)
{
	size_t i;

	if (2 * (m->n + 1) > m->nslots) {
		free(m->slot);
		m->nslots = m->nslots ? 2 * m->nslots : 64;
		m->slot = xcalloc(m->nslots, sizeof(*m->slot));
		for (i = 0; i < m->n; i++)
			if (i != index)
				index_add(m, i);
	}
	for (i = name_hash(m->v[index].name) & (m->nslots - 1); m->slot[i];
	     i = (i + 1) & (m->nslots - 1))
		;
	m->slot[i] = index + 1;
}

struct mod *moddep_find(const struct moddep *m, const char *name)
{
	char *n = moddep_name(name);
	struct mod *mod = lookup(m, n);

	free(n);
	return mod;
}

int moddep_is_builtin(const struct moddep *m, const char *name)
{
	char *n = moddep_name(name);
	size_t i;
	int found = 0;

	for (i = 0; i < m->builtin.n && !found; i++)
		found = strcmp(m->builtin.v[i], n) == 0;
	free(n);
	return found;
}

static struct mod *add_mod(struct moddep *m, const char *path, size_t len)
{
	char *p = xstrndup(path, len), *name = moddep_name(p);
	struct mod *mod = lookup(m, name);

	if (mod) {      /* one entry per name: the kernel could load only one */
		free(name);
		free(p);
		return mod;
	}
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 64;
		m->v = xrealloc(m->v, m->alloc * sizeof(*m->v));
	}
	mod = &m->v[m->n];
	memset(mod, 0, sizeof(*mod));
	mod->path = p;
	mod->name = name;
	index_add(m, m->n);
	m->n++;
	return mod;
}

/* The next line of BUF (without its newline) at *POS; 0 at the end. */
static int next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + 1;
	return 1;
}

static int bad_line(const char *line, size_t n, unsigned lineno, const char *what, char *why,
		    size_t whylen)
{
	snprintf(why, whylen, "line %u: %s: '%.*s'", lineno, what, (int)(n > 60 ? 60 : n), line);
	return -1;
}

/* A path as an index writes it: no NUL, no space, ends in .ko or .ko.EXT. */
static int path_ok(const char *p, size_t n)
{
	const char *ko = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\0' || p[i] == ' ' || p[i] == '\t' || p[i] == '\r')
			return 0;
	for (i = 0; i + 3 <= n; i++)
		if (memcmp(p + i, ".ko", 3) == 0)
			ko = p + i;
	return ko && ko > p && ko[-1] != '/';
}

/* The dependency paths of a modules.dep line, from P to END, as names into DEPS. */
static int parse_deps(const char *p, const char *end, struct strvec *deps)
{
	while (p < end) {
		const char *w;
		char *dp;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (w = p; p < end && *p != ' ' && *p != '\t'; p++)
			;
		if (p == w)
			continue;
		if (!path_ok(w, (size_t)(p - w)))
			return -1;
		dp = xstrndup(w, (size_t)(p - w));
		strvec_push_nodup(deps, moddep_name(dp));
		free(dp);
	}
	return 0;
}

int moddep_parse_dep(struct moddep *m, const char *buf, size_t len, char *why, size_t whylen)
{
	struct strvec dup = STRVEC_INIT;
	const char *line;
	size_t pos = 0, n;
	unsigned lineno = 0;

	while (next_line(buf, len, &pos, &line, &n)) {
		const char *colon = memchr(line, ':', n), *end = line + n;
		struct mod *mod;

		lineno++;
		if (n && line[n - 1] == '\r')     /* a modules.dep copied through Windows */
			end = line + --n;
		if (n == 0)
			continue;
		if (!colon || !path_ok(line, (size_t)(colon - line)))
			return bad_line(line, n, lineno, "not \"PATH.ko: PATH.ko...\"", why, whylen);
		mod = add_mod(m, line, (size_t)(colon - line));
		if (parse_deps(colon + 1, end, mod->deps_known ? &dup : &mod->deps) < 0) {
			strvec_clear(&dup);
			return bad_line(line, n, lineno, "a dependency that is not a module path",
					why, whylen);
		}
		strvec_clear(&dup);     /* listed twice: the first line's path and deps, as modprobe */
		mod->deps_known = 1;
	}
	return 0;
}

int moddep_parse_order(struct moddep *m, const char *buf, size_t len, char *why, size_t whylen)
{
	const char *line;
	size_t pos = 0, n;
	unsigned lineno = 0;

	while (next_line(buf, len, &pos, &line, &n)) {
		lineno++;
		if (n == 0)
			continue;
		if (!path_ok(line, n))
			return bad_line(line, n, lineno, "not a module path", why, whylen);
		add_mod(m, line, n);
	}
	return 0;
}

void moddep_parse_builtin(struct moddep *m, const char *buf, size_t len)
{
	const char *line;
	size_t pos = 0, n;

	while (next_line(buf, len, &pos, &line, &n)) {
		char *p;

		if (n == 0 || memchr(line, '\0', n))
			continue;
		p = xstrndup(line, n);
		strvec_push_nodup(&m->builtin, moddep_name(p));
		free(p);
	}
}

/* An alias as compared: '-' and '_' alike, nothing dropped. */
static char *alias_norm(const char *a)
{
	char *n = xstrdup(a), *p;

	for (p = n; *p; p++)
		if (*p == '-')
			*p = '_';
	return n;
}

void moddep_add_alias(struct moddep *m, const char *alias, const char *module)
{
	strvec_push_nodup(&m->alias_from, alias_norm(alias));
	strvec_push_nodup(&m->alias_to, moddep_name(module));
}

/* modules.alias: "alias PATTERN MODULE" lines; patterns with wildcards are a device's, not ours. */
void moddep_parse_alias(struct moddep *m, const char *buf, size_t len)
{
	const char *line;
	size_t pos = 0, n;

	while (next_line(buf, len, &pos, &line, &n)) {
		char *l, *a, *mod, *save = NULL;

		if (n < 6 || memcmp(line, "alias ", 6) != 0 || memchr(line, '\0', n))
			continue;
		l = xstrndup(line + 6, n - 6);
		a = strtok_r(l, " \t\r", &save);
		mod = a ? strtok_r(NULL, " \t\r", &save) : NULL;
		if (mod && !strpbrk(a, "*?["))
			moddep_add_alias(m, a, mod);
		free(l);
	}
}

void moddep_parse_softdep(struct moddep *m, const char *buf, size_t len)
{
	const char *line;
	size_t pos = 0, n;

	while (next_line(buf, len, &pos, &line, &n)) {
		char *l, *w, *save = NULL;
		struct mod *mod;

		if (n < 8 || memcmp(line, "softdep ", 8) != 0 || memchr(line, '\0', n))
			continue;
		l = xstrndup(line + 8, n - 8);
		w = strtok_r(l, " \t\r", &save);
		mod = w ? moddep_find(m, w) : NULL;
		while (mod && (w = strtok_r(NULL, " \t\r", &save)))
			if (w[strlen(w) - 1] != ':')
				strvec_push(&mod->soft, w);
		free(l);
	}
}

/* modules.builtin.modinfo: "MODULE.alias=NAME" strings, NUL-separated. */
void moddep_parse_builtin_modinfo(struct moddep *m, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *s = buf + i, *nul = memchr(s, '\0', len - i);
		size_t n = nul ? (size_t)(nul - s) : len - i;
		const char *key = memchr(s, '.', n);

		if (key && (size_t)(s + n - key) > 7 && memcmp(key, ".alias=", 7) == 0) {
			char *mod = xstrndup(s, (size_t)(key - s)), *a = xstrndup(key + 7,
				 (size_t)(s + n - key - 7));

			if (!strpbrk(a, "*?["))
				moddep_add_alias(m, a, mod);
			free(a);
			free(mod);
		}
		i += n + 1;
	}
}

const char *moddep_resolve(const struct moddep *m, const char *name)
{
	char *n;
	const char *found = NULL;
	size_t i;

	if (moddep_find(m, name) || moddep_is_builtin(m, name))
		return name;
	n = alias_norm(name);
	for (i = 0; i < m->alias_from.n && !found; i++)
		if (strcmp(m->alias_from.v[i], n) == 0 &&
		    (moddep_find(m, m->alias_to.v[i]) || moddep_is_builtin(m, m->alias_to.v[i])))
			found = m->alias_to.v[i];
	free(n);
	return found;
}

void moddep_free(struct moddep *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].path);
		strvec_clear(&m->v[i].deps);
		strvec_clear(&m->v[i].soft);
	}
	free(m->v);
	free(m->slot);
	strvec_clear(&m->builtin);
	strvec_clear(&m->alias_from);
	strvec_clear(&m->alias_to);
	memset(m, 0, sizeof(*m));
}

/* ---- .modinfo of an ELF64 little-endian relocatable (x86-64 modules) ---- */

static uint64_t le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Section INDEX's offset and size, checked against the file. */
static int section(const unsigned char *elf, size_t len, uint64_t shoff, unsigned shentsize,
		   unsigned index, uint64_t *off, uint64_t *size)
{
	const unsigned char *sh = elf + shoff + (uint64_t)index * shentsize;

	*off = le(sh + 24, 8);
	*size = le(sh + 32, 8);
	return *off <= len && *size <= len - *off ? 0 : -1;
}

static int find_modinfo(const unsigned char *elf, size_t len, uint64_t *off, uint64_t *size)
{
	uint64_t shoff, stroff, strsize;
	unsigned shentsize, shnum, shstrndx, i;

	if (len < 64 || memcmp(elf, "\177ELF", 4) != 0 || elf[4] != 2 || elf[5] != 1)
		return -1;
	shoff = le(elf + 40, 8);
	shentsize = (unsigned)le(elf + 58, 2);
	shnum = (unsigned)le(elf + 60, 2);
	shstrndx = (unsigned)le(elf + 62, 2);
	if (shentsize < 64 || shstrndx >= shnum || shoff > len ||
	    (uint64_t)shnum * shentsize > len - shoff ||
	    section(elf, len, shoff, shentsize, shstrndx, &stroff, &strsize) < 0)
		return -1;
	for (i = 0; i < shnum; i++) {
		uint64_t name = le(elf + shoff + (uint64_t)i * shentsize, 4);

		if (name < strsize && strsize - name >= sizeof(".modinfo") &&
		    memcmp(elf + stroff + name, ".modinfo", sizeof(".modinfo")) == 0)
			return section(elf, len, shoff, shentsize, i, off, size);
	}
	return -1;
}

static void split_names(struct strvec *deps, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		char *w;

		while (j < n && v[j] != ',')
			j++;
		if (j > i) {
			w = xstrndup(v + i, j - i);
			strvec_push_nodup(deps, moddep_name(w));
			free(w);
		}
		i = j + 1;
	}
}

/* softdep=pre: a b post: c: the names, the pre: and post: words left out. */
static void split_soft(struct strvec *soft, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j;

		while (i < n && v[i] == ' ')
			i++;
		for (j = i; j < n && v[j] != ' '; j++)
			;
		if (j > i && v[j - 1] != ':')
			strvec_push_nodup(soft, xstrndup(v + i, j - i));
		i = j;
	}
}

int modinfo_read(const unsigned char *elf, size_t len, struct strvec *deps, char *vermagic,
		 size_t vlen, char *why, size_t whylen)
{
	return modinfo_parse(elf, len, deps, NULL, NULL, vermagic, vlen, why, whylen);
}

int modinfo_parse(const unsigned char *elf, size_t len, struct strvec *deps, struct strvec *soft,
		  struct strvec *aliases, char *vermagic, size_t vlen, char *why, size_t whylen)
{
	uint64_t off, size, i = 0;
	const char *info;

	if (vlen)
		vermagic[0] = '\0';
	if (find_modinfo(elf, len, &off, &size) < 0) {
		snprintf(why, whylen, "not a kernel module (no ELF .modinfo section)");
		return -1;
	}
	info = (const char *)elf + off;
	while (i < size) {
		const char *s = info + i, *nul = memchr(s, '\0', (size_t)(size - i));
		size_t n = nul ? (size_t)(nul - s) : (size_t)(size - i);

		if (deps && n > 8 && memcmp(s, "depends=", 8) == 0)
			split_names(deps, s + 8, n - 8);
		else if (soft && n > 8 && memcmp(s, "softdep=", 8) == 0)
			split_soft(soft, s + 8, n - 8);
		else if (aliases && n > 6 && memcmp(s, "alias=", 6) == 0)
			strvec_push_nodup(aliases, xstrndup(s + 6, n - 6));
		else if (n > 9 && memcmp(s, "vermagic=", 9) == 0 && vlen) {
			/* Bounded by the string: the section's last one may lack its NUL. */
			const char *sp = memchr(s + 9, ' ', n - 9);
			size_t w = sp ? (size_t)(sp - (s + 9)) : n - 9;

			snprintf(vermagic, vlen, "%.*s", (int)w, s + 9);
		}
		i += n + 1;
	}
	return 0;
}

/* ---- closure ---- */

struct walk {
	struct moddep *m;
	moddep_loader load;
	void *ctx;
	size_t *order, *norder;
	char *why;
	size_t whylen;
};

static int visit(struct walk *w, const char *name, const char *needed_by, unsigned depth)
{
	struct mod *mod = moddep_find(w->m, name);
	size_t i;

	if (!mod) {
		if (moddep_is_builtin(w->m, name))
			return 0;
		if (needed_by)
			snprintf(w->why, w->whylen, "module %s (needed by %s) is neither in the tree "
				 "nor built into the kernel", name, needed_by);
		else
			snprintf(w->why, w->whylen, "module %s is neither in the tree nor built into "
				 "the kernel", name);
		return -1;
	}
	if (mod->state)     /* done, or a cycle (depmod refuses those): once is enough */
		return 0;
	mod->state = 1;
	if (!mod->deps_known) {
		if (!w->load) {
			snprintf(w->why, w->whylen, "module %s: its dependencies are unknown", mod->name);
			return -1;
		}
		if (w->load(w->ctx, mod, w->why, w->whylen) < 0)
			return -1;
		mod->deps_known = 1;
	}
	if (depth > 64 && mod->deps.n) {
		snprintf(w->why, w->whylen, "module %s: dependencies nested more than 64 deep",
			 mod->name);
		return -1;
	}
	for (i = 0; i < mod->deps.n; i++) {
		/* The mod array does not move during a walk: nothing is added. */
		if (visit(w, mod->deps.v[i], mod->name, depth + 1) < 0)
			return -1;
	}
	mod->state = 2;
	w->order[(*w->norder)++] = (size_t)(mod - w->m->v);
	return 0;
}

int moddep_closure(struct moddep *m, const char *const *wanted, size_t nwanted,
		   moddep_loader load, void *ctx, size_t *order, size_t *norder, char *why,
		   size_t whylen)
{
	struct walk w = { m, load, ctx, order, norder, why, whylen };
	size_t i;

	*norder = 0;
	for (i = 0; i < m->n; i++)
		m->v[i].state = 0;
	for (i = 0; i < nwanted; i++)
		if (visit(&w, wanted[i], NULL, 0) < 0)
			return -1;
	return 0;
}
