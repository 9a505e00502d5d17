/*
 * A kernel's module tree as depmod describes it: modules.dep (each
 * module's path and the paths it needs), modules.builtin (what is in the
 * kernel image), or, for a tree nobody ran depmod on (a package unpacked
 * with dpkg -x), modules.order plus each module's own .modinfo.  Pure:
 * the caller reads the files.  Names are compared with '-' and '_' alike,
 * as the kernel and modprobe do.
 */
#ifndef VMLAUNCH_MODDEP_H
#define VMLAUNCH_MODDEP_H

#include <stddef.h>

#include "strvec.h"

struct mod {
	char *name;             /* from the file name, '-' made '_' */
	char *path;             /* as the index writes it, relative to the tree */
	struct strvec deps;     /* names this one needs */
	struct strvec soft;     /* modules.softdep's pre: and post: names (or aliases) */
	int deps_known;         /* from modules.dep or .modinfo; not from modules.order */
	int state;              /* closure: 0 unseen, 1 in progress, 2 done */
	int aliases_read;       /* its .modinfo aliases are in the moddep's table */
};

struct moddep {
	struct mod *v;
	size_t n, alloc;
	size_t *slot, nslots;   /* a hash of the names: 1 + index into v, 0 empty */
	struct strvec builtin;  /* names, '-' made '_' */
	struct strvec alias_from, alias_to;     /* alias i names module alias_to[i] */
};

#define MODDEP_INIT { NULL, 0, 0, NULL, 0, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT }

/*
 * Each parser takes a whole file.  They return 0, or -1 with the line and
 * what is wrong with it in WHY.
 */
int moddep_parse_dep(struct moddep *m, const char *buf, size_t len, char *why, size_t whylen);
int moddep_parse_order(struct moddep *m, const char *buf, size_t len, char *why, size_t whylen);
void moddep_parse_builtin(struct moddep *m, const char *buf, size_t len);
void moddep_free(struct moddep *m);

/* Aliases ("fs-ext3" for ext4, "crc32c" for crc32c_generic): modules.alias, modules.builtin.modinfo, or one by one. */
void moddep_parse_alias(struct moddep *m, const char *buf, size_t len);
void moddep_parse_builtin_modinfo(struct moddep *m, const char *buf, size_t len);
/* modules.softdep: "softdep MODULE pre: NAME... post: NAME..." into that module's soft. */
void moddep_parse_softdep(struct moddep *m, const char *buf, size_t len);
void moddep_add_alias(struct moddep *m, const char *alias, const char *module);
/*
 * NAME itself when the index has it or it is built in, else the first
 * module an alias NAME names that is (the first added wins), else NULL.
 */
const char *moddep_resolve(const struct moddep *m, const char *name);

/* NAME as the kernel compares it: '-' made '_', a path's directory and .ko* dropped. */
char *moddep_name(const char *path_or_name);
struct mod *moddep_find(const struct moddep *m, const char *name);
int moddep_is_builtin(const struct moddep *m, const char *name);

/*
 * A module's .modinfo section (an ELF relocatable's NUL-separated
 * "key=value" strings): its depends= names into DEPS, and its vermagic's
 * first word (the kernel release it was built for) into VERMAGIC.
 * Returns 0, or -1 with why in WHY (not an ELF module, truncated).
 */
int modinfo_read(const unsigned char *elf, size_t len, struct strvec *deps, char *vermagic,
		 size_t vlen, char *why, size_t whylen);
/* The same, and softdep= names into SOFT and alias= values into ALIASES (each may be NULL). */
int modinfo_parse(const unsigned char *elf, size_t len, struct strvec *deps, struct strvec *soft,
		  struct strvec *aliases, char *vermagic, size_t vlen, char *why, size_t whylen);

/*
 * Fills a module's deps when the index did not (modules.order): returns
 * 0, or -1 with the reason in WHY.
 */
typedef int (*moddep_loader)(void *ctx, struct mod *mod, char *why, size_t whylen);

/*
 * The modules WANTED need, dependencies first (each once), as indexes
 * into m->v in ORDER (of length *NORDER; room for m->n).  A name that is
 * built in is left out.  Returns 0, or -1 with WHY naming a module that is
 * neither in the index nor built in, and who needs it.
 */
int moddep_closure(struct moddep *m, const char *const *wanted, size_t nwanted,
		   moddep_loader load, void *ctx, size_t *order, size_t *norder, char *why,
		   size_t whylen);

#endif
