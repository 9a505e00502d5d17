/*
 * The state of VMs that live in the background (vmlaunch start): one
 * owner-only directory per VM under a per-user runtime directory,
 *
 *   $XDG_RUNTIME_DIR/vmlaunch/NAME/    (else /tmp/vmlaunch-UID/NAME/)
 *     lock        held by the VM's supervisor while it lives: the proof of life
 *     state       what the VM was started as (key=value lines)
 *     qmp.sock    QEMU's QMP control socket
 *     serial.sock the console, unless the config names a socket of its own
 *     qemu.log    QEMU's messages
 *     pid         QEMU's pid and start time (pid reuse is detected)
 *     exit        QEMU's end, once it ended: "exit N" or "signal N"
 *
 * Every directory is checked on its descriptor (ours, owner-only, not a
 * symlink); files in it are opened and removed through that descriptor.
 * Nothing here trusts a file for whether a VM lives: the lock says.
 */
#ifndef VMLAUNCH_VMSTATE_H
#define VMLAUNCH_VMSTATE_H

#include <sys/types.h>

#include "strbuf.h"

#define VMSTATE_NAME_MAX 64

/* The per-user runtime directory, created if missing and verified. */
struct vmroot {
	char *path;
	int fd;
};

/* One VM's directory. */
struct vmdir {
	char *name;
	char *path;
	int fd;
	int lock;          /* our lock descriptor when we hold it, or -1 */
};

/* Is NAME a VM name (what a config's name may be: no '/', no "..")? */
int vmstate_name_ok(const char *name);

/*
 * Open (with CREATE: make) the runtime directory.  Returns 0; -1 with the
 * reason in WHY (a symlink, another user's, writable by others...), or 1
 * when it does not exist and CREATE is 0.
 */
int vmroot_open(struct vmroot *root, int create, struct strbuf *why);
void vmroot_close(struct vmroot *root);

/*
 * Make the directory of NAME and take its lock.  Returns 0; 1 when a live
 * VM of that name exists; -1 with WHY.  A dead VM's directory is removed
 * first.
 */
int vmdir_create(struct vmroot *root, const char *name, struct vmdir *vm, struct strbuf *why);

/* Open an existing VM directory: 0; 1 when there is none; -1 with WHY. */
int vmdir_open(struct vmroot *root, const char *name, struct vmdir *vm, struct strbuf *why);

/* Does a supervisor hold the VM's lock?  1 alive, 0 dead. */
int vmdir_alive(const struct vmdir *vm);

/*
 * Remove the VM's files and directory (through its descriptor), when we
 * hold its lock or it is dead, as checked under the runtime directory's
 * lock; returns 1 when removed.
 */
int vmdir_remove(struct vmroot *root, struct vmdir *vm);
void vmdir_close(struct vmdir *vm);

/* A new file NAME in the VM's directory (O_EXCL, owner-only); CLOEXEC or not. */
int vmdir_create_file(const struct vmdir *vm, const char *name, int cloexec);

/* Write CONTENT to NAME in the VM's directory, replacing it atomically. */
int vmdir_write(const struct vmdir *vm, const char *name, const char *content);

/* Read NAME from the VM's directory (at most 64 KiB): a string, or NULL. */
char *vmdir_read(const struct vmdir *vm, const char *name);

/* The value of KEY in "key=value" lines TEXT (the first), or NULL; caller frees. */
char *vmstate_get(const char *text, const char *key);

/* The start time of process PID (clock ticks since boot), or 0. */
unsigned long long vmstate_proc_start(pid_t pid);

/* List the VM names in ROOT (sorted); returns the count, names in *NAMES. */
size_t vmroot_list(struct vmroot *root, char ***names);

#endif
