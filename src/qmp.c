/*
 * The socket is non-blocking and every wait is a poll bounded by the call's
 * deadline, so a QEMU that stops talking (or a listener that is not QEMU)
 * costs at most the timeout.  Replies are matched by "id": a reply that
 * comes after its command timed out is recognised and dropped.
 */
#include "qmp.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "usock.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);   /* cannot fail for CLOCK_MONOTONIC */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline TIMEOUT_MS from now; -1: none. */
static long long deadline_in(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Milliseconds left before DEADLINE, as poll takes them. */
static int left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* 1: FD is ready for EVENTS, 0: the deadline passed, -1: poll failed. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left_ms(deadline));
		if (n >= 0)
			return n > 0;
		if (errno != EINTR)
			return -1;
	}
}

static int sys_failed(struct strbuf *why, const char *what)
{
	sb_addf(why, "QMP: %s: %s", what, strerror(errno));
	return QMP_FAILED;
}

static int connect_socket(struct qmp *q, const char *path, long long deadline,
			  struct strbuf *why)
{
	struct timespec pause = { 0, 20 * 1000000 };

	for (;;) {
		q->fd = usock_connect(path, USOCK_NONBLOCK);
		if (q->fd >= 0)
			return QMP_OK;
		if (errno == ECONNREFUSED) {
			sb_addf(why, "%s: nobody listens on the QMP socket (QEMU is gone)", path);
			return QMP_CLOSED;
		}
		if (errno != EAGAIN) {
			sb_addf(why, "%s: cannot connect to the QMP socket: %s", path, strerror(errno));
			return QMP_FAILED;
		}
		/* A full backlog: another client is being served. */
		if (left_ms(deadline) == 0) {
			sb_addf(why, "%s: the QMP socket accepts no connection (its backlog is full)",
				path);
			return QMP_TIMEOUT;
		}
		if (nanosleep(&pause, NULL) < 0 && errno != EINTR)
			return sys_failed(why, "nanosleep");
	}
}

/* Read what has come, waiting until DEADLINE for something to come. */
static int fill(struct qmp *q, long long deadline, struct strbuf *why)
{
	char buf[65536];
	ssize_t n;
	int ready = wait_fd(q->fd, POLLIN, deadline);

	if (ready < 0)
		return sys_failed(why, "poll");
	if (ready == 0)
		return QMP_TIMEOUT;
	n = read(q->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return QMP_OK;
	if (n < 0 && errno != ECONNRESET)
		return sys_failed(why, "read");
	if (n <= 0) {
		q->eof = 1;
		return QMP_CLOSED;
	}
	sb_add(&q->in, buf, (size_t)n);
	return QMP_OK;
}

/* The first line of the input as a JSON object; 0 (*MSG NULL) if it is blank. */
static int take_line(struct qmp *q, const char *nl, struct json **msg, struct strbuf *why)
{
	size_t len = (size_t)(nl - q->in.buf), used = len + 1;
	struct strbuf err = STRBUF_INIT;
	int status = QMP_OK;

	while (len > 0 && (q->in.buf[len - 1] == '\r' || q->in.buf[len - 1] == ' ' ||
			   q->in.buf[len - 1] == '\t'))
		len--;
	*msg = NULL;
	if (len > 0 && !(*msg = json_parse(q->in.buf, len, &err, NULL))) {
		sb_addf(why, "QMP: QEMU sent a message that is not JSON: %s", err.buf);
		status = QMP_FAILED;
	} else if (*msg && (*msg)->type != JSON_OBJECT) {
		sb_adds(why, "QMP: QEMU sent a message that is not a JSON object");
		json_free(*msg);
		*msg = NULL;
		status = QMP_FAILED;
	}
	memmove(q->in.buf, q->in.buf + used, q->in.len - used + 1);
	q->in.len -= used;
	sb_release(&err);
	return status;
}

/* The next message, an object; QMP_TIMEOUT says nothing of WHY. */
static int next_message(struct qmp *q, long long deadline, struct json **msg,
			struct strbuf *why)
{
	const char *nl;
	int status;

	for (;;) {
		nl = q->in.len ? memchr(q->in.buf, '\n', q->in.len) : NULL;
		if (nl) {
			status = take_line(q, nl, msg, why);
			if (status != QMP_OK || *msg)
				return status;
			continue;
		}
		if (q->in.len > QMP_MAX_MESSAGE + 1) {      /* + 1: a '\r' before the newline */
			sb_adds(why, "QMP: QEMU sent a message longer than 1 MiB");
			return QMP_FAILED;
		}
		if (q->eof)
			return QMP_CLOSED;
		status = fill(q, deadline, why);
		if (status != QMP_OK)
			return status;
	}
}

/* Send LEN bytes; PASS_FD (>= 0) goes with the first ones, as SCM_RIGHTS. */
static ssize_t send_some(struct qmp *q, const char *buf, size_t len, int *pass_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	if (*pass_fd < 0)
		return send(q->fd, buf, len, MSG_NOSIGNAL);
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), pass_fd, sizeof(int));
	n = sendmsg(q->fd, &msg, MSG_NOSIGNAL);
	if (n > 0)
		*pass_fd = -1;
	return n;
}

