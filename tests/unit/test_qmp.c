/*
 * The QMP client against fake QEMUs: a forked child that listens on a unix
 * socket, checks every line the client sends and answers from a script.
 * The child's exit status says whether the client sent what it should.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"
#include "unit.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, " \
	"\"capabilities\": [\"oob\"]}}\r\n"
#define CAPS "{\"execute\":\"qmp_capabilities\",\"id\":1}"

static char path[108];
static pid_t server = -1;

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the fake server's side (in the child: any mismatch is exit 1) ---- */

static void say(int fd, const char *text)
{
	size_t n = strlen(text);

	if (write(fd, text, n) != (ssize_t)n)
		_exit(2);
}

/* The next line from the client must be WANT. */
static void hear(int fd, const char *want)
{
	char line[4096];
	size_t n = 0;

	while (n + 1 < sizeof(line) && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	if (strcmp(line, want) != 0) {
		fprintf(stderr, "  fake QEMU heard '%s', wanted '%s'\n", line, want);
		_exit(1);
	}
}

/* Wait for the client to close its end. */
static void hear_close(int fd)
{
	char c;

	while (read(fd, &c, 1) == 1)
		;
}

static void open_session(int fd)
{
	say(fd, GREETING);
	hear(fd, CAPS);
	say(fd, "{\"return\": {}, \"id\": 1}\r\n");
}

/* Listen on a fresh PATH; the child accepts (when ACCEPT) and runs SCRIPT. */
static void start_server(void (*script)(int fd), int accept_it)
{
	struct sockaddr_un sa;
	int lfd, fd;

	snprintf(path, sizeof(path), "/tmp/vmlaunch-unit-qmp.%ld.sock", (long)getpid());
	unlink(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK(bind(lfd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(lfd, 1) == 0);
	fflush(NULL);
	server = fork();
	CHECK(server >= 0);
	if (server == 0) {
		signal(SIGPIPE, SIG_IGN);
		alarm(10);
		if (!accept_it)
			pause();
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(3);
		script(fd);
		_exit(0);
	}
	close(lfd);
}

/* The server's exit status (it is killed when it lingers past WAIT_MS). */
static int stop_server(int wait_ms)
{
	long long end = ms_now() + wait_ms;
	struct timespec pause_ts = { 0, 10 * 1000000 };
	int status = -1;
	pid_t got;

	while ((got = waitpid(server, &status, WNOHANG)) == 0 && ms_now() < end)
		nanosleep(&pause_ts, NULL);
	if (got == 0) {
		kill(server, SIGKILL);
		waitpid(server, &status, 0);
		status = -1;
	}
	unlink(path);
	server = -1;
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* qmp_open against SCRIPT: its status, its reason in WHY, its time in *MS. */
static int open_against(void (*script)(int fd), int accept_it, struct qmp *q, int timeout_ms,
			struct strbuf *why, long long *ms)
{
	long long t0;
	int status;

	start_server(script, accept_it);
	t0 = ms_now();
	status = qmp_open(q, path, timeout_ms, why);
	*ms = ms_now() - t0;
	return status;
}

#define WHY_HAS(why, words) do { \
	CHECK((why).buf && strstr((why).buf, words)); \
	if (!(why).buf || !strstr((why).buf, words)) \
		fprintf(stderr, "  reason '%s', want '%s'\n", (why).buf ? (why).buf : "", words); \
} while (0)

/* ---- scripts ---- */

static void silent(int fd) { sleep(5); (void)fd; }
static void garbage(int fd) { say(fd, "hello, this is not QEMU\n"); hear_close(fd); }
static void closes(int fd) { close(fd); }
static void not_greeting(int fd) { say(fd, "{\"return\": {}}\n"); hear_close(fd); }
static void array_line(int fd) { say(fd, "[1, 2]\n"); hear_close(fd); }

static void caps_refused(int fd)
{
	say(fd, GREETING);
	hear(fd, CAPS);
	say(fd, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}, \"id\": 1}\n");
	hear_close(fd);
}

static void test_open_failures(void)
{
	struct strbuf why = STRBUF_INIT;
	struct qmp q;
	long long ms;

	CHECK(open_against(silent, 1, &q, 300, &why, &ms) == QMP_TIMEOUT);
	WHY_HAS(why, "no QMP greeting within 300 ms");
	CHECK(ms >= 290 && ms < 2000);
	CHECK(q.fd == -1);
	stop_server(0);
	sb_release(&why);

	/* Never accepted: the connection waits in the backlog, like a busy QEMU. */
	CHECK(open_against(silent, 0, &q, 200, &why, &ms) == QMP_TIMEOUT);
	WHY_HAS(why, "no QMP greeting within 200 ms");
	CHECK(ms >= 190 && ms < 2000);
	stop_server(0);
	sb_release(&why);

	CHECK(open_against(garbage, 1, &q, 2000, &why, &ms) == QMP_FAILED);
	WHY_HAS(why, "not JSON: at byte 0");
	CHECK(stop_server(2000) == 0);
	sb_release(&why);

	CHECK(open_against(closes, 1, &q, 2000, &why, &ms) == QMP_CLOSED);
	WHY_HAS(why, "closed before its greeting");
	CHECK(ms < 1000);
	CHECK(stop_server(2000) == 0);
	sb_release(&why);

	CHECK(open_against(not_greeting, 1, &q, 2000, &why, &ms) == QMP_FAILED);
	WHY_HAS(why, "not a QMP greeting");
	CHECK(stop_server(2000) == 0);
	sb_release(&why);

	CHECK(open_against(array_line, 1, &q, 2000, &why, &ms) == QMP_FAILED);
	WHY_HAS(why, "not a JSON object");
	CHECK(stop_server(2000) == 0);
	sb_release(&why);

	CHECK(open_against(caps_refused, 1, &q, 2000, &why, &ms) == QMP_CMD_ERROR);
	WHY_HAS(why, "CommandNotFound: nope");
	CHECK(stop_server(2000) == 0);
	sb_release(&why);
	qmp_close(&q);                         /* harmless after a failed open */
}

static void test_nobody_listens(void)
{
	struct strbuf why = STRBUF_INIT;
	struct sockaddr_un sa;
	struct qmp q;
	int fd;

	/* A socket file left behind by a dead QEMU. */
	snprintf(path, sizeof(path), "/tmp/vmlaunch-unit-qmp.%ld.sock", (long)getpid());
	unlink(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CHECK(qmp_open(&q, path, 1000, &why) == QMP_CLOSED);
	WHY_HAS(why, "nobody listens");
	sb_release(&why);
	unlink(path);
	CHECK(qmp_open(&q, path, 1000, &why) == QMP_FAILED);
	WHY_HAS(why, "No such file");
	sb_release(&why);
}

/* Greeting byte by byte; events, a stale reply and replies; then events and EOF. */
static void conversation(int fd)
{
	const char *g = GREETING;

	for (; *g; g++) {
		if (write(fd, g, 1) != 1)
			_exit(2);
	}
	hear(fd, CAPS);
	say(fd, "{\"return\": {}, \"id\": 1}\n");
	hear(fd, "{\"execute\":\"query-status\",\"id\":2}");
	say(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\n"
		"\n{\"return\": {\"status\": \"stale\"}, \"id\": 99}\n"
		"{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": 2}\n");
	hear(fd, "{\"execute\":\"nope\",\"arguments\":{\"a\":[1,\"\\u0001\"]},\"id\":3}");
	say(fd, "{\"id\": 3, \"error\": {\"class\": \"CommandNotFound\", "
		"\"desc\": \"The command nope has not been found\"}}\n");
	hear(fd, "{\"execute\":\"system_powerdown\",\"id\":4}");
	say(fd, "{\"return\": {}, \"id\": 4}\n{\"event\": \"POWERDOWN\"}\n"
		"{\"event\": \"STOP\"}\n{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\n");
	close(fd);
}

static void test_conversation(void)
{
	struct strbuf why = STRBUF_INIT;
	struct json *res = NULL, *ev = NULL;
	struct qmp q;
	long long ms;

	CHECK(open_against(conversation, 1, &q, 2000, &why, &ms) == QMP_OK);
	CHECK(json_count(json_get(q.greeting, "version")) == 1);
	CHECK(qmp_execute(&q, "query-status", NULL, &res, &why, 2000) == QMP_OK);
	CHECK_STR(json_str(json_get(res, "status")), "running");
	json_free(res);
	CHECK(q.ev_count == 1);
	CHECK(qmp_wait_event(&q, "RESUME", 0, &ev, &why) == QMP_OK);   /* from the queue */
	CHECK(ev && json_get(ev, "timestamp") != NULL);
	json_free(ev);
	CHECK(qmp_execute(&q, "nope", "{ \"a\" : [1, \"\\u0001\"] }", &res, &why, 2000) ==
	      QMP_CMD_ERROR);
	CHECK_STR(json_str(json_get(res, "class")), "CommandNotFound");
	CHECK_STR(why.buf, "CommandNotFound: The command nope has not been found");
	json_free(res);
	sb_release(&why);
	CHECK(qmp_execute(&q, "system_powerdown", NULL, NULL, &why, 2000) == QMP_OK);
	CHECK(qmp_wait_event(&q, "SHUTDOWN", 2000, &ev, &why) == QMP_OK);
	CHECK(json_bool(json_get(json_get(ev, "data"), "guest"), 0) == 1);
	json_free(ev);
	CHECK(q.ev_count == 2);                /* POWERDOWN and STOP, read on the way */
	CHECK(qmp_wait_event(&q, "SHUTDOWN", 2000, NULL, &why) == QMP_CLOSED);
	WHY_HAS(why, "closed the QMP socket");
	sb_release(&why);
	CHECK(qmp_wait_event(&q, NULL, 0, &ev, &why) == QMP_OK);        /* still queued */
	CHECK_STR(json_str(json_get(ev, "event")), "POWERDOWN");
	json_free(ev);
	CHECK(qmp_execute(&q, "query-status", NULL, &res, &why, 2000) == QMP_CLOSED);
	CHECK(res == NULL);
	sb_release(&why);
	qmp_close(&q);
	qmp_close(&q);
	CHECK(stop_server(2000) == 0);
}

/* A reply that comes after its command timed out must not answer the next one. */
static void late_reply(int fd)
{
	open_session(fd);
	hear(fd, "{\"execute\":\"slow\",\"id\":2}");
	usleep(400 * 1000);
	say(fd, "{\"return\": \"late\", \"id\": 2}\n");
	hear(fd, "{\"execute\":\"fast\",\"id\":3}");
	say(fd, "{\"return\": \"fast\", \"id\": 3}\n");
	hear_close(fd);
}

static void test_timeouts(void)
{
	struct strbuf why = STRBUF_INIT;
	struct json *res = NULL;
	struct qmp q;
	long long ms, t0;

	CHECK(open_against(late_reply, 1, &q, 2000, &why, &ms) == QMP_OK);
	t0 = ms_now();
	CHECK(qmp_execute(&q, "slow", NULL, &res, &why, 150) == QMP_TIMEOUT);
	ms = ms_now() - t0;
	CHECK(ms >= 140 && ms < 1000);
	WHY_HAS(why, "no reply to slow within 150 ms");
	sb_release(&why);
	t0 = ms_now();
	CHECK(qmp_wait_event(&q, "SHUTDOWN", 100, NULL, &why) == QMP_TIMEOUT);
	ms = ms_now() - t0;
	CHECK(ms >= 90 && ms < 1000);
	WHY_HAS(why, "no SHUTDOWN event within 100 ms");
	sb_release(&why);
	CHECK(qmp_execute(&q, "fast", NULL, &res, &why, 2000) == QMP_OK);
	CHECK(res && res->type == JSON_STRING && strcmp(res->u.str.s, "fast") == 0);
	json_free(res);
	qmp_close(&q);
	CHECK(stop_server(2000) == 0);
}

static void bad_args(int fd)
{
	open_session(fd);
	hear(fd, "{\"execute\":\"ok\",\"id\":2}");    /* nothing else came first */
	say(fd, "{\"return\": {}, \"id\": 2}\n");
	hear_close(fd);
}

static void test_bad_args(void)
{
	static const char *const bad[] = { "[1]", "{} {\"execute\": \"quit\"}", "{\"a\":", "7", "" };
	struct strbuf why = STRBUF_INIT;
	struct json *res = NULL;
	struct qmp q;
	long long ms;
	size_t i;

	CHECK(open_against(bad_args, 1, &q, 2000, &why, &ms) == QMP_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(qmp_execute(&q, "quit", bad[i], &res, &why, 2000) == QMP_FAILED);
		WHY_HAS(why, "the arguments of quit are not a JSON object");
		sb_release(&why);
	}
	CHECK(qmp_execute(&q, "ok", NULL, &res, &why, 2000) == QMP_OK);
	json_free(res);
	qmp_close(&q);
	CHECK(stop_server(2000) == 0);
}

/* A reply of almost 1 MiB comes in many reads; one over 1 MiB is refused. */
#define BIG_HEAD "{\"id\": 2, \"return\": \""

static void big(int fd)
{
	static char text[QMP_MAX_MESSAGE + 64];
	size_t n = strlen(BIG_HEAD);

	open_session(fd);
	hear(fd, "{\"execute\":\"big\",\"id\":2}");
	memcpy(text, BIG_HEAD, n);
	memset(text + n, 'x', QMP_MAX_MESSAGE - n - 2);
	strcpy(text + QMP_MAX_MESSAGE - 2, "\"}\r\n");     /* exactly 1 MiB, then CR LF */
	say(fd, text);
	hear(fd, "{\"execute\":\"huge\",\"id\":3}");
	/* No newline ever: the client must stop reading at its bound. */
	memset(text, ' ', sizeof(text));
	/* The client may hang up before it has read it all. */
	(void)!write(fd, text, sizeof(text));
	hear_close(fd);
}

static void test_big_messages(void)
{
	struct strbuf why = STRBUF_INIT;
	struct json *res = NULL;
	struct qmp q;
	long long ms;

	CHECK(open_against(big, 1, &q, 2000, &why, &ms) == QMP_OK);
	CHECK(qmp_execute(&q, "big", NULL, &res, &why, 5000) == QMP_OK);
	CHECK(res && res->type == JSON_STRING && res->u.str.len == QMP_MAX_MESSAGE - strlen(BIG_HEAD) - 2);
	json_free(res);
	CHECK(qmp_execute(&q, "huge", NULL, &res, &why, 5000) == QMP_FAILED);
	WHY_HAS(why, "longer than 1 MiB");
	sb_release(&why);
	qmp_close(&q);
	CHECK(stop_server(2000) == 0);
}

/* More events than the queue holds: the oldest go, and are counted. */
static void flood(int fd)
{
	char line[64];
	int i;

	open_session(fd);
	for (i = 0; i < QMP_MAX_EVENTS + 10; i++) {
		snprintf(line, sizeof(line), "{\"event\": \"E%d\"}\n", i);
		say(fd, line);
	}
	say(fd, "{\"event\": \"LAST\"}\n");
	hear_close(fd);
}

static void test_event_queue_bound(void)
{
	struct strbuf why = STRBUF_INIT;
	struct json *ev = NULL;
	struct qmp q;
	long long ms;

	CHECK(open_against(flood, 1, &q, 2000, &why, &ms) == QMP_OK);
	CHECK(qmp_wait_event(&q, "LAST", 2000, NULL, &why) == QMP_OK);
	CHECK(q.ev_count == QMP_MAX_EVENTS);
	CHECK(q.events_dropped == 10);
	CHECK(qmp_wait_event(&q, NULL, 0, &ev, &why) == QMP_OK);
	CHECK_STR(json_str(json_get(ev, "event")), "E10");
	json_free(ev);
	qmp_close(&q);
	CHECK(stop_server(2000) == 0);
}

/* getfd: the descriptor comes with the command's bytes; the fake writes into it. */
static void takes_fd(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char line[256];
	struct iovec iov = { line, sizeof(line) - 1 };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;
	int got = -1;

	open_session(fd);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(fd, &msg, 0);
	c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		_exit(3);
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	line[n] = '\0';
	if (!strstr(line, "\"execute\":\"getfd\"") || write(got, "passed", 6) != 6)
		_exit(4);
	close(got);
	say(fd, "{\"return\": {}, \"id\": 2}\n");
	hear(fd, "{\"execute\":\"query-status\",\"id\":3}");
	say(fd, "{\"return\": {}, \"id\": 3}\n");
	hear_close(fd);
}

static void test_pass_fd(void)
{
	struct strbuf why = STRBUF_INIT;
	char buf[16] = "";
	struct qmp q;
	long long ms;
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK(open_against(takes_fd, 1, &q, 2000, &why, &ms) == QMP_OK);
	CHECK(qmp_execute_fd(&q, "getfd", "{\"fdname\": \"x\"}", p[1], NULL, &why, 2000) == QMP_OK);
	close(p[1]);
	CHECK(read(p[0], buf, sizeof(buf) - 1) == 6);
	CHECK_STR(buf, "passed");
	/* The next command goes without one. */
	CHECK(qmp_execute(&q, "query-status", NULL, NULL, &why, 2000) == QMP_OK);
	close(p[0]);
	qmp_close(&q);
	sb_release(&why);
	CHECK(stop_server(2000) == 0);
}

const struct unit_case qmp_cases[] = {
	{ "qmp/pass-fd", test_pass_fd },
	{ "qmp/open-failures", test_open_failures },
	{ "qmp/nobody-listens", test_nobody_listens },
	{ "qmp/conversation", test_conversation },
	{ "qmp/timeouts", test_timeouts },
	{ "qmp/bad-args", test_bad_args },
	{ "qmp/big-messages", test_big_messages },
	{ "qmp/event-queue-bound", test_event_queue_bound },
	{ NULL, NULL },
};
