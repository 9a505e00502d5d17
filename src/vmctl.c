#include "vmctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "conscan.h"
#include "exitcodes.h"
#include "json.h"
#include "launch.h"
#include "plan.h"
#include "prepare.h"
#include "qemu_argv.h"
#include "qmp.h"
#include "savestate.h"
#include "sha256.h"
#include "spawn.h"
#include "strbuf.h"
#include "supervise.h"
#include "usock.h"
#include "validate.h"
#include "vmstate.h"
#include "xalloc.h"

#define DEFAULT_READY "vmlaunch: boot ok"
#define UP_TIMEOUT_MS 20000        /* QEMU answers on QMP within this after it started */
#define QMP_TIMEOUT_MS 3000

/* ---- small helpers ---- */

static int usage_error(struct diag *d, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(struct diag *d, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(d->out, "vmlaunch: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vmlaunch --help'.\n", d->out);
	return EXIT_USAGE;
}

static int parse_seconds(const char *v, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n < 1 || n > 86400)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The runtime directory, or a status after reporting; 1 (no VMs) when it is not there. */
static int open_root(struct vmroot *root, int create, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	int r = vmroot_open(root, create, &why);

	if (r < 0) {
		diag_error(d, NULL, EXIT_OSERR, "%s", why.buf);
		sb_release(&why);
		vmroot_close(root);
		return -1;
	}
	if (r > 0)
		vmroot_close(root);
	return r;
}

/* The started VM NAME: 0, or the exit status after reporting (68: none). */
static int find_vm(struct vmroot *root, const char *cmd, const char *name, struct vmdir *vm,
		   struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	int r;

	if (!vmstate_name_ok(name)) {
		usage_error(d, cmd, "'%s' is not a VM name (letters, digits, '_', '-' and '.', "
			    "not starting with '.' or '-')", name);
		return EXIT_USAGE;
	}
	r = open_root(root, 0, d);
	if (r < 0)
		return EXIT_OSERR;
	if (r == 0)
		r = vmdir_open(root, name, vm, &why);
	if (r < 0) {
		diag_error(d, NULL, EXIT_OSERR, "%s", why.buf);
		sb_release(&why);
		return EXIT_OSERR;
	}
	if (r > 0) {
		diag_error(d, NULL, EXIT_NOVM, "%s: no VM named '%s' was started (vmlaunch list "
			   "shows them)", cmd, name);
		return EXIT_NOVM;
	}
	return 0;
}

/* QEMU's pid, if the process with it is still the one the VM started. */
static pid_t qemu_pid(const struct vmdir *vm)
{
	char *text = vmdir_read(vm, "pid");
	unsigned long long start = 0;
	long pid = 0;

	if (text && sscanf(text, "%ld %llu", &pid, &start) == 2 && pid > 0 &&
	    vmstate_proc_start((pid_t)pid) == start && vmdir_alive(vm)) {
		free(text);
		return (pid_t)pid;
	}
	free(text);
	return 0;
}

/* "exited with status N", "killed by signal N", as the supervisor recorded it. */
static char *how_ended(const struct vmdir *vm, int *status)
{
	char *text = vmdir_read(vm, "exit");
	int n = -1;
	char *s;

	*status = -1;
	if (text && sscanf(text, "exit %d", &n) == 1) {
		*status = n;
		s = xasprintf("exited with status %d", n);
	} else if (text && sscanf(text, "signal %d", &n) == 1) {
		*status = 128 + n;
		s = xasprintf("killed by signal %d (%s)", n, strsignal(n));
	} else {
		s = xstrdup("gone (its supervisor was killed, or the machine restarted)");
	}
	free(text);
	return s;
}

/* ---- QMP ---- */

static int qmp_connect(const struct vmdir *vm, struct qmp *q, int timeout_ms)
{
	struct strbuf why = STRBUF_INIT;
	/* Through the directory as opened: a swapped or renamed name is not followed. */
	char *path = xasprintf("/proc/self/fd/%d/qmp.sock", vm->fd);
	int r = qmp_open(q, path, timeout_ms, &why);

	free(path);
	sb_release(&why);
	return r;
}

/* One command without arguments; 0 when QEMU answered with a return. */
static int qmp_simple(const struct vmdir *vm, const char *cmd, struct json **result)
{
	struct strbuf why = STRBUF_INIT;
	struct qmp q;
	int r;

	if (result)
		*result = NULL;
	if (qmp_connect(vm, &q, QMP_TIMEOUT_MS) < 0)
		return -1;
	r = qmp_execute(&q, cmd, NULL, result, &why, QMP_TIMEOUT_MS);
	qmp_close(&q);
	sb_release(&why);
	return r;
}

/* QEMU's run state ("running", "paused", ...), or NULL when QMP does not answer. */
static char *qmp_state(const struct vmdir *vm)
{
	struct json *ret = NULL;
	const char *s;
	char *state = NULL;

	if (qmp_simple(vm, "query-status", &ret) == 0 &&
	    (s = json_str(json_get(ret, "status"))) != NULL)
		state = xstrdup(strcmp(s, "prelaunch") == 0 ? "starting" : s);
	json_free(ret);
	return state;
}

/* Is a client attached to the VM's console (QEMU serves one at a time)? */
static int console_attached(const struct vmdir *vm)
{
	struct json *ret = NULL;
	size_t i;
	int attached = 0;

	if (qmp_simple(vm, "query-chardev", &ret) < 0) {
		json_free(ret);
		return 0;
	}
	for (i = 0; i < json_count(ret); i++) {
		const struct json *c = json_at(ret, i);
		const char *label = json_str(json_get(c, "label"));
		const char *file = json_str(json_get(c, "filename"));

		if (label && file && strcmp(label, "serial0") == 0 &&
		    strncmp(file, "disconnected:", 13) != 0)
			attached = 1;
	}
	json_free(ret);
	return attached;
}

/* ---- start ---- */

struct start_opts {
	struct strvec overrides;
	const char *config;
	const char *restore;       /* --restore FILE */
	int wait;
	unsigned timeout;          /* --wait: seconds for the boot marker */
};

static int start_options(int argc, char **argv, struct start_opts *o, struct diag *d)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->timeout = 60;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--wait") == 0) {
			o->wait = 1;
		} else if (strcmp(a, "--restore") == 0) {
			if (i + 1 >= argc)
				return usage_error(d, "start", "--restore needs a state FILE");
			o->restore = argv[++i];
		} else if (strcmp(a, "--timeout") == 0) {
			if (i + 1 >= argc || parse_seconds(argv[++i], &o->timeout) < 0)
				return usage_error(d, "start", "--timeout needs a number of seconds "
						   "(1 to 86400)");
		} else if (strncmp(a, "-o", 2) == 0 && (a[2] || i + 1 < argc)) {
			strvec_push(&o->overrides, a[2] ? a + 2 : argv[++i]);
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "-v") == 0) {
			*(a[1] == 'q' ? &d->quiet : &d->verbose) = 1;
		} else if (a[0] == '-' && a[1]) {
			return usage_error(d, "start", "unknown option '%s'", a);
		} else if (o->config) {
			return usage_error(d, "start", "one CONFIG at a time ('%s')", a);
		} else {
			o->config = a;
		}
	}
	if (!o->config && !o->restore)
		return usage_error(d, "start", "missing CONFIG");
	return 0;
}

/* The state file: what list and status show, and where the console is. */
static char *state_text(const struct vm_plan *p, const char *config, const char *cwd)
{
	const struct vm_config *cfg = p->cfg;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	char *abs = config[0] == '/' ? xstrdup(config) : xasprintf("%s/%s", cwd, config);

	sb_addf(&sb, "name=%s\nconfig=%s\nmachine=%s\n", cfg->name, abs,
		machine_name(cfg->machine));
	free(abs);
	if (p->serial == SERIAL_SOCKET)
		sb_addf(&sb, "console=%s\nlog=%s.log\n", p->serial_path, p->serial_path);
	for (i = 0; cfg->net == NET_VIRTIO || cfg->net == NET_E1000 ? i < cfg->nforwards : 0; i++)
		sb_addf(&sb, "forward=%s:%s:%u-%u\n", forward_proto_name(cfg->forwards[i].proto),
			cfg->forwards[i].host_addr, cfg->forwards[i].host_port,
			cfg->forwards[i].guest_port);
	if (cfg->gdb_addr)
		sb_addf(&sb, "gdb=%s:%u\n", cfg->gdb_addr, cfg->gdb_port);
	for (i = 0; i < p->ndisks; i++)
		sb_addf(&sb, "disk=%s\n", p->disks[i].path);
	for (i = 0; i < p->nshares; i++)
		sb_addf(&sb, "share=%s\n", p->shares[i].path);
	return sb_detach(&sb);
}

