#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "strbuf.h"
#include "xalloc.h"

/* From <linux/kvm.h>; spelled out so vmlaunch needs libc headers only. */
#define KVM_GET_API_VERSION 0xae00
#define KVM_CHECK_EXTENSION 0xae03
#define KVM_API_VERSION 12
#define KVM_CAP_NR_VCPUS 9
#define KVM_CAP_MAX_VCPUS 66

void host_env_from_environment(struct host_env *env)
{
	const char *s;

	s = getenv("VMLAUNCH_KVM_DEVICE");
	env->kvm_device = s && *s ? s : "/dev/kvm";
	s = getenv("VMLAUNCH_PVM_MARKER");
	env->pvm_marker = s && *s ? s : "/sys/module/kvm_pvm";
	s = getenv("VMLAUNCH_SYS_CLASS_NET");
	env->sys_class_net = s && *s ? s : "/sys/class/net";
	s = getenv("VMLAUNCH_HOST_CPUS");
	if (s && *s) {
		env->cpus = (unsigned)strtoul(s, NULL, 10);
	} else {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		env->cpus = n > 0 ? (unsigned)n : 0;
	}
}

const char *host_cpus_problem(unsigned cpus, unsigned host_cpus, int kvm_max, int *fatal,
			      char *buf, size_t n)
{
	*fatal = 0;
	if (kvm_max > 0 && cpus > (unsigned)kvm_max) {
		*fatal = 1;
		snprintf(buf, n, "cpus %u is more than KVM gives one VM on this host (%d)", cpus,
			 kvm_max);
		return buf;
	}
	if (host_cpus && cpus > host_cpus) {
		snprintf(buf, n, "cpus %u is more than this host's %u CPUs: the guest's CPUs take "
			 "turns on them (slower, and under TCG much slower)", cpus, host_cpus);
		return buf;
	}
	return NULL;
}

void host_probe_kvm(const struct host_env *env, struct kvm_probe *probe)
{
	struct stat st;
	int fd;

	memset(probe, 0, sizeof(*probe));
	fd = open(env->kvm_device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		probe->err = errno;
		probe->state = errno == ENOENT ? KVM_MISSING :
			       (errno == EACCES || errno == EPERM) ? KVM_NO_ACCESS : KVM_BROKEN;
		return;
	}
	probe->api_version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (probe->api_version < 0)
		probe->err = errno;
	/* KVM's API: MAX_VCPUS, else NR_VCPUS (the recommended number), else 4. */
	probe->max_vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (probe->max_vcpus <= 0)
		probe->max_vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (probe->max_vcpus <= 0)
		probe->max_vcpus = 4;
	close(fd);
	if (probe->api_version != KVM_API_VERSION) {
		probe->state = KVM_BROKEN;
		return;
	}
	/*
	 * PVM (a KVM for guests inside a VM without nested virtualisation)
	 * answers like KVM, but ordinary guests hang after the boot loader.
	 */
	probe->state = stat(env->pvm_marker, &st) == 0 ? KVM_PVM : KVM_USABLE;
}

const char *kvm_problem(const struct host_env *env, const struct kvm_probe *probe,
			char *buf, size_t n)
{
	switch (probe->state) {
	case KVM_USABLE:
		snprintf(buf, n, "%s is usable (KVM API version %d)", env->kvm_device,
			 probe->api_version);
		break;
	case KVM_MISSING:
		snprintf(buf, n, "%s does not exist (no KVM on this host, or the kvm "
			 "module is not loaded)", env->kvm_device);
		break;
	case KVM_NO_ACCESS:
		snprintf(buf, n, "%s is not accessible (%s)", env->kvm_device,
			 strerror(probe->err));
		break;
	case KVM_BROKEN:
		if (probe->err)
			snprintf(buf, n, "%s does not work as KVM (%s)", env->kvm_device,
				 strerror(probe->err));
		else
			snprintf(buf, n, "%s answers KVM API version %d, not %d",
				 env->kvm_device, probe->api_version, KVM_API_VERSION);
		break;
	case KVM_PVM:
		snprintf(buf, n, "this host's KVM is PVM (%s exists): ordinary guests hang "
			 "after the boot loader", env->pvm_marker);
		break;
	}
	return buf;
}

