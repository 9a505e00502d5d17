/*
 * vmlaunch test.  Everything that can be wrong with the command line or the
 * configs is reported before anything is created or started; while the
 * configs are read, a signal ends vmlaunch at once (there is nothing to
 * clean up yet).  Then every run is driven from one poll loop: the serial
 * connections of the running jobs, a signalfd and the deadlines.  After
 * each result QEMU is stopped (monitor "quit", SIGTERM, SIGKILL) and
 * reaped, and the run's private directory is removed through the
 * descriptor it was created with.  The console is read by conscan, so
 * memory and CPU stay bounded whatever the guest prints.
 */
#include "smoke.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "conscan.h"
#include "exitcodes.h"
#include "json.h"
#include "overlay.h"
#include "plan.h"
#include "qemu_argv.h"
#include "qmp.h"
#include "savestate.h"
#include "strbuf.h"
#include "supervise.h"
#include "usock.h"
#include "validate.h"
#include "xalloc.h"

#define DEFAULT_READY "vmlaunch: boot ok"
/* vmlaunch-init's error lines (modules = DIR) all say "cannot" or "not found". */
#define BUILTIN_FAIL "Kernel panic|BUG:|Oops|vmlaunch-init: .*(cannot|not found)"
#define EXIT_MARKER "vmlaunch-exit=([0-9]+)$"   /* "$": all its digits are in */
#define GRACE_MS 2000
#define RUN_PREFIX "vmlaunch-test."
#define DISK_LOW_BYTES (1024 * 1024)   /* below this, ask QEMU whether it paused */

struct options {
	struct scan_step *steps;   /* steps[0] waits for the boot marker */
	size_t nsteps;
	regex_t *fails;            /* --fail patterns, then the built-in one */
	const char **fail_texts;
	size_t nfails;
	size_t ncompiled_steps, ncompiled_fails;
	struct scan_rules rules;
	struct strvec wires;       /* what each --send types */
	int exit_status;
	int json;                  /* --json: the results as one array, no text */
	unsigned timeout;
	unsigned jobs;
	const char *transcript;
	const char *junit;
	int transcript_fd, junit_fd;   /* opened before any signal is blocked */
	int transcript_lost;           /* a reader that does not keep up */
	struct strvec overrides;
	struct strvec cwds;        /* --restore without CONFIG: where each -o was given */
	char **configs;
	int nconfigs;
	const char *restore;       /* --restore FILE: every run goes on from it */
	struct savestate_meta meta;
	int restore_fd;            /* the file as checked: every run reads this one */
};

enum outcome { OUT_NONE, OUT_PASS, OUT_FAIL, OUT_TIMEOUT };

/* The test's own context: TMPDIR, opened once. */
struct where {
	const char *tmpdir;
	int tmpfd;
};

