/* Probing unix sockets (usock): on real sockets in a private directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"
#include "usock.h"
#include "xalloc.h"

static char *dir;

static char *in_dir(const char *name)
{
	if (!dir) {
		char tmpl[] = "/tmp/vmlaunch-unit.XXXXXX";

		dir = xstrdup(mkdtemp(tmpl) ? tmpl : "/nonexistent");
	}
	return xasprintf("%s/%s", dir, name);
}

/* A listener with backlog 1 that never accepts, and its queue filled. */
static void test_usock_probe(void)
{
	char *path = in_dir("probe.sock");
	struct sockaddr_un sa;
	int srv, queued[8], n = 0, i;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	CHECK(usock_probe(path) == USOCK_UNKNOWN && errno == ENOENT);
	srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(srv >= 0 && bind(srv, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(usock_probe(path) == USOCK_STALE);        /* bound, not listening */
	CHECK(listen(srv, 1) == 0);
	CHECK(usock_probe(path) == USOCK_LISTENING);
	while (n < 8 && (queued[n] = usock_connect(path, USOCK_NONBLOCK)) >= 0)
		n++;
	CHECK(n < 8 && errno == EAGAIN);
	CHECK(usock_probe(path) == USOCK_BUSY);         /* at once, not after a wait */
	for (i = 0; i < n; i++)
		close(queued[i]);
	close(srv);
	CHECK(usock_probe(path) == USOCK_STALE);
	CHECK(usock_connect("/tmp/a-path-far-too-long-for-a-unix-socket-address-because-"
			    "sun-path-holds-only-108-bytes-in-all-on-linux.sock", 0) < 0 &&
	      errno == ENAMETOOLONG);
	unlink(path);
	free(path);
}

static void test_cleanup(void)
{
	CHECK(rmdir(dir) == 0);
	free(dir);
	dir = NULL;
}

const struct unit_case serial_cases[] = {
	{ "usock/probe", test_usock_probe },
	{ "serial/cleanup", test_cleanup },
	{ NULL, NULL },
};
