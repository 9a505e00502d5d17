#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "usock.h"
#include "xalloc.h"

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int child_spawn(struct child *c, char *const argv[], int log_fd)
{
	struct spawn sp = SPAWN_INIT;

	memset(c, 0, sizeof(*c));
	sp.argv = argv;
	sp.in = SPAWN_DEVNULL;
	sp.out = sp.err = log_fd >= 0 ? log_fd : SPAWN_INHERIT;
	sp.new_group = 1;
	sp.death_signal = SIGKILL;   /* if vmlaunch dies, even by SIGKILL, QEMU goes too */
	if (spawn_start(&sp, &c->pid) < 0) {
		c->pid = 0;
		return -1;
	}
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

/* Connect to QEMU's HMP monitor at PATH: a descriptor, or -1. */
static int monitor_connect(const char *path)
{
	return path ? usock_connect(path, USOCK_NONBLOCK) : -1;
}

/* Are all of CS reaped?  Waits up to MS, draining the monitors meanwhile. */
static int wait_all(struct child *const *cs, int *fds, size_t n, int ms)
{
	double until = now_seconds() + ms / 1000.0;
	char buf[512];
	size_t i, left;

	for (;;) {
		for (i = 0, left = 0; i < n; i++) {
			ssize_t got = fds[i] >= 0 ? read(fds[i], buf, sizeof(buf)) : -1;

			/* The monitor went away (EOF, ECONNRESET): QEMU is going; reap it all the same. */
			if (fds[i] >= 0 && (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))) {
				close(fds[i]);
				fds[i] = -1;
			}
			left += !child_poll(cs[i]);
		}
		if (!left)
			return 1;
		if (now_seconds() >= until)
			return 0;
		usleep(10000);
	}
}

static void signal_all(struct child *const *cs, size_t n, int sig)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!child_poll(cs[i]))
			kill(-cs[i]->pid, sig);
}

/*
 * "quit" on each HMP monitor; QEMU drops a command whose sender hangs up at
 * once, so the connections stay open until QEMU is gone.  A QEMU whose
 * monitor does not answer (not up yet, or stuck) gets SIGTERM at once.
 */
void children_stop(struct child *const *cs, const char *const *monitors, size_t n,
		   int grace_ms)
{
	int *fds = xcalloc(n ? n : 1, sizeof(*fds));
	size_t i;

	for (i = 0; i < n; i++) {
		fds[i] = -1;
		if (child_poll(cs[i]))
			continue;
		fds[i] = monitor_connect(monitors ? monitors[i] : NULL);
		if (fds[i] < 0 || write(fds[i], "quit\n", 5) != 5)
			kill(-cs[i]->pid, SIGTERM);
	}
	if (!wait_all(cs, fds, n, grace_ms)) {
		signal_all(cs, n, SIGTERM);
		if (!wait_all(cs, fds, n, grace_ms)) {
			signal_all(cs, n, SIGKILL);
			wait_all(cs, fds, n, 60000);
		}
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

void child_stop(struct child *c, const char *monitor_path, int grace_ms)
{
	children_stop(&c, &monitor_path, 1, grace_ms);
}

int monitor_status(const char *path, char *buf, size_t n, int ms)
{
	double until = now_seconds() + ms / 1000.0;
	char in[8192], *line;
	struct pollfd pfd;
	size_t len = 0;
	int fd = monitor_connect(path);

	if (n)
		buf[0] = '\0';
	if (n == 0 || fd < 0 || write(fd, "info status\n", 12) != 12)
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	/* The readline monitor echoes the command with cursor moves; then the answer. */
	while (now_seconds() < until && len + 1 < sizeof(in)) {
		ssize_t got;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		got = read(fd, in + len, sizeof(in) - 1 - len);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (got < 0)
			continue;
		len += (size_t)got;
		in[len] = '\0';
		line = strstr(in, "VM status: ");
		if (line && strchr(line, '\n')) {
			snprintf(buf, n, "%.*s", (int)strcspn(line, "\r\n"), line);
			close(fd);
			return 0;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return -1;
}

int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGVTALRM);
	sigaddset(&set, SIGPROF);
	sigaddset(&set, SIGXCPU);
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
