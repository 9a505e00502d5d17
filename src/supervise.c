#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child_exec(char *const argv[], const char *log_path, pid_t parent)
{
	sigset_t none;
	int fd;

	setpgid(0, 0);
	/* If vmlaunch dies, even by SIGKILL, QEMU goes with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);   /* an ignored signal stays ignored across exec */
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	execvp(argv[0], argv);
	dprintf(2, "vmlaunch: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

int child_spawn(struct child *c, char *const argv[], const char *log_path)
{
	pid_t parent = getpid();

	memset(c, 0, sizeof(*c));
	c->pid = fork();
	if (c->pid < 0) {
		c->pid = 0;
		return -1;
	}
	if (c->pid == 0)
		child_exec(argv, log_path, parent);
	setpgid(c->pid, c->pid);   /* also here: no race with kill(-pgid) */
	return 0;
}

int child_poll(struct child *c)
{
	pid_t r;

	if (!c->pid || c->reaped)
		return 1;
	r = waitpid(c->pid, &c->status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		c->reaped = 1;
		return 1;
	}
	return 0;
}

static int wait_reaped(struct child *c, int ms)
{
	double until = now_seconds() + ms / 1000.0;

	while (!child_poll(c)) {
		if (now_seconds() >= until)
			return 0;
		usleep(10000);
	}
	return 1;
}

/*
 * "quit" on the HMP monitor.  QEMU drops a command whose sender hangs up
 * at once, so stay connected until QEMU closes its end (or GRACE_MS).
 */
static void monitor_quit(const char *path, int grace_ms)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	char buf[512];
	double until = now_seconds() + grace_ms / 1000.0;
	int fd;

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && write(fd, "quit\n", 5) == 5) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (now_seconds() < until && poll(&pfd, 1, 50) >= 0)
			if ((pfd.revents & (POLLIN | POLLHUP)) && read(fd, buf, sizeof(buf)) <= 0)
				break;
	}
	close(fd);
}

void child_stop(struct child *c, const char *monitor_path, int grace_ms)
{
	if (!c->pid || child_poll(c))
		return;
	monitor_quit(monitor_path, grace_ms);
	if (wait_reaped(c, grace_ms))
		return;
	kill(-c->pid, SIGTERM);
	if (wait_reaped(c, grace_ms))
		return;
	kill(-c->pid, SIGKILL);
	wait_reaped(c, 60000);
}

int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int signals_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof(si));

	return n == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}