/*
 * The console and the control socket of a started VM live in its
 * directory; a config's own serial socket stays where the config says
 * (the lab's serial.socket), with its boot log beside it.
 */
static int start_plan(struct vm_plan *p, const struct vmdir *vm, int *log_fd, struct diag *d)
{
	*log_fd = -1;
	plan_set(&p->qmp_path, xasprintf("%s/qmp.sock", vm->path));
	if (strlen(p->qmp_path) > usock_path_max()) {
		diag_error(d, NULL, EXIT_CONFIG, "start: the runtime directory %s is too long for "
			   "unix sockets: set XDG_RUNTIME_DIR to a shorter one", vm->path);
		return -1;
	}
	if (p->serial == SERIAL_STDIO) {
		/* Nobody's terminal: a socket in the VM's directory instead. */
		p->serial = SERIAL_SOCKET;
		plan_set(&p->serial_path, xasprintf("%s/serial.sock", vm->path));
		*log_fd = vmdir_create_file(vm, "serial.sock.log", 0);
		if (*log_fd < 0) {
			diag_error(d, NULL, EXIT_OSERR, "start: cannot create %s/serial.sock.log: %s",
				   vm->path, strerror(errno));
			return -1;
		}
		plan_set(&p->serial_log, xasprintf("/proc/self/fd/%d", *log_fd));
		return 0;
	}
	return prepare_boot_log(p, d);
}

/*
 * Descriptors the caller left open (a $(...) pipe, a make jobserver): made
 * close-on-exec, so QEMU does not get them, and closed by the supervisor,
 * so `x=$(vmlaunch start ...)` returns.  Their numbers in *FDS.
 */
static size_t inherited_fds(int **fds)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	*fds = NULL;
	if (!dir)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		int fd = atoi(e->d_name);

		if (fd < 3 || fd == dirfd(dir) || e->d_name[0] == '.')
			continue;
		*fds = xrealloc(*fds, (n + 1) * sizeof(**fds));
		(*fds)[n++] = fd;
	}
	closedir(dir);
	for (size_t i = 0; i < n; i++)
		fcntl((*fds)[i], F_SETFD, FD_CLOEXEC);
	return n;
}

struct launch_ctx {
	const int *inherited;
	size_t ninherited;
	int sigfd;
	const int *handoff;     /* QEMU's alone once it runs (a restore's state and copies) */
	size_t nhandoff;
	const char *restore;    /* --restore FILE, for messages */
};

static volatile sig_atomic_t supervised_qemu;

static void forward_signal(int sig)
{
	if (supervised_qemu > 0)
		kill((pid_t)supervised_qemu, sig);
}

/*
 * The supervisor: detached from the terminal and the caller's output, QEMU's
 * parent for as long as QEMU lives, holding the VM's lock (inherited from
 * start); it records how QEMU ended, then exits, which frees the lock.
 */
