/*
 * vmnetperf — TCP throughput and latency between a host and its guest.
 *
 * The host runs the server, the guest the client, and every clock that
 * matters is the host's: under TCG the guest's clock is not to be trusted.
 * The guest only connects out (to the gateway 10.0.2.2 on QEMU's user
 * networking, which QEMU maps to the host's 127.0.0.1; to the host's tap
 * address otherwise), so no port forwarding is needed.
 *
 *   host:  vmnetperf server [-b ADDR] [-p PORT] [-t SECONDS] [-n ROUNDS]
 *                           [-r REPEATS] [-w SECONDS]
 *   guest: vmnetperf client [-w SECONDS] HOST PORT
 *
 * Protocol (version 1).  Each test is one TCP connection from the client.
 * The client opens with the line "vmnetperf 1"; the server answers with one
 * command line and the test follows:
 *
 *   g2h       guest to host: the client sends data until the server, after
 *             its test time, sends "stop"; the client then shuts down its
 *             side and the server reads to the end.  The rate is the bytes
 *             received between the first and the last read of the test time.
 *   h2g       host to guest: the server sends data for its test time, then
 *             shuts down its side; the client reads to the end and answers
 *             "got N".  The rate is the bytes sent over the time from the
 *             first send to that answer (so every byte has arrived).
 *   rtt N     N rounds of one byte from the server, echoed by the client
 *             (TCP_NODELAY on both ends); the server reports the median.
 *   bye       no more tests: the client exits 0.
 *
 * The server runs REPEATS times g2h, h2g and rtt, then says bye and exits.
 * It prints "vmnetperf: listening on ADDR:PORT" first (PORT 0 picks a free
 * one), then one "result test=..." line of key=value pairs per test.  Every
 * wait has a timeout (the server's -w for the first client, else 30 s for
 * any I/O to make progress; the client's -w for its I/O), so neither end
 * can hang.  Exit status: 0 all tests done; 1 a test failed (the reason
 * on stderr); 64 usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROTO_HELLO "vmnetperf 1"
#define CHUNK (64 * 1024)
#define LINE_MAX_LEN 64
#define MAX_ROUNDS 1000000UL

struct server_opts {
	const char *addr;
	unsigned long port;
	double seconds;         /* per throughput test */
	unsigned long rounds;   /* per latency test */
	unsigned long repeats;
	double wait;            /* first client, and any I/O */
};

