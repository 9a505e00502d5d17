/*
 * vmlaunch console: one poll(2) loop between this terminal (or a pipe) and
 * a VM's serial socket, after OpenBSD's cu.  Signals arrive as bytes on a
 * self-pipe (after s6's selfpipe), so every way out of the loop, escape,
 * EOF, error, timeout or signal, goes through finish(): restore the
 * terminal first, then say why.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "usock.h"
#include "vmctl.h"
#include "xalloc.h"

#define BUF_SIZE 4096
#define TIMEOUT_MAX 999999999L   /* seconds: nine digits keep the ms arithmetic safe */

static const char console_usage[] =
	"usage: vmlaunch console [--replay] [--timeout SECONDS] [-o KEY=VALUE]... SOCKET|CONFIG|NAME\n"
	"  attach to a VM's serial socket (or the socket CONFIG's 'serial' names,\n"
	"  or the console of the VM NAME of vmlaunch start)\n"
	"  -o KEY=VALUE      set a key of CONFIG (e.g. -o serial=PATH)\n"
	"  --replay          first print SOCKET.log, what the guest printed so far\n"
	"                    (also once the VM has exited)\n"
	"  --timeout SECONDS end the session after SECONDS (exit 124)\n"
	"In a terminal, leave with Ctrl-] or ~. at the start of a line (~~ sends ~).\n"
	"From a pipe, input is sent as is; after its end, output is shown until the\n"
	"guest has been quiet for 2 s.\n";

struct console_opts {
	struct strvec overrides;  /* -o KEY=VALUE for a CONFIG */
	int replay;
	long timeout;          /* seconds; 0: none */
	const char *target;    /* SOCKET or CONFIG, as given */
};

/* Bytes on their way from one descriptor to another. */
struct buf {
	unsigned char data[BUF_SIZE];
	size_t off, len;
};

enum end {
	END_NONE,
	END_DRAINED,   /* no socket yet and stdout caught up (the replay) */
	END_LEFT,      /* the user typed the escape, or the terminal went away */
	END_CLOSED,    /* the VM closed the connection */
	END_QUIET,     /* pipe mode: input ended and the guest went quiet */
	END_TIMEOUT,
	END_SIGNAL,
	END_ERROR,
};

/*
 * What a signal does to the session.  The job-control signals are caught
 * too: the terminal must be given back before the stop and made raw again
 * after it (Ctrl-Z goes to the guest, so SIGTSTP comes from kill(1)).
 */
enum sig_action { ON_END, ON_STOP, ON_CONT, ON_IGNORE };

static const struct {
	int signo;
	enum sig_action act;
} sig_table[] = {
	{ SIGTERM, ON_END }, { SIGHUP, ON_END }, { SIGINT, ON_END }, { SIGQUIT, ON_END },
	{ SIGTSTP, ON_STOP }, { SIGTTIN, ON_STOP }, { SIGTTOU, ON_STOP },
	{ SIGCONT, ON_CONT },
	{ SIGPIPE, ON_IGNORE }, { SIGWINCH, ON_IGNORE },
};
#define NSIG_LIST (sizeof(sig_table) / sizeof(sig_table[0]))

struct session {
	const char *sock_path;
	long timeout;
	int sock;                   /* -1 until connected */
	int tty;                    /* stdin is a terminal: raw mode and escapes */
	int raw;                    /* raw mode is on (while we hold the terminal) */
	struct termios saved, raw_tio;
	struct console_escape esc;
	struct buf to_sock, to_out;
	int in_eof;
	int sock_wr_closed;         /* the VM stopped reading: drop input */
	int out_midline;            /* the last byte shown was not a line end */
	long long deadline;         /* CLOCK_MONOTONIC ms; 0: none */
	long long quiet_until;      /* pipe mode, once input ended; 0: not yet */
	enum end end;
	int signo;                  /* END_SIGNAL */
	int err;                    /* END_ERROR: errno ... */
	char what[160];             /* ... and what failed */
	struct sigaction old_act[NSIG_LIST];
	size_t nsig_set;            /* how many of old_act are saved */
};