static void supervise(const struct vmdir *vm, char *const *argv, int qemu_log, int ready,
		      const struct launch_ctx *lc)
{
	struct spawn sp = SPAWN_INIT;
	struct sigaction sa;
	sigset_t none;
	char *line;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), st;
	ssize_t sent;
	size_t i;
	pid_t pid;

	setsid();
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	for (i = 0; i < lc->ninherited; i++)
		close(lc->inherited[i]);
	if (lc->sigfd >= 0)
		close(lc->sigfd);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (chdir("/") < 0)
		_exit(1);
	sp.argv = argv;
	sp.in = SPAWN_DEVNULL;
	sp.out = sp.err = qemu_log;
	sp.new_group = 1;
	sp.death_signal = SIGKILL;   /* QEMU never outlives its supervisor */
	sp.umask_077 = 1;
	if (spawn_start(&sp, &pid) < 0) {
		line = xasprintf("fail %d\n", errno);
		vmdir_write(vm, "exit", "exit 127\n");
		sent = write(ready, line, strlen(line));
		(void)sent;
		_exit(1);
	}
	supervised_qemu = pid;
	/* QEMU has its own: held here, a state file or a disk copy would live as long as the VM. */
	for (i = 0; i < lc->nhandoff; i++)
		close(lc->handoff[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	line = xasprintf("%ld %llu\n", (long)pid, vmstate_proc_start(pid));
	vmdir_write(vm, "pid", line);
	free(line);
	line = xasprintf("ok %ld\n", (long)pid);
	/* If start went away meanwhile, the VM runs on all the same. */
	sent = write(ready, line, strlen(line));
	(void)sent;
	free(line);
	close(ready);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	line = WIFEXITED(st) ? xasprintf("exit %d\n", WEXITSTATUS(st)) :
			       xasprintf("signal %d\n", WTERMSIG(st));
	vmdir_write(vm, "exit", line);
	_exit(0);
}

/* QEMU's last message in the VM's qemu.log, printable, or "". */
static char *qemu_message(const struct vmdir *vm)
{
	char *text = vmdir_read(vm, "qemu.log");
	struct strbuf sb = STRBUF_INIT;

	if (text)
		conscan_last_message(&sb, text, strlen(text));
	free(text);
	return sb_detach(&sb);
}

/*
 * Until QEMU answers on QMP: 0; -1 after reporting why it did not (it
 * exited, a signal).  RESTORE: the state file it was given, or NULL.
 */
static int wait_up(struct vmdir *vm, int sigfd, const char *restore, struct diag *d)
{
	int waited = 0, sig;

	for (;;) {
		struct qmp q;

		if (sigfd >= 0 && (sig = signals_read(sigfd)) != 0 && sig != SIGCHLD) {
			diag_error(d, NULL, 128 + sig, "start: stopped by signal %d; the VM was stopped",
				   sig);
			return -1;
		}
		if (!vmdir_alive(vm)) {
			int status;
			char *how = how_ended(vm, &status), *msg = qemu_message(vm);

			if (restore)
				diag_error(d, NULL, EXIT_UNAVAILABLE, "start: QEMU could not restore "
					   "%s: it %s at once%s%s", restore, how, *msg ? ": " : "", msg);
			else
				diag_error(d, NULL, EXIT_UNAVAILABLE, "start: QEMU %s at once%s%s",
					   how, *msg ? ": " : "", msg);
			free(how);
			free(msg);
			return -1;
		}
		if (qmp_connect(vm, &q, 500) == 0) {
			qmp_close(&q);
			return 0;
		}
		if (waited >= UP_TIMEOUT_MS) {
			diag_error(d, NULL, EXIT_UNAVAILABLE, "start: QEMU did not answer on %s/qmp.sock "
				   "within %d s", vm->path, UP_TIMEOUT_MS / 1000);
			return -1;
		}
		sleep_ms(50);
		waited += 50;
	}
}

/* Stop a VM for good: QMP quit, then the verified QEMU pid; until its supervisor is gone. */
static void kill_vm(struct vmdir *vm)
{
	pid_t pid = qemu_pid(vm);
	int i;

	qmp_simple(vm, "quit", NULL);
	for (i = 0; i < 100 && vmdir_alive(vm); i++) {
		if (i == 40 && pid && qemu_pid(vm) == pid)
			kill(pid, SIGTERM);
		if (i == 70 && pid && qemu_pid(vm) == pid)
			kill(pid, SIGKILL);
		sleep_ms(50);
	}
}

/*
 * start --wait: until the boot log shows the boot marker.  0; 124 at the
 * timeout; 128+N on a signal; 69 when QEMU ended first.
 */
static int wait_ready(struct vmdir *vm, const char *log, unsigned timeout, int sigfd,
		      struct diag *d)
{
	double until = now_seconds() + timeout;
	struct strbuf seen = STRBUF_INIT;
	char buf[4096];
	int fd = -1, status = -1;

	while (status < 0) {
		ssize_t n;
		int sig;

		if (fd < 0)
			fd = open(log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
			sb_add(&seen, buf, (size_t)n);
			if (memmem(seen.buf, seen.len, DEFAULT_READY, strlen(DEFAULT_READY)))
				status = 0;
			if (seen.len > 8192) {          /* keep a window for a split marker */
				memmove(seen.buf, seen.buf + seen.len - 64, 64);
				seen.len = 64;
				seen.buf[64] = '\0';
			}
		}
		if (status >= 0)
			break;
		if (sigfd >= 0 && (sig = signals_read(sigfd)) != 0 && sig != SIGCHLD) {
			diag_error(d, NULL, 128 + sig, "start: stopped by signal %d; the VM was "
				   "stopped", sig);
			status = 128 + sig;
		} else if (!vmdir_alive(vm)) {
			int st;
			char *how = how_ended(vm, &st);

			diag_error(d, NULL, EXIT_UNAVAILABLE, "start: the VM %s before it booted", how);
			free(how);
			status = EXIT_UNAVAILABLE;
		} else if (now_seconds() >= until) {
			diag_error(d, NULL, EXIT_TIMEOUT, "start: no '%s' in %s within %u s; the VM "
				   "was stopped", DEFAULT_READY, log, timeout);
			status = EXIT_TIMEOUT;
		} else {
			sleep_ms(50);
		}
	}
	if (fd >= 0)
		close(fd);
	sb_release(&seen);
	return status;
}

/*
 * start --restore: until QEMU has read the whole migration stream (its run
 * state leaves "inmigrate").  0; 124 at the timeout; 128+N on a signal;
 * 69 when QEMU ended (a stream it could not load).
 */
static int wait_restored(struct vmdir *vm, const char *file, unsigned timeout, int sigfd,
			 struct diag *d)
{
	double until = now_seconds() + timeout;
	int sig;

	for (;;) {
		char *state;

		if (sigfd >= 0 && (sig = signals_read(sigfd)) != 0 && sig != SIGCHLD) {
			diag_error(d, NULL, 128 + sig, "start: stopped by signal %d; the VM was "
				   "stopped", sig);
			return 128 + sig;
		}
		if (!vmdir_alive(vm)) {
			int st;
			char *how = how_ended(vm, &st), *msg = qemu_message(vm);

			diag_error(d, NULL, EXIT_UNAVAILABLE, "start: QEMU could not restore %s: it "
				   "%s%s%s", file, how, *msg ? ": " : "", msg);
			free(how);
			free(msg);
			return EXIT_UNAVAILABLE;
		}
		state = qmp_state(vm);
		/* Saved while paused: a restore continues the guest all the same. */
		if (state && strcmp(state, "paused") == 0 && qmp_simple(vm, "cont", NULL) < 0) {
			diag_error(d, NULL, EXIT_UNAVAILABLE, "start: QEMU restored %s but does not "
				   "continue it (cont failed); the VM was stopped", file);
			free(state);
			return EXIT_UNAVAILABLE;
		}
		if (state && strcmp(state, "inmigrate") != 0) {
			free(state);
			return 0;
		}
		free(state);
		if (now_seconds() >= until) {
			diag_error(d, NULL, EXIT_TIMEOUT, "start: QEMU did not finish reading %s "
				   "within %u s; the VM was stopped", file, timeout);
			return EXIT_TIMEOUT;
		}
		sleep_ms(20);
	}
}

static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

/* Fork the supervisor and wait until QEMU is up; the status to exit with. */
static int launch(struct vmroot *root, struct vmdir *vm, char *const *argv, int qemu_log,
		  const struct launch_ctx *lc, struct diag *d)
{
	char answer[64] = "";
	int ready[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "start: pipe: %s", strerror(errno));
		return EXIT_OSERR;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		diag_error(d, NULL, EXIT_OSERR, "start: fork: %s", strerror(errno));
		close(ready[0]);
		close(ready[1]);
		return EXIT_OSERR;
	}
	if (pid == 0) {
		close(ready[0]);
		supervise(vm, argv, qemu_log, ready[1], lc);
	}
	close(ready[1]);
	/* The supervisor holds the lock now; ours goes. */
	close(vm->lock);
	vm->lock = -1;
	while ((n = read(ready[0], answer, sizeof(answer) - 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	answer[n > 0 ? n : 0] = '\0';
	/* The supervisor is not ours to wait for: it runs on as the VM's. */
	if (strncmp(answer, "ok ", 3) != 0) {
		int err = atoi(answer + 5);

		int i;

		diag_error(d, NULL, err == ENOENT ? EXIT_UNAVAILABLE : EXIT_OSERR,
			   "start: cannot run QEMU '%s': %s", argv[0], n > 0 ? strerror(err) :
			   "its supervisor died");
		for (i = 0; i < 250 && vmdir_alive(vm); i++)
			sleep_ms(20);     /* until the supervisor has gone */
		vmdir_remove(root, vm);
		return d->status;
	}
	if (wait_up(vm, lc->sigfd, lc->restore, d) < 0) {
		kill_vm(vm);
		vmdir_remove(root, vm);
		return d->status;
	}
	return 0;
}

/* Everything one start holds, freed by start_free. */
struct start_job {
	struct start_opts o;
	struct vm_config cfg;
	struct vm_plan plan;
	struct savestate_meta meta;
	struct strvec restore_ov, cwds;     /* the -o a restore loads; each -o's directory */
	const struct strvec *ov;            /* the -o loaded */
	struct qemu_cmd cmd;
	struct vmroot root;
	struct vmdir vm;
	struct launch_ctx lc;
	int handoff[SAVESTATE_DISKS_MAX + 2];
	int *inherited, state_fd, qemu_log, log_fd;
	char *state, *record, *abs;
};

/* The config loaded, validated and (--restore) checked against the state: 0 or the status. */
static int start_load(struct start_job *j, const char *cwd, const struct host_env *env,
		      struct diag *d)
{
	struct start_opts *o = &j->o;
	size_t i;

	j->ov = &o->overrides;
	j->lc.restore = o->restore;
	if (o->restore) {
		if ((j->state_fd = savestate_open(o->restore, &j->meta, d)) < 0)
			return d->status;
		j->handoff[j->lc.nhandoff++] = j->state_fd;
		savestate_config(&j->meta, o->config, &o->overrides, cwd, &o->config,
				 &j->restore_ov, &j->cwds);
		j->ov = &j->restore_ov;
	} else {
		for (i = 0; i < j->ov->n; i++)
			strvec_push(&j->cwds, cwd);
	}
	if (config_load_in(&j->cfg, o->config, j->ov, &j->cwds, cwd, d) ||
	    config_validate(&j->cfg, VALIDATE_STRICT, env, d, &j->plan) ||
	    (o->restore && savestate_check(&j->meta, o->restore, &j->plan, d) < 0))
		return d->status;
	j->abs = o->config[0] == '/' ? xstrdup(o->config) : xasprintf("%s/%s", cwd, o->config);
	return 0;
}

/* The VM's directory, made and locked: 0, or the status (no directory of ours). */
static int start_dir(struct start_job *j, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	int r;

	/* From here a signal is an event: a VM half started is stopped, not left. */
	j->lc.sigfd = signals_open();
	if (j->lc.sigfd < 0 || open_root(&j->root, 1, d) < 0) {
		if (j->lc.sigfd < 0)
			diag_error(d, NULL, EXIT_OSERR, "start: signalfd: %s", strerror(errno));
		return EXIT_OSERR;
	}
	r = vmdir_create(&j->root, j->cfg.name, &j->vm, &why);
	if (r > 0)
		diag_error(d, NULL, EXIT_UNAVAILABLE, "start: a VM named '%s' is running "
			   "(vmlaunch stop %s; or another instance: -o name=OTHER)",
			   j->cfg.name, j->cfg.name);
	else if (r < 0)
		diag_error(d, NULL, EXIT_OSERR, "start: %s", why.buf);
	sb_release(&why);
	return r ? d->status : 0;
}

/* In the VM's directory: its log, overlays, state and record, QEMU's command line. */
static int start_files(struct start_job *j, const char *cwd, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	int status = 0, r;

	j->qemu_log = vmdir_create_file(&j->vm, "qemu.log", 1);
	if (j->qemu_log < 0) {
		diag_error(d, NULL, EXIT_OSERR, "start: cannot write in %s: %s", j->vm.path,
			   strerror(errno));
		status = EXIT_OSERR;
	} else if (start_plan(&j->plan, &j->vm, &j->log_fd, d) < 0) {
		status = d->status;
	} else if (j->o.restore &&
		   (r = savestate_restore_plan(&j->meta, j->state_fd, j->o.restore, &j->plan,
					       tmp_dir(), j->handoff, &j->lc.nhandoff, &why)) != 0) {
		diag_error(d, NULL, r, "start: %s", why.buf);
		status = r;
	} else if (prepare_overlays(&j->plan, d) < 0) {
		status = d->status;
	} else if (vmdir_write(&j->vm, "state", (j->state = state_text(&j->plan, j->o.config,
									 cwd))) < 0 ||
		   vmdir_write(&j->vm, "record", (j->record = savestate_record(&j->plan, j->abs,
									   j->ov, &j->cwds))) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "start: cannot write in %s: %s", j->vm.path,
			   strerror(errno));
		status = EXIT_OSERR;
	} else if (qemu_cmd_build(&j->plan, &j->cmd) < 0) {
		diag_error(d, NULL, EXIT_INTERNAL, "internal error: cannot build the QEMU command "
			   "line: %s", j->cmd.error);
		status = EXIT_INTERNAL;
	}
	sb_release(&why);
	return status;
}

/* QEMU started, and waited for (--restore: the state read; --wait: the boot marker). */
static int start_run(struct start_job *j, struct diag *d)
{
	int status;

	if (d->verbose) {
		fputs("vmlaunch: start ", d->out);
		launch_print(&j->cmd, d->out);
	}
	status = launch(&j->root, &j->vm, j->cmd.argv.v, j->qemu_log, &j->lc, d);
	if (status == 0 && j->o.restore) {
		status = wait_restored(&j->vm, j->o.restore, j->o.timeout, j->lc.sigfd, d);
	} else if (status == 0 && j->o.wait) {
		char *log = vmstate_get(j->state, "log");

		if (!log)
			diag_warn(d, NULL, "start: --wait: %s has no console (serial = none), "
				  "so nothing to wait for", j->cfg.name);
		status = log ? wait_ready(&j->vm, log, j->o.timeout, j->lc.sigfd, d) : 0;
		free(log);
	} else {
		return status;     /* launch cleaned up after itself */
	}
	if (status) {
		kill_vm(&j->vm);
		vmdir_remove(&j->root, &j->vm);
	}
	return status;
}

static void start_free(struct start_job *j)
{
	size_t i;

	vmdir_close(&j->vm);
	vmroot_close(&j->root);
	if (j->qemu_log >= 0)
		close(j->qemu_log);
	if (j->log_fd >= 0)
		close(j->log_fd);
	free(j->state);
	free(j->record);
	free(j->abs);
	savestate_meta_free(&j->meta);
	strvec_clear(&j->restore_ov);
	strvec_clear(&j->cwds);
	free(j->inherited);
	for (i = 0; i < j->lc.nhandoff; i++)
		close(j->handoff[i]);
	if (j->lc.sigfd >= 0)
		close(j->lc.sigfd);
	qemu_cmd_free(&j->cmd);
	plan_free(&j->plan);
	config_free(&j->cfg);
	strvec_clear(&j->o.overrides);
}

int vmctl_start(int argc, char **argv, const char *cwd, const struct host_env *env,
		struct diag *d)
{
	static const struct qemu_cmd cmd_init = QEMU_CMD_INIT;
	struct start_job j;
	int status;

	memset(&j, 0, sizeof(j));
	j.cmd = cmd_init;
	j.root.fd = j.vm.fd = j.vm.lock = -1;
	j.lc.sigfd = j.state_fd = j.qemu_log = j.log_fd = -1;
	j.lc.ninherited = inherited_fds(&j.inherited);
	j.lc.inherited = j.inherited;
	j.lc.handoff = j.handoff;
	status = start_options(argc, argv, &j.o, d);
	if (status == 0)
		status = start_load(&j, cwd, env, d);
	if (status == 0 && (status = start_dir(&j, d)) == 0) {
		/* Ours from here: removed again unless QEMU runs. */
		status = start_files(&j, cwd, d);
		if (status)
			vmdir_remove(&j.root, &j.vm);
		else
			status = start_run(&j, d);
		if (status == 0)
			printf("%s\n", j.cfg.name);
	}
	start_free(&j);
	return status;
}

/* ---- list and status ---- */

struct vm_info {
	char *name, *state, *ended, *config, *console, *log, *gdb;
	struct strvec forwards, disks, shares;
	long pid;
	long long uptime;          /* seconds, -1 when not known */
	int exit_status;           /* -1 when running or not known */
};

static long long uptime_of(pid_t pid)
{
	unsigned long long start = vmstate_proc_start(pid);
	double up = 0;
	long ticks = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/uptime", "re");

	if (f && fscanf(f, "%lf", &up) != 1)
		up = 0;
	if (f)
		fclose(f);
	if (!start || ticks <= 0 || up <= 0)
		return -1;
	return (long long)(up - (double)start / (double)ticks);
}

static void lines_of(struct strvec *out, const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, n) == 0 && p[n] == '=')
			strvec_push_nodup(out, xstrndup(p + n + 1,
					  (size_t)((nl ? nl : p + strlen(p)) - p - n - 1)));
		p = nl ? nl + 1 : NULL;
	}
}

