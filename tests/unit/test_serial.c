/*
 * Opening the boot log (safefile) and probing unix sockets (usock): on
 * real files in a private directory.  The cases of another user's file
 * need root (chown) and are skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "safefile.h"
#include "strbuf.h"
#include "unit.h"
#include "usock.h"
#include "xalloc.h"

static char *dir;

static char *in_dir(const char *name)
{
	if (!dir) {
		char tmpl[] = "/tmp/vmlaunch-unit.XXXXXX";

		dir = xstrdup(mkdtemp(tmpl) ? tmpl : "/nonexistent");
	}
	return xasprintf("%s/%s", dir, name);
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static int has(const char *path, const char *text)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

/* Opening PATH is refused, with a message that contains WANT. */
static void check_refused(const char *path, const char *want)
{
	struct strbuf why = STRBUF_INIT;
	int fd = safefile_open_log(path, &why);

	CHECK(fd < 0);
	if (fd >= 0)
		close(fd);
	if (!why.buf || !strstr(why.buf, want) || !strstr(why.buf, path)) {
		fprintf(stderr, "  refusal of %s: \"%s\", want \"%s\"\n", path,
			why.buf ? why.buf : "(none)", want);
		unit_failed_checks++;
	}
	sb_release(&why);
}

static void test_log_new_and_own(void)
{
	struct strbuf why = STRBUF_INIT;
	char *log = in_dir("new.log");
	struct stat st;
	int fd;

	unlink(log);
	fd = safefile_open_log(log, &why);
	CHECK(fd >= 0);
	CHECK(fd < 0 || (fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0);   /* QEMU inherits it */
	CHECK(fd < 0 || (fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0600));
	if (fd >= 0)
		close(fd);
	/* An own log of an earlier boot, readable by others: owner-only and empty. */
	put(log, "old boot\n", 0644);
	fd = safefile_open_log(log, &why);
	CHECK(fd >= 0);
	CHECK(stat(log, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 0);
	if (fd >= 0)
		close(fd);
	CHECK(why.len == 0);
	unlink(log);
	sb_release(&why);
	free(log);
}

static void test_log_symlink_and_links(void)
{
	char *victim = in_dir("victim"), *log = in_dir("s.log"), *fifo = in_dir("f.log");
	char *sub = in_dir("d.log");

	put(victim, "precious\n", 0644);
	CHECK(symlink(victim, log) == 0);
	check_refused(log, "is a symbolic link");
	CHECK(has(victim, "precious\n"));
	unlink(log);
	/* A dangling symlink: O_CREAT would create its target. */
	CHECK(symlink("nowhere-yet", log) == 0);
	check_refused(log, "is a symbolic link");
	free(sub);
	sub = in_dir("nowhere-yet");
	CHECK(access(sub, F_OK) < 0 && errno == ENOENT);
	free(sub);
	sub = in_dir("d.log");
	unlink(log);
	CHECK(link(victim, log) == 0);
	check_refused(log, "has 2 hard links");
	CHECK(has(victim, "precious\n"));
	unlink(log);
	/* A FIFO nobody reads: refused at once, not waited on. */
	CHECK(mkfifo(fifo, 0600) == 0);
	check_refused(fifo, "is not a regular file");
	CHECK(mkdir(sub, 0700) == 0);
	check_refused(sub, "is not a regular file");
	unlink(fifo);
	rmdir(sub);
	unlink(victim);
	free(victim);
	free(log);
	free(fifo);
	free(sub);
}

static void test_log_other_owner(void)
{
	char *log = in_dir("theirs.log");
	struct stat st;

	if (geteuid() != 0) {
		fprintf(stderr, "  (not root: another user's log is not tried)\n");
		return;
	}
	/* Another user's file, writable by all: the console must not go into it. */
	put(log, "theirs\n", 0666);
	CHECK(chown(log, 65534, 65534) == 0);
	check_refused(log, "belongs to ");
	CHECK(has(log, "theirs\n"));
	CHECK(stat(log, &st) == 0 && (st.st_mode & 07777) == 0666 && st.st_uid == 65534);
	unlink(log);
	free(log);
}

static void test_log_problem(void)
{
	struct strbuf why = STRBUF_INIT;
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	st.st_uid = geteuid();
	st.st_nlink = 1;
	CHECK(safefile_log_problem("/x.log", &st, &why) == 0 && why.len == 0);
	st.st_uid = geteuid() + 1;
	CHECK(safefile_log_problem("/x.log", &st, &why) < 0);
	CHECK(why.buf && strstr(why.buf, "'/x.log' belongs to ") &&
	      strstr(why.buf, "not to you"));
	sb_release(&why);
}

/* A listener with backlog 1 that never accepts, and its queue filled. */
static void test_usock_probe(void)
{
	char *path = in_dir("probe.sock");
	struct sockaddr_un sa;
	int srv, queued[8], n = 0, i;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	CHECK(usock_probe(path) == USOCK_UNKNOWN && errno == ENOENT);
	srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(srv >= 0 && bind(srv, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(usock_probe(path) == USOCK_STALE);        /* bound, not listening */
	CHECK(listen(srv, 1) == 0);
	CHECK(usock_probe(path) == USOCK_LISTENING);
	while (n < 8 && (queued[n] = usock_connect(path, USOCK_NONBLOCK)) >= 0)
		n++;
	CHECK(n < 8 && errno == EAGAIN);
	CHECK(usock_probe(path) == USOCK_BUSY);         /* at once, not after a wait */
	for (i = 0; i < n; i++)
		close(queued[i]);
	close(srv);
	CHECK(usock_probe(path) == USOCK_STALE);
	CHECK(usock_connect("/tmp/a-path-far-too-long-for-a-unix-socket-address-because-"
			    "sun-path-holds-only-108-bytes-in-all-on-linux.sock", 0) < 0 &&
	      errno == ENAMETOOLONG);
	unlink(path);
	free(path);
}

static void test_cleanup(void)
{
	CHECK(rmdir(dir) == 0);
	free(dir);
	dir = NULL;
}

const struct unit_case serial_cases[] = {
	{ "safefile/log-new-and-own", test_log_new_and_own },
	{ "safefile/log-symlink-and-links", test_log_symlink_and_links },
	{ "safefile/log-other-owner", test_log_other_owner },
	{ "safefile/log-problem", test_log_problem },
	{ "usock/probe", test_usock_probe },
	{ "serial/cleanup", test_cleanup },
	{ NULL, NULL },
};