/* ---- signals: a self-pipe the loop polls ---- */

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	ssize_t r = write(sig_pipe[1], &b, 1);   /* full pipe: a signal is pending anyway */

	(void)r;
	errno = saved;
}

/* No SA_RESTART: a write blocked on a slow stdout returns to the loop. */
static int signals_install(struct session *s, struct diag *d)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (s->nsig_set = 0; s->nsig_set < NSIG_LIST; s->nsig_set++) {
		sa.sa_handler = sig_table[s->nsig_set].act == ON_IGNORE ? SIG_IGN : on_signal;
		if (sigaction(sig_table[s->nsig_set].signo, &sa, &s->old_act[s->nsig_set]) < 0) {
			diag_error(d, NULL, EXIT_OSERR, "cannot set up signal handling: %s",
				   strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Put back what signals_install changed (also after it failed half-way). */
static void signals_restore(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nsig_set; i++)
		sigaction(sig_table[i].signo, &s->old_act[i], NULL);
	s->nsig_set = 0;
	if (sig_pipe[0] >= 0) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
	}
	sig_pipe[0] = sig_pipe[1] = -1;
}

static enum sig_action sig_action_of(int signo)
{
	size_t i;

	for (i = 0; i < NSIG_LIST; i++)
		if (sig_table[i].signo == signo)
			return sig_table[i].act;
	return ON_END;
}

/* SIGNO back to its default action for a moment; what it was goes in *OLD. */
static int sig_default(int signo, struct sigaction *old)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	return sigaction(signo, &dfl, old);
}

/* Stop with SIGNO's default action, so the shell sees a stopped job; returns once continued. */
static int stop_self(int signo)
{
	struct sigaction old;

	if (sig_default(signo, &old) < 0)
		return -1;
	raise(signo);   /* an orphaned job is not stopped: then it just goes on */
	return sigaction(signo, &old, NULL);
}

/* ---- small helpers ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);   /* cannot fail for CLOCK_MONOTONIC */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* End the session with an error; finish() reports it as "WHAT: strerror(ERR)". */
static int fail(struct session *s, int err, const char *fmt, ...)
{
	va_list ap;

	s->end = END_ERROR;
	s->err = err;
	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Set the terminal with SIGTTOU's default action: from the background the
 * kernel stops the job until the shell gives it the terminal back, instead
 * of our handler turning every try into EINTR (an orphaned job gets EIO).
 */
static int term_set(const struct termios *t)
{
	struct sigaction old;
	int r, err;

	if (sig_default(SIGTTOU, &old) < 0)
		return -1;
	while ((r = tcsetattr(STDIN_FILENO, TCSADRAIN, t)) < 0 && errno == EINTR)
		;
	err = errno;
	sigaction(SIGTTOU, &old, NULL);   /* cannot fail: it worked the other way */
	errno = err;
	return r;
}

/* The terminal is another job's while we are in the background: leave it alone. */
static int term_ours(void)
{
	pid_t fg = tcgetpgrp(STDIN_FILENO);

	return fg < 0 || fg == getpgrp();   /* no answer (hung up): let tcsetattr say */
}

/* ---- options and the argument ---- */

static int usage_error(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(struct diag *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error(d, NULL, EXIT_USAGE, "console: %s", msg);
	fputs("Try 'vmlaunch --help'.\n", d->out);
	return EXIT_USAGE;
}

static int parse_seconds(const char *v, long *out)
{
	long n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > TIMEOUT_MAX)
			return -1;
	}
	if (p == v || *p || n < 1)
		return -1;
	*out = n;
	return 0;
}

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_options(int argc, char **argv, struct console_opts *o, struct diag *d)
{
	int i, options_done = 0;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options_done || a[0] != '-' || !a[1]) {
			if (o->target)
				return usage_error(d, "too many arguments: '%s'", a);
			o->target = a;
		} else if (strcmp(a, "--") == 0) {
			options_done = 1;
		} else if (strcmp(a, "--replay") == 0) {
			o->replay = 1;
		} else if (strncmp(a, "-o", 2) == 0) {
			const char *kv = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;

			if (!kv)
				return usage_error(d, "option -o needs KEY=VALUE");
			strvec_push(&o->overrides, kv);
		} else if (strcmp(a, "--timeout") == 0 || strncmp(a, "--timeout=", 10) == 0) {
			const char *v = a[9] == '=' ? a + 10 : i + 1 < argc ? argv[++i] : NULL;

			if (!v)
				return usage_error(d, "option --timeout needs SECONDS");
			if (parse_seconds(v, &o->timeout) < 0)
				return usage_error(d, "--timeout '%s' is not a whole number of "
						   "seconds from 1 to %ld", v, TIMEOUT_MAX);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(console_usage, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "-q") == 0) {
			d->quiet = 1;
		} else if (strcmp(a, "-v") == 0) {
			d->verbose = 1;
		} else {
			return usage_error(d, "unknown option '%s'", a);
		}
	}
	if (!o->target)
		return usage_error(d, "missing SOCKET or CONFIG");
	return -1;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a named pipe";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISREG(mode))
		return "a regular file";
	return "a special file";
}

