#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Put FD (or /dev/null, or nothing) at TARGET; -1 on failure. */
static int place(int fd, int target)
{
	if (fd == SPAWN_INHERIT)
		return 0;
	if (fd == SPAWN_DEVNULL) {
		int null = open("/dev/null", target == 0 ? O_RDONLY : O_WRONLY);

		if (null < 0)
			return -1;
		if (null != target && (dup2(null, target) < 0 || close(null) < 0))
			return -1;
		return 0;
	}
	if (fd == target)       /* dup2 would leave close-on-exec set */
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static void child(const struct spawn *sp, int report, pid_t parent)
{
	sigset_t none;
	int err;

	if (sp->new_group)
		setpgid(0, 0);
	if (sp->death_signal) {
		prctl(PR_SET_PDEATHSIG, sp->death_signal);
		if (getppid() != parent)        /* vmlaunch died before the prctl */
			_exit(127);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* An ignored signal stays ignored across exec. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);
	if (sp->umask_077)
		umask(077);
	/* Stderr last: an error before it still reaches vmlaunch's stderr. */
	if (place(sp->in, 0) < 0 || place(sp->out, 1) < 0 || place(sp->err, 2) < 0)
		goto fail;
	execvp(sp->argv[0], sp->argv);
fail:
	err = errno;
	while (write(report, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	_exit(127);
}

int spawn_start(const struct spawn *sp, pid_t *pid)
{
	pid_t parent = getpid(), p;
	int pipefd[2], err = 0, status;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	p = fork();
	if (p < 0) {
		err = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		errno = err;
		return -1;
	}
	if (p == 0)
		child(sp, pipefd[1], parent);
	close(pipefd[1]);
	if (sp->new_group)
		setpgid(p, p);   /* also here: no race with kill(-pgid) */
	/* End of file: exec closed the pipe; four bytes: why it failed. */
	while ((n = read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(err)) {
		while (waitpid(p, &status, 0) < 0 && errno == EINTR)
			;
		errno = err;
		return -1;
	}
	*pid = p;
	return 0;
}
