#include "cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next word at *P, quotes grouping spaces, as the kernel's next_arg. */
static size_t next_word(const char **p, const char **start)
{
	const char *s = *p;
	int quoted = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	*start = s;
	while (*s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n'))) {
		if (*s == '"')
			quoted = !quoted;
		s++;
	}
	*p = s;
	return (size_t)(s - *start);
}

/* VALUE of N bytes into DST without its double quotes; -1 if it does not fit. */
static int unquote(char *dst, size_t size, const char *v, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (v[i] == '"')
			continue;
		if (j + 1 >= size)
			return -1;
		dst[j++] = v[i];
	}
	dst[j] = '\0';
	return 0;
}

static int add_param(struct boot *b, const char *w, size_t n, const char *dot, char *why,
		     size_t whylen)
{
	struct boot_param *p;
	size_t i, mlen = (size_t)(dot - w);

	if (b->nparams == BOOT_PARAMS_MAX || mlen >= sizeof(p->module) ||
	    n - mlen - 1 >= sizeof(p->kv)) {
		snprintf(why, whylen, "%.*s: too many or too long module parameters", (int)n, w);
		return -1;
	}
	p = &b->params[b->nparams++];
	for (i = 0; i < mlen; i++)
		p->module[i] = w[i] == '-' ? '_' : w[i];
	p->module[mlen] = '\0';
	memcpy(p->kv, dot + 1, n - mlen - 1);
	p->kv[n - mlen - 1] = '\0';
	return 0;
}

/* KEY=value words vmlaunch-init keeps: where each goes. */
static char *field(struct boot *b, const char *w, size_t n, size_t *klen, size_t *size)
{
	static const struct { const char *key; size_t off, size; } keys[] = {
		{ "root=", offsetof(struct boot, root), sizeof(((struct boot *)0)->root) },
		{ "rootfstype=", offsetof(struct boot, fstype), sizeof(((struct boot *)0)->fstype) },
		{ "rootflags=", offsetof(struct boot, flags), sizeof(((struct boot *)0)->flags) },
		{ "init=", offsetof(struct boot, init), sizeof(((struct boot *)0)->init) },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		*klen = strlen(keys[i].key);
		if (n >= *klen && memcmp(w, keys[i].key, *klen) == 0) {
			*size = keys[i].size;
			return (char *)b + keys[i].off;
		}
	}
	return NULL;
}

static int one_word(struct boot *b, const char *w, size_t n, char *why, size_t whylen)
{
	const char *eq = memchr(w, '=', n), *dot = memchr(w, '.', n);
	size_t klen, size;
	char *dst = field(b, w, n, &klen, &size);

	if (dst) {
		if (unquote(dst, size, w + klen, n - klen) < 0) {
			snprintf(why, whylen, "%.*s: too long", (int)(klen - 1), w);
			return -1;
		}
	} else if (n == 2 && memcmp(w, "rw", 2) == 0) {
		b->rw = 1;
	} else if (n == 2 && memcmp(w, "ro", 2) == 0) {
		b->rw = 0;
	} else if (n == 8 && memcmp(w, "rootwait", 8) == 0) {
		b->rootwait = 1;
	} else if (n > 10 && memcmp(w, "rootdelay=", 10) == 0) {
		b->rootdelay = atoi(w + 10);
	} else if (dot && dot > w && (!eq || dot < eq) && w[0] != '"') {
		return add_param(b, w, n, dot, why, whylen);
	}
	return 0;
}

int boot_parse(struct boot *b, const char *cmdline, char *why, size_t whylen)
{
	const char *p = cmdline, *w;
	size_t n;

	memset(b, 0, sizeof(*b));
	snprintf(b->init, sizeof(b->init), "/sbin/init");
	while ((n = next_word(&p, &w)) > 0) {
		if (n == 2 && memcmp(w, "--", 2) == 0)
			break;
		if (one_word(b, w, n, why, whylen) < 0)
			return -1;
	}
	if (!b->root[0]) {
		snprintf(why, whylen, "root= not found on the kernel command line");
		return -1;
	}
	if (strncmp(b->root, "/dev/", 5) != 0) {
		snprintf(why, whylen, "root=%s: cannot use it: vmlaunch-init takes a /dev/NAME",
			 b->root);
		return -1;
	}
	return 0;
}

void boot_module_params(const struct boot *b, const char *module, char *out, size_t n)
{
	size_t i, len = 0;
	char name[64];

	snprintf(name, sizeof(name), "%s", module);
	for (i = 0; name[i]; i++)
		if (name[i] == '-')
			name[i] = '_';
	out[0] = '\0';
	for (i = 0; i < b->nparams; i++) {
		int w;

		if (strcmp(b->params[i].module, name) != 0)
			continue;
		w = snprintf(out + len, n - len, "%s%s", len ? " " : "", b->params[i].kv);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}
