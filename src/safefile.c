#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

void safefile_describe_owner(struct strbuf *sb, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		sb_addf(sb, "user '%s' (uid %lu)", pw->pw_name, (unsigned long)uid);
	else
		sb_addf(sb, "uid %lu", (unsigned long)uid);
}

int safefile_log_problem(const char *path, const struct stat *st, struct strbuf *why)
{
	if (S_ISLNK(st->st_mode)) {
		sb_addf(why, "boot log path '%s' is a symbolic link; refusing to write "
			"through it (remove it or choose another serial path)", path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		sb_addf(why, "boot log path '%s' exists and is not a regular file; refusing "
			"to overwrite it", path);
		return -1;
	}
	/* Root too: the console is a root shell, and the file may be read by its owner. */
	if (st->st_uid != geteuid()) {
		sb_addf(why, "boot log '%s' belongs to ", path);
		safefile_describe_owner(why, st->st_uid);
		sb_adds(why, ", not to you; refusing to write the console into it (its owner "
			"may read it): ask its owner or root to remove it, or choose another "
			"serial path");
		return -1;
	}
	/* Another name for the same file may be one of ours someone linked here. */
	if (st->st_nlink != 1) {
		sb_addf(why, "boot log '%s' has %lu hard links; refusing to overwrite it "
			"(another name may be a file of yours someone linked there): remove "
			"it or choose another serial path", path, (unsigned long)st->st_nlink);
		return -1;
	}
	return 0;
}

/* Why open(2) of PATH failed, in the words safefile_log_problem uses when it can. */
static void open_problem(const char *path, int err, struct strbuf *why)
{
	struct stat st;

	if ((err == ELOOP || err == ENXIO || err == EISDIR) &&
	    lstat(path, &st) == 0 && safefile_log_problem(path, &st, why) < 0)
		return;
	sb_addf(why, "boot log '%s' cannot be opened for writing: %s", path, strerror(err));
}

int safefile_open_log(const char *path, struct strbuf *why)
{
	struct stat st;
	int fd;

	/* No O_TRUNC: nothing may be emptied before it is known to be ours. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0) {
		open_problem(path, errno, why);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		sb_addf(why, "boot log '%s' cannot be examined: %s", path, strerror(errno));
		goto fail;
	}
	if (safefile_log_problem(path, &st, why) < 0)
		goto fail;
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, 0) < 0) {
		sb_addf(why, "boot log '%s' cannot be made owner-only and emptied: %s", path,
			strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}