/* SOCK.log is there, in any form (open_log says if it will not be shown). */
static int log_exists(const char *sock)
{
	char *log = xasprintf("%s.log", sock);
	struct stat st;
	int r = lstat(log, &st) == 0;

	free(log);
	return r;
}

/* The socket a config's 'serial' names; it need not exist yet (connect says). */
static int socket_from_config(const char *file, const struct strvec *overrides,
			      char **sock_path, struct diag *d)
{
	struct origin at = { file, 0 };
	struct vm_config cfg;
	char cwd[PATH_MAX];
	struct stat st;
	int status = 0;

	if (!getcwd(cwd, sizeof(cwd))) {
		diag_error(d, NULL, EXIT_OSERR, "cannot find the current directory: %s",
			   strerror(errno));
		return EXIT_OSERR;
	}
	if (config_load(&cfg, file, overrides, cwd, d)) {
		diag_error(d, &at, EXIT_CONFIG, "not a socket, so it was read as a config file");
		status = d->status;
	} else if (cfg.serial != SERIAL_SOCKET) {
		diag_error(d, &at, EXIT_CONFIG, "serial is %s, not a socket: nothing to attach to",
			   cfg.serial == SERIAL_STDIO ? "stdio" : "none");
		status = EXIT_CONFIG;
	} else if (stat(cfg.serial_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		at.file = cfg.serial_path;
		diag_error(d, &at, EXIT_NOINPUT, "is %s, not a socket (the serial of %s)",
			   file_kind(st.st_mode), file);
		status = EXIT_NOINPUT;
	} else {
		*sock_path = xstrdup(cfg.serial_path);
	}
	config_free(&cfg);
	return status;
}

/*
 * PATH is a socket, or a config naming one.  With REPLAY, a socket that is
 * gone is still a target when its boot log is there: the log of a VM that
 * exited (or crashed) is worth showing.
 */
static int resolve_target(const char *path, int replay, const struct strvec *overrides,
			  char **sock_path, struct diag *d)
{
	struct origin at = { path, 0 };
	struct stat st;

	if (stat(path, &st) < 0) {
		if (replay && errno == ENOENT && log_exists(path)) {
			*sock_path = xstrdup(path);
			return 0;
		}
		if (errno == ENOENT && !strchr(path, '/') && vmctl_exists(path)) {
			/* A VM of vmlaunch start, by its name. */
			char *log = NULL;
			int status = vmctl_console_target(path, sock_path, &log, d);

			free(log);
			return status;
		}
		if (errno == ENOENT || errno == ENOTDIR)
			diag_error(d, &at, EXIT_NOINPUT, strchr(path, '/') ? "no such socket or "
				   "config file" : "no such socket, config file or started VM");
		else
			diag_error(d, &at, EXIT_NOINPUT, "cannot look at it: %s", strerror(errno));
		return EXIT_NOINPUT;
	}
	if (S_ISSOCK(st.st_mode)) {
		*sock_path = xstrdup(path);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return socket_from_config(path, overrides, sock_path, d);
	diag_error(d, &at, EXIT_NOINPUT, "is %s, not a socket or config file",
		   file_kind(st.st_mode));
	return EXIT_NOINPUT;
}

#define CONNECT_GONE (-1)   /* connect_socket: no VM, and the caller says so */

/*
 * Non-blocking connect: a listener that is not accepting fails at once
 * (EAGAIN).  With GONE_OK, no socket or nobody listening is not reported
 * but returns CONNECT_GONE.
 */
static int connect_socket(const char *path, int gone_ok, int *fdp, struct diag *d)
{
	struct origin at = { path, 0 };
	int fd, err;

	if (strlen(path) > usock_path_max()) {
		diag_error(d, &at, EXIT_NOINPUT, "the path is %zu bytes; a unix socket path has "
			   "at most %zu", strlen(path), usock_path_max());
		return EXIT_NOINPUT;
	}
	/* Non-blocking: a listener that is not accepting fails at once (EAGAIN). */
	fd = usock_connect(path, USOCK_NONBLOCK);
	if (fd >= 0) {
		*fdp = fd;
		return 0;
	}
	err = errno;
	if (gone_ok && (err == ENOENT || err == ECONNREFUSED))
		return CONNECT_GONE;
	switch (err) {
	case ECONNREFUSED:
		diag_error(d, &at, EXIT_UNAVAILABLE, "nobody is listening (is the VM running?)");
		return EXIT_UNAVAILABLE;
	case EAGAIN:
		diag_error(d, &at, EXIT_UNAVAILABLE, "the VM is not accepting connections "
			   "(is another console attached?)");
		return EXIT_UNAVAILABLE;
	case ENOENT:
		diag_error(d, &at, EXIT_NOINPUT, "no such socket (is the VM running?)");
		return EXIT_NOINPUT;
	case EACCES:
	case EPERM:
		diag_error(d, &at, EXIT_NOINPUT, "cannot connect: %s", strerror(err));
		return EXIT_NOINPUT;
	default:
		diag_error(d, &at, EXIT_UNAVAILABLE, "cannot connect: %s", strerror(err));
		return EXIT_UNAVAILABLE;
	}
}

/* ---- the escape recogniser ---- */

void console_escape_init(struct console_escape *e)
{
	memset(e, 0, sizeof(*e));
	e->at_line_start = 1;
}

/* Track an escape sequence C belongs to; 1 while C is part of one. */
static int escape_sequence(struct console_escape *e, unsigned char c)
{
	if (e->in_seq == 0 && c == 0x1b && !e->tilde_held) {
		e->in_seq = 1;
		e->seq_line_start = e->at_line_start;
		e->at_line_start = 0;
		return 1;
	}
	if (e->in_seq && c < 0x20) {       /* a control byte: no sequence after all */
		e->in_seq = 0;
		return 0;
	}
	if (e->in_seq == 1 && c == '[') {
		e->in_seq = 2;
		return 1;
	}
	if (e->in_seq == 1 || (e->in_seq == 2 && c >= 0x40 && c <= 0x7e)) {
		if (e->in_seq == 2 && c == 'R')   /* a cursor position report */
			e->at_line_start = e->seq_line_start;
		e->in_seq = 0;
		return 1;
	}
	return e->in_seq == 2;
}

int console_escape_feed(struct console_escape *e, const unsigned char *in, size_t n,
			unsigned char *out, size_t *outlen)
{
	size_t i, k = 0;
	int leave = 0;

	for (i = 0; i < n && !leave; i++) {
		unsigned char c = in[i];

		if (c == CONSOLE_ESC_BYTE) {
			leave = 1;
		} else if (escape_sequence(e, c)) {
			out[k++] = c;
		} else if (e->tilde_held) {
			e->tilde_held = 0;
			if (c == '.') {
				leave = 1;
				continue;
			}
			out[k++] = '~';
			e->at_line_start = 0;
			if (c != '~') {          /* "~~" sends one '~' */
				out[k++] = c;
				e->at_line_start = c == '\r' || c == '\n';
			}
		} else if (e->at_line_start && c == '~') {
			e->tilde_held = 1;
		} else {
			out[k++] = c;
			e->at_line_start = c == '\r' || c == '\n';
		}
	}
	*outlen = k;
	return leave;
}

/* ---- moving bytes ---- */

static int flush_out(struct session *s)
{
	struct buf *b = &s->to_out;
	ssize_t n = write(STDOUT_FILENO, b->data + b->off, b->len - b->off);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		return fail(s, errno, "cannot write to standard output");
	}
	b->off += (size_t)n;
	if (n > 0)
		s->out_midline = b->data[b->off - 1] != '\n';
	if (b->off == b->len)
		b->off = b->len = 0;
	return 0;
}

static int flush_sock(struct session *s)
{
	struct buf *b = &s->to_sock;
	ssize_t n = write(s->sock, b->data + b->off, b->len - b->off);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == EPIPE || errno == ECONNRESET) {
			/* The VM is going away: its EOF follows on the read side. */
			s->sock_wr_closed = 1;
			b->off = b->len = 0;
			return 0;
		}
		return fail(s, errno, "cannot write to %s", s->sock_path);
	}
	b->off += (size_t)n;
	if (b->off == b->len)
		b->off = b->len = 0;
	return 0;
}

