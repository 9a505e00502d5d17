#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcodes.h"
#include "spawn.h"

static int shell_safe(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) != NULL;
}

void shell_quote(struct strbuf *sb, const char *s)
{
	const char *p;

	for (p = s; *p && shell_safe(*p); p++)
		;
	if (*s && !*p) {
		sb_adds(sb, s);
		return;
	}
	sb_addc(sb, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_addc(sb, *p);
	}
	sb_addc(sb, '\'');
}

void launch_print(const struct qemu_cmd *cmd, FILE *out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, line = 0;

	for (i = 0; i < cmd->argv.n; i++) {
		if (line < cmd->nlines && cmd->line_start[line] == i) {
			if (i)
				sb_adds(&sb, " \\\n    ");
			line++;
		} else {
			sb_addc(&sb, ' ');
		}
		shell_quote(&sb, cmd->argv.v[i]);
	}
	sb_addc(&sb, '\n');
	fputs(sb.buf, out);
	sb_release(&sb);
}

/* QEMU could not be executed: ERR says why. */
static int exec_failed(const struct qemu_cmd *cmd, int err, struct diag *d)
{
	if (err == ENOENT) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "QEMU '%s' not found; install it: "
			   "sudo apt-get install qemu-system-x86", cmd->argv.v[0]);
		return EXIT_UNAVAILABLE;
	}
	diag_error(d, NULL, EXIT_OSERR, "cannot run QEMU '%s': %s", cmd->argv.v[0],
		   strerror(err));
	return EXIT_OSERR;
}

int launch_exec(const struct qemu_cmd *cmd, struct diag *d)
{
	if (d->verbose) {
		fputs("vmlaunch: exec ", d->out);
		launch_print(cmd, d->out);
	}
	fflush(NULL);
	umask(077);
	execvp(cmd->argv.v[0], cmd->argv.v);
	return exec_failed(cmd, errno, d);
}

/* ---- run as QEMU's parent, for debug_exit ---- */

static volatile sig_atomic_t qemu_pid, got_signal;

/* A signal for vmlaunch is for the VM: pass it on, and remember it. */
static void forward_signal(int sig)
{
	got_signal = sig;
	if (qemu_pid > 0)
		kill((pid_t)qemu_pid, sig);
}

/* A non-empty line of QEMU's that is not "prog: [-option: ]warning: ...". */
static int is_error_line(char *line, size_t len)
{
	line[len] = '\0';
	return len && !strstr(line, "warning: ");
}

/*
 * Copy QEMU's stderr to ours and note whether QEMU said anything but a
 * warning: an exit status of 1 with an error message is QEMU failing, not
 * the guest writing 0 to the debug-exit port.
 */
static int relay_stderr(int fd)
{
	char buf[4096], line[512];
	size_t col = 0;
	int error_seen = 0, out_ok = 1;
	ssize_t n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				error_seen |= is_error_line(line, col);
				col = 0;
			} else if (col < sizeof(line) - 1) {
				line[col++] = buf[i];   /* a long line: its start is what counts */
			}
		}
		/* If our stderr is gone, keep draining QEMU's all the same. */
		if (n > 0 && out_ok && write(STDERR_FILENO, buf, (size_t)n) < 0)
			out_ok = 0;
	}
	error_seen |= is_error_line(line, col);   /* a last line without its newline */
	return error_seen;
}

static int debug_exit_status(int wstatus, int qemu_error, struct diag *d)
{
	int code;

	if (got_signal) {
		/* QEMU ends cleanly on SIGTERM: that is no guest verdict. */
		diag_error(d, NULL, 128 + got_signal, "stopped by signal %d (%s)",
			   (int)got_signal, strsignal(got_signal));
		return 128 + got_signal;
	}
	if (WIFSIGNALED(wstatus)) {
		diag_error(d, NULL, 128 + WTERMSIG(wstatus), "QEMU was killed by signal %d (%s)",
			   WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
		return 128 + WTERMSIG(wstatus);
	}
	code = WEXITSTATUS(wstatus);
	if ((code & 1) && qemu_error) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "QEMU failed (exit status %d), so the "
			   "guest's exit status is unknown", code);
		return EXIT_UNAVAILABLE;
	}
	if (code & 1) {
		if (d->verbose)
			fprintf(d->out, "vmlaunch: the guest wrote %d to the debug-exit port "
				"(QEMU exit status %d)\n", code >> 1, code);
		return code >> 1;
	}
	if (code && d->verbose)
		fprintf(d->out, "vmlaunch: QEMU exited with status %d\n", code);
	return code;
}

int launch_run(const struct qemu_cmd *cmd, struct diag *d)
{
	struct spawn sp = SPAWN_INIT;
	struct sigaction sa;
	int pipefd[2], wstatus, qemu_error;
	pid_t pid;

	if (d->verbose) {
		fputs("vmlaunch: run ", d->out);
		launch_print(cmd, d->out);
	}
	fflush(NULL);
	/* An ignored SIGCHLD (inherited) would have the kernel reap QEMU for us. */
	signal(SIGCHLD, SIG_DFL);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "cannot make a pipe: %s", strerror(errno));
		return EXIT_OSERR;
	}
	/* Same process group: QEMU keeps the terminal for a stdio console. */
	sp.argv = cmd->argv.v;
	sp.err = pipefd[1];
	sp.death_signal = SIGTERM;
	sp.umask_077 = 1;
	if (spawn_start(&sp, &pid) < 0) {
		int err = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return exec_failed(cmd, err, d);
	}
	close(pipefd[1]);
	qemu_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);       /* our stderr may close before QEMU's does */
	qemu_error = relay_stderr(pipefd[0]);
	close(pipefd[0]);
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			diag_error(d, NULL, EXIT_OSERR, "cannot wait for QEMU: %s", strerror(errno));
			return EXIT_OSERR;
		}
	}
	qemu_pid = 0;   /* reaped: its pid may be reused */
	return debug_exit_status(wstatus, qemu_error, d);
}