/* What is true of VM now: asked of its lock and QEMU; a dead VM's leftovers go. */
static void vm_info_get(struct vmroot *root, struct vmdir *vm, struct vm_info *info)
{
	char *state = vmdir_read(vm, "state");

	memset(info, 0, sizeof(*info));
	info->name = xstrdup(vm->name);
	info->exit_status = -1;
	info->uptime = -1;
	info->config = state ? vmstate_get(state, "config") : NULL;
	info->console = state ? vmstate_get(state, "console") : NULL;
	info->log = state ? vmstate_get(state, "log") : NULL;
	info->gdb = state ? vmstate_get(state, "gdb") : NULL;
	lines_of(&info->forwards, state, "forward");
	lines_of(&info->disks, state, "disk");
	lines_of(&info->shares, state, "share");
	free(state);
	if (vmdir_alive(vm)) {
		pid_t pid = qemu_pid(vm);

		info->pid = pid;
		info->uptime = pid ? uptime_of(pid) : -1;
		info->state = pid ? qmp_state(vm) : NULL;
		if (!info->state)
			info->state = xstrdup(pid ? "unresponsive" : "starting");
		return;
	}
	info->state = xstrdup("exited");
	info->ended = how_ended(vm, &info->exit_status);
	vmdir_remove(root, vm);      /* nothing of a dead VM is kept */
}

static void vm_info_free(struct vm_info *info)
{
	free(info->name);
	free(info->state);
	free(info->ended);
	free(info->config);
	free(info->console);
	free(info->log);
	free(info->gdb);
	strvec_clear(&info->forwards);
	strvec_clear(&info->disks);
	strvec_clear(&info->shares);
}

/* One VM as the documented JSON object (vmlaunch(1), BACKGROUND VMS). */
static void vm_info_json(struct json_writer *w, const struct vm_info *info)
{
	jw_begin_object(w);
	jw_member_string(w, "name", info->name);
	jw_member_string(w, "state", info->state);
	jw_key(w, "exit_status");
	if (info->exit_status >= 0)
		jw_int(w, info->exit_status);
	else
		jw_null(w);
	jw_member_string(w, "ended", info->ended);
	jw_key(w, "pid");
	if (info->pid > 0)
		jw_int(w, info->pid);
	else
		jw_null(w);
	jw_key(w, "uptime_seconds");
	if (info->uptime >= 0)
		jw_int(w, info->uptime);
	else
		jw_null(w);
	jw_member_string(w, "config", info->config);
	jw_member_string(w, "console", info->console);
	jw_member_string(w, "boot_log", info->log);
	jw_member_strings(w, "forwards", &info->forwards);
	jw_member_string(w, "gdb", info->gdb);
	jw_member_strings(w, "disks", &info->disks);
	jw_member_strings(w, "shares", &info->shares);
	jw_end_object(w);
}

static void vm_info_text(const struct vm_info *info, int long_form)
{
	struct strbuf line = STRBUF_INIT;
	size_t i;

	if (!long_form) {
		sb_addf(&line, "%-16s %-12s", info->name, info->state);
		if (info->pid > 0)
			sb_addf(&line, " pid %-8ld up %-6llds", info->pid, info->uptime);
		if (info->ended)
			sb_addf(&line, " %s (cleaned up)", info->ended);
		else if (info->console)
			sb_addf(&line, " console %s", info->console);
		printf("%s\n", line.buf);
		sb_release(&line);
		return;
	}
	printf("name:     %s\nstate:    %s%s%s\n", info->name, info->state,
	       info->ended ? ", " : "", info->ended ? info->ended : "");
	if (info->pid > 0)
		printf("pid:      %ld\nuptime:   %lld s\n", info->pid, info->uptime);
	printf("config:   %s\n", info->config ? info->config : "?");
	if (info->console)
		printf("console:  %s\nboot log: %s\n", info->console, info->log ? info->log : "?");
	for (i = 0; i < info->forwards.n; i++)
		printf("forward:  %s\n", info->forwards.v[i]);
	if (info->gdb)
		printf("gdb:      %s\n", info->gdb);
	for (i = 0; i < info->disks.n; i++)
		printf("disk:     %s\n", info->disks.v[i]);
	for (i = 0; i < info->shares.n; i++)
		printf("share:    %s\n", info->shares.v[i]);
	if (info->ended)
		printf("(its runtime files were removed)\n");
}