struct run {
	const char *config;
	struct vm_config cfg;
	struct vm_plan plan;
	int fds[CONFIG_DISKS_MAX + 3];   /* what QEMU inherits, closed once it started */
	size_t nfds;
	char *dir;                /* the private directory, NULL until started */
	int dirfd, lockfd;        /* the directory as created, and its lock */
	struct child qemu;
	int fd;                   /* serial connection: -1 until connected, -2 closed */
	struct strbuf outq;       /* typed text not yet taken by the console */
	struct conscan scan;
	double start, seconds, next_disk_check;
	enum outcome outcome;
	char *reason;
	int running;
	int kick;                 /* --restore: a newline once connected, for a prompt */
	int setup_failed;         /* its directory, overlay or log could not be made */
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

static struct scan_step *add_step(struct options *o, enum scan_step_kind kind, const char *text)
{
	struct scan_step *s;

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

/* Options that take a value; 1 when A was one, -1 on a usage error. */
static int value_option(struct options *o, const char *a, const char *v, int *sends,
			struct diag *d)
{
	if (strcmp(a, "--expect") == 0) {
		add_step(o, SCAN_EXPECT, v);
	} else if (strcmp(a, "--send") == 0) {
		add_step(o, SCAN_SEND, v);
		(*sends)++;
	} else if (strcmp(a, "--fail") == 0) {
		o->fail_texts = xrealloc(o->fail_texts, (o->nfails + 1) * sizeof(char *));
		o->fail_texts[o->nfails++] = v;
	} else if (strcmp(a, "--timeout") == 0) {
		if (parse_number(v, 1, 86400, &o->timeout) < 0)
			return usage_error(d, "--timeout '%s' is not a number of seconds (1 to 86400)", v), -1;
	} else if (strcmp(a, "-j") == 0) {
		if (parse_number(v, 1, 64, &o->jobs) < 0)
			return usage_error(d, "-j '%s' is not a number from 1 to 64", v), -1;
	} else if (strcmp(a, "--transcript") == 0) {
		o->transcript = v;
	} else if (strcmp(a, "--junit") == 0) {
		o->junit = v;
	} else if (strcmp(a, "-o") == 0) {
		strvec_push(&o->overrides, v);
	} else if (strcmp(a, "--restore") == 0) {
		o->restore = v;
	} else {
		return 0;
	}
	return 1;
}

/* Returns 0 or the exit status for a usage error. */
static int parse_options(int argc, char **argv, struct options *o, struct diag *d)
{
	const char *ready = NULL;
	int i, sends = 0, options_done = 0, r;

	memset(o, 0, sizeof(*o));
	o->transcript_fd = o->junit_fd = o->restore_fd = -1;
	o->timeout = 60;
	o->jobs = 1;
	o->configs = xcalloc((size_t)argc, sizeof(*o->configs));
	add_step(o, SCAN_EXPECT, NULL);   /* the boot marker; pattern set below */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (options_done || a[0] != '-' || !a[1]) {
			o->configs[o->nconfigs++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			options_done = 1;
		} else if (strcmp(a, "--exit-status") == 0) {
			o->exit_status = 1;
		} else if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "-v") == 0) {
			*(a[1] == 'q' ? &d->quiet : &d->verbose) = 1;
		} else if (!v) {
			return usage_error(d, "option %s needs a value", a);
		} else if (strcmp(a, "--ready") == 0) {
			ready = v;
			i++;
		} else if ((r = value_option(o, a, v, &sends, d)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			i++;
		} else {
			return usage_error(d, "unknown option '%s'", a);
		}
	}
	if (o->nconfigs == 0 && !o->restore)
		return usage_error(d, "missing CONFIG");
	if (o->exit_status && !sends)
		return usage_error(d, "--exit-status needs a --send whose status to report");
	/* A restored guest does not boot: its first line (the prompt vmlaunch asks for) will do. */
	o->steps[0].text = ready ? ready : o->restore ? "" : DEFAULT_READY;
	if (o->exit_status)
		add_step(o, SCAN_EXPECT, EXIT_MARKER)->captures_status = 1;
	return 0;
}

/* --exit-status reports the status of the last --send, whatever follows it. */
static int is_last_send(const struct options *o, size_t i)
{
	while (++i < o->nsteps)
		if (o->steps[i].kind == SCAN_SEND)
			return 0;
	return 1;
}

/*
 * What each --send types.  Under --exit-status the last one runs with its
 * standard input from /dev/null and is followed, in the same compound
 * command, by the marker: a command that reads its input gets end of file
 * instead of swallowing the marker line.
 */
static void make_wires(struct options *o)
{
	size_t i;

	for (i = 0; i < o->nsteps; i++) {
		if (o->steps[i].kind != SCAN_SEND)
			continue;
		if (o->exit_status && is_last_send(o, i))
			strvec_pushf(&o->wires, "{ %s\n} </dev/null; echo \"vmlaunch-exit=$?\"\n",
				     o->steps[i].text);
		else
			strvec_pushf(&o->wires, "%s\n", o->steps[i].text);
		o->steps[i].wire = o->wires.v[o->wires.n - 1];
	}
}

/* Compile every pattern; an invalid one is a usage error, before anything runs. */
static int compile_patterns(struct options *o, struct diag *d)
{
	size_t i;

	for (i = 0; i < o->nsteps; i++, o->ncompiled_steps++)
		if (o->steps[i].kind == SCAN_EXPECT && compile(d, &o->steps[i].re, o->steps[i].text))
			return EXIT_USAGE;
	o->fails = xcalloc(o->nfails + 1, sizeof(*o->fails));
	for (i = 0; i < o->nfails; i++, o->ncompiled_fails++)
		if (compile(d, &o->fails[i], o->fail_texts[i]))
			return EXIT_USAGE;
	if (compile(d, &o->fails[o->nfails], BUILTIN_FAIL))
		return EXIT_INTERNAL;
	o->ncompiled_fails++;
	make_wires(o);
	o->rules.steps = o->steps;
	o->rules.nsteps = o->nsteps;
	o->rules.fails = o->fails;
	o->rules.nfails = o->nfails + 1;
	o->rules.nuser_fails = o->nfails;
	return 0;
}

static void free_options(struct options *o)
{
	size_t i;

	for (i = 0; i < o->ncompiled_steps; i++)
		if (o->steps[i].kind == SCAN_EXPECT)
			regfree(&o->steps[i].re);
	for (i = 0; i < o->ncompiled_fails; i++)
		regfree(&o->fails[i]);
	free(o->steps);
	free(o->fails);
	free(o->fail_texts);
	free(o->configs);
	strvec_clear(&o->wires);
	strvec_clear(&o->overrides);
	strvec_clear(&o->cwds);
	savestate_meta_free(&o->meta);
	if (o->restore_fd >= 0)
		close(o->restore_fd);
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

/*
 * Load and validate one config.  Nothing is created yet: the private
 * console (a socket in the run's directory) is set up when the run starts,
 * so validation sees a console that adds console= but no socket path.
 */
static int prepare(struct run *r, const struct options *o, const char *cwd,
		   const struct where *w, const struct host_env *env, struct diag *d)
{
	struct sockaddr_un sa;

	r->fd = -1;
	r->dirfd = r->lockfd = -1;
	if (config_load_in(&r->cfg, r->config, &o->overrides, o->cwds.n ? &o->cwds : NULL, cwd, d))
		return d->status;
	if (strlen(w->tmpdir) + strlen("/" RUN_PREFIX "XXXXXX/serial.sock") >= sizeof(sa.sun_path)) {
		diag_error(d, NULL, EXIT_CONFIG, "test: TMPDIR '%s' is too long for the run's unix "
			   "sockets: use a shorter one", w->tmpdir);
		return d->status;
	}
	if (config_validate(&r->cfg, VALIDATE_TEST, env, d, &r->plan))
		return d->status;
	if (o->restore && savestate_check(&o->meta, o->restore, &r->plan, d) < 0)
		return d->status;
	return 0;
}

static const char *const run_files[] = {
	"serial.sock", "serial.sock.log", "qmp.sock", "qemu.log", "lock", "lock.new",
};

/*
 * Remove a run directory through DIRFD, the descriptor it was created or
 * found with, and its name NAME in the directory TMPFD: a directory that
 * was swapped for a symlink meanwhile is not followed.
 */
static int remove_run_dir(int tmpfd, const char *name, int dirfd)
{
	size_t i;

	for (i = 0; i < sizeof(run_files) / sizeof(run_files[0]); i++)
		unlinkat(dirfd, run_files[i], 0);
	return unlinkat(tmpfd, name, AT_REMOVEDIR);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void run_dir_close(struct run *r, const struct where *w)
{
	if (r->dirfd < 0)
		return;
	remove_run_dir(w->tmpfd, base_name(r->dir), r->dirfd);
	close(r->dirfd);
	if (r->lockfd >= 0)
		close(r->lockfd);
	r->dirfd = r->lockfd = -1;
}

/*
 * Is NAME (in TMPFD) the directory of a run whose vmlaunch is gone?  Its
 * lock is free then.  Returns its descriptor, or -1.
 */
static int stale_run_dir(int tmpfd, const char *name)
{
	struct stat st;
	int fd, lock;

	fd = openat(tmpfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		close(fd);
		return -1;
	}
	lock = openat(fd, "lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		if (lock >= 0)
			close(lock);
		close(fd);
		return -1;
	}
	close(lock);
	return fd;
}

/* Directories of runs whose vmlaunch was killed (SIGKILL) are removed now. */
static void clean_stale_runs(const struct where *w, struct diag *d)
{
	int fd = dup(w->tmpfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		int run;

		if (strncmp(e->d_name, RUN_PREFIX, strlen(RUN_PREFIX)) != 0)
			continue;
		run = stale_run_dir(w->tmpfd, e->d_name);
		if (run < 0)
			continue;
		if (remove_run_dir(w->tmpfd, e->d_name, run) == 0)
			diag_info(d, "test: removed %s/%s, left by a vmlaunch test that was killed",
				  w->tmpdir, e->d_name);
		else
			diag_warn(d, NULL, "test: cannot remove %s/%s, left by a vmlaunch test that "
				  "was killed: %s", w->tmpdir, e->d_name, strerror(errno));
		close(run);
	}
	closedir(dir);
}

/*
 * The run's private directory: made owner-only by mkdtemp, checked on its
 * descriptor, and locked (the lock's holder proves the run is alive; it is
 * taken before the lock gets its name, so no one sees it unlocked).
 */
static int run_dir_open(struct run *r, const struct where *w)
{
	struct stat st;
	int fd;

	r->dir = xasprintf("%s/" RUN_PREFIX "XXXXXX", w->tmpdir);
	if (!mkdtemp(r->dir)) {
		free(r->dir);
		r->dir = NULL;
		return -1;
	}
	r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->dirfd < 0) {
		/* Out of descriptors: the new, empty directory has no lock to be cleaned by. */
		int saved = errno;

		unlinkat(w->tmpfd, base_name(r->dir), AT_REMOVEDIR);
		errno = saved;
		return -1;
	}
	if (fstat(r->dirfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		errno = EPERM;
		return -1;
	}
	fd = openat(r->dirfd, "lock.new", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	r->lockfd = fd;
	if (flock(fd, LOCK_EX) < 0 || renameat(r->dirfd, "lock.new", r->dirfd, "lock") < 0)
		return -1;
	return 0;
}

/* A new file in the run's directory; CLOEXEC 0 for a descriptor QEMU inherits. */
static int run_file(const struct run *r, const char *name, int cloexec)
{
	return openat(r->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
		      (cloexec ? O_CLOEXEC : 0), 0600);
}

/* A descriptor for QEMU to inherit; -1 stays -1. */
static int keep_fd(struct run *r, int fd)
{
	if (fd >= 0)
		r->fds[r->nfds++] = fd;
	return fd;
}

/* The snapshot overlays, in the run's directory; -1 with the reason set. */
static int make_overlays(struct run *r, const struct options *o, const struct where *w)
{
	char *at = xasprintf("/proc/self/fd/%d", r->dirfd);
	struct strbuf err = STRBUF_INIT;
	const char *why;
	size_t i;

	if (o->restore && savestate_restore_plan(&o->meta, o->restore_fd, o->restore, &r->plan,
						 at, r->fds, &r->nfds, &err) != 0) {
		set_outcome(r, OUT_FAIL, "%s", err.buf);
		sb_release(&err);
		free(at);
		return -1;
	}

	for (i = 0; i < r->plan.ndisks; i++) {
		struct plan_disk *disk = &r->plan.disks[i];
		int fd;

		if (!disk->snapshot || disk->overlay)   /* a restore's copy is made already */
			continue;
		fd = keep_fd(r, overlay_create_for(at, disk->path, disk->size, &why));
		if (fd < 0) {
			set_outcome(r, OUT_FAIL, "snapshot of '%s': %s in %s: %s", disk->path,
				    why, w->tmpdir, strerror(errno));
			free(at);
			return -1;
		}
		plan_set(&disk->overlay, xasprintf("/proc/self/fd/%d", fd));
	}
	free(at);
	return 0;
}

/* The run's directory, console and overlays; -1 with the reason set. */
static int setup(struct run *r, const struct options *o, const struct where *w, int *qemu_log,
		 int want_log)
{
	struct vm_plan *p = &r->plan;
	int serial_log;

	if (run_dir_open(r, w) < 0) {
		set_outcome(r, OUT_FAIL, "cannot create its directory in %s: %s", w->tmpdir,
			    strerror(errno));
		return -1;
	}
	*qemu_log = run_file(r, "qemu.log", 1);
	/* The console's log, only for --transcript: a chatty guest fills no disk otherwise. */
	serial_log = *qemu_log < 0 || !want_log ? -1 : keep_fd(r, run_file(r, "serial.sock.log", 0));
	if (*qemu_log < 0 || (want_log && serial_log < 0)) {
		set_outcome(r, OUT_FAIL, "cannot create its logs in %s: %s", r->dir, strerror(errno));
		return -1;
	}
	p->serial = SERIAL_SOCKET;
	plan_set(&p->serial_path, xasprintf("%s/serial.sock", r->dir));
	/* QEMU writes the boot log into the file made here, through /proc. */
	plan_set(&p->serial_log, serial_log >= 0 ? xasprintf("/proc/self/fd/%d", serial_log) : NULL);
	p->serial_wait = 1;
	plan_set(&p->qmp_path, xasprintf("%s/qmp.sock", r->dir));
	p->no_reboot = 1;
	return make_overlays(r, o, w);
}

/* Non-blocking: a guest that stops reading its input cannot stop the loop. */
static void try_connect(struct run *r)
{
	int fd = usock_connect(r->plan.serial_path, USOCK_NONBLOCK);

	if (fd >= 0)
		r->fd = fd;
}


/* Type what is queued, as far as the console takes it now. */
static void flush_console(struct run *r)
{
	while (r->outq.len && r->fd >= 0) {
		ssize_t w = send(r->fd, r->outq.buf, r->outq.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w < 0 && errno != EAGAIN)
				sb_release(&r->outq);   /* the VM is going away */
			return;
		}
		memmove(r->outq.buf, r->outq.buf + w, r->outq.len - (size_t)w + 1);
		r->outq.len -= (size_t)w;
	}
}

/* conscan's send: queue the bytes for the console. */
static void send_bytes(void *ctx, const char *p, size_t n)
{
	struct run *r = ctx;

	sb_add(&r->outq, p, n);
	flush_console(r);
}

/*
 * --restore: once QEMU has loaded the state (what the UART receives before
 * is overwritten by the saved UART), a newline, so the guest's shell
 * prints a prompt and the steps start.
 */
static void kick_restored(struct run *r)
{
	struct strbuf why = STRBUF_INIT;
	char state[32];
	struct qmp q;

	if (qmp_run_state(r->plan.qmp_path, state, sizeof(state), 200) < 0 ||
	    strcmp(state, "inmigrate") == 0)
		return;
	/* Saved while paused: a restore continues the guest (a test has no one else to). */
	if (strcmp(state, "paused") == 0) {
		if (qmp_open(&q, r->plan.qmp_path, 200, &why) != QMP_OK)
			goto out;
		if (qmp_execute(&q, "cont", NULL, NULL, &why, 1000) != QMP_OK) {
			qmp_close(&q);
			goto out;
		}
		qmp_close(&q);
	}
	r->kick = 0;
	send_bytes(r, "\n", 1);
out:
	sb_release(&why);
}

static int start(struct run *r, const struct options *o, const struct where *w)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	int qemu_log = -1, rc = -1;
	size_t i;

	r->start = now_seconds();   /* also for the report of a failed start */
	r->next_disk_check = r->start + 1;
	conscan_init(&r->scan, &o->rules, send_bytes, r);
	r->kick = o->restore != NULL;
	if (setup(r, o, w, &qemu_log, o->transcript != NULL) < 0) {
		r->setup_failed = 1;
		goto out;
	}
	if (qemu_cmd_build(&r->plan, &cmd) < 0) {
		set_outcome(r, OUT_FAIL, "internal error: cannot build the QEMU command line: %s",
			    cmd.error);
		r->setup_failed = 1;
	} else if ((rc = child_spawn(&r->qemu, cmd.argv.v, qemu_log)) < 0) {
		set_outcome(r, OUT_FAIL, "cannot start QEMU '%s': %s", cmd.argv.v[0],
			    strerror(errno));
		r->setup_failed = 1;
	}
	qemu_cmd_free(&cmd);
out:
	/* QEMU has its own copies; an overlay goes when QEMU exits. */
	for (i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	r->nfds = 0;
	if (qemu_log >= 0)
		close(qemu_log);
	r->running = rc == 0;
	return rc;
}


static void read_console(struct run *r)
{
	char buf[16384];
	ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		conscan_feed(&r->scan, buf, (size_t)n);
		if (r->scan.result == SCAN_PASS)
			set_outcome(r, OUT_PASS, NULL);
		else if (r->scan.result == SCAN_FAIL)
			set_outcome(r, OUT_FAIL, "%s", r->scan.reason);
	} else {
		close(r->fd);
		r->fd = -2;   /* closed: QEMU is going away */
	}
}

/* QEMU exited: what it wrote before is still in the socket; read it all first. */
static void drain_console(struct run *r)
{
	int i;

	for (i = 0; r->fd >= 0 && r->outcome == OUT_NONE && i < 4096; i++) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };

		if (poll(&pfd, 1, 0) <= 0)
			break;
		read_console(r);
	}
}