static int read_sock(struct session *s)
{
	ssize_t n = read(s->sock, s->to_out.data, sizeof(s->to_out.data));

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == ECONNRESET)
			n = 0;
		else
			return fail(s, errno, "cannot read from %s", s->sock_path);
	}
	if (n == 0) {
		s->end = END_CLOSED;
		return -1;
	}
	s->to_out.off = 0;
	s->to_out.len = (size_t)n;
	if (s->in_eof)
		s->quiet_until = now_ms() + CONSOLE_QUIET_MS;
	return 0;
}

static int read_in(struct session *s)
{
	unsigned char raw[BUF_SIZE / 2];   /* escapes can double it */
	unsigned char *dst = s->tty ? raw : s->to_sock.data;
	size_t room = s->tty ? sizeof(raw) : sizeof(s->to_sock.data);
	ssize_t n = read(STDIN_FILENO, dst, room);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		return fail(s, errno, "cannot read from standard input");
	}
	if (n == 0 && s->tty) {
		s->end = END_LEFT;        /* the terminal hung up */
		return -1;
	}
	if (n == 0) {
		s->in_eof = 1;
		s->quiet_until = now_ms() + CONSOLE_QUIET_MS;
		return 0;
	}
	s->to_sock.off = 0;
	s->to_sock.len = (size_t)n;
	if (s->tty && console_escape_feed(&s->esc, raw, (size_t)n, s->to_sock.data,
					  &s->to_sock.len)) {
		if (s->to_sock.len && !s->sock_wr_closed) {
			/* Best effort: what was typed before the escape. */
			ssize_t r = write(s->sock, s->to_sock.data, s->to_sock.len);

			(void)r;
		}
		s->end = END_LEFT;
		return -1;
	}
	if (s->sock_wr_closed)
		s->to_sock.len = 0;
	return 0;
}