static int json_option(int argc, char **argv, const char *cmd, int *json, const char **name,
		       int want_name, struct diag *d)
{
	int i;

	*json = 0;
	*name = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error(d, cmd, "unknown option '%s'", argv[i]);
		else if (!want_name || *name)
			return usage_error(d, cmd, "too many arguments ('%s')", argv[i]);
		else
			*name = argv[i];
	}
	if (want_name && !*name)
		return usage_error(d, cmd, "missing NAME");
	return 0;
}

static void print_json(struct strbuf *sb)
{
	fputs(sb->buf ? sb->buf : "", stdout);
	fputc('\n', stdout);
	sb_release(sb);
}

int vmctl_list(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d)
{
	struct vmroot root = { NULL, -1 };
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	char **names = NULL;
	const char *unused;
	size_t n = 0, i;
	int json, r;

	(void)cwd;
	(void)env;
	r = json_option(argc, argv, "list", &json, &unused, 0, d);
	if (r)
		return r;
	r = open_root(&root, 0, d);
	if (r < 0)
		return EXIT_OSERR;
	if (r == 0)
		n = vmroot_list(&root, &names);
	jw_init(&w, &out);
	jw_begin_array(&w);
	for (i = 0; i < n; i++) {
		struct strbuf why = STRBUF_INIT;
		struct vmdir vm;
		struct vm_info info;

		if (vmdir_open(&root, names[i], &vm, &why) == 0) {
			vm_info_get(&root, &vm, &info);
			if (json)
				vm_info_json(&w, &info);
			else
				vm_info_text(&info, 0);
			vm_info_free(&info);
		} else if (why.len) {
			diag_warn(d, NULL, "%s", why.buf);
		}
		vmdir_close(&vm);
		sb_release(&why);
		free(names[i]);
	}
	free(names);
	jw_end_array(&w);
	if (json)
		print_json(&out);
	sb_release(&out);
	vmroot_close(&root);
	return 0;
}

int vmctl_status(int argc, char **argv, const char *cwd, const struct host_env *env,
		 struct diag *d)
{
	struct vmroot root = { NULL, -1 };
	struct vmdir vm = { NULL, NULL, -1, -1 };
	struct vm_info info;
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	const char *name;
	int json, r;

	(void)cwd;
	(void)env;
	r = json_option(argc, argv, "status", &json, &name, 1, d);
	if (r)
		return r;
	r = find_vm(&root, "status", name, &vm, d);
	if (r == 0) {
		vm_info_get(&root, &vm, &info);
		if (json) {
			jw_init(&w, &out);
			vm_info_json(&w, &info);
			print_json(&out);
		} else {
			vm_info_text(&info, 1);
		}
		vm_info_free(&info);
	}
	vmdir_close(&vm);
	vmroot_close(&root);
	return r;
}

/* ---- stop ---- */

/* Until the VM's supervisor is gone (QEMU ended): 1, or 0 after MS. */
static int wait_gone(const struct vmdir *vm, int ms)
{
	for (; ms > 0; ms -= 50) {
		if (!vmdir_alive(vm))
			return 1;
		sleep_ms(50);
	}
	return !vmdir_alive(vm);
}

/*
 * Ask the guest to power off (the ACPI power button), wait, then have QEMU
 * quit, then signal the QEMU whose pid and start time the VM recorded (so
 * never a process that reused the pid).  The disks are never touched.
 */
static int stop_one(struct vmroot *root, struct vmdir *vm, int force, unsigned timeout,
		    struct diag *d)
{
	char *state = vmdir_read(vm, "state"), *machine = state ? vmstate_get(state, "machine") : NULL;
	int acpi = !machine || strcmp(machine, "microvm") != 0, st;
	const char *how = "stopped";

	free(state);
	free(machine);
	if (!vmdir_alive(vm)) {
		char *ended = how_ended(vm, &st);

		printf("%s had already %s\n", vm->name, ended);
		free(ended);
		vmdir_remove(root, vm);
		return 0;
	}
	if (!force && acpi) {
		if (qmp_simple(vm, "system_powerdown", NULL) == 0 && wait_gone(vm, (int)timeout * 1000))
			how = "powered off";
		else
			how = "did not power off in time: QEMU was told to quit";
	} else if (!force) {
		how = "stopped (microvm has no ACPI power button: QEMU was told to quit)";
	}
	if (vmdir_alive(vm)) {
		kill_vm(vm);
		if (!wait_gone(vm, 5000)) {
			diag_error(d, NULL, EXIT_UNAVAILABLE, "stop: %s would not stop (its "
				   "supervisor still runs); nothing was removed", vm->name);
			return EXIT_UNAVAILABLE;
		}
	}
	vmdir_remove(root, vm);
	printf("%s %s\n", vm->name, how);
	return 0;
}

int vmctl_stop(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d)
{
	struct vmroot root = { NULL, -1 };
	const char *name = NULL;
	unsigned timeout = 30;
	int i, all = 0, force = 0, status = 0;

	(void)cwd;
	(void)env;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else if (strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 >= argc || parse_seconds(argv[++i], &timeout) < 0)
				return usage_error(d, "stop", "--timeout needs a number of seconds "
						   "(1 to 86400)");
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage_error(d, "stop", "unknown option '%s'", argv[i]);
		else if (name)
			return usage_error(d, "stop", "one NAME at a time ('%s'), or --all", argv[i]);
		else
			name = argv[i];
	}
	if (!name == !all)
		return usage_error(d, "stop", all ? "NAME or --all, not both" : "missing NAME (or --all)");
	if (all) {
		char **names = NULL;
		size_t n = 0, k;
		int r = open_root(&root, 0, d);

		if (r < 0)
			return EXIT_OSERR;
		if (r == 0)
			n = vmroot_list(&root, &names);
		for (k = 0; k < n; k++) {
			struct strbuf why = STRBUF_INIT;
			struct vmdir vm;
			int one;

			if (vmdir_open(&root, names[k], &vm, &why) == 0) {
				one = stop_one(&root, &vm, force, timeout, d);
				if (one && !status)
					status = one;
			}
			vmdir_close(&vm);
			sb_release(&why);
			free(names[k]);
		}
		free(names);
	} else {
		struct vmdir vm = { NULL, NULL, -1, -1 };

		status = find_vm(&root, "stop", name, &vm, d);
		if (status == 0)
			status = stop_one(&root, &vm, force, timeout, d);
		vmdir_close(&vm);
	}
	vmroot_close(&root);
	return status;
}

/* ---- exec ---- */

struct exec_state {
	char start[64], end[64];   /* the markers the guest prints */
	struct strbuf in;          /* received and not yet decided on */
	int started, done, status;
	int pending_cr;            /* a '\r' held back: "\r\n" prints as "\n" */
};

/* Write guest output with "\r\n" as "\n". */
static void put_output(struct exec_state *e, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (e->pending_cr && p[i] != '\n')
			fputc('\r', stdout);
		e->pending_cr = p[i] == '\r';
		if (!e->pending_cr)
			fputc(p[i], stdout);
	}
}

/* New console bytes: find the start marker, pass output on, find the end marker. */
static void exec_feed(struct exec_state *e, const char *buf, size_t n)
{
	char *p;

	sb_add(&e->in, buf, n);
	if (!e->started) {
		p = e->in.buf ? memmem(e->in.buf, e->in.len, e->start, strlen(e->start)) : NULL;
		if (!p) {
			/* Keep only what could be the start of the marker. */
			if (e->in.len > sizeof(e->start)) {
				size_t keep = sizeof(e->start);

				memmove(e->in.buf, e->in.buf + e->in.len - keep, keep + 1);
				e->in.len = keep;
			}
			return;
		}
		p += strlen(e->start);
		while (p < e->in.buf + e->in.len && *p == '\r')
			p++;
		if (p < e->in.buf + e->in.len && *p == '\n')
			p++;
		else if (p == e->in.buf + e->in.len)
			return;            /* its line end is still on the way */
		e->started = 1;
		memmove(e->in.buf, p, e->in.len - (size_t)(p - e->in.buf) + 1);
		e->in.len -= (size_t)(p - e->in.buf);
	}
	p = e->in.buf ? memmem(e->in.buf, e->in.len, e->end, strlen(e->end)) : NULL;
	if (p && memchr(p + strlen(e->end), '\n', e->in.len - (size_t)(p - e->in.buf) -
						  strlen(e->end))) {
		e->status = atoi(p + strlen(e->end));
		put_output(e, e->in.buf, (size_t)(p - e->in.buf));
		e->done = 1;
		return;
	}
	/* Everything but what could be the start of the end marker is output. */
	if (e->in.len > sizeof(e->end) + 8) {
		size_t out = e->in.len - sizeof(e->end) - 8;

		put_output(e, e->in.buf, out);
		memmove(e->in.buf, e->in.buf + out, e->in.len - out + 1);
		e->in.len -= out;
	}
}

