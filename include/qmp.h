/*
 * A QMP client: one connection to a QEMU monitor socket, newline-delimited
 * JSON both ways.  Every call takes a timeout in milliseconds that bounds the
 * whole call (connect, writes and reads: a poll deadline); nothing blocks
 * past it.  A negative timeout is no deadline at all: only for a caller who
 * means "until QEMU answers or exits".  No threads: one struct qmp is used
 * by one caller at a time.  After QMP_FAILED, only qmp_close.
 */
#ifndef VMLAUNCH_QMP_H
#define VMLAUNCH_QMP_H

#include "json.h"
#include "strbuf.h"

#define QMP_MAX_MESSAGE (1 << 20)  /* bytes of one message, newline excluded */
#define QMP_MAX_EVENTS 256         /* events kept; beyond, the oldest are dropped */

/* What the calls return; every failure (< 0) has one reason in WHY (never NULL). */
enum qmp_status {
	QMP_OK = 0,
	QMP_FAILED = -1,      /* an OS error, or QEMU spoke something that is not QMP */
	QMP_TIMEOUT = -2,     /* the deadline passed: the connection stays usable */
	QMP_CLOSED = -3,      /* QEMU closed the socket (it exited, or quit), or
			       * qmp_open found nobody listening (ECONNREFUSED) */
	QMP_CMD_ERROR = -4,   /* the command answered {"error": ...}: see qmp_execute */
};

struct qmp {
	int fd;                         /* -1 when closed */
	struct strbuf in;               /* bytes read, not yet a whole message */
	struct json *greeting;          /* the greeting's "QMP" object: version, capabilities */
	struct json *events[QMP_MAX_EVENTS];   /* a ring of events not yet waited for */
	size_t ev_head, ev_count;
	unsigned long events_dropped;   /* events lost because the ring was full */
	long long next_id;
	int eof;                        /* the peer closed: every later call is QMP_CLOSED */
	int broken;                     /* a command was half sent: the stream is lost */
};

/*
 * Connect to the QMP socket at PATH, read QEMU's greeting and leave
 * negotiation mode (qmp_capabilities), all within TIMEOUT_MS.  A listener
 * that accepts but never greets (another client holds the monitor) is a
 * QMP_TIMEOUT; so is a socket whose backlog stays full.  On failure Q
 * holds nothing (qmp_close is harmless but not needed).
 */
int qmp_open(struct qmp *q, const char *path, int timeout_ms, struct strbuf *why);

/*
 * Run COMMAND with ARGS (the text of a JSON object, or NULL for none; it is
 * checked and re-serialised, so it can never smuggle a second command) and
 * wait for its reply.  Events that arrive meanwhile are queued for
 * qmp_wait_event; replies to earlier commands that timed out are dropped
 * (a reply with no "id", QEMU's answer to a line it could not parse, is
 * taken as this command's).
 * QMP_OK: *RESULT is the "return" value.  QMP_CMD_ERROR: *RESULT is the
 * "error" object ({"class": ..., "desc": ...}) and WHY says "CLASS: DESC".
 * Otherwise *RESULT is NULL.  RESULT may be NULL; else the caller frees it.
 */
int qmp_execute(struct qmp *q, const char *command, const char *args, struct json **result,
		struct strbuf *why, int timeout_ms);

/*
 * qmp_execute, with descriptor FD passed along with the command's bytes
 * (SCM_RIGHTS), as QEMU's getfd and add-fd take one.
 */
int qmp_execute_fd(struct qmp *q, const char *command, const char *args, int fd,
		   struct json **result, struct strbuf *why, int timeout_ms);

/*
 * The next event named NAME (any event if NAME is NULL): from the queue
 * first, else read until it comes.  QMP_OK: *EVENT (when EVENT is not NULL;
 * the caller frees it) is the whole message ({"event", "data", "timestamp"}).
 * Other events meanwhile are queued; a closed socket is QMP_CLOSED, which
 * is how to see QEMU exit.  TIMEOUT_MS 0 only looks at the queue and at what
 * has already arrived.
 */
int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, struct json **event,
		   struct strbuf *why);

/* Close the connection and free the queue; again on a closed Q does nothing. */
void qmp_close(struct qmp *q);

#endif