/* ---- job control ---- */

/* Raw mode again after a stop, whoever stopped us (SIGSTOP cannot be caught). */
static int resume(struct session *s)
{
	if (s->raw && term_set(&s->raw_tio) < 0)
		return fail(s, errno, "cannot put the terminal back in raw mode");
	return 0;
}

/* SIGTSTP, SIGTTIN, SIGTTOU: give the terminal back as it was, really stop, resume. */
static int suspend(struct session *s, int signo)
{
	if (s->raw && term_ours() && term_set(&s->saved) < 0) {
		s->raw = 0;          /* said once, here, not again by finish() */
		return fail(s, errno, "cannot restore the terminal");
	}
	if (stop_self(signo) < 0)
		return fail(s, errno, "cannot stop");
	return resume(s);
}

/* A byte from the self-pipe: 0 to go on, -1 when the session ends. */
static int take_signal(struct session *s)
{
	unsigned char b = 0;

	if (read(sig_pipe[0], &b, 1) != 1)
		return 0;            /* EAGAIN: another pass took it */
	switch (sig_action_of(b)) {
	case ON_STOP:
		return suspend(s, b);
	case ON_CONT:
		return resume(s);
	case ON_END:
	case ON_IGNORE:
		break;
	}
	s->signo = b;
	s->end = END_SIGNAL;
	return -1;
}

