#include "vmstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"
#include "xalloc.h"

static const char *const vm_files[] = {
	"lock", "lock.new", "state", "state.new", "qmp.sock", "serial.sock", "serial.sock.log",
	"qemu.log", "pid", "pid.new", "exit", "exit.new", "record", "record.new", "saving",
	"saving.new",
};

int vmstate_name_ok(const char *name)
{
	const char *p;

	if (!name[0] || name[0] == '.' || name[0] == '-' || strlen(name) > VMSTATE_NAME_MAX)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return 0;
	return 1;
}

/* Is the directory open on FD ours alone?  0, or -1 with WHY about PATH. */
static int check_dir(int fd, const char *path, struct strbuf *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		sb_addf(why, "cannot examine %s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		sb_addf(why, "%s belongs to ", path);
		safefile_describe_owner(why, st.st_uid);
		sb_adds(why, ", not to you: not used (remove it, or set XDG_RUNTIME_DIR)");
		return -1;
	}
	if (st.st_mode & 077) {
		sb_addf(why, "%s has mode %04o: others may use it; not used (chmod 700 it)", path,
			(unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Open directory NAME in DIRFD (or PATH) without following a symlink, and check it. */
static int open_dir(int dirfd, const char *name, const char *path, struct strbuf *why)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		/* O_DIRECTORY reports a symlink as ENOTDIR: look at it to say which. */
		if (errno == ELOOP || errno == ENOTDIR)
			sb_addf(why, "%s is %s, not a directory: not used", path,
				fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
		else
			sb_addf(why, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (check_dir(fd, path, why) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int vmroot_open(struct vmroot *root, int create, struct strbuf *why)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	root->fd = -1;
	if (xdg && xdg[0] == '/')
		root->path = xasprintf("%s/vmlaunch", xdg);
	else
		root->path = xasprintf("/tmp/vmlaunch-%lu", (unsigned long)geteuid());
	if (create && mkdir(root->path, 0700) < 0 && errno != EEXIST) {
		sb_addf(why, "cannot create %s: %s", root->path, strerror(errno));
		return -1;
	}
	if (!create && access(root->path, F_OK) < 0 && errno == ENOENT)
		return 1;
	root->fd = open_dir(AT_FDCWD, root->path, root->path, why);
	return root->fd < 0 ? -1 : 0;
}

void vmroot_close(struct vmroot *root)
{
	if (root->fd >= 0)
		close(root->fd);
	free(root->path);
	root->fd = -1;
	root->path = NULL;
}

static int take_lock(struct vmdir *vm, struct strbuf *why)
{
	int fd = openat(vm->fd, "lock.new", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	/* Locked before it has its name: nobody sees it unlocked. */
	if (fd < 0 || flock(fd, LOCK_EX) < 0 || renameat(vm->fd, "lock.new", vm->fd, "lock") < 0) {
		sb_addf(why, "cannot lock %s: %s", vm->path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlinkat(vm->fd, "lock.new", 0);
		}
		return -1;
	}
	vm->lock = fd;
	return 0;
}

/* The runtime directory's own lock: making and removing VM directories is one at a time. */
static void root_lock(struct vmroot *root, int on)
{
	while (flock(root->fd, on ? LOCK_EX : LOCK_UN) < 0 && errno == EINTR)
		;
}

static void remove_files(struct vmroot *root, struct vmdir *vm)
{
	size_t i;

	for (i = 0; i < sizeof(vm_files) / sizeof(vm_files[0]); i++)
		unlinkat(vm->fd, vm_files[i], 0);
	unlinkat(root->fd, vm->name, AT_REMOVEDIR);
}

int vmdir_open(struct vmroot *root, const char *name, struct vmdir *vm, struct strbuf *why)
{
	memset(vm, 0, sizeof(*vm));
	vm->lock = -1;
	vm->name = xstrdup(name);
	vm->path = xasprintf("%s/%s", root->path, name);
	if (faccessat(root->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		vm->fd = -1;
		return 1;
	}
	vm->fd = open_dir(root->fd, name, vm->path, why);
	return vm->fd < 0 ? -1 : 0;
}

int vmdir_create(struct vmroot *root, const char *name, struct vmdir *vm, struct strbuf *why)
{
	int r = -1;

	/* Under the root's lock: no other start sees this directory before its lock. */
	root_lock(root, 1);
	if (mkdirat(root->fd, name, 0700) < 0) {
		if (errno != EEXIST) {
			sb_addf(why, "cannot create %s/%s: %s", root->path, name, strerror(errno));
			goto out;
		}
		if (vmdir_open(root, name, vm, why) != 0)
			goto out;
		if (vmdir_alive(vm)) {
			r = 1;
			goto out;
		}
		remove_files(root, vm);     /* a dead VM's leftovers */
		vmdir_close(vm);
		if (mkdirat(root->fd, name, 0700) < 0) {
			sb_addf(why, "cannot create %s/%s: %s", root->path, name, strerror(errno));
			goto out;
		}
	}
	if (vmdir_open(root, name, vm, why) == 0)
		r = take_lock(vm, why);
out:
	root_lock(root, 0);
	return r;
}

int vmdir_alive(const struct vmdir *vm)
{
	int fd = openat(vm->fd, "lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), alive;

	if (fd < 0) {
		/* Between mkdir and the lock's rename a starting VM holds lock.new. */
		fd = openat(vm->fd, "lock.new", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return 0;
	}
	alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

int vmdir_remove(struct vmroot *root, struct vmdir *vm)
{
	int removed = 0;

	if (vm->fd < 0)
		return 0;
	/* Only a VM that is ours to end, or dead: checked again under the root's lock. */
	root_lock(root, 1);
	if (vm->lock >= 0 || !vmdir_alive(vm)) {
		remove_files(root, vm);
		removed = 1;
	}
	root_lock(root, 0);
	return removed;
}

void vmdir_close(struct vmdir *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->lock >= 0)
		close(vm->lock);
	free(vm->name);
	free(vm->path);
	memset(vm, 0, sizeof(*vm));
	vm->fd = vm->lock = -1;
}

int vmdir_create_file(const struct vmdir *vm, const char *name, int cloexec)
{
	return openat(vm->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
		      (cloexec ? O_CLOEXEC : 0), 0600);
}

int vmdir_write(const struct vmdir *vm, const char *name, const char *content)
{
	char *tmp = xasprintf("%s.new", name);
	size_t n = strlen(content);
	int fd, r = -1;

	unlinkat(vm->fd, tmp, 0);
	fd = vmdir_create_file(vm, tmp, 1);
	if (fd >= 0 && write(fd, content, n) == (ssize_t)n && close(fd) == 0) {
		fd = -1;
		r = renameat(vm->fd, tmp, vm->fd, name);
	}
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlinkat(vm->fd, tmp, 0);
	free(tmp);
	return r;
}

char *vmdir_read(const struct vmdir *vm, const char *name)
{
	int fd = openat(vm->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return NULL;
	while (sb.len < 65536 && ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			sb_add(&sb, buf, (size_t)n);
	close(fd);
	return sb_detach(&sb);
}

char *vmstate_get(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return xstrndup(p + n + 1, (size_t)((nl ? nl : p + strlen(p)) - p - n - 1));
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

unsigned long long vmstate_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces: count fields after its ')'. */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t vmroot_list(struct vmroot *root, char ***names)
{
	int fd = dup(root->fd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	size_t n = 0;

	*names = NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(dir)) != NULL) {
		struct stat st;

		if (!vmstate_name_ok(e->d_name) ||
		    fstatat(root->fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		*names = xrealloc(*names, (n + 1) * sizeof(**names));
		(*names)[n++] = xstrdup(e->d_name);
	}
	closedir(dir);
	if (n)
		qsort(*names, n, sizeof(**names), by_name);
	return n;
}
