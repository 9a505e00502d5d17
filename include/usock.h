/*
 * Unix stream sockets named by a path: connecting to one, and asking,
 * without ever waiting, whether anyone listens there.
 */
#ifndef VMLAUNCH_USOCK_H
#define VMLAUNCH_USOCK_H

#include <stddef.h>

/* The longest path a unix socket address holds (107 on Linux). */
size_t usock_path_max(void);

/* usock_connect flags */
#define USOCK_NONBLOCK 1   /* fail with EAGAIN instead of queueing on a full backlog */

/*
 * Connect to the socket PATH: a close-on-exec descriptor (non-blocking with
 * USOCK_NONBLOCK), or -1 with errno (ENAMETOOLONG: PATH does not fit).
 */
int usock_connect(const char *path, int flags);

enum usock_state {
	USOCK_STALE,       /* a socket file nobody listens on (ECONNREFUSED) */
	USOCK_LISTENING,   /* a listener took the connection into its backlog */
	USOCK_BUSY,        /* a listener whose backlog is full: not accepting (EAGAIN) */
	USOCK_UNKNOWN,     /* the probe failed: errno says why */
};

/*
 * Is anyone listening on PATH?  Never blocks: a listener that does not
 * accept (QEMU while a console is attached) answers USOCK_BUSY at once.
 */
enum usock_state usock_probe(const char *path);

#endif