/* ---- the loop ---- */

enum { P_SIG, P_IN, P_SOCK, P_OUT, P_COUNT };

/* Milliseconds poll may sleep: until the deadline or the end of quiet. */
static int poll_timeout(const struct session *s, long long now)
{
	long long t = LLONG_MAX;

	if (s->deadline)
		t = s->deadline - now;
	if (s->quiet_until && s->to_out.len == 0 && s->quiet_until - now < t)
		t = s->quiet_until - now;
	if (t == LLONG_MAX)
		return -1;
	return t < 0 ? 0 : t > INT_MAX ? INT_MAX : (int)t;
}

static void poll_setup(const struct session *s, struct pollfd *p)
{
	short sock_ev = 0;

	p[P_SIG].fd = sig_pipe[0];
	p[P_SIG].events = POLLIN;
	p[P_IN].fd = s->sock >= 0 && !s->in_eof && s->to_sock.len == 0 ? STDIN_FILENO : -1;
	p[P_IN].events = POLLIN;
	if (s->sock >= 0 && s->to_out.len == 0)
		sock_ev |= POLLIN;
	if (s->sock >= 0 && s->to_sock.len)
		sock_ev |= POLLOUT;
	p[P_SOCK].fd = sock_ev ? s->sock : -1;
	p[P_SOCK].events = sock_ev;
	p[P_OUT].fd = s->to_out.len ? STDOUT_FILENO : -1;
	p[P_OUT].events = POLLOUT;
}

/* One pass over what poll reported; -1 when the session ended. */
static int handle_events(struct session *s, const struct pollfd *p)
{
	const short any = POLLIN | POLLOUT | POLLERR | POLLHUP | POLLNVAL;

	if ((p[P_OUT].revents & any) && flush_out(s) < 0)
		return -1;
	if ((p[P_SOCK].revents & any) && s->to_sock.len && flush_sock(s) < 0)
		return -1;
	if ((p[P_SOCK].revents & any) && (p[P_SOCK].events & POLLIN) && read_sock(s) < 0)
		return -1;
	if ((p[P_IN].revents & any) && read_in(s) < 0)
		return -1;
	return 0;
}

static enum end run_loop(struct session *s)
{
	struct pollfd p[P_COUNT];
	long long now;
	int n;

	s->end = END_NONE;
	for (;;) {
		if (s->sock < 0 && s->to_out.len == 0)
			return s->end = END_DRAINED;
		poll_setup(s, p);
		n = poll(p, P_COUNT, poll_timeout(s, now_ms()));
		if (n < 0 && errno != EINTR) {
			fail(s, errno, "poll");
			return s->end;
		}
		if (n > 0 && p[P_SIG].revents) {
			if (take_signal(s) < 0)
				return s->end;
			continue;   /* after a stop, what poll said is old news */
		}
		now = now_ms();
		if (s->deadline && now >= s->deadline)
			return s->end = END_TIMEOUT;
		if (s->quiet_until && s->to_out.len == 0 && now >= s->quiet_until)
			return s->end = END_QUIET;
		if (n > 0 && handle_events(s, p) < 0)
			return s->end;
	}
}

