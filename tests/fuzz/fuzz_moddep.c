/*
 * libFuzzer target: arbitrary bytes as modules.dep, modules.order and
 * modules.builtin, then the closure of every name they list (a cycle or a
 * dangling dependency must end in an answer, not a crash), and the same
 * bytes as a module's ELF .modinfo.
 */
#include <stdint.h>
#include <stdlib.h>

#include "moddep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int no_deps(void *ctx, struct mod *mod, char *why, size_t whylen)
{
	(void)ctx;
	(void)why;
	(void)whylen;
	strvec_push(&mod->deps, mod->name);     /* a module needing itself: a cycle */
	return 0;
}

static void closure(struct moddep *m)
{
	const char **names = calloc(m->n + 1, sizeof(*names));
	size_t *order = calloc(m->n + 1, sizeof(*order)), i, n;
	char why[256];

	for (i = 0; i < m->n; i++)
		names[i] = m->v[i].name;
	if (moddep_closure(m, names, m->n, no_deps, NULL, order, &n, why, sizeof(why)) == 0)
		for (i = 0; i < n; i++)
			if (order[i] >= m->n)
				abort();
	free(names);
	free(order);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct moddep m = MODDEP_INIT;
	struct strvec deps = STRVEC_INIT;
	char why[256], vermagic[80];

	moddep_parse_builtin(&m, (const char *)data, size);
	if (moddep_parse_dep(&m, (const char *)data, size, why, sizeof(why)) == 0)
		closure(&m);
	moddep_free(&m);
	if (moddep_parse_order(&m, (const char *)data, size, why, sizeof(why)) == 0)
		closure(&m);
	moddep_free(&m);
	(void)modinfo_read(data, size, &deps, vermagic, sizeof(vermagic), why, sizeof(why));
	strvec_clear(&deps);
	{
		struct strvec soft = STRVEC_INIT, aliases = STRVEC_INIT;

		(void)modinfo_parse(data, size, &deps, &soft, &aliases, vermagic, sizeof(vermagic),
				    why, sizeof(why));
		strvec_clear(&deps);
		strvec_clear(&soft);
		strvec_clear(&aliases);
	}
	moddep_parse_alias(&m, (const char *)data, size);
	moddep_parse_builtin_modinfo(&m, (const char *)data, size);
	(void)moddep_resolve(&m, "fs-ext4");
	moddep_free(&m);
	return 0;
}
