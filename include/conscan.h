/*
 * The console scanner of `vmlaunch test`: it reads what a guest prints, a
 * chunk at a time, and runs a test's steps against it.  Pure: no I/O but
 * the send callback, so it is unit-tested and fuzzed.
 *
 * Everything it keeps is bounded, whatever the guest prints: the line
 * being matched (CONSCAN_LINE_MAX bytes, a sliding window), the last
 * CONSCAN_TAIL_LINES lines for reports (each cut at CONSCAN_TAIL_WIDTH),
 * and the reason of a failure.  Each byte is looked at a bounded number of
 * times: patterns run on one line, not on everything received so far.
 *
 * The rules, as vmlaunch(1) states them:
 *  - a step's pattern matches within one line ('\r' removed, NUL read as a
 *    space), after what the previous step matched on that line;
 *  - after a --send, the terminal's echo of the typed text is not matched:
 *    for the next CONSCAN_ECHO_LINES lines, wherever a line shows the text
 *    (its first line, at most CONSCAN_ECHO_MAX bytes of it), that line up
 *    to the end of the text is the echo, and the further lines of a text
 *    of several lines follow it.  (A shell may echo twice: the terminal
 *    echoes what is typed ahead, then the shell shows it at its prompt.)
 *    A line so far that ends in the start of the text waits for more;
 * *  - --fail patterns (and the built-in ones) are checked on every line;
 *  - the tail keeps lines as a terminal shows them: a lone '\r' starts the
 *    line again (a progress bar shows its last state).
 */
#ifndef VMLAUNCH_CONSCAN_H
#define VMLAUNCH_CONSCAN_H

#include <regex.h>
#include <stddef.h>

#include "strbuf.h"

#define CONSCAN_LINE_MAX 4096
#define CONSCAN_TAIL_LINES 15
#define CONSCAN_TAIL_WIDTH 200
#define CONSCAN_REASON_MAX 400
#define CONSCAN_ECHO_MAX 32
#define CONSCAN_ECHO_LINES 8

enum scan_step_kind { SCAN_EXPECT, SCAN_SEND };

struct scan_step {
	enum scan_step_kind kind;
	const char *text;       /* as the user gave it (for messages) */
	regex_t re;             /* SCAN_EXPECT, compiled REG_EXTENDED | REG_NEWLINE */
	int captures_status;    /* SCAN_EXPECT: group 1 is the guest command's status */
	const char *wire;       /* SCAN_SEND: the bytes to type (ends with '\n') */
};

struct scan_rules {
	const struct scan_step *steps;
	size_t nsteps;
	const regex_t *fails;   /* the --fail patterns, then the built-in ones */
	size_t nfails;
	size_t nuser_fails;     /* fails[0..nuser_fails) are --fail patterns */
};

enum scan_result { SCAN_RUNNING, SCAN_PASS, SCAN_FAIL };

struct scan_tail_line {
	char text[CONSCAN_TAIL_WIDTH];
	size_t len;
	int cut;                /* the line was longer than CONSCAN_TAIL_WIDTH */
};

struct conscan {
	const struct scan_rules *rules;
	void (*send)(void *ctx, const char *bytes, size_t n);
	void *ctx;
	size_t step;            /* the next step to do */
	enum scan_result result;
	char reason[CONSCAN_REASON_MAX];

	char line[CONSCAN_LINE_MAX + 1];   /* the line being matched */
	size_t len, consumed, tried;       /* its length, matched part, last try */
	int line_cut;                      /* the line's start slid out of the window */

	char echo[CONSCAN_ECHO_MAX + 1];   /* the echo looked for */
	size_t echo_len, echo_from;        /* its length; where to look in line */
	unsigned echo_wait;     /* lines still to look for it in */
	unsigned echo_more;     /* its further lines (a text of several lines) */
	unsigned skip_lines;    /* further echo lines still to skip */
	int echo_open;          /* the line being received holds an echo */

	struct scan_tail_line tail[CONSCAN_TAIL_LINES];
	size_t tail_next, tail_count;      /* a ring of complete lines */
	struct scan_tail_line cur;         /* the line being shown */
	int cr_pending;                    /* a '\r' that may start the line again */
	unsigned long long bytes;          /* received so far */
};

/* SEND types STEP->wire through SEND(CTX, ...); RULES must outlive S. */
void conscan_init(struct conscan *s, const struct scan_rules *rules,
		  void (*send)(void *ctx, const char *bytes, size_t n), void *ctx);

/* Take N bytes the guest printed; runs steps as far as they go. */
void conscan_feed(struct conscan *s, const char *buf, size_t n);

/* Fail now (QEMU exited, timeout...) unless a result is in: REASON is kept. */
void conscan_fail(struct conscan *s, const char *reason);

/* The last lines, printable (see conscan_sanitize), joined by '\n'; caller frees. */
char *conscan_tail(const struct conscan *s);

/*
 * Append S[0..N) as text that is safe to print on a terminal or to put in a
 * report: valid UTF-8 that is not a control character stays; escape
 * sequences (ESC [ ... final byte, ESC and one byte) are dropped; tabs stay;
 * every other control byte, and every byte of invalid UTF-8, becomes '?'.
 */
void conscan_sanitize(struct strbuf *out, const char *s, size_t n);

/*
 * QEMU's last message in TEXT[0..N) (its stderr): the last line that is not
 * empty and not its "QEMU waiting for connection" note, made printable and
 * cut at 300 bytes, appended to OUT.
 */
void conscan_last_message(struct strbuf *out, const char *text, size_t n);

#endif