/* ---- the session ---- */

static void term_restore(struct session *s, struct diag *d)
{
	if (!s->raw)
		return;
	s->raw = 0;
	if (term_ours() && term_set(&s->saved) < 0)
		diag_error(d, NULL, EXIT_OSERR, "cannot restore the terminal: %s (try 'stty sane')",
			   strerror(errno));
}

/* Restore the terminal, then say why the session ended; returns the exit status. */
static int finish(struct session *s, struct diag *d)
{
	int was_raw = s->raw;

	term_restore(s, d);
	if (was_raw && s->out_midline && s->end != END_SIGNAL && isatty(STDERR_FILENO))
		fputc('\n', d->out);   /* the guest's prompt line is not ours to end */
	switch (s->end) {
	case END_NONE:
	case END_DRAINED:
	case END_QUIET:
		return EXIT_OK;
	case END_LEFT:
		fprintf(d->out, "vmlaunch: left the console of %s; the VM keeps running\n",
			s->sock_path);
		return EXIT_OK;
	case END_CLOSED:
		fputs("vmlaunch: connection closed by the VM\n", d->out);
		return EXIT_OK;
	case END_TIMEOUT:
		diag_error(d, NULL, CONSOLE_EXIT_TIMEOUT, "console: timeout after %ld s",
			   s->timeout);
		return CONSOLE_EXIT_TIMEOUT;
	case END_SIGNAL:
		return 128 + s->signo;
	case END_ERROR:
		break;
	}
	diag_error(d, NULL, EXIT_OSERR, "%s: %s", s->what, strerror(s->err));
	return EXIT_OSERR;
}

static int session_open(struct session *s, const struct console_opts *o, const char *sock_path,
			struct diag *d)
{
	memset(s, 0, sizeof(*s));
	s->sock_path = sock_path;
	s->timeout = o->timeout;
	s->sock = -1;
	if (o->timeout)
		s->deadline = now_ms() + o->timeout * 1000LL;
	s->tty = isatty(STDIN_FILENO);
	console_escape_init(&s->esc);
	return signals_install(s, d);
}

static void session_close(struct session *s)
{
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
	signals_restore(s);
}

/*
 * Why the boot log open on FD must not be shown, in WHY, or NULL.  It is
 * shown raw, so it must be a regular file that nobody else could have
 * written escape sequences into: ours, and not group- or world-writable.
 */
