/* spawn: exec failures are reported exactly, descriptors land where asked. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "unit.h"

static int wait_status(pid_t pid)
{
	int st = -1;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_exec_errors(void)
{
	char missing0[] = "vmlaunch-no-such-program", notexec0[] = "/tmp/vmlaunch-unit-XXXXXX";
	char dir0[] = "/";
	char *missing[] = { missing0, NULL }, *notexec[] = { notexec0, NULL }, *dir[] = { dir0, NULL };
	struct spawn sp = SPAWN_INIT;
	pid_t pid = 0;
	int fd = mkstemp(notexec0);

	CHECK(fd >= 0 && fchmod(fd, 0644) == 0);
	if (fd >= 0)
		close(fd);
	sp.argv = missing;
	errno = 0;
	CHECK(spawn_start(&sp, &pid) < 0 && errno == ENOENT);
	sp.argv = notexec;
	CHECK(spawn_start(&sp, &pid) < 0 && errno == EACCES);
	sp.argv = dir;
	CHECK(spawn_start(&sp, &pid) < 0 && errno == EACCES);
	unlink(notexec0);
}

static void test_status_and_fds(void)
{
	char sh0[] = "sh", c0[] = "-c", script[] = "read x; echo \"got $x\"; echo err >&2; exit 3";
	char *sh[] = { sh0, c0, script, NULL };
	struct spawn sp = SPAWN_INIT;
	int in[2], out[2];
	char buf[64] = "";
	ssize_t n;
	pid_t pid = 0;

	CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
	sp.argv = sh;
	sp.in = in[0];
	sp.out = out[1];
	sp.err = SPAWN_DEVNULL;
	sp.new_group = 1;
	CHECK(spawn_start(&sp, &pid) == 0 && pid > 0);
	close(in[0]);
	close(out[1]);
	CHECK(getpgid(pid) == pid || wait_status(pid) >= 0);
	CHECK(write(in[1], "hi\n", 3) == 3);
	close(in[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	close(out[0]);
	if (n > 0)
		buf[n] = '\0';
	CHECK_STR(buf, "got hi\n");
	CHECK(wait_status(pid) == 3);
}

const struct unit_case spawn_cases[] = {
	{ "spawn/exec-errors", test_exec_errors },
	{ "spawn/status-and-fds", test_status_and_fds },
	{ NULL, NULL },
};
