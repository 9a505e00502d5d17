/* Facts about the host: KVM, QEMU.  The only module that asks the kernel. */
#ifndef VMLAUNCH_HOST_H
#define VMLAUNCH_HOST_H

#include <stddef.h>

/* Paths the host checks look at; the environment can move them (for tests). */
struct host_env {
	const char *kvm_device;   /* /dev/kvm, or $VMLAUNCH_KVM_DEVICE */
	const char *pvm_marker;   /* /sys/module/kvm_pvm, or $VMLAUNCH_PVM_MARKER */
	const char *sys_class_net; /* /sys/class/net, or $VMLAUNCH_SYS_CLASS_NET */
	unsigned cpus;            /* online CPUs, or $VMLAUNCH_HOST_CPUS; 0 unknown */
};

void host_env_from_environment(struct host_env *env);

enum kvm_state {
	KVM_USABLE,
	KVM_MISSING,      /* no device node */
	KVM_NO_ACCESS,    /* open failed: permissions */
	KVM_BROKEN,       /* opens, but is not a working KVM */
	KVM_PVM,          /* works, but is PVM: ordinary guests hang */
};

struct kvm_probe {
	enum kvm_state state;
	int err;          /* errno of the failing step */
	int api_version;  /* KVM_GET_API_VERSION when it opened */
	int max_vcpus;    /* the most vCPUs KVM gives one VM, when it opened */
};

void host_probe_kvm(const struct host_env *env, struct kvm_probe *probe);

/*
 * Why CPUS vCPUs do not fit this host: NULL when they do, else a sentence
 * into BUF.  *FATAL says whether it is an error (more than KVM gives one VM:
 * QEMU would refuse) or a warning (more vCPUs than host CPUs: they share
 * them).  KVM_MAX 0 when KVM is not used.  Pure.
 */
const char *host_cpus_problem(unsigned cpus, unsigned host_cpus, int kvm_max, int *fatal,
			      char *buf, size_t n);

/* One sentence on why KVM cannot be used (state != KVM_USABLE). */
const char *kvm_problem(const struct host_env *env, const struct kvm_probe *probe,
			char *buf, size_t n);
/* The fix to suggest for that problem. */
const char *kvm_fix(const struct kvm_probe *probe);

/*
 * Find PROGRAM as execvp would: a name with '/' as is, else in $PATH.
 * Returns the path (caller frees) or NULL with errno set.
 */
char *host_find_program(const char *program);

/*
 * First line of "QEMU --version": 0, -1 (it failed or said nothing), or
 * HOST_QEMU_NO_ANSWER when it did not finish within HOST_QEMU_VERSION_SECONDS
 * (it is killed, with whatever it started, and reaped).
 */
#define HOST_QEMU_VERSION_SECONDS 5
#define HOST_QEMU_NO_ANSWER (-2)
int host_qemu_version(const char *path, char *buf, size_t n);

/* Physical memory in MiB, 0 if unknown. */
unsigned long long host_memory_mib(void);

#endif
