/*
 * qmp-probe SOCKET TIMEOUT_MS STEP...: one QMP session, scripted, for the
 * e2e tests.  A STEP is a command ("query-status"), a command with its
 * arguments ('human-monitor-command{"command-line": "info"}'), or "@EVENT"
 * or "@EVENT:MS" to wait for an event ("@*" for any).  Each step, and the
 * opening, prints one line "STEP: STATUS TEXT", where STATUS is ok,
 * cmd-error, timeout, closed or failed and TEXT the result as JSON or the
 * reason.  Exit 0 when every step ran, 64 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "qmp.h"
#include "strbuf.h"
#include "xalloc.h"

static const char *status_name(int status)
{
	switch (status) {
	case QMP_OK: return "ok";
	case QMP_CMD_ERROR: return "cmd-error";
	case QMP_TIMEOUT: return "timeout";
	case QMP_CLOSED: return "closed";
	default: return "failed";
	}
}

static void report(const char *step, int status, const struct json *v, const struct strbuf *why)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	if (status == QMP_OK && v) {
		jw_init(&w, &sb);
		jw_value(&w, v);
	}
	printf("%s: %s %s\n", step, status_name(status),
	       status == QMP_OK ? (sb.buf ? sb.buf : "") : (why->buf ? why->buf : ""));
	fflush(stdout);
	sb_release(&sb);
}

static int wait_step(struct qmp *q, const char *step, int timeout_ms, struct json **ev,
		     struct strbuf *why)
{
	char *name = xstrdup(step + 1), *colon;
	int status;

	colon = strchr(name, ':');
	if (colon) {
		*colon = '\0';
		timeout_ms = atoi(colon + 1);
	}
	status = qmp_wait_event(q, strcmp(name, "*") == 0 ? NULL : name, timeout_ms, ev, why);
	free(name);
	return status;
}

static int exec_step(struct qmp *q, const char *step, int timeout_ms, struct json **res,
		     struct strbuf *why)
{
	const char *args = strchr(step, '{');
	char *cmd = args ? xstrndup(step, (size_t)(args - step)) : xstrdup(step);
	int status;

	status = qmp_execute(q, cmd, args, res, why, timeout_ms);
	free(cmd);
	return status;
}

int main(int argc, char **argv)
{
	struct strbuf why = STRBUF_INIT;
	struct json *v = NULL;
	struct qmp q;
	int i, status, timeout_ms;

	if (argc < 3) {
		fprintf(stderr, "usage: qmp-probe SOCKET TIMEOUT_MS STEP...\n");
		return 64;
	}
	timeout_ms = atoi(argv[2]);
	status = qmp_open(&q, argv[1], timeout_ms, &why);
	report("open", status, q.greeting, &why);
	sb_release(&why);
	if (status != QMP_OK)
		return 0;
	for (i = 3; i < argc; i++) {
		if (argv[i][0] == '@')
			status = wait_step(&q, argv[i], timeout_ms, &v, &why);
		else
			status = exec_step(&q, argv[i], timeout_ms, &v, &why);
		report(argv[i], status, v, &why);
		json_free(v);
		v = NULL;
		sb_release(&why);
	}
	qmp_close(&q);
	return 0;
}