/* QEMU's last message (not its "waiting for connection" info), printable. */
static void qemu_message(const struct run *r, struct strbuf *out)
{
	char buf[4096];
	int fd = openat(r->dirfd, "qemu.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	off_t size;
	ssize_t n;

	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = size < 0 ? -1 : pread(fd, buf, sizeof(buf), size > 4096 ? size - 4096 : 0);
	close(fd);
	if (n > 0)
		conscan_last_message(out, buf, (size_t)n);
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void qemu_exited(struct run *r)
{
	struct strbuf msg = STRBUF_INIT;
	int st = r->qemu.status;

	qemu_message(r, &msg);
	/* QEMU waits for our connection before it checks most of its options. */
	if (r->scan.step == 0 && r->scan.bytes == 0)
		set_outcome(r, OUT_FAIL, "QEMU exited at start (status %d)%s%s", status_of(st),
			    msg.len ? ": " : "", msg.len ? msg.buf : "");
	else if (r->cfg.debug_exit && WIFEXITED(st) && (WEXITSTATUS(st) & 1) && !msg.len)
		set_outcome(r, OUT_FAIL, "the guest ended the VM through isa-debug-exit with "
			    "status %d before the test was done", WEXITSTATUS(st) >> 1);
	else
		set_outcome(r, OUT_FAIL, "the VM stopped (QEMU exited with status %d) before "
			    "the test was done%s%s", status_of(st), msg.len ? ": " : "",
			    msg.len ? msg.buf : "");
	sb_release(&msg);
}

/* Free bytes where the run's overlay and logs are, or -1. */
static long long disk_free(const struct run *r)
{
	struct statvfs vs;

	if (fstatvfs(r->dirfd, &vs) < 0)
		return -1;
	return (long long)vs.f_bavail * (long long)vs.f_frsize;
}

/*
 * QEMU pauses a VM whose disk write fails with ENOSPC: when TMPDIR is
 * (nearly) full, ask QEMU, and say so instead of waiting for the timeout.
 */
static void check_disk(struct run *r, const struct where *w, double now)
{
	char status[256];
	long long left;

	r->next_disk_check = now + 1;
	left = disk_free(r);
	if (left < 0 || left >= DISK_LOW_BYTES)
		return;
	if (qmp_run_state(r->plan.qmp_path, status, sizeof(status), 500) == 0 &&
	    strcmp(status, "io-error") == 0)
		set_outcome(r, OUT_FAIL, "QEMU paused the VM on a disk write error: the file "
			    "system of TMPDIR (%s) is full (%lld KiB free); free space there or "
			    "set TMPDIR to another directory", w->tmpdir, left / 1024);
}

static void timed_out(struct run *r, const struct options *o, const struct where *w)
{
	long long left = disk_free(r);
	size_t step = r->scan.step < o->nsteps ? r->scan.step : 0;
	struct strbuf what = STRBUF_INIT;

	/* The step waited for is an --expect (a --send does not wait). */
	while (step + 1 < o->nsteps && o->steps[step].kind == SCAN_SEND)
		step++;
	conscan_sanitize(&what, o->steps[step].text, strlen(o->steps[step].text) > 200 ? 200 :
			 strlen(o->steps[step].text));
	/* --restore's first step waits for any line: "no ''" would say nothing. */
	set_outcome(r, OUT_TIMEOUT, "%s%s%s on the console within %u s%s%s%s",
		    what.len ? "no '" : "nothing", what.len ? what.buf : "", what.len ? "'" : "",
		    o->timeout, left >= 0 && left < DISK_LOW_BYTES ?
		    "; the file system of TMPDIR (" : "",
		    left >= 0 && left < DISK_LOW_BYTES ? w->tmpdir : "",
		    left >= 0 && left < DISK_LOW_BYTES ? ") is full" : "");
	sb_release(&what);
}

/* ---- reporting ---- */

static void report(struct run *r, struct smoke_result *res, int text)
{
	static const char *const words[] = { "?", "PASS", "FAIL", "TIMEOUT" };
	char *tail = conscan_tail(&r->scan);
	struct strbuf config = STRBUF_INIT;

	if (!text)
		goto result;
	conscan_sanitize(&config, r->config, strlen(r->config));
	printf("%-7s %s (%.1f s)%s%s\n", words[r->outcome], config.buf ? config.buf : "",
	       r->seconds, r->reason ? ": " : "", r->reason ? r->reason : "");
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
	sb_release(&config);
result:
	res->config = r->config;
	res->outcome = r->outcome == OUT_PASS ? "pass" :
		       r->outcome == OUT_TIMEOUT ? "timeout" : "fail";
	res->reason = r->reason;
	res->console_tail = tail;
	res->seconds = r->seconds;
}

/*
 * Write to an output opened without blocking (a FIFO's reader may stall):
 * wait a second for room, then give up on what is left.
 */
static int write_out(int fd, const char *p, size_t n)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EAGAIN && poll(&pfd, 1, 1000) > 0) {
			continue;
		} else if (!(w < 0 && errno == EINTR)) {
			return -1;
		}
	}
	return 0;
}