/*
 * What is typed: the start marker, COMMAND as a quoted string assembled in
 * short lines (a line editor caps a line at about a kilobyte), run by eval
 * in a subshell with stdin from /dev/null (an "exit" or "cd" there does not
 * touch the guest's shell; an unbalanced quote is the command's syntax
 * error, not a shell left waiting), then the end marker with its status.
 */
static char *exec_line(struct exec_state *e, int argc, char **argv)
{
	unsigned long nonce = (unsigned long)getpid() * 2654435761u ^ (unsigned long)time(NULL);
	struct strbuf sb = STRBUF_INIT, cmd = STRBUF_INIT;
	size_t i;
	int k;

	nonce %= 1000000000ul;
	snprintf(e->start, sizeof(e->start), "vmlaunch-exec-%lu-start", nonce);
	snprintf(e->end, sizeof(e->end), "vmlaunch-exec-%lu-end=", nonce);
	for (k = 0; k < argc; k++)
		sb_addf(&cmd, "%s%s", k ? " " : "", argv[k]);
	sb_adds(&sb, "vmlaunch_c=\n");
	for (i = 0; i < cmd.len; i += 100) {
		size_t j, n = cmd.len - i < 100 ? cmd.len - i : 100;

		sb_adds(&sb, "vmlaunch_c=$vmlaunch_c'");
		for (j = 0; j < n; j++) {
			char c = cmd.buf[i + j];

			if (c == '\'')
				sb_adds(&sb, "'\\''");
			else
				sb_addc(&sb, c);   /* a newline: the quoted string goes on */
		}
		sb_adds(&sb, "'\n");
	}
	/*
	 * The start marker is printed by the last line, after every line was
	 * echoed.  $((N)) prints N, but its echo does not: no echo looks like a
	 * marker.
	 */
	sb_addf(&sb, "( printf '\\n%%s\\n' \"vmlaunch-exec-$((%lu))-start\"; eval \"$vmlaunch_c\" ) "
		"</dev/null; echo \"vmlaunch-exec-$((%lu))-end=$?\"; unset vmlaunch_c\n", nonce, nonce);
	sb_release(&cmd);
	return sb_detach(&sb);
}

static int exec_options(int argc, char **argv, const char **name, unsigned *timeout,
			int *first, struct diag *d)
{
	int i;

	*name = NULL;
	*timeout = 60;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*first = i + 1;
			break;
		} else if (strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 >= argc || parse_seconds(argv[++i], timeout) < 0)
				return usage_error(d, "exec", "--timeout needs a number of seconds "
						   "(1 to 86400)");
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error(d, "exec", "unknown option '%s'", argv[i]);
		} else if (!*name) {
			*name = argv[i];
		} else {
			*first = i;    /* exec NAME COMMAND... without -- */
			break;
		}
	}
	if (!*name)
		return usage_error(d, "exec", "missing NAME");
	if (*first <= 0 || *first >= argc)
		return usage_error(d, "exec", "missing COMMAND (vmlaunch exec NAME -- COMMAND...)");
	return 0;
}

/* The guest's console, free for us: a descriptor, or -1 after reporting. */
static int exec_console(const struct vmdir *vm, struct diag *d)
{
	char *state = vmdir_read(vm, "state"), *sock = state ? vmstate_get(state, "console") : NULL;
	int fd = -1;

	free(state);
	if (!sock) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "exec: %s has no console (serial = none)",
			   vm->name);
	} else if (console_attached(vm) || (fd = usock_connect(sock, USOCK_NONBLOCK)) < 0) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "exec: the console of %s is in use (a "
			   "vmlaunch console is attached?); its output would be mixed with yours",
			   vm->name);
	}
	free(sock);
	return fd;
}

static int exec_run(int fd, struct exec_state *e, const char *line, unsigned timeout,
		    struct diag *d)
{
	double until = now_seconds() + timeout;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t sent = 0, len = strlen(line);
	char buf[4096];

	while (!e->done) {
		ssize_t n;
		int left = (int)((until - now_seconds()) * 1000);

		if (left <= 0) {
			put_output(e, e->in.buf ? e->in.buf : "", e->started ? e->in.len : 0);
			fflush(stdout);
			diag_error(d, NULL, EXIT_TIMEOUT, "exec: no end within %u s (the command "
				   "may still run in the guest)", timeout);
			return EXIT_TIMEOUT;
		}
		pfd.events = sent < len ? POLLIN | POLLOUT : POLLIN;
		if (poll(&pfd, 1, left > 200 ? 200 : left) < 0 && errno != EINTR)
			break;
		if (sent < len && (pfd.revents & POLLOUT)) {
			n = send(fd, line + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof(buf));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				break;
			if (n > 0)
				exec_feed(e, buf, (size_t)n);
		}
	}
	fflush(stdout);
	if (!e->done) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "exec: the VM closed its console (did it "
			   "stop?)");
		return EXIT_UNAVAILABLE;
	}
	return e->status;
}

int vmctl_exec(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d)
{
	struct vmroot root = { NULL, -1 };
	struct vmdir vm = { NULL, NULL, -1, -1 };
	struct exec_state e;
	const char *name;
	unsigned timeout;
	int first = 0, status, fd = -1;
	char *line;

	(void)cwd;
	(void)env;
	status = exec_options(argc, argv, &name, &timeout, &first, d);
	if (status)
		return status;
	status = find_vm(&root, "exec", name, &vm, d);
	if (status == 0 && !vmdir_alive(&vm)) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "exec: %s is not running", name);
		status = EXIT_UNAVAILABLE;
	}
	if (status == 0) {
		/* A paused VM would take the command and not run it until its timeout. */
		char *state = qmp_state(&vm);

		if (state && strcmp(state, "running") != 0) {
			diag_error(d, NULL, EXIT_UNAVAILABLE, "exec: %s is %s, not running", name,
				   state);
			status = EXIT_UNAVAILABLE;
		}
		free(state);
	}
	if (status == 0 && (fd = exec_console(&vm, d)) < 0)
		status = d->status;
	if (status == 0) {
		signal(SIGPIPE, SIG_IGN);
		memset(&e, 0, sizeof(e));
		line = exec_line(&e, argc - first, argv + first);
		status = exec_run(fd, &e, line, timeout, d);
		free(line);
		sb_release(&e.in);
	}
	if (fd >= 0)
		close(fd);
	vmdir_close(&vm);
	vmroot_close(&root);
	return status;
}

/* ---- console NAME ---- */

int vmctl_console_target(const char *name, char **socket, char **log, struct diag *d)
{
	struct vmroot root = { NULL, -1 };
	struct vmdir vm = { NULL, NULL, -1, -1 };
	int status = find_vm(&root, "console", name, &vm, d);
	char *state = NULL;

	if (status == 0) {
		state = vmdir_read(&vm, "state");
		*socket = state ? vmstate_get(state, "console") : NULL;
		*log = state ? vmstate_get(state, "log") : NULL;
		if (!*socket) {
			diag_error(d, NULL, EXIT_UNAVAILABLE, "console: %s has no console "
				   "(serial = none)", name);
			status = EXIT_UNAVAILABLE;
		} else if (vmdir_alive(&vm) && console_attached(&vm)) {
			diag_error(d, NULL, EXIT_UNAVAILABLE, "console: the console of %s is in use "
				   "(another vmlaunch console is attached)", name);
			status = EXIT_UNAVAILABLE;
		}
	}
	free(state);
	vmdir_close(&vm);
	vmroot_close(&root);
	return status;
}

int vmctl_exists(const char *name)
{
	struct vmroot root = { NULL, -1 };
	struct strbuf why = STRBUF_INIT;
	int exists = 0;

	if (vmstate_name_ok(name) && vmroot_open(&root, 0, &why) == 0)
		exists = faccessat(root.fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	vmroot_close(&root);
	sb_release(&why);
	return exists;
}

/* ---- save NAME FILE ---- */

#define SAVE_FD_NAME "vmlaunch-save"
#define SAVE_CHUNK (8u << 20)   /* bytes of an overlay copied between two looks at signals */

struct save_job {
	struct vmdir *vm;
	struct qmp q;
	struct savestate_meta meta;   /* the VM's record, then the file's metadata */
	struct savestate_tmp tmp;
	const char *file;
	unsigned timeout;
	int sigfd;
	pid_t pid;
};

static int save_options(int argc, char **argv, const char **name, const char **file, int *stop,
			unsigned *timeout, struct diag *d)
{
	int i;

	*name = *file = NULL;
	*stop = 0;
	*timeout = 120;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--stop") == 0)
			*stop = 1;
		else if (strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 >= argc || parse_seconds(argv[++i], timeout) < 0)
				return usage_error(d, "save", "--timeout needs a number of seconds "
						   "(1 to 86400)");
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage_error(d, "save", "unknown option '%s'", argv[i]);
		else if (!*name)
			*name = argv[i];
		else if (!*file)
			*file = argv[i];
		else
			return usage_error(d, "save", "too many arguments ('%s')", argv[i]);
	}
	if (!*file)
		return usage_error(d, "save", !*name ? "missing NAME and FILE" : "missing FILE");
	return 0;
}

