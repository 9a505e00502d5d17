/*
 * vmlaunch test.  Everything that can be wrong with the command line or the
 * configs is reported before any VM starts.  Then every run is driven from
 * one poll loop: the serial connections, a signalfd (SIGCHLD, SIGINT,
 * SIGTERM, SIGHUP) and the deadlines.  After each result QEMU is stopped
 * (monitor "quit", SIGTERM, SIGKILL) and reaped; nothing of a run is left.
 */
#include "smoke.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "overlay.h"
#include "qemu_argv.h"
#include "strbuf.h"
#include "supervise.h"
#include "validate.h"
#include "xalloc.h"

#define DEFAULT_READY "vmlaunch: boot ok"
#define BUILTIN_FAIL "Kernel panic|BUG:|Oops"
#define EXIT_MARKER "vmlaunch-exit=([0-9]+)"
#define PENDING_MAX (1 << 20)
#define TAIL_LINES 15
#define GRACE_MS 2000

enum step_kind { STEP_EXPECT, STEP_SEND };

struct step {
	enum step_kind kind;
	const char *text;
	regex_t re;           /* STEP_EXPECT */
	int captures_status;  /* the --exit-status marker */
};

struct options {
	struct step *steps;   /* steps[0] waits for the boot marker */
	size_t nsteps;
	regex_t *fails;       /* --fail patterns, then the built-in one */
	const char **fail_texts;
	size_t nfails;
	size_t ncompiled_steps, ncompiled_fails;
	int exit_status;
	unsigned timeout;
	unsigned jobs;
	const char *transcript;
	const char *junit;
	struct strvec overrides;
	char **configs;
	int nconfigs;
};

enum outcome { OUT_NONE, OUT_PASS, OUT_FAIL, OUT_TIMEOUT };

struct run {
	const char *config;
	struct vm_config cfg;
	char *dir;                /* private: sockets, logs */
	struct child qemu;
	int fd;                   /* serial connection, -1 until connected */
	size_t step;
	struct strbuf pending;    /* output not yet consumed by a step */
	struct strbuf line;       /* the line being received, for --fail */
	struct strbuf all;        /* the whole console output */
	double start, seconds;
	enum outcome outcome;
	char *reason;
	int running;
};

/* ---- options ---- */

static int usage_error(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	fputs("vmlaunch: test: ", d->out);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vmlaunch --help'.\n", d->out);
	return EXIT_USAGE;
}

static int compile(struct diag *d, regex_t *re, const char *pattern)
{
	char msg[256];
	int r = regcomp(re, pattern, REG_EXTENDED | REG_NEWLINE);

	if (r == 0)
		return 0;
	regerror(r, re, msg, sizeof(msg));
	fprintf(d->out, "vmlaunch: test: invalid regular expression '%s': %s\n", pattern, msg);
	return -1;
}

static struct step *add_step(struct options *o, enum step_kind kind, const char *text)
{
	struct step *s;