const char *kvm_fix(const struct kvm_probe *probe)
{
	if (probe->state == KVM_NO_ACCESS)
		return "add yourself to the 'kvm' group (sudo adduser $USER kvm, then log in "
		       "again), or use -o accel=tcg (software emulation) or accel = auto";
	return "use -o accel=tcg (software emulation) or accel = auto";
}

char *host_find_program(const char *program)
{
	const char *path, *p, *end;

	if (strchr(program, '/')) {
		struct stat st;

		if (stat(program, &st) < 0)
			return NULL;
		if (!S_ISREG(st.st_mode) || access(program, X_OK) < 0) {
			errno = EACCES;
			return NULL;
		}
		return xstrdup(program);
	}
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	errno = ENOENT;
	for (p = path; ; p = end + 1) {
		struct strbuf sb = STRBUF_INIT;
		struct stat st;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end == p)
			sb_adds(&sb, ".");
		else
			sb_add(&sb, p, (size_t)(end - p));
		sb_addf(&sb, "/%s", program);
		if (stat(sb.buf, &st) == 0 && S_ISREG(st.st_mode) && access(sb.buf, X_OK) == 0)
			return sb_detach(&sb);
		sb_release(&sb);
		if (!*end)
			break;
	}
	errno = ENOENT;
	return NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before DEADLINE, for poll. */
static int ms_left(long long deadline)
{
	long long left = deadline - now_ms();

	return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* Read FD into BUF until EOF, a full BUF or DEADLINE (then 1). */
static int read_by(int fd, char *buf, size_t n, size_t *len, long long deadline)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t got;

	while (*len + 1 < n) {
		int r = poll(&p, 1, ms_left(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return 1;
		if (r < 0)
			return 0;
		got = read(fd, buf + *len, n - 1 - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		*len += (size_t)got;
	}
	return 0;
}

/* Reap PID by DEADLINE: 0 with its *STATUS, or 1 when it is still running. */
static int reap_by(pid_t pid, int *status, long long deadline)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return 0;       /* not ours to wait for: nothing to kill either */
		if (r == 0 && ms_left(deadline) == 0)
			return 1;
		if (r == 0)
			poll(NULL, 0, ms_left(deadline) < 10 ? ms_left(deadline) : 10);
	}
}

int host_qemu_version(const char *path, char *buf, size_t n)
{
	long long deadline = now_ms() + HOST_QEMU_VERSION_SECONDS * 1000LL;
	char *prog = xstrdup(path), version[] = "--version";
	char *argv[] = { prog, version, NULL };
	struct spawn sp = SPAWN_INIT;
	int fds[2], status = 0, late;
	size_t len = 0;
	pid_t pid;

	if (n == 0 || pipe2(fds, O_CLOEXEC) < 0) {
		free(prog);
		return -1;
	}
	sp.argv = argv;
	sp.in = sp.err = SPAWN_DEVNULL;
	sp.out = fds[1];
	sp.new_group = 1;           /* so a time-out kills what it started too */
	if (spawn_start(&sp, &pid) < 0) {
		close(fds[0]);
		close(fds[1]);
		free(prog);
		return -1;
	}
	free(prog);
	close(fds[1]);
	late = read_by(fds[0], buf, n, &len, deadline);
	close(fds[0]);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!late)
		late = reap_by(pid, &status, deadline);
	if (late) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return HOST_QEMU_NO_ANSWER;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && buf[0] ? 0 : -1;
}

unsigned long long host_memory_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return 0;
	return (unsigned long long)pages * (unsigned long long)size >> 20;
}
