/*
 * VMs that live in the background: vmlaunch start, list, status, stop and
 * exec (see vmlaunch(1), BACKGROUND VMS).  A started VM is a directory of
 * vmstate.h held alive by a small supervisor process of vmlaunch's, which
 * is QEMU's parent, holds the VM's lock while QEMU lives, and records how
 * QEMU ended.  Everything about a VM's state is asked of QEMU (QMP) and of
 * the lock, never taken from a file alone.
 */
#ifndef VMLAUNCH_VMCTL_H
#define VMLAUNCH_VMCTL_H

#include "diag.h"
#include "host.h"

/* Each takes the command line from its command word on (argv[0]). */
int vmctl_start(int argc, char **argv, const char *cwd, const struct host_env *env,
		struct diag *d);
int vmctl_list(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d);
int vmctl_status(int argc, char **argv, const char *cwd, const struct host_env *env,
		 struct diag *d);
int vmctl_stop(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d);
/* vmlaunch save [--stop] [--timeout S] NAME FILE: the VM's whole state into FILE. */
int vmctl_save(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d);
int vmctl_exec(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d);

/*
 * The console socket (and with LOG, its boot log) of the started VM NAME,
 * for vmlaunch console NAME: 0; or an exit status after reporting.
 */
int vmctl_console_target(const char *name, char **socket, char **log, struct diag *d);

/* Is there a started VM (alive or not yet cleaned up) named NAME? */
int vmctl_exists(const char *name);

#endif