	o->steps = xrealloc(o->steps, (o->nsteps + 1) * sizeof(*o->steps));
	s = &o->steps[o->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->text = text;
	return s;
}

static int parse_number(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Returns 0 or the exit status for a usage error. */
static int parse_options(int argc, char **argv, struct options *o, struct diag *d)
{
	const char *ready = DEFAULT_READY;
	int i, sends = 0, options_done = 0;

	memset(o, 0, sizeof(*o));
	o->timeout = 60;
	o->jobs = 1;
	o->configs = xcalloc((size_t)argc, sizeof(*o->configs));
	add_step(o, STEP_EXPECT, NULL);   /* the boot marker; pattern set below */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (options_done || a[0] != '-' || !a[1]) {
			o->configs[o->nconfigs++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = 1;
			continue;
		}
		if (strcmp(a, "--exit-status") == 0) {
			o->exit_status = 1;
			continue;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "-v") == 0) {
			*(a[1] == 'q' ? &d->quiet : &d->verbose) = 1;
			continue;
		}
		if (!v)
			return usage_error(d, "option %s needs a value", a);
		i++;
		if (strcmp(a, "--ready") == 0) {
			ready = v;
		} else if (strcmp(a, "--expect") == 0) {
			add_step(o, STEP_EXPECT, v);
		} else if (strcmp(a, "--send") == 0) {
			add_step(o, STEP_SEND, v);
			sends++;
		} else if (strcmp(a, "--fail") == 0) {
			o->fail_texts = xrealloc(o->fail_texts, (o->nfails + 1) * sizeof(char *));
			o->fail_texts[o->nfails++] = v;
		} else if (strcmp(a, "--timeout") == 0) {
			if (parse_number(v, 1, 86400, &o->timeout) < 0)
				return usage_error(d, "--timeout '%s' is not a number of seconds (1 to 86400)", v);
		} else if (strcmp(a, "-j") == 0) {
			if (parse_number(v, 1, 64, &o->jobs) < 0)
				return usage_error(d, "-j '%s' is not a number from 1 to 64", v);
		} else if (strcmp(a, "--transcript") == 0) {
			o->transcript = v;
		} else if (strcmp(a, "--junit") == 0) {
			o->junit = v;
		} else if (strcmp(a, "-o") == 0) {
			strvec_push(&o->overrides, v);
		} else {
			return usage_error(d, "unknown option '%s'", a);
		}
	}
	if (o->nconfigs == 0)
		return usage_error(d, "missing CONFIG");
	if (o->exit_status && !sends)
		return usage_error(d, "--exit-status needs a --send whose status to report");
	o->steps[0].text = ready;
	if (o->exit_status)
		add_step(o, STEP_EXPECT, EXIT_MARKER)->captures_status = 1;
	return 0;
}

/* Compile every pattern; an invalid one is a usage error, before anything runs. */
static int compile_patterns(struct options *o, struct diag *d)
{
	size_t i;

	for (i = 0; i < o->nsteps; i++, o->ncompiled_steps++)
		if (o->steps[i].kind == STEP_EXPECT && compile(d, &o->steps[i].re, o->steps[i].text))
			return EXIT_USAGE;
	o->fails = xcalloc(o->nfails + 1, sizeof(*o->fails));
	for (i = 0; i < o->nfails; i++, o->ncompiled_fails++)
		if (compile(d, &o->fails[i], o->fail_texts[i]))
			return EXIT_USAGE;
	if (compile(d, &o->fails[o->nfails], BUILTIN_FAIL))
		return EXIT_INTERNAL;
	o->ncompiled_fails++;
	return 0;
}

static void free_options(struct options *o)
{
	size_t i;

	for (i = 0; i < o->ncompiled_steps; i++)
		if (o->steps[i].kind == STEP_EXPECT)
			regfree(&o->steps[i].re);
	for (i = 0; i < o->ncompiled_fails; i++)
		regfree(&o->fails[i]);
	free(o->steps);
	free(o->fails);
	free(o->fail_texts);
	free(o->configs);
	strvec_clear(&o->overrides);
}

/* ---- one run ---- */

static void set_outcome(struct run *r, enum outcome out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_outcome(struct run *r, enum outcome out, const char *fmt, ...)
{
	va_list ap;

	if (r->outcome != OUT_NONE)
		return;
	r->outcome = out;
	if (fmt) {
		va_start(ap, fmt);
		r->reason = xvasprintf(fmt, ap);
		va_end(ap);
	}
}

/* Load and validate one config for a supervised run in its own directory. */
static int prepare(struct run *r, const struct options *o, const char *cwd,
		   const struct host_env *env, struct diag *d)
{
	const char *tmpdir = getenv("TMPDIR");
	size_t i;

	r->fd = -1;
	config_init(&r->cfg, r->config, cwd);
	r->dir = xasprintf("%s/vmlaunch-test.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(r->dir)) {
		diag_error(d, NULL, EXIT_OSERR, "cannot create a directory in %s: %s",
			   tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
		free(r->dir);
		r->dir = NULL;
		return d->status;
	}
	if (config_parse_file(&r->cfg, d))
		return d->status;
	for (i = 0; i < o->overrides.n; i++)
		config_override(&r->cfg, o->overrides.v[i], cwd, d);
	if (d->errors || config_finish(&r->cfg, d))
		return d->status;
	/* The console is ours: a private socket QEMU waits on, with a log. */
	r->cfg.serial = SERIAL_SOCKET;
	free(r->cfg.serial_path);
	r->cfg.serial_path = xasprintf("%s/serial.sock", r->dir);
	free(r->cfg.serial_log);
	r->cfg.serial_log = xasprintf("%s/serial.sock.log", r->dir);
	r->cfg.serial_wait = 1;
	r->cfg.monitor_path = xasprintf("%s/monitor.sock", r->dir);
	if (strlen(r->cfg.monitor_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		diag_error(d, NULL, EXIT_CONFIG, "test: TMPDIR '%s' is too long for the run's unix "
			   "sockets: use a shorter one", tmpdir && *tmpdir ? tmpdir : "/tmp");
		return d->status;
	}
	if (!r->cfg.s[KEY_SNAPSHOT].set)
		r->cfg.snapshot = 1;
	if (config_validate(&r->cfg, VALIDATE_STRICT, env, d))
		return d->status;
	return 0;
}

static void remove_dir(const char *dir)
{
	static const char *const names[] = { "serial.sock", "serial.sock.log", "monitor.sock",
					     "qemu.log" };
	size_t i;

	if (!dir)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);

		unlink(p);
		free(p);
	}
	rmdir(dir);
}

static int start(struct run *r, struct diag *d)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	char *log = xasprintf("%s/qemu.log", r->dir);
	int overlay = -1, rc;

	r->start = now_seconds();   /* also for the report of a failed start */
	if (r->cfg.snapshot && r->cfg.rootfs) {
		const char *why;

		overlay = overlay_create_for(r->dir, r->cfg.rootfs, &why);
		if (overlay < 0) {
			diag_error(d, NULL, EXIT_OSERR, "%s: snapshot of '%s': %s: %s", r->config,
				   r->cfg.rootfs, why, strerror(errno));
			free(log);
			return -1;
		}
		free(r->cfg.overlay);
		r->cfg.overlay = xasprintf("/proc/self/fd/%d", overlay);
	}
	qemu_cmd_build(&r->cfg, &cmd);
	rc = child_spawn(&r->qemu, cmd.argv.v, log);
	if (rc < 0)
		diag_error(d, NULL, EXIT_OSERR, "%s: cannot start QEMU: %s", r->config, strerror(errno));
	if (overlay >= 0)
		close(overlay);   /* QEMU has its own copy; the file goes when it exits */
	qemu_cmd_free(&cmd);
	free(log);
	r->running = rc == 0;
	return rc;
}

static void try_connect(struct run *r)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", r->cfg.serial_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		r->fd = fd;
	else
		close(fd);
}