static const char *log_refusal(int fd, char *why, size_t n)
{
	static const char *const writers[] = { "group", "others", "group and others" };
	struct stat st;
	int w;

	if (fstat(fd, &st) < 0) {
		snprintf(why, n, "cannot be looked at: %s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, n, "is %s, not a regular file", file_kind(st.st_mode));
	} else if (st.st_uid != geteuid()) {
		const struct passwd *pw = getpwuid(st.st_uid);

		if (pw)
			snprintf(why, n, "is owned by %s, not by you", pw->pw_name);
		else
			snprintf(why, n, "is owned by uid %lu, not by you", (unsigned long)st.st_uid);
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		w = (st.st_mode & S_IWGRP ? 1 : 0) + (st.st_mode & S_IWOTH ? 2 : 0);
		snprintf(why, n, "is writable by %s (mode %04o)", writers[w - 1],
			 (unsigned)(st.st_mode & 07777));
	} else {
		return NULL;
	}
	return why;
}

/* Open SOCKET.log to be shown, or say in one line why not; -1 then. */
static int open_log(const char *log, struct diag *d)
{
	char why[160];
	int fd = open(log, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0) {
		if (errno == ENOENT)
			diag_warn(d, NULL, "no boot log at %s", log);
		else if (errno == ELOOP)
			diag_warn(d, NULL, "boot log %s is a symbolic link: not shown", log);
		else
			diag_warn(d, NULL, "cannot open the boot log %s: %s", log, strerror(errno));
		return -1;
	}
	if (log_refusal(fd, why, sizeof(why))) {
		diag_warn(d, NULL, "boot log %s %s: not shown", log, why);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Show SOCKET.log first: what the guest printed before anyone attached.
 * *SHOWN is set when it was shown; returns the exit status if the session
 * ended during it (a signal, an error), else 0.
 */
static int replay_log(struct session *s, int *shown, struct diag *d)
{
	char *log = xasprintf("%s.log", s->sock_path);
	ssize_t n;
	int fd, status = 0;

	*shown = 0;
	fd = open_log(log, d);
	if (fd < 0) {
		free(log);
		return 0;
	}
	while ((n = read(fd, s->to_out.data, sizeof(s->to_out.data))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_warn(d, NULL, "cannot read the boot log %s: %s", log, strerror(errno));
			break;
		}
		s->to_out.off = 0;
		s->to_out.len = (size_t)n;
		if (run_loop(s) != END_DRAINED) {
			status = finish(s, d);
			break;
		}
	}
	*shown = n == 0;
	close(fd);
	free(log);
	return status;
}

static int attach(struct session *s, struct diag *d)
{
	int flags = fcntl(s->sock, F_GETFL);

	if (flags < 0 || fcntl(s->sock, F_SETFL, flags | O_NONBLOCK) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "cannot set up the socket: %s", strerror(errno));
		return EXIT_OSERR;
	}
	if (s->tty) {
		if (tcgetattr(STDIN_FILENO, &s->saved) < 0) {
			diag_error(d, NULL, EXIT_OSERR, "cannot read the terminal's settings: %s",
				   strerror(errno));
			return EXIT_OSERR;
		}
		fprintf(d->out, "vmlaunch: connected to %s; leave with Ctrl-] or ~. at the "
			"start of a line\n", s->sock_path);
		s->raw_tio = s->saved;
		cfmakeraw(&s->raw_tio);   /* no output processing: the guest sends \r\n itself */
		s->raw_tio.c_cc[VMIN] = 1;
		s->raw_tio.c_cc[VTIME] = 0;
		s->raw = 1;               /* from here on, every way out restores */
		if (term_set(&s->raw_tio) < 0) {
			int err = errno;

			term_restore(s, d);
			diag_error(d, NULL, EXIT_OSERR, "cannot put the terminal in raw mode: %s",
				   strerror(err));
			return EXIT_OSERR;
		}
	}
	run_loop(s);
	return finish(s, d);
}

int console_main(int argc, char **argv, struct diag *d)
{
	struct console_opts o;
	struct session s;
	char *sock_path = NULL;
	int status, shown = 0;

	status = parse_options(argc, argv, &o, d);
	if (status >= 0) {
		strvec_clear(&o.overrides);
		return status;
	}
	status = resolve_target(o.target, o.replay, &o.overrides, &sock_path, d);
	if (status)
		goto out;
	if (session_open(&s, &o, sock_path, d) < 0)
		status = EXIT_OSERR;
	else if (o.replay)
		status = replay_log(&s, &shown, d);
	if (!status)
		status = connect_socket(sock_path, shown, &s.sock, d);
	if (status == CONNECT_GONE) {
		/* What was asked for was shown: a success, in one line of its own. */
		if (s.out_midline && isatty(STDERR_FILENO))
			fputc('\n', d->out);
		fprintf(d->out, "vmlaunch: %s: the VM is not running; shown its boot log\n",
			sock_path);
		status = EXIT_OK;
	} else if (!status) {
		status = attach(&s, d);
	}
	session_close(&s);
out:
	strvec_clear(&o.overrides);
	free(sock_path);
	return status;
}