static int send_all(struct qmp *q, const char *buf, size_t len, int pass_fd,
		    long long deadline, struct strbuf *why)
{
	size_t done = 0;
	ssize_t n;
	int ready;

	while (done < len) {
		n = send_some(q, buf + done, len - done, &pass_fd);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			q->eof = 1;
			return QMP_CLOSED;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return sys_failed(why, "send");
		ready = wait_fd(q->fd, POLLOUT, deadline);
		if (ready < 0)
			return sys_failed(why, "poll");
		if (ready == 0) {
			q->broken = done > 0;
			return QMP_TIMEOUT;
		}
	}
	return QMP_OK;
}

/* ---- the event queue ---- */

static void queue_event(struct qmp *q, struct json *ev)
{
	if (q->ev_count == QMP_MAX_EVENTS) {
		json_free(q->events[q->ev_head]);
		q->ev_head = (q->ev_head + 1) % QMP_MAX_EVENTS;
		q->ev_count--;
		q->events_dropped++;
	}
	q->events[(q->ev_head + q->ev_count) % QMP_MAX_EVENTS] = ev;
	q->ev_count++;
}

static int event_is(const struct json *msg, const char *name)
{
	const char *ev = json_str(json_get(msg, "event"));

	return ev && (!name || strcmp(ev, name) == 0);
}

/* Remove and return the oldest queued event named NAME (any if NULL). */
static struct json *take_event(struct qmp *q, const char *name)
{
	size_t i, j;
	struct json *ev;

	for (i = 0; i < q->ev_count; i++) {
		ev = q->events[(q->ev_head + i) % QMP_MAX_EVENTS];
		if (!event_is(ev, name))
			continue;
		for (j = i; j + 1 < q->ev_count; j++)
			q->events[(q->ev_head + j) % QMP_MAX_EVENTS] =
				q->events[(q->ev_head + j + 1) % QMP_MAX_EVENTS];
		q->ev_count--;
		return ev;
	}
	return NULL;
}

/* ---- commands ---- */

/* The request line: ARGS re-serialised, so that it is exactly one object. */
static int build_request(struct qmp *q, const char *command, const char *args,
			 struct strbuf *req, struct strbuf *why)
{
	struct strbuf err = STRBUF_INIT;
	struct json *tree = NULL;
	struct json_writer w;

	if (args && (!(tree = json_parse(args, strlen(args), &err, NULL)) ||
		     tree->type != JSON_OBJECT)) {
		sb_addf(why, "QMP: the arguments of %s are not a JSON object%s%s", command,
			tree ? "" : ": ", tree ? "" : err.buf);
		json_free(tree);
		sb_release(&err);
		return QMP_FAILED;
	}
	jw_init(&w, req);
	jw_begin_object(&w);
	jw_key(&w, "execute");
	jw_string(&w, command);
	if (tree) {
		jw_key(&w, "arguments");
		jw_value(&w, tree);
	}
	jw_key(&w, "id");
	jw_int(&w, q->next_id);
	jw_end_object(&w);
	sb_addc(req, '\n');
	json_free(tree);
	return QMP_OK;
}

/* Is MSG the reply to command ID?  An id-less reply is QEMU refusing our line. */
static int is_our_reply(const struct json *msg, long long id)
{
	const struct json *got = json_get(msg, "id");
	int64_t n;

	if (!json_get(msg, "return") && !json_get(msg, "error"))
		return 0;
	return !got || (json_int(got, &n) == 0 && n == id);
}

static int reply_status(struct json *msg, struct json **result, struct strbuf *why)
{
	struct json *ret = json_detach(msg, "return"), *err;
	const char *cls, *desc;

	if (ret) {
		if (result)
			*result = ret;
		else
			json_free(ret);
		return QMP_OK;
	}
	err = json_detach(msg, "error");
	cls = json_str(json_get(err, "class"));
	desc = json_str(json_get(err, "desc"));
	sb_addf(why, "%s: %s", cls ? cls : "GenericError", desc ? desc : "(no description)");
	if (result)
		*result = err;
	else
		json_free(err);
	return QMP_CMD_ERROR;
}

static int usable(const struct qmp *q, struct strbuf *why)
{
	if (q->fd < 0 || q->broken) {
		sb_adds(why, q->fd < 0 ? "QMP: the connection is not open"
				       : "QMP: the connection is lost (a command was half sent)");
		return QMP_FAILED;
	}
	if (q->eof && !q->in.len) {
		sb_adds(why, "QMP: QEMU closed the QMP socket");
		return QMP_CLOSED;
	}
	return QMP_OK;
}

static int await_reply(struct qmp *q, const char *command, long long id, long long deadline,
		       struct json **result, struct strbuf *why, int timeout_ms)
{
	struct json *msg;
	int status;