static void send_text(struct run *r, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	size_t left;

	sb_addf(&sb, "%s\n", text);
	for (p = sb.buf, left = sb.len; left; ) {
		ssize_t w = send(r->fd, p, left, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	sb_release(&sb);
}

/* --exit-status reports the status of the last --send, whatever follows it. */
static int is_last_send(const struct options *o, size_t i)
{
	while (++i < o->nsteps)
		if (o->steps[i].kind == STEP_SEND)
			return 0;
	return 1;
}

/* Run the steps as far as the output received allows. */
static void advance(struct run *r, const struct options *o)
{
	while (r->outcome == OUT_NONE && r->step < o->nsteps) {
		const struct step *s = &o->steps[r->step];
		regmatch_t m[2];

		if (s->kind == STEP_SEND) {
			send_text(r, s->text);
			if (o->exit_status && is_last_send(o, r->step))
				send_text(r, "echo \"vmlaunch-exit=$?\"");
			r->step++;
			continue;
		}
		if (regexec(&s->re, r->pending.buf ? r->pending.buf : "", 2, m, 0) != 0)
			return;
		if (s->captures_status) {
			long status = strtol(r->pending.buf + m[1].rm_so, NULL, 10);

			if (status != 0)
				set_outcome(r, OUT_FAIL, "the guest command exited with status %ld", status);
		}
		/* Later steps look only at what came after this match. */
		memmove(r->pending.buf, r->pending.buf + m[0].rm_eo, r->pending.len - (size_t)m[0].rm_eo + 1);
		r->pending.len -= (size_t)m[0].rm_eo;
		r->step++;
	}
	if (r->step == o->nsteps)
		set_outcome(r, OUT_PASS, NULL);
}

static void check_line(struct run *r, const struct options *o)
{
	size_t i;

	const char *line = r->line.buf ? r->line.buf : "";

	for (i = 0; i <= o->nfails; i++) {
		if (regexec(&o->fails[i], line, 0, NULL, 0) == 0) {
			set_outcome(r, OUT_FAIL, "%s: %s", i < o->nfails ? "--fail pattern matched" :
				    "the guest reported a kernel failure", line);
			return;
		}
	}
}

/* New console bytes: keep them, check whole lines for failures, run steps. */
static void received(struct run *r, const struct options *o, const char *buf, size_t n)
{
	size_t i;

	sb_add(&r->all, buf, n);
	for (i = 0; i < n; i++) {
		char c = buf[i] ? buf[i] : ' ';

		if (c == '\r')
			continue;
		sb_addc(&r->pending, c);
		if (c == '\n') {
			check_line(r, o);
			sb_release(&r->line);
		} else {
			sb_addc(&r->line, c);
		}
	}
	if (r->pending.len > PENDING_MAX) {
		size_t drop = r->pending.len - PENDING_MAX / 2;

		memmove(r->pending.buf, r->pending.buf + drop, r->pending.len - drop + 1);
		r->pending.len -= drop;
	}
	advance(r, o);
}

static void read_console(struct run *r, const struct options *o)
{
	char buf[4096];
	ssize_t n = read(r->fd, buf, sizeof(buf));

	if (n > 0) {
		received(r, o, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(r->fd);
		r->fd = -2;   /* closed: QEMU is going away */
	}
}

/* The last lines of the console, for reports. */
static char *console_tail(const struct run *r)
{
	const char *s = r->all.buf ? r->all.buf : "", *end = s + r->all.len, *p = end;
	char *tail, *out;
	int lines = 0;

	while (p > s && lines <= TAIL_LINES)
		if (*--p == '\n')
			lines++;
	if (p > s || (p == s && *p == '\n'))
		p++;
	/* Text only: the guest's escape sequences (or NULs) must not reach the report. */
	tail = out = xmalloc((size_t)(end - p) + 1);
	for (; p < end; p++)
		if (*p == '\n' || *p == '\t' || ((unsigned char)*p >= 0x20 && *p != 0x7f))
			*out++ = *p;
	*out = '\0';
	return tail;
}

static void qemu_exited(struct run *r)
{
	FILE *f;
	char *log = xasprintf("%s/qemu.log", r->dir), line[1024] = "";
	int st = r->qemu.status;

	f = fopen(log, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "QEMU waiting for connection"))   /* an "info:" line, not an error */
			line[0] = '\0';
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	/* QEMU waits for our connection before it checks most of its options. */
	if (r->step == 0 && r->all.len == 0)
		set_outcome(r, OUT_FAIL, "QEMU exited at start (status %d)%s%s",
			    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
			    line[0] ? ": " : "", line);
	else if (r->cfg.debug_exit && WIFEXITED(st) && (WEXITSTATUS(st) & 1) && !line[0])
		set_outcome(r, OUT_FAIL, "the guest ended the VM through isa-debug-exit with "
			    "status %d before the test was done", WEXITSTATUS(st) >> 1);
	else
		set_outcome(r, OUT_FAIL, "the VM stopped (QEMU exited with status %d) before "
			    "the test was done%s%s", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
			    line[0] ? ": " : "", line);
	free(log);
}

/* ---- reporting ---- */

static void report(struct run *r, const struct options *o, struct smoke_result *res)
{
	static const char *const words[] = { "?", "PASS", "FAIL", "TIMEOUT" };
	char *tail = console_tail(r);

	printf("%-7s %s (%.1f s)%s%s\n", words[r->outcome], r->config, r->seconds,
	       r->reason ? ": " : "", r->reason ? r->reason : "");
	if (r->outcome != OUT_PASS) {
		const char *p = tail, *nl;

		for (; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl)
				nl = p + strlen(p);
			printf("    | %.*s\n", (int)(nl - p), p);
			if (!*nl)
				break;
		}
	}
	fflush(stdout);
	res->config = r->config;
	res->outcome = words[r->outcome][0] == 'P' ? "pass" :
		       r->outcome == OUT_TIMEOUT ? "timeout" : "fail";
	res->reason = r->reason;
	res->console_tail = tail;
	res->seconds = r->seconds;
	(void)o;
}

static void append_transcript(const struct options *o, const struct run *r, int header)
{
	FILE *f;

	if (!o->transcript)
		return;
	f = fopen(o->transcript, "a");
	if (!f)
		return;
	if (header)
		fprintf(f, "==> %s <==\n", r->config);
	if (r->all.len)
		fwrite(r->all.buf, 1, r->all.len, f);
	if (r->all.len && r->all.buf[r->all.len - 1] != '\n')
		fputc('\n', f);   /* the next header on a line of its own */
	fclose(f);
}

static void finish(struct run *r, const struct options *o, struct smoke_result *res, int nruns)
{
	r->seconds = now_seconds() - r->start;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -2;
	child_stop(&r->qemu, r->cfg.monitor_path, GRACE_MS);
	r->running = 0;
	report(r, o, res);
	append_transcript(o, r, nruns > 1);
	remove_dir(r->dir);
}

/* ---- the loop ---- */

/* One run after poll: connect, read, notice QEMU's exit or the deadline. */
static int service(struct run *r, short revents, double now, const struct options *o)
{
	if (r->fd == -1)
		try_connect(r);
	if (r->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
		read_console(r, o);
	if (r->outcome == OUT_NONE && child_poll(&r->qemu))
		qemu_exited(r);
	if (r->outcome == OUT_NONE && now - r->start >= o->timeout)
		set_outcome(r, OUT_TIMEOUT, "no '%s' on the console within %u s",
			    o->steps[r->step < o->nsteps ? r->step : 0].text, o->timeout);
	return r->outcome != OUT_NONE;
}

/* Fill the poll set; returns the poll timeout in milliseconds. */
static int poll_setup(struct pollfd *pfd, int sigfd, const struct run *runs, int nruns)
{
	int i, timeout = 250;

	pfd[0].fd = sigfd;
	pfd[0].events = POLLIN;
	for (i = 0; i < nruns; i++) {
		pfd[i + 1].fd = runs[i].running && runs[i].fd >= 0 ? runs[i].fd : -1;
		pfd[i + 1].events = POLLIN;
		if (runs[i].running && runs[i].fd == -1)
			timeout = 20;   /* waiting for QEMU's socket */
	}
	return timeout;
}

static int loop(struct run *runs, int nruns, const struct options *o,
		struct smoke_result *results, int sigfd, struct diag *d)
{
	struct pollfd *pfd = xcalloc((size_t)nruns + 1, sizeof(*pfd));
	int next = 0, active = 0, done = 0, i, sig = 0, s;

	while (done < nruns && !sig) {
		while (active < (int)o->jobs && next < nruns) {
			struct run *r = &runs[next++];

			if (start(r, d) == 0) {
				active++;
				continue;
			}
			set_outcome(r, OUT_FAIL, "QEMU could not be started");
			finish(r, o, &results[r - runs], nruns);
			done++;
		}
		if (poll(pfd, (nfds_t)nruns + 1, poll_setup(pfd, sigfd, runs, nruns)) < 0 &&
		    errno != EINTR) {
			diag_error(d, NULL, EXIT_OSERR, "test: poll: %s", strerror(errno));
			break;
		}
		while ((pfd[0].revents & POLLIN) && (s = signals_read(sigfd)) != 0)
			if (s != SIGCHLD)
				sig = s;
		for (i = 0; i < nruns; i++) {
			if (runs[i].running && service(&runs[i], pfd[i + 1].revents, now_seconds(), o)) {
				finish(&runs[i], o, &results[i], nruns);
				active--;
				done++;
			}
		}
	}
	for (i = 0; i < nruns; i++) {
		if (!runs[i].running)
			continue;
		/* Cut short: a failed result with the console so far, not a missing one. */
		if (sig)
			set_outcome(&runs[i], OUT_FAIL, "stopped by signal %d before the test was done", sig);
		else
			set_outcome(&runs[i], OUT_FAIL, "stopped before the test was done: poll failed");
		finish(&runs[i], o, &results[i], nruns);
	}
	free(pfd);
	if (sig) {
		fprintf(d->out, "vmlaunch: test: stopped by signal %d; no VM is left running\n", sig);
		return 128 + sig;
	}
	return 0;
}

int smoke_main(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d)
{
	struct smoke_result *results = NULL;
	struct run *runs = NULL;
	struct options o;
	int status, i, failed = 0, timed_out = 0, sigfd = -1;

	status = parse_options(argc, argv, &o, d);
	if (status == 0)
		status = compile_patterns(&o, d);
	if (status)
		goto out;
	/* A guest that hangs up, or a closed stdout, is an error to report, not a death. */
	signal(SIGPIPE, SIG_IGN);
	/* From here a signal is an event for the loop, not a death that leaves run dirs. */
	sigfd = signals_open();
	if (sigfd < 0) {
		diag_error(d, NULL, EXIT_OSERR, "test: signalfd: %s", strerror(errno));
		status = EXIT_OSERR;
		goto out;
	}
	runs = xcalloc((size_t)o.nconfigs, sizeof(*runs));
	results = xcalloc((size_t)o.nconfigs, sizeof(*results));
	for (i = 0; i < o.nconfigs; i++) {
		int one;

		runs[i].config = o.configs[i];
		d->errors = 0;
		one = prepare(&runs[i], &o, cwd, env, d);
		if (one && !status)
			status = one;
	}
	if (status)
		goto out;   /* nothing has started */
	if (o.transcript) {
		FILE *t = fopen(o.transcript, "w");   /* runs append to it */

		if (!t) {
			diag_error(d, NULL, EXIT_OSERR, "test: cannot write %s: %s", o.transcript,
				   strerror(errno));
			status = d->status;
			goto out;
		}
		fclose(t);
	}
	status = loop(runs, o.nconfigs, &o, results, sigfd, d);
	for (i = 0; i < o.nconfigs && !status; i++) {
		failed += runs[i].outcome == OUT_FAIL;
		timed_out += runs[i].outcome == OUT_TIMEOUT;
	}
	if (o.junit && junit_write(o.junit, results, o.nconfigs) < 0)
		diag_error(d, NULL, EXIT_OSERR, "test: cannot write %s: %s", o.junit, strerror(errno));
	if (!status)
		status = failed ? 1 : timed_out ? 124 : d->status;
out:
	for (i = 0; runs && i < o.nconfigs; i++) {
		remove_dir(runs[i].dir);
		free(runs[i].dir);
		free(runs[i].reason);
		sb_release(&runs[i].pending);
		sb_release(&runs[i].line);
		sb_release(&runs[i].all);
		config_free(&runs[i].cfg);
		free(results[i].console_tail);
	}
	if (sigfd >= 0)
		close(sigfd);
	free(runs);
	free(results);
	free_options(&o);
	return status;
}
