/*
 * Running QEMU as a child: its own process group, dies with vmlaunch,
 * stopped politely then firmly, always reaped.  Signals reach the poll
 * loop as file-descriptor events (signalfd).
 */
#ifndef VMLAUNCH_SUPERVISE_H
#define VMLAUNCH_SUPERVISE_H

#include <sys/types.h>

struct child {
	pid_t pid;          /* also its process group; 0 when none */
	int reaped;
	int status;         /* wait status, once reaped */
};

/*
 * Start ARGV in a new process group that dies with vmlaunch, stdin from
 * /dev/null, stdout and stderr into LOG_FD (-1: inherited).  Returns 0,
 * or -1 with errno (exec's own: ENOENT when there is no such program).
 */
int child_spawn(struct child *c, char *const argv[], int log_fd);

/* Reap C if it has exited; returns 1 when it is (or was already) reaped. */
int child_poll(struct child *c);

/*
 * Stop C: "quit" over its QMP socket QMP_PATH (if any; SIGTERM at once when
 * QEMU does not take it), then SIGTERM to its process group, then SIGKILL,
 * each after GRACE_MS; always reaped.
 */
void child_stop(struct child *c, const char *qmp_path, int grace_ms);

/* child_stop for N children at once: the grace periods run side by side. */
void children_stop(struct child *const *cs, const char *const *qmp_paths, size_t n,
		   int grace_ms);

/*
 * QEMU's run state ("running", "paused", "io-error", ...) asked over the QMP
 * socket at PATH, into BUF.  0, or -1 when there was no answer within MS.
 */
int qmp_run_state(const char *path, char *buf, size_t n, int ms);

/*
 * Block the signals that end vmlaunch by default (INT, TERM, HUP, QUIT,
 * USR1, USR2, ALRM, VTALRM, PROF, XCPU) and SIGCHLD; a signalfd for them.
 */
int signals_open(void);
/* The next pending signal number from FD, or 0. */
int signals_read(int fd);

/* Monotonic time in seconds. */
double now_seconds(void);

#endif