/* A command on the save's connection; -1 after reporting. */
static int save_qmp(struct save_job *j, const char *cmd, const char *args, int fd,
		    struct json **ret, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	int r = qmp_execute_fd(&j->q, cmd, args, fd, ret, &why, QMP_TIMEOUT_MS);

	if (r < 0)
		diag_error(d, NULL, EXIT_UNAVAILABLE, "save: %s: %s: %s", j->vm->name, cmd, why.buf);
	sb_release(&why);
	return r < 0 ? -1 : 0;
}

static void too_big(const struct save_job *j, size_t len, struct diag *d)
{
	diag_error(d, NULL, EXIT_CONFIG, "save: the metadata of %s (its config's path, -o, "
		   "devices) takes %s%zu bytes, more than a state file's %u: nothing was saved",
		   j->vm->name, len >= SAVESTATE_HEADER_SIZE ? "at least " : "", len,
		   SAVESTATE_HEADER_SIZE);
}

/* What the VM can be saved as: 0, or the status after reporting. */
static int save_check(struct save_job *j, struct diag *d)
{
	char *record = vmdir_read(j->vm, "record");
	struct strbuf why = STRBUF_INIT;
	size_t i;
	int r = 0;

	if (record && strlen(record) >= SAVESTATE_HEADER_SIZE) {
		/* vmdir_read reads no more: a record this long makes no header either. */
		too_big(j, strlen(record), d);
		r = EXIT_CONFIG;
	} else if (!record || savestate_parse(record, strlen(record), 0, 0, &j->meta, &why) < 0) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "save: %s was started without a record of "
			   "what it was made from%s%s (an older vmlaunch?): restart it", j->vm->name,
			   why.len ? ": " : "", why.len ? why.buf : "");
		r = EXIT_UNAVAILABLE;
	}
	for (i = 0; r == 0 && i < j->meta.plan.n; i++) {
		const char *l = j->meta.plan.v[i], *mode = strstr(l, ".mode=");

		if (strncmp(l, "disk.", 5) == 0 && mode && strstr(mode, " rw")) {
			diag_error(d, NULL, EXIT_CONFIG, "save: %s: its disk %.*s is writable without "
				   "snapshot = yes: its contents are not saved (start it with "
				   "snapshot = yes, or the disk ro)", j->vm->name,
				   (int)(mode - l - 5), l + 5);
			r = EXIT_CONFIG;
		}
	}
	free(record);
	sb_release(&why);
	return r;
}

/* QEMU's "running", "paused", ...: 0 with *RUNNING, or the status after reporting. */
static int save_state(struct save_job *j, int *running, struct diag *d)
{
	struct json *ret = NULL, *ver = NULL;
	const struct json *q;
	const char *st;
	int64_t a = 0, b = 0, c = 0;
	int r = 0;

	if (save_qmp(j, "query-status", NULL, -1, &ret, d) < 0 ||
	    save_qmp(j, "query-version", NULL, -1, &ver, d) < 0) {
		r = EXIT_UNAVAILABLE;
		goto out;
	}
	st = json_str(json_get(ret, "status"));
	if (!st || (strcmp(st, "running") && strcmp(st, "paused") && strcmp(st, "postmigrate"))) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "save: %s is %s: only a running or paused "
			   "VM is saved", j->vm->name, st ? st : "in an unknown state");
		r = EXIT_UNAVAILABLE;
		goto out;
	}
	*running = strcmp(st, "running") == 0;
	if (strcmp(st, "postmigrate") == 0) {
		/*
		 * An earlier save (a killed one, or one of a paused guest) left
		 * it so, and QEMU migrates no VM in postmigrate: the guest goes
		 * back to what it was before that save (cont, then stop if it was
		 * paused), then this save goes on as for that state.
		 */
		char *was = vmdir_read(j->vm, "saving");

		*running = was && strncmp(was, "running", 7) == 0;
		free(was);
		if (save_qmp(j, "cont", NULL, -1, NULL, d) < 0 ||
		    (!*running && save_qmp(j, "stop", NULL, -1, NULL, d) < 0))
			r = EXIT_UNAVAILABLE;
	}
	q = json_get(ver, "qemu");
	json_int(json_get(q, "major"), &a);
	json_int(json_get(q, "minor"), &b);
	json_int(json_get(q, "micro"), &c);
	st = json_str(json_get(ver, "package"));
	j->meta.qemu_version = xasprintf("%lld.%lld.%lld%s%s", (long long)a, (long long)b,
					 (long long)c, st && *st ? " " : "", st ? st : "");
out:
	json_free(ret);
	json_free(ver);
	return r;
}

/* A signal that arrived: 128+N after reporting, else 0. */
static int save_signalled(struct save_job *j, struct diag *d)
{
	int sig = j->sigfd >= 0 ? signals_read(j->sigfd) : 0;

	if (sig == 0 || sig == SIGCHLD)
		return 0;
	diag_error(d, NULL, 128 + sig, "save: stopped by signal %d; nothing was saved", sig);
	return 128 + sig;
}

/* Until the migration ended: 0 when completed; else the status after reporting. */
static int save_wait(struct save_job *j, struct diag *d)
{
	double until = now_seconds() + j->timeout;
	int r;

	for (;;) {
		struct json *ret = NULL;
		const char *st, *err;

		if ((r = save_signalled(j, d)) != 0)
			return r;
		if (now_seconds() >= until) {
			diag_error(d, NULL, EXIT_TIMEOUT, "save: %s was not saved within %u s",
				   j->vm->name, j->timeout);
			return EXIT_TIMEOUT;
		}
		if (save_qmp(j, "query-migrate", NULL, -1, &ret, d) < 0)
			return EXIT_UNAVAILABLE;
		st = json_str(json_get(ret, "status"));
		err = json_str(json_get(ret, "error-desc"));
		if (st && strcmp(st, "completed") == 0) {
			json_free(ret);
			return 0;
		}
		if (st && (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0)) {
			diag_error(d, NULL, EXIT_UNAVAILABLE, "save: QEMU could not save %s: %s",
				   j->vm->name, err ? err : st);
			json_free(ret);
			return EXIT_UNAVAILABLE;
		}
		json_free(ret);
		sleep_ms(10);
	}
}

/* The migration stream into the file, after its header's room. */
static int save_stream(struct save_job *j, struct diag *d)
{
	struct stat st;
	int r;

	if (lseek(j->tmp.fd, SAVESTATE_HEADER_SIZE, SEEK_SET) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "save: %s: %s", j->file, strerror(errno));
		return EXIT_OSERR;
	}
	/* QEMU's default 32 MiB/s is for a network; a file takes what comes. */
	if (save_qmp(j, "migrate-set-parameters", "{\"max-bandwidth\": 1099511627776}", -1,
		     NULL, d) < 0 ||
	    save_qmp(j, "getfd", "{\"fdname\": \"" SAVE_FD_NAME "\"}", j->tmp.fd, NULL, d) < 0)
		return EXIT_UNAVAILABLE;
	r = save_qmp(j, "migrate", "{\"uri\": \"fd:" SAVE_FD_NAME "\"}", -1, NULL, d) < 0 ?
	    EXIT_UNAVAILABLE : save_wait(j, d);
	if (r) {
		struct strbuf why = STRBUF_INIT;
		struct json *ret = NULL;
		const char *s = NULL;
		int i;

		/* A migrate QEMU refused leaves it our file; one it took, "not found". */
		qmp_execute(&j->q, "closefd", "{\"fdname\": \"" SAVE_FD_NAME "\"}", NULL, &why,
			    1000);
		sb_release(&why);

		/* The guest goes on as it was: the migration is called off first. */
		qmp_execute(&j->q, "migrate_cancel", NULL, NULL, &why, 1000);
		for (i = 0; i < 100; i++) {
			json_free(ret);
			ret = NULL;
			if (qmp_execute(&j->q, "query-migrate", NULL, &ret, &why, 1000) < 0)
				break;
			s = json_str(json_get(ret, "status"));
			if (!s || !strcmp(s, "cancelled") || !strcmp(s, "failed") ||
			    !strcmp(s, "completed"))
				break;
			sleep_ms(20);
		}
		json_free(ret);
		sb_release(&why);
		return r;
	}
	if (fstat(j->tmp.fd, &st) < 0 || (uint64_t)st.st_size <= SAVESTATE_HEADER_SIZE) {
		diag_error(d, NULL, EXIT_INTERNAL, "save: QEMU wrote no migration stream to %s",
			   j->file);
		return EXIT_INTERNAL;
	}
	j->meta.stream_offset = SAVESTATE_HEADER_SIZE;
	j->meta.stream_size = (uint64_t)st.st_size - SAVESTATE_HEADER_SIZE;
	return 0;
}

