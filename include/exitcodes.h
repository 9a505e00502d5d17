/* Exit statuses of vmlaunch: see vmlaunch(1) and CLI.md. */
#ifndef VMLAUNCH_EXITCODES_H
#define VMLAUNCH_EXITCODES_H

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 64,       /* bad option, missing argument */
	EXIT_CONFIG = 65,      /* invalid config: syntax or value */
	EXIT_NOINPUT = 66,     /* a file named by the config is missing or unreadable */
	EXIT_NOVM = 68,        /* no started VM of that name (sysexits' "host unknown") */
	EXIT_UNAVAILABLE = 69, /* QEMU not found, KVM requested but unusable, socket in use */
	EXIT_INTERNAL = 70,
	EXIT_OSERR = 71,       /* fork, socket, ... failed */
	EXIT_TIMEOUT = 124,    /* as timeout(1) */
};

#endif
