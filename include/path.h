/* Lexical path helpers: no file system access. */
#ifndef VMLAUNCH_PATH_H
#define VMLAUNCH_PATH_H

/*
 * PATH if absolute, else BASE/PATH; "." components and repeated slashes are
 * dropped ("..": kept, since a symlink may stand before it).  Caller frees.
 */
char *path_resolve(const char *base, const char *path);

/* The directory part of PATH ("." when there is none).  Caller frees. */
char *path_dirname(const char *path);

/* The last component of PATH, without a trailing ".conf".  Caller frees. */
char *path_stem(const char *path);

#endif