static int io_timeout_ms = 30000;
static char buf[CHUNK];

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vmnetperf: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* poll() one fd: its revents, 0 on timeout, -1 on error (reported). */
static int wait_fd(int fd, short events, int timeout_ms, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		errorf("%s: poll: %s", what, strerror(errno));
		return -1;
	}
	if (n == 0)
		errorf("%s: nothing happened for %d s", what, timeout_ms / 1000);
	return n ? p.revents : -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int send_all(int fd, const void *data, size_t len, const char *what)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, io_timeout_ms, what) < 0)
				return -1;
			continue;
		}
		if (n < 0) {
			errorf("%s: send: %s", what, strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Up to len bytes: the count, 0 at the end of the stream, -1 on error. */
static ssize_t recv_some(int fd, void *data, size_t len, const char *what)
{
	for (;;) {
		ssize_t n = recv(fd, data, len, 0);

		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			errorf("%s: recv: %s", what, strerror(errno));
			return -1;
		}
		if (wait_fd(fd, POLLIN, io_timeout_ms, what) < 0)
			return -1;
	}
}

/* One short control line, without its '\n' (read a byte at a time so that
 * nothing after it is consumed). */
static int recv_line(int fd, char *line, size_t size, const char *what)
{
	size_t len = 0;

	for (;;) {
		char c;
		ssize_t n = recv_some(fd, &c, 1, what);

		if (n < 0)
			return -1;
		if (n == 0) {
			errorf("%s: the connection closed %s", what,
			       len ? "in the middle of a line" : "before a line came");
			return -1;
		}
		if (c == '\n')
			break;
		if (len + 1 >= size) {
			errorf("%s: line too long", what);
			return -1;
		}
		line[len++] = c;
	}
	line[len] = '\0';
	return 0;
}

/* Read until the peer closes its side: the bytes read, or -1. */
static long long drain(int fd, const char *what)
{
	long long total = 0;
	ssize_t n;

	while ((n = recv_some(fd, buf, sizeof buf, what)) > 0)
		total += n;
	return n < 0 ? -1 : total;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int parse_addr(const char *host, unsigned long port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		errorf("'%s' is not an IPv4 address", host);
		return -1;
	}
	return 0;
}

/* ---- client (guest) ---------------------------------------------------- */

static int client_connect(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), err = 0;
	socklen_t len = sizeof err;

	if (fd < 0 || set_nonblock(fd) < 0) {
		errorf("socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
		} else if (wait_fd(fd, POLLOUT, io_timeout_ms, "connect") < 0) {
			goto fail;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
			err = errno;
		}
	}
	if (err) {
		errorf("connect to %s:%u: %s", inet_ntoa(sa->sin_addr),
		       (unsigned)ntohs(sa->sin_port), strerror(err));
		goto fail;
	}
	nodelay(fd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Send until the server's "stop", then close our side and wait for its. */
static int client_g2h(int fd)
{
	long long sent = 0;
	char line[LINE_MAX_LEN];

	memset(buf, 'g', sizeof buf);
	for (;;) {
		int ev = wait_fd(fd, POLLIN | POLLOUT, io_timeout_ms, "g2h");

		if (ev < 0)
			return -1;
		if (ev & POLLIN) {
			if (recv_line(fd, line, sizeof line, "g2h stop") < 0)
				return -1;
			if (strcmp(line, "stop") != 0) {
				errorf("g2h: expected 'stop', got '%s'", line);
				return -1;
			}
			break;
		}
		if (ev & (POLLERR | POLLHUP)) {
			errorf("g2h: the connection failed");
			return -1;
		}
		ssize_t n = send(fd, buf, sizeof buf, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			errorf("g2h: send: %s", strerror(errno));
			return -1;
		}
		if (n > 0)
			sent += n;
	}
	if (shutdown(fd, SHUT_WR) < 0 || drain(fd, "g2h end") < 0)
		return -1;
	printf("vmnetperf: g2h sent %lld bytes\n", sent);
	return 0;
}

static int client_h2g(int fd)
{
	char line[LINE_MAX_LEN];
	long long got = drain(fd, "h2g");

	if (got < 0)
		return -1;
	snprintf(line, sizeof line, "got %lld\n", got);
	if (send_all(fd, line, strlen(line), "h2g answer") < 0)
		return -1;
	printf("vmnetperf: h2g received %lld bytes\n", got);
	return 0;
}

static int client_rtt(int fd, unsigned long rounds)
{
	for (unsigned long i = 0; i < rounds; i++) {
		char c;
		ssize_t n = recv_some(fd, &c, 1, "rtt");

		if (n == 0)
			errorf("rtt: the connection closed after %lu of %lu rounds", i, rounds);
		if (n <= 0 || send_all(fd, &c, 1, "rtt") < 0)
			return -1;
	}
	printf("vmnetperf: rtt echoed %lu rounds\n", rounds);
	return 0;
}

static int client_test(int fd, const char *cmd)
{
	unsigned long rounds;
	char extra;

	if (strcmp(cmd, "g2h") == 0)
		return client_g2h(fd);
	if (strcmp(cmd, "h2g") == 0)
		return client_h2g(fd);
	if (sscanf(cmd, "rtt %lu%c", &rounds, &extra) == 1 && rounds <= MAX_ROUNDS)
		return client_rtt(fd, rounds);
	errorf("unknown command from the server: '%s'", cmd);
	return -1;
}

static int client_run(const char *host, unsigned long port)
{
	struct sockaddr_in sa;
	char cmd[LINE_MAX_LEN];

	if (parse_addr(host, port, &sa) < 0)
		return -1;
	for (unsigned tests = 0;; tests++) {
		int fd = client_connect(&sa), rc;

		if (fd < 0)
			return -1;
		rc = send_all(fd, PROTO_HELLO "\n", strlen(PROTO_HELLO "\n"), "hello");
		if (rc == 0)
			rc = recv_line(fd, cmd, sizeof cmd, "command");
		if (rc == 0 && strcmp(cmd, "bye") == 0) {
			close(fd);
			printf("vmnetperf: done, %u tests\n", tests);
			return 0;
		}
		if (rc == 0)
			rc = client_test(fd, cmd);
		close(fd);
		fflush(stdout);
		if (rc < 0)
			return -1;
	}
}

/* ---- server (host) ----------------------------------------------------- */

static int server_listen(const struct server_opts *o)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd, one = 1;

	if (parse_addr(o->addr, o->port, &sa) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0 ||
	    set_nonblock(fd) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		errorf("listen on %s:%lu: %s", o->addr, o->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	printf("vmnetperf: listening on %s:%u\n", o->addr, (unsigned)ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

/* The next test's connection, its hello checked. */
static int server_accept(int lfd, int timeout_ms)
{
	char line[LINE_MAX_LEN];
	int fd;

	if (wait_fd(lfd, POLLIN, timeout_ms, "waiting for the client") < 0)
		return -1;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || set_nonblock(fd) < 0) {
		errorf("accept: %s", strerror(errno));
		goto fail;
	}
	nodelay(fd);
	if (recv_line(fd, line, sizeof line, "hello") < 0)
		goto fail;
	if (strcmp(line, PROTO_HELLO) != 0) {
		errorf("the client said '%s', not '%s'", line, PROTO_HELLO);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static void report_rate(const char *test, unsigned long rep, long long bytes, double secs)
{
	printf("result test=%s repeat=%lu bytes=%lld seconds=%.3f mbit_s=%.2f\n",
	       test, rep, bytes, secs, secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0.0);
}

static int server_g2h(int fd, const struct server_opts *o, unsigned long rep)
{
	long long bytes = 0;
	double t0 = 0, t1 = 0;
	ssize_t n;

	if (send_all(fd, "g2h\n", 4, "g2h") < 0)
		return -1;
	do {
		n = recv_some(fd, buf, sizeof buf, "g2h");
		if (n <= 0) {
			if (n == 0)
				errorf("g2h: the client closed during the test");
			return -1;
		}
		t1 = now();
		if (t0 == 0)
			t0 = t1;    /* the clock starts with the first data */
		else
			bytes += n;
	} while (t1 - t0 < o->seconds);
	if (send_all(fd, "stop\n", 5, "g2h stop") < 0 || drain(fd, "g2h end") < 0)
		return -1;
	report_rate("g2h", rep, bytes, t1 - t0);
	return 0;
}

static int server_h2g(int fd, const struct server_opts *o, unsigned long rep)
{
	char line[LINE_MAX_LEN], want[LINE_MAX_LEN];
	long long sent = 0;
	double t0;

	if (send_all(fd, "h2g\n", 4, "h2g") < 0)
		return -1;
	memset(buf, 'h', sizeof buf);
	t0 = now();
	while (now() - t0 < o->seconds) {
		if (send_all(fd, buf, sizeof buf, "h2g") < 0)
			return -1;
		sent += (long long)sizeof buf;
	}
	if (shutdown(fd, SHUT_WR) < 0) {
		errorf("h2g: shutdown: %s", strerror(errno));
		return -1;
	}
	if (recv_line(fd, line, sizeof line, "h2g answer") < 0)
		return -1;
	double t1 = now();
	snprintf(want, sizeof want, "got %lld", sent);
	if (strcmp(line, want) != 0) {
		errorf("h2g: sent %lld bytes, the client said '%s'", sent, line);
		return -1;
	}
	report_rate("h2g", rep, sent, t1 - t0);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int server_rtt(int fd, const struct server_opts *o, unsigned long rep)
{
	double *rtt = malloc(o->rounds * sizeof *rtt), med;
	char line[LINE_MAX_LEN];
	unsigned long i, n = o->rounds;

	if (!rtt) {
		errorf("rtt: out of memory");
		return -1;
	}
	snprintf(line, sizeof line, "rtt %lu\n", n);
	if (send_all(fd, line, strlen(line), "rtt") < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		char c = (char)('a' + i % 26), back;
		double t0 = now();
		ssize_t got;

		if (send_all(fd, &c, 1, "rtt") < 0 || (got = recv_some(fd, &back, 1, "rtt")) < 0)
			goto fail;
		if (got == 0 || back != c) {
			errorf("rtt: round %lu: %s", i + 1,
			       got ? "the echo differs" : "the client closed");
			goto fail;
		}
		rtt[i] = (now() - t0) * 1e6;
	}
	qsort(rtt, n, sizeof *rtt, cmp_double);
	med = n % 2 ? rtt[n / 2] : (rtt[n / 2 - 1] + rtt[n / 2]) / 2;
	printf("result test=rtt repeat=%lu rounds=%lu median_us=%.1f min_us=%.1f max_us=%.1f\n",
	       rep, n, med, rtt[0], rtt[n - 1]);
	free(rtt);
	return 0;
fail:
	free(rtt);
	return -1;
}

typedef int (*server_test)(int fd, const struct server_opts *o, unsigned long rep);

static int server_run(const struct server_opts *o)
{
	static const server_test tests[] = { server_g2h, server_h2g, server_rtt };
	int lfd = server_listen(o), fd, rc = -1;
	int first_ms = (int)(o->wait * 1000);

	if (lfd < 0)
		return -1;
	for (unsigned long rep = 1; rep <= o->repeats; rep++) {
		for (size_t t = 0; t < sizeof tests / sizeof tests[0]; t++) {
			fd = server_accept(lfd, rep == 1 && t == 0 ? first_ms : io_timeout_ms);
			if (fd < 0)
				goto out;
			rc = tests[t](fd, o, rep);
			close(fd);
			fflush(stdout);
			if (rc < 0)
				goto out;
		}
	}
	rc = -1;
	fd = server_accept(lfd, io_timeout_ms);
	if (fd >= 0) {
		rc = send_all(fd, "bye\n", 4, "bye");
		close(fd);
	}
	if (rc == 0)
		printf("vmnetperf: done\n");
out:
	close(lfd);
	return rc;
}

/* ---- command line ------------------------------------------------------ */

static int usage(FILE *to, int status)
{
	fputs("usage: vmnetperf server [-b ADDR] [-p PORT] [-t SECONDS] [-n ROUNDS]\n"
	      "                        [-r REPEATS] [-w SECONDS]\n"
	      "       vmnetperf client [-w SECONDS] HOST PORT\n"
	      "server (host side): listen on ADDR:PORT [127.0.0.1:0, 0 = any free port];\n"
	      "  run REPEATS [1] times: guest->host and host->guest throughput for\n"
	      "  SECONDS [2] each and ROUNDS [1000] one-byte round trips; print the results.\n"
	      "client (guest side): connect to the server and do what it asks.\n"
	      "-w: the server waits SECONDS for the client's first connection [120];\n"
	      "  the client, for any I/O to make progress [30].\n",
	      to);
	return status;
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= lo && *out <= hi)) {
		errorf("'%s' is not a number from %g to %g", s, lo, hi);
		return -1;
	}
	return 0;
}

static int whole(const char *s, double lo, double hi, unsigned long *out)
{
	double d;

	if (num(s, lo, hi, &d) < 0)
		return -1;
	if (d != (double)(unsigned long)d) {
		errorf("'%s' is not a whole number", s);
		return -1;
	}
	*out = (unsigned long)d;
	return 0;
}

static int main_server(int argc, char **argv)
{
	struct server_opts o = { "127.0.0.1", 0, 2.0, 1000, 1, 120.0 };
	int c, bad = 0;

	while ((c = getopt(argc, argv, "b:p:t:n:r:w:h")) != -1) {
		switch (c) {
		case 'b': o.addr = optarg; break;
		case 'p': bad |= whole(optarg, 0, 65535, &o.port); break;
		case 't': bad |= num(optarg, 0.05, 3600, &o.seconds); break;
		case 'n': bad |= whole(optarg, 1, MAX_ROUNDS, &o.rounds); break;
		case 'r': bad |= whole(optarg, 1, 1000, &o.repeats); break;
		case 'w': bad |= num(optarg, 1, 86400, &o.wait); break;
		default: return usage(stderr, 64);
		}
	}
	if (bad || optind != argc)
		return usage(stderr, 64);
	return server_run(&o) < 0 ? 1 : 0;
}

static int main_client(int argc, char **argv)
{
	unsigned long port;
	double wait;
	int c;

	while ((c = getopt(argc, argv, "w:h")) != -1) {
		if (c != 'w' || num(optarg, 1, 86400, &wait) < 0)
			return usage(stderr, 64);
		io_timeout_ms = (int)(wait * 1000);
	}
	if (argc - optind != 2 || whole(argv[optind + 1], 1, 65535, &port) < 0)
		return usage(stderr, 64);
	return client_run(argv[optind], port) < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		return usage(stdout, 0);
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return main_server(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "client") == 0)
		return main_client(argc - 1, argv + 1);
	return usage(stderr, 64);
}