/*
 * One snapshot overlay K, read through QEMU's own descriptor, to AT in the
 * file, hashed on the way: 0, or the status after reporting.
 */
static int save_disk(struct save_job *j, struct savestate_disk *k, uint64_t at, struct diag *d)
{
	char *path = xasprintf("/proc/%ld/fd/%d", (long)j->pid, k->fd);
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	unsigned char digest[SHA256_LEN];
	uint64_t done = 0, n, size = 0;
	struct sha256 sha;
	struct stat st;

	sha256_init(&sha);
	if (fd < 0 || fstat(fd, &st) < 0)
		r = -1;
	else
		size = (uint64_t)st.st_size;
	/* In pieces: a signal meanwhile ends the save, it does not wait for the copy. */
	for (; r == 0 && done < size; done += n) {
		n = size - done < SAVE_CHUNK ? size - done : SAVE_CHUNK;
		if (savestate_copy(fd, done, j->tmp.fd, at + done, n, &sha) < 0)
			r = -1;
		else
			r = save_signalled(j, d);
	}
	if (r < 0)
		diag_error(d, NULL, EXIT_OSERR, "save: cannot copy the overlay of disk %s (%s) into "
			   "%s: %s", k->id, path, j->file, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	if (r)
		return r < 0 ? EXIT_OSERR : r;
	sha256_final(&sha, digest);
	sha256_hex(digest, k->sha256);
	k->offset = at;
	k->size = size;
	return 0;
}

/* Each snapshot overlay, after the stream. */
static int save_disks(struct save_job *j, struct diag *d)
{
	uint64_t at = j->meta.stream_offset + j->meta.stream_size;
	size_t i;
	int r;

	for (i = 0; i < j->meta.ndisks; i++) {
		if ((r = save_disk(j, &j->meta.disks[i], at, d)) != 0)
			return r;
		at += j->meta.disks[i].size;
	}
	return 0;
}

/* The header with every offset and size at its widest: does it fit?  Known before any migration. */
static int save_fits(struct save_job *j, struct diag *d)
{
	struct savestate_meta *m = &j->meta;
	size_t i, len;

	m->stream_offset = m->stream_size = INT64_MAX;
	for (i = 0; i < m->ndisks; i++) {
		m->disks[i].offset = m->disks[i].size = INT64_MAX;
		memset(m->disks[i].sha256, 'f', 2 * SHA256_LEN);
	}
	free(savestate_header(m, &len));
	m->stream_offset = m->stream_size = 0;
	for (i = 0; i < m->ndisks; i++) {
		m->disks[i].offset = m->disks[i].size = 0;
		m->disks[i].sha256[0] = '\0';
	}
	if (len <= SAVESTATE_HEADER_SIZE)
		return 0;
	too_big(j, len, d);
	return EXIT_CONFIG;
}

static int save_header(struct save_job *j, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	size_t len;
	char *head = savestate_header(&j->meta, &len);
	int r = 0;

	if (len > SAVESTATE_HEADER_SIZE) {
		diag_error(d, NULL, EXIT_INTERNAL, "save: the metadata of %s does not fit in "
			   "%u bytes", j->vm->name, SAVESTATE_HEADER_SIZE);
		r = EXIT_INTERNAL;
	} else if (pwrite(j->tmp.fd, head, len, 0) != (ssize_t)len) {
		diag_error(d, NULL, EXIT_OSERR, "save: cannot write %s: %s", j->file,
			   strerror(errno));
		r = EXIT_OSERR;
	} else if ((r = save_signalled(j, d)) != 0) {
		;       /* not committed: no FILE */
	} else if (savestate_tmp_commit(&j->tmp, &why) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "save: %s: %s", j->file, why.buf);
		r = EXIT_OSERR;
	}
	free(head);
	sb_release(&why);
	return r;
}

/* The guest as it was before the save (FAILED: the save's status, 0 when none). */
static void save_resume(struct save_job *j, int running, int failed, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;

	if (running && qmp_execute(&j->q, "cont", NULL, NULL, &why, QMP_TIMEOUT_MS) < 0) {
		diag_warn(d, NULL, "save: %s stays paused: cont: %s", j->vm->name, why.buf);
	} else {
		vmdir_write(j->vm, "saving", "done\n");
		if (failed)
			diag_warn(d, NULL, "save: %s goes on %s", j->vm->name,
				  running ? "running" : "paused, as it was");
	}
	sb_release(&why);
}

static int save_run(struct save_job *j, int stop, struct diag *d)
{
	struct strbuf why = STRBUF_INIT;
	double t0 = now_seconds();
	struct stat st;
	int running = 0, r;

	if (qmp_connect(j->vm, &j->q, QMP_TIMEOUT_MS) < 0) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "save: %s does not answer on its QMP socket",
			   j->vm->name);
		return EXIT_UNAVAILABLE;
	}
	r = save_state(j, &running, d);
	if (r)
		return r;
	j->meta.running = running;
	if ((r = save_fits(j, d)) != 0)
		return r;
	if (savestate_tmp_open(j->file, &j->tmp, &why) < 0) {
		diag_error(d, NULL, EXIT_OSERR, "save: %s", why.buf);
		sb_release(&why);
		return EXIT_OSERR;
	}
	/* Kept until the guest goes on: a save killed meanwhile leaves it paused, the next one resumes it. */
	vmdir_write(j->vm, "saving", running ? "running\n" : "paused\n");
	r = save_stream(j, d);
	if (r == 0)
		r = save_disks(j, d);
	/* The guest was stopped by the migration; it goes on now, unless told otherwise. */
	if (!stop)
		save_resume(j, running, r, d);
	if (r == 0)
		r = save_header(j, d);
	/* --stop, but no state: the VM is not stopped, and goes on as it was. */
	if (stop && r)
		save_resume(j, running, r, d);
	if (r == 0 && fstat(j->tmp.fd, &st) == 0)
		printf("%s saved to %s (%.1f MB in %.2f s); %s\n", j->vm->name, j->file,
		       (double)st.st_size / 1e6, now_seconds() - t0, stop ? "it was stopped" :
		       running ? "it runs on" : "it stays paused");
	return r;
}

int vmctl_save(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d)
{
	struct vmroot root = { NULL, -1 };
	struct vmdir vm = { NULL, NULL, -1, -1 };
	struct save_job j;
	const char *name;
	int stop, status;

	(void)cwd;
	(void)env;
	memset(&j, 0, sizeof(j));
	j.q.fd = j.tmp.fd = j.tmp.dirfd = j.sigfd = -1;
	status = save_options(argc, argv, &name, &j.file, &stop, &j.timeout, d);
	if (status)
		return status;
	status = find_vm(&root, "save", name, &vm, d);
	j.vm = &vm;
	if (status == 0 && (!vmdir_alive(&vm) || !(j.pid = qemu_pid(&vm)))) {
		int st;
		char *how = how_ended(&vm, &st);

		diag_error(d, NULL, EXIT_UNAVAILABLE, "save: %s is not running (%s%s)", name,
			   vmdir_alive(&vm) ? "it is starting" : "QEMU ", vmdir_alive(&vm) ? "" : how);
		free(how);
		status = EXIT_UNAVAILABLE;
	}
	if (status == 0)
		status = save_check(&j, d);
	if (status == 0) {
		/* From here a signal is an event: the migration is cancelled, the guest resumed. */
		j.sigfd = signals_open();
		status = j.sigfd < 0 ? EXIT_OSERR : save_run(&j, stop, d);
		if (j.sigfd < 0)
			diag_error(d, NULL, EXIT_OSERR, "save: signalfd: %s", strerror(errno));
	}
	qmp_close(&j.q);
	savestate_tmp_close(&j.tmp);
	if (status == 0 && stop) {
		kill_vm(&vm);
		vmdir_remove(&root, &vm);
	}
	if (j.sigfd >= 0)
		close(j.sigfd);
	savestate_meta_free(&j.meta);
	vmdir_close(&vm);
	vmroot_close(&root);
	return status;
}