/* The run's console, as QEMU logged it, appended to --transcript. */
static void append_transcript(struct options *o, const struct run *r, int header)
{
	char buf[65536];
	int in = -1, last = '\n', bad = 0;
	ssize_t n;

	if (o->transcript_fd < 0 || o->transcript_lost)
		return;
	if (header) {
		char *h = xasprintf("==> %s <==\n", r->config);

		bad |= write_out(o->transcript_fd, h, strlen(h));
		free(h);
	}
	if (r->dirfd >= 0)
		in = openat(r->dirfd, "serial.sock.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	while (!bad && in >= 0 && ((n = read(in, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))) {
		if (n <= 0)
			continue;
		bad |= write_out(o->transcript_fd, buf, (size_t)n);
		last = buf[n - 1];
	}
	if (in >= 0)
		close(in);
	if (!bad && last != '\n')
		bad |= write_out(o->transcript_fd, "\n", 1);   /* the next header on a line of its own */
	if (bad) {
		o->transcript_lost = 1;
		fprintf(stderr, "vmlaunch: test: cannot write the transcript %s: %s; the rest "
			"of it is lost\n", o->transcript, errno == EAGAIN ?
			"nobody reads it" : strerror(errno));
	}
}

static void finish(struct run *r, struct options *o, const struct where *w,
		   struct smoke_result *res, int nruns)
{
	r->seconds = now_seconds() - r->start;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -2;
	child_stop(&r->qemu, r->plan.qmp_path, GRACE_MS);
	r->running = 0;
	report(r, res, !o->json);
	append_transcript(o, r, nruns > 1);
	run_dir_close(r, w);
}