	for (;;) {
		status = next_message(q, deadline, &msg, why);
		if (status == QMP_TIMEOUT)
			sb_addf(why, "QMP: no reply to %s within %d ms", command, timeout_ms);
		if (status == QMP_CLOSED)
			sb_addf(why, "QMP: QEMU closed the QMP socket before replying to %s", command);
		if (status != QMP_OK)
			return status;
		if (event_is(msg, NULL)) {
			queue_event(q, msg);
		} else if (is_our_reply(msg, id)) {
			status = reply_status(msg, result, why);
			json_free(msg);
			return status;
		} else {
			json_free(msg);     /* a late reply to a command that timed out */
		}
	}
}

static int execute(struct qmp *q, const char *command, const char *args, int pass_fd,
		   struct json **result, struct strbuf *why, int timeout_ms)
{
	long long deadline = deadline_in(timeout_ms), id = q->next_id;
	struct strbuf req = STRBUF_INIT;
	int status;

	if (result)
		*result = NULL;
	status = usable(q, why);
	if (status != QMP_OK)
		return status;
	status = build_request(q, command, args, &req, why);
	if (status != QMP_OK)
		return status;
	q->next_id++;
	status = send_all(q, req.buf, req.len, pass_fd, deadline, why);
	sb_release(&req);
	if (status == QMP_TIMEOUT)
		sb_addf(why, "QMP: QEMU did not take the command %s within %d ms", command,
			timeout_ms);
	if (status == QMP_CLOSED)
		sb_addf(why, "QMP: QEMU closed the QMP socket before %s was sent", command);
	if (status != QMP_OK)
		return status;
	return await_reply(q, command, id, deadline, result, why, timeout_ms);
}

int qmp_execute(struct qmp *q, const char *command, const char *args, struct json **result,
		struct strbuf *why, int timeout_ms)
{
	return execute(q, command, args, -1, result, why, timeout_ms);
}

int qmp_execute_fd(struct qmp *q, const char *command, const char *args, int fd,
		   struct json **result, struct strbuf *why, int timeout_ms)
{
	return execute(q, command, args, fd, result, why, timeout_ms);
}

int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, struct json **event,
		   struct strbuf *why)
{
	long long deadline = deadline_in(timeout_ms);
	struct json *msg = take_event(q, name);
	int status;

	if (event)
		*event = NULL;
	if (!msg && (q->fd < 0 || q->broken))
		return usable(q, why);
	while (!msg) {
		status = next_message(q, deadline, &msg, why);
		if (status == QMP_TIMEOUT)
			sb_addf(why, "QMP: no %s event within %d ms", name ? name : "QMP", timeout_ms);
		if (status == QMP_CLOSED)
			sb_addf(why, "QMP: QEMU closed the QMP socket (no %s event)",
				name ? name : "QMP");
		if (status != QMP_OK)
			return status;
		if (!event_is(msg, name)) {
			if (event_is(msg, NULL))
				queue_event(q, msg);
			else
				json_free(msg);       /* a late reply */
			msg = NULL;
		}
	}
	if (event)
		*event = msg;
	else
		json_free(msg);
	return QMP_OK;
}

/* ---- opening and closing ---- */

static int read_greeting(struct qmp *q, const char *path, long long deadline,
			 struct strbuf *why, int timeout_ms)
{
	struct json *msg;
	int status = next_message(q, deadline, &msg, why);

	if (status == QMP_TIMEOUT)
		sb_addf(why, "%s: no QMP greeting within %d ms "
			"(not QEMU, or another client holds the monitor)", path, timeout_ms);
	if (status == QMP_CLOSED)
		sb_addf(why, "%s: the QMP socket closed before its greeting", path);
	if (status != QMP_OK)
		return status;
	q->greeting = json_detach(msg, "QMP");
	json_free(msg);
	if (!q->greeting || q->greeting->type != JSON_OBJECT) {
		sb_addf(why, "%s: the first message is not a QMP greeting", path);
		return QMP_FAILED;
	}
	return QMP_OK;
}

int qmp_open(struct qmp *q, const char *path, int timeout_ms, struct strbuf *why)
{
	long long deadline = deadline_in(timeout_ms);
	struct strbuf err = STRBUF_INIT;
	int status;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->next_id = 1;
	status = connect_socket(q, path, deadline, why);
	if (status == QMP_OK)
		status = read_greeting(q, path, deadline, why, timeout_ms);
	if (status == QMP_OK) {
		status = qmp_execute(q, "qmp_capabilities", NULL, NULL, &err, left_ms(deadline));
		if (status != QMP_OK)
			sb_addf(why, "%s: %s", path, err.buf);
	}
	sb_release(&err);
	if (status != QMP_OK)
		qmp_close(q);
	return status;
}

void qmp_close(struct qmp *q)
{
	size_t i;

	if (q->fd >= 0)
		close(q->fd);       /* nothing to learn from its error on a socket */
	q->fd = -1;
	for (i = 0; i < q->ev_count; i++)
		json_free(q->events[(q->ev_head + i) % QMP_MAX_EVENTS]);
	q->ev_count = q->ev_head = 0;
	json_free(q->greeting);
	q->greeting = NULL;
	sb_release(&q->in);
}
