/*
 * Starting a child program: one way for every fork and exec of vmlaunch
 * (after git's run-command).  A close-on-exec pipe tells the parent
 * exactly why exec failed, instead of guessing from status 127.
 */
#ifndef VMLAUNCH_SPAWN_H
#define VMLAUNCH_SPAWN_H

#include <sys/types.h>

#define SPAWN_INHERIT (-1)   /* the descriptor stays vmlaunch's own */
#define SPAWN_DEVNULL (-2)   /* /dev/null */

struct spawn {
	char *const *argv;      /* argv[0] is looked up in PATH */
	int in, out, err;       /* for descriptors 0, 1, 2: a descriptor or SPAWN_* */
	int new_group;          /* the child leads a process group of its own */
	int death_signal;       /* sent to the child when vmlaunch dies; 0: none */
	int umask_077;          /* files the child creates are the owner's alone */
};

#define SPAWN_INIT { NULL, SPAWN_INHERIT, SPAWN_INHERIT, SPAWN_INHERIT, 0, 0, 0 }

/*
 * Fork and exec SP.  In the child, signals are unblocked, SIGPIPE and
 * SIGXFSZ are back to their defaults, and only descriptors 0-2 and those
 * without close-on-exec are inherited.  Returns 0 with *PID set, or -1 with
 * errno: the errno of exec (ENOENT: no such program) or of fork/pipe.
 */
int spawn_start(const struct spawn *sp, pid_t *pid);

#endif
