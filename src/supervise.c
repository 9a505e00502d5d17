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
#include "qmp.h"
#include "usock.h"
#include "xalloc.h"

#define QUIT_TIMEOUT_MS 500

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

/* "quit" over QMP at PATH: 0 when QEMU took it (it then exits), else -1. */
static int qmp_quit(const char *path)
{
	struct strbuf why = STRBUF_INIT;
	struct qmp q;
	int r = -1;

	if (path && qmp_open(&q, path, QUIT_TIMEOUT_MS, &why) == QMP_OK) {
		r = qmp_execute(&q, "quit", NULL, NULL, &why, QUIT_TIMEOUT_MS);
		/* QEMU may close the socket before its reply arrives: that is a quit too. */
		r = r == QMP_OK || r == QMP_CLOSED ? 0 : -1;
		qmp_close(&q);
	}
	sb_release(&why);
	return r;
}

/* Are all of CS reaped?  Waits up to MS. */
static int wait_all(struct child *const *cs, size_t n, int ms)
{
	double until = now_seconds() + ms / 1000.0;
	size_t i, left;

	for (;;) {
		for (i = 0, left = 0; i < n; i++)
			left += !child_poll(cs[i]);
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
 * "quit" over each QMP socket; a QEMU whose monitor does not take it (not
 * up yet, or stuck) gets SIGTERM at once.  Then SIGTERM, then SIGKILL, the
 * grace periods of all running side by side; every child is reaped.
 */
void children_stop(struct child *const *cs, const char *const *qmp_paths, size_t n,
		   int grace_ms)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!child_poll(cs[i]) && qmp_quit(qmp_paths ? qmp_paths[i] : NULL) < 0)
			kill(-cs[i]->pid, SIGTERM);
	if (wait_all(cs, n, grace_ms))
		return;
	signal_all(cs, n, SIGTERM);
	if (wait_all(cs, n, grace_ms))
		return;
	signal_all(cs, n, SIGKILL);
	wait_all(cs, n, 60000);
}

void child_stop(struct child *c, const char *qmp_path, int grace_ms)
{
	children_stop(&c, &qmp_path, 1, grace_ms);
}

int qmp_run_state(const char *path, char *buf, size_t n, int ms)
{
	struct strbuf why = STRBUF_INIT;
	struct json *ret = NULL;
	struct qmp q;
	const char *state;
	int r = -1;

	if (n)
		buf[0] = '\0';
	if (n && qmp_open(&q, path, ms, &why) == QMP_OK) {
		if (qmp_execute(&q, "query-status", NULL, &ret, &why, ms) == QMP_OK &&
		    (state = json_str(json_get(ret, "status"))) != NULL) {
			snprintf(buf, n, "%s", state);
			r = 0;
		}
		qmp_close(&q);
	}
	json_free(ret);
	sb_release(&why);
	return r;
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