/* ---- the loop ---- */

/* One run after poll: connect, read, notice QEMU's exit, a full disk or the deadline. */
static int service(struct run *r, short revents, double now, const struct options *o,
		   const struct where *w)
{
	if (r->fd == -1)
		try_connect(r);
	if (r->fd >= 0 && r->kick)
		kick_restored(r);
	if (r->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
		read_console(r);
	if (r->fd >= 0 && (revents & POLLOUT))
		flush_console(r);
	if (r->outcome == OUT_NONE && child_poll(&r->qemu)) {
		drain_console(r);
		if (r->outcome == OUT_NONE)
			qemu_exited(r);
	}
	if (r->outcome == OUT_NONE && now >= r->next_disk_check)
		check_disk(r, w, now);
	if (r->outcome == OUT_NONE && now - r->start >= o->timeout)
		timed_out(r, o, w);
	return r->outcome != OUT_NONE;
}

/* Signals that arrived; SIGCHLD only wakes the loop.  Returns the last other one. */
static int pending_signal(int sigfd, int sig)
{
	int s;

	while ((s = signals_read(sigfd)) != 0)
		if (s != SIGCHLD)
			sig = s;
	return sig;
}

struct jobs {
	struct run **active;      /* the running jobs, at most o->jobs */
	size_t n;
	struct pollfd *pfd;       /* pfd[0] the signalfd, then one per active job */
};

/* Fill the poll set with the running jobs only; returns the poll timeout (ms). */
static int poll_setup(struct jobs *j, int sigfd)
{
	size_t i;
	int timeout = 250;

	j->pfd[0].fd = sigfd;
	j->pfd[0].events = POLLIN;
	for (i = 0; i < j->n; i++) {
		const struct run *r = j->active[i];

		j->pfd[i + 1].fd = r->fd >= 0 ? r->fd : -1;
		j->pfd[i + 1].events = r->outq.len ? POLLIN | POLLOUT : POLLIN;
		j->pfd[i + 1].revents = 0;
		if (r->fd == -1 || r->kick)
			timeout = 20;   /* waiting for QEMU's socket, or its restore */
	}
	return timeout;
}

/* Stop every running job at once (the grace periods overlap), then report each. */
static void stop_all(struct jobs *j, struct options *o, const struct where *w,
		     struct run *runs, struct smoke_result *results, int nruns, int sig)
{
	struct child **cs = xcalloc(j->n + 1, sizeof(*cs));
	const char **mons = xcalloc(j->n + 1, sizeof(*mons));
	size_t i;

	for (i = 0; i < j->n; i++) {
		cs[i] = &j->active[i]->qemu;
		mons[i] = j->active[i]->plan.qmp_path;
	}
	children_stop(cs, mons, j->n, GRACE_MS);
	for (i = 0; i < j->n; i++) {
		struct run *r = j->active[i];

		/* Cut short: a failed result with the console so far, not a missing one. */
		if (sig)
			set_outcome(r, OUT_FAIL, "stopped by signal %d before the test was done", sig);
		else
			set_outcome(r, OUT_FAIL, "stopped before the test was done: poll failed");
		finish(r, o, w, &results[r - runs], nruns);
	}
	j->n = 0;
	free(cs);
	free(mons);
}

/* Start jobs up to -j; a run that cannot start is reported at once. */
static int fill_jobs(struct jobs *j, struct run *runs, int nruns, int *next, int *done,
		     struct options *o, const struct where *w, struct smoke_result *results,
		     int sigfd)
{
	int sig = 0;

	while (j->n < o->jobs && *next < nruns && !(sig = pending_signal(sigfd, 0))) {
		struct run *r = &runs[(*next)++];

		if (start(r, o, w) == 0) {
			j->active[j->n++] = r;
			continue;
		}
		finish(r, o, w, &results[r - runs], nruns);
		(*done)++;
	}
	return sig;
}

static int loop(struct run *runs, int nruns, struct options *o, const struct where *w,
		struct smoke_result *results, int sigfd, struct diag *d)
{
	struct jobs j;
	int next = 0, done = 0, sig = 0, poll_failed = 0;
	size_t i;

	j.active = xcalloc(o->jobs, sizeof(*j.active));
	j.pfd = xcalloc((size_t)o->jobs + 1, sizeof(*j.pfd));
	j.n = 0;
	while (done < nruns && !sig) {
		sig = fill_jobs(&j, runs, nruns, &next, &done, o, w, results, sigfd);
		if (sig || done == nruns)
			break;
		if (poll(j.pfd, (nfds_t)j.n + 1, poll_setup(&j, sigfd)) < 0 && errno != EINTR) {
			diag_error(d, NULL, EXIT_OSERR, "test: poll: %s", strerror(errno));
			poll_failed = 1;
			break;
		}
		if (j.pfd[0].revents & POLLIN)
			sig = pending_signal(sigfd, 0);
		for (i = 0; i < j.n && !sig; i++) {
			struct run *r = j.active[i];

			if (!service(r, j.pfd[i + 1].revents, now_seconds(), o, w))
				continue;
			finish(r, o, w, &results[r - runs], nruns);
			done++;
			/* Keep the poll set in step: the last job takes this place. */
			j.active[i] = j.active[--j.n];
			j.pfd[i + 1] = j.pfd[j.n + 1];
			i--;
		}
	}
	if (j.n)
		stop_all(&j, o, w, runs, results, nruns, sig);
	free(j.active);
	free(j.pfd);
	if (poll_failed)
		return EXIT_OSERR;
	if (sig) {
		fprintf(d->out, "vmlaunch: test: stopped by signal %d; no VM is left running\n", sig);
		return 128 + sig;
	}
	return 0;
}

/* ---- the command ---- */

static int open_tmpdir(struct where *w, struct diag *d)
{
	const char *t = getenv("TMPDIR");

	w->tmpdir = t && *t ? t : "/tmp";
	w->tmpfd = open(w->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->tmpfd < 0) {
		diag_error(d, NULL, EXIT_OSERR, "test: cannot use TMPDIR '%s': %s", w->tmpdir,
			   strerror(errno));
		return -1;
	}
	return 0;
}

/* Every config is read and validated before anything is created. */
static int prepare_all(struct run *runs, const struct options *o, const char *cwd,
		       const struct where *w, const struct host_env *env, struct diag *d)
{
	int i, status = 0;

	for (i = 0; i < o->nconfigs; i++) {
		int one;

		runs[i].config = o->configs[i];
		d->errors = 0;
		one = prepare(&runs[i], o, cwd, w, env, d);
		if (one && !status)
			status = one;
	}
	return status;
}

/*
 * --transcript and --junit, opened (and truncated) before any signal is
 * blocked and without blocking: a FIFO nobody reads is an error now, not
 * a hang later.
 */
static int open_output(const char *path, int *fd, struct diag *d)
{
	if (!path)
		return 0;
	struct stat st;

	/* Never through a symlink, never into another user's file, nor a linked one. */
	*fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0666);
	if (*fd < 0) {
		diag_error(d, NULL, EXIT_OSERR, "test: cannot write %s: %s", path,
			   errno == ENXIO ? "it is a FIFO that nobody reads" :
			   errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(*fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_uid != geteuid() || st.st_nlink != 1)) {
		diag_error(d, NULL, EXIT_OSERR, "test: will not write %s: it %s", path,
			   st.st_uid != geteuid() ? "belongs to another user" :
			   "has another name (a hard link)");
		close(*fd);
		*fd = -1;
		return -1;
	}
	if (S_ISREG(st.st_mode) && ftruncate(*fd, 0) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "test: cannot empty %s: %s", path, strerror(errno));
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

static void write_junit(struct options *o, const struct smoke_result *results, struct diag *d)
{
	char *xml = NULL;
	size_t len = 0;
	FILE *f;

	if (o->junit_fd < 0)
		return;
	f = open_memstream(&xml, &len);
	if (!f || junit_write_file(f, results, o->nconfigs) < 0 ||
	    write_out(o->junit_fd, xml, len) < 0)
		diag_error(d, NULL, EXIT_OSERR, "test: cannot write %s: %s", o->junit,
			   errno == EAGAIN ? "nobody reads it" : strerror(errno));
	free(xml);
	close(o->junit_fd);
	o->junit_fd = -1;
}

/* --json: one object per config that ran (vmlaunch(1), SMOKE TESTS). */
static void write_json(const struct smoke_result *results, int n)
{
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	int i;

	jw_init(&w, &out);
	jw_begin_array(&w);
	for (i = 0; i < n; i++) {
		const struct smoke_result *r = &results[i];

		if (!r->config)
			continue;
		jw_begin_object(&w);
		jw_key(&w, "config");
		jw_string(&w, r->config);
		jw_key(&w, "outcome");
		jw_string(&w, r->outcome);
		jw_key(&w, "seconds");
		/* milliseconds are enough; 0.203839429999789 is noise */
		jw_number(&w, (double)(long long)(r->seconds * 1000 + 0.5) / 1000);
		jw_key(&w, "reason");
		if (r->reason)
			jw_string(&w, r->reason);
		else
			jw_null(&w);
		jw_key(&w, "console_tail");
		jw_string(&w, r->console_tail ? r->console_tail : "");
		jw_end_object(&w);
	}
	jw_end_array(&w);
	printf("%s\n", out.buf ? out.buf : "[]");
	fflush(stdout);
	sb_release(&out);
}

/* 71 when a run could not be set up, else 1 for a failure, 124 for a timeout. */
static int final_status(const struct run *runs, int n, struct diag *d)
{
	int i, failed = 0, timed_out_runs = 0, setup = 0;

	for (i = 0; i < n; i++) {
		setup += runs[i].setup_failed;
		failed += runs[i].outcome == OUT_FAIL;
		timed_out_runs += runs[i].outcome == OUT_TIMEOUT;
	}
	return setup ? EXIT_OSERR : failed ? 1 : timed_out_runs ? 124 : d->status;
}

/* --restore: the state file read; without CONFIG, its config and -o. */
static int restore_options(struct options *o, const char *cwd, struct diag *d)
{
	struct strvec ov = STRVEC_INIT;
	const char *config;
	o->restore_fd = savestate_open(o->restore, &o->meta, d);
	if (o->restore_fd < 0)
		return d->status;
	if (o->nconfigs)
		return 0;
	savestate_config(&o->meta, NULL, &o->overrides, cwd, &config, &ov, &o->cwds);
	strvec_clear(&o->overrides);
	o->overrides = ov;
	o->configs[o->nconfigs++] = o->meta.config;
	return 0;
}

int smoke_main(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d)
{
	struct smoke_result *results = NULL;
	struct run *runs = NULL;
	struct where w = { NULL, -1 };
	struct options o;
	int status, i, sigfd = -1;

	status = parse_options(argc, argv, &o, d);
	if (status == 0 && o.restore)
		status = restore_options(&o, cwd, d);
	if (status == 0)
		status = compile_patterns(&o, d);
	if (status || open_tmpdir(&w, d) < 0) {
		status = status ? status : d->status;
		goto out;
	}
	runs = xcalloc((size_t)o.nconfigs, sizeof(*runs));
	results = xcalloc((size_t)o.nconfigs, sizeof(*results));
	status = prepare_all(runs, &o, cwd, &w, env, d);
	if (!status && (open_output(o.transcript, &o.transcript_fd, d) < 0 ||
			open_output(o.junit, &o.junit_fd, d) < 0))
		status = d->status;
	if (status)
		goto out;   /* nothing was created or started */
	/* A guest that hangs up, or a closed stdout, is an error to report, not a death. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);    /* a file over RLIMIT_FSIZE: EFBIG, reported */
	/* From here a signal is an event for the loop, not a death that leaves run dirs. */
	sigfd = signals_open();
	if (sigfd < 0) {
		diag_error(d, NULL, EXIT_OSERR, "test: signalfd: %s", strerror(errno));
		status = EXIT_OSERR;
		goto out;
	}
	clean_stale_runs(&w, d);
	status = loop(runs, o.nconfigs, &o, &w, results, sigfd, d);
	write_junit(&o, results, d);
	if (o.json)
		write_json(results, o.nconfigs);
	if (!status) {
		/* A signal during the last run's stop or the report still counts. */
		int sig = pending_signal(sigfd, 0);

		if (sig) {
			fprintf(d->out, "vmlaunch: test: stopped by signal %d\n", sig);
			status = 128 + sig;
		}
	}
	if (!status)
		status = final_status(runs, o.nconfigs, d);
out:
	for (i = 0; runs && i < o.nconfigs; i++) {
		run_dir_close(&runs[i], &w);
		free(runs[i].dir);
		free(runs[i].reason);
		sb_release(&runs[i].outq);
		plan_free(&runs[i].plan);
		config_free(&runs[i].cfg);
		free(results[i].console_tail);
	}
	if (sigfd >= 0)
		close(sigfd);
	if (w.tmpfd >= 0)
		close(w.tmpfd);
	if (o.transcript_fd >= 0)
		close(o.transcript_fd);
	if (o.junit_fd >= 0)
		close(o.junit_fd);
	free(runs);
	free(results);
	free_options(&o);
	return status;
}
