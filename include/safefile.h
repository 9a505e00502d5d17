/*
 * Files vmlaunch writes on the user's behalf in places other users can
 * write too (/tmp, group directories): opened so that nobody can redirect
 * the write into another file through a symlink, a hard link, or a file
 * of their own planted at the name.
 */
#ifndef VMLAUNCH_SAFEFILE_H
#define VMLAUNCH_SAFEFILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "strbuf.h"

/* Append "user 'NAME' (uid N)", or "uid N" for a uid without a name. */
void safefile_describe_owner(struct strbuf *sb, uid_t uid);

/*
 * Can the existing file ST (from lstat or fstat) at PATH be the user's
 * boot log?  0 yes; -1 with the sentence that says why not in WHY: a
 * symlink, not a regular file, another user's file, more than one link.
 */
int safefile_log_problem(const char *path, const struct stat *st, struct strbuf *why);

/*
 * Open the boot log PATH for writing, created if missing, never through a
 * symlink and without blocking (a FIFO); refused as safefile_log_problem
 * says, judged on the open descriptor.  An accepted file is made 0600 and
 * emptied.  Returns the descriptor, which is NOT close-on-exec (QEMU
 * inherits it and reopens it as /proc/self/fd/N), or -1 with WHY filled.
 */
int safefile_open_log(const char *path, struct strbuf *why);

#endif
