#include "usock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

size_t usock_path_max(void)
{
	return sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
}

int usock_connect(const char *path, int flags)
{
	struct sockaddr_un sa;
	size_t len = strlen(path);
	int fd, err;

	if (len > usock_path_max()) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    (flags & USOCK_NONBLOCK ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

enum usock_state usock_probe(const char *path)
{
	/*
	 * A blocking connect to a listener that has stopped accepting (QEMU
	 * with a console attached listens with a backlog of 1) waits forever.
	 */
	int fd = usock_connect(path, USOCK_NONBLOCK);

	if (fd >= 0) {
		close(fd);
		return USOCK_LISTENING;
	}
	if (errno == EAGAIN)
		return USOCK_BUSY;
	return errno == ECONNREFUSED ? USOCK_STALE : USOCK_UNKNOWN;
}
